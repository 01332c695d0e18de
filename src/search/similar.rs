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
    let labels: Vec<Labels> = site.postmortems.par_iter().map(|pm| Labels::of(pm)).collect();
    (0..site.postmortems.len())
        .into_par_iter()
        // Per thread: the analyzer (with its memo of stems) and the document frequencies
        // looked up so far, as incidents share most of their words.
        .map_init(
            || (super::stem::analyzer(Default::default()), FxHashMap::default()),
            |(analyzer, doc_freqs), i| {
                let pm = site.postmortems[i];
                let query = query(&searcher, &fields, (analyzer, doc_freqs), pm, &labels[i])?;
                let top = searcher.search(&query, &TopDocs::with_limit(LIMIT).order_by_score())?;
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

/// The query that finds incidents like `pm`: its "more like this" terms in one flat
/// disjunction with a bonus per shared root cause and service, `pm` itself left out.
fn query(
    searcher: &tantivy::Searcher,
    fields: &Fields,
    (analyzer, doc_freqs): (&mut TextAnalyzer, &mut FxHashMap<Term, u64>),
    pm: &Postmortem,
    labels: &Labels,
) -> tantivy::Result<BooleanQuery> {
    let causes = causes(pm);
    // A nested query for the text would give the same sums, in the same order, a level of
    // union slower.
    let mut clauses = more_like_this(
        searcher,
        analyzer,
        doc_freqs,
        &[
            (fields.title, &pm.title),
            (fields.summary, &pm.summary),
            (fields.causes, &causes),
        ],
    )?;
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
        labels
            .root_causes
            .iter()
            .map(|c| bonus(TaxonomyKind::RootCause.key(), c, ROOT_CAUSE_BONUS)),
    );
    clauses.extend(
        labels
            .services
            .iter()
            .map(|s| bonus(TaxonomyKind::Service.key(), s, SERVICE_BONUS)),
    );
    Ok(BooleanQuery::new(clauses))
}

/// An index of `postmortems`, in memory, holding what the similar-incidents query reads
/// (ids, titles, summaries, causes and facets): for `pmsite check`, which runs before any
/// build has written an index, and over the postmortems it checks.
pub fn index_in_memory(postmortems: &[Postmortem]) -> tantivy::Result<Index> {
    let (schema, fields) = Fields::schema();
    let tokenizers = tantivy::tokenizer::TokenizerManager::default();
    tokenizers.register(super::stem::NAME, super::stem::analyzer(Default::default()));
    // One segment, document `i` being `postmortems[i]`, as in the build's index.
    let mut writer = tantivy::IndexBuilder::new()
        .schema(schema)
        .tokenizers(tokenizers)
        .single_segment_index_writer(tantivy::directory::RamDirectory::create(), MEMORY_BUDGET)?;
    for pm in postmortems {
        let mut doc = tantivy::TantivyDocument::default();
        doc.add_text(fields.id, &pm.id);
        doc.add_text(fields.title, &pm.title);
        doc.add_text(fields.summary, &pm.summary);
        doc.add_text(fields.causes, causes(pm));
        for facet in super::index::facets(pm) {
            doc.add_facet(fields.facets, facet);
        }
        writer.add_document(doc)?;
    }
    writer.finalize()
}

/// Memory for [`index_in_memory`]'s writer, which sizes its tables from it.
const MEMORY_BUDGET: usize = 50_000_000;

/// For each `(i, candidates)` of `wanted`, up to `limit` of the `candidates` (indices into
/// `postmortems`), ranked as the incident page ranks similar incidents, best first: the
/// same query and scores, only the incidents outside `candidates` are passed over.
/// `index` is [`index_in_memory`]`(postmortems)`.
pub fn rank(
    index: &Index,
    postmortems: &[Postmortem],
    wanted: &[(usize, Vec<usize>)],
    limit: usize,
) -> tantivy::Result<Vec<Vec<usize>>> {
    let fields = Fields::from_schema(&index.schema())?;
    let searcher = index.reader()?.searcher();
    let bases = std::sync::Arc::new(super::segment_bases(&searcher));
    let ords: std::sync::Arc<FxHashMap<_, usize>> = std::sync::Arc::new(
        searcher
            .segment_readers()
            .iter()
            .enumerate()
            .map(|(ord, segment)| (segment.segment_id(), ord))
            .collect(),
    );
    wanted
        .par_iter()
        .map_init(
            || (super::stem::analyzer(Default::default()), FxHashMap::default()),
            |(analyzer, doc_freqs), (i, candidates)| {
                let pm = &postmortems[*i];
                let query = query(&searcher, &fields, (analyzer, doc_freqs), pm, &Labels::of(pm))?;
                let keep: std::sync::Arc<rustc_hash::FxHashSet<usize>> =
                    std::sync::Arc::new(candidates.iter().copied().collect());
                let (bases_here, ords) = (bases.clone(), ords.clone());
                // Incidents outside `candidates` sink below every match; scores are untouched.
                let collector =
                    TopDocs::with_limit(limit).tweak_score(move |segment: &tantivy::SegmentReader| {
                        let keep = keep.clone();
                        let base = ords
                            .get(&segment.segment_id())
                            .and_then(|&ord| bases_here.get(ord).copied())
                            .unwrap_or(u32::MAX);
                        move |doc: tantivy::DocId, score: tantivy::Score| {
                            if keep.contains(&(base.saturating_add(doc) as usize)) {
                                score
                            } else {
                                f32::NEG_INFINITY
                            }
                        }
                    });
                Ok(searcher
                    .search(&query, &collector)?
                    .into_iter()
                    .filter(|(score, _)| score.is_finite())
                    .map(|(_, at)| (bases[at.segment_ord as usize] + at.doc_id) as usize)
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

impl Labels {
    /// Services and root causes as the facets name them.
    fn of(pm: &Postmortem) -> Labels {
        Labels {
            services: pm.services.iter().map(|s| term_slug(s)).collect(),
            root_causes: pm.root_causes.iter().map(|c| term_slug(c)).collect(),
        }
    }
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
