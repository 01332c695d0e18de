//! Which files an import reads, and reading one safely: a binary, non-UTF-8 or huge file is
//! a reason to skip it, never a panic.

use std::path::{Path, PathBuf};

/// Files larger than this are not postmortems (a 200-page retro is about 1 MiB).
pub const MAX_BYTES: u64 = 8 * 1024 * 1024;

const EXTENSIONS: &[&str] = &["md", "markdown", "html", "htm"];

/// What a source file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Markdown,
    Html,
}

/// The folders of a site that are never sources when a folder holding the site is walked:
/// its postmortems (already imported), its built pages (`public/`: thousands of `.html`
/// files), its theme.
const SITE_OWN: &[&str] = &[crate::content::POSTMORTEMS_DIR, "public", "templates", "static"];

/// Every importable file under `sources`, sorted and without repeats. A source named
/// directly is taken whatever its extension; folders are walked for the known extensions,
/// leaving out hidden folders (`.git`) and the site's own folders (`site`, see
/// [`SITE_OWN`]).
pub fn collect(sources: &[PathBuf], site: &Path) -> Result<Vec<PathBuf>, (PathBuf, std::io::Error)> {
    let site_own: Vec<PathBuf> = SITE_OWN
        .iter()
        .filter_map(|folder| std::fs::canonicalize(site.join(folder)).ok())
        .collect();
    let is_site_own = |path: &Path| {
        !site_own.is_empty() && std::fs::canonicalize(path).is_ok_and(|path| site_own.contains(&path))
    };
    let mut files = Vec::new();
    for source in sources {
        let meta = std::fs::metadata(source).map_err(|e| match symlink_to_nothing(source) {
            Some(why) => (source.clone(), std::io::Error::other(why)),
            None => (source.clone(), e),
        })?;
        if meta.is_file() {
            files.push(source.clone());
            continue;
        }
        // Links are followed (a folder of retros is often a link to a share); one that leads
        // nowhere or back to a folder above it is a source that is reported, not skipped
        // silently.
        let walk = walkdir::WalkDir::new(source)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|entry| {
                entry.depth() == 0
                    || !entry.file_type().is_dir()
                    || !(entry.file_name().to_string_lossy().starts_with('.') || is_site_own(entry.path()))
            });
        for entry in walk {
            if let Err(e) = &entry
                && let Some(path) = e.path()
            {
                let broken = symlink_to_nothing(path).is_some();
                if e.loop_ancestor().is_some() || (broken && kind(path).is_some()) {
                    files.push(path.to_path_buf());
                    continue;
                }
                if broken {
                    // A broken link to what would not be imported anyway.
                    continue;
                }
            }
            let entry = entry.map_err(|e| {
                let path = e.path().unwrap_or(source).to_path_buf();
                (path, std::io::Error::other(e.to_string()))
            })?;
            if entry.file_type().is_file() && kind(entry.path()).is_some() {
                files.push(entry.into_path());
            }
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

/// The kind of a file, from its extension.
pub fn kind(path: &Path) -> Option<Kind> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    if !EXTENSIONS.contains(&ext.as_str()) {
        return None;
    }
    Some(if ext.starts_with("htm") {
        Kind::Html
    } else {
        Kind::Markdown
    })
}

/// Why `path` cannot be read when it is a symlink to nothing.
fn symlink_to_nothing(path: &Path) -> Option<String> {
    let target = std::fs::read_link(path).ok()?;
    (!path.exists()).then(|| format!("it is a symlink to {}, which does not exist", target.display()))
}

/// The text of `path`, or why it cannot be imported.
pub fn read(path: &Path) -> Result<String, String> {
    if let Some(why) = symlink_to_nothing(path) {
        return Err(why);
    }
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read it: {e}"))?;
    if meta.is_dir() {
        return Err("it is a link back to a folder above it (a loop): not followed".into());
    }
    if meta.len() > MAX_BYTES {
        return Err(format!(
            "it is {} bytes, more than the {} a postmortem can be; split it or trim attachments",
            meta.len(),
            MAX_BYTES
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
    text(bytes)
}

/// Bytes as text: UTF-8 without NUL bytes.
pub fn text(bytes: Vec<u8>) -> Result<String, String> {
    if bytes.contains(&0) {
        return Err("it is a binary file (it holds NUL bytes), not Markdown or HTML".into());
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "it is not UTF-8 (invalid byte at offset {}); convert it first, e.g. `iconv -f latin1 -t utf-8`",
            e.utf8_error().valid_up_to()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_and_latin1_are_refused_with_a_reason() {
        assert!(text(vec![b'a', 0, b'b']).unwrap_err().contains("binary"));
        assert!(text(b"caf\xe9".to_vec()).unwrap_err().contains("not UTF-8"));
        assert_eq!(text(b"# ok".to_vec()).unwrap(), "# ok");
    }
}
