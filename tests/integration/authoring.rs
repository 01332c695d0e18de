//! Authoring: `pmsite new`, `pmsite init` and `pmsite schema`, end to end with the real
//! binary.

use std::process::Command;

use pmsite::content::{decode, front_matter};

use crate::test::*;

fn run_in(dir: &std::path::Path, args: &[&str]) -> Run {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("SOURCE_DATE_EPOCH")
        .env("NO_COLOR", "1")
        .output()
        .expect("run pmsite")
        .into()
}

#[test]
fn new_writes_a_draft_from_the_template_and_never_overwrites() {
    let site = Site::new();
    let args = [
        "new",
        "Checkout 500s after the \"v2\" deploy",
        "--severity",
        "SEV2",
        "--service",
        "checkout-api",
        "--service",
        "payments",
        "--date",
        "2024-05-02",
    ];
    site.pmsite(&args)
        .success()
        .stdout_has("Created postmortems/2024/2024-05-02-checkout-500s-after-the-v2-deploy.md");
    let text = site.read("postmortems/2024/2024-05-02-checkout-500s-after-the-v2-deploy.md");
    for expected in [
        "id = \"2024-05-02-checkout-500s-after-the-v2-deploy\"",
        "title = \"Checkout 500s after the \\\"v2\\\" deploy\"",
        "severity = \"SEV2\"",
        "status = \"draft\"",
        "started_at = 2024-05-02",
        "services = [\"checkout-api\",\"payments\"]",
        "# due = 2024-05-16",
        "The Prime Directive",
        "## Root cause",
        "| 1 | Why did users see the failure? | |",
        "## Lessons learned",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
    }
    // A draft is checked like any postmortem: it parses, and only asks for action items.
    let run = site
        .pmsite(&["check", "--format", "json", "--today", "2024-05-03"])
        .success();
    let codes: Vec<String> = run.json()["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(codes, ["PM306"]);

    site.write(
        "postmortems/2024/2024-05-02-checkout-500s-after-the-v2-deploy.md",
        "mine",
    );
    site.pmsite(&args)
        .status(2)
        .stderr_has("already exists; pmsite never overwrites it");
    assert_eq!(
        site.read("postmortems/2024/2024-05-02-checkout-500s-after-the-v2-deploy.md"),
        "mine"
    );
}

#[test]
fn new_checks_its_arguments_against_the_site() {
    let site = Site::new();
    site.write("pmsite.toml", "services = [\"checkout-api\"]\n");
    site.pmsite(&["new", "x", "--severity", "sev1"])
        .status(2)
        .stderr_has("did you mean `SEV1`?");
    site.pmsite(&["new", "x", "--service", "chekout-api"])
        .status(2)
        .stderr_has("did you mean `checkout-api`?");
    site.pmsite(&["new", "!!!"])
        .status(2)
        .stderr_has("no letters or digits");
    site.pmsite(&["new", "x", "--service", " "])
        .status(2)
        .stderr_has("a --service is empty");
    site.pmsite(&["new", "x", "--date", "2024-02-30"])
        .status(2)
        .stderr_has("`2024-02-30` is not a date that exists: February has 29 days");
    assert!(site.snapshot("postmortems").is_empty());
    let elsewhere = tempfile::tempdir().unwrap();
    run_in(elsewhere.path(), &["new", "x"])
        .status(2)
        .stderr_has("run `pmsite init DIR`");
}

#[test]
fn new_with_an_invalid_config_or_template_says_what_is_wrong_and_writes_nothing() {
    let site = Site::new();
    site.write("pmsite.toml", "paginate_by = \"many\"\n[checks]\ndue_dayz = 3\n");
    site.pmsite(&["new", "Disk full", "--date", "2024-05-02"])
        .status(2)
        .stderr_has("error[PM090]: `paginate_by` must be a whole number, found a string")
        .stderr_has("pmsite.toml:3:1")
        .stderr_has("did you mean `due_days`?")
        .stderr_has("error: pmsite.toml is invalid");
    assert!(!site.exists("postmortems/2024/2024-05-02-disk-full.md"));

    site.write("pmsite.toml", "");
    site.write("templates/new.md", "+++\ntitle = {{ title | nope }}\n");
    site.pmsite(&["new", "Disk full", "--date", "2024-05-02"])
        .status(2)
        .stderr_has("the postmortem template (templates/new.md) failed: ")
        .stderr_has("Filter 'nope' not found");
    assert!(!site.exists("postmortems/2024/2024-05-02-disk-full.md"));
}

#[test]
fn a_site_template_overrides_the_new_postmortem() {
    let site = Site::new();
    site.write(
        "templates/new.md",
        "+++\ntitle = {{ title | json_encode() | safe }}\nseverity = \"{{ severity }}\"\nstarted_at = {{ date }}\nsummary = \"Ours.\"\n+++\nOur own template.\n",
    );
    site.pmsite(&["new", "Disk full", "--date", "2024-05-02"])
        .success();
    let text = site.read("postmortems/2024/2024-05-02-disk-full.md");
    assert!(
        text.contains("Our own template.") && text.contains("severity = \"SEV4\""),
        "{text}"
    );
}

#[test]
fn init_creates_a_site_that_builds_and_passes_strict_checks() {
    let parent = tempfile::tempdir().unwrap();
    run_in(parent.path(), &["init", "kb"])
        .success()
        .stdout_has("pmsite.toml")
        .stdout_has(".github/workflows/pmsite.yml")
        .stdout_has(".gitlab-ci.yml");
    let kb = parent.path().join("kb");
    let workflow = std::fs::read_to_string(kb.join(".github/workflows/pmsite.yml")).unwrap();
    assert!(workflow.contains("pmsite check --strict --format github"));
    assert!(workflow.contains("pmsite build"));
    assert!(
        std::fs::read_to_string(kb.join(".gitlab-ci.yml"))
            .unwrap()
            .contains("pmsite check")
    );
    let config = std::fs::read_to_string(kb.join("pmsite.toml")).unwrap();
    for key in [
        "base_url",
        "paginate_by",
        "[[severities]]",
        "root_causes",
        "[tickets]",
        "[checks]",
        "due_days",
        "[checks.levels]",
        "[checks.required_sections]",
    ] {
        assert!(config.contains(key), "pmsite.toml does not mention {key}");
    }
    run_in(&kb, &["check", "--strict"])
        .success()
        .stderr_has("Checked: 0 errors, 0 warnings in 0 of 1 postmortem");
    run_in(&kb, &["build"]).success();
    assert!(kb.join("public/index.html").is_file());
    run_in(parent.path(), &["init", "kb"])
        .status(2)
        .stderr_has("already exists");
}

fn schema_of(site: &Site) -> jsonschema::Validator {
    let run = site.pmsite(&["schema"]).success();
    let schema: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    jsonschema::validator_for(&schema).expect("a valid JSON Schema")
}

fn front_matter_json(text: &str) -> serde_json::Value {
    let split = front_matter::split(text).unwrap();
    decode::to_json(&front_matter::parse(&split).unwrap())
}

#[test]
fn the_schema_accepts_every_example_postmortem() {
    let site = Site::copy_of(&example_dir());
    let validator = schema_of(&site);
    let mut checked = 0;
    for (path, bytes) in site.snapshot("postmortems") {
        if path.extension().is_none_or(|e| e != "md") {
            continue;
        }
        let instance = front_matter_json(&String::from_utf8(bytes).unwrap());
        let errors: Vec<String> = validator.iter_errors(&instance).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
        checked += 1;
    }
    assert_eq!(checked, 21);
    site.build();
    let shipped: serde_json::Value =
        serde_json::from_str(&site.read("public/schema/postmortem.json")).unwrap();
    let printed: serde_json::Value = serde_json::from_str(&site.pmsite(&["schema"]).stdout).unwrap();
    assert_eq!(shipped, printed, "the site ships the schema pmsite schema prints");
    assert!(
        shipped["properties"]["root_causes"]["anyOf"][0]["enum"]
            .as_array()
            .unwrap()
            .contains(&"expired-certificate".into())
    );
}

#[test]
fn the_schema_rejects_what_pmsite_check_rejects() {
    let site = Site::new();
    let validator = schema_of(&site);
    let file = |severity: &str, started_at: &str, summary: &str, extra: &str| {
        format!(
            "+++\ntitle = \"t\"\nseverity = \"{severity}\"\nstarted_at = {started_at}\nsummary = \"{summary}\"\n{extra}\n+++\n"
        )
    };
    let good = file("SEV4", "2024-01-01T10:00:00Z", "s", "");
    assert!(validator.is_valid(&front_matter_json(&good)));
    site.write("postmortems/a.md", &good);
    site.pmsite(&["check"]).success();
    for bad in [
        file("SEV4", "2024-01-01", "s", "servics = [\"api\"]"),
        file("SEV9", "2024-01-01", "s", ""),
        file("SEV4", "\"soon\"", "s", ""),
        file("SEV4", "2024-01-01", "  ", ""),
        file("SEV4", "2024-01-01", "s", "id = \"My Outage\""),
        file("SEV4", "2024-01-01", "s", "[impact]\nrequests_failed_pct = 140"),
        file(
            "SEV4",
            "2024-01-01",
            "s",
            "[[action_items]]\ntitle = \"a\"\nstatus = \"publised\"",
        ),
    ] {
        assert!(!validator.is_valid(&front_matter_json(&bad)), "accepted:\n{bad}");
        site.write("postmortems/a.md", &bad);
        site.pmsite(&["check"]).status(1);
    }
}

#[test]
fn new_gives_a_title_in_any_script_an_id_the_checker_accepts() {
    let site = Site::new();
    for title in ["Café crash", "Ошибка базы данных"] {
        site.pmsite(&["new", title, "--date", "2024-05-05"]).status(0);
    }
    let cafe = site.read("postmortems/2024/2024-05-05-cafe-crash.md");
    assert!(cafe.contains("title = \"Café crash\""), "{cafe}");
    let cyrillic = site.read("postmortems/2024/2024-05-05-incident.md");
    assert!(
        cyrillic.contains("title = \"Ошибка базы данных\""),
        "the title is kept whole:\n{cyrillic}"
    );
    let run = site.pmsite(&["check", "--drafts"]);
    assert!(!run.stderr.contains("PM005"), "{}", run.stderr);
}

#[test]
fn init_in_a_repository_adds_its_lines_to_the_existing_gitignore() {
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(repo.path().join(".gitignore"), "node_modules/\n/public/").unwrap();
    run_in(repo.path(), &["init", "."])
        .success()
        .stdout_has(".gitignore (pmsite's lines added at its end)");
    let gitignore = std::fs::read_to_string(repo.path().join(".gitignore")).unwrap();
    assert!(gitignore.starts_with("node_modules/\n/public/\n"), "{gitignore}");
    assert_eq!(gitignore.matches("/public/").count(), 1, "{gitignore}");
    assert!(gitignore.contains("/.public.pmsite-lock\n"), "{gitignore}");
    run_in(repo.path(), &["build"]).success();
    // A second init still refuses: the site is there.
    run_in(repo.path(), &["init", "."])
        .status(2)
        .stderr_has("pmsite.toml already exists");
    assert_eq!(
        std::fs::read_to_string(repo.path().join(".gitignore")).unwrap(),
        gitignore
    );
}
