//! The pipeline, start to end: config -> load -> validate -> check -> site model -> render
//! -> output. `pmsite build` runs all of it; `pmsite check` stops before the site model.

use rustc_hash::FxHashMap as HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::config::{self, Config, ConfigError};
use crate::content::{self, LoadError};
use crate::diagnostic::{self, Diagnostic};
use crate::model::Model;
use crate::output::{OutputError, Staging};
use crate::render::{Contents, RenderError, Renderer};
use crate::site::{Selection, Similar, Site, url};
use crate::theme::Theme;
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
    /// Publish at this address instead of pmsite.toml's `base_url` (`--base-url`, checked by `config::base_url`).
    pub base_url: Option<String>,
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

#[derive(Debug, Clone)]
pub struct Built {
    /// Postmortems published in this build (after audience and drafts).
    pub published: usize,
    /// Postmortems left out (drafts, or outside the audience).
    pub left_out: usize,
    pub pages: usize,
    pub files: usize,
    /// Each published postmortem's page (site path) and its file, as diagnostics name it:
    /// a preview shows a page's own warnings.
    pub sources: Arc<[(String, Arc<Path>)]>,
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
pub fn load_and_validate(
    root: &Path,
    selection: &Selection,
    strict: bool,
    policy_warnings_kept: Option<usize>,
    report: &mut Report,
) -> Result<(Config, content::Content), Fatal> {
    let started = Instant::now();
    let (config, _) = config::load(root).map_err(|e| Fatal::Config(root.to_path_buf(), e))?;
    let mut content = content::load(root, &config).map_err(Fatal::Content)?;
    report.timings.push(("load", started.elapsed()));
    drop(validate_and_check(
        &content,
        &config,
        selection,
        strict,
        policy_warnings_kept,
        None,
        report,
    ));
    // The checks were the front matter's last readers.
    content.release_front_matter();
    Ok((config, content))
}

/// Stage 2 and the policy checks on loaded content, into `report`. What the checks found
/// is returned whole as well (`report` keeps `policy_warnings_kept` of its policy warnings).
pub fn validate_and_check(
    content: &content::Content,
    config: &Config,
    selection: &Selection,
    strict: bool,
    policy_warnings_kept: Option<usize>,
    memo: Option<&mut check::Memo>,
    report: &mut Report,
) -> check::Found {
    report.files = content.files.iter().filter(|k| k.ends_with(".md")).count();
    let started = Instant::now();
    let validated = validate::validate(content);
    report.timings.push(("validate", started.elapsed()));

    let started = Instant::now();
    let found = check::check(content, config, selection.today, memo);
    // Sorted and kept by reference: only what the report keeps is copied.
    let mut all: Vec<&Diagnostic> = content
        .diagnostics
        .iter()
        .chain(&validated)
        .chain(found.iter())
        .collect();
    diagnostic::sort_refs(&mut all);
    let mut policy_warnings = 0;
    let left_out = &mut report.left_out;
    report.diagnostics = all
        .into_iter()
        .filter(|d| {
            if strict || d.level == diagnostic::Level::Error || !d.code.is_policy() {
                return true;
            }
            policy_warnings += 1;
            let kept = policy_warnings_kept.is_none_or(|kept| policy_warnings <= kept);
            // Sorted by file: a file already counted is the last one.
            if !kept && left_out.files.last().map(|f| f.as_os_str()) != Some(d.file.as_os_str()) {
                left_out.files.push(d.file.clone());
            }
            left_out.warnings += usize::from(!kept);
            kept
        })
        .map(|d| match strict {
            true => Diagnostic {
                level: diagnostic::Level::Error,
                ..d.clone()
            },
            false => d.clone(),
        })
        .collect();
    if strict {
        // Findings alike but for their level are now one.
        report.diagnostics.dedup();
    }
    report.timings.push(("check", started.elapsed()));
    found
}

pub fn run(options: &Options, progress: &dyn Progress) -> Result<Report, Fatal> {
    let mut report = Report::default();
    // Before anything is read: a file changed while building makes the index stale.
    let stamping = Instant::now();
    let sources = options
        .output
        .as_ref()
        .map(|_| search::owner::sources(&options.root));
    report.timings.push(("stamp sources", stamping.elapsed()));
    progress.stage("Loading", 0);
    let (config, content) = load_and_validate(
        &options.root,
        &options.selection,
        options.strict,
        options.policy_warnings_kept,
        &mut report,
    )?;
    let config = config::with_base_url(config, options.base_url.as_deref());
    let preparing = Instant::now();

    let Some(output) = &options.output else {
        return Ok(report);
    };
    if diagnostic::has_errors(&report.diagnostics) {
        return Ok(report);
    }
    let theme = match Theme::load(&options.root) {
        Ok(theme) => theme,
        Err(diagnostics) => {
            report.diagnostics.extend(diagnostics);
            return Ok(report);
        }
    };
    report.timings.push(("prepare", preparing.elapsed()));
    let sources = sources.unwrap_or_default();
    report.built = write_site(
        &content,
        &config,
        options,
        &theme,
        output,
        sources,
        progress,
        &mut report,
    )?;
    // Freeing a large archive's content takes a noticeable moment of its own.
    let freeing = Instant::now();
    drop((content, theme));
    report.timings.push(("free memory", freeing.elapsed()));
    Ok(report)
}

/// Builds only the search index of a build writing to `output`, for `pmsite search` when no
/// build left one. Content errors come back as a report, as from a check.
pub fn index_only(
    root: &Path,
    selection: &Selection,
    output: &Path,
) -> Result<Result<search::Searcher, Report>, Fatal> {
    let mut report = Report::default();
    let sources = search::owner::sources(root);
    let (config, content) = load_and_validate(root, selection, false, None, &mut report)?;
    if diagnostic::has_errors(&report.diagnostics) {
        return Ok(Err(report));
    }
    let site = Site::build(&content, &config, selection.clone());
    search::replace_index(&site, output, sources).map_err(Fatal::Search)?;
    let dir = search::index_dir(output);
    search::Searcher::open(&dir)
        .map(Ok)
        .map_err(|e| Fatal::Search(search::IndexError::Reopen(dir, Box::new(e))))
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
        .hint("set base_url = \"https://incidents.example.com/\" in pmsite.toml, or pass --base-url URL to this build")
    }
}

