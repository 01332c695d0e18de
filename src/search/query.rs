//! Answering a query from a built index: what `pmsite search` runs.

use std::ops::Bound;
use std::path::Path;

use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, Occur, Query, QueryParser, RangeQuery, TermQuery,
};
use tantivy::schema::{Facet, IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, Index, IndexReader, Order as TantivyOrder, TantivyDocument, Term};

use super::Fields;
use super::index::Meta;
use crate::site::{TaxonomyKind, term_slug};

#[derive(Debug)]
pub enum SearchError {
    NoIndex,
    Tantivy(tantivy::TantivyError),
}

impl std::fmt::Display for SearchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SearchError::NoIndex => write!(f, "no search index"),
            SearchError::Tantivy(e) => write!(f, "search index: {e}"),
        }
    }
}

impl From<tantivy::TantivyError> for SearchError {
    fn from(e: tantivy::TantivyError) -> Self {
        SearchError::Tantivy(e)
    }
}

/// Exact filters; values are matched the way taxonomy pages group them (case and
/// punctuation do not matter).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Filters {
    pub services: Vec<String>,
    pub teams: Vec<String>,
    pub severities: Vec<String>,
    pub root_causes: Vec<String>,
    pub tags: Vec<String>,
    pub years: Vec<String>,
    /// Seconds since 1970: only incidents that started at or after.
    #[serde(skip)]
    pub since: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    Relevance,
    Date,
}

#[derive(Clone, Debug, Serialize)]
pub struct Hit {
    pub id: String,
    pub title: String,
    pub url: String,
    pub severity: String,
    pub date: String,
    /// BM25 as tantivy computes it; 0 when the query is empty or sorted by date.
    pub score: f32,
    pub summary: String,
    pub services: Vec<String>,
    pub teams: Vec<String>,
    pub root_causes: Vec<String>,
    pub tags: Vec<String>,
    pub snippet: Option<Snippet>,
}

/// The best passage for the query, in the section it comes from.
#[derive(Clone, Debug, Serialize)]
pub struct Snippet {
    /// Anchor of the section on the incident page (empty: the top of the body).
    pub section: String,
    pub section_title: String,
    pub text: String,
    /// Byte ranges of `text` to highlight.
    pub highlights: Vec<(usize, usize)>,
}

pub struct Searcher {
    index: Index,
    reader: IndexReader,
    fields: Fields,
}

impl Searcher {
    pub fn open(dir: &Path) -> Result<Searcher, SearchError> {
        if !dir.join("meta.json").is_file() {
            return Err(SearchError::NoIndex);
        }
        let index = Index::open_in_dir(dir)?;
        Ok(Searcher::new(index)?)
    }

    pub fn new(index: Index) -> tantivy::Result<Searcher> {
        let fields = Fields::from_schema(&index.schema())?;
        let reader = index.reader()?;
        Ok(Searcher {
            index,
            reader,
            fields,
        })
    }

    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// The query as tantivy runs it: every word must match (in any field), `"quoted
    /// phrases"` match as phrases, fields are boosted as in [`super::TEXT_FIELDS`].
    pub fn parse(&self, text: &str) -> Box<dyn Query> {
        let mut parser = QueryParser::for_index(
            &self.index,
            self.fields.text_fields().iter().map(|f| f.0).collect(),
        );
        parser.set_conjunction_by_default();
        for (field, boost) in self.fields.text_fields() {
            parser.set_field_boost(field, boost);
        }
        // Lenient: a terminal user's unbalanced quote still searches.
        parser.parse_query_lenient(&plain_words(text)).0
    }

