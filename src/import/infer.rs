//! What a plain Markdown retro says without front matter: its title, the incident date, the
//! timeline entries and the action items, read from the text as written.

use std::sync::LazyLock;

use chrono::{Days, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use regex::Regex;
use toml::{Table, Value};

use super::report::Notes;
use crate::check::sections::{is_section, normalize};

/// Zone names postmortems write after times, with their offsets in minutes.
const ZONES: &[(&str, i32)] = &[
    ("UTC", 0),
    ("GMT", 0),
    ("Z", 0),
    ("PST", -480),
    ("PDT", -420),
    ("MST", -420),
    ("MDT", -360),
    ("CST", -360),
    ("CDT", -300),
    ("EST", -300),
    ("EDT", -240),
    ("BST", 60),
    ("CET", 60),
    ("CEST", 120),
    ("EET", 120),
    ("EEST", 180),
    ("IST", 330),
    ("JST", 540),
    ("AEST", 600),
    ("AEDT", 660),
];

const ZONE_PATTERN: &str =
    r"UTC|GMT|Z|PST|PDT|MST|MDT|CST|CDT|EST|EDT|BST|CET|CEST|EET|EEST|IST|JST|AEST|AEDT|[+-]\d{2}:?\d{2}";

static ITEM: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(\s*)(?:[-*+]|\d+[.)])\s+(.*)$").unwrap());
static TIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"^[*_`\s]*(?:(\d{{4}}-\d{{2}}-\d{{2}})[ T])?(\d{{1,2}}):(\d{{2}})(?::(\d{{2}}))?(?:\s*([aApP][mM]))?(?:\s*\(?({ZONE_PATTERN})\)?)?\b[*_`]*\s*(?:[-–—|:]+\s*)?(.*)$"
    ))
    .unwrap()
});
static ZONE_WORD: LazyLock<Regex> = LazyLock::new(|| Regex::new(&format!(r"\b({ZONE_PATTERN})\b")).unwrap());
static ISO_DATE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(\d{4})-(\d{2})-(\d{2})").unwrap());
static COMPACT_DATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|\D)((?:19|20)\d{6})(?:\D|$)").unwrap());
static WORDY_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:([A-Z][a-z]+)\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})|(\d{1,2})(?:st|nd|rd|th)? ([A-Z][a-z]+)\.?,? (\d{4}))\b").unwrap()
});
static TASK: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\[([ xX])\]\s+(.*)$").unwrap());
static LINK: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\[([^\]]*)\]\((https?://[^)\s]+)\)").unwrap());
/// A Markdown link to anything (a person's page: `[Jane Doe](/display/~jdoe)`).
static LINK_ANY: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\[([^\]]*)\]\(([^)\s]+)\)").unwrap());
static BARE_URL: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<?(https?://[^\s>)]+)>?").unwrap());
static OWNER_BRACKET: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\[([^\]]+)\]\s*(?:[-:–—]\s*)?([^(].*)$").unwrap());
static OWNER_AT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|\s)@([A-Za-z0-9][A-Za-z0-9._-]*)").unwrap());
static OWNER_WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\(?\bowner:\s*([A-Za-z0-9._@ -]+?)\s*(?:\)|,|;|$)").unwrap());
static DUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\(?\b(?:due|by)[: ]\s*(\d{4})([-/.])(\d{1,2})([-/.])(\d{1,2})\)?").unwrap()
});

/// A Markdown body read for data.
pub struct Inferred {
    pub title: Option<String>,
    pub date: Option<NaiveDate>,
    pub summary: Option<String>,
    pub timeline: Vec<Table>,
    pub action_items: Vec<Table>,
    /// The body without what became front matter.
    pub body: String,
}

/// What the importer already knows about the incident before reading the body.
pub struct Known<'a> {
    pub title: Option<&'a str>,
    pub date: Option<NaiveDate>,
    pub offset: Option<FixedOffset>,
    pub file_stem: &'a str,
    /// Whether to read the Timeline section into entries (not when the front matter has them).
    pub timeline: bool,
    /// Whether to read the Action items section into items.
    pub action_items: bool,
}

