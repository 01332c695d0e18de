//! Building the search index of a site.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use tantivy::Directory;
use tantivy::directory::error::OpenReadError;
use tantivy::directory::{MmapDirectory, OwnedBytes};
use tantivy::indexer::{AddOperation, SegmentWriter};
use tantivy::schema::Facet;
use tantivy::{Index, IndexBuilder, IndexMeta, SegmentMeta, TantivyDocument};

use super::Fields;
use crate::content::Postmortem;
use crate::content::markdown::{Section, sections};
use crate::site::{Site, url};
use crate::site::{TaxonomyKind, term_slug};

/// Memory for the one segment writer. Indexing 10,000 postmortems needs about 150 MB;
/// the writer sizes its hash table from this, it does not reserve it.
const MEMORY_BUDGET: usize = 200_000_000;
const MIN_PART: usize = 200;
/// The largest part a preview indexes (see [`parts`]): about a quarter of a second's work.
const MAX_PREVIEW_PART: usize = 512;
/// What a writer of a small part is given: tantivy refuses a budget too small for its
/// smallest hash table.
const MIN_WRITER_BUDGET: usize = 4_000_000;

#[derive(Debug)]
pub enum IndexError {
    Io(PathBuf, io::Error),
    Replace(crate::output::OutputError),
    Tantivy(tantivy::TantivyError),
    /// The index just made cannot be opened for a search.
    Reopen(PathBuf, Box<super::SearchError>),
    /// The caller asked to stop (a preview gives its search stage up for a newer edit).
    Interrupted,
}

impl std::fmt::Display for IndexError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IndexError::Io(p, e) => write!(f, "cannot write the search index at {}: {e}", p.display()),
            IndexError::Tantivy(e) => write!(f, "search index: {e}"),
            IndexError::Replace(e) => write!(f, "search index: {e}"),
            IndexError::Reopen(p, e) => write!(
                f,
                "cannot open the search index just made at {}: {e}",
                p.display()
            ),
            IndexError::Interrupted => write!(f, "search index: stopped for a newer change"),
        }
    }
}

impl From<tantivy::TantivyError> for IndexError {
    fn from(e: tantivy::TantivyError) -> Self {
        IndexError::Tantivy(e)
    }
}

/// What a search result shows, stored with each document.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Meta {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub severity: String,
    pub date: String,
    /// Absolute when the site has a `base_url`, else relative to the site root.
    pub url: String,
    pub services: Vec<String>,
    pub teams: Vec<String>,
    pub root_causes: Vec<String>,
    pub tags: Vec<String>,
    pub sections: Vec<Section>,
}

/// A built index and the vocabulary (word -> stem) its analyzer saw.
pub struct Built {
    pub index: Index,
    pub words: Vocabulary,
    /// What each part was made of, when the caller asked to remember it ([`Reuse`]).
    pub parts: Option<Parts>,
}

/// What a preview's index holds, part by part: the next search stage links a part whose
/// documents are the same from the index in place instead of indexing it again, so an
/// edit re-indexes the part it falls in (at most [`MAX_PREVIEW_PART`] postmortems), not the
/// archive.
#[derive(Clone, Default)]
pub struct Parts(Vec<IndexedPart>);

#[derive(Clone)]
struct IndexedPart {
    /// [`super::documents_digest`] of the part's postmortems, with the site's base URL.
    digest: u64,
    meta: SegmentMeta,
    /// The words its analyzer saw, and their stems ([`pack_words`]).
    words: Arc<str>,
}

/// Words and their stems as one text, a line per word (`word` when it is its own stem,
/// else `word<TAB>stem`): a tenth of the memory of a map, and a preview keeps one per part.
/// Words are tokens, which hold no whitespace. In byte order of the words, so that the
/// parts' words merge in one pass ([`Vocabulary::merge`]).
fn pack_words(words: &FxHashMap<String, String>) -> Arc<str> {
    let mut sorted: Vec<(&String, &String)> = words.iter().collect();
    sorted.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let mut packed = String::new();
    for (word, stem) in sorted {
        packed.push_str(word);
        if stem != word {
            packed.push('\t');
            packed.push_str(stem);
        }
        packed.push('\n');
    }
    Arc::from(packed)
}

