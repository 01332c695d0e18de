//! What templates see. Everything a page shows is computed here, in Rust, so templates stay
//! simple to read and to override: they lay out values, they do not compute them.
//!
//! URLs in views are site paths (`incidents/x/`); templates prefix them with `root`, the
//! relative way back to the site root from the current page.

use chrono::NaiveDate;
use serde::Serialize;

use crate::content::moment::{Moment, human_duration};
use crate::content::{ActionItem, ActionStatus, Postmortem};
use crate::site::{Site, TaxonomyKind, url};

/// A postmortem as a row of a list.
#[derive(Clone, Debug, Serialize)]
pub struct Item {
    pub id: String,
    pub title: String,
    pub url: String,
    pub severity: String,
    pub severity_url: String,
    pub severity_rank: usize,
    pub date: String,
    pub date_machine: String,
    pub year: i32,
    pub summary: String,
    pub services: Vec<TermLink>,
    pub status: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct TermLink {
    pub name: String,
    pub url: String,
}

pub fn items(site: &Site<'_>) -> Vec<Item> {
    site.postmortems
        .iter()
        .map(|pm| Item {
            id: pm.id.clone(),
            title: pm.title.clone(),
            url: url::incident(&pm.id),
            severity: pm.severity.clone(),
            severity_url: term_url(site, TaxonomyKind::Severity, &pm.severity),
            severity_rank: pm.severity_rank,
            date: pm.started_at.date().format("%Y-%m-%d").to_string(),
            date_machine: pm.started_at.machine(),
            year: pm.started_at.year(),
            summary: pm.summary.clone(),
            services: term_links(site, TaxonomyKind::Service, &pm.services),
            status: status_label(pm),
        })
        .collect()
}

pub fn status_label(pm: &Postmortem) -> &'static str {
    match pm.status {
        crate::content::Status::Draft => "draft",
        crate::content::Status::InReview => "in review",
        crate::content::Status::Published => "published",
    }
}

pub fn term_url(site: &Site<'_>, kind: TaxonomyKind, value: &str) -> String {
    let taxonomy = site.taxonomy(kind);
    taxonomy
        .term_for(value)
        .map_or_else(|| format!("{}/", kind.path()), |t| taxonomy.term_path(t))
}

pub fn term_links(site: &Site<'_>, kind: TaxonomyKind, values: &[String]) -> Vec<TermLink> {
    values
        .iter()
        .map(|v| TermLink {
            name: v.clone(),
            url: term_url(site, kind, v),
        })
        .collect()
}

/// Everything the incident page shows beyond the raw front matter (which it gets as `pm`).
#[derive(Debug, Serialize)]
pub struct Incident<'a> {
    pub item: &'a Item,
    pub severity_description: Option<String>,
    pub status: &'static str,
    pub visibility: &'static str,
    pub times: Vec<Fact>,
    pub durations: Vec<Fact>,
    pub services: Vec<TermLink>,
    pub teams: Vec<TermLink>,
    pub tags: Vec<TermLink>,
    pub root_causes: Vec<TermLink>,
    pub impact: Vec<Fact>,
    pub impact_description: Option<String>,
    pub timeline: Vec<TimelineRow>,
    pub toc: Vec<TocEntry>,
    pub body_html: String,
    pub action_items: Vec<ActionRow>,
    pub action_summary: ActionSummary,
    pub related: Vec<&'a Item>,
    pub backlinks: Vec<&'a Item>,
    pub recurrence_chain: Vec<ChainLink<'a>>,
    pub same: Vec<SameGroup<'a>>,
    pub similar: Vec<SimilarLink<'a>>,
}

#[derive(Debug, Serialize)]
pub struct SimilarLink<'a> {
    pub item: &'a Item,
    pub reasons: &'a [String],
}

#[derive(Debug, Serialize)]
pub struct Fact {
    pub label: &'static str,
    pub value: String,
    /// Machine-readable form for `<time datetime>` / `<data value>`, when there is one.
    pub machine: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct TimelineRow {
    pub at: String,
    pub at_machine: String,
    pub kind: String,
    pub text: String,
}

#[derive(Debug, Serialize)]
pub struct TocEntry {
    pub level: u8,
    pub text: String,
    pub id: String,
}

#[derive(Debug, Serialize)]
pub struct ActionRow {
    pub title: String,
    pub owner: Option<String>,
    pub due: Option<String>,
    pub status: &'static str,
    pub status_class: &'static str,
    pub priority: Option<String>,
    pub kind: Option<String>,
    pub ticket_label: Option<String>,
    pub ticket_url: Option<String>,
    pub completed: Option<String>,
    pub overdue: bool,
    pub days_overdue: i64,
}

#[derive(Debug, Default, Serialize)]
pub struct ActionSummary {
    pub total: usize,
    pub done: usize,
    pub pending: usize,
    pub overdue: usize,
}

#[derive(Debug, Serialize)]
pub struct ChainLink<'a> {
    pub item: &'a Item,
    pub current: bool,
}

