//! The search index, exported for the browser: a pmsite-owned, versioned format of small
//! files that the search page loads with `<script>` tags (so it works from `file://` and on
//! any static host). See docs/SEARCH-DESIGN.md for why it is cut this way.
//!
//! Documents are numbered oldest first (export id `e` is the site's postmortem `N - 1 - e`),
//! so a new postmortem, dated after the others, renumbers none, and they are cut into
//! [`segments`]: blocks that newer postmortems never change, and a short tail. Each segment
//! has term files of its own, cut where the terms alone say ([`chunk_ranges`]) and named
//! by where they start ([`chunk_name`]), so a new postmortem rewrites a few of the tail's
//! files and an edited one a few of its segment's (docs/SEARCH-DESIGN.md, "Stable files").
//!
//! Every file is `pmsiteSearch.receive("<name>", <JSON>);`. Files:
//! - `manifest.js`: version, document count, BM25 constants, per field its boost, average
//!   length and whether it has norms, the fieldnorm table, the segments (first document,
//!   number of documents, where each of its term chunks starts: the shortest prefix of its
//!   first term that sorts after the previous chunk, or, for a long list, where each page
//!   of such starts begins), where each word chunk starts (the same way), the
//!   size of document groups, the incident URL pattern, the severities in rank order.
//! - `t/<start>/<name>.js`: a chunk of the terms of the segment whose first document is
//!   `start`, in UTF-8 byte order, each `[term, docs, masks, tfs, norms]` (see
//!   `term_entry`): the segment's documents holding the term in any field, per document a
//!   bit mask of those fields, per field the term frequencies and, for causes, fieldnorm
//!   ids. Body norms are in the segment's norms file; the other fields have none.
//! - `n/<start>/<field>.js`: the segment's fieldnorm ids in the body, in document order.
//! - `p/<start>/<name>.js`: for the same terms as the `t/` file of that name, in the same
//!   order, per field the positions of the term in each document (`tf` of them: the first,
//!   then deltas). Only exact-phrase queries load these. Each line of a field starts at a
//!   multiple of `stem::LINE_STRIDE`, so an edited sentence moves its own section's only.
//! - `w/<name>.js`: every word of the corpus in UTF-8 byte order, `"word"` when the word is
//!   its own stem, else `"word stem"`: the vocabulary a query word is looked up in (as
//!   `pmsite search` looks it up in the index folder's `vocabulary.txt`), so the client needs no
//!   stemmer of its own. A word that is not there is matched as a prefix in the same files.
//! - `y/<letter>-<length>.js`: the same entries, grouped by first letter (its code point,
//!   in hex) and length in characters: where a word is matched with one typo, which never
//!   changes its first letter (`query::resolve`).
//! - `d/<g>.js`: what a result shows, for documents `g*GROUP .. (g+1)*GROUP`: id, title,
//!   date, summary, services, severity.
//! - `f/<kind>.js`: a facet kind's values and which documents have them, loaded only when
//!   the reader opens that filter (at 100,000 postmortems severity and root cause alone
//!   are 88 KB gzipped).
//! - `w/i<name>.js`, `t/<start>/i<name>.js`: pages of a long list of chunk starts, which
//!   the manifest then gives as `{"pages": [...]}` (see `Starts`).
//!
//! Numbers lists are strings of base-32 varints: each number is written most significant
//! group first, every group but the last from `CONTINUE`, the last from `FINAL`.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;
use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::Postings;
use tantivy::schema::IndexRecordOption;
use tantivy::{DocSet, TERMINATED};

use super::{Fields, TEXT_FIELDS};
use crate::content::Postmortem;
use crate::site::{Site, url};

pub const FORMAT_VERSION: u32 = 6;
/// Target size of a large segment's term chunks, in bytes of JSON. A term whose postings
/// alone are half of this gets a chunk of its own, so a query for it does not also
/// download its neighbours.
const CHUNK_BYTES: usize = 8 * 1024;
/// Target size of a word chunk: a query loads one per word before it knows the stem, so
/// these are small.
const WORD_CHUNK_BYTES: usize = 1024;
/// A list of chunk starts longer than this is paged (see [`Starts`]): inline, its starts
/// cost every first query about 3 bytes each, gzipped; paged, each query reads one page of
/// about [`PAGE_STARTS`] per word and per segment, a few hundred bytes.
const INLINE_STARTS: usize = 2048;
/// About this many starts to a page: a start begins a page when its hash says so, one time
/// in this many (and a page holds at most four times as many).
const PAGE_STARTS: usize = 64;
/// Documents per metadata file. Ten results come from up to ten files, so small groups
/// (but not one file per document: some hosts cap file counts).
pub const GROUP: usize = 4;

/// Where the word files are, `/` included.
const WORDS_DIR: &str = "w/";

const FINAL: &[u8; 32] = b"0123456789abcdefghijklmnopqrstuv";
const CONTINUE: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ!#$%&*";

/// A file of the export: its path under `search/` and its contents.
pub struct File {
    pub path: String,
    pub contents: String,
}

#[derive(Serialize)]
struct Manifest {
    version: u32,
    docs: u32,
    k1: f32,
    b: f32,
    fields: Vec<FieldInfo>,
    /// `norms[id]` is the field length a fieldnorm id stands for.
    norms: Vec<u32>,
    /// The segments, oldest documents first.
    segments: Vec<SegmentInfo>,
    /// Where each word chunk starts: a prefix of its first word.
    words: Starts,
    group: usize,
    /// An incident page's path, `{id}` standing for the postmortem id.
    incident: String,
    /// Severity names, most severe first.
    severities: Vec<String>,
}

/// A segment of the export: its first document, its number of documents, and where each of
/// its term chunks starts (a prefix of its first term, which also names its files).
#[derive(Clone, Serialize)]
struct SegmentInfo {
    start: u32,
    docs: u32,
    terms: Starts,
}

/// Where each chunk of a list starts (the [`boundary`] of its first key), as the manifest
/// gives it: the list itself (a JSON array), or, once it is longer than an inline limit,
/// `{"pages": [...]}`, the first start of each of its pages, every page a file of its own
/// (`<dir>i<chunk_name of its first start>.js`, an array of starts) that a query reads only
/// where its words fall. On a large archive the starts were most of the manifest, which
/// every first query loads (72 KB of 300 at 100,000 postmortems).
#[derive(Clone)]
struct Starts {
    all: Vec<String>,
    /// The pages (ranges of `all`), when paged.
    pages: Option<Vec<Range<usize>>>,
}

impl Starts {
    fn new(all: Vec<String>, limits: Limits) -> Starts {
        let pages = (all.len() > limits.inline_starts).then(|| pages(&all, limits.page_starts));
        Starts { all, pages }
    }

    /// Each page's file (under `dir`, without `.js`) and its starts.
    fn page_files<'s>(&'s self, dir: &'s str) -> impl Iterator<Item = (String, &'s [String])> + 's {
        self.pages
            .iter()
            .flatten()
            .map(move |page| (page_file(dir, &self.all[page.start]), &self.all[page.clone()]))
    }

    /// Writes the page files, if paged.
    fn emit_pages<E>(
        &self,
        dir: &str,
        emit: &(dyn Fn(File) -> Result<(), Error<E>> + Sync),
    ) -> Result<(), Error<E>> {
        for (name, starts) in self.page_files(dir) {
            let json = serde_json::to_string(starts).unwrap_or_default();
            emit(file(&format!("{name}.js"), &name, &json))?;
        }
        Ok(())
    }
}