/// A packed line's word and stem.
fn unpack_line(line: &str) -> (&str, &str) {
    line.split_once('\t').unwrap_or((line, line))
}

/// Every word (lowercased, as indexed) and its stem, each once, in byte order of the words:
/// the parts' packed words ([`pack_words`]) merged into one text of the same lines. (A map
/// of the words of a large archive was tens of megabytes of small strings, made again by
/// each of a preview's search stages.)
///
/// The index folder keeps it as [`Vocabulary::FILE`], which `pmsite search` reads a query
/// word in (exactly, as a prefix or one typo away) as the browser reads the export's word
/// files. A file, not a field of every word in every document: that field, kept only for
/// its term dictionary, indexed the archive's text a second time (0.6 s of a 10,000
/// postmortem build's 2.7 s search index stage).
#[derive(Clone, Debug, PartialEq)]
pub struct Vocabulary(OwnedBytes);

impl Vocabulary {
    pub const FILE: &str = "vocabulary.txt";

    /// The parts' words ([`pack_words`]: each part sorted) merged, each word once. A merge
    /// of sorted lists, not a sort of all their lines: a preview of 100,000 postmortems
    /// keeps ~200 parts, and merges them again at each search stage.
    fn merge<'a>(packed: impl IntoIterator<Item = &'a str>) -> Vocabulary {
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;
        let mut parts: Vec<std::str::Lines<'a>> = Vec::new();
        let mut capacity = 0;
        for part in packed {
            capacity += part.len() + 1;
            parts.push(part.lines());
        }
        // The next line of each part, by its word (then part, for a total order).
        let mut next: BinaryHeap<Reverse<(&str, usize, &str)>> = parts
            .iter_mut()
            .enumerate()
            .filter_map(|(part, lines)| {
                lines
                    .next()
                    .map(|line| Reverse((unpack_line(line).0, part, line)))
            })
            .collect();
        let mut text = Vec::with_capacity(capacity);
        let mut last: Option<&str> = None;
        while let Some(Reverse((word, part, line))) = next.pop() {
            if last != Some(word) {
                text.extend_from_slice(line.as_bytes());
                text.push(b'\n');
                last = Some(word);
            }
            if let Some(line) = parts[part].next() {
                next.push(Reverse((unpack_line(line).0, part, line)));
            }
        }
        Vocabulary(OwnedBytes::new(text))
    }

    /// The vocabulary an index of `texts` has.
    pub fn of_texts<'a>(texts: impl IntoIterator<Item = &'a str>) -> Vocabulary {
        let memo = super::stem::Memo::default();
        let mut analyzer = super::stem::analyzer(memo.clone());
        for text in texts {
            let mut tokens = analyzer.token_stream(text);
            while tokens.advance() {}
        }
        let packed = pack_words(&memo.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        Vocabulary::merge([&*packed])
    }

    /// Each word and its stem, in byte order of the words.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries_from(0)
    }

    /// Written beside the index's files, not through tantivy's directory, which would list
    /// it among the files its garbage collection may delete.
    fn write_in(&self, dir: &Path) -> Result<(), IndexError> {
        let path = dir.join(Self::FILE);
        fs::write(&path, self.0.as_slice()).map_err(|e| IndexError::Io(path, e))
    }

    /// The vocabulary of the index in `dir`, mapped, not read: a search reads the few pages
    /// its lookups land on (at 100,000 postmortems the file is 12 MB, and reading it whole
    /// doubled the time of `pmsite search`). Through the folder itself, not the index's
    /// directory, which expects the footer of the files tantivy writes.
    pub fn in_dir(dir: &Path) -> Result<Vocabulary, OpenReadError> {
        let file = MmapDirectory::open(dir)
            .map_err(|e| OpenReadError::wrap_io_error(io::Error::other(e), dir.to_path_buf()))?
            .open_read(Path::new(Self::FILE))?;
        let bytes = file
            .read_bytes()
            .map_err(|e| OpenReadError::wrap_io_error(e, dir.join(Self::FILE)))?;
        Ok(Vocabulary(bytes))
    }

    /// The stem of `word`, if it is a word of the archive.
    pub fn stem(&self, word: &str) -> Option<&str> {
        self.starting_with(word)
            .next()
            .filter(|&(found, _)| found == word)
            .map(|(_, stem)| stem)
    }

    /// The words that start with `prefix` and their stems, in byte order.
    pub fn starting_with<'a, 'p>(
        &'a self,
        prefix: &'p str,
    ) -> impl Iterator<Item = (&'a str, &'a str)> + use<'a, 'p> {
        self.entries_from(self.first_line_from(prefix))
            .take_while(move |(word, _)| word.starts_with(prefix))
    }

    /// The entries of the lines from byte `start` (a line's start) on. A line that is not
    /// UTF-8 (a damaged file) reads as an empty word.
    fn entries_from(&self, start: usize) -> impl Iterator<Item = (&str, &str)> {
        self.0[start..]
            .split(|&b| b == b'\n')
            .filter(|line| !line.is_empty())
            .map(|line| unpack_line(std::str::from_utf8(line).unwrap_or_default()))
    }

    /// Where the first line whose word is `key` or after it starts (the text's length when
    /// there is none): a binary search over the lines, in place.
    fn first_line_from(&self, key: &str) -> usize {
        let text = self.0.as_slice();
        // `low` and `high` are line starts; every line before `low` has a word before `key`,
        // and every line from `high` on has one at or after it.
        let (mut low, mut high) = (0, text.len());
        while low < high {
            let middle = low + (high - low) / 2;
            let start = text[low..middle]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(low, |at| low + at + 1);
            let end = text[start..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(text.len(), |at| start + at);
            let word = text[start..end].split(|&b| b == b'\t').next().unwrap_or_default();
            if word < key.as_bytes() {
                low = (end + 1).min(text.len());
            } else {
                high = start;
            }
        }
        low
    }
}

