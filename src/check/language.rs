//! Blameless language. The Prime Directive: everyone did the best job they could with what
//! they knew; fix systems, not people. Two checks:
//!
//! - PM101, a blaming word or phrase from `[checks] blaming_phrases` (whole words, any case),
//!   anywhere in the body's prose or in the front matter's prose fields.
//! - PM102, a person as the subject of a sentence in a Root cause or Contributing factors
//!   section (and in `contributing_factors`). People are the postmortem's authors, owner,
//!   incident commander, reviewers and action-item owners, plus `[checks] people`. A name
//!   matches as written (`maya.patel`, any case), as its full natural form (`Maya Patel`,
//!   any case), or as the first name alone (`Maya`) when written capitalized and that word
//!   never appears in lowercase in the postmortem (so a team named `payments-oncall` does
//!   not make "Payments" a person). It is the subject when it starts the sentence, or
//!   follows a short opening clause that ends in a comma ("At 15:42, Maya ran ..."), and is
//!   not a possessive ("Maya's script" is about the script).
//!
//! Text inside code spans, code blocks, block quotes and quotation marks is not prose: it
//! quotes what someone else wrote (a log line, a customer's ticket).

use std::ops::Range;
use std::sync::LazyLock;

use pulldown_cmark::{Event, Tag, TagEnd};
use regex::Regex;

use super::blame::Tools;
use super::sections::is_section;
use super::{Step, find};
use crate::content::{Postmortem, Source};
use crate::diagnostic::{Code, Diagnostic};
use crate::tree::{Node, Value};

/// The site's blaming phrases as one matcher.
pub struct Phrases {
    regex: Option<Regex>,
}

impl Phrases {
    pub fn new(phrases: &[String]) -> Phrases {
        let mut words: Vec<String> = phrases
            .iter()
            .map(|p| {
                let words: Vec<String> = p.split_whitespace().map(regex::escape).collect();
                // ASCII boundaries keep the fast regex engines on text with non-ASCII
                // characters; `find_in` checks whole words in Unicode terms afterwards.
                let edge = |c: Option<char>| {
                    if c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                        "(?-u:\\b)"
                    } else {
                        ""
                    }
                };
                let joined = words.join(r"\s+");
                let first = p.trim().chars().next();
                let last = p.trim().chars().next_back();
                format!("{}{joined}{}", edge(first), edge(last))
            })
            .filter(|p| !p.is_empty())
            .collect();
        // Longest first, so that "to blame" wins over "blame" at the same place.
        words.sort_by_key(|w| std::cmp::Reverse(w.len()));
        let regex = (!words.is_empty())
            .then(|| Regex::new(&format!("(?i)(?:{})", words.join("|"))).ok())
            .flatten();
        Phrases { regex }
    }

    fn find_in<'t>(&self, text: &'t str) -> impl Iterator<Item = regex::Match<'t>> {
        self.regex
            .iter()
            .flat_map(move |r| r.find_iter(text))
            .filter(move |m| is_whole_word(text, m.range()))
    }
}

/// Neither end of `range` is inside a word (in Unicode terms: "négligent" is one word).
fn is_whole_word(text: &str, range: Range<usize>) -> bool {
    let before = text[..range.start].chars().next_back();
    let after = text[range.end..].chars().next();
    let first = text[range.clone()].chars().next();
    let last = text[range].chars().next_back();
    let joins = |a: Option<char>, b: Option<char>| {
        a.zip(b)
            .is_some_and(|(a, b)| a.is_alphanumeric() && b.is_alphanumeric())
    };
    !joins(before, first) && !joins(last, after)
}

/// One way a person's name can be written.
enum NameForm {
    /// Words in any case, separated by whitespace: `maya.patel`, `Maya Patel`.
    AnyCase(Vec<String>),
    /// A first name, exactly as written: `Maya`.
    Exact(String),
}

/// The people a postmortem names, to find them at the start of a sentence.
pub struct People<'a> {
    forms: Vec<NameForm>,
    /// Where a first name used in lowercase makes it a common word, not a name.
    prose: Vec<&'a str>,
}

