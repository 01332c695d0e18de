//! The numbers behind /insights/, computed from the published postmortems only.
//!
//! Durations are in whole minutes and only where both ends are exact times (a plain date
//! has no time of day); postmortems that cannot give one are counted in `missing`, never
//! silently dropped. Periods come from `started_at` as the author wrote it (its own offset).

use std::collections::BTreeMap;

use chrono::Datelike;

use super::ledger::Ledger;
use super::stats::Spread;
use super::{Site, TaxonomyKind};
use crate::content::moment::Moment;
use crate::content::{ActionStatus, Postmortem};

/// How many root causes and services the "over time" charts follow.
pub const TOP: usize = 5;

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Insights {
    /// The configured severity names, most severe first (the series of `per_month`).
    pub severities: Vec<String>,
    /// Every month from the first incident's to the last one's, empty months included.
    pub per_month: Vec<Counts>,
    pub detect_by_quarter: Vec<Distribution>,
    pub resolve_by_quarter: Vec<Distribution>,
    pub detect_by_severity: Vec<Distribution>,
    pub resolve_by_severity: Vec<Distribution>,
    /// The most frequent root causes overall (series), counted per year (categories).
    pub root_causes: Trend,
    pub services: Trend,
    /// Action items by the quarter of their incident: done, won't do, pending.
    pub actions_by_quarter: Vec<Counts>,
    pub missing: Vec<Missing>,
    pub total: usize,
}

