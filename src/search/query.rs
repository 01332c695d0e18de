//! Answering a query from a built index: what `pmsite search` runs.
//!
//! The query language and how its words are read are shared with the browser client
//! (`themes/default/static/search.js`), which reads the same words from the export's word
//! files: the parity tests (tests/js/parity.mjs) hold the two to the same results.

use std::ops::Bound;
use std::path::Path;

use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, DisjunctionMaxQuery, EmptyQuery, Occur, PhraseQuery,
    Query, RangeQuery, TermQuery,
};
use tantivy::schema::{Facet, Field, IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, Index, IndexReader, Order as TantivyOrder, TantivyDocument, Term};

use super::Fields;
use super::index::{Meta, Vocabulary};
use crate::diagnostic::did_you_mean;
use crate::site::{TaxonomyKind, term_slug};

#[derive(Debug)]
pub enum SearchError {
    NoIndex,
    /// An index from before [`Vocabulary::FILE`].
    OlderIndex,
    Tantivy(tantivy::TantivyError),
    /// A filter value no published incident has: a typo would otherwise read as "no
    /// history here".
    UnknownFilter(UnknownFilter),
}

#[derive(Clone, Debug, Serialize)]
pub struct UnknownFilter {
    /// The option, as typed on the command line: `--service`.
    pub option: &'static str,
    pub value: String,
    /// The nearest value the archive has, if one is near.
    pub did_you_mean: Option<String>,
    /// Every value the archive has for this filter, in name order.
    pub known: Vec<String>,
}

impl UnknownFilter {
    pub fn hint(&self) -> String {
        match &self.did_you_mean {
            Some(near) => format!("did you mean `{} {near}`?", self.option),
            None if self.known.is_empty() => {
                format!("no published incident has a value for {}", self.option)
            }
            None => {
                let shown: Vec<&str> = self.known.iter().take(8).map(String::as_str).collect();
                let more = match self.known.len() - shown.len() {
                    0 => String::new(),
                    n => format!(" and {n} more"),
                };
                format!("the archive has {}{more}", shown.join(", "))
            }
        }
    }
}

impl std::fmt::Display for SearchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SearchError::NoIndex => write!(f, "no search index"),
            SearchError::OlderIndex => write!(
                f,
                "it was made by an older pmsite (it has no {}): `pmsite build` makes it again",
                Vocabulary::FILE
            ),
            SearchError::Tantivy(e) => write!(f, "search index: {e}"),
            SearchError::UnknownFilter(u) => write!(
                f,
                "no published incident has {} `{}`",
                u.option.trim_start_matches('-'),
                u.value
            ),
        }
    }
}

impl From<tantivy::TantivyError> for SearchError {
    fn from(e: tantivy::TantivyError) -> Self {
        SearchError::Tantivy(e)
    }
}

