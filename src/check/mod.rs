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

use std::collections::HashMap;
use std::path::Path;

use chrono::NaiveDate;
use rayon::prelude::*;

use crate::config::Config;
use crate::content::{Content, Postmortem, Source};
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::tree::{Node, Value};

pub fn check(content: &Content, config: &Config, today: NaiveDate) -> Vec<Diagnostic> {
    let phrases = language::Phrases::new(&config.checks.blaming_phrases);
    let tools = blame::Tools::of(&content.postmortems, config);
    let (per_file, mut allows): (Vec<Vec<Diagnostic>>, Vec<allow::Allows>) = content
        .postmortems
        .par_iter()
        .map(|pm| {
            let mut found = Vec::new();
            secrets::scan(&pm.source, &mut found);
            let events = events(&pm.source);
            let people = language::People::of(pm, &config.checks.people);
            language::scan(&pm.source, &events, &phrases, Some(&people), &tools, &mut found);
            action_items::check(pm, &config.checks, today, &mut found);
            sections::check(pm, &config.checks, &mut found);
            unfilled::check(pm, &events, &config.checks, &mut found);
            consistency::timeline(pm, &mut found);
            (found, allow::Allows::parse(&pm.source))
        })
        .unzip();
    let mut found: Vec<Diagnostic> = per_file.into_iter().flatten().collect();
    for file in &content.published_files {
        secrets::scan_published(file, &mut found);
    }
    for source in &content.unreadable_front_matter {
        secrets::scan(source, &mut found);
        language::scan(source, &events(source), &phrases, None, &tools, &mut found);
        allows.push(allow::Allows::parse(source));
    }
    consistency::unlinked_recurrences(&content.postmortems, today, config.checks.recent_days, &mut found);

    let sources = content
        .postmortems
        .iter()
        .map(|pm| &pm.source)
        .chain(&content.unreadable_front_matter);
    let mut allows_by_file: HashMap<&Path, allow::Allows> = HashMap::new();
    for (source, mut allows_here) in sources.zip(allows) {
        found.append(&mut allows_here.problems);
        allows_by_file.insert(source.path.as_path(), allows_here);
    }
    found
        .into_iter()
        .filter(|d| {
            d.code == Code::AllowComment
                || allows_by_file
                    .get(d.file.as_path())
                    .is_none_or(|a| !a.silences(d.code, d.line()))
        })
        .filter_map(|mut d| {
            d.level = config.checks.level(d.code)?;
            Some(d)
        })
        .collect()
}

/// A body's Markdown events with their byte ranges: parsed once for the checks that read
/// the body (`language`, `unfilled`).
fn events(source: &Source) -> Vec<(pulldown_cmark::Event<'_>, std::ops::Range<usize>)> {
    pulldown_cmark::Parser::new_ext(&source.body, crate::content::markdown::options())
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
    let span = (0..=path.len())
        .rev()
        .find_map(|n| find(&source.front_matter, &path[..n]))
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
pub fn at_field(pm: &Postmortem, code: Code, path: &[Step<'_>], message: impl Into<String>) -> Diagnostic {
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
