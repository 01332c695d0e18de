//! The pipeline, start to end: config -> load -> validate -> check -> site model -> render
//! -> output. `pmsite build` runs all of it; `pmsite check` stops before the site model.

use std::path::{Path, PathBuf};

use std::time::{Duration, Instant};

use crate::config::{self, Config, ConfigError};
use crate::content::{self, LoadError};
use crate::diagnostic::{self, Diagnostic};
use crate::output::{OutputError, Staging};
use crate::render::{RenderError, Renderer};
use crate::site::{Selection, Site};
use crate::{check, search, validate};

pub struct Options {
    pub root: PathBuf,
    /// `None` for a check: validate everything, write nothing.
    pub output: Option<PathBuf>,
    pub selection: Selection,
    /// `--strict`: every warning is an error.
    pub strict: bool,
    /// Keep only the first this many policy warnings (in report order) and count the rest:
    /// a build's log shows no more, and an archive imported as it is can have tens of
    /// thousands, which a large build would otherwise hold in memory throughout. `None`
    /// keeps every one (`pmsite check`, `--verbose`).
    pub policy_warnings_kept: Option<usize>,
}

/// What a run found and did.
#[derive(Debug, Default)]
pub struct Report {
    pub diagnostics: Vec<Diagnostic>,
    /// Policy warnings counted but not kept in `diagnostics`.
    pub left_out: crate::report::LeftOut,
    /// Postmortem files looked at.
    pub files: usize,
    pub built: Option<Built>,
    /// Time per stage, for `--verbose`.
    pub timings: Vec<(&'static str, Duration)>,
}

#[derive(Debug, Clone, Copy)]
pub struct Built {
    /// Postmortems published in this build (after audience and drafts).
    pub published: usize,
    /// Postmortems left out (drafts, or outside the audience).
    pub left_out: usize,
    pub pages: usize,
    pub files: usize,
}

/// Why the tool could not do its job at all (exit code 2), as opposed to problems it found
/// in the content (exit code 1).
#[derive(Debug)]
pub enum Fatal {
    Config(PathBuf, ConfigError),
    Content(LoadError),
    Output(OutputError),
    Search(search::IndexError),
}

impl std::fmt::Display for Fatal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fatal::Config(root, ConfigError::Missing) => write!(
                f,
                "no {} in {}: is this a pmsite site? (use --root DIR to point at one)",
                config::FILE_NAME,
                root.display()
            ),
            Fatal::Config(root, ConfigError::Unreadable(e)) => {
                write!(f, "cannot read {}: {e}", root.join(config::FILE_NAME).display())
            }
            Fatal::Config(_, ConfigError::Invalid(_)) => {
                write!(f, "{} is invalid", config::FILE_NAME)
            }
            Fatal::Content(LoadError::MissingDir(dir)) => write!(
                f,
                "no postmortems folder at {}: create it and add a Markdown file per postmortem",
                dir.display()
            ),
            Fatal::Content(LoadError::Unreadable(root, e)) => {
                write!(f, "cannot read the site folder {}: {e}", root.display())
            }
            Fatal::Content(LoadError::Walk(e)) => {
                write!(f, "cannot read the postmortems folder: {e}")
            }
            Fatal::Output(e) => e.fmt(f),
            Fatal::Search(e) => e.fmt(f),
        }
    }
}

impl Fatal {
    /// Diagnostics that come with the failure (an invalid pmsite.toml has several).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            Fatal::Config(_, ConfigError::Invalid(d)) => d,
            _ => &[],
        }
    }
}

/// Progress hooks, so the CLI can show a bar without the pipeline knowing about terminals.
pub trait Progress: Sync {
    fn stage(&self, _name: &str, _total: usize) {}
    fn advance(&self) {}
}

pub struct NoProgress;
impl Progress for NoProgress {}

/// Stages 1 and 2 and the policy checks: what every command needs before it can do anything
/// else.
fn load_and_validate(
    root: &Path,
    selection: &Selection,
    strict: bool,
    policy_warnings_kept: Option<usize>,
    report: &mut Report,
) -> Result<(Config, content::Content), Fatal> {
    let started = Instant::now();
    let (config, _) = config::load(root).map_err(|e| Fatal::Config(root.to_path_buf(), e))?;
    let mut content = content::load(root, &config).map_err(Fatal::Content)?;
    report.files = content.files.iter().filter(|k| k.ends_with(".md")).count();
    report.diagnostics = content.diagnostics.clone();
    report.timings.push(("load", started.elapsed()));

    let started = Instant::now();
    report.diagnostics.extend(validate::validate(&content));
    report.timings.push(("validate", started.elapsed()));

    let started = Instant::now();
    report
        .diagnostics
        .extend(check::check(&content, &config, selection.today));
    content.release_front_matter();
    if strict {
        for d in &mut report.diagnostics {
            d.level = diagnostic::Level::Error;
        }
    }
    diagnostic::sort(&mut report.diagnostics);
    if let Some(kept) = policy_warnings_kept {
        let (mut seen, left_out) = (0, &mut report.left_out);
        report.diagnostics.retain(|d| {
            if d.level == diagnostic::Level::Error || !d.code.is_policy() {
                return true;
            }
            seen += 1;
            if seen > kept {
                left_out.warnings += 1;
                left_out.files.insert(d.file.clone());
            }
            seen <= kept
        });
        report.diagnostics.shrink_to_fit();
    }
    report.timings.push(("check", started.elapsed()));
    Ok((config, content))
}

