//! What a good human reviewer sends back, beyond the schema: dates that do not exist,
//! templates left unfilled, blaming language whoever it names, and the earlier incident a
//! new postmortem should link.

use crate::test::*;

/// `check --format json` findings as `CODE line field: message | hint`, in report order.
fn findings(site: &Site, today: &str) -> Vec<String> {
    let run = site.pmsite(&["check", "--format", "json", "--today", today]);
    run.json()["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{} {}:{} {}: {} | {}",
                d["code"].as_str().unwrap(),
                d["file"].as_str().unwrap().trim_start_matches("postmortems/"),
                d["line"],
                d["field"].as_str().unwrap_or("-"),
                d["message"].as_str().unwrap(),
                d["hint"].as_str().unwrap_or("")
            )
        })
        .collect()
}

#[test]
fn impossible_dates_say_what_is_wrong_in_toml_and_yaml() {
    let site = Site::new();
    site.write(
        "postmortems/a.md",
        "+++\ntitle = \"A\"\nseverity = \"SEV3\"\nstarted_at = 2026-11-31T10:00:00Z\nsummary = \"s\"\n+++\n",
    );
    site.write(
        "postmortems/b.md",
        "---\ntitle: B\nseverity: SEV3\nstarted_at: 2026-13-02\ndetected_at: 2026-02-29T10:00:00Z\nsummary: s\n---\n",
    );
    site.write(
        "postmortems/c.md",
        "+++\ntitle = \"C\"\nseverity = \"SEV3\"\nstarted_at = 2026-02-10T09:00:00Z\nsummary = \"s\"\n\
         [[timeline]]\nat = 2026-02-10T25:00:00Z\ntext = \"t\"\n+++\n",
    );
    let fix = "fix the day, month or time; the format is right";
    assert_eq!(
        findings(&site, "2026-12-01"),
        [
            format!(
                "PM001 a.md:4 -: `started_at` is not a date that exists: `2026-11-31T10:00:00Z`: November has 30 days | {fix}"
            ),
            format!(
                "PM005 b.md:4 started_at: `started_at` is not a date that exists: `2026-13-02`: month 13 does not exist (months run 01 to 12) | {fix}"
            ),
            format!(
                "PM005 b.md:5 detected_at: `detected_at` is not a date that exists: `2026-02-29T10:00:00Z`: 2026 is not a leap year: February 2026 has 28 days | {fix}"
            ),
            format!(
                "PM001 c.md:7 -: `at` is not a date that exists: `2026-02-10T25:00:00Z`: hour 25 does not exist (hours run 00 to 23) | {fix}"
            ),
        ]
    );
    site.pmsite(&["check"]).status(1);
}

#[test]
fn a_malformed_date_keeps_its_format_hint() {
    let site = Site::new();
    site.write(
        "postmortems/a.md",
        "---\ntitle: A\nseverity: SEV3\nstarted_at: 8 March 2024\nsummary: s\n---\n",
    );
    assert_eq!(
        findings(&site, "2026-12-01"),
        [
            "PM005 a.md:4 started_at: `started_at` is not a valid datetime or date: `8 March 2024` | write e.g. 2024-03-08T15:42:00Z, or 2024-03-08 when the time is unknown"
        ]
    );
}
