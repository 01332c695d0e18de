//! Stage 4, render: the site model -> HTML pages through Tera templates, written into the
//! staging folder in parallel.
//!
//! Templates come from the default theme embedded in the binary (`themes/default/`); a
//! site's `templates/` folder overrides any of them by name. Static files likewise: the
//! theme's `static/` then the site's `static/`.

pub mod chart;
pub mod export;
pub mod feed;
pub mod follow;
pub mod markdown;
pub mod views;

use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};
use rayon::prelude::*;
use serde::Serialize;
use tera::{Context, Tera};

use crate::build::Progress;
use crate::config::Config;
use crate::diagnostic::{Code, Diagnostic};
use crate::output::{OutputError, Staging};
use crate::site::insights::Insights;
use crate::site::ledger::Ledger;
use crate::site::{Site, TaxonomyKind, url};
use follow::{LedgerView, PageModel};
use views::{Item, TermLink};

static THEME: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/themes/default");

pub const GENERATOR: &str = concat!("pmsite ", env!("CARGO_PKG_VERSION"));

#[derive(Debug)]
pub enum RenderError {
    Template(Box<Diagnostic>),
    Output(OutputError),
}

impl From<OutputError> for RenderError {
    fn from(e: OutputError) -> Self {
        RenderError::Output(e)
    }
}

pub struct Renderer {
    tera: Tera,
    site_root: PathBuf,
}

/// What a build wrote, for the summary line.
#[derive(Debug, Default, Clone, Copy)]
pub struct Written {
    pub pages: usize,
    pub files: usize,
}

impl Renderer {
    /// The theme's templates, with the site's `templates/` overriding them by name.
    pub fn new(site_root: &Path) -> Result<Renderer, Vec<Diagnostic>> {
        let mut templates: Vec<(String, String, PathBuf)> = Vec::new();
        if let Some(dir) = THEME.get_dir("templates") {
            for file in dir.files() {
                let name = file.path().strip_prefix("templates").unwrap_or(file.path());
                let text = file.contents_utf8().unwrap_or_default().to_string();
                templates.push((
                    name.to_string_lossy().into_owned(),
                    text,
                    PathBuf::from("(theme)").join(file.path()),
                ));
            }
        }
        let mut diagnostics = Vec::new();
        let overrides = site_root.join("templates");
        if overrides.is_dir() {
            for entry in walkdir::WalkDir::new(&overrides).sort_by_file_name() {
                let Ok(entry) = entry else { continue };
                if !entry.file_type().is_file() {
                    continue;
                }
                let display = Path::new("templates")
                    .join(entry.path().strip_prefix(&overrides).unwrap_or(entry.path()));
                let name = entry
                    .path()
                    .strip_prefix(&overrides)
                    .unwrap_or(entry.path())
                    .to_string_lossy()
                    .replace('\\', "/");
                match std::fs::read_to_string(entry.path()) {
                    Ok(text) => {
                        templates.retain(|(n, _, _)| *n != name);
                        templates.push((name, text, display));
                    }
                    Err(e) => diagnostics.push(Diagnostic::error(
                        Code::Template,
                        display,
                        format!("cannot read the template: {e}"),
                    )),
                }
            }
        }
        if !diagnostics.is_empty() {
            return Err(diagnostics);
        }
        let mut tera = Tera::default();
        tera.autoescape_on(vec![".html", ".xml"]);
        tera.set_escape_fn(escape_html);
        let raw: Vec<(&str, &str)> = templates
            .iter()
            .map(|(n, t, _)| (n.as_str(), t.as_str()))
            .collect();
        if let Err(e) = tera.add_raw_templates(raw) {
            return Err(vec![template_diagnostic(&e, &templates)]);
        }
        Ok(Renderer {
            tera,
            site_root: site_root.to_path_buf(),
        })
    }

