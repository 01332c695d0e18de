//! `pmsite brief`: what the archive says about the services a change touches, compact
//! enough for a pull-request comment. docs/BRIEF.md describes the command and its JSON.
//!
//! Beside the pipeline, after it: it reads what the last build left (`archive`), never the
//! sources, so it answers in milliseconds on a large archive. `diff` reads a unified diff's
//! paths, `pmsite.toml`'s `[service_paths]` (`config::ServicePaths`) maps paths to
//! services, [`make`] picks and ranks, `render` writes Markdown, JSON or text.

mod archive;
pub mod diff;
mod render;

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::Serialize;

pub use archive::{Archive, ArchiveError, Ticket};
pub use render::{Format, MARKER, render};

use crate::config::ServicePaths;
use crate::content::moment::Moment;
use crate::diagnostic::did_you_mean;
use crate::site::dossier::{self, Counter, Lesson, Tally};
use crate::site::{stats, term_slug};

/// `version` of the JSON; docs/BRIEF.md says when it changes.
pub const VERSION: u32 = 1;
pub const FORMAT: &str = "pmsite-brief";

/// How many open action items a brief lists (the most overdue first); the rest are counted.
pub const ACTIONS_SHOWN: usize = 10;
/// How many recurring root causes and contributing factors a brief lists.
const RECURRING_SHOWN: usize = 5;

/// What the change is.
pub enum Change {
    /// Paths of the code repository (from `--diff` or `--paths`), mapped to services by
    /// the service paths.
    Paths(Vec<String>),
    /// Services named on the command line.
    Services(Vec<String>),
}

pub struct Request<'a> {
    pub change: Change,
    pub service_paths: &'a ServicePaths,
    /// The pull request's title and description, to rank incidents by similarity.
    pub about: Option<String>,
    /// How many incidents to list.
    pub limit: usize,
    /// What "overdue" and "days since" are relative to.
    pub today: NaiveDate,
}

/// Why no brief could be made: the request, not the archive, is wrong.
#[derive(Debug)]
pub enum BriefError {
    UnknownService { name: String, near: Option<String> },
    NoServicePaths,
    Archive(ArchiveError),
}

impl std::fmt::Display for BriefError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BriefError::UnknownService { name, near } => {
                write!(f, "no published incident names the service `{name}`")?;
                match near {
                    Some(near) => write!(f, "\n  hint: did you mean `{near}`?"),
                    None => write!(
                        f,
                        "\n  hint: service names are as the postmortems write them, e.g. `checkout-api`"
                    ),
                }
            }
            BriefError::NoServicePaths => write!(
                f,
                "pmsite cannot tell which services these paths belong to: pmsite.toml has no \
                 [service_paths]\n  hint: add one (service = [\"services/checkout/**\"]), give \
                 --service-paths FILE, or name the services with --service"
            ),
            BriefError::Archive(e) => e.fmt(f),
        }
    }
}

impl From<ArchiveError> for BriefError {
    fn from(e: ArchiveError) -> Self {
        BriefError::Archive(e)
    }
}

/// A brief, as the JSON format has it (docs/BRIEF.md).
#[derive(Serialize)]
pub struct Brief {
    pub format: &'static str,
    pub version: u32,
    pub site: SiteFacts,
    pub today: String,
    pub change: ChangeFacts,
    /// The services the change touches, in the order the service paths list them (or the
    /// command line names them).
    pub services: Vec<ServiceFacts>,
    /// The incidents of those services most worth reading, best first.
    pub incidents: Vec<IncidentFacts>,
    /// Lessons learned and what went wrong, from the most instructive incidents that have
    /// those sections (the service page's "before you change" shows the same).
    pub lessons: Vec<IncidentLessons>,
    /// Root causes and contributing factors found in more than one of their incidents.
    pub recurring_root_causes: Vec<Tally>,
    pub recurring_contributing_factors: Vec<Tally>,
    /// Open and in-progress action items filed under these services, most overdue first.
    pub action_items: Vec<ActionFacts>,
    pub open_action_items: usize,
    pub overdue_action_items: usize,
}

#[derive(Serialize)]
pub struct SiteFacts {
    pub title: String,
    pub base_url: Option<String>,
}

#[derive(Serialize)]
pub struct ChangeFacts {
    /// Changed paths read (0 when services were named).
    pub paths: usize,
    /// Changed paths no service claims.
    pub unmapped_paths: Vec<String>,
}

#[derive(Serialize)]
pub struct ServiceFacts {
    pub name: String,
    /// Changed paths in this service.
    pub paths: usize,
    pub incidents: usize,
    /// Start date of its latest incident.
    pub last_incident: Option<String>,
    pub days_since_last_incident: Option<i64>,
    /// Median minutes to resolve (nearest rank), over `resolve_measured` incidents.
    pub median_minutes_to_resolve: Option<i64>,
    pub resolve_measured: usize,
}