/// One category (a month, a quarter) with a count per series.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub label: String,
    pub counts: Vec<usize>,
    pub total: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Distribution {
    pub label: String,
    /// In minutes; `None` when no postmortem of the group gives the duration.
    pub spread: Option<Spread>,
    /// Postmortems of the group whose duration cannot be computed.
    pub missing: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Trend {
    pub series: Vec<String>,
    /// Years, oldest first.
    pub periods: Vec<Counts>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Missing {
    pub field: &'static str,
    /// Postmortems without the key at all.
    pub absent: usize,
    /// Postmortems that give only a date, so no duration from it can be computed.
    pub date_only: usize,
}

pub const ACTION_SERIES: [&str; 3] = ["Done", "Won't do", "Pending"];
/// Where each status is counted in an `actions_by_quarter` row (see [`ACTION_SERIES`]).
pub const ACTION_DONE: usize = 0;
pub const ACTION_WONT_DO: usize = 1;
pub const ACTION_PENDING: usize = 2;

impl Insights {
    pub fn build(site: &Site<'_>, ledger: &Ledger) -> Insights {
        let pms = &site.postmortems;
        let severities: Vec<String> = site.config.severities.iter().map(|s| s.name.clone()).collect();
        // Oldest first reads left to right on a time axis.
        let chronological: Vec<&Postmortem> = pms.iter().rev().copied().collect();

        let per_month = match (chronological.first(), chronological.last()) {
            (Some(first), Some(last)) => {
                let mut counts: BTreeMap<(i32, u32), Vec<usize>> = BTreeMap::new();
                let (mut y, mut m) = month(first);
                let end = month(last);
                while (y, m) <= end {
                    counts.insert((y, m), vec![0; severities.len()]);
                    (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                }
                for pm in pms {
                    if let Some(row) = counts.get_mut(&month(pm))
                        && let Some(cell) = row.get_mut(pm.severity_rank)
                    {
                        *cell += 1;
                    }
                }
                counts
                    .into_iter()
                    .map(|((y, m), counts)| Counts::new(format!("{y}-{m:02}"), counts))
                    .collect()
            }
            _ => Vec::new(),
        };

        let by_quarter = |end: fn(&Postmortem) -> Option<Moment>| {
            let mut groups: BTreeMap<(i32, u32), Vec<&Postmortem>> = BTreeMap::new();
            for pm in &chronological {
                groups.entry(quarter(pm)).or_default().push(pm);
            }
            groups
                .into_iter()
                .map(|(key, members)| Distribution::of(quarter_label(key), &members, end))
                .collect::<Vec<_>>()
        };
        let by_severity = |end: fn(&Postmortem) -> Option<Moment>| {
            severities
                .iter()
                .enumerate()
                .map(|(rank, name)| {
                    let members: Vec<&Postmortem> = pms
                        .iter()
                        .filter(|pm| pm.severity_rank == rank)
                        .copied()
                        .collect();
                    Distribution::of(name.clone(), &members, end)
                })
                .filter(|d| d.spread.is_some() || d.missing > 0)
                .collect::<Vec<_>>()
        };

        let mut actions: BTreeMap<(i32, u32), Vec<usize>> = BTreeMap::new();
        for entry in &ledger.entries {
            let pm = pms[entry.postmortem];
            let slot = match entry.status {
                ActionStatus::Done => ACTION_DONE,
                ActionStatus::WontDo => ACTION_WONT_DO,
                _ => ACTION_PENDING,
            };
            actions.entry(quarter(pm)).or_insert_with(|| vec![0; 3])[slot] += 1;
        }

        let missing = [
            ("detected_at", detected as fn(&Postmortem) -> Option<Moment>),
            ("mitigated_at", |pm| pm.mitigated_at),
            ("resolved_at", resolved),
        ]
        .into_iter()
        .map(|(field, end)| Missing {
            field,
            absent: pms.iter().filter(|pm| end(pm).is_none()).count(),
            date_only: pms
                .iter()
                .filter(|pm| end(pm).is_some() && duration(pm, end).is_none())
                .count(),
        })
        .collect();

        Insights {
            per_month,
            detect_by_quarter: by_quarter(detected),
            resolve_by_quarter: by_quarter(resolved),
            detect_by_severity: by_severity(detected),
            resolve_by_severity: by_severity(resolved),
            root_causes: Trend::top(site, TaxonomyKind::RootCause, &chronological),
            services: Trend::top(site, TaxonomyKind::Service, &chronological),
            actions_by_quarter: actions
                .into_iter()
                .map(|(key, counts)| Counts::new(quarter_label(key), counts))
                .collect(),
            missing,
            total: pms.len(),
            severities,
        }
    }
}

impl Counts {
    fn new(label: String, counts: Vec<usize>) -> Counts {
        Counts {
            label,
            total: counts.iter().sum(),
            counts,
        }
    }
}

impl Distribution {
    pub fn of(
        label: String,
        members: &[&Postmortem],
        end: fn(&Postmortem) -> Option<Moment>,
    ) -> Distribution {
        let minutes: Vec<i64> = members.iter().filter_map(|pm| duration(pm, end)).collect();
        Distribution {
            label,
            missing: members.len() - minutes.len(),
            spread: Spread::of(&minutes),
        }
    }
}

impl Trend {
    fn top(site: &Site<'_>, kind: TaxonomyKind, chronological: &[&Postmortem]) -> Trend {
        let taxonomy = site.taxonomy(kind);
        let terms = taxonomy.most_used(TOP);
        let mut years: BTreeMap<i32, Vec<usize>> = BTreeMap::new();
        for pm in chronological {
            years
                .entry(pm.started_at.year())
                .or_insert_with(|| vec![0; terms.len()]);
        }
        for (s, term) in terms.iter().enumerate() {
            for &i in &term.members {
                if let Some(row) = years.get_mut(&site.postmortems[i].started_at.year()) {
                    row[s] += 1;
                }
            }
        }
        Trend {
            series: terms.iter().map(|t| t.name.clone()).collect(),
            periods: years
                .into_iter()
                .map(|(y, counts)| Counts::new(y.to_string(), counts))
                .collect(),
        }
    }
}

pub fn detected(pm: &Postmortem) -> Option<Moment> {
    pm.detected_at
}

pub fn resolved(pm: &Postmortem) -> Option<Moment> {
    pm.resolved_at
}

/// Whole minutes from `started_at` to another timestamp; `None` when either is a date.
pub fn duration(pm: &Postmortem, end: fn(&Postmortem) -> Option<Moment>) -> Option<i64> {
    Some(pm.started_at.until(&end(pm)?)?.num_minutes())
}

fn month(pm: &Postmortem) -> (i32, u32) {
    let d = pm.started_at.date();
    (d.year(), d.month())
}

/// The year and quarter a postmortem started in: a key to count by (made for every action
/// item of the archive), labelled by [`quarter_label`] once counted.
fn quarter(pm: &Postmortem) -> (i32, u32) {
    let d = pm.started_at.date();
    (d.year(), d.month0() / 3 + 1)
}

fn quarter_label((year, quarter): (i32, u32)) -> String {
    format!("{year}-Q{quarter}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::site::fixture::{content, selection};

    fn insights(files: &[(&str, &str)]) -> Insights {
        let config = Config::default();
        let content = content(&config, files);
        let site = Site::build(&content, &config, selection("2025-01-01"));
        let ledger = Ledger::build(&site);
        Insights::build(&site, &ledger)
    }

    #[test]
    fn months_run_without_gaps_and_split_by_severity() {
        let i = insights(&[
            ("a", "started_at = 2023-11-30T23:00:00Z\nseverity = \"SEV1\""),
            ("b", "started_at = 2024-02-01\nseverity = \"SEV3\""),
            ("c", "started_at = 2024-02-29T10:00:00+05:00\nseverity = \"SEV3\""),
        ]);
        let months: Vec<(&str, &[usize])> = i
            .per_month
            .iter()
            .map(|c| (c.label.as_str(), c.counts.as_slice()))
            .collect();
        assert_eq!(
            months,
            [
                ("2023-11", &[1, 0, 0, 0][..]),
                ("2023-12", &[0, 0, 0, 0][..]),
                ("2024-01", &[0, 0, 0, 0][..]),
                ("2024-02", &[0, 0, 2, 0][..]),
            ]
        );
        assert_eq!(i.total, 3);
    }

    #[test]
    fn durations_are_nearest_rank_and_count_what_they_cannot_measure() {
        let at = |month: u32, minute: u32| format!("2024-0{month}-01T00:{minute:02}:00Z");
        let mut files = Vec::new();
        // Q1: detected after 60, 5, 20, 240 minutes; one only dated.
        for (id, minutes) in [("q1a", 60), ("q1b", 5), ("q1c", 20), ("q1d", 240)] {
            files.push((
                id,
                format!(
                    "started_at = 2024-02-01T00:00:00Z\ndetected_at = 2024-02-01T{:02}:{:02}:00Z",
                    minutes / 60,
                    minutes % 60
                ),
            ));
        }
        files.push((
            "q1e",
            "started_at = 2024-03-01\ndetected_at = 2024-03-01".to_string(),
        ));
        files.push((
            "q2a",
            format!("started_at = {}\ndetected_at = {}", at(4, 0), at(4, 30)),
        ));
        files.push(("q2b", format!("started_at = {}", at(5, 0))));
        let files: Vec<(&str, &str)> = files.iter().map(|(a, b)| (*a, b.as_str())).collect();
        let i = insights(&files);
        let q: Vec<(&str, Option<Spread>, usize)> = i
            .detect_by_quarter
            .iter()
            .map(|d| (d.label.as_str(), d.spread, d.missing))
            .collect();
        assert_eq!(
            q,
            [
                (
                    "2024-Q1",
                    Some(Spread {
                        n: 4,
                        median: 20,
                        p90: 240
                    }),
                    1
                ),
                (
                    "2024-Q2",
                    Some(Spread {
                        n: 1,
                        median: 30,
                        p90: 30
                    }),
                    1
                ),
            ]
        );
        let detected = &i.missing[0];
        assert_eq!(
            (detected.field, detected.absent, detected.date_only),
            ("detected_at", 1, 1)
        );
        assert_eq!(i.resolve_by_quarter.iter().map(|d| d.missing).sum::<usize>(), 7);
        // Severity SEV2 (the default) holds them all, [5, 20, 30, 60, 240]: ranks 3 and 5.
        assert_eq!(i.detect_by_severity.len(), 1);
        assert_eq!(
            i.detect_by_severity[0].spread.map(|s| (s.median, s.p90)),
            Some((30, 240))
        );
    }

    #[test]
    fn trends_follow_the_top_terms_per_year_and_actions_per_quarter() {
        let i = insights(&[
            (
                "a",
                "started_at = 2023-05-01\nroot_causes = [\"dns\", \"deploy\"]\n[[action_items]]\ntitle = \"x\"\nstatus = \"done\"",
            ),
            (
                "b",
                "started_at = 2024-05-01\nroot_causes = [\"DNS\"]\n[[action_items]]\ntitle = \"y\"",
            ),
            ("c", "started_at = 2024-06-01\nroot_causes = [\"dns\"]"),
        ]);
        assert_eq!(i.root_causes.series, ["dns", "deploy"]);
        let years: Vec<(&str, &[usize])> = i
            .root_causes
            .periods
            .iter()
            .map(|c| (c.label.as_str(), c.counts.as_slice()))
            .collect();
        assert_eq!(years, [("2023", &[1, 1][..]), ("2024", &[2, 0][..])]);
        let actions: Vec<(&str, &[usize])> = i
            .actions_by_quarter
            .iter()
            .map(|c| (c.label.as_str(), c.counts.as_slice()))
            .collect();
        assert_eq!(
            actions,
            [("2023-Q2", &[1, 0, 0][..]), ("2024-Q2", &[0, 0, 1][..])]
        );
    }
}
