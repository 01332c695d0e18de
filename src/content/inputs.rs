//! The files a build reads and publishes besides the postmortems, and the one rule for
//! symlinks among them: a symlink under `postmortems/`, `static/` or `templates/` may point
//! anywhere inside the site folder, never out of it. A pull request can add
//! `env.txt -> /proc/self/environ`; following it would publish the build's environment.

use std::fs;
use std::path::{Path, PathBuf};

use super::links::{self, Target};
use super::{Content, POSTMORTEMS_DIR, Source, body_location};
use crate::diagnostic::{Code, Diagnostic};

/// The folders besides `postmortems/` whose files a build reads (`templates/`) or
/// publishes (`static/`).
pub const SITE_FOLDERS: [&str; 2] = ["static", "templates"];

/// A text file the build publishes as it is (a linked attachment, a file of `static/`),
/// kept for the secret checks.
pub struct PublishedFile {
    /// Relative to the site root, as shown in diagnostics.
    pub path: PathBuf,
    pub text: String,
}

/// Walks `dir` in file-name order and calls `file(path, relative)` for every file in it,
/// following symlinks that stay inside `root` (canonical) and reporting, without following
/// or reading them, those that leave it or lead nowhere. `skip` prunes entries by name.
pub fn walk(
    root: &Path,
    dir: &Path,
    skip: fn(&std::ffi::OsStr) -> bool,
    diagnostics: &mut Vec<Diagnostic>,
    mut file: impl FnMut(&Path, &Path),
) -> Result<(), walkdir::Error> {
    let display = |path: &Path| path.strip_prefix(root).unwrap_or(path).to_path_buf();
    // Sorted once at the end: walkdir's sort takes each name apart again at every comparison,
    // a tenth of a preview's rebuild on a large archive.
    let mut files = Vec::new();
    let mut walker = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !skip(e.file_name()));
    while let Some(entry) = walker.next() {
        let entry = match entry {
            Ok(entry) => entry,
            // A symlink to nothing: walkdir cannot follow it.
            Err(e) if e.path().is_some_and(|p| p.is_symlink()) => {
                let path = e.path().expect("checked above");
                diagnostics.push(symlink_out(&display(path), "leads to nothing"));
                continue;
            }
            Err(e) => return Err(e),
        };
        if entry.path_is_symlink() && !resolves_inside(root, entry.path()) {
            diagnostics.push(symlink_out(
                &display(entry.path()),
                "points outside the site folder",
            ));
            if entry.file_type().is_dir() {
                walker.skip_current_dir();
            }
            continue;
        }
        if entry.file_type().is_file() {
            files.push(entry.into_path());
        }
    }
    files.sort_by_cached_key(|path| crate::diagnostic::path_order(path).collect::<Vec<u8>>());
    for path in &files {
        file(path, path.strip_prefix(dir).unwrap_or(path));
    }
    Ok(())
}

fn resolves_inside(root: &Path, path: &Path) -> bool {
    fs::canonicalize(path).is_ok_and(|target| target.starts_with(root))
}

fn symlink_out(display: &Path, what: &str) -> Diagnostic {
    Diagnostic::error(
        Code::SymlinkOutside,
        display,
        format!("this symlink {what}; pmsite neither reads nor publishes it"),
    )
    .hint("copy the file into the site folder instead of linking to it, or remove the link")
}

/// The symlink rule over `static/` and `templates/`, and the text of every file of
/// `static/` for the secret checks (the build copies them all).
pub fn site_folders(root: &Path, content: &mut Content) {
    for folder in SITE_FOLDERS {
        let dir = root.join(folder);
        if !dir.is_dir() {
            continue;
        }
        let mut texts = Vec::new();
        // An unreadable folder here is the renderer's to report, as it reads them.
        let _ = walk(
            root,
            &dir,
            |_| false,
            &mut content.diagnostics,
            |path, relative| {
                if folder == "static" {
                    texts.push((path.to_path_buf(), Path::new(folder).join(relative)));
                }
            },
        );
        for (path, display) in texts {
            match fs::read(&path) {
                Ok(bytes) => content.published_files.extend(published(display, bytes)),
                Err(e) => content.diagnostics.push(
                    Diagnostic::error(
                        Code::UnreadableFile,
                        display,
                        format!("cannot read the file: {e}"),
                    )
                    .hint("the build copies every file of static/: make it readable, or remove it"),
                ),
            }
        }
    }
}

/// Reads the files under `postmortems/` that a postmortem links to (the attachments a
/// build may publish): an unreadable one is reported at the link, a text one kept for the
/// secret checks.
pub fn attachments(dir: &Path, content: &mut Content) {
    let sources = content
        .postmortems
        .iter()
        .map(|pm| &pm.source)
        .chain(&content.unreadable_front_matter);
    let mut linked: std::collections::BTreeMap<String, (&Source, std::ops::Range<usize>)> =
        Default::default();
    for source in sources {
        for link in &source.outline.links {
            if let Target::File { key } = links::resolve(&source.key, &link.destination)
                && content.files.contains(&key)
            {
                linked.entry(key).or_insert((source, link.span.clone()));
            }
        }
    }
    let mut found = Vec::new();
    let mut diagnostics = Vec::new();
    for (key, (source, span)) in linked {
        let display = Path::new(POSTMORTEMS_DIR).join(&key);
        match fs::read(dir.join(&key)) {
            Ok(bytes) => found.extend(published(display, bytes)),
            Err(e) => diagnostics.push(
                Diagnostic::error(
                    Code::UnreadableFile,
                    &source.path,
                    format!(
                        "cannot read {}, which this postmortem links to: {e}",
                        display.display()
                    ),
                )
                .at(body_location(source, span))
                .hint("the build publishes linked files: make it readable, or remove the link"),
            ),
        }
    }
    content.published_files.extend(found);
    content.diagnostics.extend(diagnostics);
}

/// A file the build publishes, as text, unless it is binary (not UTF-8, or with a NUL
/// byte: images, archives), which the secret checks cannot read.
fn published(path: PathBuf, bytes: Vec<u8>) -> Option<PublishedFile> {
    let text = String::from_utf8(bytes).ok().filter(|t| !t.contains('\0'))?;
    Some(PublishedFile { path, text })
}
