//! Diagnostics: every kind of bad input gets a code, the file, the line, the field and a
//! hint; every problem in every file is reported in one run; exit codes say what happened.

use crate::test::*;

/// Runs `check --format json` and returns (code, file, line, field, hint) per schema or link
/// diagnostic (PM0xx). The policy checks (PM1xx..PM5xx) are tested in `policy`.
pub fn diagnostics(site: &Site) -> Vec<(String, String, u64, String, String)> {
    let run = site.pmsite(&["check", "--format", "json"]);
    let json = run.json();
    json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"].as_str().unwrap().starts_with("PM0"))
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["file"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap_or(0),
                d["field"].as_str().unwrap_or("").to_string(),
                d["hint"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

pub fn one(site: &Site) -> (String, String, u64, String, String) {
    let mut d = diagnostics(site);
    assert_eq!(d.len(), 1, "{d:#?}");
    d.remove(0)
}

#[test]
fn a_clean_site_checks_clean() {
    let site = Site::new();
    // SEV4: no sections or action items required.
    site.postmortem("a.md", "severity = \"SEV4\"", "# Body\n");
    site.pmsite(&["check"])
        .success()
        .stderr_has("Checked: 0 errors, 0 warnings in 0 of 1 postmortem");
    assert!(!site.exists("public"), "check writes nothing");
}

#[test]
fn unknown_key_with_did_you_mean() {
    let site = Site::new();
    site.postmortem("a.md", "servics = [\"api\"]", "");
    let (code, file, line, field, hint) = one(&site);
    assert_eq!(
        (code.as_str(), file.as_str(), line, field.as_str()),
        ("PM002", "postmortems/a.md", 6, "servics")
    );
    assert_eq!(hint, "did you mean `services`?");
}

#[test]
fn missing_required_keys_are_each_named() {
    let site = Site::new();
    site.write("postmortems/a.md", "+++\ntags = []\n+++\n");
    let fields: Vec<String> = diagnostics(&site).into_iter().map(|d| d.3).collect();
    assert_eq!(fields, ["title", "severity", "started_at", "summary"]);
}

#[test]
fn wrong_types_and_invalid_values() {
    let site = Site::new();
    site.postmortem(
        "a.md",
        "services = 3\nstatus = \"publised\"\n[impact]\nrequests_failed_pct = 140\ncustomer_facing = \"yes\"",
        "",
    );
    let d = diagnostics(&site);
    let got: Vec<(&str, u64, &str)> = d.iter().map(|d| (d.0.as_str(), d.2, d.3.as_str())).collect();
    assert_eq!(
        got,
        [
            ("PM003", 6, "services"),
            ("PM005", 7, "status"),
            ("PM005", 9, "impact.requests_failed_pct"),
            ("PM003", 10, "impact.customer_facing"),
        ]
    );
    assert_eq!(d[1].4, "did you mean `published`?");
}

#[test]
fn unknown_severity_lists_the_configured_levels() {
    let site = Site::new();
    site.postmortem("a.md", "severity = \"sev1\"", "");
    let (code, _, line, field, hint) = one(&site);
    assert_eq!((code.as_str(), line, field.as_str()), ("PM005", 5, "severity"));
    assert!(hint.starts_with("did you mean `SEV1`?"), "{hint}");
}

#[test]
fn empty_strings_are_rejected() {
    let site = Site::new();
    site.postmortem("a.md", "owner = \"  \"", "");
    let (code, _, _, field, _) = one(&site);
    assert_eq!((code.as_str(), field.as_str()), ("PM005", "owner"));
}

#[test]
fn times_out_of_order() {
    let site = Site::new();
    site.postmortem(
        "a.md",
        "detected_at = 2024-03-08T16:00:00Z\nmitigated_at = 2024-03-08T15:00:00Z",
        "",
    );
    let (code, _, line, field, _) = one(&site);
    assert_eq!(
        (code.as_str(), line, field.as_str()),
        ("PM006", 7, "mitigated_at")
    );
}

#[test]
fn a_datetime_without_offset_asks_for_one() {
    let site = Site::new();
    site.postmortem("a.md", "detected_at = 2024-03-08T16:00:00", "");
    let (code, _, _, _, hint) = one(&site);
    assert_eq!(code, "PM005");
    assert!(hint.contains("2024-03-08T16:00:00Z"), "{hint}");
}

#[test]
fn dates_before_1970_work() {
    let site = Site::new();
    site.postmortem(
        "apollo.md",
        "started_at = 1969-07-20T20:17:40Z\nresolved_at = 1969-07-21",
        "",
    );
    site.build();
    assert!(site.exists("public/years/1969/index.html"));
}

#[test]
fn duplicate_ids_name_both_files() {
    let site = Site::new();
    site.postmortem("a.md", "id = \"same\"", "")
        .postmortem("b.md", "id = \"same\"", "");
    let (code, file, line, field, _) = one(&site);
    assert_eq!(
        (code.as_str(), file.as_str(), line, field.as_str()),
        ("PM007", "postmortems/b.md", 6, "id")
    );
    site.pmsite(&["check"])
        .status(1)
        .stderr_has("already used by postmortems/a.md");
}

#[test]
fn invalid_ids_and_file_names() {
    let site = Site::new();
    site.postmortem("My Outage.md", "", "");
    let (code, _, _, field, hint) = one(&site);
    assert_eq!((code.as_str(), field.as_str()), ("PM005", "id"));
    assert!(hint.contains("my-outage"), "{hint}");
    // The suggestion is one the checker takes: `page` names the list's own pages.
    let site = Site::new();
    site.postmortem("a.md", "id = \"Page\"", "");
    let (_, _, _, _, hint) = one(&site);
    assert!(hint.ends_with("e.g. `page-1`"), "{hint}");
}

#[test]
fn references_must_name_existing_postmortems() {
    let site = Site::new();
    site.postmortem("2023-dns.md", "", "").postmortem(
        "b.md",
        "related = [\"2023-dns\", \"2023-dsn\"]\nrecurrence_of = \"b\"",
        "",
    );
    let d = diagnostics(&site);
    let got: Vec<(&str, &str, &str)> = d
        .iter()
        .map(|d| (d.0.as_str(), d.3.as_str(), d.4.as_str()))
        .collect();
    assert_eq!(got[0], ("PM008", "related[1]", "did you mean `2023-dns`?"));
    assert_eq!(got[1].0, "PM008");
    assert_eq!(got[1].1, "recurrence_of");
    assert_eq!(got[1].2, "remove it: a postmortem is not connected to itself");
    assert_eq!(d.len(), 2);
}

#[test]
fn broken_body_links_name_file_and_line() {
    let site = Site::new();
    site.postmortem("2024/a.md", "", "## Root cause\n\nSee [b](b.md).\n")
        .postmortem(
            "2024/c.md",
            "",
            "Intro.\n\n[ok](a.md#root-cause) [gone](../2022/missing.md) [anchor](a.md#nope) [self](#nowhere) ![g](graph.png) [up](../../README.md)\n",
        );
    let d = diagnostics(&site);
    let got: Vec<(&str, &str, u64)> = d.iter().map(|d| (d.0.as_str(), d.1.as_str(), d.2)).collect();
    assert_eq!(
        got,
        [
            ("PM009", "postmortems/2024/a.md", 9),
            ("PM009", "postmortems/2024/c.md", 9),
            ("PM010", "postmortems/2024/c.md", 9),
            ("PM010", "postmortems/2024/c.md", 9),
            ("PM009", "postmortems/2024/c.md", 9),
            ("PM009", "postmortems/2024/c.md", 9),
        ]
    );
    assert!(
        d[2].4.contains("#root-cause"),
        "the hint lists the headings: {}",
        d[2].4
    );
}

#[test]
fn syntax_errors_in_toml_and_yaml() {
    let site = Site::new();
    site.write(
        "postmortems/a.md",
        "+++\ntitle = \"unclosed\nseverity = \"SEV1\"\n+++\n",
    )
    .write("postmortems/b.md", "---\ntitle: [oops\n---\n")
    .write("postmortems/c.md", "# no front matter\n")
    .write("postmortems/d.md", "+++\ntitle = \"x\"\n");
    let d = diagnostics(&site);
    let files: Vec<&str> = d.iter().map(|d| d.1.as_str()).collect();
    assert!(d.iter().all(|d| d.0 == "PM001"), "{d:#?}");
    for f in [
        "postmortems/a.md",
        "postmortems/b.md",
        "postmortems/c.md",
        "postmortems/d.md",
    ] {
        assert!(files.contains(&f), "{f} not reported: {d:#?}");
    }
}

#[test]
fn yaml_front_matter_is_checked_like_toml() {
    let site = Site::new();
    site.write(
        "postmortems/a.md",
        "---\ntitle: Imported\nseverity: SEV3\nstarted_at: 2019-06-14T10:00:00Z\nsummary: From Jekyll.\nservics: [api]\n---\nBody\n",
    );
    let (code, _, line, field, hint) = one(&site);
    assert_eq!(
        (code.as_str(), line, field.as_str(), hint.as_str()),
        ("PM002", 6, "servics", "did you mean `services`?")
    );
}

#[test]
fn every_problem_in_every_file_is_reported_in_one_run() {
    let site = Site::new();
    site.postmortem("a.md", "severity = \"SEV4\"\nservics = []\nowner = \"\"", "")
        .postmortem("b.md", "severity = \"SEV9\"", "[x](nope.md)\n")
        .postmortem("c.md", "severity = \"SEV4\"", "");
    let run = site.pmsite(&["check"]).status(1);
    assert_eq!(run.stderr.matches("error[PM").count(), 4, "{}", run.stderr);
    run.stderr_has("4 errors, 0 warnings in 2 of 3 postmortems");
}

#[test]
fn human_output_shows_the_line_and_a_caret() {
    let site = Site::new();
    site.postmortem("a.md", "servics = [\"api\"]", "");
    let run = site.pmsite(&["check"]).status(1);
    run.stderr_has("error[PM002]: unknown key `servics`")
        .stderr_has("postmortems/a.md:6:1")
        .stderr_has("servics = [\"api\"]")
        .stderr_has("^^^^^^^")
        .stderr_has("help: did you mean `services`?");
}

#[test]
fn github_format_annotates_the_diff() {
    let site = Site::new();
    site.postmortem("a.md", "servics = [\"api\"]", "");
    let run = site.pmsite(&["check", "--format", "github"]).status(1);
    assert_eq!(
        run.stdout.lines().find(|l| l.contains("PM002")).unwrap(),
        "::error file=postmortems/a.md,line=6,col=1,title=pmsite PM002::unknown key `servics`%0Ahint: did you mean `services`?"
    );
}

#[test]
fn paths_in_reports_include_the_root_given() {
    let site = Site::new();
    site.postmortem("a.md", "servics = []", "");
    let run = site.pmsite(&["check", "--root", ".", "--format", "github"]);
    assert!(run.stdout.contains("file=postmortems/a.md"));
    let parent = site.path().parent().unwrap();
    let name = site.path().file_name().unwrap().to_str().unwrap();
    let out = std::process::Command::new(BIN)
        .args(["check", "--format", "github", "--root", name])
        .current_dir(parent)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("file={name}/postmortems/a.md")),
        "{stdout}"
    );
}

#[test]
fn a_bad_config_exits_2_with_its_problems() {
    let site = Site::new();
    site.write(
        "pmsite.toml",
        "titel = \"x\"\n[[severities]]\ndescription = \"no name\"\n",
    );
    site.pmsite(&["build"])
        .status(2)
        .stderr_has("pmsite.toml:1:1")
        .stderr_has("did you mean `title`?")
        .stderr_has("error: pmsite.toml is invalid");
    // What a CI bot reads: the same findings, top to bottom, on stdout.
    let run = site.pmsite(&["check", "--format", "json"]).status(2);
    let lines: Vec<u64> = run.json()["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["line"].as_u64().unwrap())
        .collect();
    assert!(lines.len() >= 2 && lines[0] == 1, "{lines:?}");
    assert!(lines.is_sorted(), "{lines:?}");
    site.pmsite(&["check", "--format", "github"])
        .status(2)
        .stdout_has("::error file=pmsite.toml,line=1");
}

#[test]
fn a_missing_site_exits_2_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(BIN)
        .args(["check"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no pmsite.toml"));
}

#[test]
fn allowlists_from_the_config_are_enforced() {
    let site = Site::new();
    site.write(
        "pmsite.toml",
        "services = [\"checkout-api\"]\n[teams]\nsre = \"Site reliability\"\n",
    );
    site.postmortem("a.md", "services = [\"chekout-api\"]\nteams = [\"sre\"]", "");
    let (code, _, _, field, hint) = one(&site);
    assert_eq!(
        (code.as_str(), field.as_str(), hint.as_str()),
        ("PM005", "services[0]", "did you mean `checkout-api`?")
    );
}

#[test]
fn ticket_trackers_must_be_configured() {
    let site = Site::new();
    site.write("pmsite.toml", "[tickets]\nJIRA = \"https://jira.example.com/browse/{id}\"\nGH = \"https://github.com/acme/x/issues/{id}\"\n");
    site.postmortem("a.md", "[[action_items]]\ntitle = \"x\"\nticket = \"OPS-1\"", "");
    let (code, _, _, field, hint) = one(&site);
    assert_eq!(
        (code.as_str(), field.as_str()),
        ("PM005", "action_items[0].ticket")
    );
    assert!(hint.contains("GH:OPS-1"), "{hint}");
}

#[test]
fn unreadable_files_are_reported_not_fatal() {
    let site = Site::new();
    std::fs::write(
        site.path().join("postmortems/bin.md"),
        b"+++\ntitle = \"\xff\"\n+++\n",
    )
    .unwrap();
    site.postmortem("ok.md", "", "");
    let (code, file, line, _, _) = one(&site);
    assert_eq!(
        (code.as_str(), file.as_str(), line),
        ("PM011", "postmortems/bin.md", 2)
    );
}

#[test]
fn a_reference_to_a_file_name_instead_of_its_id_is_unknown() {
    let site = Site::new();
    site.postmortem("cache.md", "id = \"cache-outage\"", "")
        .postmortem("notes.md", "", "");
    site.write("postmortems/graph.png", "not a postmortem");
    // A file that fails to load is still known by its name: its own errors say why.
    site.write("postmortems/broken.md", "+++\ntitle = \n");
    site.postmortem(
        "db.md",
        "related = [\"cache\", \"graph\", \"broken\", \"cache-outage\"]",
        "",
    );
    let unknown: Vec<(String, String)> = diagnostics(&site)
        .into_iter()
        .filter(|d| d.0 == "PM008")
        .map(|d| (d.3, d.4))
        .collect();
    assert_eq!(
        unknown,
        [
            (
                "related[0]".to_string(),
                "`cache` is the file name of postmortems/cache.md, whose id is `cache-outage`: refer to it by its id"
                    .to_string()
            ),
            (
                "related[1]".to_string(),
                "ids are file names without `.md`, unless the postmortem sets `id`".to_string()
            ),
        ]
    );
}

#[test]
fn hints_for_a_day_or_a_single_value_ask_for_what_the_field_takes() {
    let site = Site::new();
    site.postmortem(
        "a.md",
        "owner = [\"alice\", \"bob\"]\n[[action_items]]\ntitle = \"Alert on lag\"\nowner = \"kim\"\ndue = \"next week\"\n[[action_items]]\ntitle = \"Runbook\"\nowner = \"kim\"\ndue = \"2024-03-20T10:00\"\n",
        "",
    );
    let found: Vec<(String, String)> = diagnostics(&site).into_iter().map(|d| (d.3, d.4)).collect();
    assert_eq!(
        found,
        [
            (
                "owner".to_string(),
                "`owner` takes one value, not a list: keep one, e.g. owner = \"...\"".to_string()
            ),
            (
                "action_items[0].due".to_string(),
                "write the day, e.g. 2024-03-08".to_string()
            ),
            (
                "action_items[1].due".to_string(),
                "write just the day: 2024-03-20".to_string()
            ),
        ]
    );
}

#[test]
fn a_broken_links_hint_is_a_link_that_works_from_the_linking_file() {
    let site = Site::new();
    site.postmortem("2024/2024-04-01-cache-outage.md", "", "")
        .postmortem("2023/dns.md", "", "")
        .postmortem(
            "2024/linker.md",
            "",
            "See [cache](2024-04-01-cache-outag.md), [dns](dns.md) and [gone](missing.md).\n",
        );
    let hints: Vec<String> = diagnostics(&site)
        .into_iter()
        .filter(|d| d.0 == "PM009")
        .map(|d| d.4)
        .collect();
    assert_eq!(
        hints,
        [
            "did you mean `2024-04-01-cache-outage.md`?",
            "a file of that name is at postmortems/2023/dns.md: from this file, link to `../2023/dns.md`",
            "paths are relative to the linking file's folder",
        ]
    );
}

#[test]
fn a_list_written_as_one_text_with_commas_is_refused_with_the_list() {
    let site = Site::new();
    site.postmortem("a.md", "tags = \"dns, cache\"\nservices = \"api\"", "");
    let (code, _, _, field, hint) = one(&site);
    assert_eq!((code.as_str(), field.as_str()), ("PM005", "tags"));
    assert_eq!(hint, "write a list: tags = [\"dns\", \"cache\"]");
}
