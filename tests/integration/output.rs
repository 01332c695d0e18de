//! Output safety: a failed build leaves the published site untouched; a successful one
//! replaces it whole; pmsite never replaces a folder it did not write.

use crate::test::*;

#[test]
fn a_failed_build_leaves_the_previous_output_untouched() {
    let site = Site::new();
    site.postmortem("a.md", "", "");
    site.build();
    let before = site.snapshot("public");
    site.postmortem("b.md", "severity = \"SEV9\"", "");
    site.pmsite(&["build"])
        .status(1)
        .stderr_has("previous output was left untouched");
    assert_eq!(site.snapshot("public"), before);
}

#[test]
fn a_successful_build_replaces_the_output_whole() {
    let site = Site::new();
    site.postmortem("a.md", "", "").postmortem("b.md", "", "");
    site.build();
    std::fs::remove_file(site.path().join("postmortems/b.md")).unwrap();
    site.build();
    assert!(site.exists("public/incidents/a/index.html"));
    assert!(
        !site.exists("public/incidents/b"),
        "pages of removed postmortems disappear"
    );
    let stray: Vec<_> = std::fs::read_dir(site.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("staging"))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
}

#[test]
fn refuses_to_replace_a_folder_pmsite_did_not_write() {
    let site = Site::new();
    site.postmortem("a.md", "", "");
    site.write("docs/notes.txt", "precious");
    site.pmsite(&["build", "--output", "docs"])
        .status(2)
        .stderr_has("refusing to replace");
    assert_eq!(site.read("docs/notes.txt"), "precious");
    site.pmsite(&["build", "--output", "."])
        .status(2)
        .stderr_has("refusing to write the site");
    assert!(site.exists("pmsite.toml"));
}

#[test]
fn output_can_live_anywhere() {
    let site = Site::new();
    site.postmortem("a.md", "", "");
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("deep/er/site");
    site.pmsite(&["build", "--output", target.to_str().unwrap()])
        .success();
    assert!(target.join("incidents/a/index.html").exists());
}

#[test]
fn a_template_error_keeps_the_search_index_of_the_published_site() {
    let site = Site::new();
    site.postmortem("disk-full.md", "", "");
    site.build();
    let index = site.snapshot(".public.search-index");
    assert!(!index.is_empty());
    // A new postmortem and a template that fails only when a page is rendered: the index
    // is built before the pages, so it must wait for them before it is put in place.
    site.postmortem("expired-certificate.md", "", "");
    site.write("templates/incident.html", "{{ no_such_variable.field }}");
    site.pmsite(&["build", "--today", "2025-06-01"])
        .status(1)
        .stderr_has("cannot render `incident.html`");
    assert_eq!(site.snapshot(".public.search-index"), index);
    let found = site.pmsite(&["search", "certificate", "--json"]).success().json();
    assert_eq!(
        found["total"], 0,
        "the index knows only the published site: {found}"
    );
    let leftovers: Vec<String> = std::fs::read_dir(site.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("tmp") || name.contains("staging"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn search_says_when_the_postmortems_changed_since_the_index() {
    let site = Site::new();
    site.postmortem("disk-full.md", "", "");
    site.build();
    let current = site.pmsite(&["search", "disk"]).success();
    assert!(!current.stderr.contains("changed since"), "{}", current.stderr);
    site.postmortem("disk-full.md", "", "The disk filled up again.");
    site.pmsite(&["search", "disk"])
        .success()
        .stderr_has("the postmortems changed since the search index was built");
    let quiet = site.pmsite(&["--quiet", "search", "disk"]).success();
    assert!(
        quiet.stdout.contains("disk-full"),
        "still answers: {}",
        quiet.stdout
    );
    assert!(quiet.stderr.is_empty(), "no note when quiet: {}", quiet.stderr);
    site.build();
    let refreshed = site.pmsite(&["search", "disk"]).success();
    assert!(
        !refreshed.stderr.contains("changed since"),
        "{}",
        refreshed.stderr
    );
}

#[test]
fn search_refuses_an_index_that_belongs_to_another_output() {
    let site = Site::new();
    site.postmortem("disk-full.md", "", "");
    site.build();
    // The output replaced behind pmsite's back, as a build stopped between putting the site
    // and its index in place would leave it.
    std::fs::rename(site.path().join("public"), site.path().join("old")).unwrap();
    copy_dir(&site.path().join("old"), &site.path().join("public"));
    site.pmsite(&["search", "disk"])
        .status(2)
        .stderr_has("does not belong to the site");
    site.build();
    site.pmsite(&["search", "disk"]).success();
}
