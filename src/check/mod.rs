//! Policy checks: the reviewer that never tires. Runs after `validate`, on the whole
//! archive, and reports what a blameless-postmortem practice asks of every review:
//! no blaming language (`language`), no leaked secrets (`secrets`), action items with owners
//! and dates (`action_items`), the sections a severity needs (`sections`), and a timeline and
//! links that agree with the rest of the archive (`consistency`).
//!
//! Each check reports at its default level (`Code::default_level`); this module then applies
//! the site's `[checks.levels]` and the authors' `pmsite-allow` comments (`allow`).

pub mod action_items;
pub mod allow;
pub mod blame;
pub mod consistency;
pub mod language;
pub mod secrets;
pub mod sections;
pub mod unfilled;

use rustc_hash::FxHashMap as HashMap;
use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use rayon::prelude::*;

use crate::config::Config;
use crate::content::{Content, Postmortem, Source};
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::tree::{Node, Value};

/// Every policy finding of the archive, at the site's levels, minus what authors allowed.
/// `memo`, kept between the builds of a preview, spares re-checking the files that did not
/// change (see [`Memo`]); `pmsite build` and `check` pass `None`.
pub fn check(content: &Content, config: &Config, today: NaiveDate, mut memo: Option<&mut Memo>) -> Found {
    let phrases = language::Phrases::new(&config.checks.blaming_phrases);
    let front_matter = crate::content::front_matter_digest(&content.postmortems);
    // What is made of the front matter alone stays while what it reads is the same.
    let same_front_matter = memo
        .as_deref()
        .is_some_and(|memo| memo.today == Some(today) && memo.front_matter == front_matter);
    let vocabulary = match memo.as_deref_mut() {
        Some(memo) if same_front_matter => std::mem::take(&mut memo.vocabulary),
        _ => blame::Vocabulary::of(&content.postmortems, config),
    };
    let recurrence_digest =
        consistency::recurrence_digest(&content.postmortems, today, config.checks.recent_days);
    let recurrences = match memo.as_deref_mut() {
        Some(memo) if memo.recurrences.0 == Some(recurrence_digest) => {
            std::mem::take(&mut memo.recurrences.1)
        }
        _ => consistency::recurrences(&content.postmortems, today, config.checks.recent_days),
    };
    let (mut kept, changed_words) = match memo.as_deref_mut() {
        Some(memo) if memo.today == Some(today) => (
            std::mem::take(&mut memo.files),
            match same_front_matter {
                true => Default::default(),
                false => memo.vocabulary.differences(&vocabulary),
            },
        ),
        _ => (HashMap::default(), Default::default()),
    };
    let previous: Vec<Option<Checked>> = content
        .postmortems
        .iter()
        .map(|pm| kept.remove(&pm.source.key))
        .collect();
    let checked: Vec<Checked> = content
        .postmortems
        .par_iter()
        .zip(previous)
        .map(|(pm, previous)| {
            let text = pm.source.digest;
            match previous {
                Some(checked)
                    if checked.text == text && !checked.asked.iter().any(|w| changed_words.contains(w)) =>
                {
                    checked
                }
                _ => check_file(pm, config, today, &phrases, &vocabulary, text),
            }
        })
        .collect();

    // Shared, not copied: a preview keeps each file's findings for the next build.
    let files: Arc<[Arc<[Diagnostic]>]> = checked.iter().map(|c| c.found.clone()).collect();
    // Findings about more than one file: settled here, with the allows of the file each is in.
    let mut unsettled: Vec<Diagnostic> = Vec::new();
    for file in &content.published_files {
        secrets::scan_published(file, &mut unsettled);
    }
    let mut across: Vec<Diagnostic> = Vec::new();
    // By the path's bytes: hashing a `Path` takes it apart into components.
    let mut allows_by_file: HashMap<&std::ffi::OsStr, &allow::Allows> = content
        .postmortems
        .iter()
        .zip(&checked)
        .map(|(pm, checked)| (pm.source.path.as_os_str(), &checked.allows))
        .collect();
    let unreadable: Vec<(&Path, allow::Allows, Vec<Diagnostic>)> = content
        .unreadable_front_matter
        .iter()
        .map(|source| {
            let mut found = Vec::new();
            let body = source.body.text();
            secrets::scan(source, &body, &mut found);
            let tools = blame::Tools::new(&vocabulary);
            language::scan(source, &body, &events(&body), &phrases, None, &tools, &mut found);
            let allows = allow::Allows::parse(source, &body);
            source.let_go();
            (&*source.path, allows, found)
        })
        .collect();
    for (path, allows, found_here) in &unreadable {
        across.extend(settle(found_here.iter().cloned(), allows, config));
        allows_by_file.insert(path.as_os_str(), allows);
    }
    consistency::report_recurrences(&content.postmortems, &recurrences, &mut unsettled);
    let no_allows = allow::Allows::default();
    for d in unsettled {
        let allows = allows_by_file
            .get(d.file.as_os_str())
            .copied()
            .unwrap_or(&no_allows);
        across.extend(settle([d], allows, config));
    }
    drop(allows_by_file);
    if let Some(memo) = memo {
        memo.today = Some(today);
        memo.front_matter = front_matter;
        memo.vocabulary = vocabulary;
        memo.recurrences = (Some(recurrence_digest), recurrences);
        memo.files = content
            .postmortems
            .iter()
            .map(|pm| pm.source.key.clone())
            .zip(checked)
            .collect();
    }
    Found { files, across }
}