    pub fn render(
        &self,
        site: &Site<'_>,
        staging: &Staging,
        progress: &dyn Progress,
    ) -> Result<Written, RenderError> {
        let items = views::items(site);
        let ledger = Ledger::build(site);
        let model = PageModel::new(site, &ledger, &items);
        let jobs = jobs(&model);
        let pages = jobs.len();
        progress.stage("Rendering", pages);
        let written: Vec<String> = jobs
            .par_iter()
            .map(|job| {
                let (path, html) = self.render_job(&model, job)?;
                staging.write(&path, html.as_bytes())?;
                progress.advance();
                Ok::<String, RenderError>(path)
            })
            .collect::<Result<_, _>>()?;
        let mut files = self.copy_static(site, staging)?;
        staging.write(export::FILE, export::incidents_json(site).as_bytes())?;
        files += 1;
        // Feeds and the sitemap need absolute URLs: without a base_url they are left out
        // (the build warns about it).
        if !site.config.base_url.is_empty() {
            for feed in feed::feeds(site) {
                staging.write(&feed::feed_path(&feed.page), feed::atom(site, &feed).as_bytes())?;
                files += 1;
            }
            let pages: Vec<String> = written
                .iter()
                .filter_map(|file| file.strip_suffix("index.html").map(str::to_string))
                .collect();
            staging.write(
                "sitemap.xml",
                feed::sitemap(&site.config.base_url, &pages).as_bytes(),
            )?;
            files += 1;
        }
        Ok(Written { pages, files })
    }