pub fn run(options: &Options, progress: &dyn Progress) -> Result<Report, Fatal> {
    let mut report = Report::default();
    progress.stage("Loading", 0);
    let (config, content) = load_and_validate(
        &options.root,
        &options.selection,
        options.strict,
        options.policy_warnings_kept,
        &mut report,
    )?;
    let preparing = Instant::now();

    let Some(output) = &options.output else {
        return Ok(report);
    };
    if diagnostic::has_errors(&report.diagnostics) {
        return Ok(report);
    }
    let renderer = match Renderer::new(&options.root) {
        Ok(renderer) => renderer,
        Err(diagnostics) => {
            report.diagnostics.extend(diagnostics);
            return Ok(report);
        }
    };
    report.timings.push(("prepare", preparing.elapsed()));
    report.built = write_site(
        &content,
        &config,
        options,
        &renderer,
        output,
        progress,
        &mut report,
    )?;
    Ok(report)
}

/// Builds only the search index, for `pmsite search` when no build left one. Content
/// errors come back as a report, as from a check.
pub fn index_only(
    root: &Path,
    selection: &Selection,
    dir: &Path,
) -> Result<Result<search::Searcher, Report>, Fatal> {
    let mut report = Report::default();
    let (config, content) = load_and_validate(root, selection, false, None, &mut report)?;
    if diagnostic::has_errors(&report.diagnostics) {
        return Ok(Err(report));
    }
    let site = Site::build(&content, &config, selection.clone());
    let built = search::build_index(&site, dir).map_err(Fatal::Search)?;
    search::Searcher::new(built.index)
        .map(Ok)
        .map_err(|e| Fatal::Search(e.into()))
}

/// Atom feeds and sitemap.xml need absolute URLs; everything else works without them.
fn no_base_url_warning() -> Diagnostic {
    Diagnostic {
        level: diagnostic::Level::Warning,
        ..Diagnostic::error(
            diagnostic::Code::Config,
            config::FILE_NAME,
            "base_url is not set: the Atom feeds and sitemap.xml are left out",
        )
        .field("base_url")
        .hint("set the address the site is published at: base_url = \"https://incidents.example.com/\"")
    }
}

fn write_site(
    content: &content::Content,
    config: &Config,
    options: &Options,
    renderer: &Renderer,
    output: &Path,
    progress: &dyn Progress,
    report: &mut Report,
) -> Result<Option<Built>, Fatal> {
    let mut site = Site::build(content, config, options.selection.clone());
    if config.base_url.is_empty() {
        report.diagnostics.push(no_base_url_warning());
    }
    // First: a refused output leaves nothing beside it, and the lock covers the index too.
    let staging = Staging::new(output, &options.root).map_err(Fatal::Output)?;
    let indexing = Instant::now();
    let built = search::build_index(&site, &search::index_dir(output)).map_err(Fatal::Search)?;
    report.timings.push(("search index", indexing.elapsed()));
    // The browser export, then similar incidents (which pages need): each uses every core
    // on its own, and timed apart, they say what each costs.
    let exporting = Instant::now();
    let write = |path: &str, contents: &str| staging.write(&format!("search/{path}"), contents.as_bytes());
    search::export::export(&built, &site, &write).map_err(|e| match e {
        search::export::Error::Index(e) => Fatal::Search(e.into()),
        search::export::Error::Write(e) => Fatal::Output(e),
    })?;
    report.timings.push(("search export", exporting.elapsed()));
    let searching = Instant::now();
    site.similar = search::similar_incidents(&site, &built.index).map_err(|e| Fatal::Search(e.into()))?;
    report.timings.push(("similar incidents", searching.elapsed()));
    // Rendering does not need the index: on a large archive it is a hundred megabytes.
    drop(built);
    // The front matter's JSON Schema, for editors pointed at the published site.
    let schema = serde_json::to_string_pretty(&content::schema::json_schema(config)).unwrap_or_default();
    staging
        .write(content::schema::OUTPUT_PATH, schema.as_bytes())
        .map_err(Fatal::Output)?;
    let rendering = Instant::now();
    match renderer.render(&site, &staging, progress) {
        Ok(written) => {
            report.timings.push(("render and write", rendering.elapsed()));
            let replacing = Instant::now();
            staging.commit().map_err(Fatal::Output)?;
            report.timings.push(("replace output", replacing.elapsed()));
            Ok(Some(Built {
                published: site.postmortems.len(),
                left_out: content.postmortems.len() - site.postmortems.len(),
                pages: written.pages,
                files: written.files,
            }))
        }
        Err(RenderError::Template(diagnostic)) => {
            report.diagnostics.push(*diagnostic);
            Ok(None)
        }
        Err(RenderError::Output(e)) => Err(Fatal::Output(e)),
    }
}
