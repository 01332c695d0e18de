//! Stage 4, render: the model -> pages and files, a pure function of [`Model`].
//!
//! Every page kind has a module under `page/` with its own typed context (what its
//! template sees, and so which part of the model it reads) and nothing else. [`Renderer`]
//! holds what every page shares (the model, its postmortems as list rows, the paginator);
//! [`Renderer::pages`] lists every page of the site, [`Renderer::page`] renders one, and
//! [`Renderer::files`] makes every other output file. Nothing here writes or reads a file:
//! the caller writes what comes back, in parallel, and reports progress.

pub mod chart;
pub mod export;
pub mod feed;
pub mod markdown;
mod page;
pub mod pager;
pub mod rows;

use std::hash::Hasher;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use crate::diagnostic::{Code, Diagnostic};
use crate::model::Model;
use crate::site::ledger::LedgerView;
use crate::site::{TaxonomyKind, url};
use crate::theme;
use pager::Paginator;
use rows::Item;

pub use crate::theme::escape_html;

pub const GENERATOR: &str = concat!("pmsite ", env!("CARGO_PKG_VERSION"));

/// A template failed to render: the one way rendering fails.
#[derive(Debug)]
pub struct RenderError(pub Box<Diagnostic>);

/// Every page of a site, each one HTML file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Home,
    Incident(usize),
    /// All incidents, newest first.
    Incidents {
        page: usize,
    },
    Taxonomy(TaxonomyKind),
    Term {
        kind: TaxonomyKind,
        /// Index into the taxonomy's terms.
        term: usize,
        page: usize,
    },
    Ledger {
        view: LedgerView,
        page: usize,
    },
    /// The action items of one owner or team.
    LedgerGroup {
        team: bool,
        /// Index into `Ledger::teams` or `Ledger::owners`.
        index: usize,
        page: usize,
    },
    Insights,
    Search,
    NotFound,
}

impl Page {
    /// Whether the page shows anything of a postmortem's body: an incident's page, and a
    /// service's first page (its dossier quotes lessons learned). Every other page is made
    /// from front matter alone (see `build::Fingerprints`).
    pub fn shows_bodies(self) -> bool {
        matches!(
            self,
            Page::Incident(_)
                | Page::Term {
                    kind: TaxonomyKind::Service,
                    page: pager::FIRST,
                    ..
                }
        )
    }
}

/// A rendered page: where it goes and what it holds.
pub struct Rendered {
    /// The output file, relative to the output folder.
    pub path: String,
    pub html: String,
}

/// An output file that is not a page.
pub struct File<'a> {
    /// Relative to the output folder.
    pub path: String,
    pub contents: Contents<'a>,
}

/// What writes a file's bytes as it makes them.
pub type Streamed<'a> = dyn Fn(&mut dyn std::io::Write) -> std::io::Result<()> + Sync + 'a;

pub enum Contents<'a> {
    Text(String),
    Embedded(&'static [u8]),
    /// Written as it is made, never held whole: `incidents.json` of 100,000 postmortems is
    /// a quarter of a gigabyte, and its text was the largest thing a build ever allocated.
    Streamed(&'a Streamed<'a>),
    /// Copied as it is from the site folder when the output is written.
    Copy(PathBuf),
    /// As a preview's last build wrote it: made from front matter that has not changed
    /// since (see `build::Fingerprints`).
    Unchanged,
}

/// What every page of one model shares.
pub struct Renderer<'m> {
    pub model: &'m Model<'m>,
    rows: Arc<Rows>,
    pub paginator: Paginator,
}

/// Every published postmortem as a list row, in site order: made from the front matter
/// alone, so a preview keeps them while it is the same (`Site::front_matter`).
pub struct Rows {
    items: Vec<Item>,
    /// A hash of each row, made when first asked for.
    digests: std::sync::OnceLock<Vec<u64>>,
    /// A hash of each ledger entry's row, made when first asked for: the ledger, too, is
    /// made from front matter alone (`model::Reusable` keeps it as long).
    ledger_digests: std::sync::OnceLock<Vec<u64>>,
}

impl Rows {
    pub fn of(site: &crate::site::Site<'_>) -> Rows {
        Rows {
            items: rows::items(site),
            digests: std::sync::OnceLock::new(),
            ledger_digests: std::sync::OnceLock::new(),
        }
    }
}

/// A file made from front matter alone: [`Contents::Unchanged`] when the front matter is
/// as the last build of a preview had it, else what `make` makes.
fn unless_unchanged<'a>(same_front_matter: bool, make: impl FnOnce() -> Contents<'a>) -> Contents<'a> {
    match same_front_matter {
        true => Contents::Unchanged,
        false => make(),
    }
}

