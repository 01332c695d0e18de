//! What a hostile pull request, a killed CI job or a careless command line must not get
//! past: symlinks out of the site, outputs inside the inputs, killed and concurrent builds,
//! absurd numbers, names the OS cannot store.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::check::{diagnostics, one};
use crate::test::*;

/// A secret-looking file outside the site, as `/proc/self/environ` or `/etc/shadow` would be.
fn outside_secret() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("environ"),
        "CI_TOKEN=ghp_outsideTheSiteAbcdefghijklmnopqrstuvwxyz0123\n",
    )
    .unwrap();
    dir
}

#[test]
fn a_symlink_out_of_the_site_is_refused_and_never_published() {
    let outside = outside_secret();
    let site = Site::new();
    site.postmortem(
        "a.md",
        "",
        "See [the environment](env.txt) and [the dump](dump/environ).\n",
    );
    symlink(
        outside.path().join("environ"),
        site.path().join("postmortems/env.txt"),
    )
    .unwrap();
    symlink(outside.path(), site.path().join("postmortems/dump")).unwrap();
    symlink("/nonexistent/graph.png", site.path().join("postmortems/gone.png")).unwrap();
    fs::create_dir_all(site.path().join("static")).unwrap();
    symlink(outside.path().join("environ"), site.path().join("static/env.txt")).unwrap();
    fs::create_dir_all(site.path().join("templates")).unwrap();
    symlink(
        outside.path().join("environ"),
        site.path().join("templates/base.html"),
    )
    .unwrap();

    let run = site.pmsite(&["build"]).status(1);
    for link in [
        "postmortems/env.txt",
        "postmortems/dump",
        "static/env.txt",
        "templates/base.html",
    ] {
        assert!(
            run.stderr.contains("PM012") && run.stderr.contains(link),
            "{link} not refused:\n{}",
            run.stderr
        );
    }
    assert!(
        !run.stderr.contains("ghp_"),
        "the target's content is never printed"
    );
    assert!(run.stderr.contains("postmortems/gone.png") && run.stderr.contains("leads to nothing"));
    assert!(!site.exists("public"));
    site.pmsite(&["check"])
        .status(1)
        .stderr_has("points outside the site folder");
}

#[test]
fn a_symlink_to_a_markdown_file_outside_never_prints_it() {
    let outside = outside_secret();
    fs::write(
        outside.path().join("shadow"),
        "root:$6$secret-hash:19000:0:99999:7:::\n",
    )
    .unwrap();
    let site = Site::new();
    symlink(
        outside.path().join("shadow"),
        site.path().join("postmortems/shadow.md"),
    )
    .unwrap();
    let run = site
        .pmsite(&["check"])
        .status(1)
        .stderr_has("postmortems/shadow.md");
    assert!(!run.stderr.contains("secret-hash"), "{}", run.stderr);
    assert!(
        !run.stderr.contains("PM001"),
        "the file is never parsed:\n{}",
        run.stderr
    );
}

#[test]
fn a_symlink_inside_the_site_is_followed() {
    let site = Site::new();
    site.write("shared/diagram.txt", "boxes and arrows");
    site.postmortem("a.md", "", "See [the diagram](diagram.txt).\n");
    symlink(
        site.path().join("shared/diagram.txt"),
        site.path().join("postmortems/diagram.txt"),
    )
    .unwrap();
    site.build();
    assert_eq!(site.read("public/files/diagram.txt"), "boxes and arrows");
}