impl Serialize for Starts {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.pages {
            None => self.all.serialize(serializer),
            Some(pages) => {
                use serde::ser::SerializeMap;
                let firsts: Vec<&str> = pages.iter().map(|page| self.all[page.start].as_str()).collect();
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("pages", &firsts)?;
                map.end()
            }
        }
    }
}

/// A page of starts' file, without `.js`: `i` and the chunk name of its first start (chunk
/// files' names begin with `_`, so the two never meet).
fn page_file(dir: &str, first: &str) -> String {
    format!("{dir}i{}", chunk_name(first))
}

/// Cuts a list of starts into pages of about `size` where the starts alone say: one begins
/// a page when its hash is 0 modulo `size`, or when the page already holds four times that.
/// A chunk split or joined then changes its own page's file and the manifest, no other page.
fn pages(starts: &[String], size: usize) -> Vec<Range<usize>> {
    let size = size.max(1);
    let mut pages: Vec<Range<usize>> = Vec::new();
    for (i, start) in starts.iter().enumerate() {
        match pages.last_mut() {
            Some(page) if page.len() < 4 * size && !fnv1a(start.as_bytes()).is_multiple_of(size as u64) => {
                page.end = i + 1
            }
            _ => pages.push(i..i + 1),
        }
    }
    pages
}

#[derive(Serialize)]
struct FieldInfo {
    name: &'static str,
    boost: f32,
    /// Average length in tokens, as tantivy computes it: total tokens / documents.
    avg: f32,
    /// The length every document has in a field without norms (tantivy's constant).
    #[serde(skip_serializing_if = "Option::is_none")]
    fixed: Option<u32>,
}

pub fn varints(values: impl IntoIterator<Item = u32>) -> String {
    let values = values.into_iter();
    let mut out = String::with_capacity(values.size_hint().0);
    for value in values {
        push_varint(&mut out, value);
    }
    out
}

/// Appends one number to a list of varints.
fn push_varint(out: &mut String, mut value: u32) {
    let mut groups = [0u8; 7];
    let mut n = 0;
    loop {
        groups[n] = (value & 31) as u8;
        n += 1;
        value >>= 5;
        if value == 0 {
            break;
        }
    }
    for i in (0..n).rev() {
        let alphabet = if i == 0 { FINAL } else { CONTINUE };
        out.push(alphabet[groups[i] as usize] as char);
    }
}

pub fn decode_varints(text: &str) -> Vec<u32> {
    let mut out = Vec::new();
    let mut value: u32 = 0;
    for byte in text.bytes() {
        if let Some(d) = CONTINUE.iter().position(|&c| c == byte) {
            value = (value << 5) | d as u32;
        } else if let Some(d) = FINAL.iter().position(|&c| c == byte) {
            out.push((value << 5) | d as u32);
            value = 0;
        }
    }
    out
}

/// The export's segments of an archive of `docs` documents, as ranges of export ids
/// (oldest first): as many blocks of the largest of [`LEVELS`] as fit, then of the next
/// level, down to the smallest, then the rest, a tail shorter than the smallest block.
/// Each segment has term files of its own. A block never changes when newer documents
/// arrive: the tail grows until it is a block, and the blocks of one level, once there
/// are as many as make one block of the next, become that block (as the segments of a
/// log-structured merge tree do). Adding a document thus changes the tail's files, and
/// now and then rewrites the blocks of a merge: amortized, a few files per document.
pub fn segments(docs: usize) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for size in LEVELS {
        while docs - start >= size {
            out.push(start..start + size);
            start += size;
        }
    }
    if start < docs {
        out.push(start..docs);
    }
    out
}

/// Block sizes of [`segments`], largest first: each level holds up to seven blocks, so a
/// query reads one term chunk from up to 7 per level (10 at 10,000 documents, 13 at
/// 100,000).
const LEVELS: [usize; 4] = [32_768, 4_096, 512, 64];

/// Target size of a segment's term chunks, 4 bytes per document: a query for a rare term
/// reads one chunk per segment, so small segments get small chunks (never under 1 KiB, or
/// the tail would be many tiny files, most of them changed by the next postmortem). At 2
/// bytes per document, the 512-blocks were half of all the files; at 8, a following query
/// read a fifth more (docs/SEARCH-DESIGN.md).
fn chunk_target(docs: usize) -> usize {
    (docs * 4).clamp(1024, CHUNK_BYTES)
}

/// One term's postings in one field of one segment, in export order.
#[derive(Default)]
struct FieldPostings {
    /// Document ids in the segment (0 is its first), ascending.
    docs: Vec<u32>,
    /// Term frequency per document.
    tfs: Vec<u32>,
    /// Fieldnorm id per document, for a field whose norms are inline; else empty.
    norms: Vec<u8>,
    /// Each document's positions, `tfs[i]` of them, ascending, document after document.
    positions: Vec<u32>,
}

/// Terms (as bytes) and their postings in one field.
type Terms = Vec<(Vec<u8>, FieldPostings)>;

/// One tantivy segment of the index (an index part): its reader and the site index of its
/// first document.
#[derive(Clone, Copy)]
struct Part<'a> {
    reader: &'a tantivy::SegmentReader,
    base: u32,
}

/// An index part before the export segment it is inside opens it ([`Part`]).
///
/// The index's files are mapped, and a page of a mapping read once stays in the process's
/// memory until the mapping goes: read through readers held for the whole export, every
/// part's files were resident by its end (43 MiB at 10,000 postmortems, the peak of a
/// build and of a preview's search stage). Opened per export segment, the mappings go
/// with the segment's readers.
struct Unopened<'a> {
    segment: &'a tantivy::Segment,
    base: u32,
}

/// Why reading a segment's postings did not finish.
enum Unread {
    Index(tantivy::TantivyError),
    /// [`Out::stop`] was set.
    Stopped,
}

impl From<tantivy::TantivyError> for Unread {
    fn from(e: tantivy::TantivyError) -> Self {
        Unread::Index(e)
    }
}

impl From<std::io::Error> for Unread {
    fn from(e: std::io::Error) -> Self {
        Unread::Index(e.into())
    }
}

impl<E> From<Unread> for Error<E> {
    fn from(unread: Unread) -> Self {
        match unread {
            Unread::Index(e) => Error::Index(e),
            Unread::Stopped => Error::Stopped,
        }
    }
}

/// Terms read between two looks at the stop flag: reading a large segment's body takes a
/// few hundred milliseconds, which an edit should not wait for.
const TERMS_BETWEEN_STOPS: usize = 1024;

/// Terms from `from` (inclusive, or the first) to `to` (exclusive, or the last), in byte
/// order: a batch of a segment's terms ([`term_batches`]).
struct TermBounds<'a> {
    from: Option<&'a [u8]>,
    to: Option<&'a [u8]>,
}

