//! Stage 5, output: pages are written into a staging folder beside the output folder; only a
//! build that fully succeeded swaps it in, atomically where the OS allows (`renameat2`
//! with `RENAME_EXCHANGE` on Linux). A failed build leaves the published site untouched.

use std::fs::{self, File};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};

/// Marks a folder as written by pmsite, so that replacing it is safe. Every page carries
/// it; see [`Staging::commit`].
pub const GENERATOR_MARK: &str = "<meta name=\"generator\" content=\"pmsite";

#[derive(Debug)]
pub enum OutputError {
    /// The output folder is the site itself, or contains it.
    WouldReplaceSource(PathBuf),
    /// The output folder is inside one of the folders the site is built from
    /// (`postmortems/`, `static/`, `templates/`): every build would read the last one.
    InsideInputs(PathBuf, &'static str),
    /// The output folder exists, is not empty, and was not written by pmsite.
    NotAnOutputFolder(PathBuf),
    Io(PathBuf, io::Error),
}

impl std::fmt::Display for OutputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OutputError::WouldReplaceSource(p) => write!(
                f,
                "refusing to write the site to {}: it is, or contains, the site's own folder",
                p.display()
            ),
            OutputError::InsideInputs(p, folder) => write!(
                f,
                "refusing to write the site to {}: it is inside the site's {folder}/ folder, which the build reads (choose an --output outside {folder}/, e.g. the default public/)",
                p.display()
            ),
            OutputError::NotAnOutputFolder(p) => write!(
                f,
                "refusing to replace {}: it exists and was not written by pmsite (remove it, or choose another --output)",
                p.display()
            ),
            OutputError::Io(p, e) => write!(f, "cannot write {}: {e}", p.display()),
        }
    }
}

pub struct Staging {
    dir: PathBuf,
    output: PathBuf,
    /// Folders staged beside the output's (the search index), as (staged, final).
    companions: Vec<(PathBuf, PathBuf)>,
    committed: bool,
    /// Held until the staging folder is committed or dropped: one build at a time per output.
    /// `None` when the caller holds the lock for longer ([`Staging::under_lock`]).
    _lock: Option<OutputLock>,
}

/// The output's lock (`.NAME.pmsite-lock` beside it, holding the holder's PID): one writer
/// at a time per output folder. The OS releases it when the holder exits, however it exits,
/// so a killed build never leaves a lock behind.
pub struct OutputLock {
    _held: File,
}

impl OutputLock {
    /// Takes the lock of `output`, waiting (with a message on stderr) while another build
    /// or preview holds it.
    pub fn take(output: &Path) -> Result<OutputLock, OutputError> {
        lock(&absolute(output)).map(|held| OutputLock { _held: held })
    }
}

/// The folders a build reads; an output inside one would be read back by the next build.
const INPUT_FOLDERS: [&str; 3] = [crate::content::POSTMORTEMS_DIR, "static", "templates"];

/// Staging folders of this process, removed by [`remove_staging_folders`] when a signal
/// stops the build.
static LIVE_STAGING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Held for reading while a file is written into a staging folder, and for writing by
/// [`remove_staging_folders`]: a build writes from several threads, and one of them could
/// otherwise recreate a folder (`create_dir_all`) just after the signal handler removed it.
static WRITING: RwLock<()> = RwLock::new(());

impl Staging {
    /// Prepares a staging folder for `output` after checking that replacing `output` later
    /// cannot destroy anything but an earlier build, and takes the output's lock (waiting,
    /// with a message on stderr, while another build holds it). Staging folders that killed
    /// builds left beside `output` are removed.
    pub fn new(output: &Path, site_root: &Path) -> Result<Staging, OutputError> {
        Staging::prepare(output, site_root, true)
    }

    /// [`Staging::new`] for a caller that holds the output's lock already and keeps it
    /// after this staging folder is committed: a preview, which writes into the output
    /// between its builds. (A second lock of the same file, even in one process, would
    /// wait for the first forever.)
    pub fn under_lock(output: &Path, site_root: &Path, _held: &OutputLock) -> Result<Staging, OutputError> {
        Staging::prepare(output, site_root, false)
    }

