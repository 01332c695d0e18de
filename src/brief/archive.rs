//! What a brief reads: the last build's `incidents.json` (metadata and action items of every
//! published postmortem, docs/EXPORT.md) and its search index (for ranking by similarity
//! to the change, and the body sections the lessons are cut from). Both are written by the
//! same build and list the postmortems in the same order (the site's), so the i-th document
//! of the index is the i-th incident of the export; every document read is checked against
//! that.

use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap;
use serde::Deserialize;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::tokenizer::TokenStream;
use tantivy::{DocAddress, Index, TantivyDocument, Term};

use crate::content::markdown::Section;
use crate::render::export;
use crate::search::{self, Fields};

/// Why the archive could not be read.
#[derive(Debug)]
pub enum ArchiveError {
    /// No `incidents.json` or no search index beside the output: build first.
    Missing(PathBuf),
    Unreadable(PathBuf, String),
    /// The export and the index describe different builds.
    Mismatch(PathBuf),
}

impl std::fmt::Display for ArchiveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ArchiveError::Missing(path) => write!(f, "{} is missing: run `pmsite build`", path.display()),
            ArchiveError::Unreadable(path, e) => write!(f, "cannot read {}: {e}", path.display()),
            ArchiveError::Mismatch(output) => write!(
                f,
                "the search index beside {} and its incidents.json come from different builds: \
                 run `pmsite build` to make both again",
                output.display()
            ),
        }
    }
}

#[derive(Deserialize)]
struct Export {
    format: String,
    version: u32,
    site: SiteInfo,
    incidents: Vec<Incident>,
}

#[derive(Deserialize)]
pub struct SiteInfo {
    pub title: String,
    pub base_url: Option<String>,
}

/// An incident as `incidents.json` has it (the fields a brief reads).
#[derive(Deserialize)]
pub struct Incident {
    pub id: String,
    /// The page, relative to the site root.
    pub path: String,
    pub url: Option<String>,
    pub title: String,
    pub summary: String,
    pub severity: String,
    pub severity_rank: usize,
    pub status: String,
    pub visibility: String,
    pub started_at: String,
    pub minutes_to_resolve: Option<i64>,
    pub services: Vec<String>,
    pub root_causes: Vec<String>,
    pub contributing_factors: Vec<String>,
    pub action_items: Vec<Action>,
}

impl Incident {
    /// A brief goes where the archive's own audience rules cannot follow (a pull request
    /// on another repository): whatever the build published, restricted reviews and drafts
    /// are never in one.
    pub fn may_appear(&self) -> bool {
        self.visibility != "restricted" && self.status != "draft"
    }

    /// Its page: absolute under the build's `base_url`, else relative to the site root.
    pub fn link(&self) -> &str {
        self.url.as_deref().unwrap_or(&self.path)
    }
}

#[derive(Deserialize)]
pub struct Action {
    pub title: String,
    pub owner: Option<String>,
    pub due: Option<String>,
    pub status: String,
    pub priority: Option<String>,
    pub ticket: Option<Ticket>,
    pub ledger_service: Option<String>,
}

#[derive(Clone, Deserialize, serde::Serialize)]
pub struct Ticket {
    pub label: String,
    pub url: Option<String>,
}

/// What the index stores of a document that a brief reads.
#[derive(Deserialize)]
struct Stored {
    id: String,
    sections: Vec<Section>,
}

pub struct Archive {
    pub output: PathBuf,
    pub site: SiteInfo,
    pub incidents: Vec<Incident>,
    searcher: tantivy::Searcher,
    fields: Fields,
    /// Per segment, the position of its first document (see `search::segment_bases`).
    bases: Vec<u32>,
}