/// Reads one field of one export segment (`range`, export ids) from the index parts
/// inside it: per term within `bounds`, in byte order, its postings in export order.
/// `docs` is the archive's size (export id `e` is the site's postmortem `docs - 1 - e`).
fn field_postings(
    parts: &[Part<'_>],
    range: &Range<usize>,
    docs: u32,
    field: tantivy::schema::Field,
    inline_norms: bool,
    bounds: &TermBounds<'_>,
    stop: &AtomicBool,
) -> Result<Terms, Unread> {
    // Parts are in site order, newest first: read oldest first (side by side: a segment of
    // the body, most of the work, has a part per core), each part's postings reversed, so
    // that every term's lists come out in ascending export ids.
    let mut read: Vec<Terms> = parts
        .par_iter()
        .rev()
        .map(|part| {
            let local = |doc: u32| docs - 1 - (part.base + doc) - range.start as u32;
            part_postings(part.reader, field, inline_norms, local, bounds, stop)
        })
        .collect::<Result<_, Unread>>()?;
    if read.len() == 1 {
        return Ok(read.pop().unwrap_or_default());
    }
    let mut all: Terms = read.into_iter().flatten().collect();
    // Stable: the same term's lists stay in part order, which is ascending export order.
    all.sort_by(|a, b| a.0.cmp(&b.0));
    let mut merged: Terms = Vec::with_capacity(all.len());
    for (term, postings) in all {
        match merged.last_mut() {
            Some((last, into)) if *last == term => {
                into.docs.extend(postings.docs);
                into.tfs.extend(postings.tfs);
                into.norms.extend(postings.norms);
                into.positions.extend(postings.positions);
            }
            _ => merged.push((term, postings)),
        }
    }
    Ok(merged)
}

/// One index part's terms of one field within `bounds`, in byte order, with their postings
/// in export order (`local` maps the part's document ids to the segment's, which run the
/// other way).
fn part_postings(
    segment: &tantivy::SegmentReader,
    field: tantivy::schema::Field,
    inline_norms: bool,
    local: impl Fn(u32) -> u32,
    bounds: &TermBounds<'_>,
    stop: &AtomicBool,
) -> Result<Terms, Unread> {
    let inverted = segment.inverted_index(field)?;
    let norms = if inline_norms {
        Some(segment.get_fieldnorms_reader(field)?)
    } else {
        None
    };
    let mut out = Vec::new();
    let mut terms = inverted.terms().range();
    if let Some(from) = bounds.from {
        terms = terms.ge(from);
    }
    if let Some(to) = bounds.to {
        terms = terms.lt(to);
    }
    let mut stream = terms.into_stream()?;
    while stream.advance() {
        if out.len() % TERMS_BETWEEN_STOPS == 0 && stop.load(Ordering::Relaxed) {
            return Err(Unread::Stopped);
        }
        let mut postings =
            inverted.read_postings_from_terminfo(stream.value(), IndexRecordOption::WithFreqsAndPositions)?;
        let count = stream.value().doc_freq as usize;
        // Read in the part's order (descending export ids), then turned around.
        let mut read = FieldPostings {
            docs: Vec::with_capacity(count),
            tfs: Vec::with_capacity(count),
            norms: Vec::new(),
            positions: Vec::new(),
        };
        let mut in_part_order: Vec<u32> = Vec::new();
        while postings.doc() != TERMINATED {
            let doc = postings.doc();
            read.docs.push(local(doc));
            read.tfs.push(postings.term_freq());
            if let Some(norms) = &norms {
                read.norms.push(norms.fieldnorm_id(doc));
            }
            postings.append_positions_with_offset(0, &mut in_part_order);
            postings.advance();
        }
        // Each document's positions, last document first.
        read.positions.reserve_exact(in_part_order.len());
        let mut end = in_part_order.len();
        for &tf in read.tfs.iter().rev() {
            read.positions
                .extend_from_slice(&in_part_order[end - tf as usize..end]);
            end -= tf as usize;
        }
        read.docs.reverse();
        read.tfs.reverse();
        read.norms.reverse();
        out.push((stream.key().to_vec(), read));
    }
    Ok(out)
}

/// A term's entry in a segment's `t/` file, `[term, docs, fields, tfs, norms]`: the
/// documents holding the term in any field (delta-coded), per document a bit mask of
/// those fields, then per field its term frequencies and inline norms, for the documents
/// whose mask has the field. Fields often hold a term in the same documents (a service
/// named in the title, the summary and the labels), and the ids are written once. Also
/// returns the term's entry of the `p/` file: per field, each of those documents'
/// positions (the first, then deltas).
fn term_entry(term: &str, per_field: &[Option<FieldPostings>]) -> (String, String) {
    let mut docs: Vec<u32> = Vec::new();
    for postings in per_field.iter().flatten() {
        docs = union(&docs, &postings.docs);
    }
    let mut masks = vec![0u32; docs.len()];
    for (f, postings) in per_field.iter().enumerate() {
        let Some(postings) = postings else { continue };
        // Both ascending: one walk.
        let mut at = 0;
        for doc in &postings.docs {
            while docs[at] < *doc {
                at += 1;
            }
            masks[at] |= 1 << f;
        }
    }
    let mut previous = 0;
    let deltas = docs.iter().map(|&d| {
        let delta = d - previous;
        previous = d;
        delta
    });
    let column = |pick: fn(&FieldPostings) -> String| -> Vec<String> {
        per_field
            .iter()
            .map(|p| p.as_ref().map_or_else(String::new, pick))
            .collect()
    };
    let tfs = column(|p| varints(p.tfs.iter().copied()));
    let norms = column(|p| varints(p.norms.iter().map(|&n| u32::from(n))));
    let (docs, masks) = (varints(deltas), varints(masks));
    let json = serde_json::to_string(&(term, docs, masks, tfs, norms)).unwrap_or_default();
    let positions = column(|p| {
        let mut out = String::new();
        let mut at = 0;
        for &tf in &p.tfs {
            let mut previous = 0;
            for &position in &p.positions[at..at + tf as usize] {
                push_varint(&mut out, position - previous);
                previous = position;
            }
            at += tf as usize;
        }
        out
    });
    (json, serde_json::to_string(&positions).unwrap_or_default())
}

/// The ids in either of two ascending lists, ascending, once each.
fn union(a: &[u32], b: &[u32]) -> Vec<u32> {
    if a.is_empty() {
        return b.to_vec();
    }
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let next = a[i].min(b[j]);
        out.push(next);
        i += usize::from(a[i] == next);
        j += usize::from(b[j] == next);
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// Why an export failed: reading the index, or writing a file.
#[derive(Debug)]
pub enum Error<E> {
    Index(tantivy::TantivyError),
    Write(E),
    /// [`Out::stop`] was set.
    Stopped,
}

impl<E> From<tantivy::TantivyError> for Error<E> {
    fn from(e: tantivy::TantivyError) -> Self {
        Error::Index(e)
    }
}

/// What an export wrote for each segment, by what the segment was made of: a preview's
/// next export keeps the files of a segment whose documents are the same (most of the
/// bytes) instead of reading them out of the index again.
#[derive(Clone, Default)]
pub struct Exported(FxHashMap<u64, SegmentInfo>);

/// Where an export's files go: `write` takes a path under `search/` and the contents;
/// `keep` says a file is to stay as the export remembered in [`Exported`] wrote it, and
/// whether it is there.
pub struct Out<'a, E> {
    pub write: &'a (dyn Fn(&str, &str) -> Result<(), E> + Sync),
    pub keep: &'a (dyn Fn(&str) -> bool + Sync),
    /// Once set, the export gives up ([`Error::Stopped`]) at its next file or while
    /// reading a segment.
    pub stop: &'a AtomicBool,
}

/// Exports a built index of `site`: postings, the word -> stem map, documents, facets.
/// Each file goes to `out` as soon as it is made, from several threads: on a large archive
/// they are tens of megabytes, better not held at once. The files of a segment that
/// `previous` says were written from the same documents are kept instead.
pub fn export<E: Send>(
    built: &super::Built,
    site: &Site<'_>,
    out: Out<'_, E>,
    previous: Option<&Exported>,
) -> Result<Exported, Error<E>> {
    export_with(built, site, out, previous, LIMITS)
}

/// How an export cuts its reading and its lists: the same in every build (tests shrink
/// them to reach their other side on a small archive).
#[derive(Clone, Copy)]
struct Limits {
    /// A segment's terms are read in batches of about this many postings.
    batch_postings: u64,
    /// Lists of chunk starts longer than this are paged ([`Starts`]).
    inline_starts: usize,
    /// About this many starts to a page.
    page_starts: usize,
}

const LIMITS: Limits = Limits {
    batch_postings: BATCH_POSTINGS,
    inline_starts: INLINE_STARTS,
    page_starts: PAGE_STARTS,
};

/// [`export`] with other [`Limits`].
fn export_with<E: Send>(
    built: &super::Built,
    site: &Site<'_>,
    out: Out<'_, E>,
    previous: Option<&Exported>,
    limits: Limits,
) -> Result<Exported, Error<E>> {
    let write = out.write;
    let (index, words) = (&built.index, &built.words);
    let fields = Fields::from_schema(&index.schema())?;
    let index_parts = index.searchable_segments()?;
    let docs: u32 = index_parts.iter().map(|segment| segment.meta().num_docs()).sum();
    let emit = |file: File| write(&file.path, &file.contents).map_err(Error::Write);
    let text_fields = fields.text_fields();
    let parts: Vec<Unopened> = index_parts
        .iter()
        .zip(super::segment_bases(
            index_parts.iter().map(|segment| segment.meta().max_doc()),
        ))
        .map(|(segment, base)| Unopened { segment, base })
        .collect();

    // Segments one after the other: each holds its terms in memory while its files are
    // made, and its index parts open while it reads them.
    let body = body_position(&fields);
    let mut exported = Exported::default();
    let mut segment_infos = Vec::new();
    for range in segments(docs as usize) {
        let digest = segment_digest(site, &range);
        let info = match previous.and_then(|p| p.0.get(&digest)) {
            Some(info) if segment_files(info, body).all(|path| (out.keep)(&path)) => info.clone(),
            _ => export_segment(&parts, range, docs, &fields, &emit, out.stop, limits)?,
        };
        exported.0.insert(digest, info.clone());
        segment_infos.push(info);
    }

    // Each field's tokens over the whole index, a part opened at a time.
    let mut tokens = vec![0u64; text_fields.len()];
    for part in &parts {
        let reader = tantivy::SegmentReader::open(part.segment)?;
        for (total, &(field, _)) in tokens.iter_mut().zip(&text_fields) {
            *total += reader.inverted_index(field)?.total_num_tokens();
        }
    }
    let mut infos = Vec::new();
    for ((&(_, boost), info), total_tokens) in text_fields.iter().zip(TEXT_FIELDS).zip(tokens) {
        let avg = if docs == 0 {
            0.0
        } else {
            total_tokens as f32 / docs as f32
        };
        // What tantivy scores a field without norms with: `FieldNormReader::constant(_, 1)`.
        let fixed =
            (!info.norms).then(|| FieldNormReader::id_to_fieldnorm(FieldNormReader::fieldnorm_to_id(1)));
        infos.push(FieldInfo {
            name: info.name,
            boost,
            avg,
            fixed,
        });
    }

    // The vocabulary, in byte order, then again by first letter and length for typos. Each
    // is made from `words` as it is read, pass by pass: held as entries, a large archive's
    // vocabulary was most of a preview's search stage (20 MiB at 10,000 postmortems).
    let ranges = chunk_ranges(
        words
            .entries()
            .map(|(word, stem)| (word, word_entry(word, stem).len())),
        WORD_CHUNK_BYTES,
    );
    let word_starts = Starts::new(
        chunk_starts(&ranges, words.entries().map(|(word, _)| word)),
        limits,
    );
    word_starts.emit_pages(WORDS_DIR, &emit)?;
    let mut entries = words.entries();
    for (range, boundary) in ranges.iter().zip(&word_starts.all) {
        let items: Vec<String> = entries
            .by_ref()
            .take(range.len())
            .map(|(word, stem)| word_entry(word, stem))
            .collect();
        let name = format!("{WORDS_DIR}{}", chunk_name(boundary));
        emit(file(
            &format!("{name}.js"),
            &name,
            &format!("[{}]", items.join(",")),
        ))?;
    }
    // Words of one first letter are side by side in byte order: a letter's buckets are
    // written when the next letter begins.
    let mut letter = None;
    let mut by_length: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let write_letter = |by_length: &mut BTreeMap<String, Vec<String>>| -> Result<(), Error<E>> {
        for (bucket, items) in std::mem::take(by_length) {
            emit(file(
                &format!("y/{bucket}.js"),
                &format!("y{bucket}"),
                &format!("[{}]", items.join(",")),
            ))?;
        }
        Ok(())
    };
    for (word, stem) in words.entries() {
        let first = word.chars().next();
        if first != letter {
            write_letter(&mut by_length)?;
            letter = first;
        }
        by_length
            .entry(typo_bucket(word))
            .or_default()
            .push(word_entry(word, stem));
    }
    write_letter(&mut by_length)?;

    let oldest_first: Vec<&Postmortem> = site.postmortems.iter().rev().copied().collect();
    for (g, group) in oldest_first.chunks(GROUP).enumerate() {
        let rows: Vec<serde_json::Value> = group
            .iter()
            .map(|pm| {
                serde_json::json!([
                    pm.id,
                    pm.title,
                    pm.started_at.date().format("%Y-%m-%d").to_string(),
                    pm.summary,
                    pm.services,
                    pm.severity,
                ])
            })
            .collect();
        let body = serde_json::to_string(&rows).unwrap_or_default();
        emit(file(&format!("d/{g}.js"), &format!("d{g}"), &body))?;
    }

    for facet in facet_files(site) {
        emit(facet)?;
    }

    let manifest = Manifest {
        version: FORMAT_VERSION,
        docs,
        k1: 1.2,
        b: 0.75,
        fields: infos,
        norms: (0..=255u8).map(FieldNormReader::id_to_fieldnorm).collect(),
        segments: segment_infos,
        words: word_starts,
        group: GROUP,
        incident: url::incident("{id}"),
        severities: site.config.severities.iter().map(|s| s.name.clone()).collect(),
    };
    let body = serde_json::to_string(&manifest).unwrap_or_default();
    emit(file("manifest.js", "manifest", &body))?;
    Ok(exported)
}

/// What the files of an export segment (`range`, export ids) are made of: its documents and
/// where it starts (which its files' paths and document numbers say).
fn segment_digest(site: &Site<'_>, range: &Range<usize>) -> u64 {
    let docs = site.postmortems.len();
    let oldest_first = site.postmortems[docs - range.end..docs - range.start]
        .iter()
        .rev();
    let salt = [range.start.to_le_bytes(), range.len().to_le_bytes()].concat();
    super::documents_digest(oldest_first.copied(), &salt)
}

/// The body's position among the text fields: it names the segment's norms file.
fn body_position(fields: &Fields) -> usize {
    fields
        .text_fields()
        .iter()
        .position(|&(f, _)| f == fields.body)
        .unwrap_or_default()
}

/// The files of a segment's terms: `t/` and `p/` chunk files, without `.js`.
fn chunk_files(start: usize, boundary: &str) -> [String; 2] {
    let name = chunk_name(boundary);
    [format!("{}{name}", terms_dir(start)), format!("p/{start}/{name}")]
}

/// Where a segment's term files are, `/` included: its term chunks and pages of starts.
fn terms_dir(start: usize) -> String {
    format!("t/{start}/")
}

/// The segment's body norms file, without `.js`.
fn norms_file(start: usize, body: usize) -> String {
    format!("n/{start}/{body}")
}

/// Every file an export segment writes.
fn segment_files(info: &SegmentInfo, body: usize) -> impl Iterator<Item = String> + '_ {
    let start = info.start as usize;
    let dir = terms_dir(start);
    let pages: Vec<String> = info.terms.page_files(&dir).map(|(name, _)| name).collect();
    info.terms
        .all
        .iter()
        .flat_map(move |boundary| chunk_files(start, boundary))
        .chain([norms_file(start, body)])
        .chain(pages)
        .map(|name| format!("{name}.js"))
}

