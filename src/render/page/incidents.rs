//! All incidents, newest first, a page at a time; [`List`] is also the incident list of a
//! term page. Reads the site's postmortems as list rows.

use serde::Serialize;

use super::Common;
use crate::render::pager::{self, Pager};
use crate::render::{Emit, Page, RenderError, Renderer};

#[derive(Serialize)]
struct Context<'a> {
    #[serde(flatten)]
    common: Common<'a>,
    #[serde(flatten)]
    list: List<'a>,
}

/// One page of a list of incidents.
#[derive(Serialize)]
pub struct List<'a> {
    items: PageItems<'a>,
    /// Incidents in the whole list: on the first page only, as a numbered page must not
    /// change when the list grows.
    count: Option<usize>,
    /// On a numbered page: the dates of its oldest and newest incidents, which say where in
    /// the list it is.
    span: Option<Span<'a>>,
    pager: Pager,
}

#[derive(Serialize)]
struct Span<'a> {
    oldest: &'a str,
    newest: &'a str,
}

/// A page's rows (site indices). A template is given each row; a fingerprint, which
/// serializes into a binary form (not human-readable), each row's digest
/// (`Renderer::item_digests`), which says the same in 8 bytes: after a front-matter edit,
/// when every list page is fingerprinted again, that is a lookup per row instead of a
/// row's serialization.
struct PageItems<'a> {
    renderer: &'a Renderer<'a>,
    indices: &'a [usize],
}

impl Serialize for PageItems<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            let items = self.renderer.items();
            serializer.collect_seq(self.indices.iter().map(|&i| &items[i]))
        } else {
            let digests = self.renderer.item_digests();
            serializer.collect_seq(self.indices.iter().map(|&i| digests[i]))
        }
    }
}

impl<'a> List<'a> {
    /// Page `page` of `members` (site indices), a list whose first page is at `base`.
    pub fn new(r: &'a Renderer<'a>, base: &str, members: &'a [usize], page: usize) -> List<'a> {
        let indices = r.paginator.slice(members, page);
        let items = r.items();
        let first = page == pager::FIRST;
        let span = match (first, indices.first(), indices.last()) {
            (false, Some(&newest), Some(&oldest)) => Some(Span {
                oldest: &items[oldest].date,
                newest: &items[newest].date,
            }),
            _ => None,
        };
        List {
            items: PageItems { renderer: r, indices },
            count: first.then_some(members.len()),
            span,
            pager: r.paginator.pager(base, page, members.len()),
        }
    }
}

pub fn render<E: Emit>(r: &Renderer<'_>, out: &E, path: &str, page: usize) -> Result<E::Out, RenderError> {
    let all: Vec<usize> = (0..r.items().len()).collect();
    let context = Context {
        common: Common::new(r, path, "All incidents".into()),
        list: List::new(r, &r.path(Page::Incidents { page: pager::FIRST }), &all, page),
    };
    out.emit("incidents.html", &context)
}