impl<'a> People<'a> {
    pub fn of(pm: &'a Postmortem, body: &'a str, configured: &'a [String]) -> People<'a> {
        let mut handles: Vec<&str> = pm.authors.iter().map(String::as_str).collect();
        handles.extend(pm.owner.as_deref());
        handles.extend(pm.incident_commander.as_deref());
        handles.extend(pm.reviewers.iter().map(String::as_str));
        handles.extend(pm.action_items.iter().filter_map(|a| a.owner.as_deref()));
        handles.extend(configured.iter().map(String::as_str));
        People::from_handles(handles, vec![body, pm.summary.as_str()])
    }

    fn from_handles<'h>(handles: impl IntoIterator<Item = &'h str>, prose: Vec<&'a str>) -> People<'a> {
        let mut forms = Vec::new();
        for handle in handles {
            let handle = handle.trim().trim_start_matches('@');
            let name = handle.split('@').next().unwrap_or(handle);
            if name.is_empty() {
                continue;
            }
            forms.push(NameForm::AnyCase(
                name.split_whitespace().map(str::to_string).collect(),
            ));
            let parts: Vec<&str> = name
                .split(['.', '_', '-', ' '])
                .filter(|p| !p.is_empty())
                .collect();
            if parts.len() < 2 || !parts.iter().all(|p| p.chars().all(char::is_alphabetic)) {
                continue;
            }
            forms.push(NameForm::AnyCase(parts.iter().map(|p| p.to_string()).collect()));
            let first = capitalize(parts[0]);
            if first.chars().count() >= 3 {
                forms.push(NameForm::Exact(first));
            }
        }
        People { forms, prose }
    }

    pub(super) fn is_common_word(&self, word: &str) -> bool {
        let lower = word.to_lowercase();
        self.prose.iter().any(|text| has_word(text, &lower))
    }

    /// The length of the name that starts `text`, if it is a person's and not possessive.
    pub(super) fn starts(&self, text: &str) -> Option<usize> {
        let len = self
            .forms
            .iter()
            .filter_map(|form| match form {
                NameForm::AnyCase(words) => any_case_prefix(text, words),
                NameForm::Exact(word) => (text.starts_with(word.as_str())
                    && !text[word.len()..]
                        .chars()
                        .next()
                        .is_some_and(char::is_alphanumeric)
                    && !self.is_common_word(word))
                .then_some(word.len()),
            })
            .filter(|&len| !text[len..].chars().next().is_some_and(char::is_alphanumeric))
            .max()?;
        let after = &text[len..];
        if after.starts_with("'s") || after.starts_with("’s") || after.starts_with('\'') {
            return None;
        }
        Some(len)
    }
}

/// The length of the prefix of `text` that is `words`, in any case, separated by whitespace.
fn any_case_prefix(text: &str, words: &[String]) -> Option<usize> {
    let mut at = 0;
    for (i, word) in words.iter().enumerate() {
        if i > 0 {
            let gap = text[at..].len() - text[at..].trim_start().len();
            if gap == 0 {
                return None;
            }
            at += gap;
        }
        let mut chars = text[at..].char_indices();
        for expected in word.chars() {
            let (_, c) = chars.next()?;
            if !c.to_lowercase().eq(expected.to_lowercase()) {
                return None;
            }
        }
        at += chars.next().map_or(text[at..].len(), |(i, _)| i);
    }
    Some(at)
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase()
            .chain(chars.flat_map(char::to_lowercase))
            .collect()
    })
}

/// Whether `word` appears in `text` as a whole word, exactly as written.
fn has_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// A run of prose (a paragraph, list item, heading or table cell) with every byte mapped
/// back to the file. Quoted and code text is blanked out, keeping byte offsets.
struct Prose {
    text: String,
    /// (offset in `text`, offset in the file, length)
    pieces: Vec<(usize, usize, usize)>,
    in_cause_section: bool,
}

impl Prose {
    fn new(in_cause_section: bool) -> Prose {
        Prose {
            text: String::new(),
            pieces: Vec::new(),
            in_cause_section,
        }
    }

    fn push(&mut self, text: &str, file_offset: usize) {
        self.pieces.push((self.text.len(), file_offset, text.len()));
        self.text.push_str(text);
    }