/// Where a build's files go: the staging folder of `pmsite build`, or the folder a
/// preview serves, updated in place (`preview`).
pub trait Sink: Sync {
    /// Writes `bytes` at `path` (`/`-separated, relative to the output folder).
    fn write(&self, path: &str, bytes: &[u8]) -> Result<(), OutputError>;
    /// Writes at `path` what `write` makes. By default it is made into memory and written
    /// like any other file; a sink that writes files streams it.
    fn stream(&self, path: &str, write: &crate::render::Streamed<'_>) -> Result<(), OutputError> {
        let mut bytes = Vec::new();
        write(&mut bytes).map_err(|e| OutputError::Io(path.into(), e))?;
        self.write(path, &bytes)
    }
    /// Copies the file `from` (outside the output) to `path`. By default it is read and
    /// written like any other file, so that a sink that compares bytes sees them.
    fn copy(&self, from: &Path, path: &str) -> Result<(), OutputError> {
        let bytes = std::fs::read(from).map_err(|e| OutputError::Io(from.to_path_buf(), e))?;
        self.write(path, &bytes)
    }
    /// `path` is as the previous build of a preview wrote it (see [`Memory`]); whether it
    /// is there to keep.
    fn keep(&self, _path: &str) -> bool {
        false
    }
}

/// What a preview keeps from one build to the next, so that the next one renders only the
/// pages whose context changed.
#[derive(Default)]
pub struct Memory {
    /// The pages as last rendered, with the theme of that build.
    pub fingerprints: Fingerprints,
    /// Similar incidents as the last build's model had them.
    pub similar: Option<SimilarMemory>,
    /// What the model of the last build may lend the next one.
    pub reusable: Option<crate::model::Reusable>,
    /// What the last build rendered from the front matter alone.
    pub rendered: Option<FromFrontMatter>,
    /// What the search index in place and the search files served were made of, part by
    /// part; `None` when unknown (the next search stage then indexes everything).
    pub search: Option<SearchMemory>,
}

/// Per postmortem of a site, in its order, its similar incidents.
type SimilarLists = Arc<Vec<Vec<Similar>>>;

/// Similar incidents as a build's model had them, in the order of its site.
#[derive(Clone)]
pub struct SimilarMemory {
    /// `Site::front_matter` of that site: while it is the same, so are the postmortems'
    /// order and ids.
    front_matter: u64,
    /// The site's postmortem ids: what the lists' indices stand for, once the order changed.
    ids: Arc<[String]>,
    lists: SimilarLists,
    /// A search stage found these for this front matter (rather than a deferred build
    /// recalling them from before an edit). They are found from front matter alone, so
    /// they stand while it is the same.
    found: bool,
}