/// A chunk's file name (without `.js`) from its boundary in the manifest, which the client
/// has: the boundary itself, letters and digits as they are and any other byte as `~`
/// and two hex digits, after `_` (so no name is empty or one Windows reserves). Named by
/// what starts it, not by its place, a chunk keeps its name when one before it splits.
pub fn chunk_name(boundary: &str) -> String {
    let mut out = String::from("_");
    for byte in boundary.bytes() {
        if byte.is_ascii_lowercase() || byte.is_ascii_digit() {
            out.push(byte as char);
        } else {
            out.push_str(&format!("~{byte:02x}"));
        }
    }
    out
}

/// Writes the term, position and body-norm files of one segment (`range`, export ids) of
/// an archive of `docs` documents, read from the index parts inside it; returns what the
/// manifest says of it.
fn export_segment<E: Send>(
    parts: &[Unopened<'_>],
    range: Range<usize>,
    docs: u32,
    fields: &Fields,
    emit: &(dyn Fn(File) -> Result<(), Error<E>> + Sync),
    stop: &AtomicBool,
    limits: Limits,
) -> Result<SegmentInfo, Error<E>> {
    // The index parts inside this segment: the build cuts its parts at segment bounds
    // (`index::parts`).
    let site_range = (docs as usize - range.end) as u32..(docs as usize - range.start) as u32;
    let opened: Vec<(tantivy::SegmentReader, u32)> = parts
        .iter()
        .filter(|p| site_range.contains(&p.base))
        .map(|p| Ok((tantivy::SegmentReader::open(p.segment)?, p.base)))
        .collect::<tantivy::Result<_>>()?;
    let inside: Vec<Part<'_>> = opened
        .iter()
        .map(|(reader, base)| Part { reader, base: *base })
        .collect();
    let covered: u32 = inside.iter().map(|p| p.reader.max_doc()).sum();
    if covered as usize != range.len() {
        return Err(Error::Index(tantivy::TantivyError::InternalError(format!(
            "the index's parts are not cut at the export's segments ({range:?})"
        ))));
    }
    // The terms batch by batch, each read, made into entries and written before the next:
    // a large segment's postings are a hundred megabytes and more (a quarter of a build's
    // peak at 10,000 postmortems). Runs are cut entry by entry as [`chunk_ranges`] cuts
    // them, so the files are the same whatever the batches.
    let start = range.start;
    let mut runs = Runs::new(chunk_target(range.len()));
    let mut open: Vec<TermEntry> = Vec::new();
    let mut last_before_open: Option<String> = None;
    let mut starts = Vec::new();
    let splits = term_batches(&inside, fields.body, range.len(), limits.batch_postings)?;
    for batch in 0..=splits.len() {
        let bounds = TermBounds {
            from: batch.checked_sub(1).map(|b| splits[b].as_slice()),
            to: splits.get(batch).map(Vec::as_slice),
        };
        let mut full: Vec<(String, Vec<TermEntry>)> = Vec::new();
        for entry in term_entries(&inside, &range, docs, fields, &bounds, stop)? {
            if runs.starts(&entry.term, entry.json.len()) && !open.is_empty() {
                let run = std::mem::take(&mut open);
                let boundary = boundary(last_before_open.as_deref(), &run[0].term);
                last_before_open = run.last().map(|e| e.term.clone());
                starts.push(boundary.clone());
                full.push((boundary, run));
            }
            open.push(entry);
        }
        full.par_iter()
            .try_for_each(|(boundary, run)| write_chunk(start, boundary, run, emit))?;
    }
    if !open.is_empty() {
        let boundary = boundary(last_before_open.as_deref(), &open[0].term);
        write_chunk(start, &boundary, &open, emit)?;
        starts.push(boundary);
    }
    // The body's norms, for this segment's documents in export order.
    let mut norms = Vec::with_capacity(range.len());
    for part in inside.iter().rev() {
        let reader = part.reader.get_fieldnorms_reader(fields.body)?;
        norms.extend(
            (0..part.reader.max_doc())
                .rev()
                .map(|doc| u32::from(reader.fieldnorm_id(doc))),
        );
    }
    let name = norms_file(start, body_position(fields));
    emit(file(
        &format!("{name}.js"),
        &name,
        &format!("\"{}\"", varints(norms)),
    ))?;
    let terms = Starts::new(starts, limits);
    terms.emit_pages(&terms_dir(start), emit)?;
    Ok(SegmentInfo {
        start: start as u32,
        docs: range.len() as u32,
        terms,
    })
}

/// A term of a segment, with its entries in the `t/` and `p/` files ([`term_entry`]).
struct TermEntry {
    term: String,
    json: String,
    positions: String,
}

/// The entries of a segment's terms within `bounds`, in byte order: every text field's
/// postings read side by side, then each term's entry made.
fn term_entries(
    inside: &[Part<'_>],
    range: &Range<usize>,
    docs: u32,
    fields: &Fields,
    bounds: &TermBounds<'_>,
    stop: &AtomicBool,
) -> Result<Vec<TermEntry>, Unread> {
    // The fields side by side; only causes keep their norms inline (see the module doc).
    let per_field: Vec<Result<Terms, Unread>> = fields
        .text_fields()
        .par_iter()
        .zip(TEXT_FIELDS)
        .map(|(&(field, _), info)| {
            let inline_norms = info.norms && field != fields.body;
            field_postings(inside, range, docs, field, inline_norms, bounds, stop)
        })
        .collect();
    let mut terms: BTreeMap<Vec<u8>, Vec<Option<FieldPostings>>> = BTreeMap::new();
    for (n, read) in per_field.into_iter().enumerate() {
        for (term, postings) in read? {
            let entry = terms
                .entry(term)
                .or_insert_with(|| (0..TEXT_FIELDS.len()).map(|_| None).collect());
            entry[n] = Some(postings);
        }
    }
    Ok(terms
        .into_iter()
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|(term, per_field)| {
            let term = String::from_utf8_lossy(&term).into_owned();
            let (json, positions) = term_entry(&term, &per_field);
            TermEntry {
                term,
                json,
                positions,
            }
        })
        .collect())
}

/// About this many of a segment's postings (documents holding a term, in the body) are
/// read and written at once, with their positions and JSON. A preview's edit exports its
/// segment again, and a batch was most of that: 250,000 postings were 20 MiB of the
/// preview's peak at 10,000 postmortems; 60,000 export in the same time (0.65-0.74 s).
const BATCH_POSTINGS: u64 = 60_000;

/// Terms that cut a segment's terms into batches of about `batch_postings` postings:
/// batch `i` runs from split `i - 1` (or the first term) up to split `i` (or past the
/// last). Counted in the body of the segment's largest part, which holds most postings,
/// scaled to the segment's documents (`docs`).
fn term_batches(
    inside: &[Part<'_>],
    body: tantivy::schema::Field,
    docs: usize,
    batch_postings: u64,
) -> Result<Vec<Vec<u8>>, Unread> {
    let Some(largest) = inside.iter().max_by_key(|p| p.reader.max_doc()) else {
        return Ok(Vec::new());
    };
    let terms = largest.reader.inverted_index(body)?;
    let mut postings = 0u64;
    let mut stream = terms.terms().stream()?;
    while stream.advance() {
        postings += u64::from(stream.value().doc_freq);
    }
    let scale = docs as u64 / u64::from(largest.reader.max_doc().max(1)).max(1);
    let batches = (postings * scale.max(1)).div_ceil(batch_postings.max(1)).max(1);
    let per_batch = postings.div_ceil(batches).max(1);
    let mut splits = Vec::new();
    let (mut stream, mut counted) = (terms.terms().stream()?, 0u64);
    while stream.advance() {
        if counted >= per_batch * (splits.len() as u64 + 1) {
            splits.push(stream.key().to_vec());
        }
        counted += u64::from(stream.value().doc_freq);
    }
    Ok(splits)
}

/// Writes the `t/` and `p/` files of one run of a segment's terms (first document
/// `start`), named by its `boundary`.
fn write_chunk<E>(
    start: usize,
    boundary: &str,
    run: &[TermEntry],
    emit: &(dyn Fn(File) -> Result<(), Error<E>> + Sync),
) -> Result<(), Error<E>> {
    // Written as the files' text from the start: these are most of the export's bytes.
    let [t, p] = chunk_files(start, boundary);
    let (mut postings, mut positions) = (file_start(&t), file_start(&p));
    postings.push('[');
    positions.push('[');
    for (i, entry) in run.iter().enumerate() {
        if i > 0 {
            postings.push(',');
            positions.push(',');
        }
        postings.push_str(&entry.json);
        positions.push_str(&entry.positions);
    }
    for text in [&mut postings, &mut positions] {
        text.push(']');
        text.push_str(FILE_END);
    }
    emit(File {
        path: format!("{t}.js"),
        contents: postings,
    })?;
    emit(File {
        path: format!("{p}.js"),
        contents: positions,
    })
}

/// The typo file of a word: `<first letter's code point, hex>-<length in characters>`.
fn typo_bucket(word: &str) -> String {
    let first = word.chars().next().map_or(0, u32::from);
    format!("{first:x}-{}", word.chars().count())
}

/// `f/<kind>.js`: a facet kind's values (as taxonomy pages name them) and, per document in
/// id order, the indices of its values: a count then the indices, as varints. Enough for
/// filters and live counts over any set of results, with an empty query too. One file per
/// kind, so the client loads tags (the largest) only when they are asked for.
fn facet_files(site: &Site<'_>) -> Vec<File> {
    let mut files = Vec::new();
    for kind in crate::site::TaxonomyKind::ALL {
        let key = kind.key();
        let taxonomy = site.taxonomy(kind);
        let values: Vec<&str> = taxonomy.terms.iter().map(|t| t.name.as_str()).collect();
        let docs = site.postmortems.len();
        let mut per_doc: Vec<Vec<u32>> = vec![Vec::new(); docs];
        for (value, term) in taxonomy.terms.iter().enumerate() {
            for &member in &term.members {
                per_doc[docs - 1 - member].push(value as u32);
            }
        }
        let encoded = varints(per_doc.into_iter().flat_map(|values| {
            let mut v = vec![values.len() as u32];
            v.extend(values);
            v
        }));
        let json = serde_json::json!({ "values": values, "docs": encoded }).to_string();
        files.push(file(&format!("f/{key}.js"), &format!("f-{key}"), &json));
    }
    files
}

fn file(path: &str, name: &str, json: &str) -> File {
    let mut contents = file_start(name);
    contents.push_str(json);
    contents.push_str(FILE_END);
    File {
        path: path.to_string(),
        contents,
    }
}

/// A file's text up to its JSON: `pmsiteSearch.receive("<name>",`.
fn file_start(name: &str) -> String {
    format!("pmsiteSearch.receive(\"{name}\",")
}

/// A file's text after its JSON.
const FILE_END: &str = ");\n";

/// The shortest prefix of a chunk's first key that still sorts after the previous chunk's
/// last key: enough for the client to find the chunk of any key, in fewer manifest bytes.
fn boundary(last_before: Option<&str>, first: &str) -> String {
    let Some(last) = last_before else {
        return String::new();
    };
    first
        .char_indices()
        .map(|(at, c)| &first[..at + c.len_utf8()])
        .find(|prefix| *prefix > last)
        .unwrap_or(first)
        .to_string()
}

/// Where each chunk starts, for the manifest: the [`boundary`] of its first key (`keys`:
/// every entry's, in order).
fn chunk_starts<'a>(ranges: &[Range<usize>], keys: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut starts = ranges.iter().map(|range| range.start).peekable();
    let mut boundaries = Vec::with_capacity(ranges.len());
    let mut previous = None;
    for (i, key) in keys.enumerate() {
        if starts.next_if_eq(&i).is_some() {
            boundaries.push(boundary(previous, key));
        }
        previous = Some(key);
    }
    boundaries
}

/// A word as the `w/` and `y/` files list it: itself, or itself and its stem.
fn word_entry(word: &str, stem: &str) -> String {
    let entry = match word == stem {
        true => word.to_string(),
        false => format!("{word} {stem}"),
    };
    serde_json::to_string(&entry).unwrap_or_default()
}

/// Cuts entries (key, JSON size), in key order, into runs of about `target` bytes, where
/// the entries alone say: an entry starts a run when it or the entry before it is half the
/// target or more (a large entry is a run of its own), or else, once the run holds half
/// the target, with a chance of its size over half the target, drawn from a hash of its
/// key. Boundaries cut by running byte counts would all move when one entry grows; these
/// move only next to an entry that changed (the next drawn boundary puts them back), so a
/// new or edited postmortem rewrites the chunks holding its terms and few others. (The
/// half-target floor keeps runs near the target: drawn boundaries alone would make many
/// tiny runs and some very long ones, and a query reads the long ones more often.)
fn chunk_ranges<'a>(entries: impl Iterator<Item = (&'a str, usize)>, target: usize) -> Vec<Range<usize>> {
    let mut runs = Runs::new(target);
    let mut out: Vec<Range<usize>> = Vec::new();
    for (i, (key, size)) in entries.enumerate() {
        let starts = runs.starts(key, size);
        match out.last_mut() {
            Some(run) if !starts => run.end = i + 1,
            _ => out.push(i..i + 1),
        }
    }
    out
}