/// How a build indexes: everything afresh, or remembering its parts, linking those it can
/// from an index in place.
#[derive(Clone, Copy)]
pub enum Reuse<'a> {
    Nothing,
    /// Remember the parts ([`Built::parts`]); with an index, the folder and the parts it
    /// holds, link those whose documents are the same.
    Remember(Option<(&'a Path, &'a Parts)>),
}

/// Indexes the site's postmortems into `dir`, an empty folder. Document ids follow the
/// site's order, so document `i` is `site.postmortems[i]`. The caller stages `dir` and puts
/// it in place (with the site it describes, in a build). Gives up, with
/// [`IndexError::Interrupted`], as soon as `stop` is set.
pub fn build_index(
    site: &Site<'_>,
    dir: &Path,
    owner: super::Owner,
    stop: &AtomicBool,
    reuse: Reuse<'_>,
) -> Result<Built, IndexError> {
    let (schema, fields) = Fields::schema();
    // A segment writer analyzes and indexes on one thread. To use every core, contiguous
    // parts of the site are indexed side by side, each into a segment of its own, and the
    // segments are listed in part order: document `i` of the site is then the `i`-th
    // document of the index (segment after segment), ties in ranking still break in site
    // order, and the export, which reads the segments in order, writes the same files
    // whatever the number of parts. (Merging the segments cost a sixth of the indexing.)
    let remember = matches!(reuse, Reuse::Remember(_));
    let parts = parts(site.postmortems.len(), remember);
    let base_url = site.config.base_url.as_str();
    let index = IndexBuilder::new().schema(schema.clone()).create_in_dir(dir)?;
    let linkable = match reuse {
        Reuse::Remember(Some((from, previous))) => Linkable::new(from, previous),
        _ => Linkable::default(),
    };
    let index_part = |range: &std::ops::Range<usize>| {
        let digest = part_digest(&site.postmortems[range.clone()], base_url);
        if let Some(part) = linkable.link(digest, dir) {
            return Ok(part.clone());
        }
        // Each part has its own memo: the stemmer locks it once per text.
        let memo = super::stem::Memo::default();
        let tokenizers = tantivy::tokenizer::TokenizerManager::default();
        tokenizers.register(super::stem::NAME, super::stem::analyzer(memo.clone()));
        let mut part = index.clone();
        part.set_tokenizers(tokenizers);
        let segment = part.new_segment();
        // The writer's hash table is sized from its share of the budget.
        let share = (MEMORY_BUDGET / site.postmortems.len().max(1)) * range.len();
        let mut writer = SegmentWriter::for_segment(share.max(MIN_WRITER_BUDGET), segment.clone())?;
        for (opstamp, pm) in site.postmortems[range.clone()].iter().enumerate() {
            if stop.load(Ordering::Relaxed) {
                return Err(IndexError::Interrupted);
            }
            let document = document(pm, &fields, base_url);
            writer.add_document(AddOperation {
                opstamp: opstamp as u64,
                document,
            })?;
        }
        let max_doc = writer.max_doc();
        writer.finalize()?;
        // Packed as soon as the part is done, not once all are: a preview's parts are
        // small and many, and their word maps held side by side added up.
        let words = pack_words(&memo.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        Ok(IndexedPart {
            digest,
            meta: segment.with_max_doc(max_doc).meta().clone(),
            words,
        })
    };
    // A preview's later builds index the parts its edits changed one after another: a
    // part's writer is most of the stage's memory, and two side by side were the peak of
    // a preview (15 edits across a 10,000-postmortem archive: 204 MiB instead of 226), in
    // a stage that runs in the background once the edited pages are served. One edit
    // changes one part, which no core could share anyway.
    let built: Vec<Result<IndexedPart, IndexError>> = if linkable.is_empty() {
        parts.par_iter().map(index_part).collect()
    } else {
        parts.iter().map(index_part).collect()
    };
    let mut segments = Vec::with_capacity(parts.len());
    let mut indexed = Vec::with_capacity(parts.len());
    for part in built {
        let part = part?;
        // An empty part would be an empty segment, which tantivy does not list.
        if part.meta.max_doc() > 0 {
            segments.push(part.meta.clone());
        }
        indexed.push(part);
    }
    let words = Vocabulary::merge(indexed.iter().map(|part| &*part.words));
    // Before meta.json, which makes the folder an index.
    words.write_in(dir)?;
    commit_segments(&index, segments, site.postmortems.len() as u64, owner)?;
    Ok(Built {
        index,
        words,
        parts: remember.then_some(Parts(indexed)),
    })
}

/// What an index part is made of: its postmortems' files, in order, and the base URL its
/// documents' links start with.
fn part_digest(postmortems: &[&Postmortem], base_url: &str) -> u64 {
    super::documents_digest(postmortems.iter().copied(), base_url.as_bytes())
}

/// The parts of an index in place that can be linked into a new one.
#[derive(Default)]
struct Linkable<'a> {
    from: Option<&'a Path>,
    by_digest: FxHashMap<u64, &'a IndexedPart>,
    /// The files of the folder, by segment id (the name up to its first dot).
    files: FxHashMap<String, Vec<String>>,
}