    /// The file range of a range of `text`.
    fn file_range(&self, range: Range<usize>) -> Range<usize> {
        let map = |at: usize, is_end: bool| {
            let i = self
                .pieces
                .partition_point(|(start, _, _)| if is_end { *start < at } else { *start <= at })
                .saturating_sub(1);
            self.pieces
                .get(i)
                .map_or(0, |(start, file, len)| file + (at - start).min(*len))
        };
        let start = map(range.start, false);
        start..map(range.end, true).max(start)
    }
}

/// Blanks text between quotation marks (straight or curly) and in backticks.
fn blank_quotes(text: &mut String) {
    if !text.contains(['"', '“', '`']) {
        return;
    }
    let mut out = String::with_capacity(text.len());
    let mut open: Option<char> = None;
    for c in text.chars() {
        let closes = match open {
            Some('"') => c == '"',
            Some('“') => c == '”',
            Some('`') => c == '`',
            _ => false,
        };
        if closes {
            open = None;
            out.push_str(&" ".repeat(c.len_utf8()));
        } else if open.is_some() {
            out.extend(std::iter::repeat_n(' ', c.len_utf8()));
        } else if matches!(c, '"' | '“' | '`') {
            open = Some(c);
            out.push_str(&" ".repeat(c.len_utf8()));
        } else {
            out.push(c);
        }
    }
    *text = out;
}

/// A heading that opens a section about causes, as PM401 would recognize it.
fn is_cause_heading(text: &str) -> bool {
    is_section(text, "root cause") || is_section(text, "contributing factors")
}

