//! Which output and which sources a search index was built for, so that `pmsite search`
//! never answers for a site that is not the one published, and says when the postmortems
//! changed since the index was made.
//!
//! Kept in the payload of the index's `meta.json`: the output folder's identity (device and
//! inode: a build puts its staging folder in place whole, so a new output is a new folder)
//! and a stamp of the source files (sizes and times of pmsite.toml and every file under
//! postmortems/; reading only metadata keeps `pmsite search` fast on a large archive).

use std::hash::Hasher;
use std::path::Path;

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    /// The output folder the index describes; `None` for an index made on its own, for a
    /// search before any build.
    pub output: Option<(u64, u64)>,
    /// [`sources`] when the build started.
    pub sources: u64,
}

impl Owner {
    pub fn payload(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The owner recorded in the index at `dir`, if any.
    pub fn of_index(dir: &Path) -> Option<Owner> {
        let meta: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("meta.json")).ok()?).ok()?;
        serde_json::from_str(meta.get("payload")?.as_str()?).ok()
    }

    /// Whether the index was made for the output at `output` (or on its own, before any
    /// build). Another output's index (a build stopped part way, or the output replaced by
    /// hand) would give answers that do not match the published site.
    pub fn belongs_to(&self, output: &Path) -> bool {
        self.output.is_none() || self.output == identity(output)
    }

    /// Whether the postmortems changed since the index was made. This walks every source's
    /// metadata: on a large archive, most of what a search does (so `pmsite search` runs it
    /// beside the query, and a quiet search not at all).
    pub fn is_stale(&self, root: &Path) -> bool {
        self.sources != sources(root)
    }
}

/// A folder's identity on its filesystem.
pub fn identity(path: &Path) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// A stamp of the site's sources: pmsite.toml and every file under postmortems/ (names,
/// sizes, modification times). Each file's part is hashed on its own and the parts summed,
/// so the walk needs no sorting, and each folder's entries are read with the folder open
/// (no path lookup per file): on 100,000 files, the stamp is most of what `pmsite search`
/// does.
pub fn sources(root: &Path) -> u64 {
    let config = root.join(crate::config::FILE_NAME);
    let mut stamp = std::fs::metadata(&config).map_or(0, |m| file_stamp(&config, &m));
    stamp = stamp.wrapping_add(folder_stamp(&root.join(crate::content::POSTMORTEMS_DIR), 0));
    stamp
}

/// The sum of the stamps of the files under `folder`, following links (to a depth that
/// stops a cycle). Entries are stamped on every core: a folder of 100,000 postmortems is
/// 100,000 metadata reads.
fn folder_stamp(folder: &Path, depth: usize) -> u64 {
    use rayon::prelude::*;
    let Ok(entries) = std::fs::read_dir(folder) else {
        return 0;
    };
    let entries: Vec<std::fs::DirEntry> = entries.flatten().collect();
    entries
        .par_iter()
        .map(|entry| {
            let Ok(mut metadata) = entry.metadata() else {
                return 0;
            };
            let path = entry.path();
            if metadata.file_type().is_symlink() {
                match std::fs::metadata(&path) {
                    Ok(target) => metadata = target,
                    Err(_) => return 0,
                }
            }
            if metadata.is_file() {
                file_stamp(&path, &metadata)
            } else if metadata.is_dir() && depth < MAX_DEPTH {
                folder_stamp(&path, depth + 1)
            } else {
                0
            }
        })
        .reduce(|| 0, u64::wrapping_add)
}

/// Folders deeper than this under postmortems/ are not stamped (a link cycle).
const MAX_DEPTH: usize = 32;

/// One file's part of the stamp: its path, size and modification time.
fn file_stamp(path: &Path, metadata: &std::fs::Metadata) -> u64 {
    let mut hasher = rustc_hash::FxHasher::default();
    hasher.write(path.as_os_str().as_encoded_bytes());
    hasher.write_u64(metadata.len());
    if let Ok(modified) = metadata.modified()
        && let Ok(since) = modified.duration_since(std::time::UNIX_EPOCH)
    {
        hasher.write_u128(since.as_nanos());
    }
    // FxHash's last step is a multiply: mix the bits before they are summed.
    let hash = hasher.finish();
    (hash ^ (hash >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_index_knows_its_output_and_notices_edits() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("site");
        std::fs::create_dir_all(root.join("postmortems")).unwrap();
        std::fs::write(root.join("postmortems/a.md"), "one").unwrap();
        let output = tmp.path().join("public");
        std::fs::create_dir(&output).unwrap();
        let index = tmp.path().join("index");
        std::fs::create_dir(&index).unwrap();
        let owner = Owner {
            output: identity(&output),
            sources: sources(&root),
        };
        let meta = serde_json::json!({ "payload": owner.payload() });
        std::fs::write(index.join("meta.json"), meta.to_string()).unwrap();
        let recorded = Owner::of_index(&index).unwrap();
        assert!(recorded.belongs_to(&output));
        assert!(!recorded.is_stale(&root));

        std::fs::write(root.join("postmortems/a.md"), "one more").unwrap();
        assert!(recorded.is_stale(&root));

        let stamps = |root: &Path| sources(root);
        let before = stamps(&root);
        std::fs::create_dir(root.join("postmortems/2024")).unwrap();
        std::fs::write(root.join("postmortems/2024/b.md"), "two").unwrap();
        let added = stamps(&root);
        assert_ne!(added, before, "a file in a subfolder");
        std::fs::rename(
            root.join("postmortems/2024/b.md"),
            root.join("postmortems/2024/c.md"),
        )
        .unwrap();
        assert_ne!(stamps(&root), added, "a renamed file");
        std::fs::remove_file(root.join("postmortems/2024/c.md")).unwrap();
        assert_eq!(stamps(&root), before, "the same files, the same stamp");

        let elsewhere = Owner {
            output: Some((u64::MAX, u64::MAX)),
            ..owner
        };
        let meta = serde_json::json!({ "payload": elsewhere.payload() });
        std::fs::write(index.join("meta.json"), meta.to_string()).unwrap();
        assert!(!Owner::of_index(&index).unwrap().belongs_to(&output));
        let on_its_own = Owner {
            output: None,
            ..owner
        };
        assert!(on_its_own.belongs_to(&output), "an index made before any build");
        std::fs::write(index.join("meta.json"), "{}").unwrap();
        assert_eq!(Owner::of_index(&index), None, "an index of no one");
    }
}
