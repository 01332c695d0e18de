//! The search index, exported for the browser: a pmsite-owned, versioned format of small
//! files that the search page loads with `<script>` tags (so it works from `file://` and on
//! any static host). See docs/SEARCH-DESIGN.md for why it is cut this way.
//!
//! Every file is `pmsiteSearch.receive("<name>", <JSON>);`. Files:
//! - `manifest.js`: version, document count, BM25 constants, per field its boost, average
//!   length and whether it has norms, the fieldnorm table, where each term chunk and word
//!   chunk starts (the shortest prefix of its first key that sorts after the previous
//!   chunk), the size of document groups, the incident URL pattern, the severities in rank
//!   order.
//! - `t/<i>.js`: terms in UTF-8 byte order, each `[term, docs, masks, tfs, norms]` (see
//!   `term_entry`): the documents holding the term in any field, per document a bit mask
//!   of those fields, per field the term frequencies and fieldnorm ids of its documents.
//!   Norms are left out (`""`) for a field without norms and, in the body, for a term found
//!   in at least an eighth of the documents (the client reads them from `n/<field>.js`).
//! - `n/<field>.js`: every document's fieldnorm id in that field (fields with norms only).
//! - `p/<i>.js`: for the same terms as `t/<i>.js`, in the same order, per field posting the
//!   positions of the term in each document (`tf` of them: the first, then deltas). Only
//!   exact-phrase queries load these.
//! - `w/<i>.js`: every word of the corpus in UTF-8 byte order, `"word"` when the word is
//!   its own stem, else `"word stem"`: the vocabulary a query word is looked up in (as
//!   `pmsite search` looks it up in the index's `words` field), so the client needs no
//!   stemmer of its own. A word that is not there is matched as a prefix in the same files.
//! - `y/<letter>-<length>.js`: the same entries, grouped by first letter (its code point,
//!   in hex) and length in characters: where a word is matched with one typo, which never
//!   changes its first letter (`query::Vocabulary::resolve`).
//! - `d/<g>.js`: what a result shows, for documents `g*GROUP .. (g+1)*GROUP`: id, title,
//!   date, summary, services (the severity is in its facet file).
//! - `f/<kind>.js`: a facet kind's values and which documents have them.
//!
//! Numbers lists are strings of base-32 varints: each number is written most significant
//! group first, every group but the last from `CONTINUE`, the last from `FINAL`.

use std::collections::BTreeMap;
use std::ops::Range;

use rayon::prelude::*;
use serde::Serialize;
use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::Postings;
use tantivy::schema::IndexRecordOption;
use tantivy::{DocSet, TERMINATED};

use super::{Fields, TEXT_FIELDS};
use crate::site::{Site, url};

pub const FORMAT_VERSION: u32 = 4;
/// A term found in at least 1 / DENSE_SHARE of the documents leaves out its norms.
const DENSE_SHARE: usize = 8;
/// Target size of a term chunk, in bytes of JSON. A term whose postings alone are half of
/// this gets a chunk of its own, so a query for it does not also download its neighbours.
const CHUNK_BYTES: usize = 8 * 1024;
/// Target size of a word chunk: a query loads one per word before it knows the stem, so
/// these are small.
const WORD_CHUNK_BYTES: usize = 1024;
/// Documents per metadata file. Ten results come from up to ten files, so small groups
/// (but not one file per document: some hosts cap file counts).
pub const GROUP: usize = 4;

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
    /// Where each term chunk starts: a prefix of its first term.
    terms: Vec<String>,
    /// Where each word chunk starts: a prefix of its first word.
    words: Vec<String>,
    group: usize,
    /// An incident page's path, `{id}` standing for the postmortem id.
    incident: String,
    /// Severity names, most severe first.
    severities: Vec<String>,
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

/// One term's postings in one field.
#[derive(Clone)]
struct FieldPostings {
    /// Document ids, ascending.
    docs: Vec<u32>,
    /// Term frequencies, one per document (varints, as every column below).
    tfs: String,
    /// Fieldnorm ids, one per document; empty when the client reads them from the field's
    /// norms file or the field has none.
    norms: String,
    /// `tf` positions per document, the first absolute, then deltas.
    positions: String,
}

