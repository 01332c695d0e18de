//! The postmortem as pmsite understands it, after its front matter has been read and checked.
//! docs/FORMAT.md is the author-facing description of these types.

use std::path::Path;

use chrono::NaiveDate;
use serde::Serialize;

use super::markdown::Outline;
use super::moment::Moment;
use crate::diagnostic::Location;

#[derive(Clone, Debug, Serialize)]
pub struct Postmortem {
    pub id: String,
    pub title: String,
    pub severity: String,
    /// Position of `severity` in the configured scale: 0 is the most severe.
    pub severity_rank: usize,
    pub summary: String,
    pub status: Status,
    pub visibility: Visibility,
    pub started_at: Moment,
    pub detected_at: Option<Moment>,
    pub mitigated_at: Option<Moment>,
    pub resolved_at: Option<Moment>,
    pub authors: Vec<String>,
    pub owner: Option<String>,
    pub incident_commander: Option<String>,
    pub reviewers: Vec<String>,
    pub services: Vec<String>,
    pub teams: Vec<String>,
    pub tags: Vec<String>,
    pub root_causes: Vec<String>,
    pub trigger: Option<String>,
    pub detection: Option<String>,
    pub contributing_factors: Vec<String>,
    pub related: Vec<Reference>,
    pub recurrence_of: Vec<Reference>,
    pub impact: Impact,
    pub timeline: Vec<TimelineEntry>,
    pub action_items: Vec<ActionItem>,
    pub links: Vec<Link>,
    pub extra: serde_json::Value,
    #[serde(skip)]
    pub source: Source,
}

/// Where a postmortem came from, for links and diagnostics.
#[derive(Clone, Debug)]
pub struct Source {
    /// Relative to the site root, as shown in diagnostics: `postmortems/2024/x.md`. Shared
    /// with every diagnostic about the file.
    pub path: std::sync::Arc<Path>,
    /// Relative to `postmortems/`, with `/` separators: the key body links resolve to.
    pub key: String,
    pub body: Body,
    /// A hash of the file's text (`Source::digest_of`): equal digests, equal files, which is
    /// how a preview tells which files an edit changed.
    pub digest: u64,
    /// `Source::digest_of` the head: what [`front_matter_digest`](crate::content::front_matter_digest)
    /// is made of.
    pub head_digest: u64,
    /// The file before the body: front matter and its delimiters, read through
    /// [`Source::head`]. Scanned for secrets.
    pub head: Head,
    /// The parsed front matter, with spans, for the checks that point at a field: parsed
    /// from `head` when they first ask (`Source::front_matter`) and let go when the file's
    /// checks are done. Kept from load to the end of the checks, the trees of 100,000
    /// postmortems were 429 MiB, a fifth of the build.
    pub tree: Held<crate::tree::Node>,
    /// Byte offset of the body in the file, for line numbers of body diagnostics.
    pub body_offset: usize,
    /// 1-based line on which the body starts.
    pub body_line: usize,
    pub outline: Outline,
    /// Where the `id` key is, or the start of the front matter when the id is the file name.
    pub id_location: Location,
    /// Line starts of `head` and of `body`, each made on the first finding in it.
    pub lines: FileLines,
}

/// What a file's checks make and let go when they end (`Source::let_go`): behind a lock,
/// as the checks share the archive between threads.
#[derive(Debug)]
pub struct Held<T>(std::sync::Mutex<Option<std::sync::Arc<T>>>);

impl<T> Held<T> {
    pub fn holding(value: T) -> Held<T> {
        Held(std::sync::Mutex::new(Some(value.into())))
    }

    fn cell(&self) -> std::sync::MutexGuard<'_, Option<std::sync::Arc<T>>> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The value, made by `make` if it is not held.
    pub fn get_or_make(&self, make: impl FnOnce() -> T) -> std::sync::Arc<T> {
        self.cell().get_or_insert_with(|| make().into()).clone()
    }

    pub fn forget(&self) {
        *self.cell() = None;
    }
}

impl<T> Default for Held<T> {
    fn default() -> Held<T> {
        Held(std::sync::Mutex::new(None))
    }
}

impl<T> Clone for Held<T> {
    fn clone(&self) -> Held<T> {
        Held(std::sync::Mutex::new(self.cell().clone()))
    }
}

/// A body unpacked for the locations of findings in it, with its line table.
#[derive(Debug)]
pub struct UnpackedBody {
    pub text: String,
    pub lines: crate::diagnostic::Lines,
}

