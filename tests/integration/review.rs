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

/// The ids the incident page of `id` lists as similar incidents, in its order.
fn similar_on_page(site: &Site, id: &str) -> Vec<String> {
    let html = site.read(&format!("public/incidents/{id}/index.html"));
    let list = html
        .split("<ul class=\"link-list similar\">")
        .nth(1)
        .and_then(|rest| rest.split("</ul>").next())
        .unwrap_or_else(|| panic!("{id}: no similar incidents"));
    attribute_values(list, &["href"])
        .iter()
        .map(|href| {
            href.trim_end_matches("/index.html")
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn pm503_names_the_earlier_incidents_the_page_ranks_first() {
    let site = Site::new();
    let pm = |name: &str, date: &str, service: &str, cause: &str, title: &str, summary: &str| {
        site.postmortem(
            &format!("{name}.md"),
            &format!(
                "title = \"{title}\"\nsummary = \"{summary}\"\nseverity = \"SEV4\"\nstarted_at = {date}\n\
                 services = [\"{service}\"]\nroot_causes = [\"{cause}\"]"
            ),
            "",
        );
    };
    pm(
        "new",
        "2024-03-05",
        "session-store",
        "config-change",
        "Redis Sentinel failover dropped checkout sessions",
        "A Sentinel failover of the Redis session store dropped checkout sessions.",
    );
    // The earlier failover of the same store: another root cause, the closest wording.
    pm(
        "failover",
        "2023-06-01",
        "session-store",
        "dependency-failure",
        "Redis Sentinel failover lost sessions",
        "A Redis Sentinel failover of the session store dropped sessions for ten minutes.",
    );
    // Same root cause and service, unrelated wording, and more recent.
    pm(
        "flag",
        "2023-11-01",
        "session-store",
        "config-change",
        "Cart badge flag default flipped",
        "A feature flag default hid cart badges.",
    );
    pm(
        "resolver",
        "2023-09-01",
        "dns",
        "config-change",
        "Resolver timeouts in one zone",
        "Lookups timed out after a resolver change.",
    );
    // Later, so not an earlier incident to link, though the page lists it.
    site.postmortem(
        "later.md",
        "title = \"Redis Sentinel failover dropped sessions again\"\nsummary = \"Another Sentinel failover of the Redis session store dropped sessions.\"\n\
         severity = \"SEV4\"\nstarted_at = 2024-03-08\nservices = [\"session-store\"]\nroot_causes = [\"config-change\"]\nrecurrence_of = \"new\"",
        "",
    );
    for (i, word) in [
        "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo",
        "lima",
    ]
    .iter()
    .enumerate()
    {
        pm(
            &format!("filler-{word}"),
            &format!("2022-01-{:02}", i + 1),
            "search-api",
            "capacity",
            &format!("Search {word} shard ran out of disk"),
            &format!("The {word} shard filled its disk and stopped indexing."),
        );
    }
    site.pmsite(&["build", "--today", "2024-03-10"]).success();
    let on_page = similar_on_page(&site, "new");
    let earlier_alike: Vec<&str> = on_page
        .iter()
        .map(String::as_str)
        .filter(|id| ["failover", "flag", "resolver"].contains(id))
        .collect();
    assert_eq!(on_page[0], "later", "{on_page:?}");
    assert_eq!(earlier_alike, ["failover", "flag", "resolver"], "{on_page:?}");
    assert_eq!(
        findings(&site, "2024-03-10"),
        [
            "PM503 new.md:7 root_causes: an earlier postmortem has the same root cause and service, and this one links no incident like it; the most alike first: `failover`, `flag`, `resolver` | if this is the same problem again, add recurrence_of = [\"failover\"]; if it is only alike, add it to `related`"
        ]
    );
    // Linking the best match, or an earlier incident with the same cause and service, answers it.
    for link in ["failover", "flag"] {
        let text = site.read("postmortems/new.md");
        let linked = text.replacen("services", &format!("related = [\"{link}\"]\nservices"), 1);
        site.write("postmortems/new.md", &linked);
        assert_eq!(
            findings(&site, "2024-03-10"),
            Vec::<String>::new(),
            "linked {link}"
        );
        site.write("postmortems/new.md", &text);
    }
}
