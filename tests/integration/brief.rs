//! `pmsite brief`: the fixture archive (tests/fixtures/brief/site) and diffs
//! (tests/fixtures/brief/diffs) against the expected briefs (tests/fixtures/brief/expected;
//! `PMSITE_BLESS=1` rewrites them); links, audiences, errors; `build --base-url`.

use std::fs;
use std::path::{Path, PathBuf};

use crate::test::Site;

const TODAY: &str = "2025-06-01";
const TITLE: &str = "Raise the checkout timeout and give payments a retry budget";

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/brief")
}

/// The fixture archive, built (as CI would build it before briefing).
fn built_archive() -> Site {
    let site = Site::copy_of(&fixture().join("site"));
    site.build();
    site
}

fn brief(site: &Site, diff: &str, format: &str) -> crate::test::Run {
    let diff = fixture().join("diffs").join(format!("{diff}.diff"));
    site.pmsite(&[
        "brief",
        "--diff",
        diff.to_str().unwrap(),
        "--title",
        TITLE,
        "--format",
        format,
        "--today",
        TODAY,
    ])
    .success()
}

#[test]
fn briefs_match_their_snapshots() {
    let site = built_archive();
    let bless = std::env::var_os("PMSITE_BLESS").is_some();
    for diff in ["two-services", "none", "unknown-path"] {
        for (format, extension) in [("markdown", "md"), ("json", "json")] {
            let got = brief(&site, diff, format).stdout;
            let expected_path = fixture().join("expected").join(format!("{diff}.{extension}"));
            if bless {
                fs::write(&expected_path, &got).unwrap();
                continue;
            }
            let expected = fs::read_to_string(&expected_path).unwrap_or_else(|_| {
                panic!("{} is missing; run with PMSITE_BLESS=1", expected_path.display())
            });
            assert_eq!(
                got,
                expected,
                "{diff} as {format} differs from {} (PMSITE_BLESS=1 rewrites it)",
                expected_path.display()
            );
        }
    }
}

