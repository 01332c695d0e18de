//! The search index, exported for the browser: a pmsite-owned, versioned format of small
//! files that the search page loads with `<script>` tags (so it works from `file://` and on
//! any static host). See docs/SEARCH-DESIGN.md for why it is cut this way.
//!
//! Every file is `pmsiteSearch.receive("<name>", <JSON>);`. Files:
//! - `manifest.js`: version, document count, BM25 constants, per-field boost and average
//!   length, the fieldnorm table, the first term of every term chunk and the first word of
//!   every word chunk, the size of document groups.
//! - `t/<i>.js`: terms in UTF-8 byte order, each with its postings per field: document ids
//!   (delta-coded), term frequencies and the document's fieldnorm id for that field.
//! - `w/<i>.js`: every word of the corpus (as the tokenizer sees it, lowercased) and its
//!   stem, so the client never needs a stemmer of its own.
//! - `d/<g>.js`: what a result shows, for documents `g*GROUP .. (g+1)*GROUP`.
//! - `f/<kind>.js`: a facet kind's values and which documents have them.
//!
//! Numbers lists are strings of base-32 varints: each number is written most significant
//! group first, every group but the last from `CONTINUE`, the last from `FINAL`.

use std::collections::BTreeMap;

use serde::Serialize;
use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::Postings;
use tantivy::schema::IndexRecordOption;
use tantivy::{DocSet, TERMINATED};

use super::{Fields, TEXT_FIELDS};
use crate::site::{Site, url};

pub const FORMAT_VERSION: u32 = 1;
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
    /// First term of each term chunk.
    terms: Vec<String>,
    /// First word of each word chunk.
    words: Vec<String>,
    group: usize,
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
    let mut counts = vec![0u32; sections.starts.len().max(1)];
    let last = counts.len() - 1;
    for &p in positions {
        counts[sections.at(p).min(last)] += 1;
    }
    let best = counts.iter().copied().max().unwrap_or(0);
    counts.iter().position(|&c| c == best).unwrap_or(0) as u32
}

