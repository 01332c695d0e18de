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
