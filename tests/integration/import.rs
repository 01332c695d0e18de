//! `pmsite import`: fixture archives of each kind (tests/fixtures/import/KIND/source) are
//! imported into empty sites and compared with their expected files
//! (tests/fixtures/import/KIND/expected; `PMSITE_BLESS=1` rewrites them), then checked and
//! built; nothing of the source may be lost.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use pmsite::config::Config;
use pmsite::content::parse_file;
use pmsite::diagnostic::Level;

use crate::test::Site;

const KINDS: &[&str] = &["plain-retro", "jekyll", "confluence", "gdocs"];

fn fixture(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(kind)
}

/// A fresh site with `kind` imported into it; the import must succeed for every file.
fn imported(kind: &str) -> Site {
    let site = Site::new();
    let source = fixture(kind).join("source");
    let mapping = fixture(kind).join("mapping.toml");
    let mut args = vec!["import".to_string(), source.display().to_string()];
    if mapping.exists() {
        args.extend(["--mapping".to_string(), mapping.display().to_string()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    site.pmsite(&args).status(0);
    site
}

/// Lowercased words of letters (numbers change form: times become datetimes).
fn words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_alphabetic())
        .filter(|w| w.chars().count() > 1)
        .map(str::to_lowercase)
        .collect()
}

/// The words a source holds: front-matter values (keys are structure: they become pmsite's
/// field names), the body, and of an HTML export what a reader sees.
fn source_words(path: &Path) -> BTreeSet<String> {
    let text = fs::read_to_string(path).unwrap();
    if path.extension().is_some_and(|e| e == "html") {
        return words(&visible_text(&text));
    }
    let Some(rest) = text.strip_prefix("---\n") else {
        return words(&text);
    };
    let (front, body) = rest.split_once("\n---\n").unwrap();
    let values: Vec<&str> = front
        .lines()
        .map(|l| l.split_once(':').map_or(l, |(_, v)| v))
        .collect();
    words(&values.join("\n")).union(&words(body)).cloned().collect()
}

/// What a reader of an HTML export sees: no head, scripts, styles, tags or attributes.
fn visible_text(html: &str) -> String {
    let dropped = regex::Regex::new(r"(?is)<(head|script|style)\b.*?</(head|script|style)>").unwrap();
    let tags = regex::Regex::new(r"(?s)<[^>]*>").unwrap();
    let text = dropped.replace_all(html, " ");
    tags.replace_all(&text, " ")
        .replace("&nbsp;", " ")
        .replace("&ndash;", "–")
        .replace("&amp;", "&")
}

#[test]
fn each_fixture_archive_imports_to_its_expected_files() {
    let bless = std::env::var_os("PMSITE_BLESS").is_some();
    for kind in KINDS {
        let site = imported(kind);
        let got = site.snapshot("postmortems");
        let expected_dir = fixture(kind).join("expected");
        if bless {
            let _ = fs::remove_dir_all(&expected_dir);
            for (path, bytes) in &got {
                let target = expected_dir.join(path);
                fs::create_dir_all(target.parent().unwrap()).unwrap();
                fs::write(target, bytes).unwrap();
            }
            continue;
        }
        let expected = crate::test::snapshot_of(&expected_dir);
        assert!(
            !expected.is_empty(),
            "{kind}: no expected files; run with PMSITE_BLESS=1"
        );
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "{kind}: file names"
        );
        for (path, bytes) in &got {
            assert_eq!(
                String::from_utf8_lossy(bytes),
                String::from_utf8_lossy(&expected[path]),
                "{kind}: {} differs from the expected file (PMSITE_BLESS=1 rewrites it)",
                path.display()
            );
        }
    }
}

#[test]
fn imported_archives_load_check_and_build() {
    for kind in KINDS {
        let site = imported(kind);
        for (path, bytes) in site.snapshot("postmortems") {
            let text = String::from_utf8(bytes).unwrap();
            let parsed = parse_file(&path, path.display().to_string(), &text, &Config::default());
            let errors: Vec<_> = parsed
                .diagnostics
                .iter()
                .filter(|d| d.level == Level::Error)
                .collect();
            assert!(
                parsed.postmortem.is_some() && errors.is_empty(),
                "{kind}: {}: {errors:?}",
                path.display()
            );
        }
        let check = site.pmsite(&["check", "--today", "2025-06-01"]);
        assert_eq!(check.status, 0, "{kind}: check found errors:\n{}", check.stderr);
        site.build();
        assert!(site.exists("public/index.html"), "{kind}: no site built");
    }
}

#[test]
fn no_word_of_a_source_is_lost() {
    for kind in KINDS {
        let site = imported(kind);
        let imported_words: BTreeSet<String> = site
            .snapshot("postmortems")
            .values()
            .flat_map(|bytes| words(&String::from_utf8_lossy(bytes)))
            .collect();
        for entry in fs::read_dir(fixture(kind).join("source")).unwrap() {
            let path = entry.unwrap().path();
            let lost: Vec<_> = source_words(&path).difference(&imported_words).cloned().collect();
            assert!(lost.is_empty(), "{kind}: {} lost {lost:?}", path.display());
        }
    }
}

