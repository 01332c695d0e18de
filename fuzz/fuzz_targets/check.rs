//! One postmortem file, as arbitrary UTF-8, through the policy checks (`pmsite::check`):
//! blaming language, people as causes, secrets, action items, sections, timeline, allow
//! comments. Beyond "no panic", every finding has a location, and it points into the file.

#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use pmsite::config::Config;
use pmsite::content::{Content, parse_file};

fuzz_target!(|text: &str| {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    let config = CONFIG.get_or_init(|| {
        let mut config = Config::default();
        config.checks.people = vec!["ana.lee".into(), "sam".into()];
        config
    });
    let parsed = parse_file(
        Path::new("postmortems/2024/x.md"),
        "2024/x.md".into(),
        text,
        config,
    );
    let content = Content {
        postmortems: parsed.postmortem.into_iter().collect(),
        files: Default::default(),
        unreadable_front_matter: parsed.orphan.into_iter().collect(),
        diagnostics: Vec::new(),
    };
    let today = NaiveDate::from_ymd_opt(2024, 6, 1).expect("a valid date");
    for d in pmsite::check::check(&content, config, today) {
        let at = d.location.as_ref().expect("every finding has a place");
        let bytes = &at.bytes;
        assert!(bytes.start <= bytes.end && bytes.end <= text.len(), "{d:?}");
        assert!(
            text.is_char_boundary(bytes.start) && text.is_char_boundary(bytes.end),
            "{d:?}"
        );
        assert!(at.line >= 1 && at.line <= text.lines().count() + 1, "{d:?}");
    }
});