/// A field's terms in byte order, with their postings, and its total token count.
struct FieldTerms {
    total_tokens: u64,
    terms: Terms,
    /// Every document's fieldnorm id, in document order, when the field's frequent terms
    /// share them.
    norms: Option<String>,
}

/// Reads every term of one field: its total token count and, per term in byte order, its
/// postings, with document ids counted across segments in order. `shared_norms`: frequent
/// terms leave their norms to a file of the field's. Segments are read side by side.
fn field_postings(
    searcher: &tantivy::Searcher,
    field: tantivy::schema::Field,
    has_norms: bool,
    shared_norms: bool,
) -> tantivy::Result<FieldTerms> {
    let segments = searcher.segment_readers();
    let bases = super::segment_bases(searcher);
    let base: u32 = segments.iter().map(|s| s.max_doc()).sum();
    // A term found in this many documents is dense: its norms come from the norms file.
    let dense = if shared_norms {
        (base as usize).div_ceil(DENSE_SHARE)
    } else {
        usize::MAX
    };
    let read: Vec<(u64, Terms)> = segments
        .par_iter()
        .zip(bases)
        .map(|(segment, base)| segment_postings(segment, base, field, has_norms, dense))
        .collect::<tantivy::Result<_>>()?;
    let total_tokens = read.iter().map(|(tokens, _)| tokens).sum();
    let mut out: Terms = read.into_iter().flat_map(|(_, terms)| terms).collect();
    // One list per segment, each in term order: the same term's postings, segment after
    // segment, make one (varint columns concatenate).
    if segments.len() > 1 {
        out.sort_by(|a, b| a.0.cmp(&b.0));
        let mut merged: Terms = Vec::with_capacity(out.len());
        for (term, postings) in out {
            match merged.last_mut() {
                Some((last, into)) if *last == term => {
                    into.docs.extend(postings.docs);
                    into.tfs.push_str(&postings.tfs);
                    into.norms.push_str(&postings.norms);
                    into.positions.push_str(&postings.positions);
                }
                _ => merged.push((term, postings)),
            }
        }
        out = merged;
    }
    // A term in many documents leaves its norms to the field's norms file, which the
    // client loads once and keeps; a rarer one carries its own. (A segment leaves them out
    // when the term is dense in it alone; here, when it is dense in all of them together.)
    for (_, postings) in &mut out {
        if postings.docs.len() >= dense {
            postings.norms = String::new();
        }
    }
    let norms = if has_norms && shared_norms {
        let ids = segments
            .iter()
            .map(|segment| {
                let reader = segment.get_fieldnorms_reader(field)?;
                Ok((0..segment.max_doc()).map(move |doc| u32::from(reader.fieldnorm_id(doc))))
            })
            .collect::<tantivy::Result<Vec<_>>>()?
            .into_iter()
            .flatten();
        Some(varints(ids))
    } else {
        None
    };
    Ok(FieldTerms {
        total_tokens,
        terms: out,
        norms,
    })
}

/// Terms (as bytes) and their postings in one field.
type Terms = Vec<(Vec<u8>, FieldPostings)>;

/// One segment's terms of one field, in byte order, with their postings; document ids
/// start at `base`. Terms found in `dense` documents or more of this segment get no inline
/// norms. Also the segment's token count in the field.
fn segment_postings(
    segment: &tantivy::SegmentReader,
    base: u32,
    field: tantivy::schema::Field,
    has_norms: bool,
    dense: usize,
) -> tantivy::Result<(u64, Terms)> {
    let inverted = segment.inverted_index(field)?;
    let norms = if has_norms {
        Some(segment.get_fieldnorms_reader(field)?)
    } else {
        None
    };
    let mut out = Vec::new();
    let mut positions = Vec::new();
    let mut stream = inverted.terms().stream()?;
    while stream.advance() {
        let mut postings =
            inverted.read_postings_from_terminfo(stream.value(), IndexRecordOption::WithFreqsAndPositions)?;
        let inline_norms = norms
            .as_ref()
            .filter(|_| (stream.value().doc_freq as usize) < dense);
        let mut read = FieldPostings {
            docs: Vec::with_capacity(stream.value().doc_freq as usize),
            tfs: String::new(),
            norms: String::new(),
            positions: String::new(),
        };
        while postings.doc() != TERMINATED {
            let doc = postings.doc();
            read.docs.push(base + doc);
            push_varint(&mut read.tfs, postings.term_freq());
            if let Some(norms) = inline_norms {
                push_varint(&mut read.norms, u32::from(norms.fieldnorm_id(doc)));
            }
            positions.clear();
            postings.positions(&mut positions);
            let mut at = 0;
            for &p in &positions {
                push_varint(&mut read.positions, p - at);
                at = p;
            }
            postings.advance();
        }
        out.push((stream.key().to_vec(), read));
    }
    Ok((inverted.total_num_tokens(), out))
}