impl<'m> Renderer<'m> {
    pub fn new(model: &'m Model<'m>) -> Renderer<'m> {
        Renderer::with_rows(model, Arc::new(Rows::of(&model.site)))
    }

    /// A renderer with the rows of an earlier model of the same front matter.
    pub fn with_rows(model: &'m Model<'m>, rows: Arc<Rows>) -> Renderer<'m> {
        Renderer {
            model,
            rows,
            paginator: Paginator::new(model.site.config.paginate_by),
        }
    }

    pub fn rows(&self) -> &Arc<Rows> {
        &self.rows
    }

    /// Every published postmortem as a list row, in site order.
    pub fn items(&self) -> &[Item] {
        &self.rows.items
    }

    /// A hash of each postmortem's list row (`items`), for fingerprints that include rows.
    pub fn item_digests(&self) -> &[u64] {
        self.rows.digests.get_or_init(|| {
            use rayon::prelude::*;
            self.rows
                .items
                .par_iter()
                .map(|item| fingerprint_of("", item))
                .collect()
        })
    }

    /// A hash of each ledger entry's row (`rows::ledger_row`), for fingerprints.
    pub fn ledger_digests(&self) -> &[u64] {
        self.rows.ledger_digests.get_or_init(|| {
            use rayon::prelude::*;
            (0..self.model.ledger.entries.len())
                .into_par_iter()
                .map(|i| fingerprint_of("", &rows::ledger_row(self.model, self.items(), i)))
                .collect()
        })
    }

    /// The HTML of postmortem `index`'s body on a page whose root prefix is `root`.
    fn body(&self, index: usize, root: &str) -> String {
        markdown::body_html(self.model.site.postmortems[index], &self.model.site, root)
    }

    /// Every page of the site.
    pub fn pages(&self) -> Vec<Page> {
        let (site, ledger) = (&self.model.site, &self.model.ledger);
        let pages_of = |rows: usize| self.paginator.pages(rows);
        let mut pages = vec![Page::Home, Page::Search, Page::NotFound, Page::Insights];
        for view in LedgerView::ALL {
            pages.extend(pages_of(ledger.view(view).len()).map(|page| Page::Ledger { view, page }));
        }
        for (team, groups) in [(false, &ledger.owners), (true, &ledger.teams)] {
            for (index, group) in groups.iter().enumerate() {
                pages.extend(pages_of(group.entries.len()).map(|page| Page::LedgerGroup {
                    team,
                    index,
                    page,
                }));
            }
        }
        pages.extend((0..site.postmortems.len()).map(Page::Incident));
        pages.extend(pages_of(site.postmortems.len()).map(|page| Page::Incidents { page }));
        for taxonomy in site.taxonomies.iter() {
            pages.push(Page::Taxonomy(taxonomy.kind));
            for (term, t) in taxonomy.terms.iter().enumerate() {
                pages.extend(pages_of(t.members.len()).map(|page| Page::Term {
                    kind: taxonomy.kind,
                    term,
                    page,
                }));
            }
        }
        pages
    }

    pub fn page(&self, page: Page) -> Result<Rendered, RenderError> {
        Ok(Rendered {
            path: self.output_path(page),
            html: self.emit(page, &Html(self))?,
        })
    }

    /// The file a page is written to.
    pub fn output_path(&self, page: Page) -> String {
        let path = self.path(page);
        // A page is a folder with an index.html; the 404 page is a file served at any URL.
        if page == Page::NotFound {
            path
        } else {
            url::output_file(&path)
        }
    }

    /// A hash of everything `page` shows: its template's name and its context. A page is
    /// a pure function of the two, so a page whose fingerprint did not change need not be
    /// rendered again (the theme and the config are the same between the two fingerprints:
    /// a preview starts afresh when either changes). An incident page, most of a site,
    /// hashes what its context is made from instead (`page::incident::fingerprint`).
    pub fn fingerprint(&self, page: Page) -> Result<u64, RenderError> {
        match page {
            Page::Incident(index) => Ok(page::incident::fingerprint(self, &self.path(page), index)),
            _ => self.emit(page, &Fingerprint),
        }
    }

    fn emit<E: Emit>(&self, page: Page, out: &E) -> Result<E::Out, RenderError> {
        let path = self.path(page);
        match page {
            Page::Home => page::home::render(self, out, &path),
            Page::Incident(index) => page::incident::render(self, out, &path, index),
            Page::Incidents { page } => page::incidents::render(self, out, &path, page),
            Page::Taxonomy(kind) => page::taxonomy::render(self, out, &path, kind),
            Page::Term { kind, term, page } => page::term::render(self, out, &path, kind, term, page),
            Page::Ledger { view, page } => page::ledger::render_view(self, out, &path, view, page),
            Page::LedgerGroup { team, index, page } => {
                page::ledger::render_group(self, out, &path, team, index, page)
            }
            Page::Insights => page::insights::render(self, out, &path),
            Page::Search => page::search::render(self, out, &path),
            Page::NotFound => page::not_found::render(self, out),
        }
    }

    /// Every output file that is not a page: static files, linked files, the JSON export,
    /// the front matter's schema, and (with a base_url) feeds and the sitemap of `pages`,
    /// each handed to `emit` as soon as it is made (the JSON export of a large archive is
    /// tens of megabytes, better not held while the others are made); how many there were.
    /// With `same_front_matter` (a preview whose last build had the same front matter), the
    /// files made from front matter alone are [`Contents::Unchanged`], not made again.
    pub fn files<E>(
        &self,
        pages: &[Page],
        same_front_matter: bool,
        emit: &mut dyn FnMut(File<'_>) -> Result<(), E>,
    ) -> Result<usize, E> {
        let mut count = 0;
        let mut emit = |path: String, contents: Contents| {
            count += 1;
            emit(File { path, contents })
        };
        let made = |make: &dyn Fn() -> String| unless_unchanged(same_front_matter, || Contents::Text(make()));
        let (model, site) = (self.model, &self.model.site);
        for asset in &model.theme.assets {
            let contents = match &asset.source {
                theme::Source::Embedded(bytes) => Contents::Embedded(bytes),
                theme::Source::File(path) => Contents::Copy(path.clone()),
            };
            emit(asset.path.clone(), contents)?;
        }
        let postmortems = model.root.join(crate::content::POSTMORTEMS_DIR);
        for key in &site.files {
            emit(url::file_output(key), Contents::Copy(postmortems.join(key)))?;
        }
        let incidents = |out: &mut dyn std::io::Write| export::write_incidents_json(site, out);
        emit(
            export::FILE.into(),
            unless_unchanged(same_front_matter, || Contents::Streamed(&incidents)),
        )?;
        // The front matter's JSON Schema, for editors pointed at the published site.
        emit(
            crate::content::schema::OUTPUT_PATH.into(),
            made(&|| {
                let schema = crate::content::schema::json_schema(site.config);
                serde_json::to_string_pretty(&schema).unwrap_or_default()
            }),
        )?;
        // Feeds and the sitemap need absolute URLs: without a base_url they are left out
        // (the build warns about it).
        if !site.config.base_url.is_empty() {
            for feed in feed::feeds(site) {
                emit(url::feed(&feed.page), made(&|| feed::atom(site, &feed)))?;
            }
            let sitemap = made(&|| {
                let paths: Vec<String> = pages
                    .iter()
                    .filter(|page| **page != Page::NotFound)
                    .map(|page| self.path(*page))
                    .collect();
                feed::sitemap(&site.config.base_url, &paths)
            });
            emit(url::SITEMAP.into(), sitemap)?;
        }
        Ok(count)
    }

    /// The site path of a page: its folder (the 404 page: its file).
    pub fn path(&self, page: Page) -> String {
        let site = &self.model.site;
        let ledger = &self.model.ledger;
        match page {
            Page::Home => url::HOME.into(),
            Page::Incident(index) => url::incident(&site.postmortems[index].id),
            Page::Incidents { page } => url::page(url::INCIDENTS, page),
            Page::Taxonomy(kind) => url::taxonomy(kind),
            Page::Term { kind, term, page } => {
                url::page(&url::term(kind, &site.taxonomy(kind).terms[term].slug), page)
            }
            Page::Ledger { view, page } => url::page(&url::ledger_view(view), page),
            Page::LedgerGroup { team, index, page } => url::page(
                &if team {
                    url::ledger_team(&ledger.teams[index].slug)
                } else {
                    url::ledger_owner(&ledger.owners[index].slug)
                },
                page,
            ),
            Page::Insights => url::INSIGHTS.into(),
            Page::Search => url::SEARCH.into(),
            Page::NotFound => url::NOT_FOUND.into(),
        }
    }
}

