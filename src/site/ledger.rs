//! The action-item ledger: every action item of every published postmortem, in the order
//! a follow-through meeting wants them, grouped by owner, team and service, with the numbers that
//! show whether follow-through happens.
//!
//! Definitions (docs/FORMAT.md repeats them for readers):
//! - *pending*: `open` or `in_progress`; *overdue*: pending with `due` before the build date.
//! - *completion rate*: `done` items / all items except `wont_do` (a deliberate decision
//!   not to do something is neither a success nor a failure of follow-through).
//! - *days to close*: from the incident's start date (`started_at`, as a calendar day) to
//!   `completed`, for `done` items that give `completed`; its median uses the nearest-rank
//!   rule of [`super::stats`].

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::stats;
use super::{Site, term_slug};
use crate::content::{ActionItem, ActionStatus, Postmortem};

#[derive(Clone, Debug)]
pub struct Entry {
    /// Index into `Site::postmortems`.
    pub postmortem: usize,
    /// Index into that postmortem's `action_items`.
    pub item: usize,
    /// The item's status.
    pub status: ActionStatus,
    /// The item's owner.
    pub owner: Option<Arc<str>>,
    /// The item's team, or its postmortem's first team.
    pub team: Option<Arc<str>>,
    /// The item's service, or its postmortem's first service.
    pub service: Option<Arc<str>>,
    /// Days past `due` for a pending item; 0 when not overdue.
    pub days_overdue: i64,
    /// Days from the incident's start to `completed`, for done items.
    pub days_to_close: Option<i64>,
    /// Index into `Ledger::owners`, when the item has an owner.
    pub owner_group: Option<usize>,
    /// Index into `Ledger::teams`, when the item has a team.
    pub team_group: Option<usize>,
}

impl Entry {
    pub fn is_overdue(&self) -> bool {
        self.days_overdue > 0
    }
}

/// Counts over a set of entries.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Summary {
    pub total: usize,
    pub pending: usize,
    pub overdue: usize,
    pub done: usize,
    pub wont_do: usize,
    /// `done / (total - wont_do)`, in percent rounded to a whole number; `None` when
    /// nothing counts.
    pub completion_pct: Option<u32>,
    pub median_days_to_close: Option<i64>,
    /// How many done items gave a `completed` date (the sample of the median).
    pub closed_with_date: usize,
}

/// Entries that share an owner, a team or a service.
#[derive(Clone, Debug, Default)]
pub struct Group {
    pub name: String,
    pub slug: String,
    /// Indices into `Ledger::entries`, in ledger order.
    pub entries: Vec<usize>,
    /// The same, in list order (see [`list_order`]).
    pub listed: Vec<usize>,
    /// Counts over `entries`: the overview and every page of the group show them.
    pub summary: Summary,
}

/// The ledger's filtered views, each a list of pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerView {
    Open,
    Overdue,
    Done,
}

impl LedgerView {
    pub const ALL: [LedgerView; 3] = [LedgerView::Open, LedgerView::Overdue, LedgerView::Done];

