//! What a brief reads: the last build's `incidents.json` (metadata and action items of every
//! published postmortem, docs/EXPORT.md) and its search index (for ranking by similarity
//! to the change, and the body sections the lessons are cut from). Both are written by the
//! same build and list the postmortems in the same order (the site's), so the i-th document
//! of the index is the i-th incident of the export; every document read is checked against
//! that.
//!
//! Reading the whole export costs a large archive a few hundred milliseconds (24 MB for
//! 10,000 postmortems), so the first brief after a build splits it by service into a cache
//! beside the output (`.public.brief-cache/`, one file per service, stamped with the
//! export's and the index's size and time); later briefs read only the services they touch.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::tokenizer::TokenStream;
use tantivy::{DocAddress, Index, TantivyDocument, Term};

use crate::content::markdown::Section;
use crate::render::export;
use crate::search::{self, Fields};
use crate::site::term_slug;

/// Why the archive could not be read.
#[derive(Debug)]
pub enum ArchiveError {
    /// No `incidents.json` or no search index beside the output: build first.
    Missing(PathBuf),
    Unreadable(PathBuf, String),
    /// The export and the index describe different builds.
    Mismatch(PathBuf),
    /// The index was built for another output than the one there now.
    Foreign(PathBuf),
    /// The output is a preview's (`pmsite serve`): its pages' addresses are the preview's,
    /// which a pull request must not link to.
    Preview(PathBuf, String),
}

impl std::fmt::Display for ArchiveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ArchiveError::Missing(path) => write!(f, "{} is missing: run `pmsite build`", path.display()),
            ArchiveError::Unreadable(path, e) => write!(f, "cannot read {}: {e}", path.display()),
            ArchiveError::Foreign(output) => write!(
                f,
                "the search index beside {} does not belong to it (a build stopped part way, \
                 or the output was replaced): run `pmsite build` to make both again",
                output.display()
            ),
            ArchiveError::Preview(output, url) => write!(
                f,
                "the site at {} is a preview's (pmsite serve): its pages are at {url}; run `pmsite build`",
                output.display()
            ),
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

#[derive(Clone, Deserialize, Serialize)]
pub struct SiteInfo {
    pub title: String,
    pub base_url: Option<String>,
}

/// An incident as `incidents.json` has it (the fields a brief reads).
#[derive(Clone, Deserialize, Serialize)]
pub struct Incident {
    /// Its place in the export, which is its document in the index.
    #[serde(default)]
    pub position: usize,
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

#[derive(Clone, Deserialize, Serialize)]
pub struct Action {
    pub title: String,
    pub owner: Option<String>,
    pub due: Option<String>,
    pub status: String,
    pub priority: Option<String>,
    pub ticket: Option<Ticket>,
    pub ledger_service: Option<String>,
}

impl Action {
    /// Still to be done: what a brief lists.
    pub fn is_pending(&self) -> bool {
        matches!(self.status.as_str(), "open" | "in_progress")
    }
}

#[derive(Clone, Deserialize, Serialize)]
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
    /// The services of the incidents that may appear, by slug, named as the archive first
    /// names them.
    pub services: BTreeMap<String, String>,
    incidents: Incidents,
    searcher: tantivy::Searcher,
    fields: Fields,
    /// Per segment, the position of its first document (see `search::segment_bases`).
    bases: Vec<u32>,
}

/// Where the incidents come from: the export just read, or the cache of an earlier brief.
enum Incidents {
    Read(Vec<Incident>),
    Cached(PathBuf),
}