impl<'a> Linkable<'a> {
    fn new(from: &'a Path, previous: &'a Parts) -> Linkable<'a> {
        let mut files: FxHashMap<String, Vec<String>> = FxHashMap::default();
        for entry in fs::read_dir(from).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some((segment, _)) = name.split_once('.') {
                files.entry(segment.to_string()).or_default().push(name);
            }
        }
        Linkable {
            from: Some(from),
            by_digest: previous.0.iter().map(|p| (p.digest, p)).collect(),
            files,
        }
    }

    /// No index in place has parts to link: every part is to be indexed.
    fn is_empty(&self) -> bool {
        self.by_digest.is_empty()
    }

    /// Links the files of the part made of `digest` into `dir`; `None` when there is no
    /// such part or its files cannot be linked (then it is indexed again).
    fn link(&self, digest: u64, dir: &Path) -> Option<&'a IndexedPart> {
        let part = self.by_digest.get(&digest)?;
        let from = self.from?;
        let files = self.files.get(&part.meta.id().uuid_string())?;
        for name in files {
            let (source, target) = (from.join(name), dir.join(name));
            // A hard link costs nothing; a filesystem without them gets a copy.
            if fs::hard_link(&source, &target).is_err() && fs::copy(&source, &target).is_err() {
                return None;
            }
        }
        Some(part)
    }
}

