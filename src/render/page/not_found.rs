//! The 404 page. A host serves it at any unknown URL, so its links cannot be relative:
//! they start from the path of `base_url`.

use serde::Serialize;

use super::Common;
use crate::render::{Emit, RenderError, Renderer};
use crate::site::url;

#[derive(Serialize)]
struct Context<'a> {
    #[serde(flatten)]
    common: Common<'a>,
}

pub fn render<E: Emit>(r: &Renderer<'_>, out: &E) -> Result<E::Out, RenderError> {
    let mut common = Common::new(r, url::HOME, "Page not found".into());
    common.root = url::base_path(&r.model.site.config.base_url);
    common.canonical = None;
    out.emit("404.html", &Context { common })
}
