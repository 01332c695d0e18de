//! `pmsite search` output: for a terminal, and as JSON for bots (a PR bot that comments
//! "past incidents on this service").

use std::io::{self, Write};

use chrono::NaiveDate;
use serde::Serialize;

use super::{Expansion, Filters, Found, Hit, Match, Order, UnknownFilter};

/// The version of the JSON shape. Bump it on any incompatible change.
pub const JSON_VERSION: u32 = 1;

#[derive(Serialize)]
struct JsonResults<'a> {
    version: u32,
    query: &'a str,
    filters: JsonFilters<'a>,
    sort: Order,
    total: usize,
    /// The query's words that are not words of the archive, and what they stood for.
    expanded: &'a [Expansion],
    hits: Vec<JsonHit<'a>>,
}

#[derive(Serialize)]
struct JsonFilters<'a> {
    services: &'a [String],
    teams: &'a [String],
    severities: &'a [String],
    root_causes: &'a [String],
    tags: &'a [String],
    since: Option<String>,
}

#[derive(Serialize)]
struct JsonHit<'a> {
    #[serde(flatten)]
    hit: &'a Hit,
    /// The page, at the section the snippet comes from.
    section_url: String,
}

pub fn print_json(
    out: &mut dyn Write,
    query: &str,
    filters: &Filters,
    since: Option<NaiveDate>,
    sort: Order,
    found: &Found,
) -> io::Result<()> {
    let results = JsonResults {
        version: JSON_VERSION,
        query,
        filters: JsonFilters {
            services: &filters.services,
            teams: &filters.teams,
            severities: &filters.severities,
            root_causes: &filters.root_causes,
            tags: &filters.tags,
            since: since.map(|d| d.format("%Y-%m-%d").to_string()),
        },
        sort,
        total: found.total,
        expanded: &found.expansions,
        hits: found
            .hits
            .iter()
            .map(|hit| JsonHit {
                hit,
                section_url: section_url(hit),
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &results)?;
    writeln!(out)
}

fn section_url(hit: &Hit) -> String {
    match &hit.snippet {
        Some(s) if !s.section.is_empty() => format!("{}#{}", hit.url, s.section),
        _ => hit.url.clone(),
    }
}

/// A filter value the archive does not have, for bots: `{"version": 1, "error": {...}}`.
pub fn print_json_error(out: &mut dyn Write, message: &str, unknown: &UnknownFilter) -> io::Result<()> {
    #[derive(Serialize)]
    struct JsonError<'a> {
        message: &'a str,
        hint: String,
        #[serde(flatten)]
        unknown: &'a UnknownFilter,
    }
    let error = JsonError {
        message,
        hint: unknown.hint(),
        unknown,
    };
    serde_json::to_writer_pretty(
        &mut *out,
        &serde_json::json!({ "version": JSON_VERSION, "error": error }),
    )?;
    writeln!(out)
}

/// What the answer says about the query's words that are not words of the archive, a
/// sentence each: the same sentences as the browser's status line (`notes` in
/// search.js). A word matched as a prefix or with a typo is named only when something
/// matched: never a correction that finds nothing.
pub fn notes(expansions: &[Expansion], total: usize) -> Vec<String> {
    const SHOWN: usize = 5;
    let list = |words: &[String]| {
        let shown = words[..words.len().min(SHOWN)].join(", ");
        match words.len().saturating_sub(SHOWN) {
            0 => shown,
            more => format!("{shown} and {more} more"),
        }
    };
    expansions
        .iter()
        .filter(|e| total > 0 || e.how == Match::None)
        .map(|e| match e.how {
            Match::Prefix => format!("\"{}\" matched {}.", e.word, list(&e.words)),
            Match::Typo => format!(
                "Showing results for {} instead of \"{}\".",
                list(&e.words),
                e.word
            ),
            Match::None | Match::Exact => format!("No incident has \"{}\".", e.word),
        })
        .collect()
}

pub fn print_human(
    out: &mut dyn Write,
    query: &str,
    found: &Found,
    docs: u64,
    styled: bool,
) -> io::Result<()> {
    let Found { total, hits, .. } = found;
    let total = *total;
    let bold = anstyle::Style::new().bold();
    let mark = anstyle::Style::new()
        .bold()
        .fg_color(Some(anstyle::AnsiColor::Yellow.into()));
    let dim = anstyle::Style::new().dimmed();
    let paint = |style: anstyle::Style, text: &str| {
        if styled {
            format!("{style}{text}{style:#}")
        } else {
            text.to_string()
        }
    };
    let what = if query.trim().is_empty() {
        "incidents".to_string()
    } else {
        format!("incidents match \"{query}\"")
    };
    let notes = notes(&found.expansions, total).join(" ");
    if hits.is_empty() {
        writeln!(out, "No {what} (searched {docs}).")?;
        if !notes.is_empty() {
            writeln!(out, "{notes}")?;
        }
        return Ok(());
    }
    if !notes.is_empty() {
        writeln!(out, "{}", paint(dim, &notes))?;
    }
    writeln!(
        out,
        "{total} of {docs} {what}{}:\n",
        if total > hits.len() {
            format!(", showing {}", hits.len())
        } else {
            String::new()
        }
    )?;
    for (n, hit) in hits.iter().enumerate() {
        writeln!(
            out,
            "{:>2}. {} {}  {}",
            n + 1,
            paint(bold, &format!("[{}]", hit.severity)),
            hit.date,
            paint(bold, &hit.title)
        )?;
        let mut labels: Vec<&str> = hit.services.iter().map(String::as_str).collect();
        labels.extend(hit.root_causes.iter().map(String::as_str));
        if !labels.is_empty() {
            writeln!(out, "    {}", paint(dim, &labels.join(", ")))?;
        }
        writeln!(out, "    {}", section_url(hit))?;
        match &hit.snippet {
            Some(snippet) => {
                let mut text = String::new();
                let mut at = 0;
                for &(start, end) in &snippet.highlights {
                    if start < at
                        || end > snippet.text.len()
                        || !snippet.text.is_char_boundary(start)
                        || !snippet.text.is_char_boundary(end)
                    {
                        continue;
                    }
                    text.push_str(&snippet.text[at..start]);
                    text.push_str(&if styled {
                        paint(mark, &snippet.text[start..end])
                    } else {
                        format!("[{}]", &snippet.text[start..end])
                    });
                    at = end;
                }
                text.push_str(&snippet.text[at..]);
                let section = if snippet.section_title.is_empty() {
                    String::new()
                } else {
                    format!("{}: ", snippet.section_title)
                };
                writeln!(out, "    {}…{}…", paint(dim, &section), text.trim())?;
            }
            None => writeln!(out, "    {}", hit.summary)?,
        }
        writeln!(out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expansion(word: &str, how: Match, words: &[&str]) -> Expansion {
        Expansion {
            word: word.into(),
            how,
            words: words.iter().map(|w| w.to_string()).collect(),
        }
    }

    #[test]
    fn notes_say_what_was_done_and_never_offer_a_correction_that_finds_nothing() {
        let read = [
            expansion("cert", Match::Prefix, &["certificate", "certified"]),
            expansion("lcok", Match::Typo, &["lock"]),
            expansion("zzz", Match::None, &[]),
        ];
        assert_eq!(
            notes(&read, 3),
            [
                "\"cert\" matched certificate, certified.",
                "Showing results for lock instead of \"lcok\".",
                "No incident has \"zzz\"."
            ]
        );
        assert_eq!(notes(&read, 0), ["No incident has \"zzz\"."]);
        let many = expansion("a", Match::Prefix, &["a1", "a2", "a3", "a4", "a5", "a6", "a7"]);
        assert_eq!(
            notes(&[many], 1),
            ["\"a\" matched a1, a2, a3, a4, a5 and 2 more."]
        );
    }
}
