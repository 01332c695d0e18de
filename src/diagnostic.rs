//! Problems found in a site, as data.
//!
//! Every stage reports what it finds as [`Diagnostic`]s instead of stopping at the first
//! problem, so an author sees everything wrong with a pull request in one run. Rendering them
//! for a terminal or a machine happens once, at the edge, in [`crate::report`].

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

/// How bad a problem is. Errors fail the build; warnings are reported and the build goes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Error => "error",
            Level::Warning => "warning",
        })
    }
}

/// A stable identifier per kind of problem, so CI annotations, docs and allow-comments can
/// name it. Numbering: PM0xx schema and links, PM09x site configuration, and the policy
/// checks of `crate::check`: PM1xx language, PM2xx secrets, PM3xx action items, PM4xx
/// sections, PM5xx consistency. docs/DIAGNOSTICS.md lists them with examples; keep the two
/// in step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    /// Front matter missing, unterminated, or not valid TOML/YAML.
    FrontMatterSyntax,
    /// A key the format does not define.
    UnknownKey,
    /// A value of the wrong type (a number where a string belongs, ...).
    WrongType,
    /// A required key is absent.
    MissingKey,
    /// A value of the right type that is not allowed (unknown severity, bad id, empty string).
    InvalidValue,
    /// Incident timestamps out of order.
    TimeOrder,
    /// Two postmortems with the same id.
    DuplicateId,
    /// `related` / `recurrence_of` names no postmortem.
    UnknownReference,
    /// A relative link in a body points at a file that does not exist.
    BrokenLink,
    /// A link's `#fragment` names no heading of its target.
    BrokenAnchor,
    /// A file that cannot be read (permissions, not UTF-8).
    UnreadableFile,
    /// A symlink in the site's folders that points out of the site, or to nothing.
    SymlinkOutside,
    /// pmsite.toml is invalid.
    Config,
    /// A site template failed to parse or render.
    Template,
    /// A blaming word or phrase ("human error", "careless").
    BlamingLanguage,
    /// A person named as the subject of a sentence about causes.
    PersonAsCause,
    /// A `pmsite-allow` comment without a reason, or naming no known check.
    AllowComment,
    /// Blame whoever it names: a person or a role as the agent of a blaming verb ("Bob
    /// forgot", "the DBA ignored"), possessive blame ("Bob's fault"), blaming slang.
    BlamingAgent,
    /// An AWS access key id.
    AwsKey,
    /// A private key block (`-----BEGIN ... PRIVATE KEY-----`).
    PrivateKey,
    /// A GitHub, GitLab or Slack token, or a Slack webhook URL.
    ServiceToken,
    /// A JSON Web Token.
    Jwt,
    /// A password inside a connection string (`postgres://user:pass@host`).
    ConnectionPassword,
    /// `password=...` / `secret: ...` with a literal value.
    SecretAssignment,
    /// A long, random-looking string in a code block.
    HighEntropy,
    /// An action item with no owner.
    ActionItemOwner,
    /// An action item with no due date.
    ActionItemDue,
    /// An action item due long after the incident.
    ActionItemDueLate,
    /// A `done` action item without `completed`.
    ActionItemCompleted,
    /// An open action item past its due date.
    ActionItemOverdue,
    /// A postmortem of a severity that needs action items has none.
    NoActionItems,
    /// A section required for the postmortem's severity is missing.
    MissingSection,
    /// Text still equal (or nearly) to the template's guidance or placeholders.
    TemplateText,
    /// A section that is empty or holds only the template's guidance.
    EmptySection,
    /// `authors` or `root_causes` written but empty where the severity needs them.
    EmptyList,
    /// Timeline entries out of order.
    TimelineOrder,
    /// The timeline disagrees with `detected_at` / `resolved_at`.
    TimelineMismatch,
    /// An earlier postmortem shares root cause and service but is not linked.
    UnlinkedRecurrence,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::FrontMatterSyntax => "PM001",
            Code::UnknownKey => "PM002",
            Code::WrongType => "PM003",
            Code::MissingKey => "PM004",
            Code::InvalidValue => "PM005",
            Code::TimeOrder => "PM006",
            Code::DuplicateId => "PM007",
            Code::UnknownReference => "PM008",
            Code::BrokenLink => "PM009",
            Code::BrokenAnchor => "PM010",
            Code::UnreadableFile => "PM011",
            Code::SymlinkOutside => "PM012",
            Code::Config => "PM090",
            Code::Template => "PM091",
            Code::BlamingLanguage => "PM101",
            Code::PersonAsCause => "PM102",
            Code::AllowComment => "PM103",
            Code::BlamingAgent => "PM104",
            Code::AwsKey => "PM201",
            Code::PrivateKey => "PM202",
            Code::ServiceToken => "PM203",
            Code::Jwt => "PM204",
            Code::ConnectionPassword => "PM205",
            Code::SecretAssignment => "PM206",
            Code::HighEntropy => "PM207",
            Code::ActionItemOwner => "PM301",
            Code::ActionItemDue => "PM302",
            Code::ActionItemDueLate => "PM303",
            Code::ActionItemCompleted => "PM304",
            Code::ActionItemOverdue => "PM305",
            Code::NoActionItems => "PM306",
            Code::MissingSection => "PM401",
            Code::TemplateText => "PM402",
            Code::EmptySection => "PM403",
            Code::EmptyList => "PM404",
            Code::TimelineOrder => "PM501",
            Code::TimelineMismatch => "PM502",
            Code::UnlinkedRecurrence => "PM503",
        }
    }

    /// The policy checks (PM1xx..PM5xx): their level is configurable in `[checks.levels]`
    /// and a `pmsite-allow` comment can silence them on one line.
    pub const POLICY: &[Code] = &[
        Code::BlamingLanguage,
        Code::PersonAsCause,
        Code::AllowComment,
        Code::BlamingAgent,
        Code::AwsKey,
        Code::PrivateKey,
        Code::ServiceToken,
        Code::Jwt,
        Code::ConnectionPassword,
        Code::SecretAssignment,
        Code::HighEntropy,
        Code::ActionItemOwner,
        Code::ActionItemDue,
        Code::ActionItemDueLate,
        Code::ActionItemCompleted,
        Code::ActionItemOverdue,
        Code::NoActionItems,
        Code::MissingSection,
        Code::TemplateText,
        Code::EmptySection,
        Code::EmptyList,
        Code::TimelineOrder,
        Code::TimelineMismatch,
        Code::UnlinkedRecurrence,
    ];

    /// A policy check by its code (`PM101`), for config and allow-comments.
    pub fn policy(code: &str) -> Option<Code> {
        Code::POLICY.iter().copied().find(|c| c.as_str() == code)
    }

    /// Leaked secrets are errors: the archive is read company-wide. Everything else a
    /// policy check finds is a warning until a team tightens it, so that an archive
    /// imported as it is still builds.
    pub fn default_level(self) -> Level {
        if self.is_secret() {
            Level::Error
        } else {
            Level::Warning
        }
    }

    /// Diagnostics about secrets never show the source line: it holds the secret.
    pub fn is_secret(self) -> bool {
        matches!(
            self,
            Code::AwsKey
                | Code::PrivateKey
                | Code::ServiceToken
                | Code::Jwt
                | Code::ConnectionPassword
                | Code::SecretAssignment
                | Code::HighEntropy
        )
    }

    /// A policy check (PM1xx..PM5xx) rather than a problem with the site itself.
    pub fn is_policy(self) -> bool {
        Code::POLICY.contains(&self)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A place in a source file: a byte range plus its 1-based line and column, computed once
/// so that machine output does not need the source text.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Location {
    pub line: usize,
    pub column: usize,
    #[serde(skip)]
    pub bytes: Range<usize>,
}

