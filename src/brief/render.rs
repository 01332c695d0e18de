//! A brief as Markdown (a pull-request comment), JSON (docs/BRIEF.md) or text for a
//! terminal. Pure functions of the [`Brief`]: the same brief gives the same bytes.

use std::fmt::Write;

use super::{Brief, IncidentFacts, ServiceFacts};
use crate::content::moment::human_duration;

/// The first line of every Markdown brief: a bot finds its own comment by it and updates
/// it instead of adding another.
pub const MARKER: &str = "<!-- pmsite-brief -->";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Json,
    Human,
}

pub fn render(brief: &Brief, format: Format) -> String {
    match format {
        Format::Markdown => markdown(brief),
        Format::Json => {
            let mut json = serde_json::to_string_pretty(brief).unwrap_or_default();
            json.push('\n');
            json
        }
        Format::Human => human(brief),
    }
}

/// The line that says the change touches nothing the archive knows, or `None`.
fn nothing_touched(brief: &Brief) -> Option<String> {
    if !brief.services.is_empty() {
        return None;
    }
    let paths = brief.change.paths;
    Some(format!(
        "This change touches no service mapped in the incident archive ({paths} changed path{}).",
        plural(paths)
    ))
}

fn markdown(brief: &Brief) -> String {
    let mut out = format!("{MARKER}\n");
    if let Some(line) = nothing_touched(brief) {
        out.push_str(&line);
        out.push('\n');
        return out;
    }
    let _ = writeln!(out, "### Before you merge: what the incident archive says\n");
    out.push_str("This change touches:\n\n");
    for s in &brief.services {
        let _ = writeln!(out, "- **{}**: {}", md(&s.name), service_line(s));
    }
    out.push('\n');
    if !brief.incidents.is_empty() {
        let _ = writeln!(out, "**Past incidents to read first**\n");
        for (n, incident) in brief.incidents.iter().enumerate() {
            let _ = writeln!(
                out,
                "{}. [{}]({}) · {} · {}{}  \n   {}",
                n + 1,
                md(&incident.title),
                incident.url,
                md(&incident.severity),
                incident.date,
                causes_suffix(incident, md),
                md(&incident.summary)
            );
        }
        out.push('\n');
    }
    if brief.open_action_items > 0 {
        let _ = writeln!(out, "{}\n", actions_line(brief));
    }
    if !brief.lessons.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>Lessons learned and what went wrong ({} incident{})</summary>\n",
            brief.lessons.len(),
            plural(brief.lessons.len())
        );
        for incident in &brief.lessons {
            let _ = writeln!(out, "- [{}]({})", md(&incident.title), incident.url);
            for lesson in &incident.lessons {
                let _ = writeln!(
                    out,
                    "  - [{}]({}): {}",
                    lesson.lesson.kind.label(),
                    lesson.url,
                    md(&lesson.lesson.text)
                );
            }
        }
        out.push_str("\n</details>\n\n");
    }
    if !brief.recurring_root_causes.is_empty() || !brief.recurring_contributing_factors.is_empty() {
        out.push_str("<details><summary>Recurring root causes and contributing factors</summary>\n\n");
        for (label, tallies) in [
            ("Root causes", &brief.recurring_root_causes),
            ("Contributing factors", &brief.recurring_contributing_factors),
        ] {
            if !tallies.is_empty() {
                let list: Vec<String> = tallies
                    .iter()
                    .map(|t| format!("{} ({} incidents)", md(&t.name), t.count))
                    .collect();
                let _ = writeln!(out, "- {label}: {}", list.join(", "));
            }
        }
        out.push_str("\n</details>\n\n");
    }
    if !brief.action_items.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>Open action items: the guard rails not built yet ({})</summary>\n",
            counts_of_actions(brief)
        );
        out.push_str("| Action item | Owner | Ticket | Due | Incident |\n| --- | --- | --- | --- | --- |\n");
        for action in &brief.action_items {
            let ticket = match &action.ticket {
                Some(t) => match &t.url {
                    Some(url) => format!("[{}]({url})", md(&t.label)),
                    None => md(&t.label),
                },
                None => "—".into(),
            };
            let due = match (&action.due, action.days_overdue) {
                (Some(due), 0) => due.clone(),
                (Some(due), days) => format!("{due} (**{days} days overdue**)"),
                (None, _) => "—".into(),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {ticket} | {due} | [{}]({}) |",
                md(&action.title),
                action.owner.as_deref().map_or("—".into(), md),
                md(&action.incident),
                action.incident_url
            );
        }
        if brief.open_action_items > brief.action_items.len() {
            let _ = writeln!(
                out,
                "\nThe {} most overdue of {}.",
                brief.action_items.len(),
                brief.open_action_items
            );
        }
        out.push_str("\n</details>\n\n");
    }
    let _ = writeln!(out, "<sub>{}</sub>", footer(brief));
    out
}