    pub fn search(
        &self,
        text: &str,
        filters: &Filters,
        order: Order,
        limit: usize,
    ) -> Result<(usize, Vec<Hit>), SearchError> {
        let searcher = self.reader.searcher();
        let has_text = !text.trim().is_empty();
        let text_query: Box<dyn Query> = if has_text {
            self.parse(text)
        } else {
            Box::new(AllQuery)
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text_query.box_clone())];
        for (kind, values) in [
            (TaxonomyKind::Service.key(), &filters.services),
            (TaxonomyKind::Team.key(), &filters.teams),
            (TaxonomyKind::Severity.key(), &filters.severities),
            (TaxonomyKind::RootCause.key(), &filters.root_causes),
            (TaxonomyKind::Tag.key(), &filters.tags),
            (TaxonomyKind::Year.key(), &filters.years),
        ] {
            for value in values {
                let term = Term::from_facet(self.fields.facets, &Facet::from_path([kind, &term_slug(value)]));
                clauses.push(filter(TermQuery::new(term, IndexRecordOption::Basic)));
            }
        }
        if let Some(since) = filters.since {
            let from = Term::from_field_i64(self.fields.started, since);
            clauses.push(filter(RangeQuery::new(Bound::Included(from), Bound::Unbounded)));
        }
        let query = BooleanQuery::new(clauses);
        // One pass counts the matches and keeps the best.
        let (total, addresses): (usize, Vec<(f32, DocAddress)>) = if order == Order::Date || !has_text {
            let newest =
                TopDocs::with_limit(limit.max(1)).order_by_fast_field::<i64>("started", TantivyOrder::Desc);
            let (total, top) = searcher.search(&query, &(Count, newest))?;
            (total, top.into_iter().map(|(_, a)| (0.0, a)).collect())
        } else {
            searcher.search(
                &query,
                &(Count, TopDocs::with_limit(limit.max(1)).order_by_score()),
            )?
        };
        let snippets = if has_text {
            Some(SnippetGenerator::create(
                &searcher,
                &*text_query,
                self.fields.body,
            )?)
        } else {
            None
        };
        let mut hits = Vec::with_capacity(addresses.len());
        for (score, address) in addresses.into_iter().take(limit) {
            let doc: TantivyDocument = searcher.doc(address)?;
            let meta: Meta = doc
                .get_first(self.fields.meta)
                .and_then(|v| v.as_str())
                .and_then(|s| serde_json::from_str(s).ok())
                .ok_or_else(|| tantivy::TantivyError::InvalidArgument("document without metadata".into()))?;
            let snippet = snippets.as_ref().and_then(|g| best_snippet(g, &meta));
            hits.push(Hit {
                id: meta.id,
                title: meta.title,
                url: meta.url,
                severity: meta.severity,
                date: meta.date,
                score,
                summary: meta.summary,
                services: meta.services,
                teams: meta.teams,
                root_causes: meta.root_causes,
                tags: meta.tags,
                snippet,
            });
        }
        Ok((total, hits))
    }
}

/// The query language is words and "quoted phrases", as in the browser. Outside quotes,
/// everything but letters and digits separates words: `checkout-api` is two words that
/// must both match (tantivy's parser would make it a phrase, and `-x`, `a:b` or `(` into
/// operators), so a query means the same here and in the browser client.
fn plain_words(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut quoted = false;
    // A quote with no closing one (a phrase still being typed) opens no phrase: its words
    // are words, as in the browser.
    let unclosed = text.rfind('"').filter(|_| text.matches('"').count() % 2 == 1);
    for (at, c) in text.char_indices() {
        if Some(at) == unclosed {
            out.push(' ');
        } else if c == '"' {
            // A phrase stands apart from the words around it (`p"a b"t` is `p`, the
            // phrase, `t`): tantivy's parser would read a quote inside a word as part of it,
            // and what follows as operators (`p"a l: *"` failed with "no field `l`").
            quoted = !quoted;
            out.push_str(if quoted { " \"" } else { "\" " });
        } else if c.is_alphanumeric() {
            out.push(c);
        } else {
            // Inside a phrase too: its words are its letters and digits, as indexed.
            out.push(' ');
        }
    }
    out
}

/// A clause that narrows the results without adding to their score, so that filtering
/// never reorders what the text query ranked.
fn filter(query: impl Query + 'static) -> (Occur, Box<dyn Query>) {
    (Occur::Must, Box::new(ConstScoreQuery::new(Box::new(query), 0.0)))
}

/// The section whose best passage highlights the most query words; the earliest wins ties.
fn best_snippet(generator: &SnippetGenerator, meta: &Meta) -> Option<Snippet> {
    let mut best: Option<Snippet> = None;
    for section in &meta.sections {
        let snippet = generator.snippet(&section.text);
        let highlights: Vec<(usize, usize)> =
            snippet.highlighted().iter().map(|r| (r.start, r.end)).collect();
        if highlights.is_empty() {
            continue;
        }
        if best
            .as_ref()
            .is_none_or(|b| highlights.len() > b.highlights.len())
        {
            best = Some(Snippet {
                section: section.id.clone(),
                section_title: section.title.clone(),
                text: snippet.fragment().to_string(),
                highlights,
            });
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_words_and_phrases_reach_the_parser() {
        assert_eq!(plain_words("checkout-api"), "checkout api");
        assert_eq!(plain_words("-lock title:x (a)"), " lock title x  a ");
        assert_eq!(plain_words("\"expired-cert\" x509"), " \"expired cert\"  x509");
        assert_eq!(plain_words("x509 \"expired cert"), "x509  expired cert");
        assert_eq!(plain_words("\"a b\" \"c"), " \"a b\"   c");
        assert_eq!(plain_words("p\"a l: *\"t"), "p \"a l   \" t");
    }
}