impl Location {
    /// The location of `bytes` in `text`. Out-of-range offsets are clamped, never a panic.
    /// For many locations in one text, [`Lines`] finds each without scanning the text.
    pub fn of(text: &str, bytes: Range<usize>) -> Location {
        let start = floor_char_boundary(text, bytes.start.min(text.len()));
        let before = &text[..start];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Location::at(text, bytes, before.matches('\n').count() + 1, line_start)
    }

    /// The location of `bytes`, which start on line `line` (1-based), at byte `line_start`.
    fn at(text: &str, bytes: Range<usize>, line: usize, line_start: usize) -> Location {
        let start = floor_char_boundary(text, bytes.start.min(text.len()));
        let end = floor_char_boundary(text, bytes.end.clamp(start, text.len()));
        Location {
            line,
            column: text[line_start..start].chars().count() + 1,
            bytes: start..end,
        }
    }
}

/// Where each line of a text starts: a location then costs a binary search and the length
/// of its line, where [`Location::of`] reads the text up to it. A file with tens of
/// thousands of findings would otherwise take time in the square of their number.
#[derive(Clone, Debug, Default)]
pub struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    pub fn new(text: &str) -> Lines {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Lines { starts }
    }

    /// [`Location::of`]`(text, bytes)`, for the `text` these lines are of.
    pub fn locate(&self, text: &str, bytes: Range<usize>) -> Location {
        let start = floor_char_boundary(text, bytes.start.min(text.len()));
        let line = self.starts.partition_point(|&s| s <= start).max(1);
        Location::at(text, bytes, line, self.starts[line - 1])
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// One problem, with everything needed to show it: where, what, and what to do about it.
///
/// A large archive has hundreds of thousands of findings, kept until the build ends (and
/// between builds by a preview), so a diagnostic shares its file's path with the file's
/// other findings and its source (`Source::path`), and a fixed hint is not copied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub code: Code,
    pub level: Level,
    /// Path as the user would type it: relative to the site root.
    pub file: Arc<Path>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// The front-matter field, dotted: `action_items[2].due`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<Box<str>>,
    pub message: Box<str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<Cow<'static, str>>,
}

