//! What open pages are told: the state of the last build (kept, so that a page opened later
//! learns it too) and a server-sent event per build to every page listening.
//!
//! The browser side is `themes/default/serve/live.js`; the event and state formats below
//! are its whole interface.

use std::sync::{Arc, Mutex, RwLock};

use bytes::Bytes;
use serde::Serialize;
use tokio::sync::mpsc;

use crate::build::Fatal;
use crate::diagnostic::{Diagnostic, Level};
use crate::preview::Update;

/// More changed files than this and an event says "everything" instead of listing them
/// (a template edit on a large archive changes every page).
const LISTED_CHANGES: usize = 2_000;
/// A broken pmsite.toml can fail every file: the overlay shows this many problems and a count.
const SHOWN_PROBLEMS: usize = 200;
/// Events queued for one page before it counts as gone (it reconnects and catches up).
const QUEUED_EVENTS: usize = 32;

/// The live state shared by the build loop (which records) and the HTTP server (which
/// answers `/__pmsite/state` and streams `/__pmsite/events`).
pub struct Live {
    /// Tells a page that reconnects whether it is the same server.
    boot: String,
    state: RwLock<State>,
    listeners: Mutex<Vec<mpsc::Sender<Bytes>>>,
}

#[derive(Default)]
struct State {
    /// Counts builds; a page that missed one reloads.
    generation: u64,
    /// Whether the output holds a site this server built (else a placeholder is served).
    site: bool,
    /// The last build's errors (nothing was written), or empty.
    problems: Vec<Problem>,
    more_problems: usize,
    /// Why pmsite could not build at all (an invalid pmsite.toml), if so.
    fatal: Option<String>,
    /// Policy warnings per incident page, from the last good build.
    warnings: Warnings,
}

/// The last good build's policy findings, shared with the preview (which keeps them for its
/// next build), and the file each incident page shows. A page's own are looked up when it
/// asks, which is seldom, rather than indexed at every build, which an edit waits for.
#[derive(Default)]
struct Warnings {
    /// Each postmortem's own findings (`check::Found::files`).
    found: Arc<[Arc<[Diagnostic]>]>,
    /// Each incident page (site path) and its file (`build::Built::sources`).
    sources: Arc<[(String, Arc<std::path::Path>)]>,
}

impl Warnings {
    fn of(update: &Update) -> Warnings {
        let Some(built) = &update.report.built else {
            return Warnings::default();
        };
        Warnings {
            found: update.found.files.clone(),
            sources: built.sources.clone(),
        }
    }

    /// The policy warnings about the text (PM1xx to PM4xx) of the incident page `page`.
    fn of_page(&self, page: &str) -> Vec<Problem> {
        let Some(site_path) = page.strip_suffix("index.html") else {
            return Vec::new();
        };
        let Some((_, file)) = self.sources.iter().find(|(path, _)| path == site_path) else {
            return Vec::new();
        };
        let file = file.as_os_str();
        let Some(found) = self
            .found
            .iter()
            .find(|found| found.first().is_some_and(|d| d.file.as_os_str() == file))
        else {
            return Vec::new();
        };
        let mut warnings: Vec<&Diagnostic> = found
            .iter()
            .filter(|d| {
                d.level == Level::Warning && d.code.is_policy() && !d.code.as_str().starts_with("PM5")
            })
            .collect();
        crate::diagnostic::sort_refs(&mut warnings);
        warnings.into_iter().map(Problem::from).collect()
    }
}

/// A diagnostic as the overlay shows it.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct Problem {
    file: String,
    line: Option<usize>,
    column: Option<usize>,
    field: Option<String>,
    code: &'static str,
    level: Level,
    message: String,
    hint: Option<String>,
}

impl From<&Diagnostic> for Problem {
    fn from(d: &Diagnostic) -> Problem {
        Problem {
            file: d.file.display().to_string(),
            line: d.location.as_ref().map(|l| l.line),
            column: d.location.as_ref().map(|l| l.column),
            field: d.field.as_deref().map(str::to_string),
            code: d.code.as_str(),
            level: d.level,
            message: d.message.to_string(),
            hint: d.hint.as_deref().map(str::to_string),
        }
    }
}

