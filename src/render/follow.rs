//! What the follow-through pages show: the action-item ledger, insights charts and tables,
//! service dossiers and "on this day". Like `views`, this computes every value so the
//! templates only lay them out; the numbers themselves come from the site model
//! (`site::ledger`, `site::insights`, `site::dossier`).

use chrono::Datelike;
use serde::Serialize;

use super::chart::{Chart, Layout, Unit};
use super::views::{ActionRow, Item, TermLink, action_row, term_url};
use crate::site::dossier::{Dossier, Tally};
use crate::site::insights::{
    ACTION_DONE, ACTION_SERIES, ACTION_WONT_DO, Counts, Distribution, Insights, Trend,
};
use crate::site::ledger::{Group, Ledger, Summary, completion_pct};
use crate::site::{Site, TaxonomyKind, Term};

pub const LEDGER: &str = "action-items/";

/// The ledger's filtered views, each a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerView {
    Open,
    Overdue,
    Done,
}

impl LedgerView {
    pub const ALL: [LedgerView; 3] = [LedgerView::Open, LedgerView::Overdue, LedgerView::Done];

    pub fn path(self) -> String {
        match self {
            LedgerView::Open => LEDGER.to_string(),
            LedgerView::Overdue => format!("{LEDGER}overdue/"),
            LedgerView::Done => format!("{LEDGER}done/"),
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            LedgerView::Open => "Open action items",
            LedgerView::Overdue => "Overdue action items",
            LedgerView::Done => "Done and won't-do action items",
        }
    }

    fn label(self) -> &'static str {
        match self {
            LedgerView::Open => "Open",
            LedgerView::Overdue => "Overdue",
            LedgerView::Done => "Done and won't do",
        }
    }
}

/// Which rows of a list a page shows.
#[derive(Clone, Copy, Debug)]
pub struct Page {
    /// 1-based.
    pub number: usize,
    /// Rows per page; `usize::MAX` without pagination.
    pub size: usize,
}

impl Page {
    fn slice<'v>(&self, rows: &'v [usize]) -> &'v [usize] {
        let start = (self.number - 1).saturating_mul(self.size).min(rows.len());
        let end = start.saturating_add(self.size).min(rows.len());
        &rows[start..end]
    }
}

pub fn owner_path(group: &Group) -> String {
    format!("{LEDGER}owners/{}/", group.slug)
}

pub fn team_path(group: &Group) -> String {
    format!("{LEDGER}teams/{}/", group.slug)
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

#[derive(Debug, Serialize)]
pub struct Tab {
    pub label: &'static str,
    pub url: String,
    pub count: usize,
    pub current: bool,
}

#[derive(Debug, Serialize)]
pub struct GroupRow {
    pub name: String,
    pub url: String,
    pub summary: Summary,
}

#[derive(Debug, Serialize)]
pub struct LedgerPage<'a> {
    pub summary: Summary,
    pub tabs: Vec<Tab>,
    pub rows: Vec<LedgerRow<'a>>,
    /// Owners and teams at a glance: only on the main page.
    pub owners: Vec<GroupRow>,
    pub teams: Vec<GroupRow>,
    /// For an owner or team page: its entry in the taxonomy, when it has one.
    pub team_page: Option<String>,
}

/// What every page job reads: the site, its postmortems as list rows, and the ledger
/// (with each view's entries worked out once).
pub struct PageModel<'s, 'a> {
    pub site: &'s Site<'a>,
    pub ledger: &'s Ledger,
    pub items: &'s [Item],
    /// Per view (in `LedgerView::ALL` order), its entries in ledger order: every page of a
    /// view needs them, so they are worked out once.
    views: [Vec<usize>; 3],
    overall: Summary,
    /// Per owner and per team (as `Ledger::owners`, `Ledger::teams`): the overview and
    /// every page of the group show them.
    owner_summaries: Vec<Summary>,
    team_summaries: Vec<Summary>,
}

