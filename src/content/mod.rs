//! Stage 1, load: walk `postmortems/`, read and parse every file in parallel.
//!
//! Output: every postmortem that could be read, every other file under `postmortems/`
//! (images and the like, published only when linked), and a diagnostic for every problem
//! that one file shows on its own. Nothing here looks at two postmortems at once.

pub mod decode;
pub mod front_matter;
pub mod inputs;
pub mod links;
pub mod markdown;
pub mod moment;
pub mod postmortem;
pub mod schema;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

pub use postmortem::*;

use crate::config::Config;
use crate::diagnostic::{Code, Diagnostic, Lines, Location};
use crate::tree::{Codes, Reader};

pub const POSTMORTEMS_DIR: &str = "postmortems";

#[derive(Default)]
pub struct Content {
    /// Sorted by source path; the order everything downstream starts from.
    pub postmortems: Vec<Postmortem>,
    /// Keys (paths relative to `postmortems/`, `/`-separated) of every file found,
    /// Markdown or not, including those that failed to parse: a link to a broken file is
    /// not also a broken link.
    pub files: BTreeSet<String>,
    /// Files whose front matter could not be read into a postmortem. Their bodies are
    /// still checked, so that an author sees every problem of the file at once.
    pub unreadable_front_matter: Vec<Source>,
    /// The text files a build publishes as they are (linked attachments, `static/`), for
    /// the secret checks.
    pub published_files: Vec<inputs::PublishedFile>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Content {
    /// Lets go of each file's front matter text and parsed tree, and of the published
    /// files' text. The checks are their last readers; on a large archive they are hundreds
    /// of megabytes that the rest of the build would carry to the end.
    pub fn release_front_matter(&mut self) {
        self.published_files = Vec::new();
        self.release_trees();
        for source in self.sources_mut() {
            source.head = Head::default();
        }
    }

    /// Lets go of each file's parsed front matter and line tables, which the checks made
    /// and read (`Source::front_matter` and `Source::location` make them anew from the
    /// text). A preview leaves the text in the files instead (`Source::leave_head_in`).
    pub fn release_trees(&mut self) {
        for source in self.sources_mut() {
            source.lines = Default::default();
            source.tree = Default::default();
        }
    }

    fn sources_mut(&mut self) -> impl Iterator<Item = &mut Source> {
        self.postmortems
            .iter_mut()
            .map(|pm| &mut pm.source)
            .chain(self.unreadable_front_matter.iter_mut())
    }
}

/// What one file gave. Boxed: a preview keeps ten thousand of these in a map, and moves
/// them in and out of each build's content.
pub struct Parsed {
    pub postmortem: Option<Box<Postmortem>>,
    /// The body of a file whose front matter failed, when it could be split off.
    pub orphan: Option<Box<Source>>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Parsed {
    fn failed(diagnostic: Diagnostic) -> Parsed {
        Parsed {
            postmortem: None,
            orphan: None,
            diagnostics: vec![diagnostic],
        }
    }
}

/// Why the content could not be loaded at all (as opposed to problems in files).
#[derive(Debug)]
pub enum LoadError {
    MissingDir(PathBuf),
    Unreadable(PathBuf, std::io::Error),
    Walk(walkdir::Error),
}

pub fn load(root: &Path, config: &Config) -> Result<Content, LoadError> {
    let walked = walk(root)?;
    let parsed: Vec<Parsed> = walked
        .files
        .par_iter()
        .filter(|file| file.is_markdown())
        .map(|file| load_file(file, config))
        .collect();
    Ok(Content::assemble(&walked, parsed))
}

/// A file under postmortems/, as the walk found it.
pub struct File {
    pub path: PathBuf,
    /// Relative to postmortems/, `/`-separated.
    pub key: String,
    /// What changes whenever the file's bytes do (size, times, inode): a preview reads a
    /// file again only when its stamp changed.
    pub stamp: Option<Stamp>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
    #[cfg(unix)]
    changed: (i64, i64),
    #[cfg(unix)]
    inode: u64,
}

impl Stamp {
    pub fn of(metadata: &std::fs::Metadata) -> Stamp {
        #[cfg(unix)]
        use std::os::unix::fs::MetadataExt;
        Stamp {
            len: metadata.len(),
            modified: metadata.modified().ok(),
            #[cfg(unix)]
            changed: (metadata.ctime(), metadata.ctime_nsec()),
            #[cfg(unix)]
            inode: metadata.ino(),
        }
    }
}

impl File {
    pub fn is_markdown(&self) -> bool {
        self.key.ends_with(".md")
    }
}

/// What the walk of a site's postmortems/ found.
pub struct Walked {
    /// The site folder, canonical: symlinks are judged against it.
    site: PathBuf,
    /// In the order everything downstream starts from.
    pub files: Vec<File>,
    /// Symlinks out of the site, which are neither read nor published.
    diagnostics: Vec<Diagnostic>,
}

/// Every file under `root`'s postmortems/ (see `inputs::walk` for symlinks).
pub fn walk(root: &Path) -> Result<Walked, LoadError> {
    let dir = root.join(POSTMORTEMS_DIR);
    if !dir.is_dir() {
        return Err(LoadError::MissingDir(dir));
    }
    // Symlinks are judged against the real site folder, wherever `root` points from.
    let site = std::fs::canonicalize(root).map_err(|e| LoadError::Unreadable(root.to_path_buf(), e))?;
    let mut files = Vec::new();
    let mut diagnostics = Vec::new();
    inputs::walk(
        &site,
        &site.join(POSTMORTEMS_DIR),
        is_ignored,
        &mut diagnostics,
        |path, relative| {
            files.push(File {
                path: path.to_path_buf(),
                key: path_key(relative),
                stamp: None,
            });
        },
    )
    .map_err(LoadError::Walk)?;
    // One system call per file, on every core: most of a walk's time on a large archive.
    files.par_iter_mut().for_each(|file| {
        file.stamp = std::fs::metadata(&file.path).ok().map(|m| Stamp::of(&m));
    });
    Ok(Walked {
        site,
        files,
        diagnostics,
    })
}

/// Reads and parses one Markdown file of the walk.
pub fn load_file(file: &File, config: &Config) -> Parsed {
    let display = Path::new(POSTMORTEMS_DIR).join(&file.key);
    let bytes = match std::fs::read(&file.path) {
        Ok(bytes) => bytes,
        Err(e) => {
            let message = format!("cannot read the file: {e}");
            return Parsed::failed(Diagnostic::error(Code::UnreadableFile, display, message));
        }
    };
    match String::from_utf8(bytes) {
        Ok(text) => parse_file(&display, file.key.clone(), &text, config),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes());
            Parsed::failed(
                Diagnostic::error(Code::UnreadableFile, display, "the file is not valid UTF-8")
                    .at(Location::of(&text, at..at + 1))
                    .hint("save the file as UTF-8"),
            )
        }
    }
}

