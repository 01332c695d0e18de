//! A service's dossier: what to read before a risky change to it. Computed from the
//! service's published incidents only.

use std::collections::BTreeMap;

use super::insights::{self, Distribution};
use super::ledger::Ledger;
use super::{Site, TaxonomyKind, Term, term_slug};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dossier {
    /// Root causes of the service's incidents, most frequent first.
    pub root_causes: Vec<Tally>,
    /// Contributing factors named in more than one of its incidents (compared ignoring
    /// case and surrounding space), most frequent first.
    pub recurring_factors: Vec<Tally>,
    /// Other services that appear in the same incidents, most shared incidents first.
    pub related_services: Vec<Tally>,
    /// Pending action items for this service: indices into `Ledger::entries`.
    pub open_actions: Vec<usize>,
    pub time_to_detect: Distribution,
    pub time_to_resolve: Distribution,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tally {
    pub name: String,
    pub count: usize,
}

impl Dossier {
    pub fn build(site: &Site<'_>, ledger: &Ledger, service: &Term) -> Dossier {
        let incidents: Vec<_> = service.members.iter().map(|&i| site.postmortems[i]).collect();
        let mut causes = Counter::default();
        let mut factors = Counter::default();
        let mut related = Counter::default();
        for pm in &incidents {
            causes.add_once(&pm.root_causes, term_slug);
            factors.add_once(&pm.contributing_factors, normalise);
            let others: Vec<String> = pm
                .services
                .iter()
                .filter(|s| term_slug(s) != service.slug)
                .cloned()
                .collect();
            related.add_once(&others, term_slug);
        }
        let open_actions = ledger.service(&service.slug).map_or_else(Vec::new, |group| {
            group
                .entries
                .iter()
                .copied()
                .filter(|&i| ledger.item(site, &ledger.entries[i]).status.is_pending())
                .collect()
        });
        let distribution = |end| Distribution::of(service.name.clone(), &incidents, end);
        Dossier {
            root_causes: causes.tallies(site, Some(TaxonomyKind::RootCause), 1),
            recurring_factors: factors.tallies(site, None, 2),
            related_services: related.tallies(site, Some(TaxonomyKind::Service), 1),
            open_actions,
            time_to_detect: distribution(insights::detected),
            time_to_resolve: distribution(insights::resolved),
        }
    }
}

fn normalise(value: &str) -> String {
    value.trim().to_lowercase()
}

/// Counts by a normalised key, keeping the first spelling seen.
#[derive(Default)]
struct Counter {
    counts: BTreeMap<String, (String, usize)>,
}

impl Counter {
    /// Counts each value of one postmortem once (a factor listed twice is one mention).
    fn add_once(&mut self, values: &[String], key: impl Fn(&str) -> String) {
        let mut seen = std::collections::BTreeSet::new();
        for value in values {
            let key = key(value);
            if seen.insert(key.clone()) {
                self.counts
                    .entry(key)
                    .or_insert_with(|| (value.trim().to_string(), 0))
                    .1 += 1;
            }
        }
    }

    /// Most frequent first, then by name; only counts of at least `min`. With a taxonomy,
    /// values are named as the taxonomy names their page.
    fn tallies(self, site: &Site<'_>, kind: Option<TaxonomyKind>, min: usize) -> Vec<Tally> {
        let mut tallies: Vec<Tally> = self
            .counts
            .into_values()
            .filter(|(_, count)| *count >= min)
            .map(|(name, count)| Tally {
                name: kind
                    .and_then(|k| site.taxonomy(k).term_for(&name))
                    .map_or(name, |t| t.name.clone()),
                count,
            })
            .collect();
        tallies.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
        tallies
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::site::fixture::{content, selection};

    #[test]
    fn recurring_factors_related_services_and_open_items() {
        let config = Config::default();
        let content = content(
            &config,
            &[
                (
                    "a",
                    r#"started_at = 2024-01-01T00:00:00Z
detected_at = 2024-01-01T00:10:00Z
services = ["api", "db"]
root_causes = ["deploy"]
contributing_factors = ["No canary", "No canary ", "Pager fatigue"]
[[action_items]]
title = "api item"
[[action_items]]
title = "db item"
service = "db"
[[action_items]]
title = "closed api item"
status = "done""#,
                ),
                (
                    "b",
                    r#"started_at = 2024-02-01T00:00:00Z
services = ["API", "cache"]
root_causes = ["deploy", "capacity"]
contributing_factors = ["no canary"]"#,
                ),
                ("c", "started_at = 2024-03-01T00:00:00Z\nservices = [\"db\"]"),
            ],
        );
        let site = Site::build(&content, &config, selection("2025-01-01"));
        let ledger = Ledger::build(&site);
        let services = site.taxonomy(TaxonomyKind::Service);
        let api = services.term_for("api").expect("api");
        let dossier = Dossier::build(&site, &ledger, api);
        let tally = |t: &[Tally]| t.iter().map(|t| (t.name.clone(), t.count)).collect::<Vec<_>>();
        assert_eq!(
            tally(&dossier.root_causes),
            [("deploy".to_string(), 2), ("capacity".to_string(), 1)]
        );
        assert_eq!(
            tally(&dossier.recurring_factors),
            [("no canary".to_string(), 2)],
            "once per incident, compared ignoring case and spaces; single mentions left out"
        );
        assert_eq!(
            tally(&dossier.related_services),
            [("cache".to_string(), 1), ("db".to_string(), 1)]
        );
        let open: Vec<&str> = dossier
            .open_actions
            .iter()
            .map(|&i| ledger.item(&site, &ledger.entries[i]).title.as_str())
            .collect();
        assert_eq!(open, ["api item"]);
        assert_eq!(dossier.time_to_detect.spread.map(|s| s.median), Some(10));
        assert_eq!(dossier.time_to_detect.missing, 1);
    }
}
