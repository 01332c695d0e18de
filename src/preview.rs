//! The engine of `pmsite serve`: a first build like `pmsite build`, then, after every change
//! to the site's files, a build that does only the work the change needs and writes only the
//! files whose bytes changed. What is served is therefore always byte for byte what
//! `pmsite build` would write for the same files; a build that fails writes nothing, so the
//! last good site stays served.
//!
//! What is kept between builds, and why it is safe to reuse:
//! - each Markdown file's parse, reused while the file's stamp (size, times, inode) is the
//!   same; pmsite.toml changing drops everything, as parsing depends on it;
//! - each file's policy findings and what the checks and the model make of front matter
//!   alone (`check::Memo`, `model::Reusable`), reused while what they were made of is the
//!   same (file digests, `content::front_matter_digest`);
//! - the theme, reloaded when a file under templates/ or static/ changes;
//! - each page's fingerprint (a hash of its template's name and its typed context): a page
//!   is a pure function of the two, so a page whose fingerprint is unchanged is not rendered
//!   again (a new theme forgets every fingerprint);
//! - a hash of every file the served folder holds: a file is written only when its bytes
//!   differ.

use rustc_hash::FxHashMap as HashMap;
use std::fs;
use std::hash::Hasher;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use rayon::prelude::*;
use rustc_hash::FxHasher;

use crate::build::{self, Fatal, Memory, Options, Progress, Report, Sink};
use crate::config::{self, Config};
use crate::content::{self, Content, Parsed, Stamp};
use crate::output::{OutputError, OutputLock, Staging};
use crate::search;
use crate::site::url;
use crate::theme::Theme;

pub struct Preview {
    options: Options,
    output: PathBuf,
    /// What the last builds left; `None` before the first and after pmsite.toml changed.
    kept: Option<Kept>,
    /// Per output file (`/`-separated path): a hash of the bytes being served. `None` until
    /// a build succeeded: the output folder may hold anything until then, and the next
    /// build replaces it whole.
    served: Option<HashMap<String, u64>>,
    /// The last build deferred its search stage: [`Preview::finish`] is due.
    search_pending: bool,
    /// The output's lock, held from the first build on.
    lock: Option<OutputLock>,
}

struct Kept {
    config: Config,
    config_stamp: Option<Stamp>,
    /// The theme of the last build that could load one, and the stamps of the files it
    /// was made from.
    theme: Option<(Theme, Vec<(PathBuf, Stamp)>)>,
    /// Stamps of the files under postmortems/ as last read.
    stamps: HashMap<String, Option<Stamp>>,
    /// Each Markdown file's parse, by key (its diagnostics in `problems`).
    parsed: HashMap<String, Parsed>,
    /// Each Markdown file's parse diagnostics, by key (none: no entry).
    problems: HashMap<String, Vec<crate::diagnostic::Diagnostic>>,
    check: crate::check::Memo,
    /// What the last validation and checks reported, while the files are as they were then
    /// (`stamps`): a search stage that follows a page build finds the files unchanged.
    checked: Option<Checked>,
    memory: Memory,
}

impl Kept {
    /// Keeps a build's parses for the next; between builds each one's front matter text is
    /// in its file (`content::Head`): a check of an unchanged file that runs again reads it
    /// back.
    fn keep_parses(&mut self, content: Content, walked: &content::Walked) {
        self.parsed = content.into_parsed();
        for file in &walked.files {
            if let Some(postmortem) = self.parsed.get_mut(&file.key).and_then(|p| p.postmortem.as_mut()) {
                postmortem.source.leave_head_in(&file.path);
            }
        }
    }
}

struct Checked {
    files: usize,
    diagnostics: Vec<crate::diagnostic::Diagnostic>,
    left_out: crate::report::LeftOut,
    found: crate::check::Found,
}

/// What one build of the preview did.
pub struct Update {
    /// What the build found and did; like `pmsite build`'s, it keeps
    /// `Options::policy_warnings_kept` of the policy warnings.
    pub report: Report,
    /// Everything the checks found, each file's own findings shared with the next build.
    pub found: crate::check::Found,
    /// Output files written because their bytes changed, sorted.
    pub changed: Vec<String>,
    /// Output files removed because the build no longer makes them, sorted.
    pub removed: Vec<String>,
    /// The build left the search files, the index and similar incidents as they were:
    /// [`Preview::finish`] brings them up to date.
    pub search_pending: bool,
}

impl Update {
    /// Whether the build failed (then nothing was written).
    pub fn failed(&self) -> bool {
        crate::diagnostic::has_errors(&self.report.diagnostics) || self.report.built.is_none()
    }

    fn nothing(report: Report, found: crate::check::Found) -> Update {
        Update {
            report,
            found,
            changed: Vec::new(),
            removed: Vec::new(),
            search_pending: false,
        }
    }
}

impl Preview {
    /// A preview of `options.root` served from `options.output` (default: ROOT/public).
    pub fn new(options: Options) -> Preview {
        let output = options
            .output
            .clone()
            .unwrap_or_else(|| options.root.join("public"));
        Preview {
            options,
            output,
            kept: None,
            served: None,
            search_pending: false,
            lock: None,
        }
    }

    pub fn output(&self) -> &Path {
        &self.output
    }

