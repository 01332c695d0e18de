//! The model of one build, finished before anything is rendered: the site (what is
//! published, in what order, with its taxonomies and links), similar incidents, the
//! action-item ledger, insights, service dossiers, "on this day" and the theme.
//!
//! Rendering reads a `Model` and nothing else: no content, no configuration file, no disk.
//! Every page and output file is a function of it, which is what lets a preview re-render
//! a single page and know it equals what a full build writes.

use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;

use chrono::Datelike;

use crate::site::dossier::Dossier;
use crate::site::insights::Insights;
use crate::site::ledger::Ledger;
use crate::site::{Similar, Site, TaxonomyKind};
use crate::theme::Theme;

pub struct Model<'a> {
    pub site: Site<'a>,
    /// A hash of what an incident page shows of the rest of the archive beyond its front
    /// matter: the backlinks other bodies make, the files bodies link, similar incidents.
    /// While this and `front_matter` are the same, an incident page changes only with its
    /// own file (see `build::Fingerprints`).
    pub neighbours: u64,
    /// Per postmortem (in site order): similar incidents, best first. Shared with a
    /// preview, which keeps them until its next search stage.
    pub similar: Arc<Vec<Vec<Similar>>>,
    pub ledger: Ledger,
    pub insights: Insights,
    /// Per service (in the order of the service taxonomy's terms): what to read before
    /// changing it.
    pub dossiers: Vec<Dossier>,
    /// Postmortems that started on the build date's month and day in an earlier year,
    /// most recent first.
    pub on_this_day: Vec<usize>,
    pub theme: &'a Theme,
    /// The site folder: linked files are copied from its postmortems/ when the output is
    /// written.
    pub root: &'a Path,
}

impl<'a> Model<'a> {
    /// The rest of the model, from the site and its similar incidents (which need the
    /// search index, built from the site).
    /// `kept`: what an earlier build of a preview made, used where what it was made from
    /// is the same (see [`Reusable`]).
    pub fn new(
        site: Site<'a>,
        similar: Arc<Vec<Vec<Similar>>>,
        theme: &'a Theme,
        root: &'a Path,
        kept: Option<Reusable>,
    ) -> Model<'a> {
        let kept = kept.filter(|parts| parts.front_matter == site.front_matter);
        let services = &site.taxonomy(TaxonomyKind::Service).terms;
        let (ledger, kept_insights, kept_dossiers) = match kept {
            Some(parts) => (parts.ledger, Some(parts.insights), parts.dossiers),
            None => (Ledger::build(&site), None, Vec::new()),
        };
        let mut kept_dossiers: Vec<Option<(u64, Dossier)>> = kept_dossiers.into_iter().map(Some).collect();
        kept_dossiers.resize_with(services.len(), || None);
        // Insights and the services' dossiers read the site and the ledger only: side by side.
        let (insights, dossiers) = rayon::join(
            || kept_insights.unwrap_or_else(|| Insights::build(&site, &ledger)),
            || {
                services
                    .par_iter()
                    .zip(kept_dossiers)
                    .map(|(service, kept)| match kept {
                        Some((members, dossier)) if members == members_digest(&site, service) => dossier,
                        _ => Dossier::build(&site, &ledger, service),
                    })
                    .collect()
            },
        );
        let on_this_day = on_this_day(&site);
        Model {
            neighbours: neighbours_digest(&site, &similar),
            site,
            similar,
            ledger,
            insights,
            dossiers,
            on_this_day,
            theme,
            root,
        }
    }
}

impl Model<'_> {
    /// What the next build of a preview may reuse.
    pub fn into_reusable(self) -> Reusable {
        let services = &self.site.taxonomy(TaxonomyKind::Service).terms;
        let dossiers = services
            .iter()
            .map(|service| members_digest(&self.site, service))
            .zip(self.dossiers)
            .collect();
        Reusable {
            front_matter: self.site.front_matter,
            taxonomies: self.site.taxonomies,
            ledger: self.ledger,
            insights: self.insights,
            dossiers,
        }
    }
}

impl Reusable {
    /// The taxonomies, for `Site::build_reusing`.
    pub fn taxonomies(&self) -> (u64, std::sync::Arc<Vec<crate::site::Taxonomy>>) {
        (self.front_matter, self.taxonomies.clone())
    }
}

/// The parts of a model a preview keeps while an author edits bodies: the taxonomies,
/// ledger and insights, made from the site's front matter alone (`front_matter` says which), and the
/// services' dossiers, which also quote their incidents' bodies: each with a digest of its
/// incidents' files (`members_digest`), kept while that is the same too.
pub struct Reusable {
    front_matter: u64,
    taxonomies: std::sync::Arc<Vec<crate::site::Taxonomy>>,
    ledger: Ledger,
    insights: Insights,
    dossiers: Vec<(u64, Dossier)>,
}

/// A hash of the files of a term's postmortems.
fn members_digest(site: &Site<'_>, term: &crate::site::Term) -> u64 {
    use std::hash::Hasher;
    let mut hasher = rustc_hash::FxHasher::default();
    for &i in &term.members {
        hasher.write_u64(site.postmortems[i].source.digest);
    }
    hasher.finish()
}

/// See `Model::neighbours`.
fn neighbours_digest(site: &Site<'_>, similar: &[Vec<Similar>]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = rustc_hash::FxHasher::default();
    site.backlinks.hash(&mut hasher);
    site.files.hash(&mut hasher);
    for list in similar {
        hasher.write_usize(list.len());
        for s in list {
            s.index.hash(&mut hasher);
            s.reasons.hash(&mut hasher);
        }
    }
    hasher.finish()
}

/// Published postmortems that started on today's month and day in an earlier year, most
/// recent first. (A 29 February incident comes up only in leap years.)
fn on_this_day(site: &Site<'_>) -> Vec<usize> {
    let today = site.selection.today;
    site.postmortems
        .iter()
        .enumerate()
        .filter(|(_, pm)| {
            let day = pm.started_at.date();
            day.month() == today.month() && day.day() == today.day() && day.year() < today.year()
        })
        .map(|(i, _)| i)
        .collect()
}
