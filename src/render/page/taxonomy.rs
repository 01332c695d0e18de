//! A taxonomy's page (`services/`, `tags/`, ...): its terms and how many incidents each has.
//! Reads one taxonomy of the site.

use serde::Serialize;

use super::{Common, TermCount};
use crate::render::{Emit, RenderError, Renderer};
use crate::site::{TaxonomyKind, url};

#[derive(Serialize)]
struct Context<'a> {
    #[serde(flatten)]
    common: Common<'a>,
    kind: TaxonomyKind,
    kind_name: &'static str,
    terms: Vec<TermCount>,
}

pub fn render<E: Emit>(
    r: &Renderer<'_>,
    out: &E,
    path: &str,
    kind: TaxonomyKind,
) -> Result<E::Out, RenderError> {
    let site = &r.model.site;
    let terms = site
        .taxonomy(kind)
        .terms
        .iter()
        .map(|t| TermCount {
            name: t.name.clone(),
            rank: site.config.severity(&t.name).map_or(0, |(rank, _)| rank),
            url: Some(url::term(kind, &t.slug)),
            count: t.members.len(),
            description: t.description.clone(),
        })
        .collect();
    let context = Context {
        common: Common::new(r, path, kind.plural().into()),
        kind,
        kind_name: kind.plural(),
        terms,
    };
    out.emit("taxonomy.html", &context)
}
