//! `pmsite import`: an existing archive (plain Markdown retros, Markdown with another tool's
//! front matter, HTML exports) becomes postmortems in the documented format, losing nothing.
//!
//! Per file: `sources` reads it safely, `html` turns an export into Markdown, `mapping` maps
//! the front-matter keys it has, `infer` reads title, date, timeline and action items from
//! the text, and `fields` normalises the values. The file is then written in pmsite's TOML
//! format and parsed back with [`content::parse_file`]: a value the checker would refuse is
//! moved to `[extra]` (or into its item's text) with a note, so what lands always loads.

mod fields;
mod html;
mod infer;
mod mapping;
mod report;
mod sources;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use toml::{Table, Value};

pub use mapping::{Mapping, MappingError};
pub use report::{FileReport, Notes, Outcome, Report};

use crate::config::{self, Config};
use crate::content::{self, POSTMORTEMS_DIR, front_matter};
use crate::diagnostic::Level;
use crate::scaffold::{file_with_stem, short_slug};

pub struct Options {
    pub sources: Vec<PathBuf>,
    pub root: PathBuf,
    pub mapping: Option<PathBuf>,
    pub dry_run: bool,
}

/// Why an import could not run at all (exit 2). A file that cannot be imported is not one
/// of these: it is skipped and named in the report.
#[derive(Debug)]
pub enum ImportError {
    NotASite(PathBuf),
    Config(config::ConfigError),
    Mapping(MappingError),
    Source(PathBuf, std::io::Error),
    NoFiles,
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImportError::NotASite(root) => write!(
                f,
                "no {} in {}: run `pmsite init DIR` first, or use --root DIR",
                config::FILE_NAME,
                root.display()
            ),
            ImportError::Config(_) => write!(f, "{} is invalid", config::FILE_NAME),
            ImportError::Mapping(e) => write!(f, "{e}"),
            ImportError::Source(path, e) => write!(f, "cannot read {}: {e}", path.display()),
            ImportError::NoFiles => write!(
                f,
                "no files to import: name .md, .markdown, .html or .htm files, or folders holding them"
            ),
        }
    }
}

pub fn run(options: &Options) -> Result<Report, ImportError> {
    let config = match config::load(&options.root) {
        Ok((config, _)) => config,
        Err(config::ConfigError::Missing) => return Err(ImportError::NotASite(options.root.clone())),
        Err(e) => return Err(ImportError::Config(e)),
    };
    let mapping = match &options.mapping {
        Some(path) => {
            let mapping = Mapping::load(path).map_err(ImportError::Mapping)?;
            fields::check_defaults(&mapping, path, &config).map_err(ImportError::Mapping)?;
            mapping
        }
        None => Mapping::default(),
    };
    let files = sources::collect(&options.sources, &options.root)
        .map_err(|(path, e)| ImportError::Source(path, e))?;
    if files.is_empty() {
        return Err(ImportError::NoFiles);
    }
    let mut importer = Importer {
        root: &options.root,
        config: &config,
        mapping: &mapping,
        dry_run: options.dry_run,
        taken: BTreeSet::new(),
    };
    Ok(Report {
        version: report::JSON_VERSION,
        dry_run: options.dry_run,
        files: files.iter().map(|file| importer.import(file)).collect(),
    })
}

struct Importer<'a> {
    root: &'a Path,
    config: &'a Config,
    mapping: &'a Mapping,
    dry_run: bool,
    /// Ids written (or planned) by this run: two sources never land on one file.
    taken: BTreeSet<String>,
}

impl Importer<'_> {
    fn import(&mut self, path: &Path) -> FileReport {
        let mut notes = Notes::default();
        let outcome = match self.convert(path, &mut notes) {
            Ok((relative, text)) => self.write(&relative, &text),
            Err(reason) => Outcome::Skipped { reason },
        };
        FileReport {
            source: path.display().to_string(),
            outcome,
            notes,
        }
    }

    /// The file's new path (relative to the site) and text.
    fn convert(&mut self, path: &Path, notes: &mut Notes) -> Result<(PathBuf, String), String> {
        let text = sources::read(path)?;
        let (relative, id, text) = convert(path, text, self.config, self.mapping, notes)?;
        self.claim(&id)?;
        Ok((relative, text))
    }

    /// Refuses an id a file of the site or an earlier source of this run already has.
    fn claim(&mut self, id: &str) -> Result<(), String> {
        if let Some(existing) = file_with_stem(&self.root.join(POSTMORTEMS_DIR), id) {
            return Err(format!(
                "{} already exists; pmsite never overwrites a file (move it away or give this one another id)",
                existing.display()
            ));
        }
        if !self.taken.insert(id.to_string()) {
            return Err(format!(
                "another source in this import already became `{id}`; give one of them its own id or title"
            ));
        }
        Ok(())
    }

    fn write(&self, relative: &Path, text: &str) -> Outcome {
        let to = relative.display().to_string();
        if self.dry_run {
            return Outcome::WouldImport { to };
        }
        let path = self.root.join(relative);
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| {
                std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&path)
            })
            .and_then(|mut file| file.write_all(text.as_bytes()));
        match written {
            Ok(()) => Outcome::Imported { to },
            Err(e) => Outcome::Skipped {
                reason: format!("cannot write {}: {e}", path.display()),
            },
        }
    }
}