impl Content {
    /// The content of a walk, from each Markdown file's parse (by key, in walk order); the
    /// files it links to and the site's static/ and templates/ are read here too.
    pub fn assemble(walked: &Walked, parsed: Vec<Parsed>) -> Content {
        let mut content = Content {
            postmortems: Vec::with_capacity(parsed.len()),
            files: walked.files.iter().map(|f| f.key.clone()).collect(),
            diagnostics: walked.diagnostics.clone(),
            ..Content::default()
        };
        for parsed in parsed {
            content.postmortems.extend(parsed.postmortem.map(|pm| *pm));
            content
                .unreadable_front_matter
                .extend(parsed.orphan.map(|source| *source));
            content.diagnostics.extend(parsed.diagnostics);
        }
        inputs::attachments(&walked.site.join(POSTMORTEMS_DIR), &mut content);
        inputs::site_folders(&walked.site, &mut content);
        content
    }

    /// Takes the content apart again into each Markdown file's postmortem or orphaned
    /// body, by key. (Not its diagnostics: a preview keeps those of each parse itself.)
    /// The files' line tables and front-matter trees go ([`Content::release_trees`]): a
    /// preview keeps these between builds.
    pub fn into_parsed(mut self) -> rustc_hash::FxHashMap<String, Parsed> {
        self.release_trees();
        let mut by_key = rustc_hash::FxHashMap::with_capacity_and_hasher(
            self.postmortems.len() + self.unreadable_front_matter.len(),
            Default::default(),
        );
        for pm in self.postmortems {
            let key = pm.source.key.clone();
            parsed_of(&mut by_key, key).postmortem = Some(Box::new(pm));
        }
        for orphan in self.unreadable_front_matter {
            let key = orphan.key.clone();
            parsed_of(&mut by_key, key).orphan = Some(Box::new(orphan));
        }
        by_key
    }
}

