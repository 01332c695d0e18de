//! The action-item ledger: its views (open, overdue, done) and the items of one owner or
//! team, each a page at a time, with their counts. Reads `Model::ledger`.

use serde::Serialize;

use super::{Common, today};
use crate::render::pager::{self, Pager};
use crate::render::rows::LedgerRows;
use crate::render::{Emit, Page, RenderError, Renderer};
use crate::site::ledger::{Group, LedgerView, Summary};
use crate::site::{TaxonomyKind, url};

/// A view of the ledger.
#[derive(Serialize)]
struct ViewContext<'a> {
    #[serde(flatten)]
    common: Common<'a>,
    ledger: LedgerPage<'a>,
    pager: Pager,
    view: LedgerView,
    today: String,
}

/// The items of one owner or team.
#[derive(Serialize)]
struct GroupContext<'a> {
    #[serde(flatten)]
    common: Common<'a>,
    ledger: LedgerPage<'a>,
    pager: Pager,
    group_name: &'a str,
    group_kind: &'static str,
    /// The group's own page (its first): rows name the group there without linking to it.
    group_url: String,
    today: String,
}

#[derive(Serialize)]
struct LedgerPage<'a> {
    /// On the first page only: a numbered page must not change when the list grows.
    summary: Option<&'a Summary>,
    tabs: Vec<Tab>,
    rows: LedgerRows<'a>,
    urgent: LedgerRows<'a>,
    /// Owners and teams at a glance: only on the main view's first page.
    owners: Vec<GroupRow<'a>>,
    teams: Vec<GroupRow<'a>>,
    /// For a team: its page in the taxonomy, when it has one.
    team_page: Option<String>,
}

#[derive(Serialize)]
struct Tab {
    label: &'static str,
    url: String,
    /// On the first page only.
    count: Option<usize>,
    current: bool,
}

#[derive(Serialize)]
struct GroupRow<'a> {
    name: &'a str,
    url: String,
    summary: &'a Summary,
}

pub fn render_view<'a, E: Emit>(
    r: &'a Renderer<'_>,
    out: &E,
    path: &str,
    view: LedgerView,
    page: usize,
) -> Result<E::Out, RenderError> {
    let ledger = &r.model.ledger;
    let entries = ledger.view(view);
    let first = page == pager::FIRST;
    let overview = view == LedgerView::Open && first;
    let groups = |groups: &'a [Group], path: fn(&str) -> String| -> Vec<GroupRow<'a>> {
        if !overview {
            return Vec::new();
        }
        groups
            .iter()
            .map(|g| GroupRow {
                name: &g.name,
                url: path(&g.slug),
                summary: &g.summary,
            })
            .collect()
    };
    let context = ViewContext {
        common: Common::new(r, path, view.title().into()),
        ledger: LedgerPage {
            summary: first.then_some(&ledger.overall),
            tabs: LedgerView::ALL
                .iter()
                .map(|&v| Tab {
                    label: v.label(),
                    url: url::ledger_view(v),
                    count: first.then(|| ledger.view(v).len()),
                    current: v == view,
                })
                .collect(),
            rows: rows(r, entries, ledger.listed(view), page),
            urgent: urgent(r, entries, page, view == LedgerView::Done),
            owners: groups(&ledger.owners, url::ledger_owner),
            teams: groups(&ledger.teams, url::ledger_team),
            team_page: None,
        },
        pager: r.paginator.pager(
            &r.path(Page::Ledger {
                view,
                page: pager::FIRST,
            }),
            page,
            entries.len(),
        ),
        view,
        today: today(r),
    };
    out.emit("action-items.html", &context)
}

pub fn render_group<E: Emit>(
    r: &Renderer<'_>,
    out: &E,
    path: &str,
    team: bool,
    index: usize,
    page: usize,
) -> Result<E::Out, RenderError> {
    let ledger = &r.model.ledger;
    let (group, title) = if team {
        let g = &ledger.teams[index];
        (g, format!("Action items of team {}", g.name))
    } else {
        let g = &ledger.owners[index];
        (g, format!("Action items owned by {}", g.name))
    };
    let teams = r.model.site.taxonomy(TaxonomyKind::Team);
    let base = r.path(Page::LedgerGroup {
        team,
        index,
        page: pager::FIRST,
    });
    let context = GroupContext {
        common: Common::new(r, path, title),
        ledger: LedgerPage {
            summary: (page == pager::FIRST).then_some(&group.summary),
            tabs: Vec::new(),
            rows: rows(r, &group.entries, &group.listed, page),
            urgent: urgent(r, &group.entries, page, false),
            owners: Vec::new(),
            teams: Vec::new(),
            team_page: team
                .then(|| teams.term_for(&group.name))
                .flatten()
                .map(|t| url::term(TaxonomyKind::Team, &t.slug)),
        },
        pager: r.paginator.pager(&base, page, group.entries.len()),
        group_url: base,
        group_name: &group.name,
        group_kind: if team { "team" } else { "owner" },
        today: today(r),
    };
    out.emit("action-items-group.html", &context)
}

/// Page `page` of a list (indices into the ledger; `urgent_first` in ledger order,
/// `listed` in list order) as rows. A list longer than a page is paged newest postmortem
/// first (`Ledger::listed`), which a new postmortem or a new day does not reorder; its
/// first page then starts with its most urgent items. A list of one page is in ledger
/// order, most urgent first.
fn rows<'a>(r: &'a Renderer<'a>, urgent_first: &[usize], listed: &[usize], page: usize) -> LedgerRows<'a> {
    let by_postmortem = r.paginator.is_paged(urgent_first.len());
    let list = if by_postmortem { listed } else { urgent_first };
    LedgerRows {
        renderer: r,
        entries: r.paginator.slice(list, page).to_vec(),
        by_postmortem,
    }
}

/// Items shown on top of the first page of a list paged by postmortem.
const URGENT_SHOWN: usize = 10;

/// The most urgent items of a list (in ledger order) on its first page, when it is paged:
/// pending ones only, unless the list is of closed items (then the most recently closed).
fn urgent<'a>(r: &'a Renderer<'a>, urgent_first: &[usize], page: usize, closed: bool) -> LedgerRows<'a> {
    let mut entries = Vec::new();
    if page == pager::FIRST && r.paginator.is_paged(urgent_first.len()) {
        let ledger = &r.model.ledger;
        entries = urgent_first
            .iter()
            .copied()
            .filter(|&i| closed || ledger.item(&r.model.site, &ledger.entries[i]).status.is_pending())
            .take(URGENT_SHOWN)
            .collect();
    }
    LedgerRows {
        renderer: r,
        entries,
        by_postmortem: false,
    }
}
