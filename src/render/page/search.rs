//! The search page: a form and the browser client, which loads the index under `search/`.
//! Reads nothing of the model beyond what every page shows.

use serde::Serialize;

use super::Common;
use crate::render::{RenderError, Renderer};

#[derive(Serialize)]
struct Context<'a> {
    #[serde(flatten)]
    common: Common<'a>,
}

pub fn render(r: &Renderer<'_>, path: &str) -> Result<String, RenderError> {
    let context = Context {
        common: Common::new(r, path, "Search incidents".into()),
    };
    r.render("search.html", &context)
}
