//! The search page: a form and the browser client, which loads the index under `search/`.
//! Reads nothing of the model beyond what every page shows.

use serde::Serialize;

use super::Common;
use crate::render::{Emit, RenderError, Renderer};

#[derive(Serialize)]
struct Context<'a> {
    #[serde(flatten)]
    common: Common<'a>,
}

pub fn render<E: Emit>(r: &Renderer<'_>, out: &E, path: &str) -> Result<E::Out, RenderError> {
    let context = Context {
        common: Common::new(r, path, "Search incidents".into()),
    };
    out.emit("search.html", &context)
}
