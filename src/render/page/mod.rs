//! One module per page kind, each with the typed context its template sees. A context
//! starts with [`Common`] (what the base template needs on every page) and adds what the
//! page shows, read from the model through the [`Renderer`](super::Renderer).

pub mod home;
pub mod incident;
pub mod incidents;
pub mod insights;
pub mod ledger;
pub mod not_found;
pub mod search;
pub mod taxonomy;
pub mod term;

use serde::Serialize;

use super::{GENERATOR, Renderer};
use crate::site::{TaxonomyKind, url};

/// What the base template needs on every page.
#[derive(Serialize)]
pub struct Common<'a> {
    site: SiteView<'a>,
    title: String,
    description: Option<&'a str>,
    /// The relative way back to the site root: every link starts with it.
    root: String,
    path: String,
    canonical: Option<String>,
    /// The navigation entry this page belongs to.
    section: String,
    nav: Vec<NavItem>,
    site_feed: Option<String>,
    page_feed: Option<String>,
    favicon: Favicon,
}

/// The site's icon: a `favicon.svg`, `.png` or `.ico` in the site's `static/`, else the
/// theme's.
#[derive(Serialize)]
struct Favicon {
    url: &'static str,
    mime: &'static str,
}

const FAVICONS: [Favicon; 3] = [
    Favicon {
        url: "favicon.svg",
        mime: "image/svg+xml",
    },
    Favicon {
        url: "favicon.png",
        mime: "image/png",
    },
    Favicon {
        url: "favicon.ico",
        mime: "image/x-icon",
    },
];
const THEME_FAVICON: Favicon = Favicon {
    url: "assets/favicon.svg",
    mime: "image/svg+xml",
};

fn favicon(r: &Renderer<'_>) -> Favicon {
    let assets = &r.model.theme.assets;
    FAVICONS
        .into_iter()
        .find(|f| assets.iter().any(|a| a.path == f.url))
        .unwrap_or(THEME_FAVICON)
}

impl<'a> Common<'a> {
    pub fn new(r: &Renderer<'a>, path: &str, title: String) -> Common<'a> {
        let site = &r.model.site;
        let config = site.config;
        let has_feeds = !config.base_url.is_empty();
        Common {
            site: SiteView {
                title: &config.title,
                description: config.description.as_deref(),
                language: &config.language,
                base_url: &config.base_url,
                audience: site.selection.audience.as_str(),
                generator: GENERATOR,
            },
            title,
            description: config.description.as_deref(),
            root: url::root_from(path),
            path: path.to_string(),
            canonical: has_feeds.then(|| format!("{}{path}", config.base_url)),
            section: path.split('/').next().unwrap_or("").to_string(),
            nav: nav(),
            site_feed: has_feeds.then(|| url::feed(url::HOME)),
            page_feed: None,
            favicon: favicon(r),
        }
    }
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
            url: url::INCIDENTS.into(),
            section: "incidents",
        },
        NavItem {
            title: "Action items",
            url: url::LEDGER.into(),
            section: "action-items",
        },
        NavItem {
            title: "Insights",
            url: url::INSIGHTS.into(),
            section: "insights",
        },
    ];
    for kind in TaxonomyKind::ALL {
        nav.push(NavItem {
            title: kind.plural(),
            url: url::taxonomy(kind),
            section: kind.path(),
        });
    }
    nav
}

/// A term with its number of incidents, as the home and taxonomy pages list them.
#[derive(Serialize)]
pub struct TermCount {
    name: String,
    /// Position in the severity scale (0 = most severe); 0 for other taxonomies.
    rank: usize,
    url: Option<String>,
    count: usize,
    description: Option<String>,
}

/// The build date as pages show it (`<time datetime>`).
pub fn today(r: &Renderer<'_>) -> String {
    r.model.site.selection.today.format("%Y-%m-%d").to_string()
}
