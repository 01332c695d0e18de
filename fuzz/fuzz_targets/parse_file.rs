//! One postmortem file, as arbitrary UTF-8: front matter split, TOML/YAML parse, decode,
//! Markdown scan, then the link classification the validator runs on every body link.
//! Beyond "no panic", every location reported must point into the file.

#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pmsite::config::Config;
use pmsite::content::{Source, links, parse_file};
use pmsite::diagnostic::Location;

fn check(text: &str, at: &Location) {
    let bytes = &at.bytes;
    assert!(bytes.start <= bytes.end && bytes.end <= text.len(), "{at:?}");
    assert!(
        text.is_char_boundary(bytes.start) && text.is_char_boundary(bytes.end),
        "{at:?}"
    );
    assert!(at.line >= 1 && at.line <= text.lines().count() + 1, "{at:?}");
}

fn check_source(text: &str, source: &Source) {
    assert_eq!(&text[source.body_offset..], source.body);
    check(text, &source.id_location);
    for link in &source.outline.links {
        assert!(text.get(link.span.clone()).is_some(), "{link:?}");
        let _ = links::resolve(&source.key, &link.destination);
        let _ = links::is_dangerous(&link.destination);
    }
}

fuzz_target!(|text: &str| {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    let config = CONFIG.get_or_init(Config::default);
    let parsed = parse_file(
        Path::new("postmortems/2024/x.md"),
        "2024/x.md".into(),
        text,
        config,
    );
    for d in &parsed.diagnostics {
        if let Some(at) = &d.location {
            check(text, at);
        }
    }
    if let Some(pm) = &parsed.postmortem {
        check_source(text, &pm.source);
        for r in pm.related.iter().chain(&pm.recurrence_of) {
            check(text, &r.location);
        }
    }
    if let Some(orphan) = &parsed.orphan {
        check_source(text, orphan);
    }
});