/// What the checks found, settled (see [`settle`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Found {
    /// Each postmortem's own findings, in content order. Shared rather than copied: an
    /// archive has tens of thousands, and a preview keeps them between builds (`Memo`) and
    /// shows a page's own in its live panel.
    pub files: Arc<[Arc<[Diagnostic]>]>,
    /// Findings about more than one file (unlinked recurrences) or about files that are not
    /// postmortems (published files, files whose front matter could not be read).
    pub across: Vec<Diagnostic>,
}

impl Found {
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.files.iter().flat_map(|file| file.iter()).chain(&self.across)
    }
}

/// What the checks of one file found, kept by a preview between builds. A file is checked
/// again when its text changed, when `today` did, or when the archive's vocabulary changed
/// its answer for a word the file's checks asked about; everything else a file's findings
/// depend on is the site's configuration, and a preview starts afresh when that changes.
#[derive(Default)]
pub struct Memo {
    today: Option<NaiveDate>,
    /// `content::front_matter_digest` of the archive the vocabulary was made from.
    front_matter: u64,
    vocabulary: blame::Vocabulary,
    /// What `consistency::recurrences` found, with the `consistency::recurrence_digest` of
    /// what it read: it ranks, a second on a large archive with recent incidents, and a tag
    /// or an action item changes none of it.
    recurrences: (Option<u64>, Vec<(usize, Vec<usize>)>),
    /// By the file's key under postmortems/.
    files: HashMap<String, Checked>,
}

struct Checked {
    /// A hash of the file's text.
    text: u64,
    found: Arc<[Diagnostic]>,
    allows: allow::Allows,
    /// The words the file's checks asked the archive's vocabulary about.
    asked: Vec<String>,
}

fn check_file(
    pm: &Postmortem,
    config: &Config,
    today: NaiveDate,
    phrases: &language::Phrases,
    vocabulary: &blame::Vocabulary,
    text: u64,
) -> Checked {
    let mut found = Vec::new();
    // Unpacked once, for every check that reads it.
    let body = pm.source.body.text();
    secrets::scan(&pm.source, &body, &mut found);
    let events = events(&body);
    let people = language::People::of(pm, &body, &config.checks.people);
    let tools = blame::Tools::new(vocabulary);
    language::scan(
        &pm.source,
        &body,
        &events,
        phrases,
        Some(&people),
        &tools,
        &mut found,
    );
    action_items::check(pm, &config.checks, today, &mut found);
    sections::check(pm, &config.checks, &mut found);
    unfilled::check(pm, &events, &config.checks, &mut found);
    consistency::timeline(pm, &mut found);
    let allows = allow::Allows::parse(&pm.source, &body);
    pm.source.let_go();
    let mut found = settle(found, &allows, config);
    // Sorted here, once: the archive's findings are then sorted runs (`diagnostic::sort_refs`).
    crate::diagnostic::sort(&mut found);
    Checked {
        text,
        found: found.into(),
        allows,
        asked: tools.asked(),
    }
}

