//! A postmortem body -> HTML: links to other postmortems become links to their pages (or
//! plain text when that postmortem is not in this build), headings get the anchor ids the
//! loader allocated, and raw HTML is sanitized so no script from content runs.

use std::hash::Hasher;
use std::sync::OnceLock;

use pulldown_cmark::{CowStr, Event, Parser, Tag, TagEnd, html};

use crate::content::Postmortem;
use crate::content::links::{self, Target};
use crate::content::markdown::options;
use crate::site::{Site, url};

/// Renders `pm`'s body for a page whose root prefix is `root`.
pub fn body_html(pm: &Postmortem, site: &Site<'_>, root: &str) -> String {
    let mut headings = pm.source.outline.headings.iter();
    let mut link_open_as_text: Vec<bool> = Vec::new();
    let mut has_raw_html = false;
    let body = pm.source.body.text();
    let events = Parser::new_ext(&body, options()).map(|event| match event {
        Event::Start(Tag::Heading { level, .. }) => {
            let id = headings.next().map_or(String::new(), |h| h.id.clone());
            Event::Html(CowStr::from(format!(
                "<{level} id=\"{}\">",
                super::escape_html(&id)
            )))
        }
        Event::End(TagEnd::Heading(level)) => Event::Html(CowStr::from(format!("</{level}>"))),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => match rewrite(pm, site, root, &dest_url) {
            Some(dest) => {
                link_open_as_text.push(false);
                Event::Start(Tag::Link {
                    link_type,
                    dest_url: CowStr::from(dest),
                    title,
                    id,
                })
            }
            None => {
                link_open_as_text.push(true);
                Event::Html(CowStr::Borrowed(
                    "<span class=\"pm-unavailable\" title=\"Not published in this edition\">",
                ))
            }
        },
        Event::End(TagEnd::Link) => {
            if link_open_as_text.pop() == Some(true) {
                Event::Html(CowStr::Borrowed("</span>"))
            } else {
                Event::End(TagEnd::Link)
            }
        }
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Image {
            link_type,
            dest_url: CowStr::from(rewrite(pm, site, root, &dest_url).unwrap_or_default()),
            title,
            id,
        }),
        Event::Html(raw) => {
            has_raw_html = true;
            Event::Html(raw)
        }
        Event::InlineHtml(raw) => {
            has_raw_html = true;
            Event::InlineHtml(raw)
        }
        other => other,
    });
    let mut out = String::with_capacity(body.len() * 3 / 2);
    html::push_html(&mut out, events);
    // Markdown alone cannot produce markup that runs code (link URLs are checked by
    // `rewrite`), so only bodies with raw HTML pay for a full sanitizing pass.
    // Code blocks scroll sideways; keyboard users need to be able to focus them to scroll.
    let out = out.replace("<pre><code", "<pre tabindex=\"0\"><code");
    if has_raw_html {
        sanitizer().clean(&out).to_string()
    } else {
        out
    }
}

/// A hash of everything [`body_html`] reads: the body (through its file's digest: a body a
/// preview keeps packed is not unpacked to fingerprint its page), where its links lead on a
/// page at `root`, its headings' ids. Equal hashes, equal HTML.
pub fn body_inputs(pm: &Postmortem, site: &Site<'_>, root: &str) -> u64 {
    let mut hasher = rustc_hash::FxHasher::default();
    hasher.write_u64(pm.source.digest);
    hasher.write(root.as_bytes());
    for link in &pm.source.outline.links {
        hasher.write(
            rewrite(pm, site, root, &link.destination)
                .unwrap_or_default()
                .as_bytes(),
        );
        hasher.write_u8(0);
    }
    for heading in &pm.source.outline.headings {
        hasher.write(heading.id.as_bytes());
        hasher.write_u8(0);
    }
    hasher.finish()
}

/// The URL a body link gets on the page, or `None` when its target is not published in
/// this build (then the link text stays, without a link).
fn rewrite(pm: &Postmortem, site: &Site<'_>, root: &str, destination: &str) -> Option<String> {
    if links::is_dangerous(destination) {
        return None;
    }
    match links::resolve(&pm.source.key, destination) {
        Target::External | Target::SamePage { .. } => Some(destination.to_string()),
        Target::Postmortem { key, fragment } => {
            let target = site.postmortems[site.index_of_key(&key)?];
            let fragment = fragment.map_or(String::new(), |f| format!("#{f}"));
            Some(format!("{root}{}{fragment}", url::incident(&target.id)))
        }
        Target::File { key } => site
            .files
            .contains(&key)
            .then(|| format!("{root}{}", url::file(&key))),
        Target::OutsideContent => None,
    }
}

fn sanitizer() -> &'static ammonia::Builder<'static> {
    static SANITIZER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    SANITIZER.get_or_init(|| {
        let mut b = ammonia::Builder::default();
        b.add_generic_attributes(["id", "class", "aria-label", "aria-hidden"])
            .add_tag_attributes("pre", ["tabindex"])
            .add_tags(["input"])
            .add_tag_attributes("input", ["type", "checked", "disabled"])
            .add_tag_attributes("th", ["style"])
            .add_tag_attributes("td", ["style"])
            .filter_style_properties(["text-align"].into_iter().collect())
            .link_rel(Some("noopener noreferrer"));
        b
    })
}