fn parsed_of(by_key: &mut rustc_hash::FxHashMap<String, Parsed>, key: String) -> &mut Parsed {
    by_key.entry(key).or_insert_with(|| Parsed {
        postmortem: None,
        orphan: None,
        diagnostics: Vec::new(),
    })
}

/// Names starting with `.` or `_` are the author's own (drafts folders, editor files).
fn is_ignored(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy();
    name.starts_with('.') || name.starts_with('_')
}

fn path_key(relative: &Path) -> String {
    // Already the key when it is UTF-8 with `/` between names (every Unix path the walk
    // makes); taken apart and joined otherwise.
    #[cfg(unix)]
    if let Some(key) = relative.to_str() {
        return key.to_owned();
    }
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// One file: front matter, decode, and a scan of the body.
pub fn parse_file(display: &Path, key: String, text: &str, config: &Config) -> Parsed {
    // A NUL is no part of any text (it would reach the pages as it is): a damaged file.
    if let Some(at) = text.find('\0') {
        return Parsed::failed(
            Diagnostic::error(
                Code::UnreadableFile,
                display,
                "the file contains a NUL character (byte 0)",
            )
            .at(Location::of(text, at..at + 1))
            .hint("remove it: a text file has none; the file may have been saved by a binary tool"),
        );
    }
    let syntax_error = |e: crate::tree::SyntaxError| {
        Diagnostic::error(Code::FrontMatterSyntax, display, e.message)
            .at(Location::of(text, e.span))
            .maybe_hint(e.hint)
    };
    let split = match front_matter::split(text) {
        Ok(split) => split,
        Err(e) => return Parsed::failed(syntax_error(e)),
    };
    let root = match front_matter::parse(&split) {
        Ok(root) => root,
        Err(errors) => {
            return Parsed {
                postmortem: None,
                orphan: None,
                diagnostics: errors.into_iter().map(syntax_error).collect(),
            };
        }
    };
    let source = Source {
        path: display.into(),
        key,
        body: Body::new(split.body),
        digest: Source::digest_of(text),
        head_digest: Source::digest_of(&text[..split.body_offset]),
        head: Head::new(text[..split.body_offset].to_string()),
        // Parsed again by the checks that need it, one file at a time (see the field).
        tree: Default::default(),
        body_offset: split.body_offset,
        body_line: text[..split.body_offset].matches('\n').count() + 1,
        outline: markdown::scan(split.body, split.body_offset),
        id_location: Location::of(text, id_span(&root).unwrap_or(root.span.start..root.span.start)),
        lines: Default::default(),
    };
    let mut reader = Reader::new(display, text, Codes::FRONT_MATTER);
    let (postmortem, orphan) = match decode::decode(&mut reader, &root, config, source) {
        // Stored as a clone: the parse grows its lists and strings by pushing, and a clone
        // allocates each at its length. The spare capacity was 800 bytes a postmortem of
        // the generated corpus (8 MiB of a 10,000-postmortem build, held from load to
        // render, and of what a preview keeps between builds); cloning costs no
        // measurable time.
        Ok(pm) => (Some(Box::new(pm.clone())), None),
        Err(source) => (None, Some(source)),
    };
    Parsed {
        postmortem,
        orphan,
        diagnostics: reader.diagnostics,
    }
}

fn id_span(root: &crate::tree::Node) -> Option<std::ops::Range<usize>> {
    match &root.value {
        crate::tree::Value::Table(entries) => entries
            .iter()
            .find(|e| e.key == "id")
            .map(|e| e.node.span.clone()),
        _ => None,
    }
}

/// The location in its file of a span found in a body (body spans are file offsets).
pub fn body_location(source: &Source, span: std::ops::Range<usize>) -> Location {
    let start = span.start.saturating_sub(source.body_offset);
    let end = span.end.saturating_sub(source.body_offset);
    let body = source.lines.body.get_or_make(|| {
        let text = source.body.text();
        UnpackedBody {
            lines: Lines::new(&text),
            text,
        }
    });
    let mut at = body.lines.locate(&body.text, start..end);
    at.line += source.body_line - 1;
    at.bytes = span;
    at
}

/// A hash of the postmortems' front matter and file names (which can be their ids and
/// dates): everything of them but their bodies. What is made from front matter alone (the
/// checks' vocabulary and recurrences, a site's ledger and insights) is the same while this is.
pub fn front_matter_digest<'a>(postmortems: impl IntoIterator<Item = &'a Postmortem>) -> u64 {
    use std::hash::Hasher;
    let mut hasher = rustc_hash::FxHasher::default();
    for pm in postmortems {
        hasher.write(pm.source.key.as_bytes());
        hasher.write_u8(0);
        hasher.write_u64(pm.source.head_digest);
    }
    hasher.finish()
}

