//! Atom feeds (RFC 4287) and sitemap.xml: the only outputs with absolute URLs, so they
//! exist only when `base_url` is set.
//!
//! Both are written by hand rather than through a feed crate: they use a dozen fixed
//! elements, every text goes through [`xml_text`], and writing them here keeps the output
//! byte-stable (no clock, sorted input) with no dependency tree. The tests parse them.
//!
//! Timestamps come from the postmortems, never from the clock: an entry's `updated` is its
//! latest incident timestamp (a plain date counts as midnight UTC), a feed's is its newest
//! entry's, or the build date for a feed with no entries.

use std::fmt::Write;

use chrono::NaiveDate;

use crate::content::Postmortem;
use crate::content::moment::Moment;
use crate::site::{Site, TaxonomyKind, url};

/// Entries per feed: the newest ones. Readers poll often; the archive has every page.
pub const FEED_ENTRIES: usize = 50;

pub struct Feed {
    /// Site path of the page the feed follows (`""`, `services/dns/`).
    pub page: String,
    pub title: String,
    /// Postmortem indices, newest first.
    pub members: Vec<usize>,
}

/// The site feed and one per service, tag and root cause.
pub fn feeds(site: &Site<'_>) -> Vec<Feed> {
    let all: Vec<usize> = (0..site.postmortems.len()).collect();
    let mut feeds = vec![Feed {
        page: String::new(),
        title: site.config.title.clone(),
        members: all,
    }];
    for kind in [TaxonomyKind::Service, TaxonomyKind::Tag, TaxonomyKind::RootCause] {
        let taxonomy = site.taxonomy(kind);
        for term in &taxonomy.terms {
            feeds.push(Feed {
                page: url::term(kind, &term.slug),
                title: format!("{}: {} · {}", kind.singular(), term.name, site.config.title),
                members: term.members.clone(),
            });
        }
    }
    feeds
}

/// Kinds whose term pages have a feed.
pub fn has_feed(kind: TaxonomyKind) -> bool {
    matches!(
        kind,
        TaxonomyKind::Service | TaxonomyKind::Tag | TaxonomyKind::RootCause
    )
}

pub fn atom(site: &Site<'_>, feed: &Feed) -> String {
    let base = &site.config.base_url;
    let entries: Vec<&Postmortem> = feed
        .members
        .iter()
        .take(FEED_ENTRIES)
        .map(|&i| site.postmortems[i])
        .collect();
    let feed_updated = entries
        .iter()
        .map(|pm| updated(pm))
        .max_by_key(|m| m.sort_key())
        .map_or_else(|| day_start(site.selection.today), |m| timestamp(&m));
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    let self_url = format!("{base}{}", url::feed(&feed.page));
    let _ = writeln!(out, "  <id>{}</id>", xml_text(&self_url));
    let _ = writeln!(out, "  <title>{}</title>", xml_text(&feed.title));
    if let Some(description) = &site.config.description {
        let _ = writeln!(out, "  <subtitle>{}</subtitle>", xml_text(description));
    }
    let _ = writeln!(out, "  <updated>{feed_updated}</updated>");
    let _ = writeln!(
        out,
        "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>",
        xml_text(&self_url)
    );
    let _ = writeln!(
        out,
        "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
        xml_text(&format!("{base}{}", feed.page))
    );
    // Atom requires an author for every entry; the site stands in for postmortems
    // without `authors`.
    let _ = writeln!(
        out,
        "  <author><name>{}</name></author>",
        xml_text(&site.config.title)
    );
    let _ = writeln!(
        out,
        "  <generator version=\"{}\">pmsite</generator>",
        env!("CARGO_PKG_VERSION")
    );
    for pm in entries {
        let page = format!("{base}{}", url::incident(&pm.id));
        out.push_str("  <entry>\n");
        let _ = writeln!(out, "    <id>{}</id>", xml_text(&page));
        let _ = writeln!(out, "    <title>{}</title>", xml_text(&pm.title));
        let _ = writeln!(
            out,
            "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
            xml_text(&page)
        );
        let _ = writeln!(out, "    <published>{}</published>", timestamp(&pm.started_at));
        let _ = writeln!(out, "    <updated>{}</updated>", timestamp(&updated(pm)));
        for author in &pm.authors {
            let _ = writeln!(out, "    <author><name>{}</name></author>", xml_text(author));
        }
        // The scheme names the taxonomy, so a reader can tell a service from a tag.
        let categories = std::iter::once((TaxonomyKind::Severity, &pm.severity))
            .chain(pm.services.iter().map(|s| (TaxonomyKind::Service, s)))
            .chain(pm.root_causes.iter().map(|s| (TaxonomyKind::RootCause, s)))
            .chain(pm.tags.iter().map(|s| (TaxonomyKind::Tag, s)));
        for (kind, value) in categories {
            let _ = writeln!(
                out,
                "    <category term=\"{}\" scheme=\"{}\" label=\"{}: {}\"/>",
                xml_text(value),
                xml_text(&format!("{base}{}", url::taxonomy(kind))),
                kind.singular(),
                xml_text(value)
            );
        }
        let _ = writeln!(out, "    <summary>{}</summary>", xml_text(&pm.summary));
        out.push_str("  </entry>\n");
    }
    out.push_str("</feed>\n");
    out
}

/// sitemap.xml for the given page paths (sorted, so the file is stable).
pub fn sitemap(base_url: &str, pages: &[String]) -> String {
    let mut pages: Vec<&String> = pages.iter().collect();
    pages.sort();
    pages.dedup();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str("<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    for page in pages {
        let _ = writeln!(
            out,
            "  <url><loc>{}</loc></url>",
            xml_text(&format!("{base_url}{page}"))
        );
    }
    out.push_str("</urlset>\n");
    out
}

/// The latest timestamp an incident has.
fn updated(pm: &Postmortem) -> Moment {
    [pm.detected_at, pm.mitigated_at, pm.resolved_at]
        .into_iter()
        .flatten()
        .fold(pm.started_at, |latest, m| {
            if m.sort_key() > latest.sort_key() {
                m
            } else {
                latest
            }
        })
}

/// RFC 3339 as Atom wants it: a plain date becomes midnight UTC.
fn timestamp(moment: &Moment) -> String {
    match moment {
        Moment::At(_) => moment.machine(),
        Moment::Day(day) => day_start(*day),
    }
}

fn day_start(day: NaiveDate) -> String {
    format!("{}T00:00:00Z", day.format("%Y-%m-%d"))
}

/// Text or attribute content for XML: the five entities, and the control characters XML
/// 1.0 forbids dropped (front matter may contain them; a feed reader would reject the file).
pub fn xml_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_text_escapes_and_drops_forbidden_characters() {
        assert_eq!(
            xml_text("a < b & \"c\" 'd'\u{1}\u{b}"),
            "a &lt; b &amp; &quot;c&quot; &apos;d&apos;"
        );
        assert!(roxmltree::Document::parse(&format!("<t>{}</t>", xml_text("x\u{0}y]]>"))).is_ok());
    }

    #[test]
    fn sitemaps_are_sorted_and_absolute() {
        let xml = sitemap(
            "https://x.example/kb/",
            &["tags/".into(), String::new(), "tags/".into()],
        );
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let locs: Vec<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name("loc"))
            .filter_map(|n| n.text())
            .collect();
        assert_eq!(locs, ["https://x.example/kb/", "https://x.example/kb/tags/"]);
    }
}