impl From<std::io::Error> for SearchError {
    fn from(e: std::io::Error) -> Self {
        SearchError::Tantivy(e.into())
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

/// What a search found: how many incidents match, the best of them, and how the query's
/// words that are not words of the archive were read.
#[derive(Clone, Debug)]
pub struct Found {
    pub total: usize,
    pub hits: Vec<Hit>,
    pub expansions: Vec<Expansion>,
}

pub struct Searcher {
    reader: IndexReader,
    fields: Fields,
    vocabulary: Vocabulary,
}

impl Searcher {
    pub fn open(dir: &Path) -> Result<Searcher, SearchError> {
        if !dir.join("meta.json").is_file() {
            return Err(SearchError::NoIndex);
        }
        let vocabulary = Vocabulary::in_dir(dir).map_err(|e| match e {
            tantivy::directory::error::OpenReadError::FileDoesNotExist(_) => SearchError::OlderIndex,
            e => SearchError::Tantivy(e.into()),
        })?;
        let index = Index::open_in_dir(dir)?;
        Ok(Searcher::new(index, vocabulary)?)
    }

    /// A searcher of `index`, whose words are `vocabulary`.
    pub fn new(index: Index, vocabulary: Vocabulary) -> tantivy::Result<Searcher> {
        let fields = Fields::from_schema(&index.schema())?;
        let reader = index.reader()?;
        Ok(Searcher {
            reader,
            fields,
            vocabulary,
        })
    }

    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// The query as tantivy runs it, and how its words were read: every clause must match
    /// (in any field, fields boosted as in [`super::TEXT_FIELDS`]); a word stands for the
    /// stems [`resolve`] finds, a document scoring with the best of them;
    /// `"quoted phrases"` match as phrases of words of the archive.
    pub fn parse(&self, text: &str) -> Result<(Box<dyn Query>, Vec<Expansion>), SearchError> {
        let vocabulary = &self.vocabulary;
        let fields = self.fields.text_fields();
        // One query per field, boosted, any of which may match: what tantivy's query
        // parser makes of a word or phrase over several default fields.
        let per_field = |make: &dyn Fn(Field) -> Box<dyn Query>| -> Box<dyn Query> {
            let each = fields
                .iter()
                .map(|&(field, boost)| {
                    let boosted: Box<dyn Query> = Box::new(BoostQuery::new(make(field), boost));
                    (Occur::Should, boosted)
                })
                .collect();
            Box::new(BooleanQuery::new(each))
        };
        let word_query = |stem: &str| {
            per_field(&|field| {
                Box::new(TermQuery::new(
                    Term::from_field_text(field, stem),
                    IndexRecordOption::WithFreqs,
                ))
            })
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut expansions = Vec::new();
        for clause in parse_query(text) {
            let query: Box<dyn Query> = match clause {
                Clause::Word(word) => {
                    let resolved = resolve(vocabulary, &word);
                    let mut stems: Vec<Box<dyn Query>> =
                        resolved.stems.iter().map(|s| word_query(s)).collect();
                    if resolved.how != Match::Exact {
                        expansions.push(Expansion {
                            word,
                            how: resolved.how,
                            words: resolved.words,
                        });
                    }
                    match stems.len() {
                        0 => Box::new(EmptyQuery),
                        1 => stems.remove(0),
                        _ => Box::new(DisjunctionMaxQuery::new(stems)),
                    }
                }
                Clause::Phrase(words) => {
                    let mut stems = Vec::with_capacity(words.len());
                    let mut missing = false;
                    for (offset, word) in words {
                        match vocabulary.stem(&word) {
                            Some(stem) => stems.push((offset, stem)),
                            None => {
                                missing = true;
                                expansions.push(Expansion {
                                    word,
                                    how: Match::None,
                                    words: Vec::new(),
                                });
                            }
                        }
                    }
                    match stems.as_slice() {
                        _ if missing => Box::new(EmptyQuery),
                        [(_, stem)] => word_query(stem),
                        _ => per_field(&|field| {
                            let terms = stems
                                .iter()
                                .map(|(offset, stem)| (*offset, Term::from_field_text(field, stem)))
                                .collect();
                            Box::new(PhraseQuery::new_with_offset(terms))
                        }),
                    }
                }
            };
            clauses.push((Occur::Must, query));
        }
        let query: Box<dyn Query> = match clauses.len() {
            0 => Box::new(AllQuery),
            1 => clauses.remove(0).1,
            _ => Box::new(BooleanQuery::new(clauses)),
        };
        Ok((query, expansions))
    }

    /// The values the archive has for a filter, as taxonomy pages name them in their URLs,
    /// in name order.
    fn filter_values(&self, kind: TaxonomyKind) -> Result<Vec<String>, SearchError> {
        let prefix = format!("{}\u{0}", Facet::from_path([kind.key()]).encoded_str());
        let mut values = Vec::new();
        for segment in self.reader.searcher().segment_readers() {
            let inverted = segment.inverted_index(self.fields.facets)?;
            let mut stream = inverted.terms().range().ge(&prefix).into_stream()?;
            while stream.advance() {
                let Some(value) = stream.key().strip_prefix(prefix.as_bytes()) else {
                    break;
                };
                values.push(String::from_utf8_lossy(value).into_owned());
            }
        }
        values.sort();
        values.dedup();
        Ok(values)
    }

    /// The first filter value the archive does not have, with the nearest one it has.
    fn unknown_filter(&self, filters: &Filters) -> Result<Option<UnknownFilter>, SearchError> {
        for (kind, option, values) in filters.by_kind() {
            let known = self.filter_values(kind)?;
            for value in values {
                if known.binary_search(&term_slug(value)).is_err() {
                    let near = did_you_mean(&term_slug(value), known.iter().map(String::as_str));
                    return Ok(Some(UnknownFilter {
                        option,
                        value: value.clone(),
                        did_you_mean: near.map(str::to_string),
                        known,
                    }));
                }
            }
        }
        Ok(None)
    }

    pub fn search(
        &self,
        text: &str,
        filters: &Filters,
        order: Order,
        limit: usize,
    ) -> Result<Found, SearchError> {
        if let Some(unknown) = self.unknown_filter(filters)? {
            return Err(SearchError::UnknownFilter(unknown));
        }
        let searcher = self.reader.searcher();
        let has_text = !parse_query(text).is_empty();
        let (text_query, expansions) = self.parse(text)?;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text_query.box_clone())];
        let years = filters.years.iter().map(|y| (TaxonomyKind::Year, y));
        let named = filters
            .by_kind()
            .into_iter()
            .flat_map(|(kind, _, values)| values.iter().map(move |v| (kind, v)));
        for (kind, value) in named.chain(years) {
            let facet = Facet::from_path([kind.key(), &term_slug(value)]);
            let term = Term::from_facet(self.fields.facets, &facet);
            clauses.push(filter(TermQuery::new(term, IndexRecordOption::Basic)));
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
        Ok(Found {
            total,
            hits,
            expansions,
        })
    }
}

impl Filters {
    /// The filters that name taxonomy values, with their command-line options.
    fn by_kind(&self) -> [(TaxonomyKind, &'static str, &Vec<String>); 5] {
        [
            (TaxonomyKind::Service, "--service", &self.services),
            (TaxonomyKind::Team, "--team", &self.teams),
            (TaxonomyKind::Severity, "--severity", &self.severities),
            (TaxonomyKind::RootCause, "--root-cause", &self.root_causes),
            (TaxonomyKind::Tag, "--tag", &self.tags),
        ]
    }
}

/// At most this many stems stand for a word matched as a prefix or with a typo: the
/// forms of a few words, few enough that a query stays quick in the browser.
pub const MAX_STEMS: usize = 12;
/// Shorter words are never read as typos: too many words are one edit from them.
pub const MIN_TYPO_CHARS: usize = 3;

/// How a query word was matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Match {
    /// It is a word of the archive: it matches by its stem.
    Exact,
    /// Words of the archive that start with it.
    Prefix,
    /// Words one typo away (a letter added, dropped or changed, or two neighbours
    /// swapped) that start with the same letter.
    Typo,
    /// Nothing: no incident has it.
    None,
}

/// A query word that is not a word of the archive, and what it was read as.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Expansion {
    /// As typed, lowercased.
    pub word: String,
    pub how: Match,
    /// The words of the archive it stood for, in byte order.
    pub words: Vec<String>,
}

/// What a query word stands for.
#[derive(Debug, PartialEq, Eq)]
struct Resolved {
    how: Match,
    words: Vec<String>,
    stems: Vec<String>,
}

/// What a query word stands for in the archive's `vocabulary`, as the browser client reads
/// it from the export's word files: its stem if it is a word of the archive; else the words
/// it starts; else, for a word of [`MIN_TYPO_CHARS`] or more, the words one typo away that
/// start with the same letter; else nothing. Prefix and typo matches take the words in
/// byte order up to [`MAX_STEMS`] stems.
fn resolve(vocabulary: &Vocabulary, word: &str) -> Resolved {
    if let Some(stem) = vocabulary.stem(word) {
        return Resolved {
            how: Match::Exact,
            words: vec![word.to_string()],
            stems: vec![stem.to_string()],
        };
    }
    let mut how = Match::Prefix;
    let mut found: Vec<(&str, &str)> = vocabulary.starting_with(word).collect();
    if found.is_empty() && word.chars().count() >= MIN_TYPO_CHARS {
        how = Match::Typo;
        let first = word.chars().next().map_or(0, char::len_utf8);
        found = vocabulary
            .starting_with(&word[..first])
            .filter(|(w, _)| one_typo(word, w))
            .collect();
    }
    if found.is_empty() {
        how = Match::None;
    }
    let (words, stems) = first_stems(found);
    Resolved { how, words, stems }
}

/// The first of `entries` up to [`MAX_STEMS`] distinct stems, and those stems in order of
/// first appearance.
fn first_stems(entries: Vec<(&str, &str)>) -> (Vec<String>, Vec<String>) {
    let (mut kept, mut stems) = (Vec::new(), Vec::<String>::new());
    for (word, stem) in entries {
        if !stems.iter().any(|s| s == stem) {
            if stems.len() == MAX_STEMS {
                break;
            }
            stems.push(stem.to_string());
        }
        kept.push(word.to_string());
    }
    (kept, stems)
}

/// Whether `word` is one typo from `typed`: a letter added, dropped or changed, or two
/// neighbours swapped, never the first letter.
fn one_typo(typed: &str, word: &str) -> bool {
    // One character added, dropped or changed moves the length by at most 4 bytes: most of
    // the words of a letter are ruled out before the distance is computed.
    typed.len().abs_diff(word.len()) <= 4
        && typed.chars().next() == word.chars().next()
        && strsim::osa_distance(typed, word) == 1
}

/// A clause every result must match.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Clause {
    /// A query word, lowercased.
    Word(String),
    /// The words of a `"quoted phrase"` with their positions in it.
    Phrase(Vec<(usize, String)>),
}

