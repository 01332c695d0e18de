//! Insights: incidents per month, time to detect and resolve, the most frequent root
//! causes and services, action items by quarter: each a chart drawn at build time and the
//! same numbers as a table. Reads `Model::insights`.

use serde::Serialize;

use super::Common;
use crate::render::chart::{Categories, Chart, Layout, Unit, Width};
use crate::render::{Emit, RenderError, Renderer};
use crate::site::insights::{
    ACTION_DONE, ACTION_SERIES, ACTION_WONT_DO, Counts, Distribution, Insights, Trend,
};
use crate::site::ledger::completion_pct;

#[derive(Serialize)]
struct Context<'a> {
    #[serde(flatten)]
    common: Common<'a>,
    insights: InsightsPage,
}

pub fn render<E: Emit>(r: &Renderer<'_>, out: &E, path: &str) -> Result<E::Out, RenderError> {
    let context = Context {
        common: Common::new(r, path, "Insights".into()),
        insights: insights(&r.model.insights),
    };
    out.emit("insights.html", &context)
}

/// A chart and the same numbers as a table.
#[derive(Debug, Serialize)]
pub struct Figure {
    pub id: String,
    pub heading: String,
    pub intro: String,
    /// The chart drawn wide and narrow (the stylesheet shows one).
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

fn insights(insights: &Insights) -> InsightsPage {
    let mut figures = Vec::new();
    if !insights.per_month.is_empty() {
        figures.push(counts_figure(CountsSpec {
            id: "per-month",
            heading: "Incidents per month",
            intro: "Each bar is a month, split by severity; empty months are gaps in the chart and left out of the table.",
            category: "Month",
            series: &insights.severities,
            rows: &insights.per_month,
            with_total: true,
            palette: &[],
            labels: Categories::Months,
        }));
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
            labels: Categories::Spaced,
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

fn drawings(chart: &Chart) -> String {
    chart.svg(Width::Wide) + &chart.svg(Width::Narrow)
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
    labels: Categories,
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
        labels,
    } = spec;
    // A month-by-month table of mostly zeros buries the months that matter.
    let skip_empty = labels == Categories::Months;
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
        labels,
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
        svg: drawings(&chart),
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
        labels: Categories::Spaced,
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
        svg: drawings(&chart),
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
        labels: Categories::Spaced,
    })
}
