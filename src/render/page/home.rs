//! The home page: counts by severity, on this day, recent incidents, the most used services,
//! root causes and teams. Reads the site's taxonomies and `Model::on_this_day`.

use chrono::Datelike;
use serde::Serialize;

use super::{Common, TermCount, today};
use crate::render::rows::Item;
use crate::render::{Emit, RenderError, Renderer};
use crate::site::{TaxonomyKind, url};

const RECENT: usize = 10;
/// Terms per taxonomy in the home page's summaries.
const TOP_TERMS: usize = 8;

#[derive(Serialize)]
struct Context<'a> {
    #[serde(flatten)]
    common: Common<'a>,
    recent: &'a [Item],
    total: usize,
    severity_counts: Vec<TermCount>,
    taxonomies: Vec<TaxonomySummary>,
    on_this_day: Vec<OnThisDay<'a>>,
    today: String,
    today_human: String,
}

#[derive(Serialize)]
struct TaxonomySummary {
    name: &'static str,
    url: String,
    count: usize,
    top: Vec<TermCount>,
}

#[derive(Serialize)]
struct OnThisDay<'a> {
    item: &'a Item,
    years_ago: i32,
}

pub fn render<E: Emit>(r: &Renderer<'_>, out: &E, path: &str) -> Result<E::Out, RenderError> {
    let site = &r.model.site;
    let today_date = site.selection.today;
    let severity = site.taxonomy(TaxonomyKind::Severity);
    let severity_counts = site
        .config
        .severities
        .iter()
        .enumerate()
        .map(|(rank, s)| {
            let term = severity.term_for(&s.name);
            TermCount {
                name: s.name.clone(),
                rank,
                url: term.map(|t| url::term(TaxonomyKind::Severity, &t.slug)),
                count: term.map_or(0, |t| t.members.len()),
                description: Some(s.description.clone()).filter(|d| !d.is_empty()),
            }
        })
        .collect();
    let context = Context {
        common: Common::new(r, path, site.config.title.clone()),
        recent: &r.items()[..r.items().len().min(RECENT)],
        total: r.items().len(),
        severity_counts,
        taxonomies: taxonomy_summaries(r),
        on_this_day: r
            .model
            .on_this_day
            .iter()
            .map(|&i| OnThisDay {
                item: &r.items()[i],
                years_ago: today_date.year() - site.postmortems[i].started_at.date().year(),
            })
            .collect(),
        today: today(r),
        today_human: today_date.format("%-d %B").to_string(),
    };
    out.emit("index.html", &context)
}

/// Each taxonomy's most used terms.
fn taxonomy_summaries(r: &Renderer<'_>) -> Vec<TaxonomySummary> {
    [TaxonomyKind::Service, TaxonomyKind::RootCause, TaxonomyKind::Team]
        .into_iter()
        .map(|kind| {
            let taxonomy = r.model.site.taxonomy(kind);
            TaxonomySummary {
                name: kind.plural(),
                url: url::taxonomy(kind),
                count: taxonomy.terms.len(),
                top: taxonomy
                    .most_used(TOP_TERMS)
                    .into_iter()
                    .map(|t| TermCount {
                        name: t.name.clone(),
                        rank: 0,
                        url: Some(url::term(kind, &t.slug)),
                        count: t.members.len(),
                        description: None,
                    })
                    .collect(),
            }
        })
        .collect()
}