    pub fn title(self) -> &'static str {
        match self {
            LedgerView::Open => "Open action items",
            LedgerView::Overdue => "Overdue action items",
            LedgerView::Done => "Done and won't-do action items",
        }
    }

    /// The view's tab.
    pub fn label(self) -> &'static str {
        match self {
            LedgerView::Open => "Open",
            LedgerView::Overdue => "Overdue",
            LedgerView::Done => "Done and won't do",
        }
    }

    fn includes(self, entry: &Entry) -> bool {
        match self {
            LedgerView::Open => entry.status.is_pending(),
            LedgerView::Overdue => entry.is_overdue(),
            LedgerView::Done => !entry.status.is_pending(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Ledger {
    /// Most overdue high-priority first: see [`ledger_key`].
    pub entries: Vec<Entry>,
    /// Counts over every entry.
    pub overall: Summary,
    /// Per view (in [`LedgerView::ALL`] order), its entries (indices into `entries`) in
    /// ledger order.
    views: [Vec<usize>; 3],
    /// The same in list order (see [`list_order`]).
    listed: [Vec<usize>; 3],
    pub owners: Vec<Group>,
    pub teams: Vec<Group>,
    /// By the entry's service: what a service's dossier lists.
    pub services: Vec<Group>,
}

impl Ledger {
    pub fn build<'a>(site: &Site<'a>) -> Ledger {
        let today = site.selection.today;
        // An entry holds what the ledger's order, views, groups and counts read of its
        // item, and its key is made beside it: on a large archive, going back to the items
        // for each of these was most of the model stage. At 100,000 postmortems the ledger
        // is 400,000 entries, made, sorted and grouped on every core. They are made in the
        // order the postmortems lie in memory (each item was allocated beside its
        // postmortem when the file was parsed), not in site order, where nearly every item
        // was a cache and TLB miss: 313 -> 124 ms at 100k, with the runs joined once. The
        // sort by key puts them in one order whatever order they were made in. Each run of
        // postmortems rayon hands a thread shares the names it meets (`Arc<str>`), so a
        // name is copied once per run, not once per item.
        let mut in_memory: Vec<(usize, &'a Postmortem)> =
            site.postmortems.iter().copied().enumerate().collect();
        in_memory.par_sort_unstable_by_key(|(_, pm)| *pm as *const Postmortem as usize);
        let runs: Vec<Vec<(LedgerKey, Entry)>> = in_memory
            .par_iter()
            .copied()
            .fold(
                || (Vec::new(), FxHashMap::<&'a str, Arc<str>>::default()),
                |(mut keyed, mut names), (p, pm)| {
                    let mut name = |name: Option<&'a str>| {
                        name.map(|name| names.entry(name).or_insert_with(|| name.into()).clone())
                    };
                    for (i, item) in pm.action_items.iter().enumerate() {
                        let entry = Entry {
                            postmortem: p,
                            item: i,
                            status: item.status,
                            owner: name(item.owner.as_deref()),
                            team: name(filed_team(pm, item)),
                            service: name(filed_service(pm, item)),
                            days_overdue: days_overdue(item, today),
                            days_to_close: days_to_close(pm, item),
                            owner_group: None,
                            team_group: None,
                        };
                        keyed.push((ledger_key(&entry, item), entry));
                    }
                    (keyed, names)
                },
            )
            .map(|(keyed, _)| keyed)
            .collect();
        let mut keyed: Vec<(LedgerKey, Entry)> = Vec::with_capacity(runs.iter().map(Vec::len).sum());
        for run in runs {
            keyed.extend(run);
        }
        // Keys end with the entry's place, so the order is the same however they were made.
        keyed.par_sort_unstable_by_key(|(key, _)| *key);
        let mut entries: Vec<Entry> = keyed.into_iter().map(|(_, entry)| entry).collect();
        let (owners, (teams, services)) = rayon::join(
            || group(&entries, |e| e.owner.as_deref()),
            || {
                rayon::join(
                    || group(&entries, |e| e.team.as_deref()),
                    || group(&entries, |e| e.service.as_deref()),
                )
            },
        );
        for (g, owner) in owners.iter().enumerate() {
            for &e in &owner.entries {
                entries[e].owner_group = Some(g);
            }
        }
        for (g, team) in teams.iter().enumerate() {
            for &e in &team.entries {
                entries[e].team_group = Some(g);
            }
        }
        let views: [Vec<usize>; 3] = LedgerView::ALL.map(|view| {
            (0..entries.len())
                .into_par_iter()
                .filter(|&i| view.includes(&entries[i]))
                .collect()
        });
        let listed = views.clone().map(|view| list_order(&entries, view));
        Ledger {
            overall: summary(&entries),
            entries,
            views,
            listed,
            owners,
            teams,
            services,
        }
    }

    /// The entries a view lists, in ledger order.
    pub fn view(&self, view: LedgerView) -> &[usize] {
        &self.views[Self::position(view)]
    }

    /// The entries a view lists, in list order.
    pub fn listed(&self, view: LedgerView) -> &[usize] {
        &self.listed[Self::position(view)]
    }

    fn position(view: LedgerView) -> usize {
        LedgerView::ALL.iter().position(|v| *v == view).unwrap_or(0)
    }

    /// The team group of a slug (see [`term_slug`]).
    pub fn team(&self, slug: &str) -> Option<&Group> {
        find_group(&self.teams, slug)
    }

    /// The service group of a slug (see [`term_slug`]).
    pub fn service(&self, slug: &str) -> Option<&Group> {
        find_group(&self.services, slug)
    }

    pub fn item<'a>(&self, site: &Site<'a>, entry: &Entry) -> &'a ActionItem {
        &site.postmortems[entry.postmortem].action_items[entry.item]
    }
}

/// Counts over some of the ledger's entries.
fn summary<'e>(entries: impl IntoIterator<Item = &'e Entry>) -> Summary {
    let mut summary = Summary::default();
    let mut days = Vec::new();
    for entry in entries {
        summary.total += 1;
        match entry.status {
            ActionStatus::Done => summary.done += 1,
            ActionStatus::WontDo => summary.wont_do += 1,
            _ => summary.pending += 1,
        }
        if entry.is_overdue() {
            summary.overdue += 1;
        }
        days.extend(entry.days_to_close);
    }
    summary.completion_pct = completion_pct(summary.done, summary.total - summary.wont_do);
    summary.median_days_to_close = stats::median(&days);
    summary.closed_with_date = days.len();
    summary
}

