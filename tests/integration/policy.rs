//! The policy checks of `pmsite check` (PM1xx language, PM2xx secrets, PM3xx action items,
//! PM4xx sections, PM5xx consistency): fixture postmortems with their expected findings, and
//! the true negatives that must stay quiet.

use crate::test::*;

/// `check --format json` findings as `CODE level line:column message`, in report order.
fn findings(site: &Site, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["check", "--format", "json"];
    if !extra.contains(&"--today") {
        args.extend(["--today", "2024-03-10"]);
    }
    args.extend_from_slice(extra);
    let run = site.pmsite(&args);
    run.json()["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{} {} {}:{} {}",
                d["code"].as_str().unwrap(),
                d["level"].as_str().unwrap(),
                d["line"],
                d["column"],
                d["message"].as_str().unwrap()
            )
        })
        .collect()
}

/// A SEV4 postmortem: no sections or action items required, so only what a test adds shows.
fn sev4(site: &Site, front: &str, body: &str) {
    site.postmortem("a.md", &format!("severity = \"SEV4\"\n{front}"), body);
}

#[test]
fn blaming_phrases_are_flagged_and_quotes_and_code_are_not() {
    let site = Site::new();
    sev4(
        &site,
        "summary = \"Checkout failed after a careless deploy.\"",
        "## What happened\n\
         \n\
         It was Human\n\
         error, and the reviewer should have known.\n\
         \n\
         The script lacked a confirmation step. Our process is blameless.\n\
         The log said `human error` and the ticket said \"negligent\".\n\
         The user error rate rose while lazy loading hid the cause.\n\
         \n\
         > The customer wrote: this is incompetent.\n\
         \n\
         ```text\n\
         ERROR: careless shutdown detected\n\
         ```\n",
    );
    assert_eq!(
        findings(&site, &[]),
        [
            "PM101 warning 5:36 blaming language: `careless`",
            "PM101 warning 9:8 blaming language: `Human error`",
            "PM101 warning 10:25 blaming language: `should have known`",
        ]
    );
    let run = site.pmsite(&["check"]).success();
    assert!(
        !run.stderr.contains('\u{1b}'),
        "NO_COLOR and no terminal: no escape codes"
    );
    run.stderr_has("warning[PM101]: blaming language: `Human error`")
        .stderr_has("help: fix systems, not people: ask \"What allowed this command to reach production?\"")
        .stderr_has("Checked: 0 errors, 3 warnings in 1 of 1 postmortem");
}

#[test]
fn the_phrase_list_is_configurable() {
    let site = Site::new();
    site.write(
        "pmsite.toml",
        "[checks]\nblaming_phrases = [\"dropped the ball\"]\nextra_blaming_phrases = [\"cowboy\"]\n",
    );
    sev4(
        &site,
        "",
        "A cowboy change. It was careless. Someone dropped the  ball.\n",
    );
    assert_eq!(
        findings(&site, &[]),
        [
            "PM101 warning 7:3 blaming language: `cowboy`",
            "PM101 warning 7:43 blaming language: `dropped the ball`",
        ]
    );
}

#[test]
fn people_as_the_subject_of_a_cause_are_flagged_only_in_cause_sections() {
    let site = Site::new();
    site.write("pmsite.toml", "[checks]\npeople = [\"sam.lee\"]\n");
    sev4(
        &site,
        "authors = [\"maya.patel\"]\nowner = \"nils.berg\"\ncontributing_factors = [\"Maya Patel skipped the review.\", \"The review queue was long.\"]",
        "## Root cause\n\
         \n\
         Maya ran the reset script against production. The script lacked a confirmation step.\n\
         At 15:42, nils.berg deployed the change.\n\
         \n\
         Maya's shell still held production settings. The on-call engineer, Nils, paged.\n\
         \n\
         ### Why the shell looked the same\n\
         \n\
         - Sam Lee had the same prompt in both environments.\n\
         \n\
         ## Timeline\n\
         \n\
         Maya ran the script at 15:42.\n",
    );
    assert_eq!(
        findings(&site, &[]),
        [
            "PM102 warning 8:26 a person is the subject of a cause: `Maya Patel`",
            "PM102 warning 12:1 a person is the subject of a cause: `Maya`",
            "PM102 warning 13:11 a person is the subject of a cause: `nils.berg`",
            "PM102 warning 19:3 a person is the subject of a cause: `Sam Lee`",
        ]
    );
}

