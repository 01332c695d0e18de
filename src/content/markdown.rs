//! What the loader needs to know about a Markdown body before any page exists: its headings
//! (with the anchor ids the page will use), its links (with where they are, to report a
//! broken one) and where its code is (for the secrets check). Rendering to HTML happens later, in `render::markdown`, which reuses the ids
//! found here so that the two can never disagree.

use std::collections::HashSet;
use std::ops::Range;

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

pub fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_GFM
}

/// Ids the page template uses for its own sections; body headings never take them.
pub const RESERVED_IDS: &[&str] = &[
    "main",
    "search",
    "pm-facts",
    "pm-impact",
    "pm-timeline",
    "pm-toc",
    "pm-body",
    "pm-action-items",
    "pm-links",
    "pm-related",
];

#[derive(Clone, Debug, Default)]
pub struct Outline {
    pub headings: Vec<Heading>,
    pub links: Vec<BodyLink>,
    /// Byte ranges in the whole file of the text of code blocks and code spans: quoted logs
    /// and configs, where a long random string is likely a key.
    pub code: Vec<Range<usize>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Heading {
    pub level: u8,
    pub text: String,
    pub id: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct BodyLink {
    pub destination: String,
    pub is_image: bool,
    /// Byte range in the whole file.
    pub span: Range<usize>,
}

impl Outline {
    pub fn has_anchor(&self, id: &str) -> bool {
        self.headings.iter().any(|h| h.id == id)
    }
}

pub fn scan(body: &str, body_offset: usize) -> Outline {
    let mut outline = Outline::default();
    let mut ids = IdAllocator::new();
    let mut heading: Option<(u8, Option<String>, String)> = None;
    let mut in_code_block = false;
    for (event, range) in Parser::new_ext(body, options()).into_offset_iter() {
        let file_range = range.start + body_offset..range.end + body_offset;
        match event {
            Event::Start(Tag::Heading { level, id, .. }) => {
                heading = Some((level_number(level), id.map(|i| i.to_string()), String::new()));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, explicit, text)) = heading.take() {
                    let text = text.trim().to_string();
                    let id = ids.allocate(explicit.as_deref().unwrap_or(&slugify(&text)));
                    outline.headings.push(Heading { level, text, id });
                }
            }
            Event::Start(Tag::CodeBlock(_)) => in_code_block = true,
            Event::End(TagEnd::CodeBlock) => in_code_block = false,
            Event::Text(t) => {
                if in_code_block {
                    outline.code.push(file_range);
                } else if let Some((_, _, text)) = heading.as_mut() {
                    text.push_str(&t);
                }
            }
            Event::Code(t) => {
                outline.code.push(file_range);
                if let Some((_, _, text)) = heading.as_mut() {
                    text.push_str(&t);
                }
            }
            Event::Start(Tag::Link { dest_url, .. }) => outline.links.push(BodyLink {
                destination: dest_url.to_string(),
                is_image: false,
                span: file_range,
            }),
            Event::Start(Tag::Image { dest_url, .. }) => outline.links.push(BodyLink {
                destination: dest_url.to_string(),
                is_image: true,
                span: file_range,
            }),
            _ => {}
        }
    }
    outline
}