/// A diagnostic's file: a path shared with the file's other findings (`&Arc<Path>`, cloned),
/// or one of its own.
pub trait IntoFile {
    fn into_file(self) -> Arc<Path>;
}

impl IntoFile for &Arc<Path> {
    fn into_file(self) -> Arc<Path> {
        self.clone()
    }
}

impl IntoFile for Arc<Path> {
    fn into_file(self) -> Arc<Path> {
        self
    }
}

impl IntoFile for &Path {
    fn into_file(self) -> Arc<Path> {
        self.into()
    }
}

impl IntoFile for &std::path::PathBuf {
    fn into_file(self) -> Arc<Path> {
        self.as_path().into()
    }
}

impl IntoFile for std::path::PathBuf {
    fn into_file(self) -> Arc<Path> {
        self.into()
    }
}

impl IntoFile for &str {
    fn into_file(self) -> Arc<Path> {
        Path::new(self).into()
    }
}

impl Diagnostic {
    pub fn error(code: Code, file: impl IntoFile, message: impl Into<Box<str>>) -> Self {
        Diagnostic {
            code,
            level: Level::Error,
            file: file.into_file(),
            location: None,
            field: None,
            message: message.into(),
            hint: None,
        }
    }

    /// A policy finding at the check's default level (`crate::check` applies the site's
    /// configured level afterwards).
    pub fn policy(code: Code, file: impl IntoFile, message: impl Into<Box<str>>) -> Self {
        Diagnostic {
            level: code.default_level(),
            ..Diagnostic::error(code, file, message)
        }
    }

    pub fn at(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    pub fn field(mut self, field: impl Into<Box<str>>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn hint(mut self, hint: impl Into<Cow<'static, str>>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn maybe_hint(mut self, hint: Option<String>) -> Self {
        self.hint = hint.map(Cow::Owned);
        self
    }

    pub fn line(&self) -> usize {
        self.location.as_ref().map_or(0, |l| l.line)
    }

    /// Order in which a user wants to read diagnostics: by file, then top to bottom.
    pub fn sort_key(&self) -> (&Path, usize, usize, Code) {
        let (line, column) = self.location.as_ref().map_or((0, 0), |l| (l.line, l.column));
        (&self.file, line, column, self.code)
    }
}

/// Sorts diagnostics for display and drops exact duplicates (the same problem found twice,
/// e.g. through two links on one line).
pub fn sort(diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.sort_by(display_order);
    diagnostics.dedup();
}

/// [`sort`] for diagnostics held elsewhere: a large archive's are mostly its files' own
/// policy findings, which are sorted and filtered without being copied.
pub fn sort_refs(diagnostics: &mut Vec<&Diagnostic>) {
    diagnostics.sort_by(|a, b| display_order(a, b));
    diagnostics.dedup();
}

/// The order a user wants to read diagnostics in: by file, then top to bottom; ties keep
/// the order found (title, severity, ...), as the sort is stable. The sort is also
/// adaptive: each file's findings come sorted (`check`), so tens of thousands of them cost
/// about one comparison each.
fn display_order(a: &Diagnostic, b: &Diagnostic) -> std::cmp::Ordering {
    let (a_file, b_file) = (a.file.as_os_str(), b.file.as_os_str());
    let files = match a_file == b_file {
        true => std::cmp::Ordering::Equal,
        false => path_order(&a.file).cmp(path_order(&b.file)),
    };
    files.then_with(|| {
        let (_, a_line, a_column, a_code) = a.sort_key();
        let (_, b_line, b_column, b_code) = b.sort_key();
        (a_line, a_column, a_code).cmp(&(b_line, b_column, b_code))
    })
}

/// The bytes that order paths as a walk visiting each folder's entries by name does:
/// component by component, which is byte order once the separator sorts before every other
/// byte (and much faster than comparing `Path`s).
pub fn path_order(path: &Path) -> impl Iterator<Item = u8> + '_ {
    path.as_os_str()
        .as_encoded_bytes()
        .iter()
        .map(|&b| if std::path::is_separator(b as char) { 0 } else { b })
}

pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(|d| d.level == Level::Error)
}