impl SimilarMemory {
    /// The lists for `site` when they are known to be its own: found for its front matter.
    fn found_for(&self, site: &Site<'_>) -> Option<SimilarLists> {
        (self.found && self.front_matter == site.front_matter).then(|| self.lists.clone())
    }

    /// The remembered lists for the postmortems of `site` (none for a new one), by id, and
    /// whether they are found for its front matter.
    fn recalled(&self, site: &Site<'_>) -> (SimilarLists, bool) {
        if self.front_matter == site.front_matter {
            return (self.lists.clone(), self.found);
        }
        let before: HashMap<&str, usize> = self
            .ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.as_str(), i))
            .collect();
        let lists = site
            .postmortems
            .iter()
            .map(|pm| {
                let Some(&was) = before.get(pm.id.as_str()) else {
                    return Vec::new();
                };
                self.lists[was]
                    .iter()
                    .filter_map(|s| {
                        Some(Similar {
                            index: site.index_of_id(&self.ids[s.index])?,
                            reasons: s.reasons.clone(),
                        })
                    })
                    .collect()
            })
            .collect();
        (Arc::new(lists), false)
    }

    /// What a build of `site` with `lists` leaves for the next one (`previous`: what the
    /// build before it left).
    fn of(
        site: &Site<'_>,
        lists: SimilarLists,
        found: bool,
        previous: Option<&SimilarMemory>,
    ) -> SimilarMemory {
        let ids = match previous {
            Some(previous) if previous.front_matter == site.front_matter => previous.ids.clone(),
            _ => site.postmortems.iter().map(|pm| pm.id.clone()).collect(),
        };
        SimilarMemory {
            front_matter: site.front_matter,
            ids,
            lists,
            found,
        }
    }
}

/// The search index and files of a preview's last search stage, by what each part was made
/// of: parts and segments whose documents are the same are linked and kept, not made again.
#[derive(Clone)]
pub struct SearchMemory {
    index: search::Parts,
    exported: search::export::Exported,
}

/// What a build renders from the front matter alone, kept by a preview while it is the same.
pub struct FromFrontMatter {
    /// `Site::front_matter` of the site these were made from.
    front_matter: u64,
    rows: Arc<crate::render::Rows>,
    sources: Arc<[(String, Arc<Path>)]>,
}

/// What the pages a preview serves were made from: per page file, the fingerprint of what
/// it shows (`Renderer::fingerprint`), and the archive's front matter
/// (`Site::front_matter`). While the front matter is the same, a page that shows
/// no body (`Page::shows_bodies`) is the same too, and is not even fingerprinted again;
/// while the neighbours (`Model::neighbours`) are the same as well, an incident page
/// whose own file is unchanged (`Source::digest`) is the same. An author typing in a body
/// changes only the pages that show it, and only those are looked at.
#[derive(Clone, Default)]
pub struct Fingerprints {
    pages: HashMap<String, u64>,
    /// Per incident page: the digest of its postmortem's file.
    sources: HashMap<String, u64>,
    front_matter: Option<u64>,
    neighbours: Option<u64>,
}

impl Fingerprints {
    /// Forgets every page: the next build fingerprints (and so renders) all of them.
    pub fn clear(&mut self) {
        *self = Fingerprints::default();
    }
}

/// What the search stage of a build does.
#[derive(Clone, Copy)]
pub enum SearchStage<'a> {
    /// Index into the empty folder `dir`, for `owner`; write the browser's search files;
    /// find similar incidents. The build gives up (`IndexError::Interrupted`) as soon as
    /// `stop` is set: a preview's search stage gives way to a newer edit. A preview names
    /// the index in place (`live`): what `Memory::search` says is unchanged there is
    /// linked into `dir` and its search files kept.
    Full {
        dir: &'a Path,
        owner: search::Owner,
        stop: &'a AtomicBool,
        live: Option<&'a Path>,
    },
    /// Leave the index and search files as they are and take similar incidents from
    /// `Memory::similar`: a preview's first answer to an edit, which the full stage then
    /// completes.
    Deferred,
}

impl Sink for Staging {
    fn write(&self, path: &str, bytes: &[u8]) -> Result<(), OutputError> {
        Staging::write(self, path, bytes)
    }