    /// Builds the site from its files as they are now and updates the output, quickly:
    /// pages first. The search stage (index, search files, similar incidents) takes
    /// seconds on a large archive, so after the first build it is left for
    /// [`Preview::finish`] (`Update::search_pending`); until then pages list the similar
    /// incidents found before the edit.
    pub fn build(&mut self, progress: &dyn Progress) -> Result<Update, Fatal> {
        let update = self.build_with(None, progress);
        // The search stage that follows would otherwise start on top of what this build
        // freed (a few milliseconds).
        crate::memory::give_back();
        update
    }

    /// Completes a build that deferred its search stage: afterwards the output is what
    /// `pmsite build` writes. `None` when no search stage is due, or when `stop` was set
    /// before it was done: an edit should not wait for seconds of indexing, so the caller
    /// sets `stop` when one arrives, builds, and finishes again later.
    pub fn finish(&mut self, progress: &dyn Progress, stop: &AtomicBool) -> Result<Option<Update>, Fatal> {
        if !self.search_pending {
            return Ok(None);
        }
        let update = self.build_with(Some(stop), progress);
        crate::memory::give_back();
        match update {
            Err(Fatal::Search(search::IndexError::Interrupted)) => Ok(None),
            update => update.map(Some),
        }
    }

    /// A build; with `full_search`, one with the search stage, given up when the flag is set.
    fn build_with(
        &mut self,
        full_search: Option<&AtomicBool>,
        progress: &dyn Progress,
    ) -> Result<Update, Fatal> {
        let mut report = Report::default();
        let root = self.options.root.clone();
        let loading = Instant::now();
        // The stamps the search index records, taken before anything is read (see
        // `build::run`); only a build with the search stage needs them, and taking them
        // walks the archive once more.
        let sources = (full_search.is_some() || self.served.is_none()).then(|| search::owner::sources(&root));
        let config_stamp = stamp(&root.join(config::FILE_NAME));
        if self.kept.as_ref().is_none_or(|k| k.config_stamp != config_stamp) {
            let (config, _) = config::load(&root).map_err(|e| Fatal::Config(root.clone(), e))?;
            let config = config::with_base_url(config, self.options.base_url.as_deref());
            self.kept = Some(Kept {
                config,
                config_stamp,
                theme: None,
                stamps: HashMap::default(),
                parsed: HashMap::default(),
                problems: HashMap::default(),
                check: crate::check::Memo::default(),
                checked: None,
                memory: Memory::default(),
            });
        }
        let kept = self.kept.as_mut().expect("just set");

        // A search stage gives way to a newer edit at every stage, not only in its own.
        let stop = || full_search.is_some_and(|stop| stop.load(std::sync::atomic::Ordering::Relaxed));

        // Content: files whose stamp is unchanged keep their parse.
        let walked = content::walk(&root).map_err(Fatal::Content)?;
        if stop() {
            return Err(Fatal::Search(search::IndexError::Interrupted));
        }
        let mut previous = std::mem::take(&mut kept.parsed);
        let mut parsed: Vec<(&content::File, Option<Parsed>)> = walked
            .files
            .iter()
            .filter(|file| file.is_markdown())
            .map(|file| {
                let unchanged = file.stamp.is_some() && kept.stamps.get(&file.key) == Some(&file.stamp);
                let reused = unchanged
                    .then(|| previous.remove(&file.key))
                    .flatten()
                    .map(|mut parse| {
                        parse.diagnostics = kept.problems.get(&file.key).cloned().unwrap_or_default();
                        parse
                    });
                (file, reused)
            })
            .collect();
        let config = &kept.config;
        parsed.par_iter_mut().for_each(|(file, parse)| {
            if parse.is_none() {
                let mut fresh = content::load_file(file, config);
                // Each stage that needs a body reads it back from its file (`content::Body`):
                // the preview holds none, during its builds or between them.
                if let Some(postmortem) = &mut fresh.postmortem {
                    postmortem.source.leave_body_in(&file.path);
                }
                *parse = Some(fresh);
            }
        });
        let stamps: HashMap<String, Option<Stamp>> =
            walked.files.iter().map(|f| (f.key.clone(), f.stamp)).collect();
        // Unreadable stamps say nothing: such a file may have changed.
        let same_files = stamps == kept.stamps && stamps.values().all(Option::is_some);
        kept.stamps = stamps;
        if !same_files {
            kept.checked = None;
        }
        // Most files have none.
        kept.problems = parsed
            .iter()
            .filter_map(|(file, parse)| {
                let problems = &parse.as_ref()?.diagnostics;
                (!problems.is_empty()).then(|| (file.key.clone(), problems.clone()))
            })
            .collect();
        let parsed: Vec<Parsed> = parsed
            .into_iter()
            .map(|(_, parse)| parse.expect("parsed above"))
            .collect();
        let mut content = Content::assemble(&walked, parsed);
        report.timings.push(("load", loading.elapsed()));

        if stop() {
            let kept = self.kept.as_mut().expect("kept above");
            kept.keep_parses(content, &walked);
            return Err(Fatal::Search(search::IndexError::Interrupted));
        }
        let options = &self.options;
        let found = match &kept.checked {
            Some(checked) => {
                report.files = checked.files;
                report.diagnostics = checked.diagnostics.clone();
                report.left_out = checked.left_out.clone();
                checked.found.clone()
            }
            None => {
                let found = build::validate_and_check(
                    &content,
                    &kept.config,
                    &options.selection,
                    options.strict,
                    options.policy_warnings_kept,
                    Some(&mut kept.check),
                    &mut report,
                );
                kept.checked = Some(Checked {
                    files: report.files,
                    diagnostics: report.diagnostics.clone(),
                    left_out: report.left_out.clone(),
                    found: found.clone(),
                });
                found
            }
        };
        // The checks were their last readers: the rest of the build goes without them.
        content.release_trees();
        let update = match stop() {
            true => Err(Fatal::Search(search::IndexError::Interrupted)),
            false => self.make(&content, full_search, sources, &mut report, progress),
        };
        let kept = self.kept.as_mut().expect("kept above");
        kept.keep_parses(content, &walked);
        match update {
            Ok(Some((changed, removed))) => Ok(Update {
                report,
                found,
                changed,
                removed,
                search_pending: self.search_pending,
            }),
            Ok(None) => Ok(Update::nothing(report, found)),
            Err(e) => Err(e),
        }
    }

