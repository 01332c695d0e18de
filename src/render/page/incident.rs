//! An incident's page: its facts, body, action items, and the incidents connected to it
//! (related, backlinks, recurrence chain, same root cause or service, similar). Reads one
//! postmortem and, for the connections, the site's links and `Model::similar`.

use serde::Serialize;

use super::Common;
use crate::content::Postmortem;
use crate::content::moment::{Moment, human_duration};
use crate::model::Model;
use crate::render::rows::{
    ActionRow, ActionSummary, Item, TermLink, action_rows, serde_plain, status_label, term_links, thousands,
    trim_float,
};
use crate::render::{Emit, RenderError, Renderer};
use crate::site::{TaxonomyKind, url};

#[derive(Serialize)]
struct Context<'a> {
    #[serde(flatten)]
    common: Common<'a>,
    /// The front matter as written.
    pm: &'a Postmortem,
    incident: Incident<'a>,
}

pub fn render<E: Emit>(r: &Renderer<'_>, out: &E, path: &str, index: usize) -> Result<E::Out, RenderError> {
    let pm = r.model.site.postmortems[index];
    let body = r.body(index, &url::root_from(path));
    let mut common = Common::new(r, path, pm.title.clone());
    common.description = Some(&pm.summary);
    let context = Context {
        common,
        pm,
        incident: incident(r.model, index, &r.items, body),
    };
    out.emit("incident.html", &context)
}

/// Everything the incident page shows beyond the raw front matter (which it gets as `pm`).
#[derive(Debug, Serialize)]
pub struct Incident<'a> {
    pub item: &'a Item,
    pub severity_description: Option<String>,
    pub status: &'static str,
    pub visibility: &'static str,
    pub times: Vec<Fact>,
    pub durations: Vec<Fact>,
    pub services: Vec<TermLink>,
    pub teams: Vec<TermLink>,
    pub tags: Vec<TermLink>,
    pub root_causes: Vec<TermLink>,
    pub impact: Vec<Fact>,
    pub impact_description: Option<String>,
    pub timeline: Vec<TimelineRow>,
    pub toc: Vec<TocEntry>,
    pub body_html: String,
    pub action_items: Vec<ActionRow>,
    pub action_summary: ActionSummary,
    pub related: Vec<&'a Item>,
    pub backlinks: Vec<&'a Item>,
    pub recurrence_chain: Vec<ChainLink<'a>>,
    pub same: Vec<SameGroup<'a>>,
    pub similar: Vec<SimilarLink<'a>>,
}

#[derive(Debug, Serialize)]
pub struct SimilarLink<'a> {
    pub item: &'a Item,
    pub reasons: &'a [String],
}

#[derive(Debug, Serialize)]
pub struct Fact {
    pub label: &'static str,
    pub value: String,
    /// Machine-readable form for `<time datetime>` / `<data value>`, when there is one.
    pub machine: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct TimelineRow {
    pub at: String,
    pub at_machine: String,
    pub kind: String,
    pub text: String,
}

#[derive(Debug, Serialize)]
pub struct TocEntry {
    pub level: u8,
    pub text: String,
    pub id: String,
}

#[derive(Debug, Serialize)]
pub struct ChainLink<'a> {
    pub item: &'a Item,
    pub current: bool,
}

/// "Other incidents with root cause X": a few recent ones and a link to all.
#[derive(Debug, Serialize)]
pub struct SameGroup<'a> {
    pub label: &'static str,
    pub term: TermLink,
    pub items: Vec<&'a Item>,
    pub total: usize,
}

const SAME_GROUP_SIZE: usize = 5;