    fn copy(&self, from: &Path, path: &str) -> Result<(), OutputError> {
        Staging::copy(self, from, path)
    }

    fn stream(&self, path: &str, write: &crate::render::Streamed<'_>) -> Result<(), OutputError> {
        Staging::stream(self, path, write)
    }
}

/// Why writing the pages stopped.
enum Stop {
    Template(RenderError),
    Output(OutputError),
}

#[allow(clippy::too_many_arguments)]
fn write_site(
    content: &content::Content,
    config: &Config,
    options: &Options,
    theme: &Theme,
    output: &Path,
    sources: u64,
    progress: &dyn Progress,
    report: &mut Report,
) -> Result<Option<Built>, Fatal> {
    // The site and its private search index are staged side by side and put in place
    // together, only when everything succeeded.
    let mut staging = Staging::new(output, &options.root).map_err(Fatal::Output)?;
    let index_dir = staging.companion(search::INDEX).map_err(Fatal::Output)?;
    let owner = search::Owner {
        output: search::owner::identity(staging.dir()),
        sources,
    };
    let never = AtomicBool::new(false);
    let search = SearchStage::Full {
        dir: &index_dir,
        owner,
        stop: &never,
        live: None,
    };
    let built = make(
        content, config, options, theme, search, &staging, None, progress, report,
    )?;
    if built.is_some() {
        let replacing = Instant::now();
        staging.commit().map_err(Fatal::Output)?;
        report.timings.push(("replace output", replacing.elapsed()));
    }
    Ok(built)
}

/// The stages after the checks: site, search (see [`SearchStage`]), model, render, each
/// file handed to `sink`. With a preview's `memory`, a page whose fingerprint is the one
/// remembered is not rendered again (`Sink::keep`). `None` when a template failed (its
/// diagnostic is in the report).
#[allow(clippy::too_many_arguments)]
pub fn make(
    content: &content::Content,
    config: &Config,
    options: &Options,
    theme: &Theme,
    search: SearchStage<'_>,
    sink: &dyn Sink,
    mut memory: Option<&mut Memory>,
    progress: &dyn Progress,
    report: &mut Report,
) -> Result<Option<Built>, Fatal> {
    let building = Instant::now();
    let taxonomies = memory
        .as_deref()
        .and_then(|m| m.reusable.as_ref())
        .map(crate::model::Reusable::taxonomies);
    let site = Site::build_reusing(content, config, options.selection.clone(), taxonomies);
    report.timings.push(("site", building.elapsed()));
    if config.base_url.is_empty() {
        report.diagnostics.push(no_base_url_warning());
    }
    let (similar, found) = match (search, memory.as_deref()) {
        (
            SearchStage::Full {
                dir,
                owner,
                stop,
                live,
            },
            _,
        ) => {
            let stage = search_stage(&site, dir, owner, stop, live, memory.as_deref_mut(), sink, report)?;
            (stage, true)
        }
        (
            SearchStage::Deferred,
            Some(Memory {
                similar: Some(remembered),
                ..
            }),
        ) => remembered.recalled(&site),
        (SearchStage::Deferred, _) => (Arc::new(vec![Vec::new(); site.postmortems.len()]), false),
    };
    if let Some(memory) = memory.as_deref_mut() {
        memory.similar = Some(SimilarMemory::of(
            &site,
            similar.clone(),
            found,
            memory.similar.as_ref(),
        ));
    }

    let modelling = Instant::now();
    let kept = memory.as_deref_mut().and_then(|m| m.reusable.take());
    let model = Model::new(site, similar, theme, &options.root, kept);
    report.timings.push(("model", modelling.elapsed()));
    let rendered = render_stage(&model, content, sink, memory.as_deref_mut(), progress, report);
    if let Some(memory) = memory {
        memory.reusable = Some(model.into_reusable());
    }
    rendered
}