/// At most `max_chars` characters of `text`, to quote it in a message; `…` marks a cut.
pub fn shorten(text: &str, max_chars: usize) -> String {
    let short: String = text.chars().take(max_chars).collect();
    if short.len() < text.len() {
        format!("{}…", short.trim_end())
    } else {
        short
    }
}

/// "did you mean" for a misspelt name, from the names that would have been valid.
pub fn did_you_mean<'a>(given: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let given = given.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(&given, &c.to_lowercase()), c))
        .filter(|(distance, c)| *distance <= (c.chars().count() / 3).max(1))
        .min_by_key(|(distance, c)| (*distance, *c))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index_locations_equal_a_scan_of_the_text() {
        for text in ["", "a", "\n", "ab\ncé\n\nd", "x\r\ny\n日本\n"] {
            let lines = Lines::new(text);
            for start in 0..=text.len() + 1 {
                for end in [start, start + 1, start + 3] {
                    assert_eq!(
                        lines.locate(text, start..end),
                        Location::of(text, start..end),
                        "{text:?} {start}..{end}"
                    );
                }
            }
        }
    }

    #[test]
    fn policy_codes_are_the_pm1xx_to_pm5xx_ones() {
        assert!(Code::BlamingLanguage.is_policy());
        assert!(Code::UnlinkedRecurrence.is_policy());
        assert!(!Code::UnknownKey.is_policy());
        assert!(!Code::Template.is_policy());
        for code in Code::POLICY {
            assert!(("PM100".."PM600").contains(&code.as_str()), "{code}");
        }
    }

    #[test]
    fn shorten_cuts_at_a_character_count_and_marks_the_cut() {
        assert_eq!(shorten("Rotate the key", 20), "Rotate the key");
        assert_eq!(shorten("Rotate the key", 14), "Rotate the key");
        assert_eq!(shorten("Rotate the key", 7), "Rotate…");
        assert_eq!(shorten("Zähler zählen", 3), "Zäh…");
    }

    #[test]
    fn location_counts_lines_and_chars_from_one() {
        let text = "a\nbé c\n";
        let at = Location::of(text, 6..7);
        assert_eq!((at.line, at.column), (2, 4));
    }

    #[test]
    fn location_clamps_out_of_range_offsets() {
        let at = Location::of("abc", 10..20);
        assert_eq!(at.bytes, 3..3);
        assert_eq!((at.line, at.column), (1, 4));
    }

    #[test]
    fn location_never_splits_a_character() {
        let at = Location::of("é", 1..2);
        assert_eq!(at.bytes, 0..2);
    }

    #[test]
    fn did_you_mean_finds_near_misses_only() {
        let keys = ["services", "severity", "summary", "tags"];
        assert_eq!(did_you_mean("servics", keys), Some("services"));
        assert_eq!(did_you_mean("Severity", keys), Some("severity"));
        assert_eq!(did_you_mean("tag", keys), Some("tags"));
        assert_eq!(did_you_mean("zzzzzzzz", keys), None);
    }
}
