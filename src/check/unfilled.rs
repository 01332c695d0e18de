//! Unfilled templates (PM402..PM404): a postmortem in review or published that still reads
//! like the `pmsite new` template. Drafts are exempt: that is what a draft is for.
//!
//! - PM402, text still equal, or nearly (a few words changed), to the template's guidance
//!   or placeholders, in the body or in a front-matter prose field.
//! - PM403, a section that holds only the template's guidance (comments, guidance text, a
//!   table with a blank in every row, as the template's 5-whys table), or a section required
//!   for the severity that holds nothing. Impact, Timeline and Action items are filled by
//!   the front matter too.
//! - PM404, `authors` or `root_causes` written but empty, for a severity with required
//!   sections (the severities given a full review).
//!
//! The guidance is found in the template itself (`themes/default/new.md`): the text of its
//! HTML comments, its quoted front-matter placeholders and its table cells of three words
//! or more. A text is the template's when most of a guidance text's word pairs are in it
//! and it is not much longer: that survives light edits, not a real answer.

use std::ops::Range;
use std::sync::LazyLock;

use pulldown_cmark::{Event, Tag, TagEnd};

use super::sections::{is_section, normalize};
use super::{Step, at_field, find};
use crate::config::Checks;
use crate::content::{Postmortem, Status};
use crate::diagnostic::{Code, Diagnostic};
use crate::tree::Value;

/// Share of a guidance text's word pairs that a text must hold to be that guidance.
const SAME_PAIRS: f64 = 0.6;

/// One piece of the template's guidance.
struct Guidance {
    /// Normalized words.
    words: Vec<String>,
    /// Hashes of its word pairs.
    pairs: Vec<u64>,
}

impl Guidance {
    fn new(text: &str) -> Guidance {
        let words: Vec<String> = normalize(text).split(' ').map(str::to_string).collect();
        let pairs = pair_hashes(words.iter().map(String::as_str));
        Guidance { words, pairs }
    }

    /// Whether a text of these `words`, whose sorted word-pair hashes are `pairs`, is this
    /// guidance, perhaps lightly edited: it holds most of the guidance's word pairs and is
    /// not much longer (or shorter). A guidance of one or two words (`first.last`) must be
    /// there exactly.
    fn matches(&self, words: &[&str], pairs: &[u64]) -> bool {
        if self.words.len() < 3 {
            return words.len() == self.words.len() && words.iter().zip(&self.words).all(|(a, b)| a == b);
        }
        if words.len() > self.words.len() * 3 / 2 + 3 || words.len() * 2 < self.words.len() {
            return false;
        }
        let shared = self
            .pairs
            .iter()
            .filter(|p| pairs.binary_search(p).is_ok())
            .count();
        shared as f64 >= SAME_PAIRS * self.pairs.len() as f64
    }
}

/// Hashes of the consecutive word pairs of `words`, sorted.
fn pair_hashes<'w>(words: impl Iterator<Item = &'w str> + Clone) -> Vec<u64> {
    use std::hash::BuildHasher;
    let hasher = rustc_hash::FxBuildHasher;
    let mut pairs: Vec<u64> = words
        .clone()
        .zip(words.skip(1))
        .map(|pair| hasher.hash_one(pair))
        .collect();
    pairs.sort_unstable();
    pairs
}

/// The default template's guidance.
static GUIDANCE: LazyLock<Vec<Guidance>> = LazyLock::new(|| guidance_of(crate::scaffold::NEW_TEMPLATE));

/// The guidance of a `pmsite new` template: HTML comments, quoted placeholders in the
/// front matter (commented out or not, Tera expressions left out) and table cells.
fn guidance_of(template: &str) -> Vec<Guidance> {
    let mut texts: Vec<String> = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("<!--") {
        let Some(end) = rest[start..].find("-->") else {
            break;
        };
        texts.push(rest[start + 4..start + end].to_string());
        rest = &rest[start + end + 3..];
    }
    let mut fences = 0;
    for line in template.lines() {
        if line.trim() == "+++" || line.trim() == "---" {
            fences += 1;
            continue;
        }
        let line = line.trim_start_matches(['#', ' ']);
        if fences == 1 {
            // Choices (`kind = "impact"`) are one word: the length filter below drops them.
            let Some((_, value)) = line.split_once('=') else {
                continue;
            };
            let value = value.trim();
            if value.contains("{{") || !value.starts_with('"') {
                continue;
            }
            if let Some(text) = value[1..].split('"').next() {
                texts.push(text.to_string());
            }
        } else if fences >= 2 && line.starts_with('|') {
            texts.extend(line.split('|').map(str::to_string));
        }
    }
    texts
        .iter()
        .filter(|t| {
            let words = normalize(t);
            words.split(' ').count() >= 3 || (t.trim().contains('.') && !t.trim().contains(' '))
        })
        .map(|t| Guidance::new(t))
        .collect()
}