/// A term's entry in `t/<i>.js`, `[term, docs, fields, tfs, norms]`: the documents
/// holding the term in any field (delta-coded), per document a bit mask of those fields,
/// then per field its term frequencies and inline norms, for the documents whose mask has
/// the field. Fields often hold a term in the same documents (a service named in the title,
/// the summary and the labels), and the ids are written once. Also returns what the term's
/// entry of `p/<i>.js` lists: per field, the positions of each of those documents (moved,
/// not copied: they are the largest part of the export).
fn term_entry(term: &str, per_field: Vec<Option<FieldPostings>>) -> (String, Vec<String>) {
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
    let column = |pick: fn(&FieldPostings) -> &str| -> Vec<&str> {
        per_field.iter().map(|p| p.as_ref().map_or("", pick)).collect()
    };
    let (tfs, norms) = (column(|p| &p.tfs), column(|p| &p.norms));
    let (docs, masks) = (varints(deltas), varints(masks));
    let json = serde_json::to_string(&(term, docs, masks, tfs, norms));
    let positions = per_field
        .into_iter()
        .map(|p| p.map(|p| p.positions).unwrap_or_default())
        .collect();
    (json.unwrap_or_default(), positions)
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
}

impl<E> From<tantivy::TantivyError> for Error<E> {
    fn from(e: tantivy::TantivyError) -> Self {
        Error::Index(e)
    }
}