#[test]
fn a_diff_touching_two_services_briefs_both_and_counts_the_unmapped_path() {
    let site = built_archive();
    let json: serde_json::Value = serde_json::from_str(&brief(&site, "two-services", "json").stdout).unwrap();
    assert_eq!(json["format"], "pmsite-brief");
    assert_eq!(json["version"], 1);
    let services: Vec<&str> = json["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(services, ["checkout-api", "payments"]);
    assert_eq!(json["change"]["paths"], 3);
    assert_eq!(json["change"]["unmapped_paths"], serde_json::json!(["README.md"]));
    // The payments incident matches the title's "retry budget" best.
    assert_eq!(
        json["incidents"][0]["id"],
        "2023-05-02-payments-provider-timeouts"
    );
    assert_eq!(json["open_action_items"], 3);
    assert_eq!(json["overdue_action_items"], 3);
    assert_eq!(
        json["action_items"][0]["days_overdue"], 747,
        "the most overdue first"
    );
}

#[test]
fn a_change_that_touches_no_service_says_so_in_one_line() {
    let site = built_archive();
    let markdown = brief(&site, "none", "markdown").stdout;
    let lines: Vec<&str> = markdown.lines().collect();
    assert_eq!(
        lines,
        [
            "<!-- pmsite-brief -->",
            "This change touches no service mapped in the incident archive (2 changed paths)."
        ],
        "a negated pattern (!services/payments/docs/**) takes its paths back out"
    );
}

#[test]
fn a_rename_counts_both_of_its_paths_and_an_unknown_path_is_reported() {
    let site = built_archive();
    let json: serde_json::Value = serde_json::from_str(&brief(&site, "unknown-path", "json").stdout).unwrap();
    assert_eq!(json["services"][0]["name"], "checkout-api");
    assert_eq!(
        json["services"][0]["paths"], 2,
        "libs/cart/old.rs and libs/cart/new.rs"
    );
    assert_eq!(
        json["change"]["unmapped_paths"],
        serde_json::json!(["tools/unknown/thing.sh"])
    );
}

/// Every link of the Markdown brief, absolute under base_url, names a page the build wrote
/// and, with a fragment, an id on that page.
#[test]
fn every_link_in_a_brief_points_at_a_page_the_build_wrote() {
    let site = built_archive();
    let markdown = brief(&site, "two-services", "markdown").stdout;
    let mut links = Vec::new();
    for event in pulldown_cmark::Parser::new(&markdown) {
        if let pulldown_cmark::Event::Start(pulldown_cmark::Tag::Link { dest_url, .. }) = event {
            links.push(dest_url.to_string());
        }
    }
    let pages: Vec<&String> = links
        .iter()
        .filter(|l| l.starts_with("https://incidents.example.com/"))
        .collect();
    assert!(
        pages.len() >= 10,
        "incidents, lessons and action items link: {links:?}"
    );
    for link in pages {
        let relative = link.trim_start_matches("https://incidents.example.com/");
        let (path, fragment) = relative.split_once('#').unwrap_or((relative, ""));
        let page = site.path().join("public").join(path).join("index.html");
        let html =
            fs::read_to_string(&page).unwrap_or_else(|_| panic!("{link}: no page at {}", page.display()));
        if !fragment.is_empty() {
            assert!(
                html.contains(&format!("id=\"{fragment}\"")),
                "{link}: no #{fragment}"
            );
        }
    }
    let others: Vec<&String> = links
        .iter()
        .filter(|l| !l.starts_with("https://incidents.example.com/"))
        .collect();
    assert!(
        others
            .iter()
            .all(|l| l.starts_with("https://jira.example.com/browse/")),
        "only tickets link elsewhere: {others:?}"
    );
}

#[test]
fn restricted_and_draft_postmortems_never_appear_in_a_brief() {
    let site = Site::copy_of(&fixture().join("site"));
    // Even a build that published them: the brief leaves them out itself.
    site.pmsite(&["build", "--audience", "restricted", "--drafts", "--today", TODAY])
        .success();
    assert!(site.read("public/incidents.json").contains("RESTRICTEDCANARY"));
    for format in ["markdown", "json", "human"] {
        for diff in ["two-services", "unknown-path"] {
            let out = brief(&site, diff, format).stdout;
            for canary in [
                "RESTRICTEDCANARY",
                "DRAFTCANARY",
                "checkout-restricted",
                "payments-draft",
            ] {
                assert!(
                    !out.contains(canary),
                    "{canary} in the {format} brief of {diff}:\n{out}"
                );
            }
        }
    }
    let json: serde_json::Value = serde_json::from_str(&brief(&site, "two-services", "json").stdout).unwrap();
    assert_eq!(json["services"][0]["incidents"], 2, "counted nowhere either");
    assert_eq!(json["open_action_items"], 3);
}

#[test]
fn the_service_page_shows_the_lessons_the_brief_shows() {
    let site = built_archive();
    let out = site
        .pmsite(&[
            "brief",
            "--service",
            "checkout-api",
            "--format",
            "json",
            "--today",
            TODAY,
        ])
        .success()
        .stdout;
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let page = site.read("public/services/checkout-api/index.html");
    let lessons = json["lessons"].as_array().unwrap();
    assert_eq!(lessons.len(), 2);
    let mut last = 0;
    for incident in lessons {
        for lesson in incident["lessons"].as_array().unwrap() {
            let text = lesson["text"].as_str().unwrap();
            let at = page
                .find(text)
                .unwrap_or_else(|| panic!("the service page lacks the brief's lesson {text:?}"));
            assert!(at > last, "in the brief's order");
            last = at;
        }
    }
}

#[test]
fn an_unknown_service_gets_a_did_you_mean() {
    let site = built_archive();
    site.pmsite(&["brief", "--service", "chekout-api"])
        .status(2)
        .stderr_has("no published incident names the service `chekout-api`")
        .stderr_has("did you mean `checkout-api`?");
}

#[test]
fn paths_without_service_paths_are_an_error_with_a_hint() {
    let site = Site::new();
    site.postmortem("a.md", "services = [\"api\"]", "");
    site.pmsite(&["brief", "--paths", "src/main.rs"])
        .status(2)
        .stderr_has("[service_paths]")
        .stderr_has("--service-paths FILE");
}

#[test]
fn a_brief_without_a_build_builds_the_site_first() {
    let site = Site::copy_of(&fixture().join("site"));
    let run = site
        .pmsite(&["brief", "--paths", "services/checkout/a.go", "--today", TODAY])
        .success()
        .stderr_has("building the site first");
    assert!(run.stdout.starts_with("<!-- pmsite-brief -->\n"));
    assert!(run.stdout.contains("- **checkout-api**: 2 published incidents"));
    assert!(site.exists("public/index.html"));
}

#[test]
fn a_preview_s_site_is_built_again_before_a_brief_links_to_it() {
    let site = Site::copy_of(&fixture().join("site"));
    // What `pmsite serve` leaves in the output: pages at the preview's address.
    site.pmsite(&["build", "--base-url", "http://127.0.0.1:39799/"])
        .success();
    let run = site
        .pmsite(&["brief", "--paths", "services/checkout/a.go", "--today", TODAY])
        .success()
        .stderr_has("is a preview's (its pages are at http://127.0.0.1:39799/): building the site first");
    assert!(!run.stdout.contains("127.0.0.1"), "{}", run.stdout);
    assert!(run.stdout.contains("- **checkout-api**: 2 published incidents"));
}

#[test]
fn a_diff_on_stdin_and_a_service_paths_file_that_wins() {
    let site = built_archive();
    site.write("code/services.toml", "search = [\"services/checkout/\"]\n");
    let diff = fs::read_to_string(fixture().join("diffs/two-services.diff")).unwrap();
    let mut child = std::process::Command::new(crate::test::BIN)
        .args([
            "brief",
            "--diff",
            "-",
            "--service-paths",
            "code/services.toml",
            "--format",
            "json",
        ])
        .current_dir(site.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), diff.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["services"].as_array().unwrap().len(), 1);
    assert_eq!(json["services"][0]["name"], "search");
}

