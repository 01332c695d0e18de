//! The search index, exported for the browser: a pmsite-owned, versioned format of small
//! files that the search page loads with `<script>` tags (so it works from `file://` and on
//! any static host). See docs/SEARCH-DESIGN.md for why it is cut this way.
//!
//! Every file is `pmsiteSearch.receive("<name>", <JSON>);`. Files:
//! - `manifest.js`: version, document count, BM25 constants, per-field boost and average
//!   length, the fieldnorm table, where each term chunk and word chunk starts (the shortest
//!   prefix of its first key that sorts after the previous chunk), the size of document
//!   groups.
//! - `t/<i>.js`: terms in UTF-8 byte order, each with its postings per field: document ids
//!   (delta-coded), term frequencies and the document's fieldnorm id for that field; a term
//!   found in at least an eighth of the documents leaves the norms out (`""`): the client
//!   reads them from `n/<field>.js`.
//! - `n/<field>.js`: every document's fieldnorm id in that field.
//! - `p/<i>.js`: for the same terms as `t/<i>.js`, in the same order, per field posting the
//!   positions of the term in each document (`tf` of them: the first, then deltas). Only
//!   exact-phrase queries load these.
//! - `w/<i>.js`: every word of the corpus (as the tokenizer sees it, lowercased) and its
//!   stem (left out when it is the word), so the client never needs a stemmer of its own.
//! - `d/<g>.js`: what a result shows, for documents `g*GROUP .. (g+1)*GROUP`; a section
//!   is `[anchor, title]`, or the index of one in the manifest's `sections`.
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

pub const FORMAT_VERSION: u32 = 2;
/// A term found in at least 1 / DENSE_SHARE of the documents leaves out its norms.
const DENSE_SHARE: usize = 8;
/// Target size of a term or word chunk, in bytes of JSON.
const CHUNK_BYTES: usize = 8 * 1024;
/// Documents per metadata file.
pub const GROUP: usize = 8;

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
    /// Sections (anchor, title) found in several documents; a row's sections name them by
    /// index.
    sections: Vec<(String, String)>,
}

#[derive(Serialize)]
struct FieldInfo {
    name: &'static str,
    boost: f32,
    /// Average length in tokens, as tantivy computes it: total tokens / documents.
    avg: f32,
}

