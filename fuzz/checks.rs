//! What each fuzz target checks, beyond "no panic". The targets in `fuzz_targets/` call
//! these; `tests/fuzz_corpus.rs` replays every checked-in corpus file through them in
//! `cargo test`, so the two can never check different things.

use std::path::Path;
use std::sync::OnceLock;

use chrono::NaiveDate;
use pmsite::config::Config;
use pmsite::content::{Content, Source, links, parse_file};
use pmsite::diagnostic::Location;
use pmsite::search::{Filters, Order, Searcher};
use pmsite::site::{Audience, Selection, Site};

/// The file every target parses its input as.
const FILE: &str = "postmortems/2024/x.md";
const KEY: &str = "2024/x.md";

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 6, 1).expect("a valid date")
}

fn assert_in(text: &str, at: &Location) {
    let bytes = &at.bytes;
    assert!(bytes.start <= bytes.end && bytes.end <= text.len(), "{at:?}");
    assert!(
        text.is_char_boundary(bytes.start) && text.is_char_boundary(bytes.end),
        "{at:?}"
    );
    assert!(at.line >= 1 && at.line <= text.lines().count() + 1, "{at:?}");
}

fn assert_source_in(text: &str, source: &Source) {
    assert_eq!(&text[source.body_offset..], source.body.text());
    assert_in(text, &source.id_location);
    for link in &source.outline.links {
        assert!(text.get(link.span.clone()).is_some(), "{link:?}");
        let _ = links::resolve(&source.key, &link.destination);
        let _ = links::is_dangerous(&link.destination);
    }
}

/// One postmortem file: front matter split, TOML/YAML parse, decode, Markdown scan, link
/// classification. Every location reported points into the file.
pub fn parse_file_checks(text: &str) {
    let config = Config::default();
    let parsed = parse_file(Path::new(FILE), KEY.into(), text, &config);
    for at in parsed.diagnostics.iter().filter_map(|d| d.location.as_ref()) {
        assert_in(text, at);
    }
    if let Some(pm) = &parsed.postmortem {
        assert_source_in(text, &pm.source);
        for r in pm.related.iter().chain(&pm.recurrence_of) {
            assert_in(text, &r.location);
        }
    }
    if let Some(orphan) = &parsed.orphan {
        assert_source_in(text, orphan);
    }
}

/// pmsite.toml: an error has at least one diagnostic, each located in the file.
pub fn config_checks(text: &str) {
    if let Err(diagnostics) = pmsite::config::parse(text) {
        assert!(!diagnostics.is_empty());
        for at in diagnostics.iter().filter_map(|d| d.location.as_ref()) {
            assert_in(text, at);
        }
    }
}

/// One postmortem file through the policy checks: every finding has a place in the file.
pub fn check_checks(text: &str) {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    let config = CONFIG.get_or_init(|| {
        let mut config = Config::default();
        config.checks.people = vec!["ana.lee".into(), "sam".into()];
        config
    });
    let parsed = parse_file(Path::new(FILE), KEY.into(), text, config);
    let content = Content {
        postmortems: parsed.postmortem.into_iter().map(|pm| *pm).collect(),
        unreadable_front_matter: parsed.orphan.into_iter().map(|source| *source).collect(),
        ..Content::default()
    };
    for d in pmsite::check::check(&content, config, today(), None).iter() {
        assert_in(text, d.location.as_ref().expect("every finding has a place"));
    }
}

/// A body through the Markdown renderer: nothing that runs code or breaks the page comes
/// out of it.
pub fn markdown_checks(body: &str) {
    let config = Config::default();
    let text = format!(
        "+++\nid = \"x\"\ntitle = \"x\"\nseverity = \"SEV2\"\nsummary = \"s\"\n\
         started_at = 2024-01-01\n+++\n{body}"
    );
    let parsed = parse_file(Path::new(FILE), KEY.into(), &text, &config);
    let Some(pm) = parsed.postmortem else { return };
    let content = Content {
        postmortems: vec![*pm],
        ..Content::default()
    };
    let selection = Selection {
        audience: Audience::Restricted,
        drafts: true,
        today: today(),
    };
    let site = Site::build(&content, &config, selection);
    let html = pmsite::render::markdown::body_html(site.postmortems[0], &site, "../../");
    assert!(!html.contains('\0'), "a NUL in {html:?}");
    let lower = html.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "{html:?}");
    for (name, value) in attributes(&lower) {
        assert!(!name.starts_with("on"), "a handler in {html:?}");
        let value = value.trim_start();
        for scheme in [
            "javascript:",
            "vbscript:",
            "data:text",
            "data:image/svg",
            "data:application",
        ] {
            assert!(!value.starts_with(scheme), "{scheme} in {html:?}");
        }
    }
}