fn incident<'a>(model: &'a Model<'_>, index: usize, items: &'a [Item], body_html: String) -> Incident<'a> {
    let site = &model.site;
    let pm = site.postmortems[index];
    let times = [
        ("Started", Some(pm.started_at)),
        ("Detected", pm.detected_at),
        ("Mitigated", pm.mitigated_at),
        ("Resolved", pm.resolved_at),
    ]
    .into_iter()
    .filter_map(|(label, moment)| moment.map(|m| moment_fact(label, &m)))
    .collect();
    let durations = [
        ("Time to detect", pm.detected_at),
        ("Time to mitigate", pm.mitigated_at),
        ("Time to resolve", pm.resolved_at),
    ]
    .into_iter()
    .filter_map(|(label, end)| {
        let delta = pm.started_at.until(&end?)?;
        Some(Fact {
            label,
            value: human_duration(delta),
            machine: Some(format!("PT{}M", delta.num_minutes())),
        })
    })
    .collect();

    let (action_items, action_summary) = action_rows(&pm.action_items, site.selection.today);
    let related = site.related(pm).into_iter().map(|i| &items[i]).collect();
    let backlinks = site.backlinks[index].iter().map(|&i| &items[i]).collect();
    let recurrence_chain = site.recurrence_chains[index]
        .iter()
        .map(|&i| ChainLink {
            item: &items[i],
            current: i == index,
        })
        .collect();

    let mut same = Vec::new();
    for (kind, label, values) in [
        (TaxonomyKind::RootCause, "Root cause", &pm.root_causes),
        (TaxonomyKind::Service, "Service", &pm.services),
    ] {
        let taxonomy = site.taxonomy(kind);
        for value in values {
            let Some(term) = taxonomy.term_for(value) else {
                continue;
            };
            let others: Vec<&Item> = term
                .members
                .iter()
                .filter(|&&i| i != index)
                .take(SAME_GROUP_SIZE)
                .map(|&i| &items[i])
                .collect();
            if others.is_empty() {
                continue;
            }
            same.push(SameGroup {
                label,
                term: TermLink {
                    name: term.name.clone(),
                    url: url::term(kind, &term.slug),
                },
                items: others,
                total: term.members.len() - 1,
            });
        }
    }

    Incident {
        item: &items[index],
        severity_description: site
            .config
            .severity(&pm.severity)
            .map(|(_, s)| s.description.clone())
            .filter(|d| !d.is_empty()),
        status: status_label(pm),
        visibility: match pm.visibility {
            crate::content::Visibility::Public => "public",
            crate::content::Visibility::Internal => "internal",
            crate::content::Visibility::Restricted => "restricted",
        },
        times,
        durations,
        services: term_links(site, TaxonomyKind::Service, &pm.services),
        teams: term_links(site, TaxonomyKind::Team, &pm.teams),
        tags: term_links(site, TaxonomyKind::Tag, &pm.tags),
        root_causes: term_links(site, TaxonomyKind::RootCause, &pm.root_causes),
        impact: impact_facts(pm, &site.config.currency),
        impact_description: pm.impact.description.clone(),
        timeline: pm
            .timeline
            .iter()
            .map(|e| TimelineRow {
                at: e.at.human(),
                at_machine: e.at.machine(),
                kind: serde_plain(&e.kind),
                text: e.text.clone(),
            })
            .collect(),
        toc: pm
            .source
            .outline
            .headings
            .iter()
            .filter(|h| (2..=3).contains(&h.level))
            .map(|h| TocEntry {
                level: h.level,
                text: h.text.clone(),
                id: h.id.clone(),
            })
            .collect(),
        body_html,
        action_items,
        action_summary,
        related,
        backlinks,
        recurrence_chain,
        same,
        similar: model.similar[index]
            .iter()
            .map(|s| SimilarLink {
                item: &items[s.index],
                reasons: &s.reasons,
            })
            .collect(),
    }
}

fn moment_fact(label: &'static str, moment: &Moment) -> Fact {
    Fact {
        label,
        value: moment.human(),
        machine: Some(moment.machine()),
    }
}

fn impact_facts(pm: &Postmortem, currency: &str) -> Vec<Fact> {
    let impact = &pm.impact;
    let yes_no = |b: bool| if b { "Yes" } else { "No" }.to_string();
    let mut facts = Vec::new();
    let mut push = |label, value: Option<String>| {
        if let Some(value) = value {
            facts.push(Fact {
                label,
                value,
                machine: None,
            });
        }
    };
    push(
        "Users affected",
        impact.users_affected.map(|n| thousands(n as f64)),
    );
    push(
        "Revenue lost",
        impact
            .revenue_lost
            .map(|n| format!("{} {currency}", thousands(n))),
    );
    push(
        "Requests failed",
        impact.requests_failed_pct.map(|p| format!("{} %", trim_float(p))),
    );
    push("Customer-facing", impact.customer_facing.map(yes_no));
    push("SLO breached", impact.slo_breached.map(yes_no));
    push("Data loss", impact.data_loss.map(yes_no));
    facts
}