#[test]
fn secrets_in_published_attachments_and_static_files_are_found() {
    let site = Site::new();
    site.postmortem("a.md", "", "The [log](app.log) and the [chart](chart.png).\n");
    site.write(
        "postmortems/app.log",
        "connecting\naws_key AKIAIOSFODNN7EXAMPLQ used\n",
    );
    fs::write(
        site.path().join("postmortems/chart.png"),
        b"\x89PNG\r\n\x1a\n\0\0AKIAIOSFODNN7EXAMPLQ",
    )
    .unwrap();
    site.write("postmortems/unlinked.log", "AKIAIOSFODNN7EXAMPLQ");
    site.write(
        "static/extra.js",
        "const token = \"ghp_abcdefghijklmnopqrstuvwxyz0123456789AB\";\n",
    );
    let run = site.pmsite(&["check", "--format", "json"]);
    let found: Vec<(String, String, u64)> = run.json()["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["file"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert!(
        found.contains(&("PM201".into(), "postmortems/app.log".into(), 2)),
        "{found:?}"
    );
    assert!(
        found.contains(&("PM203".into(), "static/extra.js".into(), 1)),
        "{found:?}"
    );
    assert!(
        !found
            .iter()
            .any(|(_, file, _)| file.ends_with("chart.png") || file.ends_with("unlinked.log")),
        "binary and unpublished files are not scanned: {found:?}"
    );
    assert!(!run.stdout.contains("AKIA"), "the secret is never shown");
}

#[test]
fn an_output_inside_the_sites_inputs_is_refused_and_nothing_is_written_beside_it() {
    let site = Site::new();
    site.postmortem("a.md", "", "");
    site.write("static/style.css", "body{}");
    site.write("templates/.keep", "");
    for output in ["static/out", "templates/out", "postmortems/out", "postmortems"] {
        site.pmsite(&["build", "--output", output])
            .status(2)
            .stderr_has("refusing to write the site");
    }
    site.pmsite(&["build", "--output", "."])
        .status(2)
        .stderr_has("refusing to write the site");
    for folder in ["static", "templates", "postmortems", "."] {
        let extra: Vec<String> = fs::read_dir(site.path().join(folder))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".") && n != ".keep" || n == "out")
            .collect();
        assert!(extra.is_empty(), "{folder}: {extra:?}");
    }
    // Through a symlink to the site, too.
    let elsewhere = tempfile::tempdir().unwrap();
    symlink(site.path(), elsewhere.path().join("site")).unwrap();
    let through = elsewhere.path().join("site/static/new");
    site.pmsite(&["build", "--output", through.to_str().unwrap()])
        .status(2);
    assert!(!site.exists("static/new"));
}

/// A site big enough that a debug build takes a moment.
fn sizeable_site() -> Site {
    let site = Site::new();
    let body = "## Impact\n\nCheckout failed for some users.\n\n## Root cause\n\nA certificate expired.\n"
        .repeat(20);
    for i in 0..400 {
        site.postmortem(&format!("pm-{i:03}.md"), "", &body);
    }
    site
}

fn spawn_build(site: &Site) -> Child {
    Command::new(BIN)
        .args(["build", "--today", "2025-06-01"])
        .current_dir(site.path())
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start pmsite")
}

/// Names in the site folder that a build leaves beside `public/`.
fn beside_output(site: &Site) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(site.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".public.") && n != ".public.search-index" && n != ".public.pmsite-lock")
        .collect();
    names.sort();
    names
}

/// Waits until the build has a staging folder, then sends `signal`.
fn stop_while_staging(site: &Site, child: &mut Child, signal: &str) -> std::process::ExitStatus {
    let started = Instant::now();
    while !beside_output(site).iter().any(|n| n.contains("pmsite-staging")) {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the build ended before it could be stopped"
        );
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no staging folder appeared"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    let pid = child.id().to_string();
    Command::new("kill").args([signal, &pid]).status().unwrap();
    child.wait().unwrap()
}

#[test]
fn a_killed_build_leaves_nothing_the_next_build_keeps() {
    let site = sizeable_site();
    let mut child = spawn_build(&site);
    let status = stop_while_staging(&site, &mut child, "-KILL");
    assert_eq!(std::os::unix::process::ExitStatusExt::signal(&status), Some(9));
    // Leftovers of builds killed before, whose processes are gone.
    fs::create_dir_all(site.path().join(".public.pmsite-staging-999999999/incidents")).unwrap();
    fs::create_dir_all(site.path().join(".public.search-index.tmp-999999998")).unwrap();
    site.build();
    assert_eq!(beside_output(&site), Vec::<String>::new());
    assert!(site.exists("public/incidents/pm-399/index.html"));
}