/// The body's prose, block by block.
fn body_prose(source: &Source, body: &str, events: &[(Event<'_>, Range<usize>)]) -> Vec<Prose> {
    let mut blocks = Vec::new();
    let mut current = Prose::new(false);
    let mut in_code = false;
    let mut quote_depth = 0usize;
    let mut in_cause = false;
    let mut cause_level = 0u8;
    let mut heading_level: Option<u8> = None;
    let mut heading_text = String::new();
    let flush = |current: &mut Prose, blocks: &mut Vec<Prose>, in_cause: bool| {
        let done = std::mem::replace(current, Prose::new(in_cause));
        if !done.text.trim().is_empty() {
            blocks.push(done);
        }
    };
    for (event, range) in events {
        let file = range.start + source.body_offset;
        match event {
            Event::Start(Tag::CodeBlock(_)) => in_code = true,
            Event::End(TagEnd::CodeBlock) => in_code = false,
            Event::Start(Tag::BlockQuote(_)) => quote_depth += 1,
            Event::End(TagEnd::BlockQuote(_)) => quote_depth = quote_depth.saturating_sub(1),
            Event::Start(Tag::Heading { level, .. }) => {
                flush(&mut current, &mut blocks, in_cause);
                heading_level = Some(crate::content::markdown::level_number(*level));
                heading_text.clear();
            }
            Event::End(TagEnd::Heading(_)) => {
                let level = heading_level.take().unwrap_or(1);
                if is_cause_heading(&heading_text) {
                    in_cause = true;
                    cause_level = level;
                } else if !in_cause || level <= cause_level {
                    in_cause = false;
                }
                flush(&mut current, &mut blocks, in_cause);
            }
            Event::Start(Tag::Paragraph | Tag::Item | Tag::TableCell)
            | Event::End(TagEnd::Paragraph | TagEnd::Item | TagEnd::TableCell) => {
                flush(&mut current, &mut blocks, in_cause);
            }
            Event::Text(text) if !in_code && quote_depth == 0 => {
                if heading_level.is_some() {
                    heading_text.push_str(text);
                }
                match body.get(range.clone()) {
                    Some(raw) if raw == &**text => current.push(raw, file),
                    _ => current.push(&" ".repeat(text.len()), file),
                }
            }
            Event::Code(code) => {
                if heading_level.is_some() {
                    heading_text.push_str(code);
                }
                // Not prose, but it keeps the words around it apart.
                current.push("\u{FFFC}", file);
            }
            Event::SoftBreak | Event::HardBreak => current.push(" ", file),
            _ => {}
        }
    }
    flush(&mut current, &mut blocks, in_cause);
    for block in &mut blocks {
        blank_quotes(&mut block.text);
    }
    blocks
}

/// The front matter's prose fields, `contributing_factors` marked as being about causes.
fn front_matter_prose(source: &Source) -> Vec<Prose> {
    let root = &*source.front_matter();
    let mut nodes: Vec<(&Node, bool)> = Vec::new();
    // The title too: it is what every list and feed shows of the review.
    for key in ["title", "summary", "trigger", "detection"] {
        nodes.extend(find(root, &[Step::Key(key)]).map(|n| (n, false)));
    }
    nodes.extend(find(root, &[Step::Key("impact"), Step::Key("description")]).map(|n| (n, false)));
    if let Some(Value::Array(items)) = find(root, &[Step::Key("contributing_factors")]).map(|n| &n.value) {
        nodes.extend(items.iter().map(|n| (n, true)));
    }
    for (list, key) in [("timeline", "text"), ("action_items", "title")] {
        if let Some(Value::Array(items)) = find(root, &[Step::Key(list)]).map(|n| &n.value) {
            nodes.extend(
                items
                    .iter()
                    .filter_map(|item| find(item, &[Step::Key(key)]))
                    .map(|n| (n, false)),
            );
        }
    }
    nodes
        .into_iter()
        .filter(|(n, _)| matches!(n.value, Value::String(_)))
        .filter_map(|(node, in_cause)| {
            let raw = source.head().get(node.span.clone())?;
            // The value's own quotes are syntax, not quotation marks.
            let inner = ["\"\"\"", "'''", "\"", "'"].iter().find_map(|q| {
                raw.strip_prefix(q)
                    .and_then(|r| r.strip_suffix(q))
                    .map(|r| (q.len(), r))
            });
            let (skip, text) = inner.unwrap_or((0, raw));
            let mut prose = Prose::new(in_cause);
            prose.push(text, node.span.start + skip);
            blank_quotes(&mut prose.text);
            Some(prose)
        })
        .collect()
}

pub fn scan(
    source: &Source,
    body: &str,
    events: &[(Event<'_>, Range<usize>)],
    phrases: &Phrases,
    people: Option<&People>,
    tools: &Tools<'_>,
    found: &mut Vec<Diagnostic>,
) {
    let body = body_prose(source, body, events);
    let front = front_matter_prose(source);
    for prose in front.iter().chain(&body) {
        let mut phrase_ranges = Vec::new();
        for m in phrases.find_in(&prose.text) {
            phrase_ranges.push(m.range());
            let phrase = m.as_str().split_whitespace().collect::<Vec<_>>().join(" ");
            found.push(
                Diagnostic::policy(
                    Code::BlamingLanguage,
                    &source.path,
                    format!("blaming language: `{phrase}`"),
                )
                .at(source.location(prose.file_range(m.range())))
                .hint(hint_for(&phrase)),
            );
        }
        let subjects = if prose.in_cause_section {
            sentence_subjects(&prose.text)
        } else {
            Vec::new()
        };
        // Where PM101 or PM102 already spoke: the same problem is reported once.
        let mut reported = phrase_ranges;
        if let Some(people) = people
            && prose.in_cause_section
        {
            for &start in &subjects {
                if let Some(len) = people.starts(&prose.text[start..]) {
                    reported.push(start..start + len);
                    let name = &prose.text[start..start + len];
                    found.push(
                        Diagnostic::policy(
                            Code::PersonAsCause,
                            &source.path,
                            format!("a person is the subject of a cause: `{name}`"),
                        )
                        .at(source.location(prose.file_range(start..start + len)))
                        .hint("describe what the system allowed, not who acted: ask \"what made this action possible, and what would have caught it?\""),
                    );
                }
            }
        }
        for blame in super::blame::find(&prose.text, people, tools, prose.in_cause_section, &subjects) {
            if reported
                .iter()
                .any(|r| r.start < blame.range.end && blame.range.start < r.end)
            {
                continue;
            }
            let text = prose.text[blame.range.clone()]
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            found.push(
                Diagnostic::policy(Code::BlamingAgent, &source.path, blame.kind.message(&text))
                    .at(source.location(prose.file_range(blame.range)))
                    .hint(blame.kind.hint()),
            );
        }
    }
}

fn hint_for(phrase: &str) -> String {
    let question = match phrase.to_lowercase().as_str() {
        "human error" | "operator error" | "pilot error" => "What allowed this command to reach production?",
        p if p.starts_with("should have") || p.starts_with("failed to") => {
            "What would have made this visible in time?"
        }
        _ => "What in the system made this the easy thing to do?",
    };
    format!("fix systems, not people: ask \"{question}\" and write down the answer")
}

/// Offsets in `text` where a sentence's subject can start: the start of each sentence, and
/// the word after a short opening clause ending in a comma.
fn sentence_subjects(text: &str) -> Vec<usize> {
    static SENTENCE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?:^|[.!?;:]\s+)(\S)").expect("valid regex"));
    static OPENING: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(?i:at|after|before|then|when|while|on|in|during|later|meanwhile|however|because|since|so|afterwards|first|next|finally|instead)(?-u:\b)[^,.!?;]{0,40},\s+(\S)")
            .expect("valid regex")
    });
    let mut starts = Vec::new();
    for c in SENTENCE.captures_iter(text) {
        let Some(start) = c.get(1).map(|m| m.start()) else {
            continue;
        };
        // Leading list or emphasis punctuation is not part of the name.
        let start =
            start + text[start..].len() - text[start..].trim_start_matches(['*', '_', '(', '-', ' ']).len();
        starts.push(start);
        if let Some(after) = OPENING.captures(&text[start..]).and_then(|c| c.get(1)) {
            starts.push(start + after.start());
        }
    }
    starts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn people(handles: &[&str]) -> People<'static> {
        People::from_handles(handles.iter().copied(), vec!["the payments team"])
    }

    #[test]
    fn names_match_as_written_and_in_natural_forms() {
        let p = people(&["maya.patel", "payments-team", "al.x"]);
        assert_eq!(p.starts("maya.patel ran it"), Some(10));
        assert_eq!(p.starts("Maya Patel ran it"), Some(10));
        assert_eq!(p.starts("Maya ran it"), Some(4));
        assert_eq!(
            p.starts("maya ran it"),
            None,
            "a first name alone must be capitalized"
        );
        assert_eq!(
            p.starts("Maya's script ran"),
            None,
            "possessives are about the thing"
        );
        assert_eq!(p.starts("Mayan ruins"), None, "whole words only");
        assert_eq!(
            p.starts("Payments failed"),
            None,
            "a common word is not a first name"
        );
        assert_eq!(
            p.starts("Al ran"),
            None,
            "first names shorter than 3 letters are too ambiguous"
        );
    }

    #[test]
    fn a_lowercase_use_elsewhere_makes_a_first_name_a_common_word() {
        assert!(has_word("the payments team paged", "payments"));
        assert!(has_word("payments", "payments"));
        assert!(!has_word("paymentsdb and repayments", "payments"));
        assert!(!has_word("Payments failed", "payments"));
    }

    #[test]
    fn subjects_start_sentences_or_follow_an_opening_clause() {
        let text = "The script ran. At 15:42, Maya ran it; then it broke. See Maya.";
        let words: Vec<&str> = sentence_subjects(text)
            .into_iter()
            .map(|i| text[i..].split(' ').next().unwrap())
            .collect();
        assert_eq!(words, ["The", "At", "Maya", "then", "See"]);
    }

    #[test]
    fn quotes_and_code_are_blanked_keeping_offsets() {
        let mut text = String::from("a \"human error\" b “négligent” c `careless` d");
        let len = text.len();
        blank_quotes(&mut text);
        assert_eq!(text.len(), len);
        assert_eq!(text.split_whitespace().collect::<Vec<_>>(), ["a", "b", "c", "d"]);
    }

    #[test]
    fn phrases_are_whole_words_in_any_case_across_line_breaks() {
        let p = Phrases::new(&["human error".into(), "blame".into()]);
        let found: Vec<&str> = p
            .find_in("Human\n error; blameless; no blame")
            .map(|m| m.as_str())
            .collect();
        assert_eq!(found, ["Human\n error", "blame"]);
    }
}