impl<'s, 'a> PageModel<'s, 'a> {
    pub fn new(site: &'s Site<'a>, ledger: &'s Ledger, items: &'s [Item]) -> PageModel<'s, 'a> {
        let mut model = PageModel {
            site,
            ledger,
            items,
            views: Default::default(),
            overall: ledger.summary(site, &ledger.entries),
            owner_summaries: Vec::new(),
            team_summaries: Vec::new(),
        };
        let summaries = |groups: &[Group]| {
            groups
                .iter()
                .map(|g| ledger.summary(site, g.entries.iter().map(|&i| &ledger.entries[i])))
                .collect()
        };
        model.owner_summaries = summaries(&ledger.owners);
        model.team_summaries = summaries(&ledger.teams);
        model.views = LedgerView::ALL.map(|view| {
            (0..ledger.entries.len())
                .filter(|&i| model.in_view(view, i))
                .collect()
        });
        model
    }

    pub fn row(&self, index: usize) -> LedgerRow<'s> {
        let entry = &self.ledger.entries[index];
        let item = self.ledger.item(self.site, entry);
        let group_link = |group: Option<usize>, groups: &[Group], path: fn(&Group) -> String| {
            let group = &groups[group?];
            Some(TermLink {
                name: group.name.clone(),
                url: path(group),
            })
        };
        LedgerRow {
            incident: &self.items[entry.postmortem],
            action: action_row(item, entry.days_overdue),
            owner: group_link(entry.owner_group, &self.ledger.owners, owner_path),
            team: group_link(entry.team_group, &self.ledger.teams, team_path),
            service: entry.service.as_ref().map(|s| TermLink {
                name: s.clone(),
                url: term_url(self.site, TaxonomyKind::Service, s),
            }),
        }
    }

    fn in_view(&self, view: LedgerView, index: usize) -> bool {
        let entry = &self.ledger.entries[index];
        let pending = self.ledger.item(self.site, entry).status.is_pending();
        match view {
            LedgerView::Open => pending,
            LedgerView::Overdue => entry.is_overdue(),
            LedgerView::Done => !pending,
        }
    }

    /// The entries a view lists, in ledger order.
    pub fn entries_in(&self, view: LedgerView) -> &[usize] {
        let at = LedgerView::ALL.iter().position(|v| *v == view).unwrap_or(0);
        &self.views[at]
    }

    /// One page of a view. Counts always cover the whole ledger.
    pub fn view(&self, view: LedgerView, page: Page) -> LedgerPage<'s> {
        // Owners and teams at a glance, once: on the first page of the main view.
        let overview = view == LedgerView::Open && page.number == 1;
        let groups = |groups: &[Group], summaries: &[Summary], path: fn(&Group) -> String| {
            if !overview {
                return Vec::new();
            }
            groups
                .iter()
                .zip(summaries)
                .map(|(g, summary)| GroupRow {
                    name: g.name.clone(),
                    url: path(g),
                    summary: summary.clone(),
                })
                .collect()
        };
        LedgerPage {
            summary: self.overall.clone(),
            tabs: LedgerView::ALL
                .iter()
                .map(|&v| Tab {
                    label: v.label(),
                    url: v.path(),
                    count: self.entries_in(v).len(),
                    current: v == view,
                })
                .collect(),
            rows: page
                .slice(self.entries_in(view))
                .iter()
                .map(|&i| self.row(i))
                .collect(),
            owners: groups(&self.ledger.owners, &self.owner_summaries, owner_path),
            teams: groups(&self.ledger.teams, &self.team_summaries, team_path),
            team_page: None,
        }
    }

    /// One page of the items of an owner or a team (`index` into `Ledger::owners` or
    /// `Ledger::teams`), with their own counts.
    pub fn group(&self, is_team: bool, index: usize, page: Page) -> LedgerPage<'s> {
        let teams = self.site.taxonomy(TaxonomyKind::Team);
        let (group, summary) = if is_team {
            (&self.ledger.teams[index], &self.team_summaries[index])
        } else {
            (&self.ledger.owners[index], &self.owner_summaries[index])
        };
        LedgerPage {
            summary: summary.clone(),
            tabs: Vec::new(),
            rows: page.slice(&group.entries).iter().map(|&i| self.row(i)).collect(),
            owners: Vec::new(),
            teams: Vec::new(),
            team_page: is_team
                .then(|| teams.term_for(&group.name))
                .flatten()
                .map(|t| teams.term_path(t)),
        }
    }
}

