//! Consistency (PM501..PM503): a timeline in order that agrees with `detected_at` and
//! `resolved_at`, and incidents that repeat an earlier one saying so.

use std::cmp::Ordering;

use chrono::NaiveDate;
use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;

use super::{Step, at_field};
use crate::content::{EventKind, Postmortem};
use crate::diagnostic::{Code, Diagnostic};

pub fn timeline(pm: &Postmortem, found: &mut Vec<Diagnostic>) {
    let at = |i: usize| [Step::Key("timeline"), Step::Index(i), Step::Key("at")];
    for (i, pair) in pm.timeline.windows(2).enumerate() {
        if pair[1].at.compare(&pair[0].at) == Ordering::Less {
            found.push(
                at_field(
                    pm,
                    Code::TimelineOrder,
                    &at(i + 1),
                    format!(
                        "timeline entry {} ({}) is before the entry above it ({})",
                        i + 2,
                        pair[1].at.human(),
                        pair[0].at.human()
                    ),
                )
                .hint("list timeline entries in the order they happened; check the date and the offset"),
            );
        }
    }
    // `detected_at` should be a moment the timeline shows as a detection or an alert, and
    // `resolved_at` one it shows as a resolution, when the timeline has such entries.
    let checks = [
        (
            "detected_at",
            pm.detected_at,
            &[EventKind::Detection, EventKind::Alert][..],
            "detection or alert",
        ),
        (
            "resolved_at",
            pm.resolved_at,
            &[EventKind::Resolution][..],
            "resolution",
        ),
    ];
    for (key, moment, kinds, what) in checks {
        let Some(moment) = moment else {
            continue;
        };
        let entries: Vec<usize> = (0..pm.timeline.len())
            .filter(|&i| kinds.contains(&pm.timeline[i].kind))
            .collect();
        let Some(&first) = entries.first() else {
            continue;
        };
        if entries
            .iter()
            .all(|&i| pm.timeline[i].at.compare(&moment) != Ordering::Equal)
        {
            let entry = &pm.timeline[first];
            found.push(
                at_field(
                    pm,
                    Code::TimelineMismatch,
                    &[Step::Key(key)],
                    format!(
                        "`{key}` is {}, but no {what} in the timeline is at that time (the first is at {})",
                        moment.human(),
                        entry.at.human()
                    ),
                )
                .hint(format!(
                    "make `{key}` and the timeline agree: the page computes its durations from `{key}`"
                )),
            );
        }
    }
}

/// How many earlier incidents a PM503 finding names.
const NAMED: usize = 3;

/// A new postmortem (an incident that started at most `recent_days` before the build date)
/// that shares a root cause and a service with an earlier one, and links (by `related` or
/// `recurrence_of`, either way) neither such an incident nor the earlier one most like it,
/// gets a finding naming the earlier incidents most like it, best first: the incidents that
/// share a service or a root cause with it, ranked as its page ranks similar incidents.
/// Recurrences are what an archive is for. Older postmortems are left alone, so that an
/// imported archive is not flooded with findings about its history.
///
/// The ranking's word statistics are those of the checked postmortems, gathered only when
/// some postmortem needs them.
pub fn unlinked_recurrences(
    postmortems: &[Postmortem],
    today: NaiveDate,
    recent_days: u32,
    found: &mut Vec<Diagnostic>,
) {
    report_recurrences(postmortems, &recurrences(postmortems, today, recent_days), found);
}

