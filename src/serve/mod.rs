//! `pmsite serve`: builds the site, serves it, and rebuilds what each edit changes while
//! open pages follow.
//!
//! - `watch`: which files of the site are watched, and the debounced watcher;
//! - `http`: the HTTP server (hyper) for the output folder, with its limits;
//! - `live`: the state of the last build and the event sent to open pages per build;
//! - `script`: the live-reload script, embedded, and how it is added to HTML answers.
//!
//! The build loop runs on the calling thread; the server on a thread of its own. A failed
//! build writes nothing, so the last good site stays served, with its errors shown over
//! every open page.

mod http;
mod live;
mod script;
mod watch;

use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::build::{self, Fatal, Options, Progress, Report};
use crate::preview::{Preview, Update};

pub use live::Live;
pub use watch::{Seen, SiteWatcher, matters, watched};

/// What `pmsite serve` was asked for.
pub struct Settings {
    pub options: Options,
    pub bind: IpAddr,
    pub port: u16,
    /// Open the site in the default browser once it is served.
    pub open: bool,
}

/// How the build loop talks to the terminal (the command line owns its format).
pub trait Console {
    /// Progress of the first build (a full one).
    fn progress(&self) -> &dyn Progress;
    fn first_build_done(&self);
    /// A build's diagnostics, as `pmsite build` prints them.
    fn diagnostics(&self, report: &Report);
    /// The one-line count of a failed build's problems.
    fn summary(&self, report: &Report) -> String;
    /// Why a build could not run at all.
    fn fatal(&self, fatal: &Fatal);
    /// An error line (`error: ...`).
    fn error(&self, message: &str);
    fn quiet(&self) -> bool;
    /// Each stage's time of a build that changed the site (`--verbose` prints them, as
    /// `pmsite build` does).
    fn timings(&self, report: &Report, took: Duration);
}

/// Why `pmsite serve` could not run.
#[derive(Debug)]
pub enum ServeError {
    Listen(SocketAddr, std::io::Error),
    Watch(PathBuf, notify_debouncer_full::notify::Error),
    /// The first build could not run (no site there, an unusable output folder).
    Fatal(Fatal),
    Server(std::io::Error),
}

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServeError::Listen(address, e) => write!(
                f,
                "cannot listen on {address}: {e} (another server there? try --port 0 for any free port)"
            ),
            ServeError::Watch(root, e) => write!(f, "cannot watch {} for changes: {e}", root.display()),
            ServeError::Fatal(fatal) => fatal.fmt(f),
            ServeError::Server(e) => write!(f, "cannot start the HTTP server: {e}"),
        }
    }
}

/// Builds, serves and follows the site until the process is stopped. A first build that
/// finds errors still serves: the errors show on every page until they are fixed.
pub fn run(settings: Settings, console: &dyn Console) -> Result<(), ServeError> {
    let address = SocketAddr::new(settings.bind, settings.port);
    let listener = TcpListener::bind(address).map_err(|e| ServeError::Listen(address, e))?;
    let bound = listener.local_addr().unwrap_or(address);
    let url = url_of(bound);
    let mut options = settings.options;
    // Canonical links, feeds and the sitemap point at this preview, not at the published
    // site, unless --base-url says otherwise.
    options.base_url.get_or_insert_with(|| url.clone());
    let root = options.root.clone();
    // A preview lives on between builds, each of which frees most of what it allocated.
    crate::memory::return_freed_pages_soon();
    // Watching starts first: an edit made while the first build runs is not missed.
    let watcher = SiteWatcher::new(&root).map_err(|e| ServeError::Watch(root.clone(), e))?;
    let mut preview = Preview::new(options);
    let output = preview.output().to_path_buf();
    let live = Arc::new(Live::new());

    let started = Instant::now();
    let first = preview.build(console.progress());
    console.first_build_done();
    if let Err(fatal) = &first
        && fatal.diagnostics().is_empty()
    {
        // Nothing an edit of the site's files can fix while serving (no site here, an
        // output folder pmsite may not write).
        return first.map(drop).map_err(ServeError::Fatal);
    }
    tell(console, &live, first, started.elapsed(), true);

    http::start(listener, output.clone(), live.clone()).map_err(ServeError::Server)?;
    eprintln!(
        "Serving {} at {url}; rebuilding when {} changes (Ctrl-C to stop)",
        output.display(),
        root.display()
    );
    if !bound.ip().is_loopback() {
        eprintln!(
            "warning: --bind {}: the preview is reachable from the network, not only from this \
             computer (anyone who can reach port {} can read every page it serves)",
            bound.ip(),
            bound.port()
        );
    }
    if settings.open
        && let Err(e) = opener::open_browser(&url)
    {
        eprintln!("could not open a browser ({e}); open {url} yourself");
    }

    let changed = watcher.changed();
    watcher
        .run(|seen| {
            let started = Instant::now();
            if let Some(result) = rebuild(&mut preview, seen, &changed) {
                tell(console, &live, result, started.elapsed(), false);
            }
        })
        .map_err(|e| ServeError::Watch(root.clone(), e))
}

