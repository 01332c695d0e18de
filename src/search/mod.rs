//! Full-text search over the published postmortems, with tantivy.
//!
//! The build indexes every postmortem of its site (never a draft or one outside the
//! audience: it indexes `Site::postmortems`, nothing else) into one segment whose document
//! ids are the site's order, newest first. `pmsite search` queries that index; the
//! incident pages list similar incidents found with it.
//!
//! The index lives beside the output folder (`public` -> `.public.search-index`), never in
//! it: it holds full texts that the site does not need to publish.

pub mod export;
mod index;
mod print;
mod query;
mod similar;
pub mod stem;

use std::path::{Path, PathBuf};

use tantivy::schema::{
    FAST, FacetOptions, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions,
};

pub use index::{Built, DocSections, IndexError, build_index};
pub use print::{print_human, print_json};
pub use query::{Filters, Hit, Order, SearchError, Searcher, Snippet};
pub use similar::similar_incidents;

/// Where the search index of a build writing to `output` lives.
pub fn index_dir(output: &Path) -> PathBuf {
    crate::output::sibling(output, "search-index")
}

/// The text fields a query searches, with their boosts: a word in the title says more about
/// an incident than the same word in its timeline.
pub const TEXT_FIELDS: &[(&str, f32)] = &[
    ("title", 3.0),
    ("summary", 2.0),
    ("causes", 1.5),
    ("labels", 1.5),
    ("body", 1.0),
    ("timeline", 1.0),
    ("actions", 1.0),
];

/// The fields of the index, resolved once.
#[derive(Clone, Copy, Debug)]
pub struct Fields {
    pub id: Field,
    pub title: Field,
    pub summary: Field,
    /// Root causes, contributing factors and the trigger.
    pub causes: Field,
    /// Services, teams, tags and severity, as words.
    pub labels: Field,
    pub body: Field,
    pub timeline: Field,
    pub actions: Field,
    /// `/service/checkout-api`, `/severity/SEV1`, ...: exact filters.
    pub facets: Field,
    /// Start of impact, seconds since 1970 (negative before): sort by date, `--since`.
    pub started: Field,
    /// JSON of what a result shows (title, severity, date, url, sections, ...).
    pub meta: Field,
}

impl Fields {
    pub fn schema() -> (Schema, Fields) {
        let mut b = Schema::builder();
        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(stem::NAME)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let fields = Fields {
            id: b.add_text_field("id", STRING | STORED),
            title: b.add_text_field("title", text.clone()),
            summary: b.add_text_field("summary", text.clone()),
            causes: b.add_text_field("causes", text.clone()),
            labels: b.add_text_field("labels", text.clone()),
            body: b.add_text_field("body", text.clone()),
            timeline: b.add_text_field("timeline", text.clone()),
            actions: b.add_text_field("actions", text),
            facets: b.add_facet_field("facets", FacetOptions::default()),
            started: b.add_i64_field("started", INDEXED | FAST),
            meta: b.add_text_field("meta", STORED),
        };
        (b.build(), fields)
    }

    pub fn from_schema(schema: &Schema) -> tantivy::Result<Fields> {
        let get = |name: &str| schema.get_field(name);
        Ok(Fields {
            id: get("id")?,
            title: get("title")?,
            summary: get("summary")?,
            causes: get("causes")?,
            labels: get("labels")?,
            body: get("body")?,
            timeline: get("timeline")?,
            actions: get("actions")?,
            facets: get("facets")?,
            started: get("started")?,
            meta: get("meta")?,
        })
    }

    pub fn text_fields(&self) -> Vec<(Field, f32)> {
        let by_name = |name: &str| match name {
            "title" => self.title,
            "summary" => self.summary,
            "causes" => self.causes,
            "labels" => self.labels,
            "body" => self.body,
            "timeline" => self.timeline,
            _ => self.actions,
        };
        TEXT_FIELDS
            .iter()
            .map(|(name, boost)| (by_name(name), *boost))
            .collect()
    }
}