/// Exports a built index of `site`: postings, the word -> stem map, documents, facets.
/// Each file goes to `write` (path under `search/`, contents) as soon as it is made, from
/// several threads: on a large archive they are tens of megabytes, better not held at once.
pub fn export<E: Send>(
    built: &super::Built,
    site: &Site<'_>,
    write: &(dyn Fn(&str, &str) -> Result<(), E> + Sync),
) -> Result<(), Error<E>> {
    let (index, words) = (&built.index, &built.words);
    let fields = Fields::from_schema(&index.schema())?;
    let reader = index.reader()?;
    let searcher = reader.searcher();
    let docs = searcher.num_docs() as u32;
    let emit = |file: File| write(&file.path, &file.contents).map_err(Error::Write);

    // Each field's terms are read on their own thread, then gathered per term, in byte
    // order of the term. Only the body, long and in nearly every query, shares its norms:
    // for the short fields, inline norms cost a following query less than a norms file.
    let per_field: Vec<tantivy::Result<(FieldInfo, FieldTerms)>> = fields
        .text_fields()
        .into_par_iter()
        .zip(TEXT_FIELDS)
        .map(|((field, boost), info)| {
            let read = field_postings(&searcher, field, info.norms, field == fields.body)?;
            let avg = if docs == 0 {
                0.0
            } else {
                read.total_tokens as f32 / docs as f32
            };
            // What tantivy scores a field without norms with: `FieldNormReader::constant(_, 1)`.
            let fixed =
                (!info.norms).then(|| FieldNormReader::id_to_fieldnorm(FieldNormReader::fieldnorm_to_id(1)));
            Ok((
                FieldInfo {
                    name: info.name,
                    boost,
                    avg,
                    fixed,
                },
                read,
            ))
        })
        .collect();
    let field_count = TEXT_FIELDS.len();
    let mut terms: BTreeMap<Vec<u8>, Vec<Option<FieldPostings>>> = BTreeMap::new();
    let mut infos = Vec::new();
    for result in per_field {
        let (info, read) = result?;
        let n = infos.len();
        if let Some(norms) = read.norms {
            emit(file(
                &format!("n/{n}.js"),
                &format!("n{n}"),
                &format!("\"{norms}\""),
            ))?;
        }
        infos.push(info);
        for (term, postings) in read.terms {
            let entry = terms
                .entry(term)
                .or_insert_with(|| (0..field_count).map(|_| None).collect());
            entry[n] = Some(postings);
        }
    }

    // Term chunks are cut by the size of their postings; the positions file of a chunk
    // (`p/<i>.js`, loaded only for phrases) holds the same terms.
    let terms: Vec<(Vec<u8>, Vec<Option<FieldPostings>>)> = terms.into_iter().collect();
    let entries: Vec<(String, String, Vec<String>)> = terms
        .into_par_iter()
        .map(|(term, per_field)| {
            let term = String::from_utf8_lossy(&term).into_owned();
            let (json, positions) = term_entry(&term, per_field);
            (term, json, positions)
        })
        .collect();
    let ranges = chunk_ranges(entries.iter().map(|e| e.1.len()), CHUNK_BYTES);
    let term_starts = chunk_starts(&ranges, |i| &entries[i].0);
    // Each chunk's entries are dropped once its files are written.
    let mut entries = entries.into_iter();
    let chunks: Vec<Vec<(String, String, Vec<String>)>> = ranges
        .iter()
        .map(|range| entries.by_ref().take(range.len()).collect())
        .collect();
    chunks.into_par_iter().enumerate().try_for_each(|(n, chunk)| {
        // Written as the files' text from the start: these are most of the export's bytes.
        let (mut postings, mut positions) = (file_start(&format!("t{n}")), file_start(&format!("p{n}")));
        postings.push('[');
        positions.push('[');
        for (i, (_, json, term_positions)) in chunk.into_iter().enumerate() {
            if i > 0 {
                postings.push(',');
                positions.push(',');
            }
            postings.push_str(&json);
            positions.push_str(&serde_json::to_string(&term_positions).unwrap_or_default());
        }
        for text in [&mut postings, &mut positions] {
            text.push(']');
            text.push_str(FILE_END);
        }
        emit(File {
            path: format!("t/{n}.js"),
            contents: postings,
        })?;
        emit(File {
            path: format!("p/{n}.js"),
            contents: positions,
        })
    })?;

    // The vocabulary, in byte order, then again by first letter and length for typos.
    let mut vocabulary: Vec<(&String, &String)> = words.iter().collect();
    vocabulary.sort_unstable();
    let entries: Vec<(&String, String)> = vocabulary
        .iter()
        .map(|&(word, stem)| {
            let entry = if word == stem {
                word.clone()
            } else {
                format!("{word} {stem}")
            };
            (word, serde_json::to_string(&entry).unwrap_or_default())
        })
        .collect();
    let ranges = chunk_ranges(entries.iter().map(|e| e.1.len()), WORD_CHUNK_BYTES);
    let word_starts = chunk_starts(&ranges, |i| entries[i].0);
    for (n, range) in ranges.into_iter().enumerate() {
        let items: Vec<&str> = entries[range].iter().map(|e| e.1.as_str()).collect();
        emit(file(
            &format!("w/{n}.js"),
            &format!("w{n}"),
            &format!("[{}]", items.join(",")),
        ))?;
    }
    let mut by_letter: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (word, entry) in &entries {
        by_letter.entry(typo_bucket(word)).or_default().push(entry);
    }
    for (bucket, items) in by_letter {
        emit(file(
            &format!("y/{bucket}.js"),
            &format!("y{bucket}"),
            &format!("[{}]", items.join(",")),
        ))?;
    }

    for (g, group) in site.postmortems.chunks(GROUP).enumerate() {
        let rows: Vec<serde_json::Value> = group
            .iter()
            .map(|pm| {
                // The severity comes from its facet file, which the search page has
                // loaded anyway.
                serde_json::json!([
                    pm.id,
                    pm.title,
                    pm.started_at.date().format("%Y-%m-%d").to_string(),
                    pm.summary,
                    pm.services,
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
        terms: term_starts,
        words: word_starts,
        group: GROUP,
        incident: url::incident("{id}"),
        severities: site.config.severities.iter().map(|s| s.name.clone()).collect(),
    };
    let body = serde_json::to_string(&manifest).unwrap_or_default();
    emit(file("manifest.js", "manifest", &body))
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
        let mut per_doc: Vec<Vec<u32>> = vec![Vec::new(); site.postmortems.len()];
        for (value, term) in taxonomy.terms.iter().enumerate() {
            for &doc in &term.members {
                per_doc[doc].push(value as u32);
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

/// Where each chunk starts, for the manifest: the [`boundary`] of its first key (`key(i)`
/// is entry `i`'s).
fn chunk_starts<'a>(ranges: &[Range<usize>], key: impl Fn(usize) -> &'a str) -> Vec<String> {
    ranges
        .iter()
        .map(|range| boundary(range.start.checked_sub(1).map(&key), key(range.start)))
        .collect()
}

/// Cuts entries of the given JSON sizes, in order, into runs of about `target` bytes. An
/// entry of half the target or more is a run of its own.
fn chunk_ranges(sizes: impl Iterator<Item = usize>, target: usize) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let (mut start, mut bytes, mut len) = (0, 0, 0);
    for size in sizes {
        if len > start && (bytes >= target || size * 2 >= target) {
            out.push(start..len);
            (start, bytes) = (len, 0);
        }
        bytes += size + 1;
        len += 1;
        if size * 2 >= target {
            out.push(start..len);
            (start, bytes) = (len, 0);
        }
    }
    if len > start {
        out.push(start..len);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn chunk_ranges_cover_every_entry_in_order() {
        let ranges = chunk_ranges(std::iter::repeat_n(100, 2000), CHUNK_BYTES);
        assert!(ranges.len() > 1);
        assert_eq!(ranges[0].start, 0);
        assert_eq!(ranges.last().unwrap().end, 2000);
        for pair in ranges.windows(2) {
            assert_eq!(pair[0].end, pair[1].start);
            assert!(pair[0].len() * 101 >= CHUNK_BYTES);
        }
        assert!(chunk_ranges(std::iter::empty(), CHUNK_BYTES).is_empty());
        assert_eq!(chunk_ranges(std::iter::once(1 << 20), CHUNK_BYTES), vec![0..1]);
    }

    #[test]
    fn a_term_entry_lists_each_document_once_with_a_mask_of_its_fields() {
        let postings = |docs: &[u32], tfs: &[u32]| FieldPostings {
            docs: docs.to_vec(),
            tfs: varints(tfs.iter().copied()),
            norms: String::new(),
            positions: varints(tfs.iter().map(|_| 0)),
        };
        // In the title of documents 1 and 5, in the body of 5 and 9.
        let per_field = vec![
            Some(postings(&[1, 5], &[1, 2])),
            None,
            Some(postings(&[5, 9], &[3, 4])),
        ];
        let (json, positions) = term_entry("api", per_field);
        let entry: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(entry[0], "api");
        assert_eq!(decode_varints(entry[1].as_str().unwrap()), [1, 4, 4]);
        assert_eq!(decode_varints(entry[2].as_str().unwrap()), [0b001, 0b101, 0b100]);
        assert_eq!(
            entry[3],
            serde_json::json!([varints([1, 2]), "", varints([3, 4])])
        );
        assert_eq!(entry[4], serde_json::json!(["", "", ""]));
        assert_eq!(entry.as_array().unwrap().len(), 5);
        assert_eq!(positions, [varints([0, 0]), String::new(), varints([0, 0])]);
    }

    #[test]
    fn typo_files_group_words_by_first_letter_and_length() {
        assert_eq!(typo_bucket("certificate"), "63-11");
        assert_eq!(typo_bucket("éclair"), "e9-6");
    }

    #[test]
    fn a_large_entry_gets_a_chunk_of_its_own() {
        // Small, small, large, small: the large one is alone, its neighbours are not
        // downloaded with it.
        let ranges = chunk_ranges([10, 10, 600, 10].into_iter(), 1000);
        assert_eq!(ranges, vec![0..2, 2..3, 3..4]);
    }
}
