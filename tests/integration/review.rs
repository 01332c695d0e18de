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

/// The ids the incident page of `id` lists as similar incidents, in its order (among its
/// connected incidents, those it says are similar).
fn similar_on_page(site: &Site, id: &str) -> Vec<String> {
    let html = site.read(&format!("public/incidents/{id}/index.html"));
    let connected = connected_incidents(&html);
    assert!(!connected.is_empty(), "{id}: no connected incidents");
    connected
        .into_iter()
        .filter(|(_, why)| why.contains("similar"))
        .map(|(href, _)| {
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

/// Writes a postmortem with `pmsite new` on 2024-03-08 and returns its path in the site.
fn new_postmortem(site: &Site, title: &str, severity: &str) -> String {
    site.pmsite(&[
        "new",
        title,
        "--severity",
        severity,
        "--service",
        "checkout-api",
        "--date",
        "2024-03-08",
    ])
    .success();
    let slug = title.to_lowercase().replace(' ', "-");
    format!("postmortems/2024/2024-03-08-{slug}.md")
}

/// Edits `path` in the site: each `(from, to)` replaced once, and it must be there.
fn edit(site: &Site, path: &str, edits: &[(&str, &str)]) {
    let mut text = site.read(path);
    for (from, to) in edits {
        assert!(text.contains(from), "{path} has no {from:?}");
        text = text.replacen(from, to, 1);
    }
    site.write(path, &text);
}

const PUBLISHED: (&str, &str) = ("status = \"draft\"", "status = \"published\"");

#[test]
fn an_untouched_template_passes_as_a_draft_and_not_once_published() {
    let site = Site::new();
    let sev3 = new_postmortem(&site, "Cache stampede", "SEV3");
    let sev1 = new_postmortem(&site, "Checkout outage", "SEV1");
    let drafts = findings(&site, "2024-03-10");
    assert_eq!(
        drafts,
        [
            "PM306 2024/2024-03-08-checkout-outage.md:10 severity: a SEV1 postmortem has no action items | add what will change so this cannot happen the same way again: [[action_items]] with title, owner and due"
        ],
        "a draft is exempt from the template checks (PM306 was there before them)"
    );
    edit(&site, &sev3, &[PUBLISHED]);
    edit(&site, &sev1, &[PUBLISHED]);
    let found = findings(&site, "2024-03-10");
    let sev3_found: Vec<&str> = found
        .iter()
        .filter(|f| f.contains("cache-stampede"))
        .map(|f| f.split(" | ").next().unwrap())
        .collect();
    assert_eq!(
        sev3_found,
        [
            "PM402 2024/2024-03-08-cache-stampede.md:16 summary: `summary` is still the template's placeholder",
            "PM403 2024/2024-03-08-cache-stampede.md:39 -: the `Summary` section holds only comments",
            "PM403 2024/2024-03-08-cache-stampede.md:43 -: the `Impact` section holds only comments",
            "PM403 2024/2024-03-08-cache-stampede.md:47 -: the `Timeline` section holds only comments",
            "PM403 2024/2024-03-08-cache-stampede.md:51 -: the `Root cause` section holds only comments",
            "PM403 2024/2024-03-08-cache-stampede.md:55 -: the `Contributing factors` section holds only comments",
            "PM403 2024/2024-03-08-cache-stampede.md:59 -: the `5 whys` section holds only the template's guidance",
            "PM403 2024/2024-03-08-cache-stampede.md:69 -: the `What went well` section holds only comments",
            "PM403 2024/2024-03-08-cache-stampede.md:73 -: the `What went wrong` section holds only comments",
            "PM403 2024/2024-03-08-cache-stampede.md:77 -: the `Where we got lucky` section holds only comments",
            "PM403 2024/2024-03-08-cache-stampede.md:81 -: the `Action items` section holds only comments",
            "PM403 2024/2024-03-08-cache-stampede.md:85 -: the `Lessons learned` section holds only comments",
        ]
    );
    let sev1_extra: Vec<&str> = found
        .iter()
        .filter(|f| f.contains("checkout-outage") && (f.starts_with("PM404") || f.starts_with("PM306")))
        .map(String::as_str)
        .collect();
    assert_eq!(
        sev1_extra,
        [
            "PM306 2024/2024-03-08-checkout-outage.md:10 severity: a SEV1 postmortem has no action items | add what will change so this cannot happen the same way again: [[action_items]] with title, owner and due",
            "PM404 2024/2024-03-08-checkout-outage.md:17 authors: `authors` is empty, and a SEV1 postmortem needs it | name who wrote the review, e.g. authors = [\"first.last\"]",
            "PM404 2024/2024-03-08-checkout-outage.md:20 root_causes: `root_causes` is empty, and a SEV1 postmortem needs it | name what in the system allowed it, e.g. root_causes = [\"config-change\"]",
        ]
    );
    site.pmsite(&["check", "--strict", "--today", "2024-03-10"])
        .status(1);
    // In review is not a draft either.
    edit(
        &site,
        &sev3,
        &[("status = \"published\"", "status = \"in_review\"")],
    );
    assert!(
        findings(&site, "2024-03-10")
            .iter()
            .any(|f| f.starts_with("PM402 2024/2024-03-08-cache-stampede.md:16"))
    );
}

#[test]
fn lightly_edited_guidance_is_still_the_template() {
    let site = Site::new();
    let path = new_postmortem(&site, "Queue backlog", "SEV3");
    edit(
        &site,
        &path,
        &[
            PUBLISHED,
            (
                "Two or three plain sentences: what happened, who was affected, how it ended.",
                "Two or three sentences: what happened, who was hit and how it ended",
            ),
            (
                "# [[timeline]]\n# at = 2024-03-08T00:00:00Z\n# kind = \"impact\"  # impact, detection, alert, escalation, diagnosis, action, mitigation, resolution, communication, note\n# text = \"What happened, as seen at the time.\"",
                "[[timeline]]\nat = 2024-03-08T09:00:00Z\ntext = \"What happened, as we saw it at the time.\"",
            ),
            (
                "# [[action_items]]\n# title = \"What will change\"\n# owner = \"first.last\"",
                "[[action_items]]\ntitle = \"What will change\"\nowner = \"first.last\"",
            ),
            (
                "<!-- What happened, in a paragraph a reader outside the team understands. -->",
                "What happened, in a paragraph that a reader outside the team understands.\n\nThe orders queue grew to 40,000 messages in ten minutes.",
            ),
        ],
    );
    let found: Vec<String> = findings(&site, "2024-03-10")
        .into_iter()
        .filter(|f| f.starts_with("PM402"))
        .map(|f| f.split(" | ").next().unwrap().to_string())
        .collect();
    assert_eq!(
        found,
        [
            "PM402 2024/2024-03-08-queue-backlog.md:16 summary: `summary` is still the template's placeholder",
            "PM402 2024/2024-03-08-queue-backlog.md:26 timeline[0].text: `timeline[0].text` is still the template's placeholder",
            "PM402 2024/2024-03-08-queue-backlog.md:31 action_items[0].title: `action_items[0].title` is still the template's placeholder",
            "PM402 2024/2024-03-08-queue-backlog.md:32 action_items[0].owner: `action_items[0].owner` is still the template's placeholder",
            "PM402 2024/2024-03-08-queue-backlog.md:40 -: this is still the template's guidance",
        ]
    );
}

#[test]
fn filled_sections_stay_quiet() {
    let site = Site::new();
    site.postmortem(
        "a.md",
        "severity = \"SEV1\"\nauthors = [\"maya.patel\"]\nroot_causes = [\"config-change\"]\n\
         [impact]\ndescription = \"Checkout failed for 14 minutes.\"\n\
         [[timeline]]\nat = 2024-03-08T15:42:00Z\ntext = \"Config pushed.\"\n\
         [[action_items]]\ntitle = \"Add a canary stage\"\nowner = \"maya.patel\"\ndue = 2024-03-20",
        "## Summary\n\nA config push broke checkout; rolling it back ended it.\n\n\
         ## Impact\n\n<!-- In the front matter. -->\n\n\
         ## Timeline\n\n<!-- In the front matter. -->\n\n\
         ## Root cause\n\n### Trigger\n\nThe push had no canary.\n\n\
         ## 5 whys\n\n| # | Why? | Because |\n| - | ---- | ------- |\n\
         | 1 | Why did users see the failure? | The config was invalid. |\n| 2 | Why? | |\n\n\
         ## Action items\n\n<!-- Listed in the front matter. -->\n\n\
         ## Lessons learned\n\n```text\nconfig: invalid key\n```\n\n\
         ## Appendix\n\n## Where we got lucky\n\nThe push was at a quiet hour. What will change is the canary.\n",
    );
    assert_eq!(findings(&site, "2024-03-10"), Vec::<String>::new());
}

#[test]
fn the_first_postmortem_of_a_new_site_passes_published() {
    let site = Site::new();
    let dir = site.path().join("kb");
    site.pmsite(&["init", dir.to_str().unwrap()]).success();
    let run = Site::copy_of(&dir);
    run.pmsite(&["check", "--strict", "--today", "2024-01-20"])
        .success();
}

#[test]
fn blame_is_found_whoever_it_names_and_tools_stay_quiet() {
    let site = Site::new();
    site.postmortem(
        "a.md",
        "severity = \"SEV4\"\nauthors = [\"maya.patel\"]\nservices = [\"session-store\"]",
        "## Root cause\n\
         \n\
         Bob forgot to enable Sentinel discovery when he migrated the client.\n\
         \n\
         The junior developer ran the migration by hand.\n\
         \n\
         It was Priya's fault, and the engineer's lack of attention did the rest.\n\
         \n\
         ## What went wrong\n\
         \n\
         The warning was ignored by the on-call engineer. Someone screwed up the zone file.\n\
         \n\
         Sentinel missed the failover. Redis failed over. Kafka dropped the consumer group.\n\
         Terraform deleted the bucket. The session store ignored the stale replica.\n\
         The on-call engineer restarted the primary. The ticket said \"Bob forgot\".\n\
         \n\
         <!-- pmsite-allow: PM104 quoting the vendor's own words -->\n\
         Their support engineer missed the ticket for a week.\n",
    );
    let verb = "describe what the system allowed: ask \"what made this easy to miss, and what would have caught it?\" (e.g. \"the migration checklist had no step for it\")";
    assert_eq!(
        findings(&site, "2024-03-10"),
        [
            format!("PM104 a.md:11 -: blames a person: `Bob forgot` | {verb}"),
            "PM104 a.md:13 -: a role as the culprit: `The junior developer ran` | name the gap, not the role: ask \"what would have stopped anyone in this role from doing this?\"".to_string(),
            "PM104 a.md:15 -: puts the fault on a person: `Priya's fault` | a fault is never a person's: write what the process or tooling lacked".to_string(),
            "PM104 a.md:15 -: puts the fault on a person: `the engineer's lack of attention` | a fault is never a person's: write what the process or tooling lacked".to_string(),
            format!("PM104 a.md:19 -: blames a person: `ignored by the on-call engineer` | {verb}"),
            "PM104 a.md:19 -: blaming slang: `screwed up` | say what happened in neutral words, and what in the system allowed it".to_string(),
        ]
    );
    site.pmsite(&["check", "--strict", "--today", "2024-03-10"])
        .status(1)
        .stderr_has("error[PM104]");
}