#[test]
fn a_terminated_build_removes_its_staging_folder() {
    let site = sizeable_site();
    site.build();
    let before = site.snapshot("public");
    let mut child = spawn_build(&site);
    let status = stop_while_staging(&site, &mut child, "-TERM");
    assert_eq!(status.code(), Some(128 + 15), "exits as SIGTERM would");
    let left: Vec<String> = beside_output(&site)
        .into_iter()
        .filter(|n| n.contains("pmsite-staging"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    assert_eq!(site.snapshot("public"), before, "the published site is as it was");
}

#[test]
fn two_concurrent_builds_both_succeed_one_waiting_for_the_other() {
    let site = sizeable_site();
    let (first, second) = (spawn_build(&site), spawn_build(&site));
    for child in [first, second] {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    assert_eq!(beside_output(&site), Vec::<String>::new());
    assert!(site.exists("public/incidents/pm-000/index.html"));
}

#[test]
fn a_build_waits_for_the_lock_and_says_who_holds_it() {
    let site = Site::new();
    site.postmortem("a.md", "", "");
    let lock = fs::File::create(site.path().join(".public.pmsite-lock")).unwrap();
    lock.lock().unwrap();
    let mut child = spawn_build(&site);
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stderr, &mut first).unwrap();
    assert!(first.contains("waiting for another pmsite build"), "{first}");
    std::thread::sleep(Duration::from_millis(200));
    assert!(child.try_wait().unwrap().is_none(), "the build waits");
    assert!(!site.exists("public"));
    lock.unlock().unwrap();
    assert!(child.wait().unwrap().success());
    assert!(site.exists("public/incidents/a/index.html"));
}

#[test]
fn search_limit_must_be_a_sane_number() {
    let site = Site::new();
    site.postmortem("a.md", "", "Certificate expired.\n");
    site.postmortem("b.md", "", "Certificate expired.\n");
    site.build();
    for limit in ["0", "9223372036854775807", "10001", "-1", "many"] {
        site.pmsite(&["search", "certificate", &format!("--limit={limit}")])
            .status(2)
            .stderr_has("is not a number of results from 1 to 10000");
    }
    let run = site
        .pmsite(&["search", "certificate", "--limit", "1", "--json"])
        .success();
    assert_eq!(run.json()["hits"].as_array().unwrap().len(), 1, "{}", run.stdout);
}

/// Runs `pmsite args` in `site` as an unprivileged user when the tests run as root (root
/// reads any file, so an unreadable one would not be).
fn pmsite_unprivileged(site: &Site, args: &[&str]) -> Run {
    let root = String::from_utf8(Command::new("id").arg("-u").output().unwrap().stdout).unwrap();
    let mut command = if root.trim() == "0" {
        // The temp folder must be reachable by that user.
        let mut dir = site.path();
        while let Some(parent) = dir.parent() {
            let mode = fs::metadata(dir).unwrap();
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(dir, fs::Permissions::from_mode(mode.permissions().mode() | 0o755)).unwrap();
            dir = parent;
            if dir == Path::new("/") {
                break;
            }
        }
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", BIN]);
        c
    } else {
        Command::new(BIN)
    };
    let output = command
        .args(args)
        .current_dir(site.path())
        .env("NO_COLOR", "1")
        .output()
        .expect("run pmsite");
    Run::from(output)
}

#[test]
fn an_unreadable_attachment_is_reported_at_its_link_by_check() {
    use std::os::unix::fs::PermissionsExt;
    let site = Site::new();
    site.postmortem("a.md", "", "Intro.\n\nThe [capture](capture.log).\n");
    site.write("postmortems/capture.log", "x");
    for dir in ["", "postmortems"] {
        fs::set_permissions(site.path().join(dir), fs::Permissions::from_mode(0o755)).unwrap();
    }
    for file in ["pmsite.toml", "postmortems/a.md"] {
        fs::set_permissions(site.path().join(file), fs::Permissions::from_mode(0o644)).unwrap();
    }
    fs::set_permissions(
        site.path().join("postmortems/capture.log"),
        fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    let run = pmsite_unprivileged(&site, &["check", "--format", "json"]).status(1);
    let json = run.json();
    let errors: Vec<_> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["level"] == "error")
        .collect();
    assert_eq!(errors.len(), 1, "{}", run.stdout);
    let d = errors[0];
    assert_eq!(d["code"], "PM011");
    assert_eq!(d["file"], "postmortems/a.md");
    assert_eq!(d["line"], 9, "the link's line");
    assert!(d["message"].as_str().unwrap().contains("postmortems/capture.log"));
    assert!(d["hint"].as_str().is_some());
}

#[test]
fn what_build_would_fail_on_check_finds_first_with_a_line() {
    let long = "x".repeat(300);
    let site = Site::new();
    site.postmortem("a.md", "id = \"index.html\"", "");
    site.postmortem("b.md", &format!("id = \"{long}\""), "");
    site.postmortem(
        "c.md",
        &format!("tags = [\"ok\", \"{long}\"]\nowner = \"{long}\""),
        "",
    );
    site.postmortem(
        "d.md",
        &format!(
            "services = [\"{long}\"]\n[[action_items]]\ntitle = \"t\"\nowner = \"{long}\"\ndue = 2024-04-01"
        ),
        "",
    );
    let errors = diagnostics(&site);
    let fields: Vec<(u64, &str)> = errors
        .iter()
        .map(|(_, _, line, field, _)| (*line, field.as_str()))
        .collect();
    assert_eq!(
        fields,
        [
            (6, "id"),
            (6, "id"),
            (6, "tags[1]"),
            (7, "owner"),
            (6, "services[0]"),
            (9, "action_items[0].owner")
        ],
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .all(|(code, _, _, _, hint)| code == "PM005" && !hint.is_empty())
    );
    let run = site.pmsite(&["build"]).status(1);
    assert!(!run.stderr.contains("cannot write"), "{}", run.stderr);
    assert!(!site.exists("public"));
}

#[test]
fn an_id_with_an_accent_gets_a_hint_that_is_itself_valid() {
    let site = Site::new();
    site.postmortem("a.md", "id = \"Café Outage\"", "");
    let (code, _, _, _, hint) = one(&site);
    assert_eq!(code, "PM005");
    assert!(hint.ends_with("e.g. `cafe-outage`"), "{hint}");
    site.postmortem("a.md", "id = \"cafe-outage\"", "");
    assert_eq!(diagnostics(&site), []);
}

#[test]
fn years_far_apart_are_refused_with_the_range() {
    let site = Site::new();
    site.postmortem("a.md", "started_at = \"-200000-01-01\"", "");
    site.write(
        "postmortems/b.md",
        "---\ntitle: b\nseverity: SEV2\nsummary: s\nstarted_at: \"+200000-01-01\"\n---\n",
    );
    site.postmortem(
        "c.md",
        "[[action_items]]\ntitle = \"t\"\nowner = \"o\"\ndue = 3024-01-01",
        "",
    );
    let run = site.pmsite(&["check"]).status(1);
    assert_eq!(
        run.stderr.matches("pmsite takes years from 1900 to 2999").count(),
        3,
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("in the year -200000"), "{}", run.stderr);
    assert!(run.stderr.contains("in the year 3024"), "{}", run.stderr);
}

#[test]
fn numbers_too_large_to_show_exactly_are_refused() {
    let site = Site::new();
    site.postmortem(
        "a.md",
        "[impact]\nusers_affected = 9223372036854775807\nrevenue_lost = 1.8446744073709552e19",
        "",
    );
    let errors = diagnostics(&site);
    let fields: Vec<&str> = errors.iter().map(|e| e.3.as_str()).collect();
    assert_eq!(
        fields,
        ["impact.users_affected", "impact.revenue_lost"],
        "{errors:?}"
    );
    site.postmortem(
        "a.md",
        "[impact]\nusers_affected = 1000000000000000\nrevenue_lost = 123456789012.5",
        "",
    );
    site.build();
    let page = site.read("public/incidents/a/index.html");
    assert!(page.contains("1,000,000,000,000,000"), "users shown as written");
    assert!(page.contains("123,456,789,012.5"), "revenue shown as written");
}

#[test]
fn a_nul_in_a_postmortem_is_an_error_at_its_line_never_written_to_a_page() {
    let site = Site::new();
    site.postmortem("a.md", "", "Line one.\n\nA \0 here.\n");
    let (code, _, line, _, _) = one(&site);
    assert_eq!((code.as_str(), line), ("PM011", 9));
    site.pmsite(&["build"]).status(1);
}

#[test]
fn punctuation_only_tags_and_their_hex_spelling_get_pages_of_their_own() {
    let site = Site::new();
    site.postmortem("a.md", "tags = [\"!!\"]", "");
    site.postmortem("b.md", "tags = [\"2121\"]", "");
    site.build();
    let bang = site.read("public/tags/2121-/index.html");
    let digits = site.read("public/tags/2121/index.html");
    assert!(bang.contains("incidents/a/") && !bang.contains("incidents/b/"));
    assert!(digits.contains("incidents/b/") && !digits.contains("incidents/a/"));
}

#[test]
fn yaml_timestamp_tags_are_read_as_dates() {
    let site = Site::new();
    site.write(
        "postmortems/a.md",
        "---\ntitle: a\nseverity: SEV2\nsummary: s\nstarted_at: !!timestamp 2024-03-08T15:42:00Z\n---\n",
    );
    assert_eq!(diagnostics(&site), []);
    site.build();
    assert!(site.read("public/incidents/a/index.html").contains("2024-03-08"));
}

#[test]
fn an_svg_data_url_is_refused_and_never_published() {
    let site = Site::new();
    site.postmortem(
        "a.md",
        "",
        "[x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+) and ![dot](data:image/png;base64,iVBORw0KGgo=)\n",
    );
    let (code, _, line, _, _) = one(&site);
    assert_eq!((code.as_str(), line), ("PM009", 7));
}

#[test]
fn a_too_deep_dotted_toml_key_is_reported_at_its_line() {
    let site = Site::new();
    let deep = vec!["k"; 300].join(".");
    site.postmortem("a.md", &format!("\n\n{deep} = 1"), "");
    let (code, _, line, _, _) = one(&site);
    assert_eq!((code.as_str(), line), ("PM001", 8));
}

#[test]
fn the_first_and_last_allowed_years_build_with_pages_of_their_own() {
    let site = Site::new();
    site.postmortem("old.md", "started_at = 1900-01-01", "");
    site.postmortem("far.md", "started_at = 2999-12-31", "");
    site.build();
    assert!(
        site.read("public/years/1900/index.html")
            .contains("incidents/old/")
    );
    assert!(
        site.read("public/years/2999/index.html")
            .contains("incidents/far/")
    );
}

#[test]
fn a_quote_inside_a_word_never_turns_the_query_into_operators() {
    let site = Site::new();
    site.postmortem("a.md", "", "The lock was held.\n");
    site.build();
    for query in ["p\"a l: *\"t", "a\"b l: (* c\"d", "\"l:*\""] {
        site.pmsite(&["search", query]).success();
    }
    let run = site.pmsite(&["search", "x\"lock held\"y", "--json"]).success();
    assert_eq!(run.json()["total"], 0, "x and y must match too: {}", run.stdout);
    let run = site.pmsite(&["search", "\"lock-was held\"", "--json"]).success();
    assert_eq!(run.json()["total"], 1, "{}", run.stdout);
}
