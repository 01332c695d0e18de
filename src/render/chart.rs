//! Bar charts as inline SVG, drawn at build time: no JavaScript, and the numbers come
//! straight from the site model.
//!
//! Colours are CSS classes (`s0`..`s7`, set in style.css for light, dark and print), so the
//! same markup reads in every mode. Each bar carries its numbers (`data-category`,
//! `data-series`, `data-value`) and a `<title>` tooltip; the SVG has `role="img"` with a
//! `<title>` and `<desc>`, and every chart on a page comes with a table of the same numbers
//! for screen readers and print.
//!
//! An SVG scales with its container (a viewBox, and `width: 100%` in the stylesheet), and
//! its text scales with it: one drawing cannot have readable labels both in a 1,100 px
//! column and on a 390 px phone. So a chart is drawn [`Width::Wide`] and
//! [`Width::Narrow`], the narrow one with fewer axis labels (and no per-bar numbers or
//! tooltips, which a touch screen cannot hover), and the stylesheet shows one.

use std::fmt::Write;

use crate::content::moment::human_duration;
use crate::render::escape_html;
use crate::render::rows::trim_float;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Count,
    Minutes,
}

impl Unit {
    pub fn format(self, value: i64) -> String {
        match self {
            Unit::Count => value.to_string(),
            Unit::Minutes => human_duration(chrono::TimeDelta::minutes(value)),
        }
    }

    /// An axis label: a duration axis starts at a plain 0, not "0 s".
    fn tick(self, value: i64) -> String {
        if value == 0 {
            "0".into()
        } else {
            self.format(value)
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// One bar per category, its series stacked (counts that add up).
    Stacked,
    /// One bar per series side by side in each category (statistics that do not add up).
    Grouped,
}

/// How the categories are labelled under the bars.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Categories {
    /// Evenly spaced labels, as many as fit.
    Spaced,
    /// Months (`YYYY-MM`): each year labelled at its January (or first month), with a line
    /// between years, so a long run of months reads by year at a glance.
    Months,
}

/// The two drawings of a chart; their viewBox widths, at one text size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Width {
    Wide,
    Narrow,
}

impl Width {
    fn view_width(self) -> f64 {
        match self {
            Width::Wide => 960.0,
            // About a phone's column (358 px at 390): text close to its CSS size.
            Width::Narrow => 360.0,
        }
    }

    fn max_labels(self) -> usize {
        match self {
            Width::Wide => 12,
            Width::Narrow => 5,
        }
    }

    fn left(self) -> f64 {
        match self {
            Width::Wide => 72.0,
            Width::Narrow => 52.0,
        }
    }

    fn id_suffix(self) -> &'static str {
        match self {
            Width::Wide => "",
            Width::Narrow => "-narrow",
        }
    }
}

pub struct Chart {
    /// Unique on the page: prefixes the ids of `<title>` and `<desc>`.
    pub id: String,
    pub title: String,
    pub description: String,
    pub categories: Vec<String>,
    pub series: Vec<String>,
    /// `values[category][series]`; `None` where there is nothing to draw.
    pub values: Vec<Vec<Option<i64>>>,
    pub unit: Unit,
    pub layout: Layout,
    pub labels: Categories,
    /// Colour class (`s0`..`s7`) per series, cycled; empty means `s0`, `s1`, ...
    pub palette: Vec<usize>,
}

const HEIGHT: f64 = 260.0;
const TOP: f64 = 12.0;
const RIGHT: f64 = 12.0;
const BOTTOM: f64 = 34.0;
/// At most this wide per bar, so a chart with three bars does not look like a wall.
const MAX_SLOT: f64 = 90.0;
const TICKS: i64 = 4;

