//! Where pages live and how pages link to each other: every site path and output file name
//! of a build comes from here.
//!
//! Every internal link is relative (`../../tags/dns/`), so one build works at a domain root,
//! under a sub-path, and from a local folder. Pages are folders with an `index.html`
//! (clean URLs); a site path is that folder, relative to the site root, ending in `/`
//! (`""` for the home page).

use crate::content::links;
use crate::site::TaxonomyKind;
use crate::site::ledger::LedgerView;

pub const HOME: &str = "";
pub const INCIDENTS: &str = "incidents/";
pub const INSIGHTS: &str = "insights/";
pub const SEARCH: &str = "search/";
/// The action-item ledger's main view (open items).
pub const LEDGER: &str = "action-items/";
/// The page served for any unknown URL: a file, not a folder.
pub const NOT_FOUND: &str = "404.html";
pub const SITEMAP: &str = "sitemap.xml";
/// Where the theme's and the site's static files go.
pub const ASSETS: &str = "assets/";
/// The folder of the browser search index.
pub const SEARCH_FILES: &str = "search/";

pub fn incident(id: &str) -> String {
    format!("{INCIDENTS}{id}/")
}

/// A taxonomy's page, listing its terms.
pub fn taxonomy(kind: TaxonomyKind) -> String {
    format!("{}/", kind.path())
}

/// A term's page (its first page when paginated).
pub fn term(kind: TaxonomyKind, slug: &str) -> String {
    format!("{}/{slug}/", kind.path())
}

pub fn ledger_view(view: LedgerView) -> String {
    match view {
        LedgerView::Open => LEDGER.to_string(),
        LedgerView::Overdue => format!("{LEDGER}overdue/"),
        LedgerView::Done => format!("{LEDGER}done/"),
    }
}

/// The action items of one owner (`slug` as `site::term_slug` makes it).
pub fn ledger_owner(slug: &str) -> String {
    format!("{LEDGER}owners/{slug}/")
}

pub fn ledger_team(slug: &str) -> String {
    format!("{LEDGER}teams/{slug}/")
}

/// The Atom feed that follows the page at `page` (the site's own at [`HOME`]).
pub fn feed(page: &str) -> String {
    format!("{page}feed.xml")
}

/// A published file from under postmortems/ (an image next to a postmortem), as a link.
pub fn file(key: &str) -> String {
    let encoded: Vec<String> = key.split('/').map(links::encode_segment).collect();
    format!("files/{}", encoded.join("/"))
}

/// The output file of a published file from under postmortems/ (not percent-encoded).
pub fn file_output(key: &str) -> String {
    format!("files/{key}")
}

/// The output file of a static file, theme's or site's.
pub fn asset(relative: &str) -> String {
    format!("{ASSETS}{relative}")
}

/// The prefix that leads from the page at `page_path` back to the site root.
pub fn root_from(page_path: &str) -> String {
    let depth = page_path.matches('/').count();
    if depth == 0 {
        "./".to_string()
    } else {
        "../".repeat(depth)
    }
}

/// The output file for a page path.
pub fn output_file(page_path: &str) -> String {
    format!("{page_path}index.html")
}

/// Page `n` of the list at `base`: its first page (0) is the list's own URL; the numbered
/// pages are counted from the oldest (see `render::pager`).
pub fn page(base: &str, n: usize) -> String {
    if n == 0 {
        base.to_string()
    } else {
        format!("{base}page/{n}/")
    }
}

/// The path part of a base URL (`https://x.example/kb/` -> `/kb/`), for pages that cannot
/// use relative links because they are served at any URL (the 404 page).
pub fn base_path(base_url: &str) -> String {
    let without_scheme = base_url.split_once("://").map_or(base_url, |(_, rest)| rest);
    match without_scheme.find('/') {
        Some(i) => {
            let path = &without_scheme[i..];
            if path.ends_with('/') {
                path.to_string()
            } else {
                format!("{path}/")
            }
        }
        None => "/".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_roots_by_depth() {
        assert_eq!(root_from(""), "./");
        assert_eq!(root_from("incidents/"), "../");
        assert_eq!(root_from("incidents/x/"), "../../");
        assert_eq!(root_from("tags/dns/page/2/"), "../../../../");
    }

    #[test]
    fn base_paths() {
        assert_eq!(base_path("https://incidents.example.com/"), "/");
        assert_eq!(base_path("https://example.com/kb"), "/kb/");
        assert_eq!(base_path(""), "/");
    }

    #[test]
    fn files_are_percent_encoded_per_segment() {
        assert_eq!(file("2024/latency graph.png"), "files/2024/latency%20graph.png");
    }

    #[test]
    fn pagination_paths() {
        assert_eq!(page("incidents/", 0), "incidents/");
        assert_eq!(page("incidents/", 1), "incidents/page/1/");
        assert_eq!(page("incidents/", 3), "incidents/page/3/");
    }
}