#[test]
fn importing_twice_into_two_sites_gives_identical_files() {
    for kind in KINDS {
        assert_eq!(
            imported(kind).snapshot("postmortems"),
            imported(kind).snapshot("postmortems"),
            "{kind}"
        );
    }
}

#[test]
fn an_existing_file_is_never_overwritten_and_exits_1() {
    let site = imported("plain-retro");
    let before = site.snapshot("postmortems");
    let source = fixture("plain-retro").join("source");
    let run = site.pmsite(&["import", source.to_str().unwrap()]).status(1);
    assert!(
        run.stdout.contains("already exists; pmsite never overwrites"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("Imported 0 files, skipped 3"),
        "{}",
        run.stdout
    );
    assert_eq!(site.snapshot("postmortems"), before);
}

#[test]
fn dry_run_writes_nothing_and_reports_the_names() {
    let site = Site::new();
    let source = fixture("gdocs").join("source");
    let run = site
        .pmsite(&["import", "--dry-run", source.to_str().unwrap()])
        .status(0);
    assert!(
        run.stdout.contains(
            "-> postmortems/2024/2024-05-17-search-latency-regression-after-index-compaction.md (dry run"
        ),
        "{}",
        run.stdout
    );
    assert!(site.snapshot("postmortems").is_empty());
}

#[test]
fn json_report_lists_mapped_inferred_and_review_per_file() {
    let site = Site::new();
    let source = fixture("jekyll").join("source");
    let mapping = fixture("jekyll").join("mapping.toml");
    let run = site
        .pmsite(&[
            "import",
            "--format",
            "json",
            "--mapping",
            mapping.to_str().unwrap(),
            source.to_str().unwrap(),
        ])
        .status(0);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["version"], 1);
    let files = report["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    let login = files
        .iter()
        .find(|f| f["source"].as_str().unwrap().ends_with("login-errors.md"))
        .unwrap();
    assert_eq!(login["outcome"], "imported");
    let mapped: Vec<&str> = login["mapped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(mapped.contains(&"resolved_at <- end_time"), "{mapped:?}");
    assert!(mapped.contains(&"extra.layout (no pmsite field)"), "{mapped:?}");
    let billing = site.read("postmortems/2021/billing-run-2021.md");
    assert!(billing.contains("severity = \"SEV1\""), "{billing}");
    assert!(
        billing.contains("priority = \"critical\""),
        "the source's own word is kept:\n{billing}"
    );
}

#[test]
fn bad_sources_are_skipped_with_their_reason_and_exit_1() {
    let site = Site::new();
    let bad = tempfile::tempdir().unwrap();
    fs::write(bad.path().join("binary.md"), [0u8, 159, 146, 150]).unwrap();
    fs::write(bad.path().join("latin1.md"), b"# Caf\xe9 outage 2024-01-02\n").unwrap();
    fs::write(bad.path().join("huge.md"), vec![b'a'; 9 * 1024 * 1024]).unwrap();
    fs::write(
        bad.path().join("no-date.md"),
        "# Something broke\n\nNo day is named.\n",
    )
    .unwrap();
    fs::write(
        bad.path().join("bad-date.md"),
        "---\ntitle: Bad date\ndate: 03/08/2024\n---\n\nBody.\n",
    )
    .unwrap();
    fs::write(
        bad.path().join("2024-01-05-unclosed.md"),
        "---\ntitle: Only front matter\ndate: 2024-01-05\n",
    )
    .unwrap();
    let run = site.pmsite(&["import", bad.path().to_str().unwrap()]).status(1);
    for (file, reason) in [
        ("binary.md", "binary file"),
        ("latin1.md", "not UTF-8"),
        ("huge.md", "more than the"),
        ("no-date.md", "no started_at found"),
        (
            "bad-date.md",
            "its started_at = \"03/08/2024\" is not one pmsite can read",
        ),
        ("unclosed.md", "never closes: add a `---` line after its last key"),
    ] {
        let line = run
            .stdout
            .lines()
            .find(|l| l.contains(file))
            .unwrap_or_else(|| panic!("{file} not named:\n{}", run.stdout));
        assert!(line.contains(reason), "{file}: {line}");
    }
    assert!(site.snapshot("postmortems").is_empty());
}

#[test]
fn a_mapping_with_a_misspelt_field_stops_with_did_you_mean_and_exit_2() {
    let site = Site::new();
    site.write("mapping.toml", "[fields]\nstarted_a = \"date\"\n");
    site.write("old/a.md", "# A 2024-01-02\n");
    let run = site
        .pmsite(&["import", "old", "--mapping", "mapping.toml"])
        .status(2);
    assert!(
        run.stderr
            .contains("mapping.toml:2: `started_a` under [fields] is not a pmsite field"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("did you mean `started_at`?"),
        "{}",
        run.stderr
    );
    site.write("mapping.toml", "[defaults]\n\nseverity = \"SEV9\"\n");
    let run = site
        .pmsite(&["import", "old", "--mapping", "mapping.toml"])
        .status(2);
    assert!(
        run.stderr
            .contains("mapping.toml:3: [defaults] severity = \"SEV9\" is not a valid severity"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("SEV1, SEV2"), "{}", run.stderr);
    site.write("mapping.toml", "[field]\nid = \"uuid\"\n");
    let run = site
        .pmsite(&["import", "old", "--mapping", "mapping.toml"])
        .status(2);
    assert!(run.stderr.contains("did you mean [fields]?"), "{}", run.stderr);
}

#[test]
fn without_a_site_import_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let source = fixture("gdocs").join("source");
    let run = crate::test::Site::copy_of(dir.path())
        .pmsite(&["import", source.to_str().unwrap()])
        .status(2);
    assert!(run.stderr.contains("no pmsite.toml"), "{}", run.stderr);
}

#[test]
fn a_source_id_that_is_a_path_never_names_the_file() {
    let site = Site::new();
    let absolute = site.path().join("absolute");
    site.write(
        "old/a.md",
        "---\ntitle: Escape\nslug: ../../escaped\ndate: 2024-06-05\n---\n\nBody.\n",
    );
    site.write(
        "old/b.md",
        &format!(
            "---\ntitle: Absolute\nslug: {}\ndate: 2024-06-05\n---\n\nBody.\n",
            absolute.display()
        ),
    );
    let run = site.pmsite(&["import", "old"]).status(0);
    assert!(
        !site.exists("escaped.md") && !site.exists("absolute.md"),
        "a file was written outside postmortems/:\n{}",
        run.stdout
    );
    for (file, id) in [
        ("2024-06-05-escape.md", "../../escaped".to_string()),
        ("2024-06-05-absolute.md", absolute.display().to_string()),
    ] {
        let text = site.read(&format!("postmortems/2024/{file}"));
        assert!(
            text.contains(&id),
            "the source's id is kept under [extra]:\n{text}"
        );
    }
    assert!(run.stdout.contains("not a valid id"), "{}", run.stdout);
}

#[test]
fn a_title_without_ascii_letters_takes_its_id_from_the_file_name() {
    let site = Site::new();
    site.write(
        "old/db-outage.md",
        "# データベース障害\n\nDate: 2024-06-01\n\n## Summary\n\nThe database failed over.\n",
    );
    site.pmsite(&["import", "old"]).status(0);
    let text = site.read("postmortems/2024/2024-06-01-db-outage.md");
    assert!(text.contains("データベース障害"), "{text}");
    let run = site.pmsite(&["check"]);
    assert!(!run.stderr.contains("PM005"), "{}", run.stderr);
}

#[test]
fn importing_a_folder_that_holds_the_site_leaves_out_the_sites_own_files() {
    let site = Site::new();
    site.postmortem("2024/a.md", "", "Already here.\n");
    site.build();
    site.write(
        "old-retros/2023-02-01-queue-backlog.md",
        "# Queue backlog\n\n## Summary\n\nThe queue backed up.\n",
    );
    site.write(".git/notes.md", "# Not a retro 2023-01-01\n");
    let root = site.path().to_str().unwrap();
    let run = site.pmsite(&["import", root]).status(0);
    assert!(
        run.stdout.contains("Imported 1 file, skipped 0"),
        "only the old retro is a source:\n{}",
        run.stdout
    );
    assert!(site.exists("postmortems/2023/2023-02-01-queue-backlog.md"));
}

#[test]
fn a_draft_stays_a_draft_and_is_not_published() {
    let site = Site::new();
    site.write(
        "old/drafty.md",
        "---\ntitle: Drafty\ndate: 2024-07-01\ndraft: true\n---\n\nNot ready to share.\n",
    );
    site.pmsite(&["import", "old"])
        .status(0)
        .stdout_has("status = \"draft\" from draft = true");
    assert!(
        site.read("postmortems/2024/2024-07-01-drafty.md")
            .contains("status = \"draft\"")
    );
    site.build();
    assert!(!site.exists("public/incidents/2024-07-01-drafty"));
}

#[test]
fn linked_sources_are_followed_and_broken_links_reported() {
    let site = Site::new();
    site.write(
        "share/2023-02-01-queue-backlog.md",
        "# Queue backlog\n\n## Summary\n\nThe queue backed up.\n",
    );
    fs::create_dir_all(site.path().join("old")).unwrap();
    std::os::unix::fs::symlink(site.path().join("share"), site.path().join("old/share")).unwrap();
    std::os::unix::fs::symlink("/nonexistent/retro.md", site.path().join("old/gone.md")).unwrap();
    // Not a source, broken or not.
    std::os::unix::fs::symlink("/nonexistent/graph.png", site.path().join("old/graph.png")).unwrap();
    std::os::unix::fs::symlink(site.path().join("old"), site.path().join("old/again")).unwrap();
    let run = site.pmsite(&["import", "old"]).status(1);
    assert!(
        site.exists("postmortems/2023/2023-02-01-queue-backlog.md"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("it is a symlink to /nonexistent/retro.md, which does not exist"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("(a loop): not followed"), "{}", run.stdout);
    assert!(!run.stdout.contains("graph.png"), "{}", run.stdout);
}
