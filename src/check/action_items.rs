//! Action-item policy (PM301..PM306): every item has an owner and a due date, due soon
//! after the incident; `done` says when; open items past due are overdue; severe incidents
//! have at least one item. Items marked `wont_do` are a decision, not a promise, and are
//! exempt from owner and due rules.

use chrono::NaiveDate;

use super::{Step, at_field};
use crate::config::Checks;
use crate::content::{ActionStatus, Postmortem};
use crate::diagnostic::{Code, Diagnostic, shorten};

pub fn check(pm: &Postmortem, checks: &Checks, today: NaiveDate, found: &mut Vec<Diagnostic>) {
    if pm.action_items.is_empty() && checks.action_items_required_for.contains(&pm.severity) {
        found.push(
            at_field(
                pm,
                Code::NoActionItems,
                &[Step::Key("severity")],
                format!("a {} postmortem has no action items", pm.severity),
            )
            .hint("add what will change so this cannot happen the same way again: [[action_items]] with title, owner and due"),
        );
    }
    let started = pm.started_at.date();
    for (i, item) in pm.action_items.iter().enumerate() {
        let path = |key| [Step::Key("action_items"), Step::Index(i), Step::Key(key)];
        let title = shorten(&item.title, 50);
        if item.status != ActionStatus::WontDo {
            if item.owner.is_none() {
                found.push(
                    at_field(
                        pm,
                        Code::ActionItemOwner,
                        &path("owner"),
                        format!("action item `{title}` has no owner"),
                    )
                    .hint("name the person who will see it through: owner = \"...\""),
                );
            }
            if item.due.is_none() {
                found.push(
                    at_field(
                        pm,
                        Code::ActionItemDue,
                        &path("due"),
                        format!("action item `{title}` has no due date"),
                    )
                    .hint("an item without a date tends to never happen: due = YYYY-MM-DD"),
                );
            }
        }
        if let Some(due) = item.due {
            let days = (due - started).num_days();
            if item.status != ActionStatus::WontDo && days > i64::from(checks.due_days) {
                found.push(
                    at_field(
                        pm,
                        Code::ActionItemDueLate,
                        &path("due"),
                        format!(
                            "action item `{title}` is due {days} days after the incident (the policy is {})",
                            checks.due_days
                        ),
                    )
                    .hint("split it into a first step due sooner, or raise `[checks] due_days` for the site"),
                );
            }
            if item.status.is_pending() && due < today {
                found.push(
                    at_field(
                        pm,
                        Code::ActionItemOverdue,
                        &path("due"),
                        format!(
                            "action item `{title}` is overdue: due {due}, still {}",
                            status_name(item.status)
                        ),
                    )
                    .hint("finish it, move the date with a reason, or mark it wont_do"),
                );
            }
        }
        if item.status == ActionStatus::Done && item.completed.is_none() {
            found.push(
                at_field(
                    pm,
                    Code::ActionItemCompleted,
                    &path("status"),
                    format!("action item `{title}` is done but has no `completed` date"),
                )
                .hint("add completed = YYYY-MM-DD, the day it was done"),
            );
        }
    }
}

fn status_name(status: ActionStatus) -> &'static str {
    ActionStatus::NAMES
        .iter()
        .find(|(_, s)| *s == status)
        .map_or("open", |(n, _)| n)
}