    fn prepare(output: &Path, site_root: &Path, take_lock: bool) -> Result<Staging, OutputError> {
        let output = absolute(output);
        let site_root = absolute(site_root);
        if site_root.starts_with(&output) {
            return Err(OutputError::WouldReplaceSource(output));
        }
        if let Some(folder) = INPUT_FOLDERS
            .into_iter()
            .find(|folder| output.starts_with(site_root.join(folder)))
        {
            return Err(OutputError::InsideInputs(output, folder));
        }
        if output.exists() && !is_replaceable(&output) {
            return Err(OutputError::NotAnOutputFolder(output));
        }
        let dir = sibling(&output, &format!("{STAGING}{}", std::process::id()));
        if let Some(parent) = dir.parent() {
            fs::create_dir_all(parent).map_err(|e| OutputError::Io(parent.to_path_buf(), e))?;
        }
        let lock = match take_lock {
            true => Some(OutputLock {
                _held: lock(&output)?,
            }),
            false => None,
        };
        remove_stale_folders(&output);
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(|e| OutputError::Io(dir.clone(), e))?;
        }
        {
            // Registered before it exists, and made while writes are allowed: a signal
            // arriving at any point finds it gone or known.
            let _writing = WRITING.read().unwrap_or_else(|e| e.into_inner());
            live_staging().push(dir.clone());
            fs::create_dir(&dir).map_err(|e| OutputError::Io(dir.clone(), e))?;
        }
        Ok(Staging {
            dir,
            output,
            companions: Vec::new(),
            committed: false,
            _lock: lock,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// An empty folder, staged with the site, that [`Staging::commit`] puts at the output's
    /// [`sibling`] `suffix` right after the site: the private search index, which must
    /// always describe the published site, never a build that failed.
    pub fn companion(&mut self, suffix: &str) -> Result<PathBuf, OutputError> {
        let target = sibling(&self.output, suffix);
        let staged = sibling(&self.output, &format!("{suffix}.tmp-{}", std::process::id()));
        if staged.exists() {
            fs::remove_dir_all(&staged).map_err(|e| OutputError::Io(staged.clone(), e))?;
        }
        {
            let _writing = WRITING.read().unwrap_or_else(|e| e.into_inner());
            live_staging().push(staged.clone());
            fs::create_dir(&staged).map_err(|e| OutputError::Io(staged.clone(), e))?;
        }
        self.companions.push((staged.clone(), target));
        Ok(staged)
    }

    /// Writes `bytes` at `relative` (a `/`-separated path) inside the staging folder.
    pub fn write(&self, relative: &str, bytes: &[u8]) -> Result<(), OutputError> {
        let _writing = WRITING.read().unwrap_or_else(|e| e.into_inner());
        let path = self.dir.join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| OutputError::Io(parent.to_path_buf(), e))?;
        }
        fs::write(&path, bytes).map_err(|e| OutputError::Io(path, e))
    }

    /// Writes at `relative` what `write` makes, as it makes it.
    pub fn stream(&self, relative: &str, write: &crate::render::Streamed<'_>) -> Result<(), OutputError> {
        use std::io::Write;
        let _writing = WRITING.read().unwrap_or_else(|e| e.into_inner());
        let path = self.dir.join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| OutputError::Io(parent.to_path_buf(), e))?;
        }
        let written = fs::File::create(&path).and_then(|file| {
            let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
            write(&mut out)?;
            out.flush()
        });
        written.map_err(|e| OutputError::Io(path, e))
    }

    pub fn copy(&self, from: &Path, relative: &str) -> Result<(), OutputError> {
        let _writing = WRITING.read().unwrap_or_else(|e| e.into_inner());
        let path = self.dir.join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| OutputError::Io(parent.to_path_buf(), e))?;
        }
        fs::copy(from, &path)
            .map(|_| ())
            .map_err(|e| OutputError::Io(from.to_path_buf(), e))
    }

    /// Puts the staged site in place of the output folder, then each companion in place.
    pub fn commit(mut self) -> Result<(), OutputError> {
        replace_dir(&self.dir, &self.output)?;
        self.committed = true;
        while let Some((staged, target)) = self.companions.first() {
            replace_dir(staged, target)?;
            self.companions.remove(0);
        }
        Ok(())
    }
}

/// A hidden folder beside `path` named after it: `public` -> `.public.SUFFIX`. Staging
/// folders and the search index live there, on the same filesystem, so a rename swaps them in.
pub fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "public".into(), |n| n.to_string_lossy().into_owned());
    let parent = path.parent().unwrap_or_else(|| Path::new("."));
    parent.join(format!(".{name}.{suffix}"))
}