#[test]
fn bad_service_paths_give_file_line_and_field_errors() {
    let site = Site::new();
    site.write(
        "pmsite.toml",
        "title = \"x\"\nservices = [\"checkout-api\"]\n[service_paths]\ncheckout-api = [\"src/**\", \"src/{a\"]\nchekout-api = [\"x/\"]\n",
    );
    site.pmsite(&["check"])
        .status(2)
        .stderr_has("pmsite.toml:4")
        .stderr_has("`src/{a` is not a valid path pattern")
        .stderr_has("service_paths.checkout-api[1]")
        .stderr_has("pmsite.toml:5")
        .stderr_has("did you mean `checkout-api`?");
    site.write("pmsite.toml", "title = \"x\"\n");
    site.write(
        "services.toml",
        "# the code repository's map\napi = \"{broken\"\n",
    );
    site.pmsite(&["brief", "--paths", "a", "--service-paths", "services.toml"])
        .status(2)
        .stderr_has("services.toml:2")
        .stderr_has("`{broken` is not a valid path pattern");
}

#[test]
fn markdown_and_human_briefs_are_stable() {
    let site = built_archive();
    let first = brief(&site, "two-services", "human").stdout;
    assert_eq!(first, brief(&site, "two-services", "human").stdout);
    assert!(first.contains("checkout-api: 2 published incidents"));
    assert!(!first.contains("<!--"), "no marker outside Markdown");
}