    fn render_job(&self, model: &PageModel<'_, '_>, job: &Job) -> Result<(String, String), RenderError> {
        let (site, items) = (model.site, model.items);
        match *job {
            Job::Home => {
                let path = "";
                let mut ctx = self.common(site, path, site.config.title.clone());
                ctx.insert("recent", &items.iter().take(10).collect::<Vec<_>>());
                ctx.insert("total", &items.len());
                let severity = site.taxonomy(TaxonomyKind::Severity);
                let counts: Vec<TermCount> = site
                    .config
                    .severities
                    .iter()
                    .enumerate()
                    .map(|(rank, s)| {
                        let term = severity.term_for(&s.name);
                        TermCount {
                            name: s.name.clone(),
                            rank,
                            url: term.map(|t| severity.term_path(t)),
                            count: term.map_or(0, |t| t.members.len()),
                            description: Some(s.description.clone()).filter(|d| !d.is_empty()),
                        }
                    })
                    .collect();
                ctx.insert("severity_counts", &counts);
                ctx.insert("taxonomies", &taxonomy_summaries(site));
                ctx.insert("on_this_day", &follow::on_this_day(site, items));
                ctx.insert("today", &site.selection.today.format("%Y-%m-%d").to_string());
                ctx.insert("today_human", &site.selection.today.format("%-d %B").to_string());
                self.page("index.html", path, &ctx)
            }
            Job::Incident(i) => {
                let pm = site.postmortems[i];
                let path = url::incident(&pm.id);
                let root = url::root_from(&path);
                let body = markdown::body_html(pm, site, &root);
                let mut ctx = self.common(site, &path, pm.title.clone());
                ctx.insert("pm", pm);
                ctx.insert("incident", &views::incident(site, i, items, body));
                ctx.insert("description", &pm.summary);
                self.page("incident.html", &path, &ctx)
            }
            Job::Incidents { page } => {
                let base = "incidents/";
                let all: Vec<usize> = (0..items.len()).collect();
                let (path, ctx) = self.list(site, items, base, &all, page, "All incidents".into());
                self.page("incidents.html", &path, &ctx)
            }
            Job::Taxonomy(kind) => {
                let taxonomy = site.taxonomy(kind);
                let path = format!("{}/", kind.path());
                let mut ctx = self.common(site, &path, kind.plural().into());
                let terms: Vec<TermCount> = taxonomy
                    .terms
                    .iter()
                    .map(|t| TermCount {
                        name: t.name.clone(),
                        rank: site.config.severity(&t.name).map_or(0, |(rank, _)| rank),
                        url: Some(taxonomy.term_path(t)),
                        count: t.members.len(),
                        description: t.description.clone(),
                    })
                    .collect();
                ctx.insert("kind", &kind);
                ctx.insert("kind_name", kind.plural());
                ctx.insert("terms", &terms);
                self.page("taxonomy.html", &path, &ctx)
            }
            Job::Term { kind, term, page } => {
                let taxonomy = site.taxonomy(kind);
                let term = &taxonomy.terms[term];
                let base = taxonomy.term_path(term);
                let title = format!("{}: {}", kind.singular(), term.name);
                let (path, mut ctx) = self.list(site, items, &base, &term.members, page, title);
                ctx.insert("kind", &kind);
                ctx.insert("kind_name", kind.singular());
                ctx.insert("kind_plural", kind.plural());
                ctx.insert("kind_url", &format!("{}/", kind.path()));
                ctx.insert(
                    "term",
                    &TermLink {
                        name: term.name.clone(),
                        url: base.clone(),
                    },
                );
                ctx.insert("term_description", &term.description);
                if feed::has_feed(kind) && !site.config.base_url.is_empty() {
                    ctx.insert("page_feed", &feed::feed_path(&base));
                }
                if kind == TaxonomyKind::Team
                    && let Some(group) = model.ledger.team(&term.slug)
                {
                    ctx.insert("team_ledger", &follow::team_path(group));
                }
                if kind == TaxonomyKind::Service && page == 1 {
                    ctx.insert("dossier", &follow::dossier(model, term));
                }
                self.page("term.html", &path, &ctx)
            }
            Job::Ledger { view, page } => {
                let base = view.path();
                let path = url::page(&base, page);
                let mut ctx = self.common(site, &path, view.title().into());
                let number = follow::Page {
                    number: page,
                    size: page_size(site),
                };
                ctx.insert("ledger", &model.view(view, number));
                let total = pages_for(site, model.entries_in(view).len());
                ctx.insert("pager", &Pager::new(&base, page, total));
                ctx.insert("view", &view);
                ctx.insert("today", &site.selection.today.format("%Y-%m-%d").to_string());
                self.page("action-items.html", &path, &ctx)
            }
            Job::LedgerGroup { team, index, page } => {
                let (group, base, title) = if team {
                    let g = &model.ledger.teams[index];
                    (
                        g,
                        follow::team_path(g),
                        format!("Action items of team {}", g.name),
                    )
                } else {
                    let g = &model.ledger.owners[index];
                    (
                        g,
                        follow::owner_path(g),
                        format!("Action items owned by {}", g.name),
                    )
                };
                let path = url::page(&base, page);
                let mut ctx = self.common(site, &path, title);
                let number = follow::Page {
                    number: page,
                    size: page_size(site),
                };
                ctx.insert("ledger", &model.group(team, index, number));
                let total = pages_for(site, group.entries.len());
                ctx.insert("pager", &Pager::new(&base, page, total));
                ctx.insert("group_name", &group.name);
                ctx.insert("group_kind", if team { "team" } else { "owner" });
                ctx.insert("today", &site.selection.today.format("%Y-%m-%d").to_string());
                self.page("action-items-group.html", &path, &ctx)
            }
            Job::Insights => {
                let path = "insights/";
                let mut ctx = self.common(site, path, "Insights".into());
                let insights = Insights::build(site, model.ledger);
                ctx.insert("insights", &follow::insights(&insights));
                self.page("insights.html", path, &ctx)
            }
            Job::Search => {
                let path = "search/";
                let ctx = self.common(site, path, "Search incidents".into());
                self.page("search.html", path, &ctx)
            }
            Job::NotFound => {
                let mut ctx = self.common(site, "", "Page not found".into());
                // Served at any URL: relative links cannot work here.
                ctx.insert("root", &url::base_path(&site.config.base_url));
                ctx.insert("canonical", &None::<String>);
                let html = self.render_template("404.html", &ctx)?;
                Ok(("404.html".into(), html))
            }
        }
    }

    fn list(
        &self,
        site: &Site<'_>,
        items: &[Item],
        base: &str,
        members: &[usize],
        page: usize,
        title: String,
    ) -> (String, Context) {
        let per_page = page_size(site);
        let total_pages = pages_for(site, members.len());
        let path = url::page(base, page);
        let mut ctx = self.common(site, &path, title);
        let rows: Vec<&Item> = members
            .iter()
            .skip((page - 1).saturating_mul(per_page))
            .take(per_page)
            .map(|&i| &items[i])
            .collect();
        ctx.insert("items", &rows);
        ctx.insert("count", &members.len());
        ctx.insert("pager", &Pager::new(base, page, total_pages));
        (path, ctx)
    }

