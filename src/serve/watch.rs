//! The watcher that tells the preview engine (`preview`) to rebuild when a file of the site
//! changes. It uses notify through notify-debouncer-full, which folds an editor's several
//! writes of one save (write twice, rename over, swap files) into one burst.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// What of a site `pmsite serve` watches: pmsite.toml and the folders a build reads. Never
/// the output (it may sit inside the site folder), nor hidden or backup files that editors
/// write beside the one being saved (`.x.swp`, `x~`, `.#x`, vim's `4913`).
pub fn watched(root: &Path) -> Vec<PathBuf> {
    ["pmsite.toml", "postmortems", "templates", "static"]
        .iter()
        .map(|name| root.join(name))
        .collect()
}

/// Whether a change at `path` can change the site.
pub fn matters(path: &Path) -> bool {
    let Some(name) = path.file_name().map(|n| n.to_string_lossy()) else {
        return false;
    };
    !(name.starts_with('.') || name.starts_with('#') || name.ends_with('~') || name == "4913")
}

/// What the watcher saw.
pub enum Seen {
    /// A burst of changes under the site's watched paths (an editor that saves by writing
    /// twice or by renaming makes one burst).
    Changes,
    /// No change for a while: the time for work that can wait.
    Quiet,
}

type Debouncer = notify_debouncer_full::Debouncer<
    notify_debouncer_full::notify::RecommendedWatcher,
    notify_debouncer_full::RecommendedCache,
>;
type Events = std::sync::mpsc::Receiver<notify_debouncer_full::DebounceEventResult>;

/// Watches a site's files; made before the first build, so that no change made while it
/// runs goes unseen.
pub struct SiteWatcher {
    /// Canonical: events name absolute, resolved paths.
    root: PathBuf,
    debouncer: Debouncer,
    /// Watches the same paths, undebounced, only to set `changed` as soon as a change
    /// arrives: a search stage under way gives way while the burst is still being debounced.
    /// `None` when the system gives no second watcher (inotify's limits): changes are then
    /// flagged once debounced, later but still seen.
    flagger: Option<notify_debouncer_full::notify::RecommendedWatcher>,
    events: Events,
    /// The watched folders that exist (templates/ and static/ may appear later).
    watching: Vec<PathBuf>,
    /// Set as soon as a change arrives (`flagger`), before it is debounced and handed on:
    /// long work (a preview's search stage) clears it before it starts and gives up when it
    /// is set.
    changed: Arc<AtomicBool>,
}

impl SiteWatcher {
    pub fn new(root: &Path) -> Result<SiteWatcher, notify_debouncer_full::notify::Error> {
        use notify_debouncer_full::notify::{RecursiveMode, Watcher};
        let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        let (sender, events) = std::sync::mpsc::channel();
        let changed = Arc::new(AtomicBool::new(false));
        let (watched_root, flag) = (root.clone(), changed.clone());
        let handler = move |batch: notify_debouncer_full::DebounceEventResult| {
            if batch
                .as_ref()
                .is_ok_and(|batch| relevant(&watched_root, batch.iter().map(|debounced| &debounced.event)))
            {
                flag.store(true, Ordering::Relaxed);
            }
            let _ = sender.send(batch);
        };
        let mut debouncer =
            notify_debouncer_full::new_debouncer(std::time::Duration::from_millis(40), None, handler)?;
        let (watched_root, flag) = (root.clone(), changed.clone());
        let flagger = notify_debouncer_full::notify::recommended_watcher(
            move |event: notify_debouncer_full::notify::Result<notify_debouncer_full::notify::Event>| {
                if event.is_ok_and(|event| relevant(&watched_root, [&event])) {
                    flag.store(true, Ordering::Relaxed);
                }
            },
        )
        .ok();
        // The site folder itself, not recursively: it tells when templates/ or static/ appear.
        debouncer.watch(&root, RecursiveMode::NonRecursive)?;
        let flagger = flagger.and_then(|mut flagger| {
            flagger.watch(&root, RecursiveMode::NonRecursive).ok()?;
            Some(flagger)
        });
        let mut watcher = SiteWatcher {
            root,
            debouncer,
            flagger,
            events,
            watching: Vec::new(),
            changed,
        };
        watcher.watch_folders();
        Ok(watcher)
    }

    fn watch_folders(&mut self) {
        use notify_debouncer_full::notify::{RecursiveMode, Watcher};
        for path in watched(&self.root) {
            if path.is_dir()
                && !self.watching.contains(&path)
                && self.debouncer.watch(&path, RecursiveMode::Recursive).is_ok()
            {
                // Without it a change is only seen once debounced: slower, still seen.
                if let Some(flagger) = &mut self.flagger {
                    let _ = flagger.watch(&path, RecursiveMode::Recursive);
                }
                self.watching.push(path);
            }
        }
    }

    /// A flag set when a change arrives, for long work to give way to it.
    pub fn changed(&self) -> Arc<AtomicBool> {
        self.changed.clone()
    }

    /// Calls `on` with what it sees, until the watcher fails.
    pub fn run(mut self, mut on: impl FnMut(Seen)) -> Result<(), notify_debouncer_full::notify::Error> {
        use std::sync::mpsc::RecvTimeoutError;
        loop {
            match self.events.recv_timeout(std::time::Duration::from_millis(300)) {
                Ok(Ok(batch)) => {
                    if relevant(&self.root, batch.iter().map(|debounced| &debounced.event)) {
                        self.watch_folders();
                        on(Seen::Changes);
                    }
                }
                Ok(Err(errors)) => {
                    if let Some(e) = errors.into_iter().next() {
                        return Err(e);
                    }
                }
                Err(RecvTimeoutError::Timeout) => on(Seen::Quiet),
                Err(RecvTimeoutError::Disconnected) => return Ok(()),
            }
        }
    }
}

/// Whether a batch of events changes the site. A build reads the site's files (copies
/// attachments): reading is no change.
fn relevant<'e>(
    root: &Path,
    batch: impl IntoIterator<Item = &'e notify_debouncer_full::notify::Event>,
) -> bool {
    let watched = watched(root);
    batch
        .into_iter()
        .filter(|event| !event.kind.is_access())
        .flat_map(|event| &event.paths)
        .any(|path| matters(path) && watched.iter().any(|w| path.starts_with(w)))
}