/// Whether `text` is the template's guidance, perhaps lightly edited.
fn is_guidance(text: &str) -> bool {
    // No guidance is longer than this: most of a real postmortem's text stops here.
    if text.len() > 400 {
        return false;
    }
    let normalized = normalize(text);
    if normalized.is_empty() {
        return false;
    }
    let words: Vec<&str> = normalized.split(' ').collect();
    let pairs = pair_hashes(words.iter().copied());
    GUIDANCE.iter().any(|g| g.matches(&words, &pairs))
}

pub fn check(
    pm: &Postmortem,
    events: &[(Event<'_>, Range<usize>)],
    checks: &Checks,
    found: &mut Vec<Diagnostic>,
) {
    if pm.status == Status::Draft {
        return;
    }
    front_matter(pm, found);
    let required = checks
        .required_sections
        .get(&pm.severity)
        .map_or(&[][..], Vec::as_slice);
    body(pm, events, required, found);
    if checks.required_sections.contains_key(&pm.severity) {
        for (key, empty) in [
            ("authors", pm.authors.is_empty()),
            ("root_causes", pm.root_causes.is_empty()),
        ] {
            if empty && find(&pm.source.front_matter(), &[Step::Key(key)]).is_some() {
                found.push(
                    at_field(
                        pm,
                        Code::EmptyList,
                        &[Step::Key(key)],
                        format!("`{key}` is empty, and a {} postmortem needs it", pm.severity),
                    )
                    .hint(match key {
                        "authors" => "name who wrote the review, e.g. authors = [\"first.last\"]",
                        _ => "name what in the system allowed it, e.g. root_causes = [\"config-change\"]",
                    }),
                );
            }
        }
    }
}

/// Placeholders left in the front matter's prose fields.
fn front_matter(pm: &Postmortem, found: &mut Vec<Diagnostic>) {
    let root = &*pm.source.front_matter();
    let mut paths: Vec<Vec<Step<'_>>> = ["summary", "trigger", "detection"]
        .iter()
        .map(|k| vec![Step::Key(k)])
        .collect();
    paths.push(vec![Step::Key("impact"), Step::Key("description")]);
    let count = |key: &str| match find(root, &[Step::Key(key)]).map(|n| &n.value) {
        Some(Value::Array(items)) => items.len(),
        _ => 0,
    };
    paths.extend(
        (0..count("contributing_factors")).map(|i| vec![Step::Key("contributing_factors"), Step::Index(i)]),
    );
    for i in 0..count("timeline") {
        paths.push(vec![Step::Key("timeline"), Step::Index(i), Step::Key("text")]);
    }
    for i in 0..count("action_items") {
        for key in ["title", "owner"] {
            paths.push(vec![Step::Key("action_items"), Step::Index(i), Step::Key(key)]);
        }
    }
    for path in paths {
        if let Some(Value::String(text)) = find(root, &path).map(|n| &n.value)
            && is_guidance(text)
        {
            found.push(
                at_field(
                    pm,
                    Code::TemplateText,
                    &path,
                    format!(
                        "`{}` is still the template's placeholder",
                        super::field_name(&path)
                    ),
                )
                .hint("replace it with what happened in this incident"),
            );
        }
    }
}

/// What a block of the body holds.
#[derive(PartialEq)]
enum Holds {
    Nothing,
    Guidance,
    Text,
}

/// A heading and what its section holds so far.
struct Section {
    level: u8,
    title: String,
    /// Where the heading is in the body.
    range: Range<usize>,
    filled: bool,
    /// Whether it holds an HTML comment (the template's guidance is in comments).
    commented: bool,
    /// Blocks of guidance in it, by body range.
    guidance: Vec<Range<usize>>,
}

/// Guidance blocks and sections holding nothing else.
fn body(
    pm: &Postmortem,
    events: &[(Event<'_>, Range<usize>)],
    required: &[String],
    found: &mut Vec<Diagnostic>,
) {
    let mut open: Vec<Section> = vec![Section {
        level: 0,
        title: String::new(),
        range: 0..0,
        filled: true,
        commented: false,
        guidance: Vec::new(),
    }];
    let mut text = String::new();
    let mut block_start = None;
    let mut heading: Option<(u8, usize)> = None;
    let mut table: Option<Table> = None;
    let (mut in_code, mut in_comment) = (false, false);
    let close = |open: &mut Vec<Section>, level: u8, found: &mut Vec<Diagnostic>| {
        while open.last().is_some_and(|s| s.level >= level) {
            let section = open.pop().expect("checked");
            report(pm, &section, required, found);
        }
    };
    // Text counts in every section that is open (a subsection fills its parent).
    let hold = |open: &mut Vec<Section>, holds: Holds, range: Range<usize>| match holds {
        Holds::Nothing => {}
        Holds::Guidance => {
            if let Some(s) = open.last_mut() {
                s.guidance.push(range);
            }
        }
        Holds::Text => open.iter_mut().for_each(|s| s.filled = true),
    };
    for (event, range) in events {
        let range = range.clone();
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                let level = crate::content::markdown::level_number(*level);
                close(&mut open, level, found);
                heading = Some((level, range.start));
                text.clear();
            }
            Event::End(TagEnd::Heading(_)) => {
                let (level, start) = heading.take().unwrap_or((1, range.start));
                block_start = None;
                open.push(Section {
                    level,
                    title: std::mem::take(&mut text).trim().to_string(),
                    range: start..range.end,
                    filled: false,
                    commented: false,
                    guidance: Vec::new(),
                });
            }
            Event::Start(Tag::Table(_)) => table = Some(Table::default()),
            Event::End(TagEnd::Table) => {
                block_start = None;
                if let Some(t) = table.take() {
                    hold(&mut open, t.holds(), range);
                }
            }
            Event::Start(Tag::TableRow | Tag::TableHead) => {
                if let Some(t) = &mut table {
                    t.rows.push(Vec::new());
                }
            }
            Event::End(TagEnd::TableCell) => {
                if let Some(t) = &mut table
                    && let Some(row) = t.rows.last_mut()
                {
                    row.push(std::mem::take(&mut text));
                }
            }
            Event::Start(Tag::Paragraph | Tag::Item) | Event::End(TagEnd::Paragraph | TagEnd::Item)
                if table.is_none() =>
            {
                let start = block_start.take().unwrap_or(range.start);
                let block = std::mem::take(&mut text);
                let holds = if !block.chars().any(char::is_alphanumeric) {
                    Holds::Nothing
                } else if is_guidance(&block) {
                    Holds::Guidance
                } else {
                    Holds::Text
                };
                hold(&mut open, holds, start..range.end);
            }
            Event::Text(t) | Event::Code(t) if !in_code => {
                block_start.get_or_insert(range.start);
                text.push_str(t);
                text.push(' ');
            }
            // Comments are where the template keeps its guidance: they are not text.
            Event::Html(html) | Event::InlineHtml(html) => {
                let html = html.trim();
                if in_comment || html.starts_with("<!--") {
                    in_comment = !html.contains("-->");
                    if let Some(s) = open.last_mut() {
                        s.commented = true;
                    }
                } else {
                    hold(&mut open, Holds::Text, range);
                }
            }
            Event::Start(Tag::CodeBlock(_)) => {
                in_code = true;
                hold(&mut open, Holds::Text, range);
            }
            Event::End(TagEnd::CodeBlock) => in_code = false,
            Event::Start(Tag::Image { .. }) | Event::Rule => hold(&mut open, Holds::Text, range),
            _ => {}
        }
    }
    close(&mut open, 0, found);
}

/// A table's cells, row by row (the header first).
#[derive(Default)]
struct Table {
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with a blank cell in every row below its header is a form nobody filled in.
    fn holds(&self) -> Holds {
        let body = self.rows.get(1..).unwrap_or_default();
        if body.is_empty() {
            return Holds::Nothing;
        }
        if body
            .iter()
            .all(|row| row.iter().any(|cell| cell.trim().is_empty()))
        {
            Holds::Guidance
        } else {
            Holds::Text
        }
    }
}

fn report(pm: &Postmortem, section: &Section, required: &[String], found: &mut Vec<Diagnostic>) {
    let at = |range: &Range<usize>| {
        let start = range.start + pm.source.body_offset;
        pm.source.location(start..range.end + pm.source.body_offset)
    };
    if section.filled {
        for range in &section.guidance {
            found.push(
                Diagnostic::policy(
                    Code::TemplateText,
                    &pm.source.path,
                    "this is still the template's guidance",
                )
                .at(at(range))
                .hint("replace it with what happened in this incident, or delete it"),
            );
        }
        return;
    }
    let in_front_matter = [
        ("impact", !pm.impact.is_empty()),
        ("timeline", !pm.timeline.is_empty()),
        ("action items", !pm.action_items.is_empty()),
    ];
    if in_front_matter
        .iter()
        .any(|(name, filled)| *filled && is_section(&section.title, name))
    {
        return;
    }
    let is_required = required.iter().any(|name| is_section(&section.title, name));
    let holds = match (section.guidance.is_empty(), section.commented) {
        // An empty heading that nothing asks for is a choice of layout, not a gap.
        (true, false) if !is_required => return,
        (true, false) => "is empty",
        (true, true) => "holds only comments",
        (false, _) => "holds only the template's guidance",
    };
    found.push(
        Diagnostic::policy(
            Code::EmptySection,
            &pm.source.path,
            format!("the `{}` section {holds}", section.title),
        )
        .at(at(&section.range))
        .hint("write it for this incident; if it does not apply, say why in a sentence"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_guidance_is_found_and_survives_light_edits() {
        assert!(GUIDANCE.len() >= 12, "{}", GUIDANCE.len());
        assert!(is_guidance(
            "Two or three plain sentences: what happened, who was affected, how it ended."
        ));
        assert!(is_guidance(
            "Two or three sentences: what happened, who was hit, how it ended"
        ));
        assert!(is_guidance("What will change"));
        assert!(is_guidance("first.last"));
        assert!(is_guidance("Why did users see the failure?"));
        assert!(!is_guidance(
            "Checkout returned errors for 14 minutes after a config push; rolling back ended it."
        ));
        assert!(!is_guidance("Why?"), "too short to be anyone's");
        assert!(!is_guidance(
            "What will change in the deploy pipeline is a canary stage that stops bad pushes early"
        ));
    }
}