#[test]
fn every_heading_that_counts_as_a_cause_section_is_scanned_for_people() {
    let site = Site::new();
    sev4(
        &site,
        "authors = [\"maya.patel\"]",
        "## Contributing causes\n\
         \n\
         Maya skipped the review.\n\
         \n\
         ## Contributing factor\n\
         \n\
         Maya Patel merged it.\n\
         \n\
         ## Detection\n\
         \n\
         Maya paged late.\n",
    );
    assert_eq!(
        findings(&site, &[]),
        [
            "PM102 warning 10:1 a person is the subject of a cause: `Maya`",
            "PM102 warning 14:1 a person is the subject of a cause: `Maya Patel`",
        ]
    );
}

#[test]
fn allow_comments_silence_one_line_and_need_a_reason() {
    let site = Site::new();
    sev4(
        &site,
        "",
        "<!-- pmsite-allow: PM101 the vendor's report, quoted as written -->\n\
         The vendor's report blamed human error.\n\
         Then human error again.\n\
         <!-- pmsite-allow: PM101 -->\n\
         A careless line.\n",
    );
    assert_eq!(
        findings(&site, &[]),
        [
            "PM101 warning 9:6 blaming language: `human error`",
            "PM103 warning 10:6 `pmsite-allow` gives no reason",
        ]
    );
}

const AWS: &str = "AKIAIOSFODNN7EXAMPLQ";
const GITHUB: &str = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789";
const JWT: &str =
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";

#[test]
fn secrets_are_errors_that_never_print_the_secret() {
    let site = Site::new();
    sev4(
        &site,
        &format!("[[timeline]]\nat = 2024-03-08T15:42:00Z\ntext = \"Key {AWS} was used.\""),
        &format!(
            "## Logs\n\
             \n\
             ```text\n\
             token {GITHUB}\n\
             Authorization: Bearer {JWT}\n\
             DATABASE_URL=postgres://app:Tr0ub4dor3x@db.prod:5432/app\n\
             password=hunter2\n\
             -----BEGIN RSA PRIVATE KEY-----\n\
             signing key: Zm9vYmFyQmF6UXV4MTIzNDU2Nzg5MEFCQ0RFRkdISUpL\n\
             ```\n\
             \n\
             Slack said xoxb-1234567890-abcdefghijkl in the channel.\n"
        ),
    );
    assert_eq!(
        findings(&site, &[]),
        [
            "PM201 error 8:13 an AWS access key id is in the postmortem",
            "PM203 error 13:7 a GitHub token is in the postmortem",
            "PM204 error 14:23 a JSON Web Token is in the postmortem",
            "PM205 error 15:29 a password in a connection string is in the postmortem",
            "PM206 error 16:10 a secret assigned a literal value is in the postmortem",
            "PM202 error 17:1 a private key block is in the postmortem",
            "PM207 error 18:14 a long random-looking string (a key or token?) is in the postmortem",
            "PM203 error 21:12 a Slack token is in the postmortem",
        ]
    );
    for format in ["human", "json", "github"] {
        let run = site.pmsite(&["check", "--format", format]).status(1);
        for secret in [AWS, GITHUB, JWT, "Tr0ub4dor3x", "hunter2", "Zm9vYmFy", "xoxb-"] {
            assert!(
                !run.stdout.contains(secret) && !run.stderr.contains(secret),
                "{format} shows {secret}"
            );
        }
    }
    site.pmsite(&["check"])
        .status(1)
        .stderr_has("error[PM201]: an AWS access key id is in the postmortem")
        .stderr_has("postmortems/a.md:8:13");
}

#[test]
fn secret_lookalikes_are_not_secrets() {
    let site = Site::new();
    sev4(
        &site,
        "",
        "```text\n\
         request 123e4567-e89b-12d3-a456-426614174000 failed\n\
         reverted 3f2b9c1d8e7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c\n\
         image sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n\
         password = \"<redacted>\"\n\
         secret: ***\n\
         DB_PASSWORD=${DB_PASSWORD}\n\
         SESSION_DB_URL=postgres://app@sessions-db.prod.internal:5432/sessions\n\
         checkout_session_timeout_seconds_total 42\n\
         ```\n\
         \n\
         The password was rotated; see the `secret_key_rotation` runbook.\n",
    );
    assert_eq!(findings(&site, &[]), Vec::<String>::new());
}