impl Chart {
    pub fn svg(&self, width: Width) -> String {
        let view_width = width.view_width();
        let left = width.left();
        let plot_width = view_width - left - RIGHT;
        let plot_height = HEIGHT - TOP - BOTTOM;
        let max = self.max_value();
        let step = nice_step(max, self.unit);
        // A count axis goes to at least TICKS, so that one incident is a short bar and not a
        // full-height one: small numbers look small.
        let floor = if self.unit == Unit::Count { TICKS } else { 1 };
        let top_value = (max.max(floor) + step - 1) / step * step;
        let y = |v: i64| TOP + plot_height - v as f64 / top_value as f64 * plot_height;

        let mut out = String::new();
        let id = format!("{}{}", self.id, width.id_suffix());
        let class = match width {
            Width::Wide => "chart chart-wide",
            Width::Narrow => "chart chart-narrow",
        };
        let _ = write!(
            out,
            "<svg class=\"{class}\" role=\"img\" viewBox=\"0 0 {w} {h}\" \
             preserveAspectRatio=\"xMinYMin meet\" aria-labelledby=\"{id}-title {id}-desc\" \
             xmlns=\"http://www.w3.org/2000/svg\">\
             <title id=\"{id}-title\">{title}</title><desc id=\"{id}-desc\">{desc}</desc>",
            w = trim_float(view_width),
            h = trim_float(HEIGHT),
            id = escape_html(&id),
            title = escape_html(&self.title),
            desc = escape_html(&self.description),
        );
        out.push_str("<g class=\"axis\" aria-hidden=\"true\">");
        let mut tick = 0;
        while tick <= top_value {
            let _ = write!(
                out,
                "<line class=\"grid\" x1=\"{x1}\" x2=\"{x2}\" y1=\"{y}\" y2=\"{y}\"/>\
                 <text class=\"tick\" x=\"{tx}\" y=\"{ty}\" text-anchor=\"end\">{label}</text>",
                x1 = trim_float(left),
                x2 = trim_float(left + plot_width),
                y = trim_float(y(tick)),
                tx = trim_float(left - 6.0),
                ty = trim_float(y(tick) + 4.0),
                label = escape_html(&self.unit.tick(tick)),
            );
            tick += step;
        }
        let slot = (plot_width / self.categories.len().max(1) as f64).min(MAX_SLOT);
        // With few categories the bars are centred rather than crowded to the left.
        let start = left + (plot_width - slot * self.categories.len() as f64) / 2.0;
        for (c, label) in self.category_labels(width.max_labels()) {
            let x = start + slot * c as f64;
            if self.labels == Categories::Months && c > 0 {
                let _ = write!(
                    out,
                    "<line class=\"grid year\" x1=\"{x}\" x2=\"{x}\" y1=\"{y1}\" y2=\"{y2}\"/>",
                    x = trim_float(x),
                    y1 = trim_float(TOP),
                    y2 = trim_float(HEIGHT - BOTTOM + 6.0),
                );
            }
            // Kept inside the drawing: a label is about 8 units a character at 13 px.
            let half = label.chars().count() as f64 * 4.0;
            let (x, anchor) = match self.labels {
                Categories::Spaced => ((x + slot / 2.0).clamp(half, view_width - half), "middle"),
                Categories::Months if x + 2.0 * half + 2.0 > view_width => continue,
                Categories::Months => (x + 2.0, "start"),
            };
            let _ = write!(
                out,
                "<text class=\"tick\" x=\"{x}\" y=\"{y}\" text-anchor=\"{anchor}\">{label}</text>",
                x = trim_float(x),
                y = trim_float(HEIGHT - BOTTOM + 18.0),
                label = escape_html(&label),
            );
        }
        out.push_str("</g><g class=\"bars\">");
        let bar_room = slot * 0.8;
        for (c, category) in self.categories.iter().enumerate() {
            let x0 = start + slot * c as f64 + (slot - bar_room) / 2.0;
            let mut stacked = 0;
            for (s, series) in self.series.iter().enumerate() {
                let Some(value) = self.values.get(c).and_then(|row| row.get(s).copied().flatten()) else {
                    continue;
                };
                if value <= 0 {
                    continue;
                }
                let (x, w, top, bottom) = match self.layout {
                    Layout::Stacked => {
                        let bottom = stacked;
                        stacked += value;
                        (x0, bar_room, stacked, bottom)
                    }
                    Layout::Grouped => {
                        let w = bar_room / self.series.len().max(1) as f64;
                        (x0 + w * s as f64, w, value, 0)
                    }
                };
                let _ = write!(
                    out,
                    "<rect class=\"s{class}\" x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\"",
                    class = self.class(s),
                    x = trim_float(x),
                    y = trim_float(y(top)),
                    w = trim_float(w),
                    h = trim_float(y(bottom) - y(top)),
                );
                // The wide drawing carries each bar's numbers and its hover tooltip; the
                // narrow one, for touch screens that have no hover, only its shape.
                if width == Width::Narrow {
                    out.push_str("/>");
                    continue;
                }
                let _ = write!(
                    out,
                    " data-category=\"{cat}\" data-series=\"{ser}\" data-value=\"{value}\">\
                     <title>{cat}, {ser}: {shown}</title></rect>",
                    cat = escape_html(category),
                    ser = escape_html(series),
                    shown = escape_html(&self.unit.format(value)),
                );
            }
        }
        out.push_str("</g></svg>");
        out
    }