/// A file's line tables, for locations of findings: most findings are in the front matter,
/// so the body is unpacked and its table made only for a finding in the body, and let go
/// with the tree when the file's checks end.
#[derive(Clone, Debug, Default)]
pub struct FileLines {
    pub head: std::sync::OnceLock<crate::diagnostic::Lines>,
    pub body: Held<UnpackedBody>,
}

/// A file's body. A build holds every body from load to render, packed (LZ4: a third of
/// the bytes; at 100,000 postmortems the bodies' text was 714 MiB of a 2 GiB build). A
/// preview leaves each in its file as soon as it is parsed ([`Source::leave_body_in`]):
/// at 10,000 postmortems the packed bodies were 39 MiB of the 160 it kept between builds,
/// and a build after an edit reads back only those it needs. (A build does not: a file
/// changed while it runs would leave a page without its body.) A reader unpacks or reads
/// it for as long as it reads it ([`Body::text`]).
#[derive(Clone, Debug)]
pub struct Body(Where);

#[derive(Clone, Debug)]
enum Where {
    Packed(Box<[u8]>),
    /// The body is `path`'s text from `offset` on, while the file's digest is `digest`.
    InFile {
        path: std::sync::Arc<Path>,
        offset: usize,
        digest: u64,
    },
}

impl Default for Body {
    fn default() -> Body {
        Body::new("")
    }
}

impl Body {
    pub fn new(text: &str) -> Body {
        Body(Where::Packed(
            lz4_flex::block::compress_prepend_size(text.as_bytes()).into_boxed_slice(),
        ))
    }

    /// The text, unpacked or read anew on each call (a few microseconds for a postmortem):
    /// a stage does it once per file and hands the text to what reads it.
    pub fn text(&self) -> String {
        match &self.0 {
            Where::Packed(packed) => {
                let bytes = lz4_flex::block::decompress_size_prepended(packed).unwrap_or_default();
                String::from_utf8(bytes).unwrap_or_default()
            }
            Where::InFile { path, offset, digest } => {
                // A file changed since its parse is parsed again by the build its change
                // sets off; until then (a build already under way) its body reads empty.
                let Some(mut text) = read_back(path, *digest).filter(|t| t.is_char_boundary(*offset)) else {
                    return String::new();
                };
                text.replace_range(..*offset, "");
                text
            }
        }
    }
}

/// The text of `path` while its digest is `digest` (`Source::digest_of`), the file as it
/// was parsed.
fn read_back(path: &Path, digest: u64) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    (Source::digest_of(&text) == digest).then_some(text)
}

/// A file's front matter text, with its delimiters. A build holds it until its checks are
/// done (`Content::release_front_matter`); a preview leaves it in its file between builds
/// ([`Source::leave_head_in`]: 11 MiB at 10,000 postmortems), and a check of a file that
/// did not change reads it back when it runs again.
#[derive(Clone, Debug, Default)]
pub struct Head {
    text: std::sync::OnceLock<String>,
    /// The file to read it back from, and the file's digest as parsed.
    file: Option<(std::sync::Arc<Path>, u64)>,
}

impl Head {
    pub fn new(text: String) -> Head {
        Head {
            text: std::sync::OnceLock::from(text),
            file: None,
        }
    }
}

impl Source {
    /// Lets go of the body in memory: it is read back from `path`, this source's file,
    /// when asked for. For a preview, which keeps each file's parse between builds.
    pub fn leave_body_in(&mut self, path: &Path) {
        if let Where::Packed(_) = self.body.0 {
            self.body = Body(Where::InFile {
                path: path.into(),
                offset: self.body_offset,
                digest: self.digest,
            });
        }
    }

    /// Lets go of the front matter text: it is read back from `path`, this source's file,
    /// when asked for ([`Source::head`]).
    pub fn leave_head_in(&mut self, path: &Path) {
        if self.head.file.is_none() {
            let path = match &self.body.0 {
                Where::InFile { path: shared, .. } if **shared == *path => shared.clone(),
                _ => path.into(),
            };
            self.head.file = Some((path, self.digest));
        }
        self.head.text = std::sync::OnceLock::new();
    }

    /// The front matter text: empty once a build let it go, read back from the file (and
    /// kept until it is let go again) once a preview did; empty if the file changed since.
    pub fn head(&self) -> &str {
        self.head.text.get_or_init(|| {
            let Some((path, digest)) = &self.head.file else {
                return String::new();
            };
            let mut text = read_back(path, *digest).unwrap_or_default();
            match text.is_char_boundary(self.body_offset) {
                true => text.truncate(self.body_offset),
                false => text.clear(),
            }
            text
        })
    }
}