pub fn infer(body: &str, known: &Known<'_>, notes: &mut Notes) -> Inferred {
    let lines: Vec<&str> = body.lines().collect();
    let code = code_lines(&lines);
    let mut removed = vec![false; lines.len()];
    let headings: Vec<Option<(usize, String)>> = lines
        .iter()
        .zip(&code)
        .map(|(line, in_code)| if *in_code { None } else { heading(line) })
        .collect();

    let first_heading = headings.iter().position(Option::is_some);
    let mut title = None;
    if let Some(i) = first_heading
        && let Some((level, text)) = &headings[i]
    {
        match known.title {
            None if *level == 1 => {
                notes
                    .inferred
                    .push(format!("title from the heading on line {}", i + 1));
                title = Some(text.clone());
                removed[i] = true;
            }
            Some(t) if *level == 1 && normalize(t) == normalize(text) => removed[i] = true,
            _ => {}
        }
        // A document that gives its title twice (Google Docs' Title style, then a Heading 1
        // of the same words): the second is the title too.
        let title_text = title.as_deref().or(known.title);
        if removed[i]
            && let Some(title_text) = title_text
            && let Some(next) = headings[i + 1..]
                .iter()
                .position(Option::is_some)
                .map(|n| i + 1 + n)
            && let Some((1, text)) = &headings[next]
            && normalize(text) == normalize(title_text)
        {
            removed[next] = true;
        }
    }

    let date = known.date.or_else(|| {
        let found = [
            ("the file name", date_in(known.file_stem)),
            ("the title", title.as_deref().and_then(date_in)),
            ("the first lines", lines.iter().take(15).find_map(|l| date_in(l))),
        ]
        .into_iter()
        .find_map(|(from, date)| date.map(|d| (from, d)));
        found.map(|(from, d)| {
            notes.inferred.push(format!("started_at {d} from {from}"));
            if from == "the first lines" {
                notes
                    .review
                    .push(format!("started_at {d} was read from the text: check it"));
            }
            d
        })
    });

    let mut timeline = Vec::new();
    let mut action_items = Vec::new();
    let mut replaced: Vec<(usize, String)> = Vec::new();
    let mut summary = None;
    let mut i = 0;
    while i < lines.len() {
        let Some((_, heading_text)) = &headings[i] else {
            i += 1;
            continue;
        };
        let end = (i + 1..lines.len())
            .find(|&j| headings[j].is_some())
            .unwrap_or(lines.len());
        let section = i + 1..end;
        if known.timeline && is_section(heading_text, "Timeline") {
            if let Some(date) = date {
                let zone = ZONE_WORD.captures(heading_text).and_then(|c| offset(&c[1]));
                let mut reader = TimelineReader {
                    day: date,
                    zone: zone.or(known.offset),
                    previous: None,
                    assumed_utc: false,
                };
                timeline.extend(reader.read(&lines, section.clone(), &code, &mut removed));
                if reader.assumed_utc {
                    notes.review.push(format!(
                        "timeline times under \"{heading_text}\" name no zone: read as UTC"
                    ));
                }
                if !timeline.is_empty() {
                    notes.inferred.push(format!(
                        "{} timeline entries from \"{heading_text}\"",
                        timeline.len()
                    ));
                }
            }
        } else if known.action_items && is_section(heading_text, "Action items") {
            let before = action_items.len();
            for (line, header) in read_action_items(
                &lines,
                section.clone(),
                &code,
                &mut removed,
                &mut action_items,
                notes,
            ) {
                replaced.push((
                    line,
                    format!("<!-- pmsite import: the table ({header}) is now [[action_items]] -->"),
                ));
            }
            if action_items.len() > before {
                notes.inferred.push(format!(
                    "{} action items from \"{heading_text}\"",
                    action_items.len() - before
                ));
            }
        } else if summary.is_none() && is_section(heading_text, "Summary") {
            summary = first_paragraph(&lines, section.clone(), &code);
            if summary.is_some() {
                notes.inferred.push(format!(
                    "summary from the first paragraph under \"{heading_text}\""
                ));
            }
        }
        i = end;
    }
    if summary.is_none() {
        let start = first_heading.filter(|h| removed[*h]).map_or(0, |h| h + 1);
        summary = first_paragraph(&lines, start..lines.len(), &code);
        if summary.is_some() {
            notes.inferred.push("summary from the first paragraph".into());
            notes
                .review
                .push("summary is the first paragraph: shorten it to a two-sentence tl;dr".into());
        }
    }
    let mut kept: Vec<&str> = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| !removed[*i])
        .map(|(i, l)| {
            replaced
                .iter()
                .find(|(at, _)| *at == i)
                .map_or(*l, |(_, text)| text.as_str())
        })
        .collect();
    while kept.first().is_some_and(|l| l.trim().is_empty()) {
        kept.remove(0);
    }
    let body = unlink_missing_anchors(&unlink_local(&collapse_blank_lines(&kept), notes), notes);
    Inferred {
        title,
        date,
        summary,
        timeline,
        action_items,
        body,
    }
}