/// The findings in one file as reported: those its allow comments silence left out, the
/// problems of the allow comments themselves added, each at the site's level for its check
/// (left out when the site turned the check off).
fn settle(
    found: impl IntoIterator<Item = Diagnostic>,
    allows: &allow::Allows,
    config: &Config,
) -> Vec<Diagnostic> {
    found
        .into_iter()
        .filter(|d| !allows.silences(d.code, d.line()))
        .chain(allows.problems.iter().cloned())
        .filter_map(|mut d| {
            d.level = config.checks.level(d.code)?;
            Some(d)
        })
        .collect()
}

/// A body's Markdown events with their byte ranges: parsed once for the checks that read
/// the body (`language`, `unfilled`).
fn events(body: &str) -> Vec<(pulldown_cmark::Event<'_>, std::ops::Range<usize>)> {
    pulldown_cmark::Parser::new_ext(body, crate::content::markdown::options())
        .into_offset_iter()
        .collect()
}

/// One step of a path into the front matter: a key or a list index.
#[derive(Clone, Copy)]
pub enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// The front-matter node at `path`, if the file has it.
pub fn find<'n>(root: &'n Node, path: &[Step<'_>]) -> Option<&'n Node> {
    let mut node = root;
    for step in path {
        node = match (step, &node.value) {
            (Step::Key(key), Value::Table(entries)) => &entries.iter().find(|e| e.key == *key)?.node,
            (Step::Index(i), Value::Array(items)) => items.get(*i)?,
            _ => return None,
        };
    }
    Some(node)
}

/// Where the value at `path` is, or the nearest enclosing value that exists (the start of
/// the front matter at worst), so that every finding has a line to point at.
pub fn locate(source: &Source, path: &[Step<'_>]) -> Location {
    let root = source.front_matter();
    let span = (0..=path.len())
        .rev()
        .find_map(|n| find(&root, &path[..n]))
        .map_or(0..0, |node| node.span.clone());
    source.location(span)
}

/// `action_items[2].due`, for the `field` of a diagnostic.
pub fn field_name(path: &[Step<'_>]) -> String {
    let mut name = String::new();
    for step in path {
        match step {
            Step::Key(key) => {
                if !name.is_empty() {
                    name.push('.');
                }
                name.push_str(key);
            }
            Step::Index(i) => name.push_str(&format!("[{i}]")),
        }
    }
    name
}

/// A finding in one postmortem's front matter, at the value `path` names.
pub fn at_field(pm: &Postmortem, code: Code, path: &[Step<'_>], message: impl Into<Box<str>>) -> Diagnostic {
    Diagnostic::policy(code, &pm.source.path, message)
        .at(locate(&pm.source, path))
        .field(field_name(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::parse_file;

    #[test]
    fn locate_falls_back_to_the_nearest_existing_value() {
        let text = "+++\ntitle = \"t\"\nseverity = \"SEV1\"\nstarted_at = 2024-01-01\nsummary = \"s\"\n[[action_items]]\ntitle = \"a\"\n+++\n";
        let pm = parse_file(
            Path::new("postmortems/a.md"),
            "a.md".into(),
            text,
            &Config::default(),
        )
        .postmortem
        .unwrap();
        let due = [Step::Key("action_items"), Step::Index(0), Step::Key("due")];
        assert_eq!(locate(&pm.source, &due).line, 6, "the item, as it has no `due`");
        assert_eq!(locate(&pm.source, &[Step::Key("severity")]).line, 3);
        assert_eq!(field_name(&due), "action_items[0].due");
    }
}