    /// The stages after the checks, when they found no error: the changed and removed
    /// files, or `None` when nothing could be written.
    fn make(
        &mut self,
        content: &Content,
        full_search: Option<&AtomicBool>,
        sources: Option<u64>,
        report: &mut Report,
        progress: &dyn Progress,
    ) -> Result<Option<Written>, Fatal> {
        if crate::diagnostic::has_errors(&report.diagnostics) {
            return Ok(None);
        }
        let kept = self.kept.as_mut().expect("kept by build");
        let theme_stamps = theme_stamps(&self.options.root);
        if kept
            .theme
            .as_ref()
            .is_none_or(|(_, stamps)| *stamps != theme_stamps)
        {
            match Theme::load(&self.options.root) {
                Ok(theme) => {
                    kept.theme = Some((theme, theme_stamps));
                    // Fingerprints say nothing about templates: every page again.
                    kept.memory.fingerprints.clear();
                }
                Err(diagnostics) => {
                    report.diagnostics.extend(diagnostics);
                    return Ok(None);
                }
            }
        }
        let (theme, _) = kept.theme.as_ref().expect("loaded above");
        let options = &self.options;

        let Some(served) = &self.served else {
            // The first build (or the first since the output was last whole): in a staging
            // folder put in place whole, as `pmsite build` does, with the same refusals.
            // The preview writes into the output between builds: it holds the output's
            // lock from its first build on, so that a `pmsite build` into the same folder
            // waits instead of mixing its files with the preview's.
            if self.lock.is_none() {
                self.lock = Some(OutputLock::take(&self.output).map_err(Fatal::Output)?);
            }
            let lock = self.lock.as_ref().expect("taken above");
            let mut staging =
                Staging::under_lock(&self.output, &options.root, lock).map_err(Fatal::Output)?;
            let index = staging.companion(search::INDEX).map_err(Fatal::Output)?;
            let sink = Hashing {
                inner: &staging,
                hashes: Mutex::default(),
            };
            // Every page is written: a remembered fingerprint says nothing about a new
            // folder, nor a remembered search index.
            kept.memory.fingerprints.clear();
            kept.memory.search = None;
            let memory = Some(&mut kept.memory);
            report.built = build::make(
                content,
                &kept.config,
                options,
                theme,
                build::SearchStage::Full {
                    dir: &index,
                    owner: search::Owner {
                        output: search::owner::identity(staging.dir()),
                        sources: sources.expect("taken for a first build"),
                    },
                    // The first build is the site: nothing is served until it is whole.
                    stop: &AtomicBool::new(false),
                    live: None,
                },
                &sink,
                memory,
                progress,
                report,
            )?;
            if report.built.is_none() {
                kept.memory.fingerprints.clear();
                kept.memory.search = None;
                return Ok(None);
            }
            let hashes = sink.hashes.into_inner().unwrap_or_else(|e| e.into_inner());
            staging.commit().map_err(Fatal::Output)?;
            let mut changed: Vec<String> = hashes.keys().cloned().collect();
            changed.sort();
            self.served = Some(hashes);
            self.search_pending = false;
            return Ok(Some((changed, Vec::new())));
        };

        // Changed files and the index are staged beside the output and moved into place
        // only when the whole build succeeded.
        let staging = Scratch::new(&self.output, "pmsite-changes")?;
        let index = match full_search {
            Some(stop) => Some((
                Scratch::new(&self.output, &format!("{}.tmp", search::INDEX))?,
                stop,
            )),
            None => None,
        };
        let live = search::index_dir(&self.output);
        let stage = index
            .as_ref()
            .map_or(build::SearchStage::Deferred, |(dir, stop)| {
                build::SearchStage::Full {
                    dir: &dir.0,
                    owner: search::Owner {
                        output: search::owner::identity(&self.output),
                        sources: sources.expect("taken for a search stage"),
                    },
                    stop,
                    live: Some(&live),
                }
            });
        let sink = Changes {
            staging: &staging.0,
            served,
            hashes: Mutex::default(),
            changed: Mutex::default(),
        };
        let remembered = kept.memory.fingerprints.clone();
        let remembered_search = kept.memory.search.clone();
        let made = build::make(
            content,
            &kept.config,
            options,
            theme,
            stage,
            &sink,
            Some(&mut kept.memory),
            progress,
            report,
        );
        if !matches!(made, Ok(Some(_))) {
            // Nothing was served of this build: the fingerprints must describe what is.
            kept.memory.fingerprints = remembered;
            kept.memory.search = remembered_search;
        }
        report.built = made?;
        if report.built.is_none() {
            return Ok(None);
        }
        let replacing = Instant::now();
        let mut hashes = sink.hashes.into_inner().unwrap_or_else(|e| e.into_inner());
        if index.is_none() {
            // The search files stay as they are until the search stage runs.
            for (path, hash) in served {
                if path.starts_with(url::SEARCH_FILES) && !hashes.contains_key(path) {
                    hashes.insert(path.clone(), *hash);
                }
            }
        }
        let mut changed = sink.changed.into_inner().unwrap_or_else(|e| e.into_inner());
        changed.sort();
        let mut removed: Vec<String> = served
            .keys()
            .filter(|path| !hashes.contains_key(*path))
            .cloned()
            .collect();
        removed.sort();
        // From here on the served folder changes: until it is whole again, the next build
        // starts afresh.
        self.served = None;
        for path in &changed {
            move_into(&staging.0, &self.output, path)?;
        }
        for path in &removed {
            remove_file(&self.output, path)?;
        }
        if let Some((index, _)) = &index {
            crate::output::replace_dir(&index.0, &search::index_dir(&self.output)).map_err(Fatal::Output)?;
        }
        report
            .timings
            .push(("replace changed files", replacing.elapsed()));
        self.served = Some(hashes);
        self.search_pending = index.is_none();
        Ok(Some((changed, removed)))
    }
}