#[test]
fn base_url_flag_changes_feed_and_canonical_urls() {
    let site = Site::copy_of(&fixture().join("site"));
    site.pmsite(&[
        "build",
        "--today",
        TODAY,
        "--base-url",
        "https://preview.example.org/pr-7",
    ])
    .success();
    let feed = site.read("public/feed.xml");
    assert!(
        feed.contains("https://preview.example.org/pr-7/incidents/"),
        "{feed}"
    );
    assert!(!feed.contains("incidents.example.com"));
    let page = site.read("public/incidents/2021-01-10-search-reindex/index.html");
    assert!(page.contains("href=\"https://preview.example.org/pr-7/incidents/2021-01-10-search-reindex/\""));
    site.pmsite(&["build", "--base-url", "preview.example.org"])
        .status(2)
        .stderr_has("must be an http(s) URL");
}

#[test]
fn the_no_base_url_warning_says_how_to_fix_it() {
    let site = Site::new();
    site.write("pmsite.toml", "title = \"x\"\n");
    site.postmortem("a.md", "", "");
    site.build().stderr_has("--base-url URL");
}

/// Actions the workflows may use, each at a major version that exists (checked on GitHub:
/// actions/checkout v4, configure-pages v5, upload-pages-artifact v3, deploy-pages v4,
/// github-script v7, upload-artifact v4, download-artifact v4).
const PINNED_ACTIONS: &[&str] = &[
    "actions/checkout@v4",
    "actions/configure-pages@v5",
    "actions/upload-pages-artifact@v3",
    "actions/deploy-pages@v4",
    "actions/github-script@v7",
    "actions/upload-artifact@v4",
    "actions/download-artifact@v4",
];

/// Every `(key, value)` of a YAML document whose value is a string, and the mappings, by
/// walking it: enough to read what a workflow runs.
fn strings(node: &saphyr::Yaml<'_>, key: &str, out: &mut Vec<(String, String)>) {
    use saphyr::Yaml;
    match node {
        Yaml::Mapping(map) => {
            for (k, v) in map {
                strings(v, k.as_str().unwrap_or_default(), out);
            }
        }
        Yaml::Sequence(items) => {
            for item in items {
                strings(item, key, out);
            }
        }
        other => {
            if let Some(text) = other.as_str() {
                out.push((key.to_string(), text.to_string()));
            }
        }
    }
}

fn parse_yaml(path: &Path) -> (String, Vec<(String, String)>) {
    use saphyr::LoadableYamlNode;
    let text = fs::read_to_string(path).unwrap();
    let documents =
        saphyr::Yaml::load_from_str(&text).unwrap_or_else(|e| panic!("{} is not YAML: {e}", path.display()));
    assert_eq!(documents.len(), 1, "{}", path.display());
    let mut found = Vec::new();
    strings(&documents[0], "", &mut found);
    (text, found)
}