/// The team the ledger files an item under: its own, or its postmortem's first.
pub fn filed_team<'a>(pm: &'a Postmortem, item: &'a ActionItem) -> Option<&'a str> {
    item.team
        .as_deref()
        .or_else(|| pm.teams.first().map(String::as_str))
}

/// The service the ledger files an item under: its own, or its postmortem's first.
pub fn filed_service<'a>(pm: &'a Postmortem, item: &'a ActionItem) -> Option<&'a str> {
    item.service
        .as_deref()
        .or_else(|| pm.services.first().map(String::as_str))
}

/// The completion rate: `done` items out of the `counted` ones (all but `wont_do`), in
/// percent rounded to a whole number; `None` when nothing counts.
pub fn completion_pct(done: usize, counted: usize) -> Option<u32> {
    (counted > 0).then(|| ((done * 100) as f64 / counted as f64).round() as u32)
}

/// Days past `due` of a pending item at the build date; 0 when it is not overdue.
pub fn days_overdue(item: &ActionItem, today: NaiveDate) -> i64 {
    match item.due {
        Some(due) if item.status.is_pending() && due < today => (today - due).num_days(),
        _ => 0,
    }
}

fn days_to_close(pm: &Postmortem, item: &ActionItem) -> Option<i64> {
    if item.status != ActionStatus::Done {
        return None;
    }
    // A completion date before the incident is a typo, not a negative duration.
    Some((item.completed? - pm.started_at.date()).num_days()).filter(|d| *d >= 0)
}

/// Where an entry goes in ledger order: see [`ledger_key`].
type LedgerKey = (u8, i64, i64, i64, usize, usize);

/// Overdue items first (highest priority first, then most days overdue), then other
/// pending items by due date (undated last), then closed items, most recently completed
/// first. Ties keep site order (newest incident first) and the author's item order.
fn ledger_key(e: &Entry, item: &ActionItem) -> LedgerKey {
    // `None` priority sorts after P3.
    let priority = item.priority.map_or(i64::from(u8::MAX), |p| p as i64);
    let day = |date: NaiveDate| i64::from(chrono::Datelike::num_days_from_ce(&date));
    let (bucket, a, b, c) = match (e.is_overdue(), item.status.is_pending()) {
        // Highest priority, then most days overdue.
        (true, _) => (0, priority, -e.days_overdue, 0),
        // Soonest due (none last), then highest priority.
        (false, true) => (
            1,
            i64::from(item.due.is_none()),
            item.due.map_or(0, day),
            priority,
        ),
        // Most recently completed (none last).
        (false, false) => (2, item.completed.map_or(i64::MAX, |d| -day(d)), 0, 0),
    };
    (bucket, a, b, c, e.postmortem, e.item)
}

/// `list` (indices into `entries`) newest postmortem first, then in the author's order: the
/// order in which a list too long for one page is paged. Unlike ledger order it does not
/// move when a postmortem arrives or a day passes, so a new postmortem's items join the
/// first page and every numbered page stays as it was (`render::pager`).
fn list_order(entries: &[Entry], mut list: Vec<usize>) -> Vec<usize> {
    list.par_sort_unstable_by_key(|&i| (entries[i].postmortem, entries[i].item));
    list
}

/// Groups by the slug of a name (so `Maya.Patel` and `maya.patel` are one person), named
/// after the first spelling in ledger order; sorted by slug.
fn group<'k>(entries: &'k [Entry], key: impl Fn(&'k Entry) -> Option<&'k str>) -> Vec<Group> {
    // Per spelling, its group, found once: there are a few dozen owners and hundreds of
    // thousands of items.
    let mut spellings: FxHashMap<&str, usize> = Default::default();
    let mut by_slug: BTreeMap<String, usize> = BTreeMap::new();
    let mut groups: Vec<Group> = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let Some(name) = key(entry) else { continue };
        let at = *spellings.entry(name).or_insert_with(|| {
            let slug = term_slug(name);
            *by_slug.entry(slug.clone()).or_insert_with(|| {
                groups.push(Group {
                    name: name.to_string(),
                    slug,
                    entries: Vec::new(),
                    listed: Vec::new(),
                    summary: Summary::default(),
                });
                groups.len() - 1
            })
        });
        groups[at].entries.push(i);
    }
    let mut groups: Vec<Group> = by_slug
        .into_values()
        .map(|at| std::mem::take(&mut groups[at]))
        .collect();
    groups.par_iter_mut().for_each(|g| {
        g.summary = summary(g.entries.iter().map(|&i| &entries[i]));
        g.listed = list_order(entries, g.entries.clone());
    });
    groups
}