/// Puts the folder `new` in place of `target`, atomically where the OS can exchange two
/// paths, and removes what `target` held. A reader of `target` sees the old or the new
/// folder, never neither.
pub fn replace_dir(new: &Path, target: &Path) -> Result<(), OutputError> {
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |e| OutputError::Io(p, e)
    };
    if !target.exists() {
        return fs::rename(new, target).map_err(io(target));
    }
    if exchange(new, target).is_ok() {
        // `new` now holds the previous folder.
        return remove_tree(new).map_err(io(new));
    }
    // No atomic exchange here (another OS, or a filesystem without it): two renames, with
    // the old folder kept until the new one is in place.
    let old = new.with_extension("old");
    fs::rename(target, &old).map_err(io(target))?;
    if let Err(e) = fs::rename(new, target) {
        let _ = fs::rename(&old, target);
        return Err(OutputError::Io(target.to_path_buf(), e));
    }
    remove_tree(&old).map_err(io(&old))
}

impl Drop for Staging {
    fn drop(&mut self) {
        live_staging().retain(|d| *d != self.dir && !self.companions.iter().any(|(staged, _)| staged == d));
        if !self.committed {
            let _ = fs::remove_dir_all(&self.dir);
        }
        for (staged, _) in &self.companions {
            let _ = fs::remove_dir_all(staged);
        }
    }
}

fn live_staging() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    // A panic elsewhere while the list was held leaves it as usable as before.
    LIVE_STAGING.lock().unwrap_or_else(|e| e.into_inner())
}

/// Removes this process's staging folders: what a signal handler does before the process
/// exits, so that an interrupted build leaves the output as it was and nothing beside it.
/// Waits for files being written and stops any more from being written into a staging
/// folder, for good: call it only on the way out.
pub fn remove_staging_folders() {
    let stopped = WRITING.write().unwrap_or_else(|e| e.into_inner());
    for dir in live_staging().drain(..) {
        let _ = fs::remove_dir_all(dir);
    }
    std::mem::forget(stopped);
}

/// `.NAME.pmsite-staging-PID`, beside the output.
const STAGING: &str = "pmsite-staging-";
/// `.NAME.search-index.tmp-PID`, where the search index is built before it replaces the last.
const INDEX_STAGING: &str = "search-index.tmp-";

/// Takes the output's lock (see [`OutputLock`]).
fn lock(output: &Path) -> Result<File, OutputError> {
    let path = sibling(output, "pmsite-lock");
    let io = |e| OutputError::Io(path.clone(), e);
    let mut file = File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io)?;
    if let Err(fs::TryLockError::WouldBlock) = file.try_lock() {
        let mut holder = String::new();
        let _ = file.read_to_string(&mut holder);
        // Progress, not a diagnostic: the build goes on once the other one is done.
        let holder = match holder.trim() {
            "" => String::new(),
            pid => format!(" (process {pid})"),
        };
        eprintln!(
            "waiting for another pmsite build or serve{holder} to finish writing {}",
            output.display()
        );
    }
    file.lock().map_err(io)?;
    file.set_len(0).map_err(io)?;
    file.rewind().map_err(io)?;
    write!(file, "{}", std::process::id()).map_err(io)?;
    Ok(file)
}

/// Removes staging folders beside `output` whose process is gone (killed builds and
/// searches). A folder of a live process is its own business; a dead build's PID that
/// another process took since keeps its folder until that process is gone too.
fn remove_stale_folders(output: &Path) {
    let Some(name) = output.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return;
    };
    let parent = output.parent().unwrap_or_else(|| Path::new("."));
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    let prefix = format!(".{name}.");
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let pid = file_name.strip_prefix(&prefix).and_then(|rest| {
            [STAGING, INDEX_STAGING]
                .into_iter()
                .find_map(|kind| rest.strip_prefix(kind)?.parse::<i32>().ok())
        });
        if pid.is_some_and(|pid| pid != std::process::id() as i32 && !is_running(pid)) {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

fn is_running(pid: i32) -> bool {
    match rustix::process::Pid::from_raw(pid) {
        // Signal 0 checks that the process exists; EPERM means it does, as another user's.
        Some(pid) => !matches!(
            rustix::process::test_kill_process(pid),
            Err(rustix::io::Errno::SRCH)
        ),
        None => false,
    }
}

/// Removes a previous build. It has a folder per page, and unlinking tens of thousands of
/// entries is slow on some disks: subtrees are removed in parallel.
fn remove_tree(dir: &Path) -> io::Result<()> {
    use rayon::prelude::*;
    let mut subtrees = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            // One level down too: `incidents/` alone holds a folder per postmortem.
            for inner in fs::read_dir(entry.path())? {
                subtrees.push(inner?.path());
            }
        } else {
            subtrees.push(entry.path());
        }
    }
    subtrees.par_iter().try_for_each(|path| {
        if path.is_dir() {
            fs::remove_dir_all(path)
        } else {
            fs::remove_file(path)
        }
    })?;
    fs::remove_dir_all(dir)
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(io::Error::from)
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "no atomic exchange"))
}

