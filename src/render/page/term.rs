//! A term's page (`services/checkout-api/`, `tags/dns/`, ...): its incidents, a page at a
//! time; a team's links to its action items; a service's first page adds its dossier.
//! Reads one term, the ledger's team groups and `Model::dossiers`.

use serde::Serialize;

use super::Common;
use super::incidents::List;
use crate::render::chart::Unit;
use crate::render::pager;
use crate::render::rows::{LedgerRows, TermLink, term_url};
use crate::render::{Emit, Page, RenderError, Renderer};
use crate::site::dossier::{Lesson, Tally};
use crate::site::insights::Distribution;
use crate::site::{TaxonomyKind, url};

/// A busy service can have hundreds of open items; the dossier shows the most urgent.
pub const DOSSIER_ACTIONS: usize = 20;

#[derive(Serialize)]
struct Context<'a> {
    #[serde(flatten)]
    common: Common<'a>,
    #[serde(flatten)]
    list: List<'a>,
    kind: TaxonomyKind,
    kind_name: &'static str,
    kind_plural: &'static str,
    kind_url: String,
    term: TermLink,
    term_description: &'a Option<String>,
    team_ledger: Option<String>,
    dossier: Option<DossierView<'a>>,
}

/// A service's dossier.
#[derive(Serialize)]
struct DossierView<'a> {
    root_causes: Vec<TallyLink>,
    recurring_factors: Vec<TallyLink>,
    related_services: Vec<TallyLink>,
    /// The most urgent open items (ledger order), at most [`DOSSIER_ACTIONS`].
    open_actions: LedgerRows<'a>,
    /// How many of them `open_actions` shows.
    open_shown: usize,
    open_total: usize,
    detect: DurationFacts,
    resolve: DurationFacts,
    incidents: usize,
    /// What its most instructive incidents taught (the lessons `pmsite brief` shows).
    lessons: Vec<IncidentLessons<'a>>,
}

#[derive(Serialize)]
struct IncidentLessons<'a> {
    title: &'a str,
    url: String,
    severity: &'a str,
    date: String,
    lessons: Vec<LessonView<'a>>,
}

#[derive(Serialize)]
struct LessonView<'a> {
    label: &'static str,
    /// The incident page at the lesson's section.
    url: String,
    text: &'a str,
}

#[derive(Serialize)]
struct TallyLink {
    name: String,
    url: Option<String>,
    count: usize,
}

#[derive(Serialize)]
struct DurationFacts {
    median: Option<String>,
    p90: Option<String>,
    measured: usize,
    missing: usize,
}

pub fn render<E: Emit>(
    r: &Renderer<'_>,
    out: &E,
    path: &str,
    kind: TaxonomyKind,
    index: usize,
    page: usize,
) -> Result<E::Out, RenderError> {
    let site = &r.model.site;
    let term = &site.taxonomy(kind).terms[index];
    let base = r.path(Page::Term {
        kind,
        term: index,
        page: pager::FIRST,
    });
    let mut common = Common::new(r, path, format!("{}: {}", kind.singular(), term.name));
    if crate::render::feed::has_feed(kind) && !site.config.base_url.is_empty() {
        common.page_feed = Some(url::feed(&base));
    }
    let team_ledger = (kind == TaxonomyKind::Team)
        .then(|| r.model.ledger.team(&term.slug))
        .flatten()
        .map(|group| url::ledger_team(&group.slug));
    let dossier = (kind == TaxonomyKind::Service && page == pager::FIRST).then(|| dossier(r, index));
    let context = Context {
        common,
        list: List::new(r, &base, &term.members, page),
        kind,
        kind_name: kind.singular(),
        kind_plural: kind.plural(),
        kind_url: url::taxonomy(kind),
        term: TermLink {
            name: term.name.clone(),
            url: base.clone(),
        },
        term_description: &term.description,
        team_ledger,
        dossier,
    };
    out.emit("term.html", &context)
}

/// The dossier of the service term `index`.
fn dossier<'a>(r: &'a Renderer<'_>, index: usize) -> DossierView<'a> {
    let site = &r.model.site;
    let service = &site.taxonomy(TaxonomyKind::Service).terms[index];
    let dossier = &r.model.dossiers[index];
    let links = |tallies: &[Tally], kind: Option<TaxonomyKind>| {
        tallies
            .iter()
            .map(|t| TallyLink {
                name: t.name.clone(),
                url: kind.map(|k| term_url(site, k, &t.name)),
                count: t.count,
            })
            .collect()
    };
    let facts = |d: &Distribution| DurationFacts {
        median: d.spread.map(|s| Unit::Minutes.format(s.median)),
        p90: d.spread.map(|s| Unit::Minutes.format(s.p90)),
        measured: d.spread.map_or(0, |s| s.n),
        missing: d.missing,
    };
    DossierView {
        root_causes: links(&dossier.root_causes, Some(TaxonomyKind::RootCause)),
        recurring_factors: links(&dossier.recurring_factors, None),
        related_services: links(&dossier.related_services, Some(TaxonomyKind::Service)),
        open_shown: dossier.open_actions.len().min(DOSSIER_ACTIONS),
        open_actions: LedgerRows {
            renderer: r,
            entries: dossier
                .open_actions
                .iter()
                .copied()
                .take(DOSSIER_ACTIONS)
                .collect(),
            by_postmortem: false,
        },
        open_total: dossier.open_actions.len(),
        detect: facts(&dossier.time_to_detect),
        resolve: facts(&dossier.time_to_resolve),
        incidents: service.members.len(),
        lessons: dossier
            .lessons
            .iter()
            .map(|(i, lessons)| {
                let pm = site.postmortems[*i];
                let page = url::incident(&pm.id);
                let view = |lesson: &'a Lesson| LessonView {
                    label: lesson.kind.label(),
                    url: format!("{page}#{}", lesson.section),
                    text: &lesson.text,
                };
                IncidentLessons {
                    title: &pm.title,
                    severity: &pm.severity,
                    date: pm.started_at.date().format("%Y-%m-%d").to_string(),
                    lessons: lessons.iter().map(view).collect(),
                    url: page,
                }
            })
            .collect(),
    }
}