/// The part of the cache every brief reads.
#[derive(Deserialize, Serialize)]
struct CacheHead {
    stamp: String,
    site: SiteInfo,
    services: BTreeMap<String, String>,
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
        // Whether the index is this output's (as `pmsite search` checks), but not whether
        // the sources changed since: that walks every file, and a brief answers for the
        // build it reads.
        if let Some(owner) = search::Owner::of_index(&index_dir)
            && !owner.belongs_to(output)
        {
            return Err(ArchiveError::Foreign(output.to_path_buf()));
        }
        let index = Index::open_in_dir(&index_dir).map_err(|e| unreadable(&index_dir, &e))?;
        let fields = Fields::from_schema(&index.schema()).map_err(|e| unreadable(&index_dir, &e))?;
        let searcher = index.reader().map_err(|e| unreadable(&index_dir, &e))?.searcher();
        let bases = search::segment_bases(searcher.segment_readers().iter().map(|r| r.max_doc()));
        let stamp = stamp(&export_path, &index_dir);
        let cache = crate::output::sibling(output, CACHE);
        let (site, services, incidents) = match read_cache_head(&cache, &stamp) {
            Some(head) => (head.site, head.services, Incidents::Cached(cache)),
            None => {
                let exported = read_export(&export_path)?;
                if searcher.num_docs() != exported.incidents.len() as u64 {
                    return Err(ArchiveError::Mismatch(output.to_path_buf()));
                }
                let mut incidents = exported.incidents;
                for (position, incident) in incidents.iter_mut().enumerate() {
                    incident.position = position;
                }
                incidents.retain(Incident::may_appear);
                for incident in &mut incidents {
                    incident.action_items.retain(Action::is_pending);
                }
                let services = service_names(&incidents);
                let head = CacheHead {
                    stamp,
                    site: exported.site,
                    services,
                };
                // A brief that cannot write its cache (a read-only checkout) still answers.
                let _ = write_cache(&cache, &head, &incidents);
                (head.site, head.services, Incidents::Read(incidents))
            }
        };
        if let Some(url) = site.base_url.as_deref().filter(|url| is_preview_address(url)) {
            return Err(ArchiveError::Preview(output.to_path_buf(), url.to_string()));
        }
        Ok(Archive {
            output: output.to_path_buf(),
            site,
            services,
            incidents,
            searcher,
            fields,
            bases,
        })
    }

    /// The incidents that may appear in a brief and involve one of the services `slugs`,
    /// in site order.
    pub fn incidents_of(&self, slugs: &BTreeSet<String>) -> Result<Vec<Incident>, ArchiveError> {
        let involved = |incident: &Incident| incident.services.iter().any(|s| slugs.contains(&term_slug(s)));
        match &self.incidents {
            Incidents::Read(all) => Ok(all.iter().filter(|i| involved(i)).cloned().collect()),
            Incidents::Cached(dir) => {
                let mut found: BTreeMap<usize, Incident> = BTreeMap::new();
                for slug in slugs {
                    let path = dir.join(format!("{slug}.json"));
                    let bytes = match std::fs::read(&path) {
                        Ok(bytes) => bytes,
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                        Err(e) => return Err(unreadable(&path, &e)),
                    };
                    let incidents: Vec<Incident> =
                        serde_json::from_slice(&bytes).map_err(|e| unreadable(&path, &e))?;
                    for incident in incidents {
                        found.entry(incident.position).or_insert(incident);
                    }
                }
                Ok(found.into_values().collect())
            }
        }
    }

    /// How similar each incident (by position) is to `text`: BM25 over titles, summaries,
    /// causes and bodies, fields boosted as `pmsite search` boosts them. Words in more
    /// than a quarter of the incidents say nothing about this change and are left out.
    /// 0 for an incident that shares no word.
    pub fn similarity(&self, text: &str) -> Result<Vec<f32>, ArchiveError> {
        let mut scores = vec![0.0; self.searcher.num_docs() as usize];
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
        let limit = scores.len().max(1);
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

    /// The body sections of `incident`, as the index keeps them.
    pub fn sections(&self, incident: &Incident) -> Result<Vec<Section>, ArchiveError> {
        let address = self
            .address(incident.position)
            .ok_or_else(|| ArchiveError::Mismatch(self.output.clone()))?;
        let document: TantivyDocument = self.searcher.doc(address).map_err(|e| self.error(&e))?;
        let meta = document
            .get_first(self.fields.meta)
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        let stored: Stored = serde_json::from_str(meta).map_err(|e| self.error(&e))?;
        if stored.id != incident.id {
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
/// Whether a site's address is this computer's (`pmsite serve` builds with its own address,
/// `http://127.0.0.1:PORT/`, unless told another with --base-url).
fn is_preview_address(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let host = rest.split('/').next().unwrap_or_default();
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.split(':').next().unwrap_or_default(),
    };
    host.eq_ignore_ascii_case("localhost") || host.starts_with("127.") || host == "::1"
}

fn service_names(incidents: &[Incident]) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    for incident in incidents {
        for service in &incident.services {
            names.entry(term_slug(service)).or_insert_with(|| service.clone());
        }
    }
    names
}

/// The cache of the build writing to `output` is its [`crate::output::sibling`] of this name.
const CACHE: &str = "brief-cache";
const CACHE_HEAD: &str = "head.json";

fn unreadable(path: &Path, e: &dyn std::fmt::Display) -> ArchiveError {
    ArchiveError::Unreadable(path.to_path_buf(), e.to_string())
}

fn read_export(path: &Path) -> Result<Export, ArchiveError> {
    let bytes = std::fs::read(path).map_err(|e| unreadable(path, &e))?;
    let exported: Export = serde_json::from_slice(&bytes).map_err(|e| unreadable(path, &e))?;
    if exported.format != export::FORMAT || exported.version != export::VERSION {
        return Err(unreadable(
            path,
            &format!(
                "it is `{}` version {}, not {} version {}",
                exported.format,
                exported.version,
                export::FORMAT,
                export::VERSION
            ),
        ));
    }
    Ok(exported)
}

/// What the cache must have been made from: the export and the index as they are now
/// (a build replaces both, which changes their sizes or times).
fn stamp(export: &Path, index: &Path) -> String {
    let of = |path: &Path| {
        std::fs::metadata(path).ok().map(|m| {
            let modified = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            format!("{}:{modified}", m.len())
        })
    };
    format!(
        "brief-cache 1 {} {}",
        of(export).unwrap_or_default(),
        of(&index.join("meta.json")).unwrap_or_default()
    )
}

fn read_cache_head(cache: &Path, stamp: &str) -> Option<CacheHead> {
    let head: CacheHead = serde_json::from_slice(&std::fs::read(cache.join(CACHE_HEAD)).ok()?).ok()?;
    (head.stamp == stamp).then_some(head)
}

/// Writes the cache: the head, and per service the incidents that involve it. Written
/// beside and moved in whole, so a reader sees the old cache or the new one.
fn write_cache(cache: &Path, head: &CacheHead, incidents: &[Incident]) -> std::io::Result<()> {
    let staging = cache.with_file_name(format!(
        "{}.tmp-{}",
        cache.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id()
    ));
    let written = (|| {
        let _ = std::fs::remove_dir_all(&staging);
        std::fs::create_dir_all(&staging)?;
        let mut by_service: BTreeMap<String, Vec<&Incident>> = BTreeMap::new();
        for incident in incidents {
            let slugs: BTreeSet<String> = incident.services.iter().map(|s| term_slug(s)).collect();
            for slug in slugs {
                by_service.entry(slug).or_default().push(incident);
            }
        }
        for (slug, incidents) in by_service {
            std::fs::write(
                staging.join(format!("{slug}.json")),
                serde_json::to_vec(&incidents)?,
            )?;
        }
        std::fs::write(staging.join(CACHE_HEAD), serde_json::to_vec(head)?)?;
        crate::output::replace_dir(&staging, cache).map_err(|e| std::io::Error::other(e.to_string()))
    })();
    if written.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::is_preview_address;

    #[test]
    fn a_preview_is_at_this_computers_address() {
        for url in [
            "http://127.0.0.1:39799/",
            "http://localhost:1111/kb/",
            "http://[::1]:8080/",
        ] {
            assert!(is_preview_address(url), "{url}");
        }
        for url in [
            "https://incidents.example.com/",
            "http://10.0.0.1/",
            "https://127example.com/",
        ] {
            assert!(!is_preview_address(url), "{url}");
        }
    }
}