/// Indexes the site's postmortems on their own, with no site beside them (for `pmsite
/// search` before any build), into the index folder of `output`, replacing what was there.
pub fn replace_index(site: &Site<'_>, output: &Path, sources: u64) -> Result<(), IndexError> {
    let dir = super::index_dir(output);
    let staging = crate::output::sibling(output, &format!("{}.tmp-{}", super::INDEX, std::process::id()));
    if staging.exists() {
        fs::remove_dir_all(&staging).map_err(|e| IndexError::Io(staging.clone(), e))?;
    }
    fs::create_dir_all(&staging).map_err(|e| IndexError::Io(staging.clone(), e))?;
    let built = build_index(
        site,
        &staging,
        super::Owner {
            output: None,
            sources,
        },
        &AtomicBool::new(false),
        Reuse::Nothing,
    );
    let replaced = built.and_then(|built| {
        drop(built);
        crate::output::replace_dir(&staging, &dir).map_err(IndexError::Replace)
    });
    if replaced.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    replaced
}

/// Makes `segments`, in this order, the index's contents: what a commit of tantivy's
/// `IndexWriter` writes, except that the writer would list segments by id (random), and the
/// order is what keeps document ids in site order.
fn commit_segments(
    index: &Index,
    segments: Vec<SegmentMeta>,
    opstamp: u64,
    owner: super::Owner,
) -> tantivy::Result<()> {
    let meta = IndexMeta {
        index_settings: index.settings().clone(),
        persisted_custom_extensions: Vec::new(),
        segments,
        schema: index.schema(),
        opstamp,
        payload: Some(owner.payload()),
    };
    let mut json =
        serde_json::to_vec_pretty(&meta).map_err(|e| tantivy::TantivyError::InternalError(e.to_string()))?;
    json.push(b'\n');
    let directory = index.directory();
    directory.sync_directory()?;
    directory.atomic_write(Path::new("meta.json"), &json)?;
    directory.sync_directory()?;
    Ok(())
}

/// Contiguous ranges of documents (site order) to index side by side, each in a segment of
/// its own: the browser export's segments (`export::segments`, which count from the
/// oldest), each cut into up to one part per core but none smaller than [`MIN_PART`]
/// documents (below that, a part's fixed costs outweigh the parallelism). A part never
/// spans two export segments, so the export reads each from its own parts. For a preview
/// (`small`), parts are also at most [`MAX_PREVIEW_PART`] documents: an edit indexes its
/// part again, and a small part is quick to index and needs little memory.
fn parts(documents: usize, small: bool) -> Vec<std::ops::Range<usize>> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let mut out = Vec::new();
    for segment in super::export::segments(documents).into_iter().rev() {
        let site = documents - segment.end..documents - segment.start;
        let mut count = (site.len() / MIN_PART).clamp(1, cores);
        if small {
            count = count.max(site.len().div_ceil(MAX_PREVIEW_PART));
        }
        let size = site.len().div_ceil(count);
        out.extend(
            (0..count)
                .map(|i| (site.start + i * size).min(site.end)..(site.start + (i + 1) * size).min(site.end)),
        );
    }
    out
}