#[derive(Serialize)]
pub struct IncidentFacts {
    pub id: String,
    pub title: String,
    pub url: String,
    pub severity: String,
    pub date: String,
    pub summary: String,
    pub services: Vec<String>,
    pub root_causes: Vec<String>,
}

#[derive(Serialize)]
pub struct IncidentLessons {
    pub id: String,
    pub title: String,
    pub url: String,
    pub lessons: Vec<LessonFacts>,
}

#[derive(Serialize)]
pub struct LessonFacts {
    #[serde(flatten)]
    pub lesson: Lesson,
    /// The incident page at the lesson's section.
    pub url: String,
}

#[derive(Serialize)]
pub struct ActionFacts {
    pub title: String,
    pub owner: Option<String>,
    pub ticket: Option<Ticket>,
    pub due: Option<String>,
    pub status: String,
    pub priority: Option<String>,
    pub days_overdue: i64,
    pub service: Option<String>,
    pub incident: String,
    pub incident_url: String,
}

/// The brief for `request` from `archive`, and notes for the person running it (service
/// paths naming a service the archive does not have).
pub fn make(archive: &Archive, request: &Request<'_>) -> Result<(Brief, Vec<String>), BriefError> {
    let known = &archive.services;
    let mut notes = Vec::new();
    if archive.site.base_url.is_none() {
        notes.push(
            "the build had no base_url, so the brief's links are relative to the site; \
             set base_url in pmsite.toml or build with --base-url URL"
                .to_string(),
        );
    }
    let (touched, change) = touched_services(request, known, &mut notes)?;
    let slugs: BTreeSet<String> = touched.iter().map(|(name, _)| term_slug(name)).collect();
    let incidents = archive.incidents_of(&slugs)?;
    let started: Vec<i64> = incidents
        .iter()
        .map(|i| Moment::parse(&i.started_at).map_or(i64::MIN, |m| m.sort_key()))
        .collect();
    let similarity = match &request.about {
        Some(text) if !incidents.is_empty() => archive.similarity(text)?,
        _ => Vec::new(),
    };
    let score = |i: usize| similarity.get(incidents[i].position).copied().unwrap_or(0.0);
    let mut ranked: Vec<usize> = (0..incidents.len()).collect();
    ranked.sort_by(|&a, &b| {
        let (x, y) = (&incidents[a], &incidents[b]);
        score(b).total_cmp(&score(a)).then_with(|| {
            dossier::instructive_first(
                (x.severity_rank, started[a], &x.id),
                (y.severity_rank, started[b], &y.id),
            )
        })
    });
    let services = touched
        .iter()
        .map(|(name, paths)| service_facts(&incidents, &started, name, *paths, request.today))
        .collect();
    let shown = ranked
        .iter()
        .take(request.limit)
        .map(|&i| incident_facts(&incidents[i]))
        .collect();
    let mut failed = None;
    let lessons = dossier::lessons_of_first(ranked.iter().copied(), |i| {
        archive.sections(&incidents[i]).unwrap_or_else(|e| {
            failed.get_or_insert(e);
            Vec::new()
        })
    });
    if let Some(e) = failed {
        return Err(e.into());
    }
    let lessons = lessons
        .into_iter()
        .map(|(i, lessons)| {
            let incident = &incidents[i];
            IncidentLessons {
                id: incident.id.clone(),
                title: incident.title.clone(),
                url: incident.link().to_string(),
                lessons: lessons
                    .into_iter()
                    .map(|lesson| LessonFacts {
                        url: format!("{}#{}", incident.link(), lesson.section),
                        lesson,
                    })
                    .collect(),
            }
        })
        .collect();
    let (mut causes, mut factors) = (Counter::new(term_slug), Counter::new(dossier::normalise));
    for incident in &incidents {
        causes.add_once(&incident.root_causes);
        factors.add_once(&incident.contributing_factors);
    }
    let recurring = |counter: Counter| {
        let mut tallies = counter.tallies_named(2, |name| name);
        tallies.truncate(RECURRING_SHOWN);
        tallies
    };
    let mut actions = open_actions(&incidents, &slugs, request.today);
    let open_action_items = actions.len();
    let overdue_action_items = actions.iter().filter(|a| a.days_overdue > 0).count();
    actions.truncate(ACTIONS_SHOWN);
    let brief = Brief {
        format: FORMAT,
        version: VERSION,
        site: SiteFacts {
            title: archive.site.title.clone(),
            base_url: archive.site.base_url.clone(),
        },
        today: request.today.format("%Y-%m-%d").to_string(),
        change,
        services,
        incidents: shown,
        lessons,
        recurring_root_causes: recurring(causes),
        recurring_contributing_factors: recurring(factors),
        action_items: actions,
        open_action_items,
        overdue_action_items,
    };
    Ok((brief, notes))
}