/// Indexes the site into `index_dir`, writes the browser's search files and finds similar
/// incidents. With a preview's `memory`, it remembers what it made (`Memory::search`), and
/// makes again only the index parts and search files whose documents changed since what
/// `memory` says the index in place (`live`) and the served files hold; similar incidents
/// already found for the same front matter are kept.
#[allow(clippy::too_many_arguments)]
fn search_stage(
    site: &Site<'_>,
    index_dir: &Path,
    owner: search::Owner,
    stop: &AtomicBool,
    live: Option<&Path>,
    mut memory: Option<&mut Memory>,
    sink: &dyn Sink,
    report: &mut Report,
) -> Result<SimilarLists, Fatal> {
    let stopped = || match stop.load(Ordering::Relaxed) {
        true => Err(Fatal::Search(search::IndexError::Interrupted)),
        false => Ok(()),
    };
    let indexing = Instant::now();
    let known_similar = memory
        .as_deref()
        .and_then(|m| m.similar.as_ref())
        .and_then(|s| s.found_for(site));
    // What the caller serves once this build is put in place (a preview remembers the
    // previous memory until then).
    let previous = memory.as_deref_mut().and_then(|m| m.search.take());
    let previous = live.zip(previous.as_ref());
    let reuse = match memory {
        Some(_) => search::Reuse::Remember(previous.map(|(live, previous)| (live, &previous.index))),
        None => search::Reuse::Nothing,
    };
    let mut built = search::build_index(site, index_dir, owner, stop, reuse).map_err(Fatal::Search)?;
    report.timings.push(("search index", indexing.elapsed()));
    stopped()?;
    // The browser export, then similar incidents (which pages need): each uses every core
    // on its own, and timed apart, they say what each costs.
    let exporting = Instant::now();
    // The export is given up at its next file once `stop` is set: it writes files all along.
    let write = |path: &str, contents: &str| {
        stopped()?;
        sink.write(&format!("{}{path}", url::SEARCH_FILES), contents.as_bytes())
            .map_err(Fatal::Output)
    };
    let keep = |path: &str| sink.keep(&format!("{}{path}", url::SEARCH_FILES));
    let out = search::export::Out {
        write: &write,
        keep: &keep,
        stop,
    };
    let exported = search::export::export(&built, site, out, previous.map(|(_, m)| &m.exported)).map_err(
        |e| match e {
            search::export::Error::Index(e) => Fatal::Search(e.into()),
            search::export::Error::Write(e) => e,
            search::export::Error::Stopped => Fatal::Search(search::IndexError::Interrupted),
        },
    )?;
    if let Some(memory) = memory {
        memory.search = built.parts.take().map(|index| SearchMemory { index, exported });
    }
    report.timings.push(("search export", exporting.elapsed()));
    stopped()?;
    // The index goes here, before similar incidents and rendering, which do not need it:
    // on a large archive it is a hundred megabytes.
    drop(built);
    let similar = match known_similar {
        Some(known) => known,
        None => {
            let searching = Instant::now();
            let similar = search::similar_incidents(site);
            report.timings.push(("similar incidents", searching.elapsed()));
            Arc::new(similar)
        }
    };
    stopped()?;
    Ok(similar)
}

/// Renders every page (with `memory`, only those whose fingerprint changed) and makes every
/// other file, into `sink`.
fn render_stage(
    model: &Model<'_>,
    content: &content::Content,
    sink: &dyn Sink,
    memory: Option<&mut Memory>,
    progress: &dyn Progress,
    report: &mut Report,
) -> Result<Option<Built>, Fatal> {
    let rendering = Instant::now();
    let front_matter = model.site.front_matter;
    let sources_of = || -> Arc<[(String, Arc<Path>)]> {
        model
            .site
            .postmortems
            .iter()
            .map(|pm| (url::incident(&pm.id), pm.source.path.clone()))
            .collect()
    };
    let (renderer, sources, memory) = match memory {
        Some(memory) => {
            let kept = memory
                .rendered
                .take()
                .filter(|kept| kept.front_matter == front_matter);
            let (renderer, sources) = match kept {
                Some(kept) => (Renderer::with_rows(model, kept.rows), kept.sources),
                None => (Renderer::new(model), sources_of()),
            };
            memory.rendered = Some(FromFrontMatter {
                front_matter,
                rows: renderer.rows().clone(),
                sources: sources.clone(),
            });
            (renderer, sources, Some(&mut memory.fingerprints))
        }
        None => (Renderer::new(model), sources_of(), None),
    };
    let remembered = memory.as_deref();
    let same_front_matter = remembered.is_some_and(|r| r.front_matter == Some(front_matter));
    let same_neighbours =
        same_front_matter && remembered.is_some_and(|r| r.neighbours == Some(model.neighbours));
    let pages = renderer.pages();
    progress.stage("Rendering", pages.len());
    let unchanged = Unchanged {
        remembered,
        front_matter: same_front_matter,
        neighbours: same_neighbours,
    };
    // The other files (the JSON export, feeds, the sitemap) are made and written beside the
    // pages: made one after another they would leave a core idle. (A failed build writes
    // them to no one: its sink is a folder that is never put in place.)
    let (written, files) = rayon::join(
        || render_pages(&renderer, &pages, &unchanged, sink, progress),
        || renderer.files(&pages, same_front_matter, &mut |file| write_file(sink, file)),
    );
    match written {
        Ok(fingerprints) => {
            if let Some(memory) = memory {
                let mut kept = Fingerprints {
                    front_matter: Some(front_matter),
                    neighbours: Some(model.neighbours),
                    ..Fingerprints::default()
                };
                for (page, path, fingerprint) in fingerprints {
                    if let crate::render::Page::Incident(index) = page {
                        kept.sources
                            .insert(path.clone(), model.site.postmortems[index].source.digest);
                    }
                    kept.pages.insert(path, fingerprint);
                }
                *memory = kept;
            }
        }
        Err(Stop::Template(RenderError(diagnostic))) => {
            report.diagnostics.push(*diagnostic);
            return Ok(None);
        }
        Err(Stop::Output(e)) => return Err(Fatal::Output(e)),
    }
    let files = files.map_err(Fatal::Output)?;
    report.timings.push(("render and write", rendering.elapsed()));
    Ok(Some(Built {
        published: model.site.postmortems.len(),
        left_out: content.postmortems.len() - model.site.postmortems.len(),
        pages: pages.len(),
        files,
        sources,
    }))
}