/// Lines joined, with at most one blank line in a row (removed lines leave gaps).
fn collapse_blank_lines(lines: &[&str]) -> String {
    let mut body = String::new();
    let mut blank = false;
    for line in lines {
        if line.trim().is_empty() {
            if !blank {
                body.push('\n');
            }
            blank = true;
        } else {
            body.push_str(line);
            body.push('\n');
            blank = false;
        }
    }
    body.trim_end().to_string() + "\n"
}

/// Links to files of the old archive (other retros, attachments, export pages) would be
/// broken links here: they become their text with the old target in brackets.
fn unlink_local(body: &str, notes: &mut Notes) -> String {
    static LOCAL_LINK: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"!?\[([^\]]*)\]\(<?([^)\s>]+)>?(?:\s+\x22[^\x22]*\x22)?\)").unwrap());
    LOCAL_LINK
        .replace_all(body, |c: &regex::Captures<'_>| {
            let target = &c[2];
            let external = target.starts_with('#') || target.contains("://") || target.starts_with("mailto:");
            if external {
                return c[0].to_string();
            }
            notes.left_as_text.push(format!(
                "the link to {target} (a file of the old archive) as its text"
            ));
            format!("{} ({target})", &c[1])
        })
        .into_owned()
}

/// Links to a place on the page that no heading of the imported body is (Google Docs'
/// comment marks `#cmnt1`, Confluence's own heading ids) would each be a broken-link error
/// that stops the build: they become their text.
fn unlink_missing_anchors(body: &str, notes: &mut Notes) -> String {
    use pulldown_cmark::{Event, Parser, Tag, TagEnd};
    let outline = crate::content::markdown::scan(body, 0);
    let missing = |destination: &str| {
        destination.strip_prefix('#').is_some_and(|fragment| {
            !outline.has_anchor(fragment) && !crate::content::markdown::RESERVED_IDS.contains(&fragment)
        })
    };
    // (link's bytes, its text), in order; links inside a dropped link are its text too.
    let mut dropped: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    let mut open: Option<(std::ops::Range<usize>, String, usize)> = None;
    for (event, range) in Parser::new_ext(body, crate::content::markdown::options()).into_offset_iter() {
        match (&mut open, event) {
            (None, Event::Start(Tag::Link { dest_url, .. })) if missing(&dest_url) => {
                notes.left_as_text.push(format!(
                    "the link to {dest_url} (no heading here has that name) as its text"
                ));
                open = Some((range, String::new(), 0));
            }
            (Some((_, _, depth)), Event::Start(Tag::Link { .. })) => *depth += 1,
            (Some((_, _, depth)), Event::End(TagEnd::Link)) if *depth > 0 => *depth -= 1,
            (Some(_), Event::End(TagEnd::Link)) => {
                let (range, text, _) = open.take().expect("matched Some");
                dropped.push((range, text));
            }
            (Some((_, text, _)), Event::Text(t)) => {
                // Read as Markdown again: what was literal stays literal.
                for c in t.chars() {
                    if matches!(c, '\\' | '*' | '_' | '[' | ']' | '`' | '<') {
                        text.push('\\');
                    }
                    text.push(c);
                }
            }
            (Some((_, text, _)), Event::Code(t)) => text.push_str(&format!("`{t}`")),
            _ => {}
        }
    }
    let mut out = String::with_capacity(body.len());
    let mut at = 0;
    for (range, text) in dropped {
        out.push_str(&body[at..range.start]);
        out.push_str(&text);
        at = range.end;
    }
    out.push_str(&body[at..]);
    out
}

/// Which lines are inside fenced code blocks (fences included): never read for data.
fn code_lines(lines: &[&str]) -> Vec<bool> {
    let mut fence: Option<String> = None;
    lines
        .iter()
        .map(|line| {
            let t = line.trim_start();
            let marker: String = t.chars().take_while(|c| *c == '`' || *c == '~').collect();
            match &fence {
                Some(open) if t.starts_with(open.as_str()) => {
                    fence = None;
                    true
                }
                Some(_) => true,
                None if marker.len() >= 3 => {
                    fence = Some(marker);
                    true
                }
                None => false,
            }
        })
        .collect()
}