/// One source file's text as a postmortem: its path relative to the site, its id and its
/// text, verified to load; or why it cannot be imported. `path` names it (its extension
/// tells HTML from Markdown, its name may hold the date).
pub fn convert(
    path: &Path,
    mut text: String,
    config: &Config,
    mapping: &Mapping,
    notes: &mut Notes,
) -> Result<(PathBuf, String, String), String> {
    if sources::kind(path) == Some(sources::Kind::Html) {
        text = html::to_markdown(&text)?;
        notes.inferred.push("Markdown converted from HTML".into());
    }

    let (source, body) = split(&text)?;
    let mapped = mapping::apply(source, mapping);
    notes.mapped = mapped.notes;
    let mut postmortem = fields::normalise(mapped.fields, mapped.extra, config, notes);
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (date, offset) = postmortem.start();
    let inferred = infer::infer(
        body,
        &infer::Known {
            title: postmortem.text("title"),
            date,
            offset,
            file_stem: &stem,
            timeline: !postmortem.fields.contains_key("timeline"),
            action_items: !postmortem.fields.contains_key("action_items"),
        },
        notes,
    );
    postmortem.fill(inferred, &stem, mapping, config, notes)?;
    let id = id(&postmortem, &stem)?;
    let year = postmortem
        .start()
        .0
        .map(|d| d.format("%Y").to_string())
        .unwrap_or_default();
    let relative = Path::new(POSTMORTEMS_DIR).join(year).join(format!("{id}.md"));
    let text = postmortem.verified_text(&relative, &id, config, notes)?;
    Ok((relative, id, text))
}

/// The id, which names the new file: the source's own when pmsite can use it, else the
/// date and title as `pmsite new` makes them. A source's id that is not usable (`../x`,
/// `/etc/x`, `My Post`) never names a file: it is moved to `[extra]` with a note when
/// the file is verified.
fn id(postmortem: &fields::Postmortem, stem: &str) -> Result<String, String> {
    let id = match postmortem
        .text("id")
        .filter(|id| content::decode::is_usable_id(id))
    {
        Some(id) => id.to_string(),
        None => {
            let date = postmortem.start().0.ok_or("it has no incident date")?;
            let slug = [postmortem.text("title").unwrap_or_default(), stem, "untitled"]
                .into_iter()
                .map(short_slug)
                .find(|slug| !slug.is_empty())
                .unwrap_or_default();
            format!("{}-{slug}", date.format("%Y-%m-%d"))
        }
    };
    Ok(id)
}

/// The source's front matter as a table (empty when it has none) and its body.
fn split(text: &str) -> Result<(Table, &str), String> {
    let Ok(split) = front_matter::split(text) else {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lines = text.lines();
        if let (Some(delimiter @ ("---" | "+++")), Some(next)) =
            (lines.next().map(str::trim_end), lines.next())
            && next.split_once([':', '=']).is_some_and(|(key, _)| {
                let key = key.trim();
                !key.is_empty() && key.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-')
            })
        {
            // Keys under an opening line and no closing one: imported as text, they would
            // become the body and the summary.
            return Err(format!(
                "its front matter opens with `{delimiter}` on line 1 and never closes: add a `{delimiter}` line after its last key"
            ));
        }
        return Ok((Table::new(), text));
    };
    let root = front_matter::parse(&split).map_err(|errors| {
        let first = &errors[0];
        let line = text[..first.span.start.min(text.len())].matches('\n').count() + 1;
        format!("its front matter is invalid (line {line}): {}", first.message)
    })?;
    let table = match fields::from_tree(&root.value) {
        Value::Table(table) => table,
        _ => Table::new(),
    };
    Ok((table, split.body))
}

/// Whether a diagnostic from parsing an imported file back is one that stops a build.
fn is_error(d: &crate::diagnostic::Diagnostic) -> bool {
    d.level == Level::Error
}

/// Parses an imported file back exactly as `pmsite check` will.
fn parse_back(relative: &Path, id: &str, text: &str, config: &Config) -> Vec<crate::diagnostic::Diagnostic> {
    content::parse_file(relative, id.to_string(), text, config)
        .diagnostics
        .into_iter()
        .filter(is_error)
        .collect()
}