/// The words of a postmortem, by field. Also what "similar incidents" compares.
pub struct Texts {
    pub title: String,
    pub summary: String,
    pub causes: String,
    pub labels: String,
    pub body: String,
    pub timeline: String,
    pub actions: String,
}

pub fn texts(pm: &Postmortem, sections: &[Section]) -> Texts {
    let body = lines(sections.iter().map(|s| s.text.as_str()));
    let timeline = lines(
        pm.timeline
            .iter()
            .map(|e| e.text.as_str())
            .chain(pm.detection.as_deref()),
    );
    let actions = lines(pm.action_items.iter().map(|a| a.title.as_str()));
    Texts {
        title: pm.title.clone(),
        summary: pm.summary.clone(),
        causes: causes(pm),
        labels: labels(pm, [&body, &timeline, &actions]),
        body,
        timeline,
        actions,
    }
}

/// Services, teams, tags, the severity, the people (authors, owner, incident commander,
/// reviewers, action item owners) and the tickets: names a reader searches for. A ticket
/// (`JIRA:PAY-1510`, or `PAY-1510` in the text) is also one word, `pay1510`, which is
/// what a query for `PAY-1510` looks for (`query::ticket_word`): the tokenizer alone
/// would make it two words found anywhere.
fn labels(pm: &Postmortem, prose: [&str; 3]) -> String {
    let actions = &pm.action_items;
    let tickets: Vec<&str> = actions
        .iter()
        .filter_map(|a| a.ticket.as_ref())
        .map(|t| t.label.as_str())
        .collect();
    let mentioned = tickets
        .iter()
        .copied()
        .chain(prose)
        .flat_map(super::query::ticket_mentions);
    let mut joined: Vec<String> = tickets
        .iter()
        .copied()
        .chain(mentioned)
        .filter_map(super::query::ticket_word)
        .collect();
    joined.sort();
    joined.dedup();
    lines(
        [&pm.services, &pm.teams, &pm.tags, &pm.authors, &pm.reviewers]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .chain([pm.severity.as_str()])
            .chain(pm.owner.as_deref())
            .chain(pm.incident_commander.as_deref())
            .chain(actions.iter().filter_map(|a| a.owner.as_deref()))
            .chain(tickets.iter().copied())
            .chain(joined.iter().map(String::as_str)),
    )
}

/// Root causes, contributing factors and the trigger, a line each.
pub fn causes(pm: &Postmortem) -> String {
    lines(
        pm.root_causes
            .iter()
            .chain(&pm.contributing_factors)
            .map(String::as_str)
            .chain(pm.trigger.as_deref()),
    )
}

fn lines<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for (i, part) in parts.into_iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(part);
    }
    out
}

pub fn facets(pm: &Postmortem) -> Vec<Facet> {
    TaxonomyKind::ALL
        .into_iter()
        .flat_map(|kind| {
            kind.values(pm)
                .into_iter()
                .map(move |value| Facet::from_path([kind.key(), &term_slug(&value)]))
        })
        .collect()
}