    /// The categories labelled under the axis, as (index, label): at most about `max`.
    fn category_labels(&self, max: usize) -> Vec<(usize, String)> {
        match self.labels {
            Categories::Spaced => {
                let every = self.categories.len().div_ceil(max).max(1);
                self.categories
                    .iter()
                    .enumerate()
                    .filter(|(c, _)| c % every == 0)
                    .map(|(c, label)| (c, label.clone()))
                    .collect()
            }
            Categories::Months => {
                let years: Vec<(usize, String)> = self
                    .categories
                    .iter()
                    .enumerate()
                    .filter(|(c, month)| *c == 0 || month.ends_with("-01"))
                    .map(|(c, month)| (c, month.chars().take(4).collect()))
                    .collect();
                let every = years.len().div_ceil(max).max(1);
                years.into_iter().step_by(every).collect()
            }
        }
    }

    /// The colour class of series `s`.
    pub fn class(&self, s: usize) -> usize {
        if self.palette.is_empty() {
            s % 8
        } else {
            self.palette[s % self.palette.len()] % 8
        }
    }

    fn max_value(&self) -> i64 {
        self.values
            .iter()
            .map(|row| {
                let values = row.iter().flatten().copied().filter(|v| *v > 0);
                match self.layout {
                    Layout::Stacked => values.sum(),
                    Layout::Grouped => values.max().unwrap_or(0),
                }
            })
            .max()
            .unwrap_or(0)
    }
}

