//! `incidents.json`: the published postmortems' metadata and action items for other tools.
//! docs/EXPORT.md is the contract; `version` changes only when a field changes meaning or
//! goes away (new fields may appear within a version).

use serde::Serialize;

use crate::content::moment::Moment;
use crate::content::{ActionItem, Impact, Postmortem};
use crate::site::insights::{self, duration};
use crate::site::{Site, ledger, url};

pub const FILE: &str = "incidents.json";
pub const FORMAT: &str = "pmsite-incidents";
pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct Export<'a> {
    format: &'static str,
    version: u32,
    generator: &'static str,
    site: SiteInfo<'a>,
    /// The build date (`--today`): what "overdue" is relative to.
    built_on: String,
    incidents: Incidents<'a>,
}

/// The site's postmortems, each made into an [`Incident`] as it is written: a list of them
/// all, or the text of them all, would be hundreds of megabytes on a large archive.
struct Incidents<'a>(&'a Site<'a>);

impl Serialize for Incidents<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let site = self.0;
        serializer.collect_seq(site.postmortems.iter().map(|pm| incident(site, pm)))
    }
}

#[derive(Serialize)]
struct SiteInfo<'a> {
    title: &'a str,
    base_url: Option<&'a str>,
    audience: &'static str,
}

#[derive(Serialize)]
struct Incident<'a> {
    id: &'a str,
    /// Relative to the site root.
    path: String,
    /// `base_url` + `path`, when `base_url` is set.
    url: Option<String>,
    title: &'a str,
    summary: &'a str,
    severity: &'a str,
    severity_rank: usize,
    status: crate::content::Status,
    visibility: crate::content::Visibility,
    started_at: &'a Moment,
    detected_at: &'a Option<Moment>,
    mitigated_at: &'a Option<Moment>,
    resolved_at: &'a Option<Moment>,
    minutes_to_detect: Option<i64>,
    minutes_to_mitigate: Option<i64>,
    minutes_to_resolve: Option<i64>,
    authors: &'a [String],
    owner: &'a Option<String>,
    incident_commander: &'a Option<String>,
    reviewers: &'a [String],
    services: &'a [String],
    teams: &'a [String],
    tags: &'a [String],
    root_causes: &'a [String],
    trigger: &'a Option<String>,
    detection: &'a Option<String>,
    contributing_factors: &'a [String],
    /// Ids of published postmortems only.
    related: Vec<&'a str>,
    recurrence_of: Vec<&'a str>,
    impact: &'a Impact,
    action_items: Vec<Action<'a>>,
}

#[derive(Serialize)]
struct Action<'a> {
    #[serde(flatten)]
    item: &'a ActionItem,
    /// The team and service the ledger files it under (the item's own, or the
    /// postmortem's first).
    ledger_team: Option<&'a str>,
    ledger_service: Option<&'a str>,
    days_overdue: i64,
}

/// Writes `incidents.json` of the site into `out`.
pub fn write_incidents_json(site: &Site<'_>, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let export = Export {
        format: FORMAT,
        version: VERSION,
        generator: super::GENERATOR,
        site: SiteInfo {
            title: &site.config.title,
            base_url: base_url(site),
            audience: site.selection.audience.as_str(),
        },
        built_on: site.selection.today.format("%Y-%m-%d").to_string(),
        incidents: Incidents(site),
    };
    // Compact: for a 10,000-postmortem archive, pretty-printing would add a third to a
    // file that only programs read (`jq .` shows it indented).
    serde_json::to_writer(&mut *out, &export)?;
    out.write_all(b"\n")
}

fn base_url<'a>(site: &Site<'a>) -> Option<&'a str> {
    (!site.config.base_url.is_empty()).then_some(site.config.base_url.as_str())
}

fn incident<'a>(site: &Site<'a>, pm: &'a Postmortem) -> Incident<'a> {
    let today = site.selection.today;
    let path = url::incident(&pm.id);
    Incident {
        id: &pm.id,
        url: base_url(site).map(|b| format!("{b}{path}")),
        path,
        title: &pm.title,
        summary: &pm.summary,
        severity: &pm.severity,
        severity_rank: pm.severity_rank,
        status: pm.status,
        visibility: pm.visibility,
        started_at: &pm.started_at,
        detected_at: &pm.detected_at,
        mitigated_at: &pm.mitigated_at,
        resolved_at: &pm.resolved_at,
        minutes_to_detect: duration(pm, insights::detected),
        minutes_to_mitigate: duration(pm, |pm: &Postmortem| pm.mitigated_at),
        minutes_to_resolve: duration(pm, insights::resolved),
        authors: &pm.authors,
        owner: &pm.owner,
        incident_commander: &pm.incident_commander,
        reviewers: &pm.reviewers,
        services: &pm.services,
        teams: &pm.teams,
        tags: &pm.tags,
        root_causes: &pm.root_causes,
        trigger: &pm.trigger,
        detection: &pm.detection,
        contributing_factors: &pm.contributing_factors,
        related: ids(site, &pm.related),
        recurrence_of: ids(site, &pm.recurrence_of),
        impact: &pm.impact,
        action_items: pm
            .action_items
            .iter()
            .map(|item| Action {
                item,
                ledger_team: ledger::filed_team(pm, item),
                ledger_service: ledger::filed_service(pm, item),
                days_overdue: ledger::days_overdue(item, today),
            })
            .collect(),
    }
}

/// Ids of the named postmortems that this build publishes: never one it leaves out.
fn ids<'a>(site: &Site<'_>, refs: &'a [crate::content::Reference]) -> Vec<&'a str> {
    refs.iter()
        .filter(|r| site.index_of_id(&r.id).is_some())
        .map(|r| r.id.as_str())
        .collect()
}
