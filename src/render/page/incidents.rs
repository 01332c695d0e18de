//! All incidents, newest first, a page at a time; [`List`] is also the incident list of a
//! term page. Reads the site's postmortems as list rows.

use serde::Serialize;

use super::Common;
use crate::render::pager::Pager;
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
    /// Incidents in the whole list.
    count: usize,
    pager: Pager,
}

impl<'a> List<'a> {
    /// Page `page` of `members` (site indices), a list whose first page is at `base`.
    pub fn new(r: &'a Renderer<'_>, base: &str, members: &[usize], page: usize) -> List<'a> {
        List {
            items: r
                .paginator
                .slice(members, page)
                .iter()
                .map(|&i| &r.items[i])
                .collect(),
            count: members.len(),
            pager: r.paginator.pager(base, page, members.len()),
        }
    }
}

pub fn render<E: Emit>(r: &Renderer<'_>, out: &E, path: &str, page: usize) -> Result<E::Out, RenderError> {
    let all: Vec<usize> = (0..r.items.len()).collect();
    let context = Context {
        common: Common::new(r, path, "All incidents".into()),
        list: List::new(r, &r.path(Page::Incidents { page: 1 }), &all, page),
    };
    out.emit("incidents.html", &context)
}