/// The one place the loop asks the engine for work: pages first after a change, the
/// deferred search stage when the files are quiet (given up when `changed` is set by a new
/// change, and done again at the next quiet moment). `None`: nothing was due.
fn rebuild(preview: &mut Preview, seen: Seen, changed: &AtomicBool) -> Option<Result<Update, Fatal>> {
    match seen {
        Seen::Changes => {
            // What arrives from now on is newer than this build.
            changed.store(false, Ordering::Relaxed);
            Some(preview.build(&build::NoProgress))
        }
        Seen::Quiet => preview.finish(&build::NoProgress, changed).transpose(),
    }
}

/// Tells the terminal and the open pages what a build did.
fn tell(console: &dyn Console, live: &Live, result: Result<Update, Fatal>, took: Duration, first: bool) {
    match &result {
        Ok(update) if update.failed() => {
            console.diagnostics(&update.report);
            let still = if live.has_site() {
                "the last good site stays served"
            } else {
                "pages show the problems until they are fixed"
            };
            console.error(&format!("{}; {still}", console.summary(&update.report)));
        }
        Ok(update) if first => {
            console.diagnostics(&update.report);
            if !console.quiet() {
                println!("Built in {:.2} s", took.as_secs_f64());
            }
            console.timings(&update.report, took);
        }
        Ok(update) if update.changed.is_empty() && update.removed.is_empty() => {}
        Ok(update) => {
            if !console.quiet() {
                let files = update.changed.len();
                eprintln!(
                    "Rebuilt in {:.2} s: {files} file{} written, {} removed{}",
                    took.as_secs_f64(),
                    if files == 1 { "" } else { "s" },
                    update.removed.len(),
                    if update.search_pending {
                        " (search index next)"
                    } else {
                        ""
                    }
                );
            }
            console.timings(&update.report, took);
        }
        Err(fatal) => console.fatal(fatal),
    }
    live.record(result);
}

/// The URL to open: a server on every interface is reachable on this computer's loopback.
fn url_of(bound: SocketAddr) -> String {
    let ip = match bound.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::from([127, 0, 0, 1]),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}/", SocketAddr::new(ip, bound.port()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_printed_is_one_a_browser_here_can_open() {
        let at = |ip: &str| url_of(SocketAddr::new(ip.parse().unwrap(), 8080));
        assert_eq!(at("127.0.0.1"), "http://127.0.0.1:8080/");
        assert_eq!(at("0.0.0.0"), "http://127.0.0.1:8080/");
        assert_eq!(at("::"), "http://[::1]:8080/");
        assert_eq!(at("192.168.1.5"), "http://192.168.1.5:8080/");
    }
}