impl Source {
    /// The `digest` of a file holding `text`.
    pub fn digest_of(text: &str) -> u64 {
        use std::hash::Hasher;
        let mut hasher = rustc_hash::FxHasher::default();
        hasher.write(text.as_bytes());
        hasher.write_usize(text.len());
        hasher.finish()
    }

    /// The location in the file of a span of the file, in the front matter or in the body.
    pub fn location(&self, span: std::ops::Range<usize>) -> Location {
        if span.start >= self.body_offset {
            body_location(self, span)
        } else {
            let lines = self.lines.head.get_or_init(|| Lines::new(self.head()));
            lines.locate(self.head(), span)
        }
    }

    /// The parsed front matter, kept until [`Source::let_go`] (null once `head` was let
    /// go, see `Content::release_front_matter`).
    pub fn front_matter(&self) -> std::sync::Arc<crate::tree::Node> {
        self.tree.get_or_make(|| {
            front_matter::split(self.head())
                .ok()
                .and_then(|split| front_matter::parse(&split).ok())
                .unwrap_or(crate::tree::Node {
                    value: crate::tree::Value::Null,
                    span: 0..0,
                })
        })
    }

    /// Lets go of what the file's checks made: its parsed front matter, and its body
    /// unpacked for findings in it.
    pub fn let_go(&self) {
        self.tree.forget();
        self.lines.body.forget();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_file_reports_all_problems_of_one_file() {
        let text = "+++\ntitle = \"\"\nseverity = \"SEV9\"\nstarted_at = \"soon\"\nsummary = \"s\"\nservics = []\n+++\nbody\n";
        let parsed = parse_file(
            Path::new("postmortems/x.md"),
            "x.md".into(),
            text,
            &Config::default(),
        );
        let orphan = parsed.orphan.is_some();
        let (pm, d) = (parsed.postmortem, parsed.diagnostics);
        assert!(pm.is_none());
        assert!(orphan, "the body is kept for link checks");
        let lines: Vec<_> = d.iter().map(|d| d.line()).collect();
        assert_eq!(lines, [2, 3, 4, 6]);
    }

    #[test]
    fn parse_file_scans_the_body() {
        let text = "+++\ntitle = \"t\"\nseverity = \"SEV1\"\nstarted_at = 2020-01-01\nsummary = \"s\"\n+++\n## Root cause\n[a](b.md)\n";
        let parsed = parse_file(
            Path::new("postmortems/x.md"),
            "x.md".into(),
            text,
            &Config::default(),
        );
        let (pm, d) = (parsed.postmortem, parsed.diagnostics);
        assert!(d.is_empty(), "{d:?}");
        let pm = pm.unwrap();
        assert_eq!(pm.source.outline.headings[0].id, "root-cause");
        assert_eq!(&text[pm.source.outline.links[0].span.clone()], "[a](b.md)");
    }

    #[test]
    fn a_body_and_head_left_in_their_file_read_as_parsed_until_the_file_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.md");
        let text = "\u{feff}+++\ntitle = \"t\"\nseverity = \"SEV1\"\nstarted_at = 2020-01-01\nsummary = \"s\"\n+++\n## Root cause\nThe cache, é.\n";
        std::fs::write(&path, text).unwrap();
        let parsed = parse_file(
            Path::new("postmortems/x.md"),
            "x.md".into(),
            text,
            &Config::default(),
        );
        let mut source = parsed.postmortem.unwrap().source;
        let (body, head) = (source.body.text(), source.head().to_string());
        assert_eq!(body, "## Root cause\nThe cache, é.\n");
        assert_eq!(format!("{head}{body}"), text);
        source.leave_body_in(&path);
        source.leave_head_in(&path);
        assert_eq!(source.body.text(), body);
        assert_eq!(source.head(), head);
        // Changed since its parse: what would be read back is not what was parsed.
        source.leave_head_in(&path);
        std::fs::write(&path, text.replace("cache", "queue")).unwrap();
        assert_eq!(source.body.text(), "");
        assert_eq!(source.head(), "");
        std::fs::remove_file(&path).unwrap();
        assert_eq!(source.body.text(), "");
    }
}