/// `update` event: what a build changed.
#[derive(Serialize)]
struct Changes<'a> {
    generation: u64,
    ok: bool,
    /// Every page changed (too many to list).
    all: bool,
    changed: &'a [String],
    removed: &'a [String],
}

/// `/__pmsite/state?page=FILE`.
#[derive(Serialize)]
struct PageState<'a> {
    boot: &'a str,
    generation: u64,
    ok: bool,
    site: bool,
    fatal: Option<&'a str>,
    problems: &'a [Problem],
    more_problems: usize,
    warnings: Vec<Problem>,
}

impl Default for Live {
    fn default() -> Self {
        Live::new()
    }
}

impl Live {
    pub fn new() -> Live {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Live {
            boot: format!("{}-{}", std::process::id(), now.as_nanos()),
            state: RwLock::default(),
            listeners: Mutex::default(),
        }
    }

    /// Records what a build did and tells every open page.
    pub fn record(&self, result: Result<Update, Fatal>) {
        let built = result.as_ref().is_ok_and(|update| !update.failed());
        let warnings = match &result {
            Ok(update) if built => Some(Warnings::of(update)),
            _ => None,
        };
        let mut replaced = None;
        let (generation, update) = {
            let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
            state.generation += 1;
            let update = match result {
                Ok(update) if built => {
                    replaced = Some(state.built(warnings.unwrap_or_default()));
                    Some(update)
                }
                Ok(update) => {
                    state.failed(&update.report.diagnostics, None);
                    None
                }
                Err(fatal) => {
                    state.failed(fatal.diagnostics(), Some(fatal.to_string()));
                    None
                }
            };
            (state.generation, update)
        };
        let (changed, removed) = update.as_ref().map_or((&[][..], &[][..]), |update| {
            (&update.changed[..], &update.removed[..])
        });
        let all = changed.len() > LISTED_CHANGES || removed.len() > LISTED_CHANGES;
        let event = Changes {
            generation,
            ok: built,
            all,
            changed: if all { &[] } else { changed },
            removed: if all { &[] } else { removed },
        };
        self.send(&event_text("update", &event));
        // Freeing the last build's warnings waits until the pages have heard.
        drop(replaced);
    }

    /// Which server and build a page served now comes from.
    pub fn served(&self) -> crate::serve::script::Served {
        crate::serve::script::Served {
            boot: self.boot.clone(),
            generation: self.state.read().unwrap_or_else(|e| e.into_inner()).generation,
            file: None,
        }
    }

    /// Whether the output holds a site this server built.
    pub fn has_site(&self) -> bool {
        self.state.read().unwrap_or_else(|e| e.into_inner()).site
    }

    /// The state as one page (an output file such as `incidents/x/index.html`) sees it.
    pub fn state_of(&self, page: &str) -> Vec<u8> {
        let state = self.state.read().unwrap_or_else(|e| e.into_inner());
        let page_state = PageState {
            boot: &self.boot,
            generation: state.generation,
            ok: state.problems.is_empty() && state.fatal.is_none(),
            site: state.site,
            fatal: state.fatal.as_deref(),
            problems: &state.problems,
            more_problems: state.more_problems,
            warnings: state.warnings.of_page(page),
        };
        serde_json::to_vec(&page_state).unwrap_or_default()
    }

    /// A new event stream: the `hello` event first (which server, which build), then one
    /// `update` per build.
    pub fn listen(&self) -> mpsc::Receiver<Bytes> {
        let (sender, receiver) = mpsc::channel(QUEUED_EVENTS);
        let generation = self.state.read().unwrap_or_else(|e| e.into_inner()).generation;
        let hello = serde_json::json!({ "boot": self.boot, "generation": generation });
        // Reconnect quickly after the server restarts.
        let first = format!("retry: 1000\n{}", event_text("hello", &hello));
        let _ = sender.try_send(Bytes::from(first));
        self.listeners
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(sender);
        receiver
    }

    /// A comment line to every stream: keeps connections (and proxies) from timing out, and
    /// finds the pages that have gone.
    pub fn ping(&self) {
        self.send(": ping\n\n");
    }

