//! `pmsite serve`: a small static file server for previewing a build on 127.0.0.1, and the
//! watcher that tells the preview engine (`preview`) to rebuild when a file of the site
//! changes.
//!
//! The server is deliberately minimal (GET and HEAD, one thread per connection, no caching,
//! loopback only): it shows the site as a web server would, with clean URLs and the 404
//! page, without installing anything. The watcher uses notify (through
//! notify-debouncer-full, which folds an editor's several writes of one save into one
//! burst).

use std::fs;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::content::links::percent_decode;

pub fn bind(port: u16) -> io::Result<TcpListener> {
    TcpListener::bind(("127.0.0.1", port))
}

/// Serves `dir` until the process is stopped.
pub fn serve(listener: TcpListener, dir: PathBuf) -> io::Result<()> {
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let dir = dir.clone();
        std::thread::spawn(move || {
            let _ = handle(stream, &dir);
        });
    }
    Ok(())
}

fn handle(mut stream: TcpStream, dir: &Path) -> io::Result<()> {
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // Drain the headers; nothing in them changes the answer.
    let mut line = String::new();
    while reader.read_line(&mut line)? > 2 {
        line.clear();
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    if method != "GET" && method != "HEAD" {
        return respond(
            &mut stream,
            "405 Method Not Allowed",
            "text/plain",
            b"GET only\n",
            true,
        );
    }
    let (status, path) = match resolve(dir, target) {
        Some(path) => ("200 OK", path),
        None => ("404 Not Found", dir.join("404.html")),
    };
    let body = fs::read(&path).unwrap_or_else(|_| b"Not found\n".to_vec());
    respond(&mut stream, status, content_type(&path), &body, method == "GET")
}

/// The file for a URL path, refusing anything that would leave `dir`.
fn resolve(dir: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let decoded = percent_decode(path);
    let relative = Path::new(decoded.trim_start_matches('/'));
    if relative.components().any(|c| !matches!(c, Component::Normal(_))) {
        return None;
    }
    let mut file = dir.join(relative);
    if file.is_dir() {
        file = file.join("index.html");
    }
    file.is_file().then_some(file)
}

fn respond(
    stream: &mut TcpStream,
    status: &str,
    content_type: &str,
    body: &[u8],
    with_body: bool,
) -> io::Result<()> {
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    if with_body {
        stream.write_all(body)?;
    }
    stream.flush()
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "xml" => "application/xml",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "txt" | "log" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

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
    events: Events,
    /// The watched folders that exist (templates/ and static/ may appear later).
    watching: Vec<PathBuf>,
    /// Set as soon as a change arrives, before it is debounced and handed on: long work
    /// (a preview's search stage) clears it before it starts and gives up when it is set.
    changed: Arc<AtomicBool>,
}

impl SiteWatcher {
    pub fn new(root: &Path) -> Result<SiteWatcher, notify_debouncer_full::notify::Error> {
        use notify_debouncer_full::notify::RecursiveMode;
        let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        let (sender, events) = std::sync::mpsc::channel();
        let changed = Arc::new(AtomicBool::new(false));
        let watched_root = root.clone();
        let flag = changed.clone();
        let handler = move |batch: notify_debouncer_full::DebounceEventResult| {
            if batch.as_ref().is_ok_and(|batch| relevant(&watched_root, batch)) {
                flag.store(true, Ordering::Relaxed);
            }
            let _ = sender.send(batch);
        };
        let mut debouncer =
            notify_debouncer_full::new_debouncer(std::time::Duration::from_millis(40), None, handler)?;
        // The site folder itself, not recursively: it tells when templates/ or static/ appear.
        debouncer.watch(&root, RecursiveMode::NonRecursive)?;
        let mut watcher = SiteWatcher {
            root,
            debouncer,
            events,
            watching: Vec::new(),
            changed,
        };
        watcher.watch_folders();
        Ok(watcher)
    }

    fn watch_folders(&mut self) {
        use notify_debouncer_full::notify::RecursiveMode;
        for path in watched(&self.root) {
            if path.is_dir()
                && !self.watching.contains(&path)
                && self.debouncer.watch(&path, RecursiveMode::Recursive).is_ok()
            {
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
                    if relevant(&self.root, &batch) {
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
fn relevant(root: &Path, batch: &[notify_debouncer_full::DebouncedEvent]) -> bool {
    let watched = watched(root);
    batch
        .iter()
        .filter(|event| !event.kind.is_access())
        .flat_map(|event| &event.paths)
        .any(|path| matters(path) && watched.iter().any(|w| path.starts_with(w)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_index_files_and_never_leave_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("incidents/a")).unwrap();
        fs::write(dir.path().join("incidents/a/index.html"), "a").unwrap();
        fs::write(dir.path().join("x y.txt"), "x").unwrap();
        let d = dir.path();
        assert_eq!(
            resolve(d, "/incidents/a/"),
            Some(d.join("incidents/a/index.html"))
        );
        assert_eq!(
            resolve(d, "/incidents/a/?q=1#top"),
            Some(d.join("incidents/a/index.html"))
        );
        assert_eq!(resolve(d, "/x%20y.txt"), Some(d.join("x y.txt")));
        assert_eq!(resolve(d, "/../etc/passwd"), None);
        assert_eq!(resolve(d, "/%2e%2e/etc/passwd"), None);
        assert_eq!(resolve(d, "/missing/"), None);
    }
}