/// "Other incidents with root cause X": a few recent ones and a link to all.
#[derive(Debug, Serialize)]
pub struct SameGroup<'a> {
    pub label: &'static str,
    pub term: TermLink,
    pub items: Vec<&'a Item>,
    pub total: usize,
}

const SAME_GROUP_SIZE: usize = 5;

pub fn incident<'a>(site: &'a Site<'_>, index: usize, items: &'a [Item], body_html: String) -> Incident<'a> {
    let pm = site.postmortems[index];
    let times = [
        ("Started", Some(pm.started_at)),
        ("Detected", pm.detected_at),
        ("Mitigated", pm.mitigated_at),
        ("Resolved", pm.resolved_at),
    ]
    .into_iter()
    .filter_map(|(label, moment)| moment.map(|m| moment_fact(label, &m)))
    .collect();
    let durations = [
        ("Time to detect", pm.detected_at),
        ("Time to mitigate", pm.mitigated_at),
        ("Time to resolve", pm.resolved_at),
    ]
    .into_iter()
    .filter_map(|(label, end)| {
        let delta = pm.started_at.until(&end?)?;
        Some(Fact {
            label,
            value: human_duration(delta),
            machine: Some(format!("PT{}M", delta.num_minutes())),
        })
    })
    .collect();

    let (action_items, action_summary) = action_rows(&pm.action_items, site.selection.today);
    let related = site.related(pm).into_iter().map(|i| &items[i]).collect();
    let backlinks = site.backlinks[index].iter().map(|&i| &items[i]).collect();
    let recurrence_chain = site.recurrence_chains[index]
        .iter()
        .map(|&i| ChainLink {
            item: &items[i],
            current: i == index,
        })
        .collect();

    let mut same = Vec::new();
    for (kind, label, values) in [
        (TaxonomyKind::RootCause, "Root cause", &pm.root_causes),
        (TaxonomyKind::Service, "Service", &pm.services),
    ] {
        let taxonomy = site.taxonomy(kind);
        for value in values {
            let Some(term) = taxonomy.term_for(value) else {
                continue;
            };
            let others: Vec<&Item> = term
                .members
                .iter()
                .filter(|&&i| i != index)
                .take(SAME_GROUP_SIZE)
                .map(|&i| &items[i])
                .collect();
            if others.is_empty() {
                continue;
            }
            same.push(SameGroup {
                label,
                term: TermLink {
                    name: term.name.clone(),
                    url: taxonomy.term_path(term),
                },
                items: others,
                total: term.members.len() - 1,
            });
        }
    }

    Incident {
        item: &items[index],
        severity_description: site
            .config
            .severity(&pm.severity)
            .map(|(_, s)| s.description.clone())
            .filter(|d| !d.is_empty()),
        status: status_label(pm),
        visibility: match pm.visibility {
            crate::content::Visibility::Public => "public",
            crate::content::Visibility::Internal => "internal",
            crate::content::Visibility::Restricted => "restricted",
        },
        times,
        durations,
        services: term_links(site, TaxonomyKind::Service, &pm.services),
        teams: term_links(site, TaxonomyKind::Team, &pm.teams),
        tags: term_links(site, TaxonomyKind::Tag, &pm.tags),
        root_causes: term_links(site, TaxonomyKind::RootCause, &pm.root_causes),
        impact: impact_facts(pm, &site.config.currency),
        impact_description: pm.impact.description.clone(),
        timeline: pm
            .timeline
            .iter()
            .map(|e| TimelineRow {
                at: e.at.human(),
                at_machine: e.at.machine(),
                kind: serde_plain(&e.kind),
                text: e.text.clone(),
            })
            .collect(),
        toc: pm
            .source
            .outline
            .headings
            .iter()
            .filter(|h| (2..=3).contains(&h.level))
            .map(|h| TocEntry {
                level: h.level,
                text: h.text.clone(),
                id: h.id.clone(),
            })
            .collect(),
        body_html,
        action_items,
        action_summary,
        related,
        backlinks,
        recurrence_chain,
        same,
        similar: site.similar.get(index).map_or_else(Vec::new, |list| {
            list.iter()
                .map(|s| SimilarLink {
                    item: &items[s.index],
                    reasons: &s.reasons,
                })
                .collect()
        }),
    }
}

fn moment_fact(label: &'static str, moment: &Moment) -> Fact {
    Fact {
        label,
        value: moment.human(),
        machine: Some(moment.machine()),
    }
}