fn write_file(sink: &dyn Sink, file: crate::render::File<'_>) -> Result<(), OutputError> {
    match &file.contents {
        Contents::Text(text) => sink.write(&file.path, text.as_bytes()),
        Contents::Embedded(bytes) => sink.write(&file.path, bytes),
        Contents::Streamed(write) => sink.stream(&file.path, *write),
        Contents::Copy(from) => sink.copy(from, &file.path),
        Contents::Unchanged => {
            sink.keep(&file.path);
            Ok(())
        }
    }
}

/// What a preview's last build says about the pages of this one.
struct Unchanged<'a> {
    /// `None`: every page is rendered (a build into a new folder).
    remembered: Option<&'a Fingerprints>,
    /// The front matter is as it was.
    front_matter: bool,
    /// The front matter and the neighbours are as they were.
    neighbours: bool,
}

impl Unchanged<'_> {
    /// The remembered fingerprint of `page` when it is known to be the same without
    /// fingerprinting it (see [`Fingerprints`]).
    fn known(&self, renderer: &Renderer<'_>, page: crate::render::Page, path: &str) -> Option<u64> {
        let remembered = self.remembered?;
        let same = match page {
            crate::render::Page::Incident(index) => {
                self.neighbours
                    && remembered.sources.get(path)
                        == Some(&renderer.model.site.postmortems[index].source.digest)
            }
            page => self.front_matter && !page.shows_bodies(),
        };
        same.then(|| remembered.pages.get(path).copied()).flatten()
    }
}

/// Renders and writes `pages`, each unless it is as remembered (see [`Fingerprints`]):
/// each page with its file and fingerprint (0 without a remembered build).
fn render_pages(
    renderer: &Renderer<'_>,
    pages: &[crate::render::Page],
    unchanged: &Unchanged<'_>,
    sink: &dyn Sink,
    progress: &dyn Progress,
) -> Result<Vec<(crate::render::Page, String, u64)>, Stop> {
    pages
        .par_iter()
        .map(|&page| {
            let path = renderer.output_path(page);
            let mut fingerprint = 0;
            if let Some(remembered) = unchanged.remembered {
                if let Some(known) = unchanged.known(renderer, page, &path) {
                    sink.keep(&path);
                    progress.advance();
                    return Ok((page, path, known));
                }
                fingerprint = renderer.fingerprint(page).map_err(Stop::Template)?;
                if remembered.pages.get(&path) == Some(&fingerprint) {
                    sink.keep(&path);
                    progress.advance();
                    return Ok((page, path, fingerprint));
                }
            }
            let rendered = renderer.page(page).map_err(Stop::Template)?;
            sink.write(&rendered.path, rendered.html.as_bytes())
                .map_err(Stop::Output)?;
            progress.advance();
            Ok((page, path, fingerprint))
        })
        .collect()
}