/// The slow half of [`unlinked_recurrences`] (it ranks): each recent postmortem that needs a
/// finding, with the earlier incidents to name, best first. Reads only what
/// [`recurrence_digest`] hashes.
pub fn recurrences(
    postmortems: &[Postmortem],
    today: NaiveDate,
    recent_days: u32,
) -> Vec<(usize, Vec<usize>)> {
    let links =
        |a: &Postmortem, b: &Postmortem| a.related.iter().chain(&a.recurrence_of).any(|r| r.id == b.id);
    let linked = |i: usize, j: usize| {
        links(&postmortems[i], &postmortems[j]) || links(&postmortems[j], &postmortems[i])
    };
    let earlier = |i: usize, j: usize| {
        j != i && postmortems[j].started_at.compare(&postmortems[i].started_at) == Ordering::Less
    };
    // Recent postmortems with an earlier incident of the same service and root cause, none
    // of which they link to. An incident shares a service and a root cause with another
    // exactly when they share a (service, root cause) pair: its earlier incidents are
    // looked up by pair, not searched for in the whole archive (which, with a recent
    // postmortem for every forty, grew as the square of the archive).
    let recent: Vec<usize> = (0..postmortems.len())
        .filter(|&i| {
            let pm = &postmortems[i];
            // A day of slack for incidents dated "tomorrow" in another time zone.
            let age = (today - pm.started_at.date()).num_days();
            (-1..=i64::from(recent_days)).contains(&age)
        })
        .collect();
    if recent.is_empty() {
        return Vec::new();
    }
    let mut by_pair: HashMap<(&str, &str), Vec<usize>> = HashMap::default();
    for (j, pm) in postmortems.iter().enumerate() {
        for pair in pairs(pm) {
            by_pair.entry(pair).or_default().push(j);
        }
    }
    let unlinked: Vec<usize> = recent
        .into_par_iter()
        .filter(|&i| {
            let mut recurrences: Vec<usize> = pairs(&postmortems[i])
                .flat_map(|pair| by_pair.get(&pair).into_iter().flatten().copied())
                .filter(|&j| earlier(i, j))
                .collect();
            recurrences.sort_unstable();
            recurrences.dedup();
            !recurrences.is_empty() && !recurrences.iter().any(|&j| linked(i, j))
        })
        .collect();
    if unlinked.is_empty() {
        return Vec::new();
    }
    // The incidents to name: earlier ones sharing a service or a root cause. Asked of every
    // incident for each postmortem found above: labels compared as numbers.
    let services = label_numbers(postmortems, |pm| &pm.services);
    let causes = label_numbers(postmortems, |pm| &pm.root_causes);
    let shares = |labels: &[Vec<u32>], i: usize, j: usize| {
        labels[i]
            .iter()
            .any(|label| labels[j].binary_search(label).is_ok())
    };
    let alike = |i: usize, j: usize| (shares(&causes, i, j) || shares(&services, i, j)) && earlier(i, j);
    let ranked = crate::search::rank(postmortems, &unlinked, &alike, NAMED);
    unlinked
        .into_iter()
        .zip(ranked)
        .filter(|(i, best)| !best.first().is_some_and(|&j| linked(*i, j)))
        .collect()
}

/// Per postmortem, the labels `of` gives it as numbers (one per distinct label), sorted.
fn label_numbers(postmortems: &[Postmortem], of: impl Fn(&Postmortem) -> &[String]) -> Vec<Vec<u32>> {
    let mut numbers: HashMap<&str, u32> = HashMap::default();
    postmortems
        .iter()
        .map(|pm| {
            let mut labels: Vec<u32> = of(pm)
                .iter()
                .map(|label| {
                    let next = numbers.len() as u32;
                    *numbers.entry(label.as_str()).or_insert(next)
                })
                .collect();
            labels.sort_unstable();
            labels
        })
        .collect()
}

/// A postmortem's (service, root cause) pairs.
fn pairs(pm: &Postmortem) -> impl Iterator<Item = (&str, &str)> {
    pm.services.iter().flat_map(|service| {
        pm.root_causes
            .iter()
            .map(move |cause| (service.as_str(), cause.as_str()))
    })
}

/// The findings of what [`recurrences`] found: cheap, and made again at every build, as
/// where they point moves with the file's text.
pub fn report_recurrences(
    postmortems: &[Postmortem],
    recurrences: &[(usize, Vec<usize>)],
    found: &mut Vec<Diagnostic>,
) {
    for (i, best) in recurrences {
        let pm = &postmortems[*i];
        let names: Vec<String> = best.iter().map(|&j| format!("`{}`", postmortems[j].id)).collect();
        let field = if pm.related.is_empty() {
            "root_causes"
        } else {
            "related"
        };
        found.push(
            at_field(
                pm,
                Code::UnlinkedRecurrence,
                &[Step::Key(field)],
                format!(
                    "an earlier postmortem has the same root cause and service, and this one links no incident like it; the most alike first: {}",
                    names.join(", ")
                ),
            )
            .hint(format!(
                "if this is the same problem again, add recurrence_of = [{}]; if it is only alike, add it to `related`",
                best.first().map_or(String::new(), |&j| format!("\"{}\"", postmortems[j].id))
            )),
        );
    }
}

/// A hash of everything [`recurrences`] reads: each postmortem's place, id, start, labels,
/// links, and the words it is ranked by. A tag or an action item changes none of it.
pub fn recurrence_digest(postmortems: &[Postmortem], today: NaiveDate, recent_days: u32) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = rustc_hash::FxHasher::default();
    (today, recent_days).hash(&mut hasher);
    for pm in postmortems {
        (&pm.id, &pm.title, &pm.summary, &pm.services, &pm.root_causes).hash(&mut hasher);
        (&pm.contributing_factors, &pm.trigger).hash(&mut hasher);
        for reference in pm.related.iter().chain(&pm.recurrence_of) {
            reference.id.hash(&mut hasher);
        }
        (pm.related.len(), pm.recurrence_of.len()).hash(&mut hasher);
        match pm.started_at {
            crate::content::moment::Moment::At(at) => (
                at.timestamp(),
                at.timestamp_subsec_nanos(),
                at.offset().local_minus_utc(),
            )
                .hash(&mut hasher),
            crate::content::moment::Moment::Day(day) => day.hash(&mut hasher),
        }
    }
    hasher.finish()
}
