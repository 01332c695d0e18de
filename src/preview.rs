//! The engine of `pmsite serve`: a first build like `pmsite build`, then, after every change
//! to the site's files, a build whose files are compared with what is being served, and only
//! those whose bytes differ are written (each atomically, by a rename), and those that are
//! gone are removed. What is served is therefore always byte for byte what `pmsite build`
//! would write for the same files; a build that fails writes nothing, so the last good site
//! stays served.

use std::collections::HashMap;
use std::fs;
use std::hash::Hasher;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use rustc_hash::FxHasher;

use crate::build::{self, Fatal, Options, Progress, Report, Sink};
use crate::output::{OutputError, Staging};
use crate::search;
use crate::theme::Theme;

pub struct Preview {
    options: Options,
    output: PathBuf,
    /// Per output file (`/`-separated path): a hash of the bytes being served. `None` until
    /// a build succeeded: then the output folder may hold anything, and the next build
    /// replaces it whole.
    served: Option<HashMap<String, u64>>,
}

/// What one build of the preview did.
pub struct Update {
    pub report: Report,
    /// Output files written because their bytes changed, sorted.
    pub changed: Vec<String>,
    /// Output files removed because the build no longer makes them, sorted.
    pub removed: Vec<String>,
}

impl Update {
    /// Whether the build failed (then nothing was written).
    pub fn failed(&self) -> bool {
        crate::diagnostic::has_errors(&self.report.diagnostics) || self.report.built.is_none()
    }
}

impl Preview {
    /// A preview of `options.root` served from `options.output` (which must be set).
    pub fn new(options: Options) -> Preview {
        let output = options
            .output
            .clone()
            .unwrap_or_else(|| options.root.join("public"));
        Preview {
            options,
            output,
            served: None,
        }
    }

    pub fn output(&self) -> &Path {
        &self.output
    }

    /// Builds the site from its files as they are now and updates the output.
    pub fn build(&mut self, progress: &dyn Progress) -> Result<Update, Fatal> {
        let mut report = Report::default();
        let options = &self.options;
        let (config, content) = build::load_and_validate(
            &options.root,
            &options.selection,
            options.strict,
            options.policy_warnings_kept,
            &mut report,
        )?;
        let nothing = |report| Update {
            report,
            changed: Vec::new(),
            removed: Vec::new(),
        };
        if crate::diagnostic::has_errors(&report.diagnostics) {
            return Ok(nothing(report));
        }
        let theme = match Theme::load(&options.root) {
            Ok(theme) => theme,
            Err(diagnostics) => {
                report.diagnostics.extend(diagnostics);
                return Ok(nothing(report));
            }
        };
        let Some(served) = &self.served else {
            // The first build (or the first since the output was last good): in a staging
            // folder put in place whole, as `pmsite build` does, with the same refusals.
            let mut staging = Staging::new(&self.output, &options.root).map_err(Fatal::Output)?;
            let index = staging.companion(search::INDEX).map_err(Fatal::Output)?;
            let sink = Hashing {
                inner: &staging,
                hashes: Mutex::default(),
            };
            report.built = build::make(
                &content,
                &config,
                options,
                &theme,
                &index,
                &sink,
                progress,
                &mut report,
            )?;
            if report.built.is_none() {
                return Ok(nothing(report));
            }
            let hashes = sink.hashes.into_inner().unwrap_or_else(|e| e.into_inner());
            staging.commit().map_err(Fatal::Output)?;
            let mut changed: Vec<String> = hashes.keys().cloned().collect();
            changed.sort();
            self.served = Some(hashes);
            return Ok(Update {
                report,
                changed,
                removed: Vec::new(),
            });
        };
        // Changed files and the index are staged beside the output and moved into place
        // only when the whole build succeeded.
        let staging = Scratch::new(&self.output, "pmsite-changes")?;
        let index = Scratch::new(&self.output, &format!("{}.tmp", search::INDEX))?;
        let sink = Changes {
            staging: &staging.0,
            served,
            hashes: Mutex::default(),
            changed: Mutex::default(),
        };
        report.built = build::make(
            &content,
            &config,
            options,
            &theme,
            &index.0,
            &sink,
            progress,
            &mut report,
        )?;
        if report.built.is_none() {
            return Ok(nothing(report));
        }
        let replacing = Instant::now();
        let hashes = sink.hashes.into_inner().unwrap_or_else(|e| e.into_inner());
        let mut changed = sink.changed.into_inner().unwrap_or_else(|e| e.into_inner());
        changed.sort();
        let mut removed: Vec<String> = served
            .keys()
            .filter(|path| !hashes.contains_key(*path))
            .cloned()
            .collect();
        removed.sort();
        // From here on the served folder changes: forget what it held until it is whole again.
        self.served = None;
        for path in &changed {
            move_into(&staging.0, &self.output, path)?;
        }
        for path in &removed {
            remove_file(&self.output, path)?;
        }
        crate::output::replace_dir(&index.0, &search::index_dir(&self.output)).map_err(Fatal::Output)?;
        report
            .timings
            .push(("replace changed files", replacing.elapsed()));
        self.served = Some(hashes);
        Ok(Update {
            report,
            changed,
            removed,
        })
    }
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

    fn copy(&self, from: &Path, path: &str) -> Result<(), OutputError> {
        let bytes = fs::read(from).map_err(|e| OutputError::Io(from.to_path_buf(), e))?;
        self.write(path, &bytes)
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

    fn copy(&self, from: &Path, path: &str) -> Result<(), OutputError> {
        let bytes = fs::read(from).map_err(|e| OutputError::Io(from.to_path_buf(), e))?;
        self.write(path, &bytes)
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
}
