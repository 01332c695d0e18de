//! Stage 1, load: walk `postmortems/`, read and parse every file in parallel.
//!
//! Output: every postmortem that could be read, every other file under `postmortems/`
//! (images and the like, published only when linked), and a diagnostic for every problem
//! that one file shows on its own. Nothing here looks at two postmortems at once.

pub mod decode;
pub mod front_matter;
pub mod links;
pub mod markdown;
pub mod moment;
pub mod postmortem;
pub mod schema;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

pub use postmortem::*;

use crate::config::Config;
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::tree::{Codes, Reader};

pub const POSTMORTEMS_DIR: &str = "postmortems";

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
    pub diagnostics: Vec<Diagnostic>,
}

impl Content {
    /// Lets go of each file's front matter text and parsed tree. The checks are their last
    /// readers; on a large archive they are hundreds of megabytes that the rest of the build
    /// would carry to the end.
    pub fn release_front_matter(&mut self) {
        for source in self
            .postmortems
            .iter_mut()
            .map(|pm| &mut pm.source)
            .chain(self.unreadable_front_matter.iter_mut())
        {
            source.head = String::new();
            source.front_matter = crate::tree::Node {
                value: crate::tree::Value::Null,
                span: 0..0,
            };
        }
    }
}

/// What one file gave.
pub struct Parsed {
    pub postmortem: Option<Postmortem>,
    /// The body of a file whose front matter failed, when it could be split off.
    pub orphan: Option<Source>,
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
    Walk(walkdir::Error),
}

pub fn load(root: &Path, config: &Config) -> Result<Content, LoadError> {
    let files = walk(root)?;
    let parsed: Vec<(String, Parsed)> = files
        .par_iter()
        .filter(|file| file.is_markdown())
        .map(|file| (file.key.clone(), load_file(file, config)))
        .collect();
    Ok(Content::assemble(&files, parsed))
}

/// A file under postmortems/, as the walk found it.
pub struct File {
    pub path: PathBuf,
    /// Relative to postmortems/, `/`-separated.
    pub key: String,
    /// What changes whenever the file's bytes do (size, times, inode): a preview reads a
    /// file again only when its stamp changed.
    pub stamp: Stamp,
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

/// Every file under `root`'s postmortems/, in the order everything downstream starts from.
pub fn walk(root: &Path) -> Result<Vec<File>, LoadError> {
    let dir = root.join(POSTMORTEMS_DIR);
    if !dir.is_dir() {
        return Err(LoadError::MissingDir(dir));
    }
    let mut files = Vec::new();
    let walker = walkdir::WalkDir::new(&dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_ignored(e.file_name()));
    for entry in walker {
        let entry = entry.map_err(LoadError::Walk)?;
        if !entry.file_type().is_file() {
            continue;
        }
        let Ok(relative) = entry.path().strip_prefix(&dir) else {
            continue;
        };
        let key = path_key(relative);
        let stamp = entry.metadata().map_err(LoadError::Walk)?;
        files.push(File {
            path: entry.path().to_path_buf(),
            key,
            stamp: Stamp::of(&stamp),
        });
    }
    Ok(files)
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
    /// The content of the walked `files`, from each Markdown file's parse (by key, in
    /// `files` order).
    pub fn assemble(files: &[File], parsed: Vec<(String, Parsed)>) -> Content {
        let mut content = Content {
            postmortems: Vec::with_capacity(parsed.len()),
            files: files.iter().map(|f| f.key.clone()).collect(),
            unreadable_front_matter: Vec::new(),
            diagnostics: Vec::new(),
        };
        for (_, parsed) in parsed {
            content.postmortems.extend(parsed.postmortem);
            content.unreadable_front_matter.extend(parsed.orphan);
            content.diagnostics.extend(parsed.diagnostics);
        }
        content
    }

    /// Takes the content apart again into what each Markdown file gave, by key.
    pub fn into_parsed(self) -> HashMap<String, Parsed> {
        let mut by_key = HashMap::new();
        for pm in self.postmortems {
            let key = pm.source.key.clone();
            parsed_of(&mut by_key, key).postmortem = Some(pm);
        }
        for orphan in self.unreadable_front_matter {
            let key = orphan.key.clone();
            parsed_of(&mut by_key, key).orphan = Some(orphan);
        }
        let prefix = Path::new(POSTMORTEMS_DIR);
        for d in self.diagnostics {
            let key = d.file.strip_prefix(prefix).map(path_key).unwrap_or_default();
            parsed_of(&mut by_key, key).diagnostics.push(d);
        }
        by_key
    }
}

fn parsed_of(by_key: &mut HashMap<String, Parsed>, key: String) -> &mut Parsed {
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
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// One file: front matter, decode, and a scan of the body.
pub fn parse_file(display: &Path, key: String, text: &str, config: &Config) -> Parsed {
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
        path: display.to_path_buf(),
        key,
        body: split.body.to_string(),
        head: text[..split.body_offset].to_string(),
        // Filled in after decoding, which only borrows the tree: no copy of it.
        front_matter: crate::tree::Node {
            value: crate::tree::Value::Null,
            span: 0..0,
        },
        body_offset: split.body_offset,
        body_line: text[..split.body_offset].matches('\n').count() + 1,
        outline: markdown::scan(split.body, split.body_offset),
        id_location: Location::of(text, id_span(&root).unwrap_or(root.span.start..root.span.start)),
    };
    let mut reader = Reader::new(display, text, Codes::FRONT_MATTER);
    let (postmortem, orphan) = match decode::decode(&mut reader, &root, config, source) {
        Ok(mut pm) => {
            pm.source.front_matter = root;
            (Some(pm), None)
        }
        Err(mut source) => {
            source.front_matter = root;
            (None, Some(*source))
        }
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
    let mut at = Location::of(&source.body, start..end);
    at.line += source.body_line - 1;
    at.bytes = span;
    at
}

impl Source {
    /// The location in the file of a span of the file, in the front matter or in the body.
    pub fn location(&self, span: std::ops::Range<usize>) -> Location {
        if span.start >= self.body_offset {
            body_location(self, span)
        } else {
            Location::of(&self.head, span)
        }
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
}