impl Archive {
    /// The archive the build writing to `output` left.
    pub fn open(output: &Path) -> Result<Archive, ArchiveError> {
        let export_path = output.join(export::FILE);
        let index_dir = search::index_dir(output);
        for path in [&export_path, &index_dir.join("meta.json")] {
            if !path.is_file() {
                return Err(ArchiveError::Missing(path.clone()));
            }
        }
        let unreadable = |path: &Path, e: &dyn std::fmt::Display| {
            ArchiveError::Unreadable(path.to_path_buf(), e.to_string())
        };
        let bytes = std::fs::read(&export_path).map_err(|e| unreadable(&export_path, &e))?;
        let exported: Export = serde_json::from_slice(&bytes).map_err(|e| unreadable(&export_path, &e))?;
        if exported.format != export::FORMAT || exported.version != export::VERSION {
            return Err(unreadable(
                &export_path,
                &format!(
                    "it is `{}` version {}, not {} version {}",
                    exported.format,
                    exported.version,
                    export::FORMAT,
                    export::VERSION
                ),
            ));
        }
        let index = Index::open_in_dir(&index_dir).map_err(|e| unreadable(&index_dir, &e))?;
        let fields = Fields::from_schema(&index.schema()).map_err(|e| unreadable(&index_dir, &e))?;
        let searcher = index.reader().map_err(|e| unreadable(&index_dir, &e))?.searcher();
        if searcher.num_docs() != exported.incidents.len() as u64 {
            return Err(ArchiveError::Mismatch(output.to_path_buf()));
        }
        let bases = search::segment_bases(&searcher);
        Ok(Archive {
            output: output.to_path_buf(),
            site: exported.site,
            incidents: exported.incidents,
            searcher,
            fields,
            bases,
        })
    }

    /// How similar each incident (by position) is to `text`: BM25 over titles, summaries,
    /// causes and bodies, fields boosted as `pmsite search` boosts them. Words in more
    /// than a quarter of the incidents say nothing about this change and are left out.
    /// 0 for an incident that shares no word.
    pub fn similarity(&self, text: &str) -> Result<Vec<f32>, ArchiveError> {
        let mut scores = vec![0.0; self.incidents.len()];
        let mut analyzer = search::stem::analyzer(Default::default());
        let mut words: Vec<String> = Vec::new();
        let mut stream = analyzer.token_stream(text);
        while stream.advance() {
            let word = &stream.token().text;
            if word.chars().count() >= 3 && !words.contains(word) {
                words.push(word.clone());
            }
        }
        let max_doc_freq = (self.searcher.num_docs() / 4).max(2);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (field, boost) in self.fields.text_fields() {
            for word in &words {
                let term = Term::from_field_text(field, word);
                let frequency = self.searcher.doc_freq(&term).map_err(|e| self.error(&e))?;
                if frequency == 0 || frequency > max_doc_freq {
                    continue;
                }
                let query = TermQuery::new(term, IndexRecordOption::WithFreqs);
                clauses.push((Occur::Should, Box::new(BoostQuery::new(Box::new(query), boost))));
            }
        }
        if clauses.is_empty() {
            return Ok(scores);
        }
        let limit = self.incidents.len().max(1);
        let found = self
            .searcher
            .search(
                &BooleanQuery::new(clauses),
                &TopDocs::with_limit(limit).order_by_score(),
            )
            .map_err(|e| self.error(&e))?;
        for (score, address) in found {
            if let Some(slot) = scores.get_mut(self.position(address)) {
                *slot = score;
            }
        }
        Ok(scores)
    }

    /// The body sections of the incident at `position`, as the index keeps them.
    pub fn sections(&self, position: usize) -> Result<Vec<Section>, ArchiveError> {
        let address = self
            .address(position)
            .ok_or_else(|| ArchiveError::Mismatch(self.output.clone()))?;
        let document: TantivyDocument = self.searcher.doc(address).map_err(|e| self.error(&e))?;
        let meta = document
            .get_first(self.fields.meta)
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        let stored: Stored = serde_json::from_str(meta).map_err(|e| self.error(&e))?;
        if stored.id != self.incidents[position].id {
            return Err(ArchiveError::Mismatch(self.output.clone()));
        }
        Ok(stored.sections)
    }

    fn position(&self, address: DocAddress) -> usize {
        self.bases
            .get(address.segment_ord as usize)
            .map_or(usize::MAX, |base| (base + address.doc_id) as usize)
    }

    fn address(&self, position: usize) -> Option<DocAddress> {
        let position = u32::try_from(position).ok()?;
        let segment = self.bases.iter().rposition(|&base| base <= position)?;
        Some(DocAddress::new(segment as u32, position - self.bases[segment]))
    }

    fn error(&self, e: &dyn std::fmt::Display) -> ArchiveError {
        ArchiveError::Unreadable(search::index_dir(&self.output), e.to_string())
    }
}

/// Services as the archive's incidents name them, by slug (the first spelling met).
pub fn service_names(incidents: &[Incident]) -> FxHashMap<String, String> {
    let mut names = FxHashMap::default();
    for incident in incidents.iter().filter(|i| i.may_appear()) {
        for service in &incident.services {
            names
                .entry(crate::site::term_slug(service))
                .or_insert_with(|| service.clone());
        }
    }
    names
}