/// The query language: words and `"quoted phrases"`, read as the browser client reads
/// them (`parseQuery` in search.js). Outside quotes, everything but letters and digits
/// separates words (`checkout-api` is two words that must both match), except that a
/// ticket id (`PAY-1510`, `JIRA:PAY-1510`) is one word. A quote with no closing one (a
/// phrase still being typed) opens no phrase: its words are words.
fn parse_query(text: &str) -> Vec<Clause> {
    let quotes = text.matches('"').count();
    let mut clauses = Vec::new();
    // Odd pieces are between two quotes, unless the last quote has no pair.
    for (i, piece) in text.split('"').enumerate() {
        if i % 2 == 1 && i < quotes {
            let words: Vec<(usize, String)> = tokens(piece).collect();
            if !words.is_empty() {
                clauses.push(Clause::Phrase(words));
            }
            continue;
        }
        for chunk in piece.split_whitespace() {
            // A ticket pasted with its punctuation: "(PAY-1510),".
            match ticket_word(chunk.trim_matches(|c: char| !c.is_alphanumeric())) {
                Some(word) => clauses.push(Clause::Word(word)),
                None => clauses.extend(tokens(chunk).map(|(_, w)| Clause::Word(w))),
            }
        }
    }
    clauses
}

/// The words of `text` as the index's analyzer cuts them (letters and digits, words of
/// 40 bytes or more dropped, lowercased), with their positions (a dropped word still
/// takes one, as in the index).
fn tokens(text: &str) -> impl Iterator<Item = (usize, String)> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .enumerate()
        .filter(|(_, w)| w.len() < 40)
        .map(|(at, w)| (at, w.to_lowercase()))
}