    fn send(&self, text: &str) {
        let bytes = Bytes::from(text.to_string());
        // A page too slow to take its events is dropped; it reconnects, sees it missed a
        // build and reloads.
        self.listeners
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|listener| listener.try_send(bytes.clone()).is_ok());
    }

    #[cfg(test)]
    fn listeners(&self) -> usize {
        self.listeners.lock().unwrap().len()
    }
}

impl State {
    /// A good build: the last one's warnings are handed back.
    fn built(&mut self, warnings: Warnings) -> Warnings {
        self.site = true;
        self.problems.clear();
        self.more_problems = 0;
        self.fatal = None;
        std::mem::replace(&mut self.warnings, warnings)
    }

    /// A failed build: its errors, and the last good build's warnings as they were.
    fn failed(&mut self, diagnostics: &[Diagnostic], fatal: Option<String>) {
        let errors: Vec<&Diagnostic> = diagnostics.iter().filter(|d| d.level == Level::Error).collect();
        self.problems = errors
            .iter()
            .take(SHOWN_PROBLEMS)
            .map(|d| Problem::from(*d))
            .collect();
        self.more_problems = errors.len().saturating_sub(SHOWN_PROBLEMS);
        self.fatal = fatal;
    }
}

/// One server-sent event.
fn event_text(name: &str, data: &impl Serialize) -> String {
    // serde_json writes no newline unescaped, so the data is one `data:` line.
    format!(
        "event: {name}\ndata: {}\n\n",
        serde_json::to_string(data).unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::{Built, Report};
    use crate::diagnostic::Code;

    fn update(diagnostics: Vec<Diagnostic>, built: bool) -> Update {
        Update {
            found: crate::check::Found {
                files: vec![diagnostics.clone().into()].into(),
                across: Vec::new(),
            },
            report: Report {
                diagnostics,
                built: built.then(|| Built {
                    published: 1,
                    left_out: 0,
                    pages: 1,
                    files: 1,
                    sources: vec![(
                        "incidents/a/".into(),
                        std::path::Path::new("postmortems/a.md").into(),
                    )]
                    .into(),
                }),
                ..Report::default()
            },
            changed: vec!["incidents/a/index.html".into()],
            removed: Vec::new(),
            search_pending: false,
        }
    }

    fn state(live: &Live, page: &str) -> serde_json::Value {
        serde_json::from_slice(&live.state_of(page)).unwrap()
    }

    #[test]
    fn a_failed_build_keeps_its_errors_until_a_good_one_and_warnings_belong_to_their_page() {
        let live = Live::new();
        let warning = Diagnostic::policy(Code::BlamingLanguage, "postmortems/a.md", "blame");
        live.record(Ok(update(vec![warning], true)));
        assert_eq!(
            state(&live, "incidents/a/index.html")["warnings"][0]["code"],
            "PM101"
        );
        assert_eq!(state(&live, "index.html")["warnings"], serde_json::json!([]));

        let error = Diagnostic::error(Code::InvalidValue, "postmortems/a.md", "bad <b>severity</b>");
        live.record(Ok(update(vec![error], false)));
        let broken = state(&live, "incidents/a/index.html");
        assert_eq!(broken["ok"], false);
        assert_eq!(broken["problems"][0]["message"], "bad <b>severity</b>");
        assert_eq!(
            broken["warnings"][0]["code"], "PM101",
            "the last good warnings stay"
        );

        live.record(Ok(update(Vec::new(), true)));
        let fixed = state(&live, "incidents/a/index.html");
        assert_eq!(fixed["ok"], true);
        assert_eq!(fixed["generation"], 3);
    }

    #[test]
    fn listeners_hear_hello_then_each_build_and_slow_ones_are_dropped() {
        let live = Live::new();
        let mut listener = live.listen();
        live.record(Ok(update(Vec::new(), true)));
        let hello = String::from_utf8(listener.try_recv().unwrap().to_vec()).unwrap();
        assert!(hello.starts_with("retry: 1000\nevent: hello\ndata: {"), "{hello}");
        let event = String::from_utf8(listener.try_recv().unwrap().to_vec()).unwrap();
        assert!(
            event.contains("\"changed\":[\"incidents/a/index.html\"]"),
            "{event}"
        );
        for _ in 0..=QUEUED_EVENTS {
            live.ping();
        }
        assert_eq!(live.listeners(), 0, "a listener that never reads is let go");
    }
}
