//! Property tests for the parsers: whatever an author (or a fuzzer) writes, pmsite reports
//! problems instead of panicking, and every location it reports points into the file.
//!
//! A separate test binary from `integration`, so it can be run alone:
//! `cargo test --test properties`. Case counts are kept low enough for the whole file to run
//! in a few seconds; raise them with `PROPTEST_CASES=10000` for a longer hunt.

use std::path::Path;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime};
use pmsite::config::{self, Config};
use pmsite::content::front_matter::{self, Format};
use pmsite::content::links::{self, Target};
use pmsite::content::markdown::{self, slugify};
use pmsite::content::moment::{Moment, MomentError, impossible};
use pmsite::content::{Parsed, Source, parse_file};
use pmsite::diagnostic::{Diagnostic, Location};
use proptest::prelude::*;
use proptest::sample::Index;

/// `n` cases unless `PROPTEST_CASES` says otherwise. Failures are not persisted to a file:
/// the ones found so far are spelled out as regression tests below each property.
fn cases(n: u32) -> ProptestConfig {
    let default = ProptestConfig::default();
    ProptestConfig {
        cases: if std::env::var_os("PROPTEST_CASES").is_some() {
            default.cases
        } else {
            n
        },
        failure_persistence: None,
        ..default
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

const TOML_POSTMORTEM: &str = r#"+++
id = "2024-03-08-checkout"
title = "Checkout errors after a cleanup script"
severity = "SEV2"
status = "published"
started_at = 2024-03-08T15:42:00Z
detected_at = 2024-03-08 16:50:00+01:00
mitigated_at = "2024-03-08T16:10:00Z"
resolved_at = 2024-03-09
summary = """A cleanup script removed live sessions. \
Checkout failed for 28 minutes."""
authors = ["ana", "bo"]
services = "checkout-api"
tags = ["café", "数据库"]
root_causes = ["human-process"]
related = ["2019-06-14-payments.md", "x"]
recurrence_of = "2023-11-02-payments"

[impact]
users_affected = 1200
revenue_lost = 4_500.5
requests_failed_pct = 12.5
customer_facing = true

[[timeline]]
at = 2024-03-08T15:42:00Z
kind = "impact"
text = "Errors begin."

[[action_items]]
title = "Guard the script"
owner = "ana"
due = 2024-04-01
status = "open"
priority = "high"
type = "prevent"
ticket = "OPS-1"

[[links]]
title = "Dashboard"
url = "https://grafana.example.com/d/1"

[extra]
answer = 42
nested = { a = [1, 2.5, "x"], when = 1979-05-27 }
+++
# Checkout errors

## Impact

See [the runbook](../runbooks/a.md#step-2) and ![graph](img/graph.png).

## Impact {#impact-2}

| a | b |
|---|---|
| [x](other.md) | `code` |

Ünïcödé ✓ [^1]

[^1]: A footnote with a [link](https://example.com).
"#;

const YAML_POSTMORTEM: &str = "---\r
title: Café outage\r
severity: SEV1\r
started_at: 2019-06-14T10:00:00Z\r
summary: >\r
  The certificate expired.\r
tags: [tls, 'expiry']\r
impact:\r
  users_affected: 3\r
  data_loss: false\r
timeline:\r
  - at: 2019-06-14T10:05:00+02:00\r
    text: Alert fired\r
action_items:\r
  - title: Monitor expiry\r
    due: 2019-07-01\r
extra:\r
  k: &anchor [1, 2]\r
  copy: *anchor\r
---\r
## Root cause\r
\r
[a](b.md) ![i](../x.png)\r
";

const CONFIG: &str = r#"# Site configuration
title = "Northwind incident reviews"
base_url = "https://incidents.northwind.example"
description = "Blameless reviews."
language = "en"
paginate_by = 50
currency = "EUR"
services = ["checkout-api", "search-api"]

[[severities]]
name = "SEV1"
description = "Critical"

[[severities]]
name = "SEV2"

[root_causes]
config-change = "A change to configuration."
human-process = "A manual procedure."

[teams]
sre = "Site reliability"

[tickets]
JIRA = "https://jira.example.com/browse/{id}"
"#;

/// Pieces that steer generated text towards the interesting corners of front matter.
const FRONT_MATTER_FRAGMENTS: &[&str] = &[
    "+++",
    "---",
    "+++\n",
    "---\n",
    "+++\r\n",
    "\n",
    "\r\n",
    "\r",
    "\t",
    " ",
    "\u{feff}",
    "title = \"",
    "\"",
    "'''",
    "\"\"\"",
    "=",
    "[[action_items]]",
    "[[timeline]]",
    "[impact]",
    "[extra]",
    "[",
    "]",
    "{",
    "}",
    ",",
    "#",
    "started_at = 2024-",
    "2024-03-08T15:42:00Z",
    "2024-02-30",
    "1969-12-31T23:59:60+23:59",
    "severity = \"SEV1\"",
    "summary = \"s\"",
    "id = \"",
    "title: ",
    "- ",
    ": ",
    "&a ",
    "*a",
    "!!str ",
    "? ",
    "|",
    ">",
    "%YAML 1.2",
    "é",
    "数",
    "🦀",
    "\u{0301}",
    "\0",
    "users_affected = -1",
    "requests_failed_pct = nan",
    "revenue_lost = inf",
    "ticket = \"JIRA:\"",
    "1e999",
    "0x7fffffffffffffff1",
];

const CONFIG_FRAGMENTS: &[&str] = &[
    "\n",
    "\r\n",
    " = ",
    "\"",
    "title",
    "base_url = \"",
    "https://",
    "paginate_by = ",
    "-1",
    "99999999999999999999",
    "[[severities]]",
    "name = \"SEV1\"",
    "description = ",
    "[root_causes]",
    "root_causes = [",
    "]",
    "[tickets]",
    "JIRA = \"https://x/{id}\"",
    "{id}",
    "[teams]",
    "services = \"",
    "{",
    "}",
    ",",
    "é",
    "\u{feff}",
    "\t",
    "#",
];

fn fragments(pieces: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(pieces).prop_map(str::to_string),
            1 => any::<String>().prop_map(|s| s.chars().take(6).collect::<String>()),
            1 => "[a-z_]{1,8}",
        ],
        0..48,
    )
    .prop_map(|parts| parts.concat())
}

#[derive(Clone, Debug)]
enum Edit {
    Delete,
    Insert(String),
    Replace(String),
}

fn edit() -> impl Strategy<Value = Edit> {
    let insert = prop_oneof![
        3 => prop::sample::select(FRONT_MATTER_FRAGMENTS).prop_map(str::to_string),
        1 => prop::sample::select(CONFIG_FRAGMENTS).prop_map(str::to_string),
        2 => any::<String>().prop_map(|s| s.chars().take(8).collect::<String>()),
    ];
    prop_oneof![
        Just(Edit::Delete),
        insert.clone().prop_map(Edit::Insert),
        insert.prop_map(Edit::Replace),
    ]
}

/// Applies `edits` to `text`, each at a range whose ends are char boundaries.
fn mutate(text: &str, edits: &[(Index, Index, Edit)]) -> String {
    let mut text = text.to_string();
    for (a, b, edit) in edits {
        let boundaries: Vec<usize> = (0..=text.len()).filter(|&i| text.is_char_boundary(i)).collect();
        let (mut start, mut end) = (*a.get(&boundaries), *b.get(&boundaries));
        if start > end {
            std::mem::swap(&mut start, &mut end);
        }
        // Short ranges are the interesting ones: a dropped quote, a split line.
        if end - start > 16 {
            end = boundaries[boundaries.partition_point(|&i| i <= start + 16) - 1];
        }
        match edit {
            Edit::Delete => text.replace_range(start..end, ""),
            Edit::Insert(s) => text.insert_str(start, s),
            Edit::Replace(s) => text.replace_range(start..end, s),
        }
    }
    text
}

fn edits() -> impl Strategy<Value = Vec<(Index, Index, Edit)>> {
    prop::collection::vec((any::<Index>(), any::<Index>(), edit()), 1..6)
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

fn check_location(text: &str, at: &Location) -> Result<(), TestCaseError> {
    check_location_in(text, text.lines().count(), at)
}

/// `lines` is `text.lines().count()`, counted once for files with many diagnostics.
fn check_location_in(text: &str, lines: usize, at: &Location) -> Result<(), TestCaseError> {
    let bytes = &at.bytes;
    prop_assert!(bytes.start <= bytes.end, "reversed range {bytes:?}");
    prop_assert!(
        bytes.end <= text.len(),
        "range {bytes:?} past the end ({})",
        text.len()
    );
    prop_assert!(
        text.is_char_boundary(bytes.start),
        "start {bytes:?} splits a char"
    );
    prop_assert!(text.is_char_boundary(bytes.end), "end {bytes:?} splits a char");
    prop_assert!(
        at.line >= 1 && at.line <= lines + 1,
        "line {} of {lines}",
        at.line
    );
    prop_assert!(at.column >= 1);
    // Line and column describe the start of the range.
    let before = &text[..bytes.start];
    prop_assert_eq!(at.line, before.matches('\n').count() + 1);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    prop_assert_eq!(at.column, before[line_start..].chars().count() + 1);
    Ok(())
}

fn check_diagnostics(text: &str, diagnostics: &[Diagnostic]) -> Result<(), TestCaseError> {
    let lines = text.lines().count();
    for d in diagnostics {
        if let Some(at) = &d.location {
            check_location_in(text, lines, at).map_err(|e| TestCaseError::fail(format!("{e} in {d:?}")))?;
        }
    }
    Ok(())
}

fn check_source(text: &str, source: &Source) -> Result<(), TestCaseError> {
    prop_assert!(source.body_offset <= text.len());
    prop_assert_eq!(&text[source.body_offset..], source.body.text());
    prop_assert_eq!(
        source.body_line,
        text[..source.body_offset].matches('\n').count() + 1
    );
    check_location(text, &source.id_location)?;
    for link in &source.outline.links {
        let span = &link.span;
        prop_assert!(source.body_offset <= span.start && span.start <= span.end);
        prop_assert!(span.end <= text.len());
        prop_assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
    }
    let mut ids = std::collections::HashSet::new();
    for h in &source.outline.headings {
        prop_assert!(ids.insert(h.id.as_str()), "duplicate heading id {}", h.id);
    }
    Ok(())
}

fn parse(text: &str) -> Parsed {
    parse_file(
        Path::new("postmortems/2024/x.md"),
        "2024/x.md".into(),
        text,
        &Config::default(),
    )
}

fn check_parse_file(text: &str) -> Result<(), TestCaseError> {
    let parsed = parse(text);
    check_diagnostics(text, &parsed.diagnostics)?;
    if let Some(pm) = &parsed.postmortem {
        check_source(text, &pm.source)?;
        // Load lets the tree go; the checks parse it again from the head alone, and a
        // field's finding would point at line 1 if that parse failed.
        prop_assert!(
            matches!(pm.source.front_matter().value, pmsite::tree::Value::Table(_)),
            "the front matter of a decoded postmortem parses again from its head"
        );
        for r in pm.related.iter().chain(&pm.recurrence_of) {
            check_location(text, &r.location)?;
        }
    }
    if let Some(orphan) = &parsed.orphan {
        check_source(text, orphan)?;
    }
    prop_assert!(
        parsed.postmortem.is_some() || !parsed.diagnostics.is_empty(),
        "a file that gives no postmortem must say why"
    );
    Ok(())
}

fn check_config(text: &str) -> Result<(), TestCaseError> {
    if let Err(diagnostics) = config::parse(text) {
        prop_assert!(!diagnostics.is_empty());
        check_diagnostics(text, &diagnostics)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// parse_file and config::parse
// ---------------------------------------------------------------------------------------------

#[test]
fn the_seed_documents_are_valid() {
    for text in [TOML_POSTMORTEM, YAML_POSTMORTEM] {
        let parsed = parse(text);
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        assert!(parsed.postmortem.is_some());
    }
    let config = config::parse(CONFIG).unwrap();
    assert_eq!(config.severities.len(), 2);
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn parse_file_survives_arbitrary_text(text in any::<String>()) {
        check_parse_file(&text)?;
    }

    #[test]
    fn parse_file_survives_front_matter_fragments(
        opener in prop::sample::select(&["+++\n", "---\n", "\u{feff}+++\r\n", "---\r\n", ""][..]),
        text in fragments(FRONT_MATTER_FRAGMENTS),
    ) {
        check_parse_file(&format!("{opener}{text}"))?;
    }

    #[test]
    fn parse_file_survives_mutated_postmortems(
        yaml in any::<bool>(),
        edits in edits(),
    ) {
        let seed = if yaml { YAML_POSTMORTEM } else { TOML_POSTMORTEM };
        check_parse_file(&mutate(seed, &edits))?;
    }

}

proptest! {
    #![proptest_config(cases(64))]

    /// saphyr loads block nesting recursively: before `tree::parse` capped it, 1,000 levels
    /// of `- ` overflowed a 2 MiB stack and aborted the process.
    #[test]
    fn parse_file_survives_deep_nesting(
        (open, close) in prop::sample::select(&[
            ("---\nextra:\n", "---\n"),
            ("---\n", "---\n"),
            ("+++\n[extra]\na = ", "+++\n"),
        ][..]),
        (level, end) in prop::sample::select(&[
            ("- ", ""), ("? ", ""), (": ", ""), ("[", "]"), ("{a: ", "}"), ("{a = ", "}"),
            ("a:\n", ""), ("- a:\n", ""), ("&x - ", ""), ("!t [", "]"),
        ][..]),
        depth in prop_oneof![0..300usize, 0..6_000usize],
        indent in any::<bool>(),
    ) {
        // Each level on its own line, indented one more, or all on one line.
        let depth = if indent { depth.min(400) } else { depth };
        let mut text = open.to_string();
        for i in 0..depth {
            if indent {
                text.push('\n');
                text.push_str(&" ".repeat(i));
            }
            text.push_str(level);
        }
        text.push('x');
        text.push_str(&end.repeat(depth));
        text.push('\n');
        text.push_str(close);
        check_parse_file(&text)?;
    }
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn config_parse_survives_arbitrary_text(text in any::<String>()) {
        check_config(&text)?;
    }

    #[test]
    fn config_parse_survives_config_fragments(text in fragments(CONFIG_FRAGMENTS)) {
        check_config(&text)?;
    }

    #[test]
    fn config_parse_survives_mutated_configs(edits in edits()) {
        check_config(&mutate(CONFIG, &edits))?;
    }
}

// ---------------------------------------------------------------------------------------------
// front_matter::split
// ---------------------------------------------------------------------------------------------

/// Front matter lines, none of which closes the front matter opened with `delimiter`.
fn front_matter_lines(delimiter: &'static str) -> impl Strategy<Value = String> {
    let line = prop_oneof![
        any::<String>(),
        prop::sample::select(FRONT_MATTER_FRAGMENTS).prop_map(str::to_string),
        prop::sample::select(&["+++", "---", "+++ x", " +++", "---x", "+++\r", "--- \t"][..])
            .prop_map(str::to_string),
    ]
    .prop_map(|l| l.replace('\n', " "))
    .prop_filter(
        "a line equal to the delimiter closes the front matter",
        move |l| l.trim_end() != delimiter,
    );
    let ending = prop::sample::select(&["\n", "\r\n"][..]);
    prop::collection::vec((line, ending), 0..8).prop_map(|lines| {
        lines
            .into_iter()
            .map(|(line, ending)| line + ending)
            .collect::<String>()
    })
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn split_gives_back_front_matter_and_body(
        bom in any::<bool>(),
        yaml in any::<bool>(),
        crlf_open in any::<bool>(),
        close in prop::sample::select(&["\n", "\r\n", " \n", "\t\r\n"][..]),
        front in front_matter_lines("+++"),
        body in any::<String>(),
        yaml_front in front_matter_lines("---"),
    ) {
        let (delimiter, format, front) = if yaml {
            ("---", Format::Yaml, yaml_front)
        } else {
            ("+++", Format::Toml, front)
        };
        let text = format!(
            "{}{delimiter}{}{front}{delimiter}{close}{body}",
            if bom { "\u{feff}" } else { "" },
            if crlf_open { "\r\n" } else { "\n" },
        );
        let split = front_matter::split(&text).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        prop_assert_eq!(split.format, format);
        prop_assert_eq!(split.front_matter, front.as_str());
        prop_assert_eq!(split.body, body.as_str());
        prop_assert_eq!(&text[split.front_matter_offset..][..front.len()], front.as_str());
        prop_assert_eq!(&text[split.body_offset..], body.as_str());
    }

    #[test]
    fn split_closed_at_the_end_of_the_file_has_an_empty_body(front in front_matter_lines("+++")) {
        let text = format!("+++\n{front}+++");
        let split = front_matter::split(&text).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        prop_assert_eq!(split.front_matter, front.as_str());
        prop_assert_eq!(split.body, "");
        prop_assert_eq!(split.body_offset, text.len());
    }

    #[test]
    fn split_never_panics(text in fragments(FRONT_MATTER_FRAGMENTS)) {
        match front_matter::split(&text) {
            Ok(split) => {
                prop_assert!(split.front_matter_offset + split.front_matter.len() <= split.body_offset);
                prop_assert_eq!(&text[split.body_offset..], split.body);
            }
            Err(e) => {
                prop_assert!(e.span.start <= e.span.end && e.span.end <= text.len());
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Moment
// ---------------------------------------------------------------------------------------------

fn date() -> impl Strategy<Value = NaiveDate> {
    (
        // The years pmsite takes (`moment::YEARS`), their ends and the years before 1970.
        prop_oneof![
            1900..=2999i32,
            1900..=1969i32,
            1960..=2040i32,
            Just(1900),
            Just(2999)
        ],
        1..=12u32,
        1..=31u32,
    )
        .prop_map(|(y, m, d)| {
            // Clamp to the month's last day instead of rejecting, so month ends are common.
            (0..=3)
                .find_map(|back| NaiveDate::from_ymd_opt(y, m, d - back))
                .expect("every month has 28 days")
        })
}

fn datetime() -> impl Strategy<Value = DateTime<FixedOffset>> {
    let nanos = prop_oneof![
        Just(0u32),
        (0..1000u32).prop_map(|ms| ms * 1_000_000),
        (0..1_000_000u32).prop_map(|us| us * 1000),
        0..1_000_000_000u32,
    ];
    // RFC 3339 offsets are whole minutes, at most 23:59 either way.
    let offset = prop_oneof![Just(0i32), -(23 * 60 + 59)..=(23 * 60 + 59)];
    // chrono keeps a leap second (`23:59:60`) as second 59 with 1e9 or more nanoseconds.
    let second = prop_oneof![8 => (0..60u32).prop_map(|s| (s, false)), 1 => Just((59, true))];
    (date(), 0..24u32, 0..60u32, second, nanos, offset).prop_filter_map(
        "the instant must be in chrono's range",
        |(day, h, m, (s, leap), nanos, offset)| {
            let nanos = if leap { nanos + 1_000_000_000 } else { nanos };
            let time = NaiveTime::from_hms_nano_opt(h, m, s, nanos)?;
            let offset = FixedOffset::east_opt(offset * 60)?;
            NaiveDateTime::new(day, time).and_local_timezone(offset).single()
        },
    )
}

fn moment() -> impl Strategy<Value = Moment> {
    prop_oneof![date().prop_map(Moment::Day), datetime().prop_map(Moment::At)]
}

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn moment_parse_never_panics(text in any::<String>()) {
        let _ = Moment::parse(&text);
    }

    #[test]
    fn moment_parse_never_panics_on_near_dates(
        m in moment(),
        edits in prop::collection::vec((any::<Index>(), any::<Index>(), edit()), 0..3),
        space in any::<bool>(),
    ) {
        let mut text = m.machine();
        if space && text.len() > 10 {
            text.replace_range(10..11, " ");
        }
        let _ = Moment::parse(&mutate(&text, &edits));
    }

    #[test]
    fn an_impossible_date_is_named_exactly_when_chrono_refuses_it(
        year in 0..=9999u32, month in 0..=99u32, day in 0..=99u32,
        hour in 0..=99u32, minute in 0..=99u32, offset in 0..=99u32, with_time in any::<bool>(),
    ) {
        let text = if with_time {
            format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:00+{offset:02}:00")
        } else {
            format!("{year:04}-{month:02}-{day:02}")
        };
        let refused = if with_time {
            chrono::DateTime::parse_from_rfc3339(&text).is_err()
        } else {
            NaiveDate::parse_from_str(&text, "%Y-%m-%d").is_err()
        };
        prop_assert_eq!(impossible(&text).is_some(), refused, "{}", text);
        prop_assert_eq!(matches!(Moment::parse(&text), Err(MomentError::Impossible(_))), refused, "{}", text);
    }

    #[test]
    fn moment_machine_form_round_trips(m in moment()) {
        let text = m.machine();
        let back = Moment::parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e:?}")))?;
        prop_assert_eq!(back, m, "{}", text);
        // `DateTime` equality compares instants only; the offset must survive too.
        if let (Moment::At(a), Moment::At(b)) = (back, m) {
            prop_assert_eq!(a.offset(), b.offset(), "{}", text);
        }
        prop_assert_eq!(back.machine(), text);
    }

    #[test]
    fn moment_outside_the_years_is_refused_with_its_year(
        year in prop_oneof![-262_000..1900i32, 3000..=262_000i32],
    ) {
        let text = if (0..=9999).contains(&year) {
            format!("{year:04}-06-15")
        } else {
            format!("{year:+}-06-15")
        };
        prop_assert_eq!(Moment::parse(&text), Err(MomentError::OutOfRange(year)), "{}", text);
    }

    #[test]
    fn moment_with_a_space_for_the_t_means_the_same(at in datetime()) {
        let m = Moment::At(at);
        let text = m.machine().replacen('T', " ", 1);
        prop_assert_eq!(Moment::parse(&text), Ok(m), "{}", text);
    }
}

#[test]
fn moment_parses_toml_datetimes_without_seconds() {
    assert_eq!(
        Moment::parse("2024-03-08T15:42Z"),
        Moment::parse("2024-03-08T15:42:00Z")
    );
}

// ---------------------------------------------------------------------------------------------
// links and slugs
// ---------------------------------------------------------------------------------------------

/// A key as `content::load` makes them: `/`-separated names, none empty, `.` or `..`.
fn file_key() -> impl Strategy<Value = String> {
    (
        prop::collection::vec("[a-zA-Z0-9_é数 .-]{1,8}", 0..4),
        "[a-z0-9-]{1,8}",
    )
        .prop_filter_map("a key has no empty, `.` or `..` segments", |(dirs, stem)| {
            let dirs: Vec<String> = dirs.into_iter().filter(|d| d != "." && d != "..").collect();
            let mut key = dirs.join("/");
            if !key.is_empty() {
                key.push('/');
            }
            key.push_str(&stem);
            key.push_str(".md");
            Some(key)
        })
}

fn destination() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(
                &[
                    "..", ".", "/", "//", "%2e", "%2E%2e", "%2f", "%2F", "%", "%zz", "%2", "%00",
                    "%ff", "%c3%a9", "#", "?", "a.md", "b", ".md", ":", "https:", "mailto:", " ",
                    "\t", "é", "\\", "+1", "%+1",
                ][..],
            )
            .prop_map(str::to_string),
            1 => any::<String>().prop_map(|s| s.chars().take(4).collect::<String>()),
        ],
        0..12,
    )
    .prop_map(|parts| parts.concat())
}

fn check_key(key: &str) -> Result<(), TestCaseError> {
    // A link to the linking file's folder (`.`, `./`, `sub/..`) resolves to the folder's key,
    // which is empty for the top folder: not a file, so `validate` reports a broken link.
    if key.is_empty() {
        return Ok(());
    }
    prop_assert!(
        key.split('/').all(|s| !s.is_empty() && s != ".."),
        "bad key {:?}",
        key
    );
    Ok(())
}

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn resolve_never_panics(from in any::<String>(), to in any::<String>()) {
        let _ = links::resolve(&from, &to);
        let _ = links::is_dangerous(&to);
    }

    #[test]
    fn resolve_keys_stay_inside_the_content(from in file_key(), to in destination()) {
        match links::resolve(&from, &to) {
            Target::Postmortem { key, .. } => {
                check_key(&key)?;
                prop_assert!(key.ends_with(".md"));
            }
            Target::File { key } => check_key(&key)?,
            Target::External | Target::SamePage { .. } | Target::OutsideContent => {}
        }
    }

    #[test]
    fn dangerous_schemes_are_found_however_spaced(
        scheme in prop::sample::select(&["javascript:", "vbscript:", "data:text/html"][..]),
        noise in prop::collection::vec(prop::sample::select(&[" ", "\t", "\n", "\u{0}", "\u{1f}"][..]), 0..4),
        upper in any::<bool>(),
        rest in any::<String>(),
    ) {
        let mut text = String::new();
        for (i, c) in scheme.chars().enumerate() {
            if let Some(n) = noise.get(i % 5) { text.push_str(n) }
            text.push(if upper { c.to_ascii_uppercase() } else { c });
        }
        text.push_str(&rest);
        prop_assert!(links::is_dangerous(&text), "{:?}", text);
    }

    #[test]
    fn slugs_are_lowercase_words_joined_by_single_dashes(text in any::<String>()) {
        check_slug(&slugify(&text))?;
    }

    #[test]
    fn slugs_of_heading_like_text(
        text in prop::collection::vec("[ A-Za-z0-9_./!?()-]{0,6}|[éÄİẞΣΌǅ数٣²]", 0..10).prop_map(|v| v.concat()),
    ) {
        check_slug(&slugify(&text))?;
    }
}

#[test]
fn resolve_leaves_signed_percent_escapes_alone() {
    assert_eq!(
        links::resolve("a.md", "%+41.md"),
        Target::Postmortem {
            key: "%+41.md".into(),
            fragment: None
        }
    );
}

fn check_slug(slug: &str) -> Result<(), TestCaseError> {
    prop_assert!(!slug.starts_with('-') && !slug.ends_with('-'), "{:?}", slug);
    prop_assert!(!slug.contains("--"), "{:?}", slug);
    let mut previous = None;
    for c in slug.chars() {
        // KNOWN BUG: `İ` (U+0130) lowercases to `i` + U+0307 COMBINING DOT ABOVE, which is
        // not alphanumeric; see `slugify_of_dotted_capital_i_is_alphanumeric` below.
        let dotted_i = c == '\u{307}' && previous == Some('i');
        prop_assert!(
            c == '-' || dotted_i || (c.is_alphanumeric() && c.to_lowercase().eq([c])),
            "{:?} in {:?}",
            c,
            slug
        );
        previous = Some(c);
    }
    Ok(())
}

#[test]
fn slugify_keeps_letters_that_have_no_lowercase() {
    assert_eq!(slugify("𝕀 Ⅻ ²"), "𝕀-ⅻ-²");
}

#[test]
fn slugify_of_dotted_capital_i_is_alphanumeric() {
    assert_eq!(slugify("İstanbul"), "istanbul");
}

#[test]
fn resolve_of_the_folder_itself_is_not_a_postmortem() {
    for to in [".", "./", "%2e", "x/.."] {
        assert_eq!(
            links::resolve("a.md", to),
            Target::File { key: String::new() },
            "{to}"
        );
    }
    assert_eq!(
        links::resolve("2024/a.md", "."),
        Target::File { key: "2024".into() }
    );
}

// ---------------------------------------------------------------------------------------------
// Location and markdown
// ---------------------------------------------------------------------------------------------

fn offset() -> impl Strategy<Value = usize> {
    prop_oneof![0..64usize, any::<usize>(), Just(usize::MAX)]
}

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn location_of_never_panics(
        text in prop_oneof![any::<String>(), fragments(FRONT_MATTER_FRAGMENTS)],
        start in offset(),
        end in offset(),
    ) {
        #[allow(clippy::reversed_empty_ranges)]
        let at = Location::of(&text, start..end);
        check_location(&text, &at)?;
    }
}

const MARKDOWN_FRAGMENTS: &[&str] = &[
    "# ",
    "## ",
    "###### ",
    "####### ",
    "\n",
    "\n\n",
    "Impact",
    "impact",
    "Impact-1",
    "{#",
    "}",
    "{#impact}",
    "{#main}",
    "{#pm-toc}",
    "{#}",
    "{ .class }",
    "`",
    "``",
    "[",
    "]",
    "(",
    ")",
    "![",
    "[x](a.md)",
    "<https://x>",
    "[^1]",
    "[^1]: ",
    "|",
    "|---|",
    "> ",
    "- ",
    "* ",
    "1. ",
    "```",
    "~~",
    "- [ ] ",
    "\\",
    "*",
    "_",
    "<h2 id=\"x\">",
    "é",
    "İ",
    "数",
    "\r\n",
    "\t",
    "---",
    "===",
    "&amp;",
    "&#0;",
];

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn scan_survives_arbitrary_bodies(body in any::<String>(), offset in 0..1000usize) {
        check_outline(&body, offset)?;
    }

    #[test]
    fn scan_survives_markdown_fragments(
        body in prop::collection::vec(
            prop_oneof![
                4 => prop::sample::select(MARKDOWN_FRAGMENTS).prop_map(str::to_string),
                1 => any::<String>().prop_map(|s| s.chars().take(4).collect::<String>()),
            ],
            0..64,
        ).prop_map(|v| v.concat()),
        offset in 0..1000usize,
    ) {
        check_outline(&body, offset)?;
    }
}

fn check_outline(body: &str, offset: usize) -> Result<(), TestCaseError> {
    let outline = markdown::scan(body, offset);
    let mut ids = std::collections::HashSet::new();
    for h in &outline.headings {
        prop_assert!(ids.insert(h.id.clone()), "duplicate id {:?}", h.id);
        prop_assert!(!markdown::RESERVED_IDS.contains(&h.id.as_str()), "{:?}", h.id);
        prop_assert!((1..=6).contains(&h.level));
    }
    for link in &outline.links {
        let (Some(start), Some(end)) = (
            link.span.start.checked_sub(offset),
            link.span.end.checked_sub(offset),
        ) else {
            return Err(TestCaseError::fail(format!("{link:?} before the body")));
        };
        prop_assert!(start <= end && end <= body.len(), "{:?}", link);
        prop_assert!(body.is_char_boundary(start) && body.is_char_boundary(end));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Policy checks (pmsite::check): whatever the file says, they report, never panic, and point
// into the file.
// ---------------------------------------------------------------------------------------------

/// Pieces that steer generated bodies towards what the policy scanners look at.
const POLICY_FRAGMENTS: &[&str] = &[
    "\n",
    "\n\n",
    " ",
    "## Root cause\n",
    "## Contributing factors\n",
    "### x\n",
    "- ",
    "> ",
    "```\n",
    "`",
    "\"",
    "“",
    "”",
    "'s",
    ". ",
    ", ",
    "At 15:42, ",
    "human error",
    "Human\nerror",
    "careless",
    "should have known",
    "ana",
    "Ana",
    "ana.lee",
    "Ana Lee",
    "<!-- pmsite-allow: PM101 reason -->",
    "<!-- pmsite-allow: PM",
    "pmsite-allow:",
    "-->",
    "AKIAIOSFODNN7EXAMPLQ",
    "-----BEGIN PRIVATE KEY-----",
    "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
    "eyJhbGciOiJI.eyJzdWIiOiIx.dozjgNryP4J3",
    "postgres://u:p@h/",
    "password=",
    "secret: ",
    "<redacted>",
    "${X}",
    "Zm9vYmFyQmF6UXV4MTIzNDU2Nzg5MEFCQ0RFRkdISUpL",
    "&amp;",
    "\\",
    "é",
    "\u{FFFC}",
    "[x](y.md)",
    "|",
    "Bob forgot",
    "the junior DBA simply ignored",
    " ran ",
    "caused by ",
    "’s lack of attention",
    "s' fault",
    "screwed up",
    "<!-- What happened, in a paragraph",
    "## Summary\n\n",
    "Two or three plain sentences: what happened",
    "| 1 | Why? | |\n",
    "first.last",
];

const POLICY_FRONT: &str = "+++\ntitle = \"t\"\nseverity = \"SEV1\"\nstarted_at = 2024-03-08T15:42:00Z\ndetected_at = 2024-03-08T15:50:00Z\nsummary = \"s\"\nauthors = [\"ana.lee\"]\ncontributing_factors = [\"Ana ran it.\"]\n[[timeline]]\nat = 2024-03-08T15:45:00Z\nkind = \"alert\"\ntext = \"careless AKIAIOSFODNN7EXAMPLQ\"\n[[action_items]]\ntitle = \"x\"\ndue = 2025-01-01\nstatus = \"done\"\n+++\n";

/// The content of a site of one file, `text`, as the loader would hand it to the checks.
fn content_of(text: &str) -> pmsite::content::Content {
    let parsed = parse(text);
    pmsite::content::Content {
        postmortems: parsed.postmortem.into_iter().map(|pm| *pm).collect(),
        files: Default::default(),
        unreadable_front_matter: parsed.orphan.into_iter().map(|source| *source).collect(),
        ..Default::default()
    }
}

fn check_policy(text: &str) -> Result<(), TestCaseError> {
    let content = content_of(text);
    let mut config = Config::default();
    config.checks.people = vec!["ana".into(), "\\".into(), "a b.c".into(), "@".into()];
    let today = NaiveDate::from_ymd_opt(2024, 6, 1).unwrap();
    let found: Vec<_> = pmsite::check::check(&content, &config, today, None)
        .iter()
        .cloned()
        .collect();
    check_diagnostics(text, &found)?;
    for d in &found {
        prop_assert!(d.location.is_some(), "a finding without a place: {d:?}");
    }
    Ok(())
}

#[test]
fn the_policy_seed_finds_something_of_every_family() {
    let text = format!("{POLICY_FRONT}## Root cause\n\nAna ran it. It was human error. `secret: hunter2`\n");
    let content = content_of(&text);
    let today = NaiveDate::from_ymd_opt(2024, 6, 1).unwrap();
    let found: Vec<_> = pmsite::check::check(&content, &Config::default(), today, None)
        .iter()
        .cloned()
        .collect();
    let families: std::collections::BTreeSet<char> = found
        .iter()
        .map(|d| d.code.as_str().as_bytes()[2] as char)
        .collect();
    assert_eq!(families.into_iter().collect::<String>(), "12345", "{found:#?}");
}

/// A front matter whose title is `title`, for an archive of several postmortems.
fn titled(title: &str, body: &str) -> String {
    POLICY_FRONT.replacen("title = \"t\"", &format!("title = {title:?}"), 1) + body
}

/// Blame whose agent is a tool only while another postmortem writes its name in lowercase:
/// what the archive's vocabulary decides.
const VOCABULARY_FRAGMENTS: &[&str] = &[
    "Hermes forgot to fail over. ",
    "Ana ignored the alert. ",
    "Terraform deleted the bucket. ",
    "Kafka missed the deadline. ",
    "## Root cause\n",
    "\n\n",
    "<!-- pmsite-allow: PM104 vendor quote -->\n",
];

const VOCABULARY_TITLES: &[&str] = &["hermes restarted", "kafka lag", "plain title", "ana's dashboard"];

/// Front matter that makes an incident a recurrence of another (same service and root
/// cause, no link between them), or not, and moves it out of the recent days.
const RECURRENCE_LABELS: &[&str] = &[
    "",
    "services = [\"db\"]\nroot_causes = [\"config\"]\n",
    "services = [\"db\"]\nroot_causes = [\"capacity\"]\n",
    "services = [\"db\"]\nroot_causes = [\"config\"]\nrelated = [\"0\"]\n",
];
const RECURRENCE_DATES: &[&str] = &["2024-03-08", "2023-11-20", "2024-05-30"];

proptest! {
    #![proptest_config(cases(64))]

    /// `pmsite serve` re-checks only what changed; what it reports must be what a full
    /// check reports, whatever was edited (a body, a title that changes the vocabulary, or
    /// the labels and dates that make an unlinked recurrence).
    #[test]
    fn a_remembered_check_finds_what_a_full_check_finds(
        steps in prop::collection::vec(
            (
                0..3usize,
                // Which of the file's title, body, labels and date the step changes (one
                // alone, or all four), so that each is seen changing on its own.
                0..5usize,
                prop::sample::select(VOCABULARY_TITLES),
                fragments(VOCABULARY_FRAGMENTS),
                prop::sample::select(RECURRENCE_LABELS),
                prop::sample::select(RECURRENCE_DATES),
            ),
            1..8,
        ),
    ) {
        let config = Config::default();
        let today = NaiveDate::from_ymd_opt(2024, 6, 1).unwrap();
        // Recurrences from the start: three incidents of one cause and service, one old and
        // two recent, none linked.
        let mut files: Vec<(&str, String, &str, &str)> = [RECURRENCE_DATES[1], RECURRENCE_DATES[0], RECURRENCE_DATES[2]]
            .into_iter()
            .map(|date| ("plain title", String::new(), RECURRENCE_LABELS[1], date))
            .collect();
        let text_of = |(title, body, labels, date): &(&str, String, &str, &str)| {
            titled(title, body)
                .replacen("summary = \"s\"\n", &format!("summary = \"s\"\n{labels}"), 1)
                .replace("2024-03-08", date)
        };
        let mut texts: Vec<String> = files.iter().map(text_of).collect();
        let mut memo = pmsite::check::Memo::default();
        let dir = tempfile::tempdir().unwrap();
        let on_disk = |i: usize| dir.path().join(format!("{i}.md"));
        for (file, part, title, body, labels, date) in steps {
            let edited = &mut files[file];
            match part {
                0 => edited.0 = title,
                1 => edited.1 = body,
                2 => edited.2 = labels,
                3 => edited.3 = date,
                _ => *edited = (title, body, labels, date),
            }
            texts[file] = text_of(edited);
            for (i, text) in texts.iter().enumerate() {
                std::fs::write(on_disk(i), text).unwrap();
            }
            let parsed = || pmsite::content::Content {
                postmortems: texts
                    .iter()
                    .enumerate()
                    .filter_map(|(i, text)| {
                        parse_file(
                            Path::new(&format!("postmortems/{i}.md")),
                            format!("{i}.md"),
                            text,
                            &config,
                        )
                        .postmortem
                        .map(|pm| *pm)
                    })
                    .collect(),
                ..Default::default()
            };
            let full = pmsite::check::check(&parsed(), &config, today, None);
            // As a preview keeps its parses: without their trees and line tables, which a
            // file checked again makes anew, and with their front matter and body left in
            // their files, which it reads back.
            let mut kept = parsed();
            kept.release_trees();
            for pm in &mut kept.postmortems {
                let file = dir.path().join(&pm.source.key);
                pm.source.leave_head_in(&file);
                pm.source.leave_body_in(&file);
            }
            let remembered = pmsite::check::check(&kept, &config, today, Some(&mut memo));
            prop_assert_eq!(remembered, full);
        }
    }
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn policy_checks_survive_arbitrary_bodies(body in fragments(POLICY_FRAGMENTS)) {
        check_policy(&format!("{POLICY_FRONT}{body}"))?;
    }

    #[test]
    fn policy_checks_survive_arbitrary_text(text in any::<String>()) {
        check_policy(&format!("{POLICY_FRONT}{text}"))?;
    }

    #[test]
    fn policy_checks_survive_mutated_postmortems(edits in edits()) {
        check_policy(&mutate(TOML_POSTMORTEM, &edits))?;
        check_policy(&mutate(POLICY_FRONT, &edits))?;
    }

    #[test]
    fn configured_phrases_and_people_never_break_the_matchers(
        words in prop::collection::vec(any::<String>(), 0..6),
        body in fragments(POLICY_FRAGMENTS),
    ) {
        let text = format!("{POLICY_FRONT}{body}");
        let content = content_of(&text);
        let mut config = Config::default();
        config.checks.blaming_phrases = words.clone();
        config.checks.people = words;
        let today = NaiveDate::from_ymd_opt(2024, 6, 1).unwrap();
        let found: Vec<_> = pmsite::check::check(&content, &config, today, None).iter().cloned().collect();
        check_diagnostics(&text, &found)?;
    }

    #[test]
    fn secret_scanners_never_panic(text in any::<String>()) {
        let _ = pmsite::check::secrets::random_tokens(&text);
        let _ = pmsite::check::secrets::is_placeholder(&text);
        prop_assert!(pmsite::check::secrets::entropy(&text) >= 0.0);
    }
}

/// A small index to query: words, prefixes, typos, a ticket.
fn search_index() -> pmsite::search::Searcher {
    use pmsite::search::Fields;
    use tantivy::TantivyDocument;
    let (schema, fields) = Fields::schema();
    let index = tantivy::Index::create_in_ram(schema);
    let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
    let texts = [
        "Expired certificate stopped payments PAY-1510 pay1510",
        "Schema migration locked the orders table; lock timeout naïve Ünïcode 𝔘 x509",
    ];
    for text in texts {
        let mut doc = TantivyDocument::default();
        for field in [fields.title, fields.body] {
            doc.add_text(field, text);
        }
        doc.add_i64(fields.started, 0);
        doc.add_text(
            fields.meta,
            r#"{"id": "a", "title": "t", "summary": "", "severity": "SEV1", "date": "2024-01-01", "url": "",
                "services": [], "teams": [], "root_causes": [], "tags": [], "sections": []}"#,
        );
        writer.add_document(doc).unwrap();
    }
    writer.commit().unwrap();
    pmsite::search::Searcher::new(index, pmsite::search::Vocabulary::of_texts(texts)).unwrap()
}

proptest! {
    #![proptest_config(cases(256))]

    /// Whatever a reader types (quotes, tickets, colons, long words, any script), a query
    /// is read and run, never a panic.
    #[test]
    fn search_queries_never_panic(
        text in prop_oneof![
            any::<String>(),
            fragments(&["\"", " ", "cert", "certifcate", "PAY-", "1510", ":", "-", "lo", "𝔘", "x509", "Ü", "\"lock timeout\""]),
        ]
    ) {
        let searcher = search_index();
        let filters = pmsite::search::Filters::default();
        searcher.search(&text, &filters, pmsite::search::Order::Relevance, 10).map(|_| ()).map_err(|e| TestCaseError::fail(e.to_string()))?;
    }
}

// ---------------------------------------------------------------------------------------------
// pmsite import: whatever an old archive holds, the importer names a reason or writes a file
// that loads without errors.
// ---------------------------------------------------------------------------------------------

const IMPORT_FRAGMENTS: &[&str] = &[
    "# Outage 2024-03-08\n",
    "## Timeline (PST)\n",
    "## Timeline\n",
    "## Action items\n",
    "## Summary\n",
    "- 23:59 alert\n",
    "- 00:01 ::::: fixed\n",
    "- 2018-02-13 16:37:31 UTC paged\n",
    "- 12:00 pm EDT - x\n",
    "* 99:99 not a time\n",
    "- [x] [ana] done (due 2024-13-45)\n",
    "- [ ] @bo fix [T-1](https://t.example/T-1)\n",
    "| Action | Owner | Due | Status |\n| --- | --- | --- | --- |\n| a | b | 2024-02-30 | ??? |\n",
    "| Action |\n",
    "```\n- 10:00 code\n",
    "[old](../x.md)\n",
    "---\ntitle: [\n---\n",
    "---\ndate: 2024-01-01 25:00\npriority: P9\nid: \"Bad Id\"\nservices: 3\n---\n",
    "+++\nseverity = \"SEV1\"\nstarted_at = 1\n+++\n",
    "<h1>T</h1><ul><li>10:00 x</li></ul>",
    "\u{feff}",
    "\n",
    "plain words\n",
];

proptest! {
    #![proptest_config(cases(128))]

    #[test]
    fn import_never_panics_and_what_it_writes_loads(
        body in fragments(IMPORT_FRAGMENTS),
        noise in any::<String>(),
        html in any::<bool>(),
    ) {
        let config = Config::default();
        let mapping = pmsite::import::Mapping::default();
        let name = if html { "old/2024-01-02-x.html" } else { "old/2024-01-02-x.md" };
        for text in [body.clone(), format!("{body}{noise}"), noise.clone()] {
            let mut notes = pmsite::import::Notes::default();
            let converted = pmsite::import::convert(Path::new(name), text, &config, &mapping, &mut notes);
            if let Ok((relative, id, written)) = converted {
                let parsed = parse_file(&relative, id, &written, &config);
                let errors: Vec<_> = parsed
                    .diagnostics
                    .iter()
                    .filter(|d| d.level == pmsite::diagnostic::Level::Error)
                    .collect();
                prop_assert!(errors.is_empty(), "{written}\n{errors:?}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Similar incidents (pmsite::search::rank ranks as incident pages do): every listed incident
// shares what its reasons claim, and a new postmortem leaves alone the lists of the incidents
// it shares nothing with.
// ---------------------------------------------------------------------------------------------

/// Words whose stems are all different, so "shares a word" can be checked without a stemmer.
const SIMILAR_WORDS: &[&str] = &[
    "latency",
    "timeouts",
    "queue",
    "cache",
    "replica",
    "certificate",
    "canary",
    "quota",
    "pool",
    "deadlock",
    "schema",
    "resolver",
    "failover",
    "partition",
    "memory",
    "retry",
    "disk",
    "token",
];
const SIMILAR_SERVICES: &[&str] = &["checkout", "payments", "auth", "search"];
const SIMILAR_CAUSES: &[&str] = &["deploy", "capacity", "dns"];

/// (title words, summary words, services, root causes) of one generated postmortem.
type Spec = (Vec<usize>, Vec<usize>, Vec<usize>, Vec<usize>);

fn spec() -> impl Strategy<Value = Spec> {
    (
        prop::collection::vec(0..SIMILAR_WORDS.len(), 1..4),
        prop::collection::vec(0..SIMILAR_WORDS.len(), 1..5),
        prop::collection::vec(0..SIMILAR_SERVICES.len(), 0..3),
        prop::collection::vec(0..SIMILAR_CAUSES.len(), 0..2),
    )
}

/// Postmortem `i` of a generated archive, started on day `i`.
fn generated_postmortem(i: usize, (title, summary, services, causes): &Spec) -> pmsite::content::Postmortem {
    let words = |picks: &[usize]| {
        picks
            .iter()
            .map(|&w| SIMILAR_WORDS[w])
            .collect::<Vec<_>>()
            .join(" ")
    };
    let list = |picks: &[usize], names: &[&str]| {
        picks
            .iter()
            .map(|&n| format!("\"{}\"", names[n]))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let day = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + chrono::Days::new(i as u64);
    let text = format!(
        "+++\ntitle = \"{}\"\nseverity = \"SEV2\"\nstarted_at = {day}T10:00:00Z\nsummary = \"{}\"\n\
         services = [{}]\nroot_causes = [{}]\n+++\n",
        words(title),
        words(summary),
        list(services, SIMILAR_SERVICES),
        list(causes, SIMILAR_CAUSES),
    );
    let id = format!("pm-{i:03}");
    let parsed = parse_file(Path::new(&id), id.clone(), &text, &Config::default());
    *parsed
        .postmortem
        .unwrap_or_else(|| panic!("{text}\n{:?}", parsed.diagnostics))
}

/// Each postmortem's list, as an incident page would show it.
fn similar_lists(postmortems: &[pmsite::content::Postmortem]) -> Vec<Vec<String>> {
    let everyone: Vec<usize> = (0..postmortems.len()).collect();
    pmsite::search::rank(postmortems, &everyone, &|_, _| true, 5)
        .into_iter()
        .map(|list| list.into_iter().map(|j| postmortems[j].id.clone()).collect())
        .collect()
}

/// Whether two generated postmortems share a word of their titles and summaries, a service
/// or a root cause.
fn share_anything(a: &Spec, b: &Spec) -> bool {
    let words = |s: &Spec| -> Vec<usize> { s.0.iter().chain(&s.1).copied().collect() };
    let any = |x: &[usize], y: &[usize]| x.iter().any(|v| y.contains(v));
    any(&words(a), &words(b)) || any(&a.2, &b.2) || any(&a.3, &b.3)
}

proptest! {
    #![proptest_config(cases(64))]

    #[test]
    fn every_similar_incident_shares_something_and_never_is_itself(
        specs in prop::collection::vec(spec(), 1..40),
    ) {
        let postmortems: Vec<_> = specs.iter().enumerate().map(|(i, s)| generated_postmortem(i, s)).collect();
        for (i, list) in similar_lists(&postmortems).iter().enumerate() {
            prop_assert!(list.len() <= 5);
            let mut distinct = list.clone();
            distinct.sort();
            distinct.dedup();
            prop_assert_eq!(distinct.len(), list.len(), "listed twice");
            for id in list {
                let j: usize = id["pm-".len()..].parse().unwrap();
                prop_assert!(j != i, "{} lists itself", id);
                prop_assert!(share_anything(&specs[i], &specs[j]), "{} lists {}, which shares nothing", i, j);
            }
        }
    }

    /// A postmortem dated after all others enters some lists and changes nothing else: a
    /// list that changed is the one before with the newcomer put in its place (and the last
    /// one dropped when the list was full), and a list that shares nothing with it stays.
    #[test]
    fn a_newest_postmortem_changes_only_the_lists_it_enters(
        specs in prop::collection::vec(spec(), 2..40),
        newest in spec(),
    ) {
        let mut postmortems: Vec<_> = specs.iter().enumerate().map(|(i, s)| generated_postmortem(i, s)).collect();
        let before = similar_lists(&postmortems);
        postmortems.push(generated_postmortem(specs.len(), &newest));
        let newcomer = postmortems.last().unwrap().id.clone();
        let after = similar_lists(&postmortems);
        for (i, spec) in specs.iter().enumerate() {
            if !share_anything(spec, &newest) {
                prop_assert_eq!(&before[i], &after[i], "incident {}", i);
            }
            let others: Vec<&String> = after[i].iter().filter(|id| **id != newcomer).collect();
            let kept: Vec<&String> = before[i].iter().take(others.len()).collect();
            prop_assert_eq!(others, kept, "incident {}", i);
        }
    }

    /// The lists do not depend on the order the postmortems come in.
    #[test]
    fn similar_lists_do_not_depend_on_the_order_of_the_archive(
        specs in prop::collection::vec(spec(), 1..30),
    ) {
        let postmortems: Vec<_> = specs.iter().enumerate().map(|(i, s)| generated_postmortem(i, s)).collect();
        let mut reversed = postmortems.clone();
        reversed.reverse();
        let mut back = similar_lists(&reversed);
        back.reverse();
        prop_assert_eq!(similar_lists(&postmortems), back);
    }
}

proptest! {
    /// Pagination (`render::pager`): every row of a list is on exactly one of its pages, in
    /// order, and a row arriving at the newest end changes no numbered page's rows.
    #[test]
    fn every_row_is_on_one_page_and_a_newer_row_moves_no_numbered_page(rows in 0usize..400, per_page in 0usize..40) {
        use pmsite::render::pager::Paginator;
        let paginator = Paginator::new(per_page);
        let list: Vec<usize> = (0..rows).rev().collect();
        let pages: Vec<Vec<usize>> = paginator
            .pages(rows)
            .map(|n| paginator.slice(&list, n).to_vec())
            .collect();
        prop_assert_eq!(pages.concat(), list.clone());
        let grown: Vec<usize> = (0..=rows).rev().collect();
        for number in paginator.pages(rows).skip(1) {
            prop_assert_eq!(paginator.slice(&list, number), paginator.slice(&grown, number));
        }
    }
}