/// Exports a built index of `site`: postings, the word -> stem map, documents, facets.
pub fn export(built: &super::Built, site: &Site<'_>) -> tantivy::Result<Vec<File>> {
    let (index, words) = (&built.index, &built.words);
    let fields = Fields::from_schema(&index.schema())?;
    let reader = index.reader()?;
    let searcher = reader.searcher();
    let docs = searcher.num_docs() as u32;
    let mut files = Vec::new();

    // term -> postings per field, in byte order of the term.
    let mut terms: BTreeMap<Vec<u8>, Vec<FieldPostings>> = BTreeMap::new();
    let mut infos = Vec::new();
    for (field_index, ((field, boost), (name, _))) in
        fields.text_fields().into_iter().zip(TEXT_FIELDS).enumerate()
    {
        let mut total_tokens = 0u64;
        for segment in searcher.segment_readers() {
            let inverted = segment.inverted_index(field)?;
            total_tokens += inverted.total_num_tokens();
            let norms = segment.get_fieldnorms_reader(field)?;
            // Body postings also say which section holds most of the term's occurrences,
            // so a result can link to that section.
            let is_body = field == fields.body;
            let option = if is_body {
                IndexRecordOption::WithFreqsAndPositions
            } else {
                IndexRecordOption::WithFreqs
            };
            let mut positions = Vec::new();
            let mut stream = inverted.terms().stream()?;
            while stream.advance() {
                let mut postings = inverted.read_postings_from_terminfo(stream.value(), option)?;
                let (mut ids, mut tfs, mut ns, mut sections) =
                    (Vec::new(), Vec::new(), Vec::new(), Vec::new());
                let mut previous = 0;
                while postings.doc() != TERMINATED {
                    let doc = postings.doc();
                    ids.push(doc - previous);
                    previous = doc;
                    tfs.push(postings.term_freq());
                    ns.push(u32::from(norms.fieldnorm_id(doc)));
                    if is_body {
                        positions.clear();
                        postings.positions(&mut positions);
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
                terms
                    .entry(stream.key().to_vec())
                    .or_default()
                    .push(FieldPostings(entry));
            }
        }
        infos.push(FieldInfo {
            name,
            boost,
            avg: if docs == 0 {
                0.0
            } else {
                total_tokens as f32 / docs as f32
            },
        });
    }

    let mut term_starts = Vec::new();
    let entries = terms.into_iter().map(|(term, postings)| {
        let term = String::from_utf8_lossy(&term).into_owned();
        let json = serde_json::to_string(&(term.as_str(), postings)).unwrap_or_default();
        (term, json)
    });
    for (i, (first, body)) in chunks(entries).into_iter().enumerate() {
        term_starts.push(first);
        files.push(file(&format!("t/{i}.js"), &format!("t{i}"), &body));
    }

    let mut word_starts = Vec::new();
    let entries = words.iter().map(|(word, stem)| {
        let json = if word == stem {
            serde_json::to_string(&[word]).unwrap_or_default()
        } else {
            serde_json::to_string(&[word, stem]).unwrap_or_default()
        };
        (word.clone(), json)
    });
    for (i, (first, body)) in chunks(entries).into_iter().enumerate() {
        word_starts.push(first);
        files.push(file(&format!("w/{i}.js"), &format!("w{i}"), &body));
    }

    for (g, group) in site.postmortems.chunks(GROUP).enumerate() {
        let rows: Vec<serde_json::Value> = group
            .iter()
            .map(|pm| {
                let sections = &built.sections[doc_index(site, pm)].anchors;
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
    };
    let body = serde_json::to_string(&manifest).unwrap_or_default();
    files.push(file("manifest.js", "manifest", &body));
    Ok(files)
}

/// `f/<kind>.js`: a facet kind's values (as taxonomy pages name them) and, per document in
/// id order, the indices of its values: a count then the indices, as varints. Enough for
/// filters and live counts over any set of results, with an empty query too. One file per
/// kind, so the client loads tags (the largest) only when they are asked for.
pub const FACET_KINDS: [&str; 6] = ["severity", "service", "team", "root_cause", "tag", "year"];

fn facet_files(site: &Site<'_>) -> Vec<File> {
    use crate::site::TaxonomyKind;
    let mut files = Vec::new();
    for (key, kind) in [
        ("severity", TaxonomyKind::Severity),
        ("service", TaxonomyKind::Service),
        ("team", TaxonomyKind::Team),
        ("root_cause", TaxonomyKind::RootCause),
        ("tag", TaxonomyKind::Tag),
        ("year", TaxonomyKind::Year),
    ] {
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

fn doc_index(site: &Site<'_>, pm: &crate::content::Postmortem) -> usize {
    site.index_of_id(&pm.id).unwrap_or(0)
}

fn file(path: &str, name: &str, json: &str) -> File {
    File {
        path: path.to_string(),
        contents: format!("pmsiteSearch.receive(\"{name}\",{json});\n"),
    }
}

/// Packs `(key, json)` entries, in order, into JSON arrays of about [`CHUNK_BYTES`]; returns
/// each chunk's first key and text.
fn chunks(entries: impl Iterator<Item = (String, String)>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut current: Option<(String, String)> = None;
    for (key, json) in entries {
        match current.as_mut() {
            Some((_, body)) if body.len() < CHUNK_BYTES => {
                body.push(',');
                body.push_str(&json);
            }
            _ => {
                if let Some((first, mut body)) = current.take() {
                    body.push(']');
                    out.push((first, body));
                }
                current = Some((key, format!("[{json}")));
            }
        }
    }
    if let Some((first, mut body)) = current {
        body.push(']');
        out.push((first, body));
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
    fn chunks_keep_order_and_first_keys() {
        let entries = (0..2000).map(|i| (format!("k{i:05}"), format!("\"{}\"", "x".repeat(20))));
        let chunks = chunks(entries);
        assert!(chunks.len() > 1);
        assert_eq!(chunks[0].0, "k00000");
        for (_, body) in &chunks {
            let parsed: Vec<String> = serde_json::from_str(body).unwrap();
            assert!(!parsed.is_empty());
        }
    }
}