pub fn level_number(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// Hands out unique anchor ids in document order: the second "Impact" heading is `impact-1`.
struct IdAllocator {
    used: HashSet<String>,
}

impl IdAllocator {
    fn new() -> Self {
        IdAllocator {
            used: RESERVED_IDS.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn allocate(&mut self, wanted: &str) -> String {
        let base = if wanted.is_empty() { "section" } else { wanted };
        let mut id = base.to_string();
        let mut n = 1;
        while !self.used.insert(id.clone()) {
            id = format!("{base}-{n}");
            n += 1;
        }
        id
    }
}

/// GitHub-style anchors and URL slugs: lowercase letters and digits (any script), words
/// joined by `-`, punctuation dropped. `Root cause (DB)` -> `root-cause-db`.
pub fn slugify(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    let mut pending_dash = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if pending_dash && !slug.is_empty() {
                slug.push('-');
            }
            pending_dash = false;
            // `İ` lowercases to `i` + a combining dot; keep only the letters.
            slug.extend(c.to_lowercase().filter(|l| l.is_alphanumeric()));
        } else if c.is_whitespace() || c == '-' || c == '_' || c == '.' || c == '/' {
            pending_dash = true;
        }
    }
    slug
}

/// Appends `text` to `out` with each run of whitespace as one space, and none at the start
/// of `out`: in one pass, as the text of a whole archive goes through here.
fn append_collapsed(out: &mut String, text: &str) {
    let bytes = text.as_bytes();
    // Where the run of non-space characters being read started, if in one.
    let mut word = None;
    let mut at = 0;
    while at < bytes.len() {
        // `char::is_whitespace`, with ASCII (nearly all of it) decided from the byte.
        let (space, width) = match bytes[at] {
            b'\t'..=b'\r' | b' ' => (true, 1),
            b if b < 0x80 => (false, 1),
            _ => text[at..]
                .chars()
                .next()
                .map_or((false, 1), |c| (c.is_whitespace(), c.len_utf8())),
        };
        if space {
            if let Some(start) = word.take() {
                out.push_str(&text[start..at]);
            }
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
        } else if word.is_none() {
            word = Some(at);
        }
        at += width;
    }
    if let Some(start) = word {
        out.push_str(&text[start..]);
    }
}

/// A body as plain text, cut at its headings: what search indexes and quotes. Code blocks
/// stay in (quoted logs are what people search for: "x509", "deadlock detected").
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Section {
    /// The heading's anchor; empty for text before the first heading.
    pub id: String,
    pub title: String,
    pub text: String,
}

pub fn sections(body: &str, outline: &Outline) -> Vec<Section> {
    let mut sections = vec![Section {
        id: String::new(),
        title: String::new(),
        text: String::new(),
    }];
    let mut headings = outline.headings.iter();
    let mut in_heading = false;
    for event in Parser::new_ext(body, options()) {
        match event {
            Event::Start(Tag::Heading { .. }) => {
                in_heading = true;
                let (id, title) = headings
                    .next()
                    .map_or_else(Default::default, |h| (h.id.clone(), h.text.clone()));
                sections.push(Section {
                    id,
                    title,
                    text: String::new(),
                });
            }
            Event::End(TagEnd::Heading(_)) => in_heading = false,
            Event::Text(t) | Event::Code(t) if !in_heading => {
                let text = &mut sections.last_mut().expect("never empty").text;
                append_collapsed(text, &t);
            }
            Event::SoftBreak
            | Event::HardBreak
            | Event::End(TagEnd::Paragraph | TagEnd::Item | TagEnd::TableCell | TagEnd::CodeBlock) => {
                let text = &mut sections.last_mut().expect("never empty").text;
                if !text.ends_with(' ') && !text.is_empty() {
                    text.push(' ');
                }
            }
            _ => {}
        }
    }
    for s in &mut sections {
        if s.text.ends_with(' ') {
            s.text.pop();
        }
    }
    sections.retain(|s| !s.text.is_empty() || !s.id.is_empty());
    sections
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_match_what_authors_expect() {
        assert_eq!(slugify("Root cause"), "root-cause");
        assert_eq!(slugify("5 whys"), "5-whys");
        assert_eq!(slugify("What went well?"), "what-went-well");
        assert_eq!(slugify("  Root cause (DB) "), "root-cause-db");
        assert_eq!(slugify("Ausfall: Zähler"), "ausfall-zähler");
        assert_eq!(slugify("config_change"), "config-change");
        assert_eq!(slugify("!!!"), "");
    }

    #[test]
    fn headings_get_unique_ids_in_document_order() {
        let outline = scan(
            "## Impact\n\n## Impact\n\n### `code` title\n\n## Timeline {#when}\n\n## !!!\n",
            0,
        );
        let ids: Vec<_> = outline.headings.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["impact", "impact-1", "code-title", "when", "section"]);
        assert_eq!(outline.headings[2].text, "code title");
    }

    #[test]
    fn body_headings_never_take_the_page_ids() {
        let outline = scan("## PM timeline\n", 0);
        assert_eq!(outline.headings[0].id, "pm-timeline-1");
    }

    #[test]
    fn sections_are_plain_text_cut_at_headings() {
        let body = "Intro *text*.\n\n## Root cause\n\nThe `lock` was held.\n\n```\nERROR deadlock detected\n```\n\n## Impact\n\n- a\n- b\n";
        let got = sections(body, &scan(body, 0));
        let flat: Vec<(&str, &str)> = got.iter().map(|s| (s.id.as_str(), s.text.as_str())).collect();
        assert_eq!(
            flat,
            [
                ("", "Intro text."),
                ("root-cause", "The lock was held. ERROR deadlock detected"),
                ("impact", "a b"),
            ]
        );
    }

    #[test]
    fn section_text_has_single_spaces_between_words() {
        let mut out = String::new();
        for piece in [
            "  a\tb \n",
            "c",
            "\u{a0}\u{2003}d\u{1f600}e ",
            "",
            "  ",
            "ünï\x0bcode",
        ] {
            append_collapsed(&mut out, piece);
        }
        assert_eq!(out, "a b c d\u{1f600}e ünï code");
        let body = "Words\u{a0} with\ttabs\n\n| a  | b |\n|---|---|\n| c |  d |\n\n  Spaced   out. ";
        let got = sections(body, &scan(body, 0));
        assert_eq!(got[0].text, "Words with tabs a b c d Spaced out.");
    }

    proptest::proptest! {
        #[test]
        fn collapsing_pieces_is_collapsing_their_concatenation(pieces in proptest::collection::vec("[ a\\t\\n\u{a0}\u{3000}é\u{1f600}\\x0b]{0,8}", 0..6)) {
            let mut out = String::new();
            for piece in &pieces {
                append_collapsed(&mut out, piece);
            }
            if out.ends_with(' ') {
                out.pop();
            }
            let expected = pieces.concat().split_whitespace().collect::<Vec<_>>().join(" ");
            proptest::prop_assert_eq!(out, expected);
        }
    }

    #[test]
    fn code_blocks_and_spans_are_found_with_file_offsets() {
        let body = "## The `lock` key\n\nKey `k1` and:\n\n```text\nline one\nline two\n```\n\n    indented\n";
        let outline = scan(body, 100);
        let code: Vec<&str> = outline
            .code
            .iter()
            .map(|r| &body[r.start - 100..r.end - 100])
            .collect();
        assert_eq!(code, ["`lock`", "`k1`", "line one\nline two\n", "indented\n"]);
        assert_eq!(outline.headings[0].text, "The lock key");
    }

    #[test]
    fn links_and_images_are_found_with_file_offsets() {
        let body = "See [x](a.md#root-cause).\n\n![g](graph.png)\n";
        let outline = scan(body, 100);
        assert_eq!(outline.links.len(), 2);
        assert_eq!(outline.links[0].destination, "a.md#root-cause");
        assert_eq!(outline.links[0].span.start, 104);
        assert!(outline.links[1].is_image);
    }
}