/// The services the change touches, each with how many changed paths it claims, and what
/// the change was.
fn touched_services(
    request: &Request<'_>,
    known: &std::collections::BTreeMap<String, String>,
    notes: &mut Vec<String>,
) -> Result<(Vec<(String, usize)>, ChangeFacts), BriefError> {
    let near = |name: &str| did_you_mean(name, known.values().map(String::as_str)).map(str::to_string);
    match &request.change {
        Change::Services(names) => {
            let mut touched: Vec<(String, usize)> = Vec::new();
            for name in names {
                let Some(known_name) = known.get(&term_slug(name)) else {
                    return Err(BriefError::UnknownService {
                        name: name.clone(),
                        near: near(name),
                    });
                };
                if !touched.iter().any(|(n, _)| n == known_name) {
                    touched.push((known_name.clone(), 0));
                }
            }
            let change = ChangeFacts {
                paths: 0,
                unmapped_paths: Vec::new(),
            };
            Ok((touched, change))
        }
        Change::Paths(paths) => {
            if request.service_paths.is_empty() {
                return Err(BriefError::NoServicePaths);
            }
            let mut touched: Vec<(String, usize)> = request
                .service_paths
                .services
                .iter()
                .map(|s| (s.service.clone(), 0))
                .collect();
            let mut unmapped_paths = Vec::new();
            for path in paths {
                let mut claimed = false;
                for service in request.service_paths.services_of(path) {
                    claimed = true;
                    if let Some(entry) = touched.iter_mut().find(|(name, _)| name == service) {
                        entry.1 += 1;
                    }
                }
                if !claimed {
                    unmapped_paths.push(path.clone());
                }
            }
            touched.retain(|(_, count)| *count > 0);
            for (name, _) in &touched {
                if !known.contains_key(&term_slug(name))
                    && let Some(near) = near(name)
                {
                    notes.push(format!(
                        "no published incident names `{name}` from [service_paths]; did you mean `{near}`?"
                    ));
                }
            }
            let change = ChangeFacts {
                paths: paths.len(),
                unmapped_paths,
            };
            Ok((touched, change))
        }
    }
}

fn service_facts(
    incidents: &[archive::Incident],
    started: &[i64],
    name: &str,
    paths: usize,
    today: NaiveDate,
) -> ServiceFacts {
    let slug = term_slug(name);
    let mine: Vec<usize> = (0..incidents.len())
        .filter(|&i| incidents[i].services.iter().any(|s| term_slug(s) == slug))
        .collect();
    let last = mine
        .iter()
        .copied()
        .max_by(|&a, &b| started[a].cmp(&started[b]).then_with(|| b.cmp(&a)))
        .and_then(|i| Moment::parse(&incidents[i].started_at).ok())
        .map(|m| m.date());
    let resolve: Vec<i64> = mine
        .iter()
        .filter_map(|&i| incidents[i].minutes_to_resolve)
        .collect();
    ServiceFacts {
        name: name.to_string(),
        paths,
        incidents: mine.len(),
        last_incident: last.map(|d| d.format("%Y-%m-%d").to_string()),
        days_since_last_incident: last.map(|d| (today - d).num_days()),
        median_minutes_to_resolve: stats::median(&resolve),
        resolve_measured: resolve.len(),
    }
}

fn incident_facts(incident: &archive::Incident) -> IncidentFacts {
    IncidentFacts {
        id: incident.id.clone(),
        title: incident.title.clone(),
        url: incident.link().to_string(),
        severity: incident.severity.clone(),
        date: incident.started_at.chars().take(10).collect(),
        summary: incident.summary.clone(),
        services: incident.services.clone(),
        root_causes: incident.root_causes.clone(),
    }
}

/// Pending action items the ledger files under one of `slugs`, most overdue first, then by
/// priority, due date and incident.
fn open_actions(
    incidents: &[archive::Incident],
    slugs: &BTreeSet<String>,
    today: NaiveDate,
) -> Vec<ActionFacts> {
    let mut actions: Vec<ActionFacts> = Vec::new();
    for incident in incidents {
        for action in &incident.action_items {
            let pending = action.is_pending();
            let filed_here = action
                .ledger_service
                .as_deref()
                .is_some_and(|s| slugs.contains(&term_slug(s)));
            if !pending || !filed_here {
                continue;
            }
            let due = action
                .due
                .as_deref()
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
            actions.push(ActionFacts {
                title: action.title.clone(),
                owner: action.owner.clone(),
                ticket: action.ticket.clone(),
                due: action.due.clone(),
                status: action.status.clone(),
                priority: action.priority.clone(),
                days_overdue: due.map_or(0, |due| (today - due).num_days().max(0)),
                service: action.ledger_service.clone(),
                incident: incident.id.clone(),
                incident_url: incident.link().to_string(),
            });
        }
    }
    let last_if_none = |value: &Option<String>| (value.is_none(), value.clone());
    actions.sort_by(|a, b| {
        b.days_overdue
            .cmp(&a.days_overdue)
            .then_with(|| last_if_none(&a.priority).cmp(&last_if_none(&b.priority)))
            .then_with(|| last_if_none(&a.due).cmp(&last_if_none(&b.due)))
            .then_with(|| a.incident.cmp(&b.incident))
            .then_with(|| a.title.cmp(&b.title))
    });
    actions
}