/// Groups are sorted by slug, so a binary search finds one.
fn find_group<'g>(groups: &'g [Group], slug: &str) -> Option<&'g Group> {
    groups
        .binary_search_by(|g| g.slug.as_str().cmp(slug))
        .ok()
        .map(|at| &groups[at])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::site::fixture::{content, selection};

    const ITEMS: &str = r#"started_at = 2024-01-01T00:00:00Z
teams = ["sre"]
services = ["api"]
[[action_items]]
title = "overdue-p2-long"
owner = "Maya.Patel"
due = 2024-01-01
priority = "P2"
[[action_items]]
title = "overdue-p0-short"
owner = "maya.patel"
due = 2024-05-30
priority = "P0"
status = "in_progress"
[[action_items]]
title = "pending-undated"
[[action_items]]
title = "pending-due-later"
due = 2024-07-01
team = "payments"
[[action_items]]
title = "done-early"
status = "done"
completed = 2024-01-11
[[action_items]]
title = "done-late"
status = "done"
completed = 2024-02-20
[[action_items]]
title = "done-undated"
status = "done"
[[action_items]]
title = "dropped"
status = "wont_do"
[[action_items]]
title = "done-before-the-incident"
status = "done"
completed = 2023-12-01
"#;

    #[test]
    fn order_summary_and_groups() {
        let config = Config::default();
        let content = content(&config, &[("a", ITEMS)]);
        let site = Site::build(&content, &config, selection("2024-06-01"));
        let ledger = Ledger::build(&site);
        let titles: Vec<&str> = ledger
            .entries
            .iter()
            .map(|e| ledger.item(&site, e).title.as_str())
            .collect();
        assert_eq!(
            titles,
            [
                "overdue-p0-short",
                "overdue-p2-long",
                "pending-due-later",
                "pending-undated",
                "done-late",
                "done-early",
                "done-before-the-incident",
                "done-undated",
                "dropped",
            ]
        );
        assert_eq!(ledger.entries[0].days_overdue, 2);
        assert_eq!(ledger.entries[1].days_overdue, 152);

        assert_eq!(
            ledger.overall,
            Summary {
                total: 9,
                pending: 4,
                overdue: 2,
                done: 4,
                wont_do: 1,
                // 4 done of the 8 that count.
                completion_pct: Some(50),
                // 10 and 50 days; an undated or impossible completion is no sample.
                median_days_to_close: Some(10),
                closed_with_date: 2,
            }
        );

        // One person however their name is capitalised; the first spelling in ledger order.
        assert_eq!(ledger.owners.len(), 1);
        assert_eq!(ledger.owners[0].name, "maya.patel");
        assert_eq!(ledger.owners[0].entries, [0, 1]);
        let teams: Vec<(&str, usize)> = ledger
            .teams
            .iter()
            .map(|g| (g.name.as_str(), g.entries.len()))
            .collect();
        assert_eq!(
            teams,
            [("payments", 1), ("sre", 8)],
            "the postmortem's team by default"
        );
        assert_eq!(ledger.entries[2].team.as_deref(), Some("payments"));
        assert!(ledger.entries.iter().all(|e| e.service.as_deref() == Some("api")));
        assert_eq!(ledger.service("api").map(|g| g.entries.len()), Some(9));
        assert_eq!(ledger.team("payments").map(|g| g.name.as_str()), Some("payments"));
        assert_eq!(ledger.team("sre").map(|g| g.entries.len()), Some(8));
        assert!(ledger.team("api").is_none() && ledger.service("sre").is_none());
    }

    #[test]
    fn completion_rounds_to_whole_percent() {
        assert_eq!(completion_pct(1, 3), Some(33));
        assert_eq!(completion_pct(2, 3), Some(67));
        assert_eq!(completion_pct(1, 8), Some(13), "half rounds up");
        assert_eq!(completion_pct(4, 4), Some(100));
        assert_eq!(completion_pct(0, 0), None);
    }

    #[test]
    fn no_items_no_rates() {
        let config = Config::default();
        let content = content(&config, &[("a", "started_at = 2024-01-01")]);
        let site = Site::build(&content, &config, selection("2024-06-01"));
        let ledger = Ledger::build(&site);
        assert_eq!(ledger.overall.completion_pct, None);
        assert_eq!(ledger.overall.median_days_to_close, None);
    }
}