    fn common(&self, site: &Site<'_>, path: &str, title: String) -> Context {
        let mut ctx = Context::new();
        let config: &Config = site.config;
        ctx.insert(
            "site",
            &SiteView {
                title: &config.title,
                description: config.description.as_deref(),
                language: &config.language,
                base_url: &config.base_url,
                audience: site.selection.audience.as_str(),
                generator: GENERATOR,
            },
        );
        ctx.insert("title", &title);
        ctx.insert("description", &config.description);
        ctx.insert("root", &url::root_from(path));
        ctx.insert("path", path);
        ctx.insert(
            "canonical",
            &(!config.base_url.is_empty()).then(|| format!("{}{path}", config.base_url)),
        );
        ctx.insert("section", path.split('/').next().unwrap_or(""));
        ctx.insert("nav", &nav());
        ctx.insert(
            "site_feed",
            &(!config.base_url.is_empty()).then_some(feed::FEED_FILE),
        );
        ctx.insert("page_feed", &None::<String>);
        ctx
    }

    fn page(&self, template: &str, path: &str, ctx: &Context) -> Result<(String, String), RenderError> {
        Ok((url::output_file(path), self.render_template(template, ctx)?))
    }

    fn render_template(&self, template: &str, ctx: &Context) -> Result<String, RenderError> {
        self.tera.render(template, ctx).map_err(|e| {
            let file = if self.site_root.join("templates").join(template).is_file() {
                Path::new("templates").join(template)
            } else {
                PathBuf::from("(theme)/templates").join(template)
            };
            RenderError::Template(Box::new(
                Diagnostic::error(
                    Code::Template,
                    file,
                    format!("cannot render `{template}`: {}", error_chain(&e)),
                )
                .hint("check the variables the template uses against the theme's own templates"),
            ))
        })
    }

    fn copy_static(&self, site: &Site<'_>, staging: &Staging) -> Result<usize, RenderError> {
        let mut count = 0;
        if let Some(dir) = THEME.get_dir("static") {
            for file in all_files(dir) {
                let relative = file.path().strip_prefix("static").unwrap_or(file.path());
                staging.write(&format!("assets/{}", relative.to_string_lossy()), file.contents())?;
                count += 1;
            }
        }
        let own = self.site_root.join("static");
        if own.is_dir() {
            for entry in walkdir::WalkDir::new(&own)
                .sort_by_file_name()
                .into_iter()
                .flatten()
            {
                if entry.file_type().is_file() {
                    let relative = entry.path().strip_prefix(&own).unwrap_or(entry.path());
                    staging.copy(entry.path(), &relative.to_string_lossy())?;
                    count += 1;
                }
            }
        }
        let postmortems = self.site_root.join(crate::content::POSTMORTEMS_DIR);
        for key in &site.files {
            staging.copy(&postmortems.join(key), &format!("files/{key}"))?;
            count += 1;
        }
        Ok(count)
    }
}

/// Tera's default escaper also turns `/` into `&#x2F;`, which bloats every URL; these five
/// characters are all that HTML text and double- or single-quoted attributes need.
pub fn escape_html(input: &str) -> String {
    let mut out = String::with_capacity(input.len() + input.len() / 8);
    for c in input.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn all_files<'a>(dir: &'a Dir<'a>) -> Vec<&'a include_dir::File<'a>> {
    let mut files: Vec<_> = dir.files().collect();
    for sub in dir.dirs() {
        files.extend(all_files(sub));
    }
    files
}

#[derive(Debug, Clone, Copy)]
enum Job {
    Home,
    Incident(usize),
    Incidents {
        page: usize,
    },
    Taxonomy(TaxonomyKind),
    Term {
        kind: TaxonomyKind,
        term: usize,
        page: usize,
    },
    Search,
    NotFound,
    Ledger {
        view: LedgerView,
        page: usize,
    },
    LedgerGroup {
        team: bool,
        index: usize,
        page: usize,
    },
    Insights,
}

