//! "Similar incidents" for each incident page: "more like this" over the words of
//! the incident, plus a bonus for each service and root cause it shares, so that the
//! lists favour what an engineer about to change that service should read.

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use tantivy::collector::TopDocs;

use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{Facet, IndexRecordOption};
use tantivy::tokenizer::{TextAnalyzer, TokenStream};
use tantivy::{Index, Term};

use super::Fields;
use super::index::causes;
use crate::content::Postmortem;
use crate::site::{Similar, Site, TaxonomyKind, term_slug};

/// How many terms of an incident its "more like this" query keeps.
const QUERY_TERMS: usize = 12;

/// How many similar incidents a page lists.
pub const LIMIT: usize = 5;

/// Score added per shared root cause and per shared service. MoreLikeThis scores of a
/// close match run from about 5 to 30, so sharing both a root cause and a service lifts a
/// moderately similar incident above a merely wordy one.
const ROOT_CAUSE_BONUS: f32 = 6.0;
const SERVICE_BONUS: f32 = 4.0;

/// For every published postmortem, in site order, up to [`LIMIT`] similar ones.
pub fn similar_incidents(site: &Site<'_>, index: &Index) -> tantivy::Result<Vec<Vec<Similar>>> {
    let fields = Fields::from_schema(&index.schema())?;
    let reader = index.reader()?;
    let searcher = reader.searcher();
    let bases = super::segment_bases(&searcher);
    // Services and root causes as the facets name them, once per postmortem.
    let labels: Vec<Labels> = site
        .postmortems
        .par_iter()
        .map(|pm| Labels {
            services: pm.services.iter().map(|s| term_slug(s)).collect(),
            root_causes: pm.root_causes.iter().map(|c| term_slug(c)).collect(),
        })
        .collect();
    (0..site.postmortems.len())
        .into_par_iter()
        // Per thread: the analyzer (with its memo of stems) and the document frequencies
        // looked up so far, as incidents share most of their words.
        .map_init(
            || (super::stem::analyzer(Default::default()), FxHashMap::default()),
            |(analyzer, doc_freqs), i| {
                let pm = site.postmortems[i];
                let causes = causes(pm);
                let more_like_this = more_like_this(
                    &searcher,
                    analyzer,
                    doc_freqs,
                    &[
                        (fields.title, &pm.title),
                        (fields.summary, &pm.summary),
                        (fields.causes, &causes),
                    ],
                )?;
                // One flat disjunction: the text's terms, then the bonuses (a nested query
                // for the text gives the same sums, in the same order, a level of union
                // slower).
                let mut clauses = more_like_this;
                clauses.push((
                    Occur::MustNot,
                    Box::new(TermQuery::new(
                        Term::from_field_text(fields.id, &pm.id),
                        IndexRecordOption::Basic,
                    )),
                ));
                let bonus = |kind: &str, slug: &String, score: f32| -> (Occur, Box<dyn Query>) {
                    let term = Term::from_facet(fields.facets, &Facet::from_path([kind, slug]));
                    let query = TermQuery::new(term, IndexRecordOption::Basic);
                    (
                        Occur::Should,
                        Box::new(ConstScoreQuery::new(Box::new(query), score)),
                    )
                };
                clauses.extend(
                    labels[i]
                        .root_causes
                        .iter()
                        .map(|c| bonus(TaxonomyKind::RootCause.key(), c, ROOT_CAUSE_BONUS)),
                );
                clauses.extend(
                    labels[i]
                        .services
                        .iter()
                        .map(|s| bonus(TaxonomyKind::Service.key(), s, SERVICE_BONUS)),
                );
                let top = searcher.search(
                    &BooleanQuery::new(clauses),
                    &TopDocs::with_limit(LIMIT).order_by_score(),
                )?;
                Ok(top
                    .into_iter()
                    .map(|(_, address)| {
                        let index = (bases[address.segment_ord as usize] + address.doc_id) as usize;
                        Similar {
                            index,
                            reasons: reasons((pm, &labels[i]), (site.postmortems[index], &labels[index])),
                        }
                    })
                    .collect())
            },
        )
        .collect()
}

/// tantivy's MoreLikeThis, made deterministic. tantivy 0.27's `MoreLikeThisQuery` collects
/// terms in a `HashMap` and keeps the best-scoring ones, so when scores tie at the cut the
/// chosen terms (and the clause order, hence float sums) change from run to run. This is
/// the same selection (term frequency x idf, tantivy's idf, terms of 3+ characters seen in
/// at least 2 and at most a quarter of the incidents) with ties broken by the term itself.
/// The body is left out: what an incident is about is in its title, summary and causes,
/// and the body's long postings lists would make every query slow. Returns the query's
/// clauses, one per term. `analyzer` is the fields' (`en_stem`), `doc_freqs` a cache of
/// the searcher's.
fn more_like_this(
    searcher: &tantivy::Searcher,
    analyzer: &mut TextAnalyzer,
    doc_freqs: &mut FxHashMap<Term, u64>,
    texts: &[(tantivy::schema::Field, &str)],
) -> tantivy::Result<Vec<(Occur, Box<dyn Query>)>> {
    let num_docs = searcher.num_docs();
    let max_doc_freq = (num_docs / 4).max(2);
    let mut frequencies: BTreeMap<Term, usize> = BTreeMap::new();
    for (field, text) in texts {
        let mut stream = analyzer.token_stream(text);
        while stream.advance() {
            let token = stream.token();
            if token.text.chars().count() >= 3 {
                *frequencies
                    .entry(Term::from_field_text(*field, &token.text))
                    .or_default() += 1;
            }
        }
    }
    let mut scored: Vec<(f32, Term)> = Vec::new();
    for (term, frequency) in frequencies {
        let doc_freq = match doc_freqs.get(&term) {
            Some(&n) => n,
            None => {
                let n = searcher.doc_freq(&term)?;
                doc_freqs.insert(term.clone(), n);
                n
            }
        };
        if doc_freq < 2 || doc_freq > max_doc_freq {
            continue;
        }
        let x = ((num_docs - doc_freq) as f32 + 0.5) / (doc_freq as f32 + 0.5);
        scored.push((frequency as f32 * (1.0 + x).ln(), term));
    }
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    Ok(scored
        .into_iter()
        .take(QUERY_TERMS)
        .map(|(_, term)| -> (Occur, Box<dyn Query>) {
            (
                Occur::Should,
                Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)),
            )
        })
        .collect())
}

/// A postmortem's services and root causes as slugs, in its order.
struct Labels {
    services: Vec<String>,
    root_causes: Vec<String>,
}

/// What `a` shares with `b`, named as `a` names it.
fn reasons(a: (&Postmortem, &Labels), b: (&Postmortem, &Labels)) -> Vec<String> {
    let shared = |names: &[String], x: &[String], y: &[String]| -> Vec<String> {
        names
            .iter()
            .zip(x)
            .filter(|(_, slug)| y.contains(slug))
            .map(|(name, _)| name.clone())
            .collect()
    };
    let mut reasons = shared(&a.0.services, &a.1.services, &b.1.services);
    reasons.extend(shared(&a.0.root_causes, &a.1.root_causes, &b.1.root_causes));
    if reasons.is_empty() {
        reasons.push("similar wording".into());
    }
    reasons
}