fn document(pm: &Postmortem, fields: &Fields, base_url: &str) -> TantivyDocument {
    let sections = sections(&pm.source.body.text(), &pm.source.outline);
    let t = texts(pm, &sections);
    let mut doc = TantivyDocument::default();
    doc.add_text(fields.id, &pm.id);
    doc.add_text(fields.title, &t.title);
    doc.add_text(fields.summary, &t.summary);
    doc.add_text(fields.causes, &t.causes);
    doc.add_text(fields.labels, &t.labels);
    // Three values of one field: a phrase does not run from the body into the timeline.
    doc.add_text(fields.body, &t.body);
    doc.add_text(fields.body, &t.timeline);
    doc.add_text(fields.body, &t.actions);
    for f in facets(pm) {
        doc.add_facet(fields.facets, f);
    }
    doc.add_i64(fields.started, pm.started_at.sort_key());
    let meta = Meta {
        id: pm.id.clone(),
        title: pm.title.clone(),
        summary: pm.summary.clone(),
        severity: pm.severity.clone(),
        date: pm.started_at.date().format("%Y-%m-%d").to_string(),
        url: format!("{base_url}{}", url::incident(&pm.id)),
        services: pm.services.clone(),
        teams: pm.teams.clone(),
        root_causes: pm.root_causes.clone(),
        tags: pm.tags.clone(),
        sections,
    };
    doc.add_text(fields.meta, serde_json::to_string(&meta).unwrap_or_default());
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packed(pairs: &[(&str, &str)]) -> Arc<str> {
        pack_words(
            &pairs
                .iter()
                .map(|&(w, s)| (w.to_string(), s.to_string()))
                .collect(),
        )
    }

    #[test]
    fn the_vocabulary_of_parts_has_each_word_once_in_byte_order_of_the_words() {
        let a = packed(&[("outages", "outag"), ("db", "db"), ("ab\u{1}", "ab\u{1}")]);
        let b = packed(&[("outages", "outag"), ("ab", "a"), ("zone", "zone")]);
        let words = Vocabulary::merge([&*a, &*b]);
        let entries: Vec<_> = words.entries().collect();
        assert_eq!(
            entries,
            [
                ("ab", "a"),
                ("ab\u{1}", "ab\u{1}"),
                ("db", "db"),
                ("outages", "outag"),
                ("zone", "zone")
            ]
        );
        assert_eq!(Vocabulary::merge([]).entries().count(), 0);
    }

    proptest::proptest! {
        /// Merging parts gives every word of every part once, in byte order: what sorting
        /// all their lines and keeping one of each word gives.
        #[test]
        fn merged_parts_hold_each_word_of_each_part_once_in_order(
            parts in proptest::collection::vec(
                proptest::collection::btree_set("[ab\u{e9}]{1,4}", 0..12), 0..6),
        ) {
            let packed: Vec<Arc<str>> = parts
                .iter()
                .map(|words| {
                    let pairs: Vec<(String, String)> =
                        words.iter().map(|w| (w.clone(), w.to_uppercase())).collect();
                    let pairs: Vec<(&str, &str)> =
                        pairs.iter().map(|(w, s)| (w.as_str(), s.as_str())).collect();
                    packed(&pairs)
                })
                .collect();
            let merged = Vocabulary::merge(packed.iter().map(|p| &**p));
            let mut expected: Vec<String> = parts.iter().flatten().cloned().collect();
            expected.sort();
            expected.dedup();
            let words: Vec<&str> = merged.entries().map(|(word, _)| word).collect();
            proptest::prop_assert_eq!(words, expected);
        }

        /// The binary search over the lines finds what reading every line finds.
        #[test]
        fn a_vocabulary_finds_each_word_and_each_prefix_as_a_scan_does(
            words in proptest::collection::btree_set("[ab\u{e9}]{1,5}", 0..40),
            probe in "[ab\u{e9}]{0,4}",
        ) {
            let pairs: Vec<(String, String)> = words.iter().map(|w| (w.clone(), w.to_uppercase())).collect();
            let pairs: Vec<(&str, &str)> = pairs.iter().map(|(w, s)| (w.as_str(), s.as_str())).collect();
            let vocabulary = Vocabulary::merge([&*packed(&pairs)]);
            for &(word, stem) in &pairs {
                proptest::prop_assert_eq!(vocabulary.stem(word), Some(stem));
            }
            let scanned: Vec<(&str, &str)> = pairs.iter().copied().filter(|(w, _)| w.starts_with(probe.as_str())).collect();
            proptest::prop_assert_eq!(vocabulary.starting_with(&probe).collect::<Vec<_>>(), scanned);
            let stem = words.contains(&probe).then(|| probe.to_uppercase());
            proptest::prop_assert_eq!(vocabulary.stem(&probe), stem.as_deref());
        }
    }
}