/// Rows per page of a list; `usize::MAX` when pagination is off.
fn page_size(site: &Site<'_>) -> usize {
    if site.config.paginate_by == 0 {
        usize::MAX
    } else {
        site.config.paginate_by
    }
}

/// Pages a list of `count` rows takes (at least one: an empty list still has its page).
fn pages_for(site: &Site<'_>, count: usize) -> usize {
    count.div_ceil(page_size(site)).max(1)
}

fn jobs(model: &PageModel<'_, '_>) -> Vec<Job> {
    let (site, ledger) = (model.site, model.ledger);
    let pages_for = |count: usize| pages_for(site, count);
    let mut jobs = vec![Job::Home, Job::Search, Job::NotFound, Job::Insights];
    for view in LedgerView::ALL {
        let pages = pages_for(model.entries_in(view).len());
        jobs.extend((1..=pages).map(|page| Job::Ledger { view, page }));
    }
    for (team, groups) in [(false, &ledger.owners), (true, &ledger.teams)] {
        for (index, group) in groups.iter().enumerate() {
            let pages = pages_for(group.entries.len());
            jobs.extend((1..=pages).map(|page| Job::LedgerGroup { team, index, page }));
        }
    }
    jobs.extend((0..site.postmortems.len()).map(Job::Incident));
    jobs.extend((1..=pages_for(site.postmortems.len())).map(|page| Job::Incidents { page }));
    for taxonomy in &site.taxonomies {
        jobs.push(Job::Taxonomy(taxonomy.kind));
        for (term, t) in taxonomy.terms.iter().enumerate() {
            for page in 1..=pages_for(t.members.len()) {
                jobs.push(Job::Term {
                    kind: taxonomy.kind,
                    term,
                    page,
                });
            }
        }
    }
    jobs
}

#[derive(Serialize)]
struct SiteView<'a> {
    title: &'a str,
    description: Option<&'a str>,
    language: &'a str,
    base_url: &'a str,
    audience: &'a str,
    generator: &'a str,
}

#[derive(Serialize)]
struct NavItem {
    title: &'static str,
    url: String,
    section: &'static str,
}

fn nav() -> Vec<NavItem> {
    let mut nav = vec![
        NavItem {
            title: "Incidents",
            url: "incidents/".into(),
            section: "incidents",
        },
        NavItem {
            title: "Action items",
            url: follow::LEDGER.into(),
            section: "action-items",
        },
        NavItem {
            title: "Insights",
            url: "insights/".into(),
            section: "insights",
        },
    ];
    for kind in TaxonomyKind::ALL {
        nav.push(NavItem {
            title: kind.plural(),
            url: format!("{}/", kind.path()),
            section: kind.path(),
        });
    }
    nav
}

#[derive(Serialize)]
struct TermCount {
    name: String,
    /// Position in the severity scale (0 = most severe); 0 for other taxonomies.
    rank: usize,
    url: Option<String>,
    count: usize,
    description: Option<String>,
}

#[derive(Serialize)]
struct TaxonomySummary {
    name: &'static str,
    url: String,
    count: usize,
    top: Vec<TermCount>,
}

/// For the home page: each taxonomy's most used terms.
fn taxonomy_summaries(site: &Site<'_>) -> Vec<TaxonomySummary> {
    [TaxonomyKind::Service, TaxonomyKind::RootCause, TaxonomyKind::Team]
        .into_iter()
        .map(|kind| {
            let taxonomy = site.taxonomy(kind);
            TaxonomySummary {
                name: kind.plural(),
                url: format!("{}/", kind.path()),
                count: taxonomy.terms.len(),
                top: taxonomy
                    .most_used(8)
                    .into_iter()
                    .map(|t| TermCount {
                        name: t.name.clone(),
                        rank: 0,
                        url: Some(taxonomy.term_path(t)),
                        count: t.members.len(),
                        description: None,
                    })
                    .collect(),
            }
        })
        .collect()
}

#[derive(Debug, Serialize)]
struct Pager {
    current: usize,
    total: usize,
    prev: Option<String>,
    next: Option<String>,
    /// A window of pages, not all of them: see [`page_window`].
    pages: Vec<PageLink>,
}