#[test]
fn action_item_policy() {
    let site = Site::new();
    site.postmortem(
        "a.md",
        "severity = \"SEV4\"\n\
         [[action_items]]\n\
         title = \"No owner, no date\"\n\
         [[action_items]]\n\
         title = \"Due long after\"\n\
         owner = \"a\"\n\
         due = 2024-06-01\n\
         [[action_items]]\n\
         title = \"Done without a date\"\n\
         owner = \"a\"\n\
         due = 2024-03-09\n\
         status = \"done\"\n\
         [[action_items]]\n\
         title = \"Overdue\"\n\
         owner = \"a\"\n\
         due = 2024-03-09\n\
         [[action_items]]\n\
         title = \"Decided against\"\n\
         status = \"wont_do\"",
        "",
    );
    site.postmortem(
        "b.md",
        "severity = \"SEV1\"",
        "## Summary\nS.\n## Impact\nI.\n## Timeline\nT.\n## Root cause\nR.\n## Action items\nA.\n## Lessons learned\nL.\n",
    );
    assert_eq!(
        findings(&site, &[]),
        [
            "PM301 warning 6:1 action item `No owner, no date` has no owner",
            "PM302 warning 6:1 action item `No owner, no date` has no due date",
            "PM303 warning 11:7 action item `Due long after` is due 85 days after the incident (the policy is 14)",
            "PM304 warning 16:10 action item `Done without a date` is done but has no `completed` date",
            "PM305 warning 20:7 action item `Overdue` is overdue: due 2024-03-09, still open",
            "PM306 warning 5:12 a SEV1 postmortem has no action items",
        ]
    );
}

#[test]
fn required_sections_match_synonyms_and_front_matter() {
    let site = Site::new();
    site.postmortem(
        "a.md",
        "severity = \"SEV1\"\n[[timeline]]\nat = 2024-03-08T15:42:00Z\ntext = \"Deploy.\"\n[[action_items]]\ntitle = \"x\"\nowner = \"a\"\ndue = 2024-03-20",
        "## Overview\n\nO.\n\n## Root Cause: a stale shell\n\nR.\n\n## Follow-ups\n",
    );
    let found = findings(&site, &[]);
    assert_eq!(
        found,
        [
            "PM401 warning 5:12 a SEV1 postmortem has no `Impact` section",
            "PM401 warning 5:12 a SEV1 postmortem has no `Lessons learned` section",
        ]
    );
    let run = site.pmsite(&["check", "--format", "json", "--today", "2024-03-10"]);
    let hint = run.json()["diagnostics"][1]["hint"].as_str().unwrap().to_string();
    assert!(
        hint.starts_with("add a `## Lessons learned` heading (also accepted: "),
        "{hint}"
    );

    site.write(
        "pmsite.toml",
        "[checks.required_sections]\nSEV1 = [\"Customer communication\"]\nSEV3 = [\"Summary\"]\n",
    );
    assert_eq!(
        findings(&site, &[]),
        ["PM401 warning 5:12 a SEV1 postmortem has no `Customer communication` section"]
    );
}

#[test]
fn timelines_are_in_order_and_agree_with_the_incident_times() {
    let site = Site::new();
    sev4(
        &site,
        "detected_at = 2024-03-08T15:55:00Z\n\
         [[timeline]]\nat = 2024-03-08T15:50:00Z\nkind = \"alert\"\ntext = \"Alert.\"\n\
         [[timeline]]\nat = 2024-03-08T15:45:00Z\ntext = \"Earlier.\"",
        "",
    );
    assert_eq!(
        findings(&site, &[]),
        [
            "PM502 warning 6:15 `detected_at` is 2024-03-08 15:55 UTC, but no detection or alert in the timeline is at that time (the first is at 2024-03-08 15:50 UTC)",
            "PM501 warning 12:6 timeline entry 2 (2024-03-08 15:45 UTC) is before the entry above it (2024-03-08 15:50 UTC)",
        ]
    );
}