/// A chart and the same numbers as a table.
#[derive(Debug, Serialize)]
pub struct Figure {
    pub id: String,
    pub heading: String,
    pub intro: String,
    pub svg: String,
    pub legend: Vec<LegendEntry>,
    pub table: Table,
}

#[derive(Debug, Serialize)]
pub struct LegendEntry {
    pub name: String,
    /// The colour class, as on the bars.
    pub class: usize,
}

fn legend(chart: &Chart) -> Vec<LegendEntry> {
    chart
        .series
        .iter()
        .enumerate()
        .map(|(s, name)| LegendEntry {
            name: name.clone(),
            class: chart.class(s),
        })
        .collect()
}

/// Colours: severities red to blue in rank order (the default); others avoid the severity
/// reds so a chart is not read as one about severity.
const TREND_PALETTE: [usize; 5] = [3, 4, 5, 7, 2];
const DURATION_PALETTE: [usize; 2] = [3, 5];
const ACTION_PALETTE: [usize; 3] = [4, 6, 1];

#[derive(Debug, Serialize)]
pub struct Table {
    pub caption: String,
    pub columns: Vec<String>,
    pub rows: Vec<TableRow>,
}

#[derive(Debug, Serialize)]
pub struct TableRow {
    pub label: String,
    pub cells: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct MissingRow {
    pub field: &'static str,
    pub absent: usize,
    pub date_only: usize,
}

#[derive(Debug, Serialize)]
pub struct InsightsPage {
    pub total: usize,
    pub figures: Vec<Figure>,
    pub missing: Vec<MissingRow>,
}

pub fn insights(insights: &Insights) -> InsightsPage {
    let mut figures = Vec::new();
    if !insights.per_month.is_empty() {
        figures.push(counts_figure(CountsSpec { id: "per-month", heading: "Incidents per month", intro: "Each bar is a month, split by severity; empty months are gaps in the chart and left out of the table.", category: "Month", series: &insights.severities, rows: &insights.per_month, with_total: true, palette: &[] }));
    }
    for (id, heading, what, rows, by) in [
        (
            "detect-quarter",
            "Time to detect by quarter",
            "detected_at",
            &insights.detect_by_quarter,
            "Quarter",
        ),
        (
            "resolve-quarter",
            "Time to resolve by quarter",
            "resolved_at",
            &insights.resolve_by_quarter,
            "Quarter",
        ),
        (
            "detect-severity",
            "Time to detect by severity",
            "detected_at",
            &insights.detect_by_severity,
            "Severity",
        ),
        (
            "resolve-severity",
            "Time to resolve by severity",
            "resolved_at",
            &insights.resolve_by_severity,
            "Severity",
        ),
    ] {
        if rows.iter().any(|d| d.spread.is_some()) {
            figures.push(duration_figure(id, heading, what, rows, by));
        }
    }
    for (id, heading, trend) in [
        ("root-causes", "Top root causes by year", &insights.root_causes),
        ("services", "Most affected services by year", &insights.services),
    ] {
        if !trend.series.is_empty() {
            figures.push(trend_figure(id, heading, trend));
        }
    }
    if !insights.actions_by_quarter.is_empty() {
        let series: Vec<String> = ACTION_SERIES.iter().map(|s| s.to_string()).collect();
        let mut figure = counts_figure(CountsSpec {
            id: "actions",
            heading: "Action items by quarter of their incident",
            intro: "How the action items of each quarter's incidents stand today: done, decided against, or still pending.",
            category: "Quarter",
            series: &series,
            rows: &insights.actions_by_quarter,
            with_total: true,
            palette: &ACTION_PALETTE,
        });
        figure.table.columns.push("Completion".into());
        for (row, counts) in figure.table.rows.iter_mut().zip(&insights.actions_by_quarter) {
            let counted = counts.total - counts.counts[ACTION_WONT_DO];
            row.cells.push(
                completion_pct(counts.counts[ACTION_DONE], counted)
                    .map_or_else(|| "—".into(), |pct| format!("{pct} %")),
            );
        }
        figures.push(figure);
    }
    InsightsPage {
        total: insights.total,
        figures,
        missing: insights
            .missing
            .iter()
            .map(|m| MissingRow {
                field: m.field,
                absent: m.absent,
                date_only: m.date_only,
            })
            .collect(),
    }
}

/// A stacked-bar figure of counts and its table.
struct CountsSpec<'a> {
    id: &'a str,
    heading: &'a str,
    intro: &'a str,
    /// The first column's heading (Month, Quarter, Year).
    category: &'a str,
    series: &'a [String],
    rows: &'a [Counts],
    with_total: bool,
    palette: &'a [usize],
}

