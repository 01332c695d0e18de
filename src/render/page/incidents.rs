//! All incidents, newest first, a page at a time; [`List`] is also the incident list of a
//! term page. Reads the site's postmortems as list rows.

use serde::Serialize;

use super::Common;
use crate::render::pager::{self, Pager};
use crate::render::rows::Item;
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
    items: Vec<&'a Item>,
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

impl<'a> List<'a> {
    /// Page `page` of `members` (site indices), a list whose first page is at `base`.
    pub fn new(r: &'a Renderer<'_>, base: &str, members: &[usize], page: usize) -> List<'a> {
        let items: Vec<&Item> = r
            .paginator
            .slice(members, page)
            .iter()
            .map(|&i| &r.items()[i])
            .collect();
        let first = page == pager::FIRST;
        let span = match (first, items.first(), items.last()) {
            (false, Some(newest), Some(oldest)) => Some(Span {
                oldest: &oldest.date,
                newest: &newest.date,
            }),
            _ => None,
        };
        List {
            items,
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
