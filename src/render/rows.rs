//! The rows that several pages show: a postmortem in a list, a link to a term, an action
//! item, a ledger entry; and how numbers read. Like every page context, computed here in
//! Rust, so templates lay out values and never compute them.
//!
//! URLs are site paths (`incidents/x/`); templates prefix them with `root`, the relative
//! way back to the site root from the current page.

use chrono::NaiveDate;
use serde::Serialize;
use serde::ser::SerializeStruct;

use crate::content::{ActionItem, ActionStatus, Postmortem};
use crate::model::Model;
use crate::site::ledger::Group;
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

/// The page of the term `value` belongs to; the taxonomy's page when it has none.
pub fn term_url(site: &Site<'_>, kind: TaxonomyKind, value: &str) -> String {
    site.taxonomy(kind)
        .term_for(value)
        .map_or_else(|| url::taxonomy(kind), |t| url::term(kind, &t.slug))
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

/// One action item in the ledger, with where it comes from.
#[derive(Debug, Serialize)]
pub struct LedgerRow<'a> {
    pub incident: &'a Item,
    pub action: ActionRow,
    pub owner: Option<TermLink>,
    pub team: Option<TermLink>,
    pub service: Option<TermLink>,
}

/// Ledger entries (indices into `Ledger::entries`) as a page lists them. A template is
/// given `by_postmortem` and the rows as [`LedgerGroup`]s (`groups`); a fingerprint, which serializes into a binary form
/// (not human-readable), each row's digest (`Renderer::ledger_digests`): the same rows
/// appear on several ledger views, team and owner pages and dossiers, and after a
/// front-matter edit every one of those pages is fingerprinted again, so each row is made
/// once, not once per page.
pub struct LedgerRows<'a> {
    pub renderer: &'a crate::render::Renderer<'a>,
    pub entries: Vec<usize>,
    /// The entries are in postmortem order (a list paged by postmortem): the page names
    /// each postmortem once, above its items, instead of on each item's row.
    pub by_postmortem: bool,
}

/// Rows a table shows together: one postmortem's items in a list by postmortem (its rows
/// then leave the postmortem out), or the whole list (`incident` none, each row naming its
/// postmortem).
#[derive(Serialize)]
pub struct LedgerGroup<'a> {
    pub incident: Option<&'a Item>,
    pub rows: Vec<LedgerRow<'a>>,
}

impl Serialize for LedgerRows<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let r = self.renderer;
        if !serializer.is_human_readable() {
            let digests = r.ledger_digests();
            let rows: Vec<u64> = self.entries.iter().map(|&i| digests[i]).collect();
            return (self.by_postmortem, rows).serialize(serializer);
        }
        let row = |i: usize| ledger_row(r.model, r.items(), i);
        let groups: Vec<LedgerGroup<'_>> = if self.by_postmortem {
            let entries = &r.model.ledger.entries;
            self.entries
                .chunk_by(|&a, &b| entries[a].postmortem == entries[b].postmortem)
                .map(|run| LedgerGroup {
                    incident: Some(&r.items()[entries[run[0]].postmortem]),
                    rows: run.iter().map(|&i| row(i)).collect(),
                })
                .collect()
        } else if self.entries.is_empty() {
            Vec::new()
        } else {
            vec![LedgerGroup {
                incident: None,
                rows: self.entries.iter().map(|&i| row(i)).collect(),
            }]
        };
        let mut s = serializer.serialize_struct("LedgerRows", 2)?;
        s.serialize_field("by_postmortem", &self.by_postmortem)?;
        s.serialize_field("groups", &groups)?;
        s.end()
    }
}

/// The ledger's entry `index` as a row (`items` as [`items`] makes them).
pub fn ledger_row<'i>(model: &Model<'_>, items: &'i [Item], index: usize) -> LedgerRow<'i> {
    let (site, ledger) = (&model.site, &model.ledger);
    let entry = &ledger.entries[index];
    let group_link = |group: Option<usize>, groups: &[Group], path: fn(&str) -> String| {
        let group = &groups[group?];
        Some(TermLink {
            name: group.name.clone(),
            url: path(&group.slug),
        })
    };
    LedgerRow {
        incident: &items[entry.postmortem],
        action: action_row(ledger.item(site, entry), entry.days_overdue),
        owner: group_link(entry.owner_group, &ledger.owners, url::ledger_owner),
        team: group_link(entry.team_group, &ledger.teams, url::ledger_team),
        service: entry.service.as_ref().map(|s| TermLink {
            name: s.to_string(),
            url: term_url(site, TaxonomyKind::Service, s),
        }),
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
            due: NaiveDate::parse_from_str(due, "%Y-%m-%d").ok(),
            status,
            ..ActionItem::default()
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