/// [`chunk_ranges`]'s rule entry by entry: whether each entry, met in key order, starts a
/// run. An export reads a segment's terms in batches and cuts them as they come.
struct Runs {
    half: usize,
    previous_large: bool,
    /// Bytes in the run so far.
    bytes: usize,
}

impl Runs {
    fn new(target: usize) -> Runs {
        Runs {
            half: target / 2,
            // The first entry starts a run.
            previous_large: true,
            bytes: 0,
        }
    }

    fn starts(&mut self, key: &str, size: usize) -> bool {
        let large = size >= self.half;
        let drawn =
            self.bytes >= self.half && (fnv1a(key.as_bytes()) % self.half.max(1) as u64) < size as u64;
        let starts = self.previous_large || large || drawn;
        self.bytes = if starts { size } else { self.bytes + size };
        self.previous_large = large;
        starts
    }
}

/// FNV-1a, 64 bits: a hash that is the same on every machine and in every version.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `then` with a way to export a small archive (70 postmortems, words shared by
    /// many and by few) with any [`Limits`]: the files, by path.
    fn with_fixture_export(then: impl FnOnce(&dyn Fn(Limits) -> BTreeMap<String, String>)) {
        use crate::site::fixture::{content, selection};
        let config = crate::config::Config::default();
        let fronts: Vec<(String, String)> = (0..70)
            .map(|i| {
                let day = 1 + i % 28;
                let month = 1 + i / 28;
                (
                    format!("pm-{i:02}"),
                    format!("started_at = 2024-{month:02}-{day:02}T00:00:00Z"),
                )
            })
            .collect();
        let files: Vec<(&str, &str)> = fronts.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let mut content = content(&config, &files);
        for (i, pm) in content.postmortems.iter_mut().enumerate() {
            // Shared words and words of a few postmortems, so that terms have postings in
            // many documents and in few.
            let words: Vec<String> = (0..300).map(|w| format!("w{}x{}", w % (7 + i), w % 40)).collect();
            pm.source.body = words.join(" ").into();
        }
        let site = crate::site::Site::build(&content, &config, selection("2025-01-01"));
        let dir = tempfile::tempdir().expect("a temp dir");
        let stop = AtomicBool::new(false);
        let owner = super::super::Owner {
            output: None,
            sources: 0,
        };
        let built = super::super::index::build_index(
            &site,
            dir.path(),
            owner,
            &stop,
            super::super::index::Reuse::Nothing,
        )
        .expect("indexed");
        let export = |limits: Limits| {
            let files = std::sync::Mutex::new(BTreeMap::new());
            let write = |path: &str, text: &str| {
                files.lock().unwrap().insert(path.to_string(), text.to_string());
                Ok::<(), ()>(())
            };
            let out = Out {
                write: &write,
                keep: &|_: &str| false,
                stop: &stop,
            };
            export_with(&built, &site, out, None, limits).expect("exported");
            files.into_inner().unwrap()
        };
        then(&export);
    }

    /// Limits that page every list of more than two starts, about two to a page.
    const PAGED: Limits = Limits {
        inline_starts: 2,
        page_starts: 2,
        ..LIMITS
    };

    /// The JSON of an export file.
    fn json_of(files: &BTreeMap<String, String>, path: &str) -> serde_json::Value {
        let text = files.get(path).unwrap_or_else(|| panic!("no {path}"));
        let json = text[text.find(',').expect("a named file") + 1..text.len() - FILE_END.len()].to_string();
        serde_json::from_str(&json).expect("JSON")
    }

    #[test]
    fn a_segment_read_in_batches_gives_the_files_of_one_read_whole() {
        with_fixture_export(|export| {
            let whole = export(Limits {
                batch_postings: u64::MAX,
                ..LIMITS
            });
            let batched = export(Limits {
                batch_postings: 40,
                ..LIMITS
            });
            assert!(
                whole.keys().filter(|p| p.starts_with("t/")).count() > 3,
                "{:?}",
                whole.keys()
            );
            assert_eq!(whole, batched);
        });
    }

    #[test]
    fn long_lists_of_starts_are_paged_and_the_pages_hold_the_list() {
        with_fixture_export(|export| {
            let inline = export(LIMITS);
            let paged = export(PAGED);
            let (inline_manifest, paged_manifest) =
                (json_of(&inline, "manifest.js"), json_of(&paged, "manifest.js"));
            // Each list, inline, against its pages, read back from their files.
            let mut lists = vec![(
                "w/".to_string(),
                &inline_manifest["words"],
                &paged_manifest["words"],
            )];
            for (i, segment) in inline_manifest["segments"].as_array().unwrap().iter().enumerate() {
                let dir = format!("t/{}/", segment["start"]);
                lists.push((dir, &segment["terms"], &paged_manifest["segments"][i]["terms"]));
            }
            let mut paged_lists = 0;
            for (dir, whole, pages) in lists {
                let whole: Vec<String> = serde_json::from_value(whole.clone()).expect("an inline list");
                if whole.len() <= PAGED.inline_starts {
                    assert_eq!(
                        pages,
                        &serde_json::json!(whole),
                        "{dir}: a short list stays inline"
                    );
                    continue;
                }
                paged_lists += 1;
                let firsts: Vec<String> = serde_json::from_value(pages["pages"].clone()).expect("pages");
                assert!(firsts.len() > 1, "{dir}: {firsts:?}");
                let mut read = Vec::new();
                for first in &firsts {
                    let page: Vec<String> =
                        serde_json::from_value(json_of(&paged, &format!("{}.js", page_file(&dir, first))))
                            .expect("a page of starts");
                    assert_eq!(
                        page.first(),
                        Some(first),
                        "{dir}: a page begins where the manifest says"
                    );
                    assert!(page.len() <= 4 * PAGED.page_starts, "{dir}: {page:?}");
                    read.extend(page);
                }
                assert_eq!(read, whole, "{dir}: the pages, in order, are the list");
            }
            assert!(paged_lists > 1, "the fixture has long lists to page");
            // Only the manifest and the pages differ.
            let page_files = |files: &BTreeMap<String, String>| {
                files
                    .keys()
                    .filter(|p| p.rsplit('/').next().is_some_and(|name| name.starts_with("i_")))
                    .count()
            };
            assert_eq!(page_files(&inline), 0);
            assert_eq!(paged.len(), inline.len() + page_files(&paged));
            for (path, text) in &inline {
                if path != "manifest.js" {
                    assert_eq!(paged.get(path), Some(text), "{path}");
                }
            }
        });
    }

    /// The browser client finds the same words and terms through pages of starts as through
    /// inline lists: tests/js/paged.mjs on the two exports.
    #[test]
    #[ignore = "needs Node (apt-get install nodejs): cargo test -- --include-ignored"]
    fn the_client_reads_paged_starts_as_it_reads_inline_ones() {
        with_fixture_export(|export| {
            let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
            for (dir, limits) in dirs.iter().zip([LIMITS, PAGED]) {
                for (path, text) in export(limits) {
                    let file = dir.path().join(path);
                    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
                    std::fs::write(file, text).unwrap();
                }
            }
            let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/js/paged.mjs");
            let out = std::process::Command::new("node")
                .arg(script)
                .args(dirs.iter().map(|d| d.path()))
                .output()
                .expect("node on PATH (apt-get install nodejs)");
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success() && stdout.contains("# fail 0") && !stdout.contains("# pass 0"),
                "paged.mjs failed:\n{stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        });
    }

    #[test]
    fn the_client_reads_this_format() {
        let client = include_str!("../../themes/default/static/search.js");
        assert!(
            client.contains(&format!("const FORMAT = {FORMAT_VERSION};")),
            "search.js's FORMAT is not the export's FORMAT_VERSION"
        );
    }

    #[test]
    fn varints_round_trip() {
        let values = [0, 1, 31, 32, 1023, 1024, 65_535, 1 << 20, u32::MAX];
        let text = varints(values);
        assert_eq!(decode_varints(&text), values);
        assert_eq!(varints([0, 31, 32]), "0vB0");
    }

    #[test]
    fn boundaries_are_the_shortest_prefix_after_the_previous_chunk() {
        assert_eq!(boundary(None, "abc"), "");
        assert_eq!(boundary(Some("checkout"), "checkpoint"), "checkp");
        assert_eq!(boundary(Some("b"), "cat"), "c");
        assert_eq!(boundary(Some("ab"), "abc"), "abc");
        assert_eq!(boundary(Some("naïf"), "naïve"), "naïv");
    }

    /// Keys `k0000`, `k0001`, ... with the given sizes.
    fn keyed(sizes: &[usize]) -> Vec<(String, usize)> {
        sizes
            .iter()
            .enumerate()
            .map(|(i, &size)| (format!("k{i:04}"), size))
            .collect()
    }

    fn ranges_of(entries: &[(String, usize)], target: usize) -> Vec<Range<usize>> {
        chunk_ranges(entries.iter().map(|(k, s)| (k.as_str(), *s)), target)
    }

    #[test]
    fn chunk_ranges_cover_every_entry_in_order_at_about_the_target_size() {
        let entries = keyed(&[100; 4000]);
        let ranges = ranges_of(&entries, CHUNK_BYTES);
        assert_eq!(ranges[0].start, 0);
        assert_eq!(ranges.last().unwrap().end, 4000);
        for pair in ranges.windows(2) {
            assert_eq!(pair[0].end, pair[1].start);
        }
        // 400 KB in chunks of about 8 KB: the draw is random, the mean is not.
        assert!((30..80).contains(&ranges.len()), "{} chunks", ranges.len());
        assert!(ranges_of(&[], CHUNK_BYTES).is_empty());
    }

    #[test]
    fn a_changed_entry_moves_no_boundary_away_from_it() {
        let mut entries = keyed(&[60; 3000]);
        let before = ranges_of(&entries, 2048);
        // One entry grows a lot, one term is added: only the chunks around them change.
        entries[1500].1 = 1500;
        entries.insert(2500, ("k2499x".into(), 60));
        let after = ranges_of(&entries, 2048);
        let key = |e: &[(String, usize)], r: &Range<usize>| e[r.start].0.clone();
        let old: std::collections::BTreeSet<String> =
            before.iter().map(|r| key(&keyed(&[60; 3000]), r)).collect();
        let new: std::collections::BTreeSet<String> = after.iter().map(|r| key(&entries, r)).collect();
        let changed = old.symmetric_difference(&new).count();
        assert!(changed <= 3, "{changed} chunk starts moved");
    }

    #[test]
    fn a_large_entry_gets_a_chunk_of_its_own() {
        // Small, small, large, small: the large one is alone, its neighbours are not
        // downloaded with it.
        let ranges = ranges_of(&keyed(&[10, 10, 600, 10]), 1000);
        assert_eq!(ranges[ranges.len() - 2..], [2..3, 3..4]);
        assert_eq!(ranges[0].start, 0);
    }

    #[test]
    fn segments_are_blocks_that_newer_documents_never_change() {
        assert!(segments(0).is_empty());
        assert_eq!(segments(10), vec![0..10usize]);
        assert_eq!(segments(130), [0..64, 64..128, 128..130]);
        assert_eq!(segments(512), vec![0..512usize]);
        let at_10k = segments(10_000);
        assert_eq!(at_10k.len(), 10);
        assert_eq!(at_10k[..2], [0..4096, 4096..8192]);
        for docs in 1..5000 {
            let (now, next) = (segments(docs), segments(docs + 1));
            // Every segment but the tail is still there, unless blocks merged.
            let kept = now.iter().filter(|s| next.contains(s)).count();
            let merged = next.len() < now.len();
            assert!(kept + 1 >= now.len() || merged, "{docs}: {now:?} -> {next:?}");
            assert_eq!(next.last().unwrap().end, docs + 1);
        }
    }

    #[test]
    fn chunk_names_are_safe_file_names_that_keep_their_boundary() {
        assert_eq!(chunk_name(""), "_");
        assert_eq!(chunk_name("con"), "_con");
        assert_eq!(chunk_name("naïv"), "_na~c3~afv");
        assert_eq!(chunk_name("x.y"), "_x~2ey");
    }

    #[test]
    fn a_term_entry_lists_each_document_once_with_a_mask_of_its_fields() {
        let postings = |docs: &[u32], tfs: &[u32]| FieldPostings {
            docs: docs.to_vec(),
            tfs: tfs.to_vec(),
            norms: Vec::new(),
            positions: tfs.iter().flat_map(|&tf| (0..tf).map(|p| p * 2 + 1)).collect(),
        };
        // In the title of documents 1 and 5, in the body of 5 and 9.
        let per_field = vec![
            Some(postings(&[1, 5], &[1, 2])),
            None,
            Some(postings(&[5, 9], &[3, 1])),
        ];
        let (json, positions) = term_entry("api", &per_field);
        let entry: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(entry[0], "api");
        assert_eq!(decode_varints(entry[1].as_str().unwrap()), [1, 4, 4]);
        assert_eq!(decode_varints(entry[2].as_str().unwrap()), [0b001, 0b101, 0b100]);
        assert_eq!(
            entry[3],
            serde_json::json!([varints([1, 2]), "", varints([3, 1])])
        );
        assert_eq!(entry[4], serde_json::json!(["", "", ""]));
        assert_eq!(entry.as_array().unwrap().len(), 5);
        // Per document, the first position, then deltas.
        let positions: Vec<String> = serde_json::from_str(&positions).unwrap();
        assert_eq!(
            positions,
            [varints([1, 1, 2]), String::new(), varints([1, 2, 2, 1])]
        );
    }

    #[test]
    fn typo_files_group_words_by_first_letter_and_length() {
        assert_eq!(typo_bucket("certificate"), "63-11");
        assert_eq!(typo_bucket("éclair"), "e9-6");
    }
}