pub fn varints(values: impl IntoIterator<Item = u32>) -> String {
    let mut out = String::new();
    for mut value in values {
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
    out
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

/// One term's postings in one field, encoded: `[field, docs, tfs, norms, (sections)]`.
#[derive(Serialize)]
#[serde(transparent)]
struct FieldPostings(Vec<serde_json::Value>);

/// The section (index) holding most of these body positions; the first on a tie.
fn busiest_section(sections: &super::DocSections, positions: &[u32]) -> u32 {
    // Positions come in order, so each section's positions are one run; a later run must
    // be longer to win.
    let (mut best, mut best_count) = (0, 0);
    let (mut run, mut count) = (usize::MAX, 0);
    for &p in positions {
        let section = sections.at(p);
        if section != run {
            (run, count) = (section, 0);
        }
        count += 1;
        if count > best_count {
            (best, best_count) = (run, count);
        }
    }
    best as u32
}

/// One term's postings in one field: the encoded postings and, for phrases, the positions.
struct TermPostings {
    postings: FieldPostings,
    /// Per posting, in the same order: `tf` positions, the first absolute, then deltas.
    positions: String,
}

/// A field's terms in byte order, with their postings, and its total token count.
struct FieldTerms {
    total_tokens: u64,
    terms: Vec<(Vec<u8>, TermPostings)>,
    /// Every document's fieldnorm id, in document order.
    norms: String,
}

/// Reads every term of one field: its total token count and, per term in byte order, the
/// encoded postings and positions.
fn field_postings(
    searcher: &tantivy::Searcher,
    built: &super::Built,
    field_index: usize,
    field: tantivy::schema::Field,
    is_body: bool,
) -> tantivy::Result<FieldTerms> {
    let mut total_tokens = 0u64;
    let mut out = Vec::new();
    for segment in searcher.segment_readers() {
        let inverted = segment.inverted_index(field)?;
        total_tokens += inverted.total_num_tokens();
        let norms = segment.get_fieldnorms_reader(field)?;
        let mut positions = Vec::new();
        let mut stream = inverted.terms().stream()?;
        while stream.advance() {
            // A term in many documents leaves its norms to the field's norms file, which
            // the client loads once and keeps; a rarer one carries its own.
            let dense = stream.value().doc_freq as usize * DENSE_SHARE >= segment.num_docs() as usize;
            let mut postings = inverted
                .read_postings_from_terminfo(stream.value(), IndexRecordOption::WithFreqsAndPositions)?;
            let (mut ids, mut tfs, mut ns, mut sections, mut deltas) =
                (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
            let mut previous = 0;
            while postings.doc() != TERMINATED {
                let doc = postings.doc();
                ids.push(doc - previous);
                previous = doc;
                tfs.push(postings.term_freq());
                if !dense {
                    ns.push(u32::from(norms.fieldnorm_id(doc)));
                }
                positions.clear();
                postings.positions(&mut positions);
                let mut at = 0;
                for &p in &positions {
                    deltas.push(p - at);
                    at = p;
                }
                // Body postings also say which section holds most of the term's
                // occurrences, so a result can link to that section.
                if is_body {
                    sections.push(busiest_section(&built.sections[doc as usize], &positions));
                }
                postings.advance();
            }
            let mut entry = vec![
                serde_json::json!(field_index),
                varints(ids).into(),
                varints(tfs).into(),
                varints(ns).into(),
            ];
            if is_body {
                entry.push(varints(sections).into());
            }
            out.push((
                stream.key().to_vec(),
                TermPostings {
                    postings: FieldPostings(entry),
                    positions: varints(deltas),
                },
            ));
        }
    }
    let norms = searcher
        .segment_readers()
        .iter()
        .map(|segment| {
            let reader = segment.get_fieldnorms_reader(field)?;
            Ok((0..segment.max_doc()).map(move |doc| u32::from(reader.fieldnorm_id(doc))))
        })
        .collect::<tantivy::Result<Vec<_>>>()?
        .into_iter()
        .flatten();
    Ok(FieldTerms {
        total_tokens,
        terms: out,
        norms: varints(norms),
    })
}

/// Exports a built index of `site`: postings, the word -> stem map, documents, facets.
pub fn export(built: &super::Built, site: &Site<'_>) -> tantivy::Result<Vec<File>> {
    let (index, words) = (&built.index, &built.words);
    let fields = Fields::from_schema(&index.schema())?;
    let reader = index.reader()?;
    let searcher = reader.searcher();
    let docs = searcher.num_docs() as u32;
    let mut files = Vec::new();

    // Each field's terms are read on their own thread, then gathered per term, in byte
    // order of the term and field order within a term.
    let text_fields: Vec<(usize, (tantivy::schema::Field, f32), &'static str)> = fields
        .text_fields()
        .into_iter()
        .zip(TEXT_FIELDS)
        .enumerate()
        .map(|(i, (field, (name, _)))| (i, field, *name))
        .collect();
    let per_field: Vec<tantivy::Result<(FieldInfo, FieldTerms)>> = text_fields
        .par_iter()
        .map(|&(field_index, (field, boost), name)| {
            let read = field_postings(&searcher, built, field_index, field, field == fields.body)?;
            let avg = if docs == 0 {
                0.0
            } else {
                read.total_tokens as f32 / docs as f32
            };
            Ok((FieldInfo { name, boost, avg }, read))
        })
        .collect();
    let mut terms: BTreeMap<Vec<u8>, (Vec<FieldPostings>, Vec<String>)> = BTreeMap::new();
    let mut infos = Vec::new();
    for result in per_field {
        let (info, read) = result?;
        let n = infos.len();
        files.push(file(
            &format!("n/{n}.js"),
            &format!("n{n}"),
            &format!("\"{}\"", read.norms),
        ));
        infos.push(info);
        for (term, TermPostings { postings, positions }) in read.terms {
            let entry = terms.entry(term).or_default();
            entry.0.push(postings);
            entry.1.push(positions);
        }
    }

    // Term chunks are cut by the size of their postings; the positions file of a chunk
    // (`p/<i>.js`, loaded only for phrases) holds the same terms.
    let mut term_starts = Vec::new();
    let entries: Vec<(String, String, String)> = terms
        .into_iter()
        .map(|(term, (postings, positions))| {
            let term = String::from_utf8_lossy(&term).into_owned();
            let json = serde_json::to_string(&(term.as_str(), postings)).unwrap_or_default();
            let positions = serde_json::to_string(&positions).unwrap_or_default();
            (term, json, positions)
        })
        .collect();
    // Consumed chunk by chunk, so the entries' JSON and the files' text are not all in
    // memory twice.
    let ranges = chunk_ranges(entries.iter().map(|e| e.1.len()));
    let mut entries = entries.into_iter();
    let mut last: Option<String> = None;
    for (n, range) in ranges.into_iter().enumerate() {
        let (mut postings, mut positions) = (String::from("["), String::from("["));
        for (i, (term, json, term_positions)) in entries.by_ref().take(range.len()).enumerate() {
            if i == 0 {
                term_starts.push(boundary(last.as_deref(), &term));
            } else {
                postings.push(',');
                positions.push(',');
            }
            postings.push_str(&json);
            positions.push_str(&term_positions);
            last = Some(term);
        }
        postings.push(']');
        positions.push(']');
        files.push(file(&format!("t/{n}.js"), &format!("t{n}"), &postings));
        files.push(file(&format!("p/{n}.js"), &format!("p{n}"), &positions));
    }

    let mut word_starts = Vec::new();
    let entries: Vec<(&String, String)> = words
        .iter()
        .map(|(word, stem)| {
            let json = if word == stem {
                serde_json::to_string(&[word]).unwrap_or_default()
            } else {
                serde_json::to_string(&[word, stem]).unwrap_or_default()
            };
            (word, json)
        })
        .collect();
    for (n, range) in chunk_ranges(entries.iter().map(|e| e.1.len()))
        .into_iter()
        .enumerate()
    {
        let slice = &entries[range.clone()];
        let before = range.start.checked_sub(1).map(|i| entries[i].0.as_str());
        word_starts.push(boundary(before, slice[0].0));
        let items: Vec<&str> = slice.iter().map(|e| e.1.as_str()).collect();
        files.push(file(
            &format!("w/{n}.js"),
            &format!("w{n}"),
            &format!("[{}]", items.join(",")),
        ));
    }

    // Most postmortems follow a template, so the same (anchor, title) sections recur: the
    // manifest lists those found in several documents once and rows name them by index.
    let mut section_counts: BTreeMap<&(String, String), usize> = BTreeMap::new();
    for doc in &built.sections {
        for section in &doc.anchors {
            *section_counts.entry(section).or_default() += 1;
        }
    }
    let mut common: Vec<(&(String, String), usize)> =
        section_counts.into_iter().filter(|&(_, n)| n > 1).collect();
    common.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let common_index: BTreeMap<&(String, String), usize> = common
        .iter()
        .enumerate()
        .map(|(i, (section, _))| (*section, i))
        .collect();
    for (g, group) in site.postmortems.chunks(GROUP).enumerate() {
        let rows: Vec<serde_json::Value> = group
            .iter()
            .enumerate()
            .map(|(j, pm)| {
                let sections: Vec<serde_json::Value> = built.sections[g * GROUP + j]
                    .anchors
                    .iter()
                    .map(|section| match common_index.get(section) {
                        Some(&i) => i.into(),
                        None => serde_json::json!(section),
                    })
                    .collect();
                serde_json::json!([
                    pm.id,
                    pm.title,
                    url::incident(&pm.id),
                    pm.started_at.date().format("%Y-%m-%d").to_string(),
                    pm.severity,
                    pm.summary,
                    pm.services,
                    pm.root_causes,
                    sections,
                    pm.severity_rank,
                ])
            })
            .collect();
        let body = serde_json::to_string(&rows).unwrap_or_default();
        files.push(file(&format!("d/{g}.js"), &format!("d{g}"), &body));
    }

    files.extend(facet_files(site));

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
        sections: common.into_iter().map(|(section, _)| section.clone()).collect(),
    };
    let body = serde_json::to_string(&manifest).unwrap_or_default();
    files.push(file("manifest.js", "manifest", &body));
    Ok(files)
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
    File {
        path: path.to_string(),
        contents: format!("pmsiteSearch.receive(\"{name}\",{json});\n"),
    }
}

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

/// Cuts entries of the given JSON sizes, in order, into runs of about [`CHUNK_BYTES`].
fn chunk_ranges(sizes: impl Iterator<Item = usize>) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let (mut start, mut bytes, mut len) = (0, 0, 0);
    for size in sizes {
        if len > start && bytes >= CHUNK_BYTES {
            out.push(start..len);
            (start, bytes) = (len, 0);
        }
        bytes += size + 1;
        len += 1;
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
        let ranges = chunk_ranges(std::iter::repeat_n(100, 2000));
        assert!(ranges.len() > 1);
        assert_eq!(ranges[0].start, 0);
        assert_eq!(ranges.last().unwrap().end, 2000);
        for pair in ranges.windows(2) {
            assert_eq!(pair[0].end, pair[1].start);
            assert!(pair[0].len() * 101 >= CHUNK_BYTES);
        }
        assert!(chunk_ranges(std::iter::empty()).is_empty());
        assert_eq!(chunk_ranges(std::iter::once(1 << 20)), vec![0..1]);
    }
}