/// The shell syntax of `script` is valid for `shell` (`bash -n`).
fn assert_shell_parses(shell: &str, script: &str, origin: &str) {
    let output = std::process::Command::new(shell)
        .args(["-n", "-c", script])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{origin}: {shell} -n rejects:\n{script}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn generated_workflows_parse_and_use_only_pinned_actions_and_valid_shell() {
    let parent = tempfile::tempdir().unwrap();
    let kb = parent.path().join("kb");
    crate::test::Site::new()
        .pmsite(&["init", kb.to_str().unwrap()])
        .success();
    let github = [
        kb.join(".github/workflows/pmsite.yml"),
        kb.join("code-repository/.github/workflows/pmsite-brief.yml"),
        repository().join(".github/workflows/release.yml"),
    ];
    // GitHub substitutes its expressions before the shell sees a script.
    let expression = regex::Regex::new(r"\$\{\{[^}]*\}\}").unwrap();
    for path in &github {
        let (_, found) = parse_yaml(path);
        let origin = path.display().to_string();
        let uses: Vec<&String> = found
            .iter()
            .filter(|(k, _)| k == "uses")
            .map(|(_, v)| v)
            .collect();
        assert!(!uses.is_empty(), "{origin}");
        for action in uses {
            assert!(
                PINNED_ACTIONS.contains(&action.as_str()),
                "{origin}: `{action}` is not a pinned, known action"
            );
        }
        for (_, script) in found.iter().filter(|(k, _)| k == "run") {
            let script = expression.replace_all(script, "x");
            assert_shell_parses("bash", &script, &origin);
        }
    }
    let (pages, found) = parse_yaml(&github[0]);
    for needed in [
        "pages: write",
        "id-token: write",
        "name: github-pages",
        "--format github",
        "--base-url",
    ] {
        assert!(pages.contains(needed), "the Pages workflow lacks {needed}");
    }
    assert!(
        found
            .iter()
            .any(|(k, v)| k == "uses" && v == "actions/deploy-pages@v4")
    );
    let (brief, _) = parse_yaml(&github[1]);
    assert!(brief.contains("pull-requests: write"));
    assert!(brief.contains(&format!("const marker = '{}';", pmsite::brief::MARKER)));
    let (gitlab, found) = parse_yaml(&kb.join(".gitlab-ci.yml"));
    let script: Vec<&str> = found
        .iter()
        .filter(|(k, _)| k == "before_script" || k == "script")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_shell_parses("sh", &script.join("\n"), ".gitlab-ci.yml");
    assert!(gitlab.contains("merge_request_event") && gitlab.contains("$CI_DEFAULT_BRANCH"));
    assert!(gitlab.contains("pages:") && gitlab.contains("paths: [public]"));
    for text in [&pages, &brief, &gitlab] {
        assert!(text.contains(&format!("PMSITE_VERSION: \"{}\"", env!("CARGO_PKG_VERSION"))));
        assert!(text.contains("sha256sum --check"));
    }
}

/// The install step of the generated workflow, run as GitHub would run it against a
/// release laid out as `.github/workflows/release.yml` lays it out (served from a folder):
/// it installs a binary that runs, and refuses an archive whose checksum does not match.
#[test]
fn the_generated_install_step_installs_a_checked_release_and_refuses_a_bad_one() {
    let tmp = tempfile::tempdir().unwrap();
    crate::test::Site::new()
        .pmsite(&["init", tmp.path().join("kb").to_str().unwrap()])
        .success();
    let (_, found) = parse_yaml(&tmp.path().join("kb/.github/workflows/pmsite.yml"));
    let install = found
        .iter()
        .find(|(k, v)| k == "run" && v.contains("curl"))
        .map(|(_, v)| v.clone())
        .unwrap();
    let version = env!("CARGO_PKG_VERSION");
    let name = format!("pmsite-v{version}-x86_64-unknown-linux-gnu");
    let releases = tmp.path().join("releases");
    let dir = releases.join(format!("v{version}"));
    fs::create_dir_all(dir.join(&name)).unwrap();
    fs::copy(crate::test::BIN, dir.join(&name).join("pmsite")).unwrap();
    let package = format!(
        "tar -czf {name}.tar.gz {name} && sha256sum {name}.tar.gz > {name}.tar.gz.sha256 && rm -r {name}"
    );
    let packed = std::process::Command::new("sh")
        .args(["-c", &package])
        .current_dir(&dir)
        .status()
        .unwrap();
    assert!(packed.success());
    let run = |runner: &Path| {
        fs::create_dir_all(runner).unwrap();
        let path_file = runner.join("github_path");
        let output = std::process::Command::new("bash")
            .args(["-e", "-c", &install])
            .env("PMSITE_VERSION", version)
            .env("PMSITE_RELEASES", format!("file://{}", releases.display()))
            .env("RUNNER_TEMP", runner)
            .env("GITHUB_PATH", &path_file)
            .output()
            .unwrap();
        (output, fs::read_to_string(&path_file).unwrap_or_default())
    };
    let (output, github_path) = run(&tmp.path().join("runner"));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let installed = Path::new(github_path.trim()).join("pmsite");
    let version_output = std::process::Command::new(&installed)
        .arg("--version")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&version_output.stdout).contains(version));
    // A tampered archive: the checksum no longer matches, and the step fails.
    let archive = dir.join(format!("{name}.tar.gz"));
    let mut bytes = fs::read(&archive).unwrap();
    bytes.push(0);
    fs::write(&archive, bytes).unwrap();
    let (output, github_path) = run(&tmp.path().join("runner2"));
    assert!(!output.status.success(), "a bad checksum must fail the step");
    assert!(github_path.is_empty());
}