fn counts_figure(spec: CountsSpec<'_>) -> Figure {
    let CountsSpec {
        id,
        heading,
        intro,
        category,
        series,
        rows,
        with_total,
        palette,
    } = spec;
    // A month-by-month table of mostly zeros buries the months that matter.
    let skip_empty = id == "per-month";
    let total: usize = rows.iter().map(|r| r.total).sum();
    let busiest = rows
        .iter()
        .max_by(|a, b| a.total.cmp(&b.total).then(b.label.cmp(&a.label)));
    let description = format!(
        "Stacked bars, {} to {}: {total} in all{}. Series: {}.",
        rows.first().map_or("", |r| r.label.as_str()),
        rows.last().map_or("", |r| r.label.as_str()),
        busiest.map_or(String::new(), |b| format!(
            "; the highest bar is {} with {}",
            b.label, b.total
        )),
        series.join(", ")
    );
    let chart = Chart {
        id: format!("chart-{id}"),
        title: heading.into(),
        description,
        categories: rows.iter().map(|r| r.label.clone()).collect(),
        series: series.to_vec(),
        values: rows
            .iter()
            .map(|r| r.counts.iter().map(|&c| Some(c as i64)).collect())
            .collect(),
        unit: Unit::Count,
        layout: Layout::Stacked,
        palette: palette.to_vec(),
    };
    let mut columns = vec![category.to_string()];
    columns.extend(series.iter().cloned());
    if with_total {
        columns.push("Total".into());
    }
    Figure {
        id: id.into(),
        heading: heading.into(),
        intro: intro.into(),
        svg: chart.svg(),
        legend: legend(&chart),
        table: Table {
            caption: format!("{heading}: the numbers"),
            columns,
            rows: rows
                .iter()
                .filter(|r| r.total > 0 || !skip_empty)
                .map(|r| {
                    let mut cells: Vec<String> = r.counts.iter().map(|c| c.to_string()).collect();
                    if with_total {
                        cells.push(r.total.to_string());
                    }
                    TableRow {
                        label: r.label.clone(),
                        cells,
                    }
                })
                .collect(),
        },
    }
}

fn duration_figure(id: &str, heading: &str, field: &str, rows: &[Distribution], by: &str) -> Figure {
    let series = vec!["Median".to_string(), "90th percentile".to_string()];
    let measured: usize = rows.iter().filter_map(|d| d.spread.map(|s| s.n)).sum();
    let unmeasured: usize = rows.iter().map(|d| d.missing).sum();
    let chart = Chart {
        id: format!("chart-{id}"),
        title: heading.into(),
        description: format!(
            "Median and 90th percentile per {}, from {measured} postmortems with exact started_at and {field}; \
             {unmeasured} without one are not drawn.",
            by.to_lowercase()
        ),
        categories: rows.iter().map(|d| d.label.clone()).collect(),
        series: series.clone(),
        values: rows
            .iter()
            .map(|d| vec![d.spread.map(|s| s.median), d.spread.map(|s| s.p90)])
            .collect(),
        unit: Unit::Minutes,
        layout: Layout::Grouped,
        palette: DURATION_PALETTE.to_vec(),
    };
    let format = |v: Option<i64>| v.map_or_else(|| "—".to_string(), |m| Unit::Minutes.format(m));
    Figure {
        id: id.into(),
        heading: heading.into(),
        intro: format!(
            "From started_at to {field}. Median and 90th percentile (nearest rank), never a mean: \
             a few long incidents would swamp it."
        ),
        svg: chart.svg(),
        legend: legend(&chart),
        table: Table {
            caption: format!("{heading}: the numbers"),
            columns: vec![
                by.to_string(),
                "Median".into(),
                "90th percentile".into(),
                "Measured".into(),
                "Without a duration".into(),
            ],
            rows: rows
                .iter()
                .map(|d| TableRow {
                    label: d.label.clone(),
                    cells: vec![
                        format(d.spread.map(|s| s.median)),
                        format(d.spread.map(|s| s.p90)),
                        d.spread.map_or(0, |s| s.n).to_string(),
                        d.missing.to_string(),
                    ],
                })
                .collect(),
        },
    }
}