/// Every attribute of every tag in `html`, as (name, value). Text escapes `<`, so a `<`
/// outside a tag opens one; values are read as a browser reads them (quoted, or up to a
/// space), and may hold a `<`.
fn attributes(html: &str) -> Vec<(&str, &str)> {
    let mut found = Vec::new();
    let mut cursor = 0;
    while let Some(at) = html[cursor..].find('<').map(|i| cursor + i) {
        let mut rest =
            html[at + 1..].trim_start_matches(|c: char| c.is_alphanumeric() || c == '/' || c == '!');
        loop {
            rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
            if rest.is_empty() || rest.starts_with('>') {
                break;
            }
            let name_end = rest
                .find(|c: char| c.is_whitespace() || "=>/".contains(c))
                .unwrap_or(rest.len());
            let name = &rest[..name_end.max(1)];
            rest = rest[name.len()..].trim_start();
            let Some(after) = rest.strip_prefix('=') else {
                found.push((name, ""));
                continue;
            };
            let after = after.trim_start();
            let (value, next) = match after.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let body = &after[1..];
                    let close = body.find(q).unwrap_or(body.len());
                    (&body[..close], body.get(close + 1..).unwrap_or(""))
                }
                _ => {
                    let end = after
                        .find(|c: char| c.is_whitespace() || c == '>')
                        .unwrap_or(after.len());
                    (&after[..end], &after[end..])
                }
            };
            found.push((name, value));
            rest = next;
        }
        cursor = html.len() - rest.len();
    }
    found
}

/// A `pmsite search` query (the text before the first newline; what follows is a tag
/// filter) against a small index: the count covers the hits, every highlight lies in its
/// snippet.
pub fn query_checks(input: &str) {
    static SEARCHER: OnceLock<Searcher> = OnceLock::new();
    let searcher = SEARCHER.get_or_init(sample_searcher);
    let (text, tag) = input.split_once('\n').unwrap_or((input, ""));
    let filters = Filters {
        tags: if tag.is_empty() {
            Vec::new()
        } else {
            vec![tag.to_string()]
        },
        ..Filters::default()
    };
    for order in [Order::Relevance, Order::Date] {
        let found = match searcher.search(text, &filters, order, 3) {
            Ok(found) => found,
            // A tag the archive does not have is refused with a "did you mean": an answer.
            Err(pmsite::search::SearchError::UnknownFilter(_)) => continue,
            Err(e) => panic!("a search: {e:?}"),
        };
        let (total, hits) = (found.total, found.hits);
        assert!(hits.len() <= total.min(3), "{total} {}", hits.len());
        for snippet in hits.iter().filter_map(|h| h.snippet.as_ref()) {
            for &(start, end) in &snippet.highlights {
                assert!(snippet.text.get(start..end).is_some(), "{snippet:?}");
            }
        }
    }
}

/// Three incidents, indexed into a folder under the temp dir that is gone once they are
/// open.
fn sample_searcher() -> Searcher {
    let config: &'static Config = Box::leak(Box::new(Config::default()));
    let postmortems = [
        (
            "a",
            1,
            "Certificate expired",
            "tls",
            "The x509 certificate on checkout-api expired.",
        ),
        (
            "b",
            2,
            "Database failover",
            "db",
            "Failover took **9 minutes**; the \"replica lag\" grew.",
        ),
        (
            "c",
            3,
            "Café menu outage",
            "dns",
            "## Détection\n\nZone TTL of 86400 s. 日本語 text.",
        ),
    ]
    .iter()
    .map(|(id, day, title, tag, body)| {
        let text = format!(
            "+++\nid = \"{id}\"\ntitle = \"{title}\"\nseverity = \"SEV2\"\nsummary = \"{title}\"\n\
             started_at = 2024-01-0{day}\ntags = [\"{tag}\"]\n+++\n{body}\n"
        );
        let key = format!("{id}.md");
        *parse_file(Path::new(&key), key.clone(), &text, config)
            .postmortem
            .expect("a sample postmortem")
    })
    .collect();
    let content: &'static Content = Box::leak(Box::new(Content {
        postmortems,
        ..Content::default()
    }));
    let selection = Selection {
        audience: Audience::Restricted,
        drafts: true,
        today: today(),
    };
    let site = Site::build(content, config, selection);
    let dir = std::env::temp_dir().join(format!("pmsite-fuzz-query-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a folder for the sample index");
    let owner = pmsite::search::Owner {
        output: None,
        sources: 0,
    };
    let never = std::sync::atomic::AtomicBool::new(false);
    let built = pmsite::search::build_index(&site, &dir, owner, &never, pmsite::search::Reuse::Nothing)
        .expect("a sample index");
    let searcher = Searcher::new(built.index, built.words).expect("a searcher");
    // The searcher has opened (mapped) every file it reads: the folder can go, so that no
    // run leaves one behind.
    let _ = std::fs::remove_dir_all(&dir);
    searcher
}