fn human(brief: &Brief) -> String {
    if let Some(line) = nothing_touched(brief) {
        return format!("{line}\n");
    }
    let mut out = String::new();
    for s in &brief.services {
        let _ = writeln!(out, "{}: {}", s.name, service_line(s));
    }
    if !brief.incidents.is_empty() {
        out.push_str("\nPast incidents to read first:\n");
        for (n, incident) in brief.incidents.iter().enumerate() {
            let _ = writeln!(
                out,
                "{:>3}. {} ({}, {}){}\n     {}\n     {}",
                n + 1,
                incident.title,
                incident.severity,
                incident.date,
                causes_suffix(incident, |s| s.to_string()),
                incident.summary,
                incident.url
            );
        }
    }
    if !brief.lessons.is_empty() {
        out.push_str("\nLessons learned and what went wrong:\n");
        for incident in &brief.lessons {
            let _ = writeln!(out, "  {}", incident.title);
            for lesson in &incident.lessons {
                let _ = writeln!(out, "    {}: {}", lesson.lesson.kind.label(), lesson.lesson.text);
            }
        }
    }
    for (label, tallies) in [
        ("Recurring root causes", &brief.recurring_root_causes),
        (
            "Recurring contributing factors",
            &brief.recurring_contributing_factors,
        ),
    ] {
        if !tallies.is_empty() {
            let list: Vec<String> = tallies
                .iter()
                .map(|t| format!("{} ({})", t.name, t.count))
                .collect();
            let _ = writeln!(out, "\n{label}: {}", list.join(", "));
        }
    }
    if !brief.action_items.is_empty() {
        let _ = writeln!(out, "\nOpen action items ({}):", counts_of_actions(brief));
        for action in &brief.action_items {
            let overdue = if action.days_overdue > 0 {
                format!(", {} days overdue", action.days_overdue)
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "  - {} ({}{}{}{})",
                action.title,
                action.owner.as_deref().unwrap_or("no owner"),
                action
                    .due
                    .as_deref()
                    .map(|d| format!(", due {d}"))
                    .unwrap_or_default(),
                overdue,
                action
                    .ticket
                    .as_ref()
                    .map(|t| format!(", {}", t.label))
                    .unwrap_or_default()
            );
        }
    }
    let _ = writeln!(out, "\n{}", footer(brief));
    out
}

/// "3 published incidents, the last 45 days ago, median time to resolve 2 h 10 min".
fn service_line(s: &ServiceFacts) -> String {
    if s.incidents == 0 {
        return "no published incidents".into();
    }
    let mut line = format!("{} published incident{}", s.incidents, plural(s.incidents));
    if let (Some(date), Some(days)) = (&s.last_incident, s.days_since_last_incident) {
        let _ = write!(
            line,
            ", the last on {date} ({days} day{} ago)",
            plural(days.unsigned_abs() as usize)
        );
    }
    if let Some(minutes) = s.median_minutes_to_resolve {
        let _ = write!(
            line,
            "; median time to resolve {} ({} measured)",
            human_duration(chrono::TimeDelta::minutes(minutes)),
            s.resolve_measured
        );
    }
    line
}

fn causes_suffix(incident: &IncidentFacts, escape: impl Fn(&str) -> String) -> String {
    if incident.root_causes.is_empty() {
        return String::new();
    }
    let causes: Vec<String> = incident.root_causes.iter().map(|c| escape(c)).collect();
    format!(" · root causes: {}", causes.join(", "))
}

fn counts_of_actions(brief: &Brief) -> String {
    format!(
        "{} open, {} overdue",
        brief.open_action_items, brief.overdue_action_items
    )
}

fn actions_line(brief: &Brief) -> String {
    format!(
        "**Open action items on these services:** {} ({} overdue): see below.",
        brief.open_action_items, brief.overdue_action_items
    )
}

fn footer(brief: &Brief) -> String {
    let mut footer = format!("pmsite brief of {}", md(&brief.site.title));
    if brief.change.paths > 0 {
        let unmapped = brief.change.unmapped_paths.len();
        let _ = write!(
            footer,
            " · {} changed path{}, {unmapped} in no mapped service",
            brief.change.paths,
            plural(brief.change.paths)
        );
    }
    footer
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Text as literal Markdown on one line: the characters that could start markup are
/// escaped (a title with `[`, `*` or `<` stays a title; raw HTML never gets through).
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '~' | '!' | '&' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_titles_stays_text() {
        assert_eq!(md("a [b](c) <img> | *x*"), "a \\[b\\](c) \\<img\\> \\| \\*x\\*");
        assert_eq!(md("line\nbreak"), "line break");
    }
}