/// The brief workflow's own shell step, run in a code repository with two commits and the
/// archive checked out beside it: it writes a brief of the pull request's diff.
#[test]
fn the_brief_workflow_step_writes_the_brief_of_a_pull_request() {
    let tmp = tempfile::tempdir().unwrap();
    crate::test::Site::new()
        .pmsite(&["init", tmp.path().join("kb").to_str().unwrap()])
        .success();
    let (_, found) = parse_yaml(
        &tmp.path()
            .join("kb/code-repository/.github/workflows/pmsite-brief.yml"),
    );
    let step = found
        .iter()
        .find(|(k, v)| k == "run" && v.contains("pmsite brief"))
        .map(|(_, v)| v.clone())
        .unwrap();
    let code = tmp.path().join("code");
    fs::create_dir_all(code.join("services/checkout")).unwrap();
    crate::test::copy_dir(&fixture().join("site"), &code.join(".incident-archive"));
    let git = |args: &[&str]| {
        let output = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(&code)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    };
    git(&["init", "-q"]);
    fs::write(code.join(".gitignore"), ".incident-archive/\n").unwrap();
    fs::write(code.join("services/checkout/handler.go"), "package checkout\n").unwrap();
    git(&["add", "."]);
    git(&["commit", "-qm", "base"]);
    let base = git(&["rev-parse", "HEAD"]);
    fs::write(
        code.join("services/checkout/handler.go"),
        "package checkout\n// retry budget\n",
    )
    .unwrap();
    git(&["commit", "-qam", "change"]);
    let head = git(&["rev-parse", "HEAD"]);
    let runner = tmp.path().join("runner");
    fs::create_dir_all(&runner).unwrap();
    let bin_dir = Path::new(crate::test::BIN).parent().unwrap();
    let output = std::process::Command::new("bash")
        .args(["-e", "-c", &step])
        .current_dir(&code)
        .env(
            "PATH",
            format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap()),
        )
        .env("RUNNER_TEMP", &runner)
        .env("BASE_SHA", base)
        .env("HEAD_SHA", head)
        .env("PR_TITLE", "Give checkout a retry budget")
        .env("PR_BODY", "It retries `forever` today; $(no expansion) here.")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let brief = fs::read_to_string(runner.join("brief.md")).unwrap();
    assert!(brief.starts_with(pmsite::brief::MARKER), "{brief}");
    assert!(
        brief.contains("- **checkout-api**: 2 published incidents"),
        "{brief}"
    );
}

/// The first brief after a build writes the per-service cache; a later one answers from it
/// with the same bytes, and a new build makes the cache again.
#[test]
fn the_brief_cache_answers_the_same_and_follows_the_next_build() {
    let site = built_archive();
    let first = brief(&site, "two-services", "json").stdout;
    assert!(site.exists(".public.brief-cache/checkout-api.json"));
    assert_eq!(first, brief(&site, "two-services", "json").stdout);
    let path = "postmortems/2022-11-20-checkout-deploy-migration.md";
    let text = site.read(path).replace(
        "Checkout deploy ran a migration twice",
        "Checkout deploy retried a migration",
    );
    site.write(path, &text);
    site.build();
    let after = brief(&site, "two-services", "json").stdout;
    assert!(after.contains("Checkout deploy retried a migration"), "{after}");
    assert!(!after.contains("ran a migration twice"));
}