fn impact_facts(pm: &Postmortem, currency: &str) -> Vec<Fact> {
    let impact = &pm.impact;
    let yes_no = |b: bool| if b { "Yes" } else { "No" }.to_string();
    let mut facts = Vec::new();
    let mut push = |label, value: Option<String>| {
        if let Some(value) = value {
            facts.push(Fact {
                label,
                value,
                machine: None,
            });
        }
    };
    push(
        "Users affected",
        impact.users_affected.map(|n| thousands(n as f64)),
    );
    push(
        "Revenue lost",
        impact
            .revenue_lost
            .map(|n| format!("{} {currency}", thousands(n))),
    );
    push(
        "Requests failed",
        impact.requests_failed_pct.map(|p| format!("{} %", trim_float(p))),
    );
    push("Customer-facing", impact.customer_facing.map(yes_no));
    push("SLO breached", impact.slo_breached.map(yes_no));
    push("Data loss", impact.data_loss.map(yes_no));
    facts
}

/// Action items as rows, and counts, relative to `today` for "overdue".
pub fn action_rows(items: &[ActionItem], today: NaiveDate) -> (Vec<ActionRow>, ActionSummary) {
    let mut summary = ActionSummary {
        total: items.len(),
        ..ActionSummary::default()
    };
    let rows = items
        .iter()
        .map(|a| {
            let row = action_row(a, crate::site::ledger::days_overdue(a, today));
            if a.status == ActionStatus::Done {
                summary.done += 1;
            }
            if a.status.is_pending() {
                summary.pending += 1;
            }
            if row.overdue {
                summary.overdue += 1;
            }
            row
        })
        .collect();
    (rows, summary)
}

/// One action item as a row; `days_overdue` as `site::ledger::days_overdue` gives it (the
/// ledger keeps it on each entry).
pub fn action_row(a: &ActionItem, days_overdue: i64) -> ActionRow {
    let (status, status_class) = match a.status {
        ActionStatus::Open => ("Open", "open"),
        ActionStatus::InProgress => ("In progress", "in-progress"),
        ActionStatus::Done => ("Done", "done"),
        ActionStatus::WontDo => ("Won't do", "wont-do"),
    };
    ActionRow {
        title: a.title.clone(),
        owner: a.owner.clone(),
        due: a.due.map(|d| d.format("%Y-%m-%d").to_string()),
        status,
        status_class,
        priority: a.priority.map(|p| format!("{p:?}")),
        kind: a.kind.map(|k| serde_plain(&k)),
        ticket_label: a.ticket.as_ref().map(|t| t.label.clone()),
        ticket_url: a.ticket.as_ref().and_then(|t| t.url.clone()),
        completed: a.completed.map(|d| d.format("%Y-%m-%d").to_string()),
        overdue: days_overdue > 0,
        days_overdue,
    }
}

/// An enum's serde name (`in_progress`), for display and CSS classes.
pub fn serde_plain<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// `45000` -> `45,000`; `1234.5` -> `1,234.5`.
pub fn thousands(n: f64) -> String {
    let whole = n.trunc() as u64;
    let digits = whole.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    let fraction = n - n.trunc();
    if fraction > 0.0 {
        let f = trim_float((fraction * 100.0).round() / 100.0);
        out.push_str(f.trim_start_matches('0'));
    }
    out
}

/// At most two decimals, trailing zeros dropped: short and stable (numbers in text, and
/// the charts' SVG coordinates).
pub fn trim_float(n: f64) -> String {
    let s = format!("{n:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(45000.0), "45,000");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(1234567.0), "1,234,567");
        assert_eq!(thousands(1234.5), "1,234.5");
        assert_eq!(trim_float(12.50), "12.5");
        assert_eq!(trim_float(100.0), "100");
    }

    #[test]
    fn overdue_is_relative_to_the_build_date() {
        let item = |status, due: &str| ActionItem {
            title: "t".into(),
            owner: None,
            due: NaiveDate::parse_from_str(due, "%Y-%m-%d").ok(),
            status,
            priority: None,
            kind: None,
            ticket: None,
            completed: None,
            team: None,
            service: None,
        };
        let today = NaiveDate::from_ymd_opt(2024, 5, 10).unwrap();
        let items = [
            item(ActionStatus::Open, "2024-05-01"),
            item(ActionStatus::InProgress, "2024-05-10"),
            item(ActionStatus::Done, "2024-01-01"),
            item(ActionStatus::WontDo, "2024-01-01"),
        ];
        let (rows, summary) = action_rows(&items, today);
        assert_eq!(
            rows.iter().map(|r| r.days_overdue).collect::<Vec<_>>(),
            [9, 0, 0, 0]
        );
        assert_eq!(
            (summary.total, summary.done, summary.pending, summary.overdue),
            (4, 1, 2, 1)
        );
    }
}