#[derive(Debug, PartialEq, Serialize)]
struct PageLink {
    number: usize,
    url: String,
    current: bool,
    /// Pages between the previous link and this one are left out (an ellipsis).
    gap_before: bool,
}

impl Pager {
    fn new(base: &str, current: usize, total: usize) -> Pager {
        let mut previous = 0;
        let pages = page_window(current, total)
            .into_iter()
            .map(|number| {
                let gap_before = previous != 0 && number > previous + 1;
                previous = number;
                PageLink {
                    number,
                    url: url::page(base, number),
                    current: number == current,
                    gap_before,
                }
            })
            .collect();
        Pager {
            current,
            total,
            prev: (current > 1).then(|| url::page(base, current - 1)),
            next: (current < total).then(|| url::page(base, current + 1)),
            pages,
        }
    }
}

/// Pages either side of the current one that the pager links.
const PAGER_AROUND: usize = 2;

/// The page numbers a pager links, ascending: the first, the last, and the current one
/// with [`PAGER_AROUND`] either side. Linking every page would make every page of a long
/// list carry a link to every other (quadratic in the list's length). A gap of a single
/// page shows that page: an ellipsis in its place would be no shorter.
fn page_window(current: usize, total: usize) -> Vec<usize> {
    let low = current.saturating_sub(PAGER_AROUND).max(1);
    let high = current.saturating_add(PAGER_AROUND).min(total);
    let mut numbers = vec![1];
    numbers.extend(low..=high);
    numbers.push(total.max(1));
    numbers.sort_unstable();
    numbers.dedup();
    let mut shown: Vec<usize> = Vec::with_capacity(numbers.len() + 2);
    for number in numbers {
        if let Some(&last) = shown.last()
            && number == last + 2
        {
            shown.push(last + 1);
        }
        shown.push(number);
    }
    shown
}

fn template_diagnostic(e: &tera::Error, templates: &[(String, String, PathBuf)]) -> Diagnostic {
    let message = error_chain(e);
    let file = templates
        .iter()
        .find(|(name, _, _)| message.contains(&format!("'{name}'")))
        .map_or_else(|| PathBuf::from("templates"), |(_, _, path)| path.clone());
    Diagnostic::error(Code::Template, file, format!("invalid template: {message}"))
        .hint("templates use Tera syntax: https://keats.github.io/tera/docs/")
}

/// A Tera error with its causes, which hold the line and what went wrong.
pub(crate) fn error_chain(e: &tera::Error) -> String {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pager_links_the_ends_and_a_window_around_the_current_page() {
        assert_eq!(page_window(1, 1), [1]);
        assert_eq!(page_window(3, 5), [1, 2, 3, 4, 5], "short lists: every page");
        assert_eq!(page_window(1, 20), [1, 2, 3, 20]);
        assert_eq!(page_window(10, 20), [1, 8, 9, 10, 11, 12, 20]);
        assert_eq!(page_window(20, 20), [1, 18, 19, 20]);
        assert_eq!(page_window(4, 20), [1, 2, 3, 4, 5, 6, 20]);
        assert_eq!(
            page_window(5, 20),
            [1, 2, 3, 4, 5, 6, 7, 20],
            "a gap of one page shows the page"
        );
        assert_eq!(page_window(16, 20), [1, 14, 15, 16, 17, 18, 19, 20]);
        assert_eq!(page_window(250, 500).len(), 7, "bounded however long the list");
    }

    #[test]
    fn pager_marks_gaps_and_the_current_page() {
        let pager = Pager::new("incidents/", 10, 20);
        let link = |number: usize, current, gap_before| PageLink {
            number,
            url: url::page("incidents/", number),
            current,
            gap_before,
        };
        assert_eq!(
            pager.pages,
            [
                link(1, false, false),
                link(8, false, true),
                link(9, false, false),
                link(10, true, false),
                link(11, false, false),
                link(12, false, false),
                link(20, false, true),
            ]
        );
        assert_eq!(pager.pages[0].url, "incidents/");
        assert_eq!(pager.pages[6].url, "incidents/page/20/");
        assert_eq!(pager.prev.as_deref(), Some("incidents/page/9/"));
        assert_eq!(pager.next.as_deref(), Some("incidents/page/11/"));
    }
}