/// A grid step that gives at most [`TICKS`] intervals on round numbers: 1-2-5 for counts;
/// minutes, hours and days for durations.
fn nice_step(max: i64, unit: Unit) -> i64 {
    let raw = (max.max(1) + TICKS - 1) / TICKS;
    let candidates: &[i64] = match unit {
        Unit::Minutes => &[
            1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 7200, 10080,
        ],
        Unit::Count => &[1, 2, 5],
    };
    if let Some(step) = candidates.iter().copied().find(|c| *c >= raw) {
        return step;
    }
    let base = match unit {
        Unit::Minutes => 1440,
        Unit::Count => 1,
    };
    let mut magnitude = base;
    loop {
        for m in [1, 2, 5] {
            if magnitude * m >= raw {
                return magnitude * m;
            }
        }
        magnitude *= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(layout: Layout, values: Vec<Vec<Option<i64>>>) -> Chart {
        Chart {
            id: "c".into(),
            title: "Incidents <per> month".into(),
            description: "d".into(),
            categories: (0..values.len()).map(|i| format!("m{i}")).collect(),
            series: vec!["SEV1".into(), "SEV2".into()],
            values,
            unit: Unit::Count,
            layout,
            labels: Categories::Spaced,
            palette: Vec::new(),
        }
    }

    /// (series, category, value, y, height) of every bar.
    fn bars(svg: &str) -> Vec<(String, String, i64, f64, f64)> {
        let doc = roxmltree::Document::parse(svg).expect("well-formed SVG");
        doc.descendants()
            .filter(|n| n.has_tag_name("rect"))
            .map(|n| {
                let attr = |a: &str| n.attribute(a).unwrap().to_string();
                (
                    attr("data-series"),
                    attr("data-category"),
                    attr("data-value").parse().unwrap(),
                    attr("y").parse().unwrap(),
                    attr("height").parse().unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn stacked_bars_encode_their_values() {
        let svg = chart(
            Layout::Stacked,
            vec![vec![Some(3), Some(1)], vec![Some(0), Some(2)]],
        )
        .svg(Width::Wide);
        assert!(svg.contains("<title id=\"c-title\">Incidents &lt;per&gt; month</title>"));
        let bars = bars(&svg);
        assert_eq!(
            bars.iter()
                .map(|b| (b.0.as_str(), b.1.as_str(), b.2))
                .collect::<Vec<_>>(),
            [("SEV1", "m0", 3), ("SEV2", "m0", 1), ("SEV2", "m1", 2)],
            "zero counts draw nothing"
        );
        // Heights are proportional to values, and the stack sits on the lower segment.
        let unit = bars[0].4 / 3.0;
        assert!((bars[1].4 - unit).abs() < 0.02);
        assert!((bars[2].4 - 2.0 * unit).abs() < 0.02);
        assert!((bars[1].3 + bars[1].4 - bars[0].3).abs() < 0.02);
    }

    #[test]
    fn grouped_bars_share_a_baseline() {
        let svg = chart(Layout::Grouped, vec![vec![Some(10), Some(40)]]).svg(Width::Wide);
        let bars = bars(&svg);
        assert_eq!(bars.len(), 2);
        let baseline = |b: &(String, String, i64, f64, f64)| b.3 + b.4;
        assert!((baseline(&bars[0]) - baseline(&bars[1])).abs() < 0.02);
        assert!((bars[1].4 / bars[0].4 - 4.0).abs() < 0.01);
    }

    #[test]
    fn steps_are_round() {
        assert_eq!(nice_step(3, Unit::Count), 1);
        assert_eq!(nice_step(7, Unit::Count), 2);
        assert_eq!(nice_step(19, Unit::Count), 5);
        assert_eq!(nice_step(130, Unit::Count), 50);
        assert_eq!(nice_step(170, Unit::Minutes), 60);
        assert_eq!(nice_step(0, Unit::Minutes), 1);
        assert_eq!(nice_step(100_000, Unit::Minutes), 28_800);
    }

    #[test]
    fn bars_stay_inside_the_plot_whatever_their_number() {
        for (n, width) in [1, 3, 240]
            .into_iter()
            .flat_map(|n| [(n, Width::Wide), (n, Width::Narrow)])
        {
            let svg = chart(Layout::Stacked, vec![vec![Some(1), Some(1)]; n]).svg(width);
            let doc = roxmltree::Document::parse(&svg).unwrap();
            let xs: Vec<(f64, f64)> = doc
                .descendants()
                .filter(|e| e.has_tag_name("rect"))
                .map(|e| {
                    let x: f64 = e.attribute("x").unwrap().parse().unwrap();
                    (x, x + e.attribute("width").unwrap().parse::<f64>().unwrap())
                })
                .collect();
            assert_eq!(xs.len(), 2 * n);
            let (left, right) = (width.left(), width.view_width() - RIGHT);
            assert!(
                xs.iter().all(|&(a, b)| a >= left && b <= right && b > a),
                "{n} bars, {width:?}"
            );
            // Centred: as much room left of the first bar as right of the last.
            let (first, last) = (xs[0].0 - left, right - xs[xs.len() - 1].1);
            assert!((first - last).abs() < 0.05, "{n} bars: {first} vs {last}");
        }
    }

    /// The text of every axis label, in order.
    fn ticks(svg: &str) -> Vec<String> {
        let doc = roxmltree::Document::parse(svg).unwrap();
        doc.descendants()
            .filter(|n| n.has_tag_name("text"))
            .map(|n| n.text().unwrap_or_default().to_string())
            .collect()
    }

    #[test]
    fn a_count_axis_has_whole_numbers_and_small_counts_look_small() {
        let svg = chart(Layout::Stacked, vec![vec![Some(1), None]]).svg(Width::Wide);
        assert_eq!(ticks(&svg)[..5], ["0", "1", "2", "3", "4"]);
        let bar = &bars(&svg)[0];
        assert!(
            bar.4 < (HEIGHT - TOP - BOTTOM) / 3.0,
            "one incident is a short bar: {bar:?}"
        );
    }

    #[test]
    fn a_duration_axis_reads_in_its_units_from_a_plain_zero() {
        let mut c = chart(Layout::Grouped, vec![vec![Some(150), Some(400)]]);
        c.unit = Unit::Minutes;
        assert_eq!(ticks(&c.svg(Width::Wide))[..5], ["0", "2 h", "4 h", "6 h", "8 h"]);
    }

    #[test]
    fn months_are_labelled_by_year_fewer_when_narrow() {
        let mut c = chart(Layout::Stacked, vec![vec![Some(1), None]; 30]);
        c.labels = Categories::Months;
        c.categories = (0..30)
            .map(|m| format!("{}-{:02}", 2019 + (m + 9) / 12, (m + 9) % 12 + 1))
            .collect();
        assert_eq!(c.categories[0], "2019-10");
        let labels = |c: &Chart, w| {
            ticks(&c.svg(w))
                .into_iter()
                .filter(|t| t.len() == 4)
                .collect::<Vec<_>>()
        };
        assert_eq!(labels(&c, Width::Wide), ["2019", "2020", "2021", "2022"]);
        assert_eq!(labels(&c, Width::Narrow), ["2019", "2020", "2021", "2022"]);
        c.categories = (0..30).map(|m| format!("{}-01", 2000 + m)).collect();
        assert_eq!(labels(&c, Width::Narrow).len(), 5, "30 years in 5 labels");
    }

    #[test]
    fn the_two_drawings_have_their_own_ids_and_only_the_wide_one_tooltips() {
        let c = chart(Layout::Stacked, vec![vec![Some(1), None]]);
        let (wide, narrow) = (c.svg(Width::Wide), c.svg(Width::Narrow));
        assert!(wide.contains("id=\"c-title\""));
        assert!(narrow.contains("id=\"c-narrow-title\""));
        assert_eq!(wide.matches("<title").count(), 2, "the chart's and the bar's");
        assert_eq!(narrow.matches("<title").count(), 1, "the chart's");
        assert_eq!(
            roxmltree::Document::parse(&narrow)
                .unwrap()
                .descendants()
                .filter(|n| n.has_tag_name("rect"))
                .count(),
            1
        );
    }

    #[test]
    fn an_empty_chart_is_still_valid_svg() {
        let svg = chart(Layout::Stacked, vec![]).svg(Width::Wide);
        assert!(bars(&svg).is_empty());
    }
}