/// The output files a build changed and removed.
type Written = (Vec<String>, Vec<String>);

fn stamp(path: &Path) -> Option<Stamp> {
    fs::metadata(path).ok().map(|m| Stamp::of(&m))
}

/// The stamps of every file of the site's templates/ and static/.
fn theme_stamps(root: &Path) -> Vec<(PathBuf, Stamp)> {
    ["templates", "static"]
        .iter()
        .flat_map(|dir| walkdir::WalkDir::new(root.join(dir)).sort_by_file_name())
        .flatten()
        .filter(|entry| entry.file_type().is_file())
        .filter_map(|entry| Some((entry.path().to_path_buf(), Stamp::of(&entry.metadata().ok()?))))
        .collect()
}

fn hash(bytes: &[u8]) -> u64 {
    let mut hasher = FxHasher::default();
    hasher.write(bytes);
    hasher.write_usize(bytes.len());
    hasher.finish()
}

/// Hands files on to a staging folder, keeping their hashes.
struct Hashing<'s> {
    inner: &'s Staging,
    hashes: Mutex<HashMap<String, u64>>,
}

impl Sink for Hashing<'_> {
    fn write(&self, path: &str, bytes: &[u8]) -> Result<(), OutputError> {
        self.inner.write(path, bytes)?;
        self.hashes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(path.to_string(), hash(bytes));
        Ok(())
    }
}

/// Stages only the files whose bytes differ from what the output folder serves.
struct Changes<'s> {
    staging: &'s Path,
    served: &'s HashMap<String, u64>,
    /// Every file of this build.
    hashes: Mutex<HashMap<String, u64>>,
    changed: Mutex<Vec<String>>,
}

impl Sink for Changes<'_> {
    fn write(&self, path: &str, bytes: &[u8]) -> Result<(), OutputError> {
        let new = hash(bytes);
        if self.served.get(path) != Some(&new) {
            let target = self.staging.join(path);
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent).map_err(|e| OutputError::Io(parent.to_path_buf(), e))?;
            }
            fs::write(&target, bytes).map_err(|e| OutputError::Io(target.clone(), e))?;
            self.changed
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(path.to_string());
        }
        self.hashes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(path.to_string(), new);
        Ok(())
    }

    fn keep(&self, path: &str) -> bool {
        let Some(&served) = self.served.get(path) else {
            return false;
        };
        self.hashes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(path.to_string(), served);
        true
    }
}

/// A folder beside the output for one build, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(output: &Path, suffix: &str) -> Result<Scratch, Fatal> {
        let dir = crate::output::sibling(output, &format!("{suffix}-{}", std::process::id()));
        let io = |e| Fatal::Output(OutputError::Io(dir.clone(), e));
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(io)?;
        }
        fs::create_dir_all(&dir).map_err(io)?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Moves the staged file `path` into the output: a reader sees the old file or the new
/// one, never half of it.
fn move_into(staging: &Path, output: &Path, path: &str) -> Result<(), Fatal> {
    let target = output.join(path);
    if let Some(parent) = target.parent() {
        fs::create_dir_all(parent).map_err(|e| Fatal::Output(OutputError::Io(parent.to_path_buf(), e)))?;
    }
    fs::rename(staging.join(path), &target).map_err(|e| Fatal::Output(OutputError::Io(target, e)))
}