/// Empty, or written by pmsite (its home page carries the generator mark).
fn is_replaceable(output: &Path) -> bool {
    if !output.is_dir() {
        return false;
    }
    let empty = fs::read_dir(output)
        .map(|mut d| d.next().is_none())
        .unwrap_or(false);
    empty
        || fs::read_to_string(output.join("index.html"))
            .map(|html| html.contains(GENERATOR_MARK))
            .unwrap_or(false)
}

/// `path` made absolute, with symlinks resolved in the part of it that exists, so that
/// `--output ./link-to-site` and `--output ./link-to-site/static/new` are caught.
fn absolute(path: &Path) -> PathBuf {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut existing = path.as_path();
    let mut rest = Vec::new();
    while fs::canonicalize(existing).is_err() {
        let (Some(parent), Some(name)) = (existing.parent(), existing.file_name()) else {
            return path;
        };
        rest.push(name);
        existing = parent;
    }
    let mut resolved = fs::canonicalize(existing).unwrap_or_else(|_| existing.to_path_buf());
    resolved.extend(rest.iter().rev());
    resolved
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_committed_build_replaces_the_previous_one_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("public");
        let site = tmp.path().join("site");
        fs::create_dir(&site).unwrap();

        let first = Staging::new(&out, &site).unwrap();
        first
            .write("index.html", format!("{GENERATOR_MARK} 1\">").as_bytes())
            .unwrap();
        first.write("old/index.html", b"old").unwrap();
        first.commit().unwrap();

        let second = Staging::new(&out, &site).unwrap();
        second
            .write("index.html", format!("{GENERATOR_MARK} 2\">").as_bytes())
            .unwrap();
        second.commit().unwrap();

        assert!(
            fs::read_to_string(out.join("index.html"))
                .unwrap()
                .ends_with("2\">")
        );
        assert!(!out.join("old").exists());
        assert_eq!(beside(tmp.path()), ["public", "site"]);
    }

    /// What a folder holds, but the output lock, which stays (removing it while another
    /// build waits on it would let a third one in).
    fn beside(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.ends_with(".pmsite-lock"))
            .collect();
        names.sort();
        names
    }

    #[test]
    fn an_abandoned_build_leaves_the_output_untouched() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("public");
        fs::create_dir(&out).unwrap();
        fs::write(out.join("index.html"), GENERATOR_MARK).unwrap();
        {
            let staging = Staging::new(&out, tmp.path().join("site").as_path()).unwrap();
            staging.write("index.html", b"half").unwrap();
        }
        assert_eq!(
            fs::read_to_string(out.join("index.html")).unwrap(),
            GENERATOR_MARK
        );
        assert_eq!(beside(tmp.path()), ["public"]);
    }

    #[test]
    fn refuses_to_replace_the_site_or_a_foreign_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let site = tmp.path().join("site");
        fs::create_dir(&site).unwrap();
        assert!(matches!(
            Staging::new(&site, &site),
            Err(OutputError::WouldReplaceSource(_))
        ));
        assert!(matches!(
            Staging::new(tmp.path(), &site),
            Err(OutputError::WouldReplaceSource(_))
        ));
        let docs = tmp.path().join("docs");
        fs::create_dir(&docs).unwrap();
        fs::write(docs.join("notes.txt"), "mine").unwrap();
        assert!(matches!(
            Staging::new(&docs, &site),
            Err(OutputError::NotAnOutputFolder(_))
        ));
    }
}
