//! Full-text search over the published postmortems, with tantivy.
//!
//! The build indexes every postmortem of its site (never a draft or one outside the
//! audience: it indexes `Site::postmortems`, nothing else) into segments whose document
//! ids, segment after segment, are the site's order, newest first. The index is staged
//! and put in place with the site it describes (`output::Staging::companion`). `pmsite search` queries that index; the
//! incident pages list similar incidents found with it.
//!
//! The index lives beside the output folder (`public` -> `.public.search-index`), never in
//! it: it holds full texts that the site does not need to publish.

pub mod export;
mod index;
pub mod owner;
mod print;
mod query;
mod similar;
pub mod stem;

use std::path::{Path, PathBuf};

use tantivy::schema::{
    FAST, FacetOptions, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions,
};

pub use index::{Built, IndexError, Parts, Reuse, Vocabulary, build_index, replace_index};
pub use owner::Owner;
pub use print::{notes, print_human, print_json, print_json_error};
pub use query::{
    Expansion, Filters, Found, Hit, Match, Order, SearchError, Searcher, Snippet, UnknownFilter,
};
pub use similar::{rank, similar_incidents};

/// Per segment of the index, given their sizes (`max_doc`) in the order the index lists
/// them, the site index of its first document: the build lists the segments in site order
/// (see `index::build_index`), so document `d` of segment `s` is the site's postmortem
/// `bases[s] + d`.
pub fn segment_bases(sizes: impl IntoIterator<Item = u32>) -> Vec<u32> {
    sizes
        .into_iter()
        .scan(0, |base, size| {
            let start = *base;
            *base += size;
            Some(start)
        })
        .collect()
}

/// What the search documents of `postmortems` (in this order) are made of: each one's id
/// and file (`Source::digest`), with `salt`. A postmortem is a function of its file (and
/// of pmsite.toml, which a preview never outlives), so equal digests, equal documents.
pub fn documents_digest<'a>(
    postmortems: impl Iterator<Item = &'a crate::content::Postmortem>,
    salt: &[u8],
) -> u64 {
    use std::hash::Hasher;
    let mut hasher = rustc_hash::FxHasher::default();
    hasher.write(salt);
    for pm in postmortems {
        hasher.write(pm.id.as_bytes());
        hasher.write_u8(0xff);
        hasher.write_u64(pm.source.digest);
    }
    hasher.finish()
}

/// The search index of a build writing to `output` is its [`crate::output::sibling`] of
/// this name.
pub const INDEX: &str = "search-index";

/// Where the search index of a build writing to `output` lives.
pub fn index_dir(output: &Path) -> PathBuf {
    crate::output::sibling(output, INDEX)
}

/// A text field a query searches.
pub struct TextField {
    pub name: &'static str,
    /// A word in the title says more about an incident than the same word in its timeline.
    pub boost: f32,
    /// Whether the field's length counts (BM25's length normalisation). Only for the
    /// fields whose length varies a lot: titles and summaries are a line or two, and labels
    /// are names (an incident that lists four services is not less about each of them, as
    /// keyword fields have no norms in Elasticsearch). The browser export needs no
    /// per-document lengths for a field without norms, which keeps queries small.
    pub norms: bool,
}

/// The text fields, in the order the export numbers them. Few fields on purpose: a term's
/// postings are written once per field it occurs in, and the browser downloads all of them
/// for a query.
pub const TEXT_FIELDS: &[TextField] = &[
    TextField {
        name: "title",
        boost: 3.0,
        norms: false,
    },
    TextField {
        name: "summary",
        boost: 2.0,
        norms: false,
    },
    TextField {
        name: "causes",
        boost: 1.5,
        norms: true,
    },
    TextField {
        name: "labels",
        boost: 1.5,
        norms: false,
    },
    TextField {
        name: "body",
        boost: 1.0,
        norms: true,
    },
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
    /// The Markdown body, then the timeline (and how it was detected) and the action items:
    /// the rest of what the incident page says.
    pub body: Field,
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
        let mut text = |name: &str| {
            let norms = TEXT_FIELDS
                .iter()
                .find(|f| f.name == name)
                .is_none_or(|f| f.norms);
            let options = TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(stem::NAME)
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions)
                    .set_fieldnorms(norms),
            );
            b.add_text_field(name, options)
        };
        let (title, summary, causes, labels, body) = (
            text("title"),
            text("summary"),
            text("causes"),
            text("labels"),
            text("body"),
        );
        let fields = Fields {
            id: b.add_text_field("id", STRING | STORED),
            title,
            summary,
            causes,
            labels,
            body,
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
            _ => self.body,
        };
        TEXT_FIELDS.iter().map(|f| (by_name(f.name), f.boost)).collect()
    }
}