/// Removes a file the build no longer makes, and the folders it leaves empty.
fn remove_file(dir: &Path, path: &str) -> Result<(), Fatal> {
    let file = dir.join(path);
    match fs::remove_file(&file) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Fatal::Output(OutputError::Io(file, e))),
    }
    let mut parent = file.parent();
    while let Some(folder) = parent {
        if folder == dir || fs::remove_dir(folder).is_err() {
            break;
        }
        parent = folder.parent();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::NoProgress;
    use crate::site::{Audience, Selection};

    fn options(root: &Path, output: &Path) -> Options {
        Options {
            root: root.to_path_buf(),
            output: Some(output.to_path_buf()),
            selection: Selection {
                audience: Audience::Internal,
                drafts: false,
                today: chrono::NaiveDate::from_ymd_opt(2025, 6, 1).unwrap(),
            },
            strict: false,
            policy_warnings_kept: None,
            base_url: None,
        }
    }

    fn postmortem(root: &Path, id: &str, title: &str, body: &str) {
        let text = format!(
            "+++\ntitle = \"{title}\"\nseverity = \"SEV2\"\nstarted_at = 2024-03-08T15:42:00Z\nsummary = \"About {title}.\"\nservices = [\"api\"]\n+++\n{body}\n"
        );
        fs::write(root.join(format!("postmortems/{id}.md")), text).unwrap();
    }

    /// Every file of a folder and its bytes.
    fn files(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
        walkdir::WalkDir::new(dir)
            .into_iter()
            .flatten()
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                let path = e.path().strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                (path, fs::read(e.path()).unwrap())
            })
            .collect()
    }

    #[test]
    fn a_rebuild_writes_only_what_changed_and_equals_a_full_build() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("site");
        fs::create_dir_all(root.join("postmortems")).unwrap();
        fs::write(root.join("pmsite.toml"), "title = \"Incidents\"\n").unwrap();
        postmortem(
            &root,
            "disk-full",
            "Disk full",
            "## Timeline\nThe disk filled up.",
        );
        postmortem(
            &root,
            "cert-expired",
            "Certificate expired",
            "## Timeline\nIt expired.",
        );
        let served = tmp.path().join("public");
        let mut preview = Preview::new(options(&root, &served));
        let first = preview.build(&NoProgress).unwrap();
        assert!(!first.failed());
        assert!(
            first
                .changed
                .contains(&"incidents/disk-full/index.html".to_string())
        );

        postmortem(
            &root,
            "disk-full",
            "Disk full",
            "## Timeline\nThe disk filled up at noon.",
        );
        let second = preview.build(&NoProgress).unwrap();
        assert!(
            second
                .changed
                .contains(&"incidents/disk-full/index.html".to_string())
        );
        assert!(
            !second
                .changed
                .contains(&"incidents/cert-expired/index.html".to_string())
        );
        assert!(second.removed.is_empty());

        fs::remove_file(root.join("postmortems/cert-expired.md")).unwrap();
        let third = preview.build(&NoProgress).unwrap();
        assert!(
            third
                .removed
                .contains(&"incidents/cert-expired/index.html".to_string())
        );
        assert!(
            !served.join("incidents/cert-expired").exists(),
            "its folder goes too"
        );

        assert!(third.search_pending, "the search stage waits for finish");
        let index_before = dir_listing(&search::index_dir(&served));
        assert!(
            preview
                .finish(&NoProgress, &AtomicBool::new(true))
                .unwrap()
                .is_none(),
            "a search stage told to stop gives way"
        );
        assert_eq!(
            dir_listing(&search::index_dir(&served)),
            index_before,
            "and leaves the served index as it was"
        );
        let finished = preview
            .finish(&NoProgress, &AtomicBool::new(false))
            .unwrap()
            .expect("a search stage was due");
        assert!(!finished.search_pending && !finished.failed());
        assert!(
            preview
                .finish(&NoProgress, &AtomicBool::new(false))
                .unwrap()
                .is_none(),
            "and is done"
        );
        assert!(
            finished.changed.iter().any(|path| path.starts_with("search/")),
            "{:?}",
            finished.changed
        );
        let fresh = tmp.path().join("fresh");
        let report = build::run(&options(&root, &fresh), &NoProgress).unwrap();
        assert!(report.built.is_some());
        assert!(
            files(&served) == files(&fresh),
            "the preview serves what a full build writes"
        );
    }

    #[test]
    fn a_broken_edit_keeps_the_last_good_site() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("site");
        fs::create_dir_all(root.join("postmortems")).unwrap();
        fs::write(root.join("pmsite.toml"), "title = \"Incidents\"\n").unwrap();
        postmortem(&root, "disk-full", "Disk full", "Text.");
        let served = tmp.path().join("public");
        let mut preview = Preview::new(options(&root, &served));
        preview.build(&NoProgress).unwrap();
        let good = files(&served);
        fs::write(root.join("postmortems/disk-full.md"), "+++\ntitle = \n+++\n").unwrap();
        let broken = preview.build(&NoProgress).unwrap();
        assert!(broken.failed());
        assert!(
            broken
                .report
                .diagnostics
                .iter()
                .any(|d| d.file.ends_with("disk-full.md"))
        );
        assert!(files(&served) == good);
        fs::create_dir_all(root.join("templates")).unwrap();
        fs::write(root.join("templates/incident.html"), "{{ nothing.here }}").unwrap();
        postmortem(&root, "disk-full", "Disk full", "Fixed.");
        assert!(preview.build(&NoProgress).unwrap().failed(), "a template error");
        assert!(files(&served) == good);
        fs::remove_dir_all(root.join("templates")).unwrap();
        let fixed = preview.build(&NoProgress).unwrap();
        assert!(!fixed.failed());
        assert!(
            fixed
                .changed
                .contains(&"incidents/disk-full/index.html".to_string())
        );
        assert!(
            !fixed.changed.iter().any(|path| path == "index.html"),
            "a body edit does not change the home page: {:?}",
            fixed.changed
        );
    }

    /// One postmortem of the generated archive.
    #[derive(Clone, Debug)]
    struct Doc {
        file: String,
        id: String,
        title: String,
        day: u32,
        services: Vec<&'static str>,
        tags: Vec<&'static str>,
        related: Option<String>,
        actions: u8,
        body: String,
    }

    impl Doc {
        fn new(n: u32) -> Doc {
            Doc {
                file: format!("pm-{n}.md"),
                id: format!("incident-{n}"),
                title: format!("Incident {n}"),
                day: 1 + n % 27,
                services: vec![SERVICES[n as usize % SERVICES.len()]],
                tags: vec![TAGS[n as usize % TAGS.len()]],
                related: None,
                actions: (n % 3) as u8,
                body: format!("## Timeline\nThe queue backed up for {n} minutes.\n"),
            }
        }

        fn text(&self) -> String {
            let list = |values: &[&str]| {
                values
                    .iter()
                    .map(|v| format!("\"{v}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let mut text = format!(
                "+++\nid = \"{}\"\ntitle = \"{}\"\nseverity = \"SEV2\"\nstarted_at = 2024-03-{:02}T10:00:00Z\nsummary = \"About {}.\"\nservices = [{}]\ntags = [{}]\n",
                self.id,
                self.title,
                self.day,
                self.title,
                list(&self.services),
                list(&self.tags)
            );
            if let Some(related) = &self.related {
                text.push_str(&format!("related = [\"{related}\"]\n"));
            }
            for a in 0..self.actions {
                text.push_str(&format!(
                    "[[action_items]]\ntitle = \"Guard rail {a} of {}\"\nowner = \"owner-{a}\"\ndue = 2024-05-0{}\n",
                    self.id,
                    a + 1
                ));
            }
            text.push_str("+++\n");
            text.push_str(&self.body);
            text
        }
    }

    const SERVICES: [&str; 3] = ["api", "queue", "billing"];
    const TAGS: [&str; 3] = ["dns", "deploy", "capacity"];

    #[derive(Clone, Debug)]
    enum Op {
        Body(usize, u8),
        /// A lesson learned: a service's dossier quotes it.
        Lesson(usize, u8),
        Title(usize, u8),
        Tag(usize, usize),
        Service(usize, usize),
        Day(usize, u32),
        Actions(usize, u8),
        Relate(usize, usize),
        /// A link in one body to another postmortem: the other's page lists it.
        Link(usize, usize),
        /// A link in a body to a file beside the postmortems: the file is published.
        Attach(usize),
        Add,
        Delete(usize),
        Rename(usize),
        Template(bool),
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        prop_oneof![
            (any::<usize>(), any::<u8>()).prop_map(|(d, w)| Op::Body(d, w)),
            (any::<usize>(), any::<u8>()).prop_map(|(d, w)| Op::Lesson(d, w)),
            (any::<usize>(), any::<u8>()).prop_map(|(d, w)| Op::Title(d, w)),
            (any::<usize>(), 0..TAGS.len()).prop_map(|(d, t)| Op::Tag(d, t)),
            (any::<usize>(), 0..SERVICES.len()).prop_map(|(d, s)| Op::Service(d, s)),
            (any::<usize>(), 1..28u32).prop_map(|(d, day)| Op::Day(d, day)),
            (any::<usize>(), 0..3u8).prop_map(|(d, n)| Op::Actions(d, n)),
            (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Op::Relate(a, b)),
            (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Op::Link(a, b)),
            any::<usize>().prop_map(Op::Attach),
            Just(Op::Add),
            any::<usize>().prop_map(Op::Delete),
            any::<usize>().prop_map(Op::Rename),
            any::<bool>().prop_map(Op::Template),
        ]
    }

    /// Applies `op` to the archive in `root` (its documents in `docs`).
    fn apply(root: &Path, docs: &mut Vec<Doc>, next: &mut u32, op: &Op) {
        let dir = root.join("postmortems");
        let pick = |i: &usize, docs: &Vec<Doc>| (!docs.is_empty()).then(|| i % docs.len());
        match op {
            Op::Add => {
                docs.push(Doc::new(*next));
                *next += 1;
            }
            Op::Delete(i) => {
                if let Some(i) = pick(i, docs) {
                    let doc = docs.remove(i);
                    fs::remove_file(dir.join(&doc.file)).unwrap();
                }
            }
            Op::Rename(i) => {
                if let Some(i) = pick(i, docs) {
                    let renamed = format!("renamed-{}", docs[i].file);
                    fs::rename(dir.join(&docs[i].file), dir.join(&renamed)).unwrap();
                    docs[i].file = renamed;
                }
            }
            Op::Template(broken) => {
                let templates = root.join("templates");
                if *broken {
                    fs::create_dir_all(&templates).unwrap();
                    fs::write(templates.join("taxonomy.html"), "{{ no_such.thing }}").unwrap();
                } else {
                    let _ = fs::remove_dir_all(&templates);
                }
            }
            Op::Body(i, _)
            | Op::Lesson(i, _)
            | Op::Title(i, _)
            | Op::Tag(i, _)
            | Op::Service(i, _)
            | Op::Day(i, _)
            | Op::Actions(i, _)
                if !docs.is_empty() =>
            {
                let at = i % docs.len();
                let doc = &mut docs[at];
                match op {
                    Op::Body(_, w) => doc.body.push_str(&format!("A word {w} more.\n")),
                    Op::Lesson(_, w) => doc.body.push_str(&format!(
                        "## Lessons learned\n- Alerts on queue depth {w} would have paged sooner.\n"
                    )),
                    Op::Title(_, w) => doc.title = format!("Incident retitled {w}"),
                    Op::Tag(_, t) => doc.tags = vec![TAGS[*t]],
                    Op::Service(_, s) => doc.services = vec![SERVICES[*s]],
                    Op::Day(_, day) => doc.day = *day,
                    Op::Actions(_, n) => doc.actions = *n,
                    _ => {}
                }
            }
            Op::Link(a, b) if !docs.is_empty() => {
                let (a, b) = (a % docs.len(), b % docs.len());
                let target = docs[b].file.clone();
                docs[a]
                    .body
                    .push_str(&format!("See [the other review]({target}).\n"));
            }
            Op::Attach(a) if !docs.is_empty() => {
                let a = a % docs.len();
                fs::write(dir.join("graph.txt"), format!("queue depth {}\n", docs.len())).unwrap();
                docs[a].body.push_str("The [queue graph](graph.txt) shows it.\n");
            }
            Op::Relate(a, b) if docs.len() > 1 => {
                let (a, b) = (a % docs.len(), b % docs.len());
                if a != b {
                    docs[a].related = Some(docs[b].id.clone());
                }
            }
            _ => {}
        }
        // Every document is written each time, as an editor saving all would; unchanged
        // bytes must change nothing.
        for doc in docs.iter() {
            let path = dir.join(&doc.file);
            if fs::read_to_string(&path).ok().as_deref() != Some(doc.text().as_str()) {
                fs::write(path, doc.text()).unwrap();
            }
        }
    }

    /// A site of `n` generated postmortems under `dir`, with `config` as its pmsite.toml: its
    /// folder, the folder it is served from, its documents and the number of the next one.
    fn generated_archive(dir: &Path, config: &str, n: u32) -> (PathBuf, PathBuf, Vec<Doc>, u32) {
        let root = dir.join("site");
        fs::create_dir_all(root.join("postmortems")).unwrap();
        fs::write(root.join("pmsite.toml"), config).unwrap();
        let mut docs: Vec<Doc> = (0..n).map(Doc::new).collect();
        let mut next = n;
        apply(&root, &mut docs, &mut next, &Op::Template(false));
        (root, dir.join("public"), docs, next)
    }

    /// The invariant that makes incremental rebuilds trustworthy: after any sequence of
    /// edits, adds, deletes, renames and template breakages to an archive of `n`
    /// postmortems, the preview serves exactly what a full build of the same files writes
    /// (or, when that build fails, what it served before).
    fn edits_serve_what_a_full_build_writes(
        n: u32,
        ops: &[Op],
    ) -> Result<(), proptest::test_runner::TestCaseError> {
        let tmp = tempfile::tempdir().unwrap();
        let (root, served, mut docs, mut next) = generated_archive(
            tmp.path(),
            "title = \"Incidents\"\nbase_url = \"https://x.example/\"\npaginate_by = 2\n",
            n,
        );
        let mut preview = Preview::new(options(&root, &served));
        proptest::prop_assert!(!preview.build(&NoProgress).unwrap().failed());
        for (step, op) in ops.iter().enumerate() {
            let before = files(&served);
            apply(&root, &mut docs, &mut next, op);
            let update = preview.build(&NoProgress).unwrap();
            if !update.failed() {
                let finished = preview.finish(&NoProgress, &AtomicBool::new(false)).unwrap();
                proptest::prop_assert!(finished.is_none_or(|f| !f.failed()));
            }
            let fresh = tmp.path().join(format!("fresh-{step}"));
            let full = build::run(&options(&root, &fresh), &NoProgress).unwrap();
            let full_failed = crate::diagnostic::has_errors(&full.diagnostics) || full.built.is_none();
            proptest::prop_assert_eq!(update.failed(), full_failed, "step {} {:?}", step, op);
            if full_failed {
                proptest::prop_assert!(
                    files(&served) == before,
                    "step {} {:?}: a failed build wrote",
                    step,
                    op
                );
            } else {
                let (got, want) = (files(&served), files(&fresh));
                let differing: Vec<&String> = got
                    .keys()
                    .chain(want.keys())
                    .filter(|k| got.get(*k) != want.get(*k))
                    .collect();
                proptest::prop_assert!(differing.is_empty(), "step {} {:?}: {:?}", step, op, differing);
            }
        }
        Ok(())
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 12,
            failure_persistence: None,
            ..proptest::prelude::ProptestConfig::default()
        })]

        #[test]
        fn a_preview_after_any_edits_serves_what_a_full_build_writes(
            ops in proptest::collection::vec(op(), 1..8)
        ) {
            edits_serve_what_a_full_build_writes(4, &ops)?;
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 4,
            failure_persistence: None,
            ..proptest::prelude::ProptestConfig::default()
        })]

        /// The same past the export's first block of 64 postmortems: the search stage keeps
        /// the index parts and search files of the segment an edit leaves alone.
        #[test]
        fn a_preview_of_more_than_a_search_block_serves_what_a_full_build_writes(
            ops in proptest::collection::vec(op(), 1..6)
        ) {
            edits_serve_what_a_full_build_writes(66, &ops)?;
        }
    }

    /// The index's segment ids, in order (meta.json).
    fn segment_ids(index: &Path) -> Vec<String> {
        let meta: serde_json::Value =
            serde_json::from_slice(&fs::read(index.join("meta.json")).unwrap()).unwrap();
        meta["segments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["segment_id"].as_str().unwrap().to_string())
            .collect()
    }

    /// What `pmsite search` answers from the index in `dir`: ids, scores and snippets.
    fn answers(dir: &Path, query: &str) -> String {
        let searcher = search::Searcher::open(dir).unwrap();
        let found = searcher
            .search(query, &search::Filters::default(), search::Order::Relevance, 100)
            .unwrap();
        serde_json::to_string(&found.hits).unwrap()
    }

    /// A search stage links the index parts whose postmortems an edit left alone and keeps
    /// their search files: what it serves and what `pmsite search` answers are still what a
    /// full build makes.
    #[test]
    fn a_search_stage_indexes_again_only_the_part_an_edit_falls_in() {
        let tmp = tempfile::tempdir().unwrap();
        // 66 postmortems: the export's first block (the 64 oldest) and a tail of two.
        let (root, served, mut docs, mut next) = generated_archive(tmp.path(), "title = \"Incidents\"\n", 66);
        let mut preview = Preview::new(options(&root, &served));
        assert!(!preview.build(&NoProgress).unwrap().failed());
        let index = search::index_dir(&served);
        let first = segment_ids(&index);
        assert_eq!(first.len(), 2, "a block and a tail: {first:?}");
        let newest = (0..docs.len())
            .max_by_key(|&i| (docs[i].day, docs[i].id.clone()))
            .unwrap();
        let oldest = (0..docs.len())
            .min_by_key(|&i| (docs[i].day, docs[i].id.clone()))
            .unwrap();
        let steps = [
            (Op::Body(newest, 7), "the newest postmortem's body: only the tail"),
            (
                Op::Body(oldest, 9),
                "the oldest postmortem's body: only the block",
            ),
            (Op::Add, "a postmortem added after all others: only the tail"),
        ];
        let mut before = first;
        for (step, (op, what)) in steps.iter().enumerate() {
            apply(&root, &mut docs, &mut next, op);
            if matches!(op, Op::Add) {
                let added = docs.len() - 1;
                apply(&root, &mut docs, &mut next, &Op::Day(added, 28));
            }
            assert!(!preview.build(&NoProgress).unwrap().failed());
            let finished = preview.finish(&NoProgress, &AtomicBool::new(false)).unwrap();
            assert!(finished.is_some_and(|f| !f.failed()), "{what}");
            let after = segment_ids(&index);
            let kept: Vec<bool> = before.iter().zip(&after).map(|(b, a)| b == a).collect();
            // Segments are in site order: the tail (newest) first.
            let expected = match step {
                1 => vec![true, false],
                _ => vec![false, true],
            };
            assert_eq!(kept, expected, "{what}: segments {before:?} -> {after:?}");
            let fresh = tmp.path().join(format!("fresh-{step}"));
            let full = build::run(&options(&root, &fresh), &NoProgress).unwrap();
            assert!(full.built.is_some());
            assert!(
                files(&served) == files(&fresh),
                "{what}: served files differ from a full build's"
            );
            for query in ["queue backed", "word 7", "word 9", "incident"] {
                assert_eq!(
                    answers(&index, query),
                    answers(&search::index_dir(&fresh), query),
                    "{what}: `{query}`"
                );
            }
            before = after;
        }
    }

    /// Before its search stage, a build lists the similar incidents found before the edit,
    /// by id: an edit that reorders the archive must not shift them onto other incidents.
    #[test]
    fn a_deferred_build_keeps_each_incident_s_similar_incidents_when_the_archive_reorders() {
        let tmp = tempfile::tempdir().unwrap();
        let (root, served, mut docs, mut next) = generated_archive(tmp.path(), "title = \"Incidents\"\n", 6);
        let mut preview = Preview::new(options(&root, &served));
        assert!(!preview.build(&NoProgress).unwrap().failed());
        // Per incident page: each similar incident's link and why, as listed.
        let similar_lists = || -> std::collections::BTreeMap<String, Vec<String>> {
            files(&served)
                .into_iter()
                .filter(|(path, _)| path.starts_with("incidents/") && path.ends_with("index.html"))
                .map(|(path, html)| {
                    let html = String::from_utf8(html).unwrap();
                    let list = html.split("<dl class=\"connected\">").nth(1).unwrap_or_default();
                    let mut why = "";
                    let mut listed = Vec::new();
                    for line in list[..list.find("</dl>").unwrap_or_default()].lines() {
                        if let Some(reasons) = line.strip_prefix("<dt>") {
                            why = reasons;
                        } else if line.starts_with("<dd>") {
                            let link = line.split('"').nth(1).unwrap_or_default();
                            listed.push(format!("{link} {why}"));
                        }
                    }
                    (path, listed)
                })
                .collect()
        };
        let before = similar_lists();
        assert!(before["incidents/incident-0/index.html"].len() > 1, "{before:?}");
        // The oldest incident becomes the newest: every other one moves in the site's order.
        apply(&root, &mut docs, &mut next, &Op::Day(1, 27));
        let update = preview.build(&NoProgress).unwrap();
        assert!(update.search_pending);
        assert_eq!(similar_lists(), before);
    }

    /// The names and sizes of the files in `dir`, sorted.
    fn dir_listing(dir: &Path) -> Vec<(String, u64)> {
        let mut files: Vec<(String, u64)> = fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| {
                (
                    e.file_name().to_string_lossy().into_owned(),
                    e.metadata().unwrap().len(),
                )
            })
            .collect();
        files.sort();
        files
    }
}