#[test]
fn a_new_incident_like_an_earlier_one_is_asked_to_link_it() {
    let site = Site::new();
    let like = "severity = \"SEV4\"\nservices = [\"dns\"]\nroot_causes = [\"config-change\"]";
    site.postmortem("old.md", &format!("started_at = 2023-01-01\n{like}"), "");
    site.postmortem("new.md", &format!("started_at = 2024-03-01\n{like}"), "");
    site.postmortem(
        "linked.md",
        &format!("started_at = 2024-03-02\nrelated = [\"old\"]\n{like}"),
        "",
    );
    assert_eq!(
        findings(&site, &[]),
        [
            "PM503 warning 7:15 an earlier postmortem has the same root cause and service, and this one links no incident like it; the most alike first: `old`"
        ]
    );
    let run = site.pmsite(&["check", "--format", "json", "--today", "2024-03-10"]);
    assert_eq!(run.json()["diagnostics"][0]["file"], "postmortems/new.md");
    assert_eq!(
        findings(&site, &["--today", "2025-01-01"]),
        Vec::<String>::new(),
        "only new incidents are checked"
    );
    assert_eq!(
        findings(&site, &["--today", "2022-01-01"]),
        Vec::<String>::new(),
        "incidents after the build date are not new"
    );
}

#[test]
fn levels_are_set_per_check_and_strict_makes_warnings_errors() {
    let site = Site::new();
    sev4(&site, "", "A careless change. The shell was sloppy.\n");
    site.pmsite(&["check"])
        .success()
        .stderr_has("0 errors, 2 warnings in 1 of 1 postmortem");
    site.pmsite(&["check", "--strict"])
        .status(1)
        .stderr_has("error[PM101]")
        .stderr_has("error: 2 errors, 0 warnings in 1 of 1 postmortem");
    site.pmsite(&["build", "--strict"]).status(1);
    assert!(!site.exists("public"));
    site.pmsite(&["build"]).success().stderr_has("warning[PM101]");

    site.write("pmsite.toml", "[checks.levels]\nPM101 = \"error\"\n");
    site.pmsite(&["check"]).status(1);
    site.write("pmsite.toml", "[checks.levels]\nPM101 = \"off\"\n");
    site.pmsite(&["check"])
        .success()
        .stderr_has("0 errors, 0 warnings");
}

#[test]
fn bad_check_config_exits_2_with_a_hint() {
    let site = Site::new();
    sev4(&site, "", "");
    site.write("pmsite.toml", "[checks]\ndue_dayz = 3\n[checks.levels]\nPM10 = \"error\"\nPM102 = \"loud\"\n[checks.required_sections]\nSEV7 = [\"Summary\"]\n");
    let run = site.pmsite(&["check"]).status(2);
    run.stderr_has("did you mean `due_days`?")
        .stderr_has("`PM10` is not a check pmsite has")
        .stderr_has("`checks.levels.PM102` cannot be `loud`")
        .stderr_has("`SEV7` is not a configured severity");
}

#[test]
fn github_annotations_carry_warnings_too() {
    let site = Site::new();
    sev4(&site, "", "A careless change.\n");
    let run = site.pmsite(&["check", "--format", "github"]).success();
    assert_eq!(
        run.stdout,
        "::warning file=postmortems/a.md,line=7,col=3,title=pmsite PM101::blaming language: `careless`%0Ahint: fix systems, not people: ask \"What in the system made this the easy thing to do?\" and write down the answer\n"
    );
}

#[test]
fn the_example_site_passes_strict_checks_on_any_day() {
    let site = Site::copy_of(&example_dir());
    site.pmsite(&["check", "--strict"])
        .success()
        .stderr_has("Checked: 0 errors, 0 warnings in 0 of 21 postmortems");
    // Each postmortem was "new" once: the recurrence hints must have been answered.
    for year in 2019..=2026 {
        for month in [1, 3, 5, 7, 9, 11] {
            let today = format!("{year}-{month:02}-15");
            site.pmsite(&["check", "--strict", "--today", &today]).success();
        }
    }
}