fn trend_figure(id: &str, heading: &str, trend: &Trend) -> Figure {
    counts_figure(CountsSpec {
        id,
        heading,
        intro: "Incidents per year for the most frequent values overall; an incident with several counts once for each.",
        category: "Year",
        series: &trend.series,
        rows: &trend.periods,
        with_total: false,
        palette: &TREND_PALETTE,
    })
}

/// A busy service can have hundreds of open items; the dossier shows the most urgent.
pub const DOSSIER_ACTIONS: usize = 20;

/// A service page's dossier, for its first page.
#[derive(Debug, Serialize)]
pub struct DossierView<'a> {
    pub root_causes: Vec<TallyLink>,
    pub recurring_factors: Vec<TallyLink>,
    pub related_services: Vec<TallyLink>,
    /// The most urgent open items (ledger order), at most [`DOSSIER_ACTIONS`].
    pub open_actions: Vec<LedgerRow<'a>>,
    pub open_total: usize,
    pub detect: DurationFacts,
    pub resolve: DurationFacts,
    pub incidents: usize,
}

#[derive(Debug, Serialize)]
pub struct TallyLink {
    pub name: String,
    pub url: Option<String>,
    pub count: usize,
}

#[derive(Debug, Serialize)]
pub struct DurationFacts {
    pub median: Option<String>,
    pub p90: Option<String>,
    pub measured: usize,
    pub missing: usize,
}

pub fn dossier<'s>(model: &PageModel<'s, '_>, service: &Term) -> DossierView<'s> {
    let site = model.site;
    let dossier = Dossier::build(site, model.ledger, service);
    let links = |tallies: &[Tally], kind: Option<TaxonomyKind>| {
        tallies
            .iter()
            .map(|t| TallyLink {
                name: t.name.clone(),
                url: kind.map(|k| term_url(site, k, &t.name)),
                count: t.count,
            })
            .collect()
    };
    let facts = |d: &Distribution| DurationFacts {
        median: d.spread.map(|s| Unit::Minutes.format(s.median)),
        p90: d.spread.map(|s| Unit::Minutes.format(s.p90)),
        measured: d.spread.map_or(0, |s| s.n),
        missing: d.missing,
    };
    DossierView {
        root_causes: links(&dossier.root_causes, Some(TaxonomyKind::RootCause)),
        recurring_factors: links(&dossier.recurring_factors, None),
        related_services: links(&dossier.related_services, Some(TaxonomyKind::Service)),
        open_actions: dossier
            .open_actions
            .iter()
            .take(DOSSIER_ACTIONS)
            .map(|&i| model.row(i))
            .collect(),
        open_total: dossier.open_actions.len(),
        detect: facts(&dossier.time_to_detect),
        resolve: facts(&dossier.time_to_resolve),
        incidents: service.members.len(),
    }
}

#[derive(Debug, Serialize)]
pub struct OnThisDay<'a> {
    pub item: &'a Item,
    pub years_ago: i32,
}

/// Published postmortems that started on today's month and day in an earlier year, most
/// recent first. (A 29 February incident comes up only in leap years.)
pub fn on_this_day<'a>(site: &Site<'_>, items: &'a [Item]) -> Vec<OnThisDay<'a>> {
    let today = site.selection.today;
    site.postmortems
        .iter()
        .enumerate()
        .filter_map(|(i, pm)| {
            let day = pm.started_at.date();
            (day.month() == today.month() && day.day() == today.day() && day.year() < today.year()).then(
                || OnThisDay {
                    item: &items[i],
                    years_ago: today.year() - day.year(),
                },
            )
        })
        .collect()
}