/// An ATX heading's level and text.
fn heading(line: &str) -> Option<(usize, String)> {
    let level = line.chars().take_while(|c| *c == '#').count();
    let rest = &line[level..];
    if !(1..=6).contains(&level) || !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    let text = rest.trim().trim_end_matches('#').trim();
    Some((level, strip_emphasis(text).to_string()))
}

fn strip_emphasis(text: &str) -> &str {
    text.trim_matches(|c| c == '*' || c == '_' || c == '`').trim()
}

/// The first paragraph of `range`, joined into one line.
fn first_paragraph(lines: &[&str], range: std::ops::Range<usize>, code: &[bool]) -> Option<String> {
    let mut paragraph = Vec::new();
    for i in range {
        let line = lines[i].trim();
        let block = code[i] || line.starts_with(['#', '|', '>', '<', '!']) || ITEM.is_match(lines[i]);
        if line.is_empty() || block {
            if !paragraph.is_empty() {
                break;
            }
            continue;
        }
        paragraph.push(line);
    }
    let text = plain_text(&paragraph.join(" "));
    (!text.trim().is_empty()).then_some(text)
}

/// What a reader sees of a line of Markdown: the words of its links, emphasis and code
/// without their marks (a summary is shown as plain text on every list; the paragraph it
/// came from stays in the body, links included).
fn plain_text(markdown: &str) -> String {
    use pulldown_cmark::{Event, Parser};
    let mut text = String::with_capacity(markdown.len());
    for event in Parser::new_ext(markdown, crate::content::markdown::options()) {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A date written in `text`: 2024-03-08, 20240308, March 8, 2024 or 8 March 2024.
pub fn date_in(text: &str) -> Option<NaiveDate> {
    if let Some(c) = ISO_DATE.captures(text)
        && let Some(d) = ymd(&c[1], &c[2], &c[3])
    {
        return Some(d);
    }
    if let Some(c) = COMPACT_DATE.captures(text) {
        let s = &c[1];
        if let Some(d) = ymd(&s[..4], &s[4..6], &s[6..]) {
            return Some(d);
        }
    }
    WORDY_DATE.captures_iter(text).find_map(|c| {
        let (month, day, year) = match c.get(1) {
            Some(m) => (m.as_str(), &c[2], &c[3]),
            None => (&c[5], &c[4], &c[6]),
        };
        let month = month_number(month)?;
        NaiveDate::from_ymd_opt(year.parse().ok()?, month, day.parse().ok()?)
    })
}

fn ymd(y: &str, m: &str, d: &str) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

fn month_number(name: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let name = name.to_lowercase();
    let position = MONTHS.iter().position(|m| name.starts_with(m))?;
    u32::try_from(position).ok().map(|p| p + 1)
}

/// The offset a zone name or `+01:00` stands for.
pub fn offset(zone: &str) -> Option<FixedOffset> {
    let minutes = match ZONES.iter().find(|(name, _)| name.eq_ignore_ascii_case(zone)) {
        Some((_, minutes)) => *minutes,
        None => {
            let digits = zone.replace(':', "");
            let (sign, rest) = digits.split_at_checked(1)?;
            if rest.len() != 4 || !rest.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let value = rest[..2].parse::<i32>().ok()? * 60 + rest[2..].parse::<i32>().ok()?;
            if sign == "-" { -value } else { value }
        }
    };
    FixedOffset::east_opt(minutes * 60)
}

/// A datetime as pmsite writes it: RFC 3339 in its own offset (`Z` for UTC).
pub fn format_moment(at: &chrono::DateTime<FixedOffset>) -> String {
    if at.offset().local_minus_utc() == 0 {
        at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    } else {
        at.format("%Y-%m-%dT%H:%M:%S%:z").to_string()
    }
}

struct TimelineReader {
    day: NaiveDate,
    zone: Option<FixedOffset>,
    previous: Option<NaiveDateTime>,
    assumed_utc: bool,
}

impl TimelineReader {
    fn read(
        &mut self,
        lines: &[&str],
        range: std::ops::Range<usize>,
        code: &[bool],
        removed: &mut [bool],
    ) -> Vec<Table> {
        let mut events: Vec<Table> = Vec::new();
        let mut last_event_line = None;
        for i in range {
            if code[i] {
                continue;
            }
            let line = lines[i];
            let Some(item) = ITEM.captures(line) else {
                if let Some(last) = last_event_line
                    && last + 1 == i
                    && line.starts_with("  ")
                    && !line.trim().is_empty()
                    && let Some(Value::String(text)) = events.last_mut().and_then(|e| e.get_mut("text"))
                {
                    // A continuation line of the entry above.
                    text.push(' ');
                    text.push_str(line.trim());
                    removed[i] = true;
                    last_event_line = Some(i);
                } else {
                    self.date_line(line);
                }
                continue;
            };
            let content = &item[2];
            let Some(event) = self.event(content) else {
                self.date_line(line);
                continue;
            };
            events.push(event);
            removed[i] = true;
            last_event_line = Some(i);
        }
        events
    }

    /// A line that names only a day (and maybe a zone) sets them for the entries below it.
    fn date_line(&mut self, line: &str) {
        if let Some(day) = date_in(line) {
            self.day = day;
            self.previous = None;
            if let Some(c) = ZONE_WORD.captures(line) {
                self.zone = offset(&c[1]).or(self.zone);
            }
        }
    }

    fn event(&mut self, content: &str) -> Option<Table> {
        let c = TIME.captures(content)?;
        let text = c
            .get(7)
            .map_or("", |m| m.as_str())
            .trim()
            .trim_matches(['*', '_'])
            .trim();
        if text.is_empty() {
            return None;
        }
        let mut hour: u32 = c[2].parse().ok()?;
        let minute: u32 = c[3].parse().ok()?;
        let second: u32 = c.get(4).map_or(Some(0), |s| s.as_str().parse().ok())?;
        if let Some(ampm) = c.get(5) {
            let pm = ampm.as_str().eq_ignore_ascii_case("pm");
            if hour == 0 || hour > 12 {
                return None;
            }
            hour = hour % 12 + if pm { 12 } else { 0 };
        }
        let time = NaiveTime::from_hms_opt(hour, minute, second)?;
        let mut local = match c.get(1) {
            Some(day) => {
                self.day = date_in(day.as_str())?;
                self.day.and_time(time)
            }
            None => self.day.and_time(time),
        };
        if c.get(1).is_none()
            && let Some(previous) = self.previous
            && local < previous
        {
            // Times only go forward: an earlier time of day is the next day.
            self.day = self.day.checked_add_days(Days::new(1))?;
            local = self.day.and_time(time);
        }
        self.previous = Some(local);
        let zone = match c.get(6).and_then(|z| offset(z.as_str())).or(self.zone) {
            Some(zone) => zone,
            None => {
                self.assumed_utc = true;
                FixedOffset::east_opt(0)?
            }
        };
        let at = zone.from_local_datetime(&local).single()?;
        let mut event = Table::new();
        event.insert("at".into(), datetime(&format_moment(&at)));
        event.insert("text".into(), Value::String(text.to_string()));
        Some(event)
    }
}

/// A TOML datetime value for an RFC 3339 or plain-date text, else the text as a string.
pub fn datetime(text: &str) -> Value {
    text.parse::<toml::value::Datetime>()
        .map_or_else(|_| Value::String(text.to_string()), Value::Datetime)
}

fn read_action_items(
    lines: &[&str],
    range: std::ops::Range<usize>,
    code: &[bool],
    removed: &mut [bool],
    items: &mut Vec<Table>,
    notes: &mut Notes,
) -> Vec<(usize, String)> {
    // A converted table's header line becomes a comment saying where its rows went.
    let mut header_comments = Vec::new();
    let mut i = range.start;
    while i < range.end {
        if code[i] {
            i += 1;
            continue;
        }
        let line = lines[i].trim();
        if line.starts_with('|') {
            let end = (i..range.end)
                .find(|&j| !lines[j].trim().starts_with('|'))
                .unwrap_or(range.end);
            match table_items(&lines[i..end]) {
                Ok(found) => {
                    items.extend(found);
                    removed[i + 1..end].iter_mut().for_each(|r| *r = true);
                    header_comments.push((i, cells(lines[i]).join(" | ")));
                }
                Err(why) => notes
                    .left_as_text
                    .push(format!("the table on line {}: {why}", i + 1)),
            }
            i = end;
            continue;
        }
        if let Some(item) = ITEM.captures(lines[i])
            && item[1].is_empty()
            && let Some(parsed) = list_item(&item[2])
        {
            items.push(parsed);
            removed[i] = true;
        }
        i += 1;
    }
    header_comments
}

/// `[x] [alice] Add an alert (due 2024-03-01) [OPS-12](https://...)` as an action item.
fn list_item(content: &str) -> Option<Table> {
    let mut item = Table::new();
    let mut text = content.trim().to_string();
    if let Some(task) = TASK.captures(&text.clone()) {
        let done = !task[1].trim().is_empty();
        item.insert(
            "status".into(),
            Value::String(if done { "done" } else { "open" }.into()),
        );
        text = task[2].to_string();
    }
    if let Some(c) = OWNER_BRACKET.captures(&text.clone()) {
        item.insert("owner".into(), Value::String(c[1].trim().to_string()));
        text = c[2].to_string();
    } else if let Some(c) = OWNER_WORD.captures(&text.clone()) {
        item.insert("owner".into(), Value::String(c[1].trim().to_string()));
        text = text.replace(&c[0], " ");
    } else if let Some(c) = OWNER_AT.captures(&text.clone()) {
        item.insert(
            "owner".into(),
            Value::String(c[1].trim_end_matches('.').to_string()),
        );
        // `@carol Fix it` names its owner first: the title is the rest. Inside a sentence
        // (`ask @carol to ...`) the name is one of its words.
        let mention = format!("@{}", &c[1]);
        text = match text.trim_start().strip_prefix(&mention) {
            Some(rest) => rest.to_string(),
            None => text.replacen(&mention, &c[1], 1),
        };
    }
    if let Some(c) = DUE.captures(&text.clone())
        && c[2] == c[4]
    {
        let day = format!("{}-{:0>2}-{:0>2}", &c[1], &c[3], &c[5]);
        if NaiveDate::parse_from_str(&day, "%Y-%m-%d").is_ok() {
            item.insert("due".into(), datetime(&day));
            text = text.replace(&c[0], " ");
        }
    }
    if let Some(c) = LINK.captures(&text.clone()) {
        item.insert("ticket".into(), Value::String(c[2].to_string()));
        text = text.replace(&c[0], &c[1]);
    } else if let Some(c) = BARE_URL.captures(&text.clone()) {
        item.insert("ticket".into(), Value::String(c[1].to_string()));
        text = text.replace(&c[0], " ");
    }
    let title = tidy_title(&text);
    if title.is_empty() {
        return None;
    }
    item.insert("title".into(), Value::String(title));
    Some(item)
}

/// The words left of an item once its owner, due date and ticket are taken out: without
/// the separators and empty brackets those leave at its ends. A bracket that closes one
/// opened in the title (`Retry (with backoff)`, `[a link](https://...)`) stays.
fn tidy_title(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut title = words.join(" ").replace("()", "");
    loop {
        let trimmed =
            title.trim_matches(|c: char| c.is_whitespace() || matches!(c, '-' | '–' | '—' | ',' | ';'));
        let trimmed = trimmed
            .strip_suffix('(')
            .or_else(|| trimmed.strip_prefix(')'))
            .or_else(|| trimmed.strip_prefix('(').filter(|rest| !rest.contains(')')))
            .or_else(|| trimmed.strip_suffix(')').filter(|rest| !rest.contains('(')))
            .unwrap_or(trimmed);
        if trimmed.len() == title.len() {
            return title;
        }
        title = trimmed.to_string();
    }
}

/// Which action-item key a table column feeds.
fn column(header: &str) -> Option<&'static str> {
    let h = normalize(header);
    Some(match h.as_str() {
        "action item" | "action items" | "action" | "item" | "task" | "title" | "description" | "what" => {
            "title"
        }
        "owner" | "owners" | "assignee" | "who" => "owner",
        "due" | "due date" | "deadline" | "target date" | "by" => "due",
        "ticket" | "bug" | "issue" | "jira" | "link" | "tracking" | "tracking bug" => "ticket",
        "status" | "done" | "state" => "status",
        "priority" | "pri" => "priority",
        "type" | "kind" => "type",
        _ => return None,
    })
}

fn cells(row: &str) -> Vec<String> {
    let row = row.trim().trim_start_matches('|');
    let row = row.strip_suffix('|').unwrap_or(row);
    row.split('|').map(|c| c.trim().to_string()).collect()
}

/// The rows of an action-item table, or why it stays as written.
fn table_items(rows: &[&str]) -> Result<Vec<Table>, String> {
    let header = cells(rows.first().ok_or("empty")?);
    let keys: Vec<Option<&str>> = header.iter().map(|h| column(h)).collect();
    if let Some(unknown) = header.iter().zip(&keys).find(|(_, k)| k.is_none()) {
        return Err(format!("its column \"{}\" has no action-item field", unknown.0));
    }
    if !keys.contains(&Some("title")) {
        return Err("it has no column naming the action".into());
    }
    let mut items = Vec::new();
    for row in rows.iter().skip(1) {
        let values = cells(row);
        if values
            .iter()
            .all(|v| v.chars().all(|c| matches!(c, '-' | ':' | ' ')))
        {
            continue;
        }
        let mut item = Table::new();
        let mut extra_words = Vec::new();
        for (key, value) in keys.iter().flatten().zip(&values) {
            if value.is_empty() {
                continue;
            }
            match *key {
                "title" => {
                    item.insert("title".into(), Value::String(value.clone()));
                }
                "due" => match date_in(value) {
                    Some(d) => {
                        item.insert("due".into(), datetime(&d.to_string()));
                    }
                    None => extra_words.push(format!("due: {value}")),
                },
                "ticket" => {
                    let url = LINK
                        .captures(value)
                        .map(|c| c[2].to_string())
                        .or_else(|| BARE_URL.captures(value).map(|c| c[1].to_string()));
                    match url {
                        Some(url) => {
                            if let Some(c) = LINK.captures(value) {
                                extra_words.push(c[1].to_string());
                            }
                            item.insert("ticket".into(), Value::String(url));
                        }
                        None => {
                            item.insert("ticket".into(), Value::String(value.clone()));
                        }
                    }
                }
                "status" => match status(value) {
                    Some(s) => {
                        item.insert("status".into(), Value::String(s.into()));
                    }
                    None => extra_words.push(format!("status: {value}")),
                },
                "owner" => {
                    // A mention exported as a link to the person's page: the name.
                    let name = LINK_ANY
                        .captures(value)
                        .filter(|c| c[0].len() == value.len())
                        .map_or(value.as_str(), |c| c.get(1).map_or("", |m| m.as_str()));
                    item.insert(
                        "owner".into(),
                        Value::String(name.trim_start_matches('@').to_string()),
                    );
                }
                other => {
                    item.insert(other.into(), Value::String(value.to_lowercase()));
                }
            }
        }
        let Some(Value::String(title)) = item.get_mut("title") else {
            return Err("a row has no action".into());
        };
        for words in extra_words {
            title.push_str(&format!(" ({words})"));
        }
        items.push(item);
    }
    Ok(items)
}

fn status(cell: &str) -> Option<&'static str> {
    Some(match normalize(cell).as_str() {
        "done" | "complete" | "completed" | "closed" | "fixed" | "resolved" | "yes" | "x" => "done",
        "" if cell.contains('✅') || cell.contains('✔') => "done",
        "open" | "todo" | "to do" | "not started" | "no" | "pending" | "planned" => "open",
        "in progress" | "started" | "ongoing" | "doing" => "in_progress",
        "won t do" | "wont do" | "wontfix" | "won t fix" | "cancelled" | "canceled" => "wont_do",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(stem: &str) -> Known<'_> {
        Known {
            title: None,
            date: None,
            offset: None,
            file_stem: stem,
            timeline: true,
            action_items: true,
        }
    }

    #[test]
    fn times_roll_past_midnight_in_the_headings_zone() {
        let body = "# DB failover\n\n## Timeline (PST)\n\n- 23:50 alert fired\n- 00:10 failover done\n";
        let inferred = infer(body, &known("2024-03-08-db"), &mut Notes::default());
        let at: Vec<String> = inferred.timeline.iter().map(|e| e["at"].to_string()).collect();
        assert_eq!(at, ["2024-03-08T23:50:00-08:00", "2024-03-09T00:10:00-08:00"]);
        assert_eq!(inferred.title.as_deref(), Some("DB failover"));
        assert!(!inferred.body.contains("alert fired"));
    }

    #[test]
    fn sre_style_dated_times_and_colons() {
        let body = "## Timeline\n\n- 2018-02-13 16:37:31 UTC Paged\n- 11:16 ::::: retry\n- 19:26 UTC - x\n";
        let inferred = infer(body, &known("x"), &mut Notes::default());
        let texts: Vec<&str> = inferred
            .timeline
            .iter()
            .map(|e| e["text"].as_str().unwrap())
            .collect();
        assert_eq!(texts, ["Paged", "retry", "x"]);
        assert_eq!(inferred.timeline[1]["at"].to_string(), "2018-02-14T11:16:00Z");
    }

    #[test]
    fn task_list_items_carry_owner_due_and_ticket() {
        let item = list_item("[x] [alice] Add an alert (due 2024-03-01) [OPS-12](https://t.example/OPS-12)")
            .unwrap();
        assert_eq!(item["status"].as_str(), Some("done"));
        assert_eq!(item["owner"].as_str(), Some("alice"));
        assert_eq!(item["due"].to_string(), "2024-03-01");
        assert_eq!(item["ticket"].as_str(), Some("https://t.example/OPS-12"));
        assert_eq!(item["title"].as_str(), Some("Add an alert OPS-12"));
    }

    #[test]
    fn a_paragraph_before_the_first_section_is_the_summary() {
        let known = Known {
            title: Some("Billing late"),
            ..known("2021-02-09-billing")
        };
        let inferred = infer(
            "The batch stalled.\n\n## Action items\n\n- [ ] Fix it\n",
            &known,
            &mut Notes::default(),
        );
        assert_eq!(inferred.summary.as_deref(), Some("The batch stalled."));
    }

    #[test]
    fn dates_in_names_titles_and_words() {
        assert_eq!(date_in("20180213-gcs"), NaiveDate::from_ymd_opt(2018, 2, 13));
        assert_eq!(date_in("on March 8th, 2024"), NaiveDate::from_ymd_opt(2024, 3, 8));
        assert_eq!(date_in("8 March 2024"), NaiveDate::from_ymd_opt(2024, 3, 8));
        assert_eq!(date_in("no date"), None);
    }

    #[test]
    fn links_to_no_heading_of_the_page_become_their_text() {
        let mut notes = Notes::default();
        let body = "## Details\n\nSee [the details](#details) and [the plan](#plan).\
                    Queue *hot*[\\[a\\]](#cmnt1) and [`x`](#gone).\n";
        let out = unlink_missing_anchors(body, &mut notes);
        assert_eq!(
            out,
            "## Details\n\nSee [the details](#details) and the plan.Queue *hot*\\[a\\] and `x`.\n"
        );
        assert_eq!(notes.left_as_text.len(), 3, "{:?}", notes.left_as_text);
        let outline = crate::content::markdown::scan(&out, 0);
        assert_eq!(outline.links.len(), 1);
    }

    #[test]
    fn an_items_title_keeps_its_own_brackets_and_loses_its_owner_and_due() {
        let item = list_item("[x] [alice] Done thing (due 2024/03/09)").unwrap();
        assert_eq!(item["title"].as_str(), Some("Done thing"));
        assert_eq!(item["due"].to_string(), "2024-03-09");
        let item = list_item(
            "[ ] @carol Retry with [link one](https://a.example/1) and [link two](https://b.example/2)",
        )
        .unwrap();
        assert_eq!(item["owner"].as_str(), Some("carol"));
        assert_eq!(
            item["title"].as_str(),
            Some("Retry with link one and [link two](https://b.example/2)")
        );
        let item = list_item("ask @carol to page (the right team)").unwrap();
        assert_eq!(item["title"].as_str(), Some("ask carol to page (the right team)"));
        assert_eq!(tidy_title(" - (Add an alert ; "), "Add an alert");
        assert_eq!(tidy_title("Add an alert ( "), "Add an alert");
        let items = table_items(&[
            "| Action | Owner |",
            "|---|---|",
            "| Fix it | [Jane Doe](/display/~jdoe) |",
        ])
        .unwrap();
        assert_eq!(items[0]["owner"].as_str(), Some("Jane Doe"));
    }

    #[test]
    fn a_summary_is_what_a_reader_sees_of_its_paragraph() {
        assert_eq!(
            plain_text(
                "Latency rose to **12 s**; see [the graph](javascript:alert(1)) and `p99`. ![x](data:x)"
            ),
            "Latency rose to 12 s; see the graph and p99. x"
        );
    }
}
