//! Consistency (PM501..PM503): a timeline in order that agrees with `detected_at` and
//! `resolved_at`, and incidents that repeat an earlier one saying so.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

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

/// A new postmortem (an incident that started at most `recent_days` before the build date)
/// that shares a root cause and a service with earlier ones, and is linked to none of them
/// by `related` or `recurrence_of` (either way), gets a hint naming the most recent ones:
/// recurrences are what an archive is for. Older postmortems are left alone, so that an
/// imported archive is not flooded with hints about its history.
pub fn unlinked_recurrences(
    postmortems: &[Postmortem],
    today: NaiveDate,
    recent_days: u32,
    found: &mut Vec<Diagnostic>,
) {
    let mut by_pair: BTreeMap<(&str, &str), Vec<usize>> = BTreeMap::new();
    for (i, pm) in postmortems.iter().enumerate() {
        for cause in &pm.root_causes {
            for service in &pm.services {
                by_pair
                    .entry((cause.as_str(), service.as_str()))
                    .or_default()
                    .push(i);
            }
        }
    }
    let links =
        |a: &Postmortem, b: &Postmortem| a.related.iter().chain(&a.recurrence_of).any(|r| r.id == b.id);
    for (i, pm) in postmortems.iter().enumerate() {
        // A day of slack for incidents dated "tomorrow" in another time zone.
        let age = (today - pm.started_at.date()).num_days();
        if !(-1..=i64::from(recent_days)).contains(&age) {
            continue;
        }
        let mut earlier: BTreeSet<usize> = BTreeSet::new();
        for cause in &pm.root_causes {
            for service in &pm.services {
                let others = by_pair
                    .get(&(cause.as_str(), service.as_str()))
                    .into_iter()
                    .flatten();
                earlier.extend(others.copied().filter(|&j| {
                    j != i && postmortems[j].started_at.compare(&pm.started_at) == Ordering::Less
                }));
            }
        }
        if earlier.is_empty()
            || earlier
                .iter()
                .any(|&j| links(pm, &postmortems[j]) || links(&postmortems[j], pm))
        {
            continue;
        }
        let mut candidates: Vec<&Postmortem> = earlier.iter().map(|&j| &postmortems[j]).collect();
        candidates.sort_by(|a, b| b.started_at.compare(&a.started_at).then_with(|| a.id.cmp(&b.id)));
        let names: Vec<String> = candidates.iter().take(3).map(|p| format!("`{}`", p.id)).collect();
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
                    "an earlier postmortem has the same root cause and service, and this one does not link it: {}",
                    names.join(", ")
                ),
            )
            .hint(format!(
                "if this is the same problem again, add recurrence_of = [{}]; if it is only alike, add it to `related`",
                candidates.first().map_or(String::new(), |p| format!("\"{}\"", p.id))
            )),
        );
    }
}