/// What becomes of a page's template and typed context: its HTML, or its fingerprint.
pub trait Emit {
    type Out;
    fn emit<C: Serialize>(&self, template: &'static str, context: &C) -> Result<Self::Out, RenderError>;
}

struct Html<'r>(&'r Renderer<'r>);

impl Emit for Html<'_> {
    type Out = String;

    fn emit<C: Serialize>(&self, template: &'static str, context: &C) -> Result<String, RenderError> {
        let theme = self.0.model.theme;
        tera::Context::from_serialize(context)
            .and_then(|context| theme.tera.render(template, &context))
            .map_err(|e| {
                RenderError(Box::new(
                    Diagnostic::error(
                        Code::Template,
                        theme.template_file(template),
                        format!("cannot render `{template}`: {}", theme::error_chain(&e)),
                    )
                    .hint("check the variables the template uses against the theme's own templates"),
                ))
            })
    }
}

struct Fingerprint;

impl Emit for Fingerprint {
    type Out = u64;

    fn emit<C: Serialize>(&self, template: &'static str, context: &C) -> Result<u64, RenderError> {
        Ok(fingerprint_of(template, context))
    }
}

/// A hash of a template's name and what it is given.
fn fingerprint_of<C: Serialize>(template: &str, context: &C) -> u64 {
    let mut hasher = HashWriter(rustc_hash::FxHasher::default());
    hasher.0.write(template.as_bytes());
    // Serializing into a hasher allocates nothing; a context always serializes. CBOR, not
    // JSON: it writes strings as they are, where JSON escapes every byte of every body's
    // HTML, and fingerprinting runs over every page after every edit.
    let _ = ciborium::into_writer(context, &mut hasher);
    hasher.0.finish()
}

/// Feeds what is written into a hasher.
struct HashWriter(rustc_hash::FxHasher);

impl std::io::Write for HashWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.write(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