/// A ticket id as one word: `PAY-1510` or `JIRA:PAY-1510` -> `pay1510`. The index holds
/// this word for every ticket of a postmortem (`index::labels`), so a query for a ticket
/// finds the incidents that name it, not every incident that says "pay" and "1510".
pub fn ticket_word(text: &str) -> Option<String> {
    let id = text.rsplit_once(':').map_or(text, |(_, id)| id);
    let (key, number) = id.split_once('-')?;
    let key_ok =
        key.starts_with(|c: char| c.is_ascii_alphabetic()) && key.chars().all(|c| c.is_ascii_alphanumeric());
    let number_ok = !number.is_empty() && number.chars().all(|c| c.is_ascii_digit());
    (key_ok && number_ok).then(|| format!("{key}{number}").to_ascii_lowercase())
}

/// Ticket ids in prose (and ticket URLs): an upper-case key, a hyphen, a number, each end
/// at a word's edge (ASCII letters, digits and `_` make words), as the regex
/// `\b[A-Z][A-Z0-9]+-[0-9]+\b` finds them. Written out over the hyphens: this runs over every
/// postmortem's text while indexing, and the regex, with no literal to skip ahead to, read
/// every byte (a seventh of the index stage).
pub fn ticket_mentions(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    let is_word = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_';
    text.match_indices('-').filter_map(move |(hyphen, _)| {
        let start = bytes[..hyphen]
            .iter()
            .rposition(|b| !is_word(b))
            .map_or(0, |at| at + 1);
        let key = &bytes[start..hyphen];
        let key_ok = key.len() >= 2
            && key[0].is_ascii_uppercase()
            && key.iter().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        let digits = bytes[hyphen + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let end = hyphen + 1 + digits;
        let number_ok = digits > 0 && !bytes.get(end).is_some_and(is_word);
        (key_ok && number_ok).then(|| &text[start..end])
    })
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

    fn words(list: &[&str]) -> Vec<Clause> {
        list.iter().map(|w| Clause::Word(w.to_string())).collect()
    }

    #[test]
    fn only_words_and_phrases_reach_the_query() {
        assert_eq!(parse_query("checkout-api"), words(&["checkout", "api"]));
        assert_eq!(
            parse_query("-lock title:x (a)"),
            words(&["lock", "title", "x", "a"])
        );
        assert_eq!(
            parse_query("\"expired-cert\" x509"),
            [
                Clause::Phrase(vec![(0, "expired".into()), (1, "cert".into())]),
                Clause::Word("x509".into())
            ]
        );
        // A phrase still being typed is words.
        assert_eq!(
            parse_query("x509 \"expired cert"),
            words(&["x509", "expired", "cert"])
        );
        assert_eq!(parse_query("\"a b\" \"c")[1..], words(&["c"]));
    }

    #[test]
    fn a_ticket_id_is_one_word() {
        assert_eq!(
            parse_query("PAY-1510 JIRA:ops-611"),
            words(&["pay1510", "ops611"])
        );
        assert_eq!(ticket_word("us-east-1"), None);
        assert_eq!(ticket_word("2024-03-08"), None);
        assert_eq!(ticket_word("PAY-"), None);
        let prose: Vec<&str> = ticket_mentions("See PAY-1510, not us-east-1 or Pay-2.").collect();
        assert_eq!(prose, ["PAY-1510"]);
        let edges: Vec<&str> = ticket_mentions("X-1 OPS-7_ aOPS-8 OPS-9a (OPS2-10)-OPS-11é").collect();
        assert_eq!(
            edges,
            ["OPS2-10", "OPS-11"],
            "a key of one letter, or in a word, is no ticket"
        );
    }

    proptest::proptest! {
        #[test]
        fn ticket_mentions_are_what_the_ticket_regex_finds(text in "(PAY|A|Z9|a|_|é| |-|12){0,16}") {
            let regex = regex::Regex::new(r"(?-u:\b)[A-Z][A-Z0-9]+-[0-9]+(?-u:\b)").unwrap();
            let expected: Vec<&str> = regex.find_iter(&text).map(|m| m.as_str()).collect();
            proptest::prop_assert_eq!(ticket_mentions(&text).collect::<Vec<_>>(), expected);
        }
    }

    #[test]
    fn one_typo_never_changes_the_first_letter() {
        assert!(one_typo("lcok", "lock"));
        assert!(one_typo("certifcate", "certificate"));
        assert!(one_typo("locks", "lock"));
        assert!(!one_typo("block", "lock"));
        assert!(!one_typo("lock", "lock"));
        assert!(!one_typo("lokc", "lack"));
    }

    fn vocabulary_of(texts: &[&str]) -> Vocabulary {
        Vocabulary::of_texts(texts.iter().copied())
    }

    #[test]
    fn a_word_is_read_exactly_then_as_a_prefix_then_with_one_typo() {
        let v = vocabulary_of(&["certificate certificates certified expired lock look", "cart"]);
        let read = |w: &str| {
            let r = resolve(&v, w);
            (r.how, r.words, r.stems)
        };
        let strings = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            read("certified"),
            (Match::Exact, strings(&["certified"]), strings(&["certifi"]))
        );
        // "cert" is one typo from "cart", but the words it starts come first.
        assert_eq!(
            read("cert"),
            (
                Match::Prefix,
                strings(&["certificate", "certificates", "certified"]),
                strings(&["certif", "certifi"])
            )
        );
        assert_eq!(
            read("certifcate"),
            (Match::Typo, strings(&["certificate"]), strings(&["certif"]))
        );
        assert_eq!(
            read("lcok"),
            (
                Match::Typo,
                strings(&["lock", "look"]),
                strings(&["lock", "look"])
            )
        );
        assert_eq!(read("zzz"), (Match::None, vec![], vec![]));
        assert_eq!(read("xock").0, Match::None, "never the first letter");
        assert_eq!(read("lx").0, Match::None, "too short for a typo");
    }

    #[test]
    fn a_prefix_stands_for_at_most_twelve_stems() {
        let many: Vec<String> = (0..20)
            .map(|i| format!("pre{}word", (b'a' + i) as char))
            .collect();
        let v = vocabulary_of(&[&many.join(" ")]);
        let r = resolve(&v, "pre");
        assert_eq!(r.how, Match::Prefix);
        assert_eq!(r.stems.len(), MAX_STEMS);
        assert_eq!(r.words, many[..MAX_STEMS]);
    }
}