impl From<&str> for Body {
    fn from(text: &str) -> Body {
        Body::new(text)
    }
}

impl From<String> for Body {
    fn from(text: String) -> Body {
        Body::new(&text)
    }
}

/// An id named in front matter, with the span to point at if it names nothing.
#[derive(Clone, Debug, Serialize)]
pub struct Reference {
    pub id: String,
    #[serde(skip)]
    pub location: Location,
    #[serde(skip)]
    pub field: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    InReview,
    Published,
}

impl Status {
    pub const NAMES: &[(&str, Status)] = &[
        ("draft", Status::Draft),
        ("in_review", Status::InReview),
        ("published", Status::Published),
    ];
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Public,
    Internal,
    Restricted,
}

impl Visibility {
    pub const NAMES: &[(&str, Visibility)] = &[
        ("public", Visibility::Public),
        ("internal", Visibility::Internal),
        ("restricted", Visibility::Restricted),
    ];
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Impact {
    pub users_affected: Option<u64>,
    pub revenue_lost: Option<f64>,
    pub requests_failed_pct: Option<f64>,
    pub customer_facing: Option<bool>,
    pub slo_breached: Option<bool>,
    pub data_loss: Option<bool>,
    pub description: Option<String>,
}

impl Impact {
    pub fn is_empty(&self) -> bool {
        self.users_affected.is_none()
            && self.revenue_lost.is_none()
            && self.requests_failed_pct.is_none()
            && self.customer_facing.is_none()
            && self.slo_breached.is_none()
            && self.data_loss.is_none()
            && self.description.is_none()
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct TimelineEntry {
    pub at: Moment,
    pub kind: EventKind,
    pub text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Impact,
    Detection,
    Alert,
    Escalation,
    Diagnosis,
    Action,
    Mitigation,
    Resolution,
    Communication,
    Note,
}

impl EventKind {
    pub const NAMES: &[(&str, EventKind)] = &[
        ("impact", EventKind::Impact),
        ("detection", EventKind::Detection),
        ("alert", EventKind::Alert),
        ("escalation", EventKind::Escalation),
        ("diagnosis", EventKind::Diagnosis),
        ("action", EventKind::Action),
        ("mitigation", EventKind::Mitigation),
        ("resolution", EventKind::Resolution),
        ("communication", EventKind::Communication),
        ("note", EventKind::Note),
    ];
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct ActionItem {
    pub title: String,
    pub owner: Option<String>,
    pub due: Option<NaiveDate>,
    pub status: ActionStatus,
    pub priority: Option<Priority>,
    #[serde(rename = "type")]
    pub kind: Option<ActionType>,
    pub ticket: Option<Ticket>,
    pub completed: Option<NaiveDate>,
    pub team: Option<String>,
    pub service: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    /// What an item without a `status` is.
    #[default]
    Open,
    InProgress,
    Done,
    WontDo,
}

impl ActionStatus {
    pub const NAMES: &[(&str, ActionStatus)] = &[
        ("open", ActionStatus::Open),
        ("in_progress", ActionStatus::InProgress),
        ("done", ActionStatus::Done),
        ("wont_do", ActionStatus::WontDo),
    ];

    /// Still expected to happen: counts towards "overdue".
    pub fn is_pending(self) -> bool {
        matches!(self, ActionStatus::Open | ActionStatus::InProgress)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Priority {
    P0,
    P1,
    P2,
    P3,
}

impl Priority {
    pub const NAMES: &[(&str, Priority)] = &[
        ("P0", Priority::P0),
        ("P1", Priority::P1),
        ("P2", Priority::P2),
        ("P3", Priority::P3),
        ("critical", Priority::P0),
        ("high", Priority::P1),
        ("medium", Priority::P2),
        ("low", Priority::P3),
    ];
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionType {
    Mitigate,
    Prevent,
    Detect,
    Process,
    Other,
}

impl ActionType {
    pub const NAMES: &[(&str, ActionType)] = &[
        ("mitigate", ActionType::Mitigate),
        ("prevent", ActionType::Prevent),
        ("detect", ActionType::Detect),
        ("process", ActionType::Process),
        ("other", ActionType::Other),
    ];
}

/// A ticket as written (`JIRA:OPS-12`) and where it lives, resolved through the site's
/// ticket URL templates.
#[derive(Clone, Debug, Serialize)]
pub struct Ticket {
    pub label: String,
    pub url: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Link {
    pub title: String,
    pub url: String,
    pub kind: Option<String>,
}
