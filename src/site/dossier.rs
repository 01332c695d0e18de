//! A service's dossier: what to read before a risky change to it. Computed from the
//! service's published incidents only. `pmsite brief` shows the same lessons, picked and
//! cut by the same functions ([`lessons`], [`instructive_first`]).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use serde::Serialize;

use crate::content::markdown::{Section, sections};

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
    /// The lessons of its most instructive incidents ([`instructive_first`]), at most
    /// [`LESSON_INCIDENTS`] incidents that have any: site index and excerpts.
    pub lessons: Vec<(usize, Vec<Lesson>)>,
}

/// How many incidents' lessons a dossier or a brief shows.
pub const LESSON_INCIDENTS: usize = 5;

/// How many incidents, most instructive first, are looked at for those lessons: a service
/// with a thousand incidents whose reviews have no such sections costs this many parses.
pub const LESSON_CANDIDATES: usize = 50;

/// An excerpt is cut after about this many characters, between words.
const EXCERPT_CHARS: usize = 280;

/// One excerpt of what an incident taught: its "Lessons learned" or "What went wrong"
/// section, cut short.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Lesson {
    pub kind: LessonKind,
    /// The section's anchor on the incident page.
    pub section: String,
    pub section_title: String,
    pub text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LessonKind {
    LessonsLearned,
    WentWrong,
}

impl LessonKind {
    pub fn label(self) -> &'static str {
        match self {
            LessonKind::LessonsLearned => "Lessons learned",
            LessonKind::WentWrong => "What went wrong",
        }
    }
}

/// The lessons-learned and what-went-wrong sections of a body (as the search index keeps
/// them: `content::markdown::sections`), each as an excerpt, in body order. Headings are
/// matched as PM401 matches required sections ("Takeaways" is lessons learned).
pub fn lessons(sections: &[Section]) -> Vec<Lesson> {
    sections
        .iter()
        .filter_map(|section| {
            let kind = if crate::check::sections::is_section(&section.title, "Lessons learned") {
                LessonKind::LessonsLearned
            } else if crate::check::sections::is_section(&section.title, "What went wrong") {
                LessonKind::WentWrong
            } else {
                return None;
            };
            let text = excerpt(&section.text);
            (!text.is_empty()).then(|| Lesson {
                kind,
                section: section.id.clone(),
                section_title: section.title.clone(),
                text,
            })
        })
        .collect()
}

/// The lessons of the first [`LESSON_INCIDENTS`] incidents of `ranked` (best first) that
/// have any, looking at no more than [`LESSON_CANDIDATES`]. `sections` gives an incident's
/// body sections.
pub fn lessons_of_first<T: Copy>(
    ranked: impl IntoIterator<Item = T>,
    mut sections: impl FnMut(T) -> Vec<Section>,
) -> Vec<(T, Vec<Lesson>)> {
    ranked
        .into_iter()
        .take(LESSON_CANDIDATES)
        .map(|incident| (incident, lessons(&sections(incident))))
        .filter(|(_, lessons)| !lessons.is_empty())
        .take(LESSON_INCIDENTS)
        .collect()
}

/// `text` (already one line) cut after about [`EXCERPT_CHARS`] characters, at a word
/// boundary, with an ellipsis when cut.
fn excerpt(text: &str) -> String {
    let text = text.trim();
    if text.chars().count() <= EXCERPT_CHARS {
        return text.to_string();
    }
    let cut = text
        .char_indices()
        .nth(EXCERPT_CHARS)
        .map_or(text.len(), |(i, _)| i);
    let head = &text[..cut];
    let head = head.rfind(' ').map_or(head, |space| &head[..space]);
    format!("{}…", head.trim_end_matches([',', ';', ':', ' ']))
}

/// The order in which incidents are worth reading before a change when nothing more is
/// known about it: most severe first (`severity_rank`, 0 = most severe), then the most
/// recent (`started`, a `Moment::sort_key`), then by id.
pub fn instructive_first(a: (usize, i64, &str), b: (usize, i64, &str)) -> Ordering {
    a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then_with(|| a.2.cmp(b.2))
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub name: String,
    pub count: usize,
}

impl Dossier {
    pub fn build(site: &Site<'_>, ledger: &Ledger, service: &Term) -> Dossier {
        let incidents: Vec<_> = service.members.iter().map(|&i| site.postmortems[i]).collect();
        let mut causes = Counter::new(term_slug);
        let mut factors = Counter::new(normalise);
        let mut related = Counter::new(term_slug);
        for pm in &incidents {
            causes.add_once(&pm.root_causes);
            factors.add_once(&pm.contributing_factors);
            related.add_once(&pm.services);
        }
        // Every member has this service: the others are what is related.
        related.forget(&service.slug);
        let open_actions = ledger.service(&service.slug).map_or_else(Vec::new, |group| {
            group
                .entries
                .iter()
                .copied()
                .filter(|&i| ledger.entries[i].status.is_pending())
                .collect()
        });
        let distribution = |end| Distribution::of(service.name.clone(), &incidents, end);
        // Keys gathered first: a comparison that looks up both postmortems misses the cache
        // on a large archive.
        let mut keyed: Vec<((usize, i64, &str), usize)> = service
            .members
            .iter()
            .map(|&i| {
                let pm = site.postmortems[i];
                ((pm.severity_rank, pm.started_at.sort_key(), pm.id.as_str()), i)
            })
            .collect();
        keyed.sort_by(|a, b| instructive_first(a.0, b.0));
        let ranked: Vec<usize> = keyed.into_iter().map(|(_, i)| i).collect();
        let lessons = lessons_of_first(ranked, |i| {
            let pm = site.postmortems[i];
            sections(&pm.source.body.text(), &pm.source.outline)
        });
        Dossier {
            root_causes: causes.tallies(site, Some(TaxonomyKind::RootCause), 1),
            recurring_factors: factors.tallies(site, None, 2),
            related_services: related.tallies(site, Some(TaxonomyKind::Service), 1),
            open_actions,
            time_to_detect: distribution(insights::detected),
            time_to_resolve: distribution(insights::resolved),
            lessons,
        }
    }
}

/// How contributing factors are compared: "No canary " and "no canary" are one factor.
pub fn normalise(value: &str) -> String {
    value.trim().to_lowercase()
}

/// Counts by a normalised key, keeping the first spelling seen.
pub struct Counter {
    /// How a value is normalised: one function per counter, as `keys` remembers its answers.
    key: fn(&str) -> String,
    counts: BTreeMap<String, (String, usize)>,
    /// Each spelling's key, made once: a dossier counts the causes, factors and services
    /// of thousands of incidents, mostly a few dozen names written the same way.
    keys: FxHashMap<String, String>,
}

impl Counter {
    /// A counter of values normalised by `key`.
    pub fn new(key: fn(&str) -> String) -> Counter {
        Counter {
            key,
            counts: BTreeMap::new(),
            keys: FxHashMap::default(),
        }
    }

    /// Counts each value of one postmortem once (a factor listed twice is one mention).
    pub fn add_once(&mut self, values: &[String]) {
        for value in values {
            if !self.keys.contains_key(value.as_str()) {
                self.keys.insert(value.clone(), (self.key)(value));
            }
        }
        let (keys, counts) = (&self.keys, &mut self.counts);
        let mut seen: Vec<&str> = Vec::with_capacity(values.len());
        for value in values {
            let key = keys[value.as_str()].as_str();
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            match counts.get_mut(key) {
                Some((_, count)) => *count += 1,
                None => {
                    counts.insert(key.to_string(), (value.trim().to_string(), 1));
                }
            }
        }
    }

    /// Drops what was counted under `key`.
    pub fn forget(&mut self, key: &str) {
        self.counts.remove(key);
    }

    /// Most frequent first, then by name; only counts of at least `min`. With a taxonomy,
    /// values are named as the taxonomy names their page.
    fn tallies(self, site: &Site<'_>, kind: Option<TaxonomyKind>, min: usize) -> Vec<Tally> {
        self.tallies_named(min, |name| {
            kind.and_then(|k| site.taxonomy(k).term_for(&name))
                .map_or(name, |t| t.name.clone())
        })
    }

    /// Most frequent first, then by name; only counts of at least `min`, each named by
    /// `name` from its first spelling.
    pub fn tallies_named(self, min: usize, name: impl Fn(String) -> String) -> Vec<Tally> {
        let mut tallies: Vec<Tally> = self
            .counts
            .into_values()
            .filter(|(_, count)| *count >= min)
            .map(|(first, count)| Tally {
                name: name(first),
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
