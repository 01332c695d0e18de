// pmsite search client: queries the index that `pmsite build` exports to search/, in the
// browser, with no server. Files are loaded with <script> tags (each calls
// pmsiteSearch.receive), so this also works from file:// and on any static host.
// Ranking is tantivy's BM25 with the same constants, field boosts and field norms, so a
// query ranks here as it does in `pmsite search`. See docs/SEARCH-DESIGN.md.
//
// The engine (everything but `ui`) has no DOM dependency besides `load`, so node tests can
// drive it with a loader that reads the files.
(function (global) {
  'use strict';

  const FINAL = '0123456789abcdefghijklmnopqrstuv';
  const CONTINUE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ!#$%&*';
  const DIGIT = {};
  for (let i = 0; i < 32; i++) {
    DIGIT[FINAL[i]] = [i, true];
    DIGIT[CONTINUE[i]] = [i, false];
  }

  function varints(text) {
    const out = [];
    let value = 0;
    for (const ch of text) {
      const d = DIGIT[ch];
      if (!d) continue;
      value = value * 32 + d[0];
      if (d[1]) {
        out.push(value);
        value = 0;
      }
    }
    return out;
  }

  // Order strings by code point, which is the UTF-8 byte order the index uses (JavaScript's
  // own comparison uses UTF-16 units, which differs above U+FFFF).
  function compare(a, b) {
    const ia = a[Symbol.iterator]();
    const ib = b[Symbol.iterator]();
    for (;;) {
      const x = ia.next();
      const y = ib.next();
      if (x.done || y.done) return x.done === y.done ? 0 : x.done ? -1 : 1;
      const cx = x.value.codePointAt(0);
      const cy = y.value.codePointAt(0);
      if (cx !== cy) return cx < cy ? -1 : 1;
    }
  }

  // Index of the chunk whose first key is the last one <= key.
  function chunkOf(starts, key) {
    let lo = 0;
    let hi = starts.length - 1;
    if (hi < 0) return -1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (compare(starts[mid], key) <= 0) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  function utf8Length(s) {
    let n = 0;
    for (const ch of s) {
      const c = ch.codePointAt(0);
      n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    }
    return n;
  }

  // tantivy's SimpleTokenizer + RemoveLongFilter(40) + LowerCaser, with each word's
  // position (a dropped long word still takes a position, as in the index).
  function tokens(text) {
    const out = [];
    let position = 0;
    for (const m of text.matchAll(/[\p{Alphabetic}\p{N}]+/gu)) {
      const w = m[0].toLowerCase();
      if (utf8Length(w) < 40) out.push({ word: w, position });
      position++;
    }
    return out;
  }

  function words(text) {
    return tokens(text).map((t) => t.word);
  }

  // Splits a query into words; the words of a "quoted phrase" share a phrase number and
  // keep their positions in it. A phrase whose closing quote is not typed yet is still
  // words, the last one a prefix while typing, like any trailing word.
  function parseQuery(text) {
    const parts = [];
    const re = /"([^"]*)("?)|([^\s"]+)/g;
    let m;
    let phrases = 0;
    while ((m = re.exec(text)) !== null) {
      const closed = m[1] !== undefined && m[2] === '"';
      const phrase = closed ? ++phrases : 0;
      for (const t of tokens(m[1] !== undefined ? m[1] : m[3])) {
        parts.push(phrase ? { word: t.word, phrase, offset: t.position } : { word: t.word, phrase: 0 });
      }
    }
    const last = parts[parts.length - 1];
    if (last && !last.phrase && /[\p{Alphabetic}\p{N}]$/u.test(text)) last.prefix = true;
    return parts;
  }

  // Groups parts into the clauses every document must match: a word, or a phrase of two
  // or more words (a one-word phrase is that word, as in tantivy's query parser).
  function clauses(parts) {
    const out = [];
    for (const part of parts) {
      const last = out[out.length - 1];
      if (part.phrase && last && last[0].phrase === part.phrase) last.push(part);
      else out.push([part]);
    }
    return out;
  }

  function editDistanceAtMostOne(a, b) {
    if (a === b) return true;
    const la = a.length;
    const lb = b.length;
    if (Math.abs(la - lb) > 1) return false;
    let i = 0;
    while (i < la && i < lb && a[i] === b[i]) i++;
    if (la === lb) {
      if (a.slice(i + 1) === b.slice(i + 1)) return true;
      // transposition
      return i + 1 < la && a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
    }
    return la > lb ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
  }

  function Engine(load) {
    this.load = load; // (name, path) => Promise<data>
    this.manifest = null;
  }

  // The export format this client reads (src/search/export.rs FORMAT_VERSION).
  const FORMAT = 3;

  Engine.prototype.init = async function () {
    if (!this.manifest) {
      const manifest = await this.load('manifest', 'manifest.js');
      // A site's own static/search.js overriding the theme's can fall behind the format.
      if (manifest.version !== FORMAT) {
        throw new Error('the search index is format ' + manifest.version + ', this page reads format ' + FORMAT);
      }
      this.manifest = manifest;
    }
    return this.manifest;
  };

  // The chunks (of `starts`) that can hold `key`, and when `key` is being typed, the next
  // one if it can hold keys starting with it: boundaries are shortened keys, so it can when
  // its boundary and the key are prefixes one of the other.
  function chunksFor(starts, key, prefix) {
    const first = chunkOf(starts, key);
    if (first < 0) return [];
    const next = first + 1;
    if (prefix && next < starts.length && (starts[next].startsWith(key) || key.startsWith(starts[next]))) return [first, next];
    return [first];
  }

  // Every document's fieldnorm id in a field (n/<field>.js), for the postings of frequent
  // terms, which leave their norms out. Loaded once per field.
  Engine.prototype.fieldNorms = function (field) {
    this.norms = this.norms || [];
    // The promise is kept, so stems scored side by side decode the file once.
    if (!this.norms[field]) this.norms[field] = this.load('n' + field, 'n/' + field + '.js').then(varints);
    return this.norms[field];
  };

  // The stems a query word stands for: its own stem, or for a word being typed, the stems
  // of the words it starts (the exact word first), or for an unknown word, the stem of a
  // word one edit away. Returns { stems, corrected }.
  // A word whose stem differs is in the word files; a word that is its own stem is a term
  // flagged as a word. Both are looked at in the chunks around the typed word.
  Engine.prototype.stemsFor = async function (part) {
    const word = part.word;
    const m = this.manifest;
    const around = async (starts, letter) => {
      const chunks = await Promise.all(chunksFor(starts, word, part.prefix).map((i) => this.load(letter + i, letter + '/' + i + '.js')));
      return [].concat(...chunks);
    };
    const aliases = await around(m.words, 'w');
    const alias = aliases.find((e) => e[0] === word);
    // Most words are looked up this way: the term files are only needed for the stem.
    if (alias && !part.prefix) return { stems: [alias[1]] };
    const terms = await around(m.terms, 't');
    const candidates = aliases.concat(terms.filter((e) => e[5] === 1).map((e) => [e[0], e[0]]));
    candidates.sort((a, b) => compare(a[0], b[0]));
    const exact = candidates.find((e) => e[0] === word);
    if (part.prefix) {
      const stems = [];
      if (exact) stems.push(exact[1]);
      for (const e of candidates) {
        if (e[0].startsWith(word) && !stems.includes(e[1])) stems.push(e[1]);
        if (stems.length >= 12) break;
      }
      if (stems.length) return { stems };
    }
    if (exact) return { stems: [exact[1]] };
    const near = candidates.find((e) => editDistanceAtMostOne(e[0], word));
    if (near) return { stems: [near[1]], corrected: near[0] };
    return { stems: [] };
  };

  // A field's length for a document: from the posting, the field's norms file, or the one
  // length every document has in a field without norms.
  function lengthOf(m, field, norms, i, fieldNorms, doc) {
    if (field.fixed !== undefined) return field.fixed;
    return m.norms[norms ? norms[i] : fieldNorms[doc]];
  }

  // A term's postings per field, from its entry `[term, docs, masks, tfs, norms, 1?]`:
  // the documents holding the term in any field (delta-coded), per document a bit mask of
  // those fields, then per field the term frequencies and inline norms of the documents
  // whose mask has it. Returns, per field index, { docs, tfs, norms (ids, or null) } or
  // null where the term is not in the field.
  function postingsByField(entry, fieldCount) {
    const all = varints(entry[1]);
    for (let i = 1; i < all.length; i++) all[i] += all[i - 1];
    const masks = varints(entry[2]);
    const out = [];
    for (let f = 0; f < fieldCount; f++) {
      if (!entry[3][f]) {
        out.push(null);
        continue;
      }
      const docs = all.filter((_, i) => masks[i] & (1 << f));
      out.push({ docs, tfs: varints(entry[3][f]), norms: entry[4][f] ? varints(entry[4][f]) : null });
    }
    return out;
  }

  // BM25 per field, summed over fields, exactly as tantivy scores a term in a multi-field
  // query: idf = ln(1 + (N - df + .5) / (df + .5)); tf part with the doc's fieldnorm.
  Engine.prototype.scoreStem = async function (stem) {
    const found = await this.term(stem, false);
    const scores = new Map();
    if (!found) return scores;
    const m = this.manifest;
    for (let f = 0; f < m.fields.length; f++) {
      const p = found.postings[f];
      if (!p) continue;
      const field = m.fields[f];
      const fieldNorms = p.norms || field.fixed !== undefined ? null : await this.fieldNorms(f);
      const df = p.docs.length;
      const idf = Math.fround(Math.log(1 + (m.docs - df + 0.5) / (df + 0.5)));
      const weight = Math.fround(Math.fround(idf * (1 + m.k1)) * field.boost);
      for (let i = 0; i < df; i++) {
        const doc = p.docs[i];
        const len = lengthOf(m, field, p.norms, i, fieldNorms, doc);
        const tf = p.tfs[i];
        const norm = Math.fround(m.k1 * Math.fround(1 - m.b + Math.fround((m.b * len) / field.avg)));
        const s = Math.fround(weight * Math.fround(tf / Math.fround(tf + norm)));
        scores.set(doc, Math.fround((scores.get(doc) || 0) + s));
      }
    }
    return scores;
  };

  // A term's postings per field and, when `positions` is set, its positions per field
  // (p/<i>.js is aligned with t/<i>.js and loaded only for phrases): { postings,
  // positions } or null.
  Engine.prototype.term = async function (stem, positions) {
    const i = chunkOf(this.manifest.terms, stem);
    if (i < 0) return null;
    const chunk = await this.load('t' + i, 't/' + i + '.js');
    const k = chunk.findIndex((e) => e[0] === stem);
    if (k < 0) return null;
    const found = { postings: postingsByField(chunk[k], this.manifest.fields.length) };
    if (positions) found.positions = (await this.load('p' + i, 'p/' + i + '.js'))[k];
    return found;
  };

  // An exact phrase, scored as tantivy scores a phrase query in each field (BM25 with the
  // sum of the terms' idfs and the number of occurrences of the phrase as its frequency),
  // summed over the fields it occurs in. `offsets` are the words' positions in the phrase.
  Engine.prototype.scorePhrase = async function (stems, offsets) {
    const m = this.manifest;
    const terms = await Promise.all(stems.map((s) => this.term(s, true)));
    const scores = new Map();
    if (terms.some((t) => !t)) return scores;
    for (let f = 0; f < m.fields.length; f++) {
      const field = m.fields[f];
      if (terms.some((t) => !t.postings[f])) continue;
      let idf = 0;
      const needsNorms = field.fixed === undefined && terms.some((t) => !t.postings[f].norms);
      const fieldNorms = needsNorms ? await this.fieldNorms(f) : null;
      const docsOf = terms.map((t) => {
        const p = t.postings[f];
        const ps = varints(t.positions[f]);
        const df = p.docs.length;
        idf = Math.fround(idf + Math.fround(Math.log(1 + (m.docs - df + 0.5) / (df + 0.5))));
        const byDoc = new Map();
        let at = 0;
        for (let i = 0; i < df; i++) {
          const list = new Set();
          let pos = 0;
          for (let k = 0; k < p.tfs[i]; k++) list.add((pos += ps[at++]));
          byDoc.set(p.docs[i], { len: lengthOf(m, field, p.norms, i, fieldNorms, p.docs[i]), positions: list });
        }
        return byDoc;
      });
      const weight = Math.fround(Math.fround(idf * (1 + m.k1)) * field.boost);
      for (const [doc, first] of docsOf[0]) {
        const here = docsOf.map((byDoc) => byDoc.get(doc));
        if (here.some((x) => !x)) continue;
        let count = 0;
        for (const p of first.positions) {
          if (here.every((x, i) => x.positions.has(p - offsets[0] + offsets[i]))) count++;
        }
        if (!count) continue;
        const norm = Math.fround(m.k1 * Math.fround(1 - m.b + Math.fround((m.b * first.len) / field.avg)));
        const s = Math.fround(weight * Math.fround(count / Math.fround(count + norm)));
        scores.set(doc, Math.fround((scores.get(doc) || 0) + s));
      }
    }
    return scores;
  };

  // One clause of a query (a word, or a phrase of several): { scores: Map doc -> score,
  // corrected: [[typed, used]...], stems: what to highlight }.
  Engine.prototype.scoreClause = async function (clause) {
    const found = await Promise.all(clause.map((part) => this.stemsFor(part)));
    const corrected = [];
    const stems = [];
    found.forEach((f, i) => {
      if (f.corrected) corrected.push([clause[i].word, f.corrected]);
      stems.push(...f.stems, clause[i].word);
    });
    let scores = new Map();
    if (clause.length === 1) {
      const perStem = await Promise.all(found[0].stems.map((s) => this.scoreStem(s)));
      // Several stems (a prefix): a document scores with the best of them.
      for (const map of perStem) {
        for (const [doc, s] of map) if (!scores.has(doc) || scores.get(doc) < s) scores.set(doc, s);
      }
    } else if (found.every((f) => f.stems.length)) {
      const phrase = found.map((f) => f.stems[0]);
      scores = await this.scorePhrase(phrase, clause.map((p) => p.offset));
    }
    return { scores, corrected, stems };
  };

  // Runs a query: returns { docs: [[doc, score]...] in rank order, corrections, parts,
  // highlights (stems and words to mark) }. An empty query matches every document.
  Engine.prototype.search = async function (text, options) {
    await this.init();
    const opts = options || {};
    const parts = parseQuery(text);
    if (opts.prefix === false) for (const part of parts) part.prefix = false;
    const corrections = [];
    let matched = null; // Map doc -> score
    // Every clause's files load side by side; scores are then combined in query order, so
    // the float sums are tantivy's.
    const scored = await Promise.all(clauses(parts).map((clause) => this.scoreClause(clause)));
    const highlights = [];
    for (const { scores, corrected, stems } of scored) {
      corrections.push(...corrected);
      highlights.push(...stems);
      if (matched === null) matched = scores;
      else {
        const next = new Map();
        for (const [doc, s] of matched) if (scores.has(doc)) next.set(doc, Math.fround(s + scores.get(doc)));
        matched = next;
      }
    }
    let docs;
    if (matched === null) {
      docs = [];
      for (let d = 0; d < this.manifest.docs; d++) docs.push([d, 0]);
    } else docs = Array.from(matched.entries());
    if (opts.filter) docs = docs.filter(([d]) => opts.filter(d));
    if (opts.sort === 'date' || parts.length === 0) docs.sort((a, b) => a[0] - b[0]);
    else docs.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    return { docs, corrections, parts, highlights: [...new Set(highlights)] };
  };

  // What a result shows: { id, title, path (from the site root), date, severity, rank
  // (0 = most severe), summary, services }. The severity comes from its facet file.
  Engine.prototype.doc = async function (doc) {
    const m = this.manifest;
    const g = Math.floor(doc / m.group);
    const [rows, severity] = await Promise.all([this.load('d' + g, 'd/' + g + '.js'), this.facet('severity')]);
    const r = rows[doc - g * m.group];
    const name = severity.values[severity.perDoc[doc][0]] || '';
    const rank = m.severities.indexOf(name);
    return {
      id: r[0], title: r[1], path: m.incident.replace('{id}', r[0]), date: r[2], severity: name,
      rank: rank < 0 ? m.severities.length : rank, summary: r[3], services: r[4],
    };
  };

  Engine.prototype.facet = async function (kind) {
    const data = await this.load('f-' + kind, 'f/' + kind + '.js');
    if (!data.perDoc) {
      const flat = varints(data.docs);
      const perDoc = [];
      for (let i = 0; i < flat.length; ) {
        const n = flat[i++];
        perDoc.push(flat.slice(i, i + n));
        i += n;
      }
      data.perDoc = perDoc;
    }
    return data;
  };

  const api = { Engine, varints, compare, chunkOf, chunksFor, parseQuery, clauses, words, tokens, editDistanceAtMostOne };
  if (typeof module !== 'undefined' && module.exports) module.exports = api;

  // ---------------------------------------------------------------------------------------
  // The page: only when loaded in a browser by the search page.
  if (typeof document === 'undefined') return;
  const script = document.currentScript;
  const root = (script && script.dataset.root) || './';
  const base = root + 'search/';
  const received = new Map();
  const waiting = new Map();
  global.pmsiteSearch = {
    receive(name, data) {
      received.set(name, data);
      const resolvers = waiting.get(name) || [];
      waiting.delete(name);
      resolvers.forEach((r) => r.resolve(data));
    },
  };
  function load(name, path) {
    if (received.has(name)) return Promise.resolve(received.get(name));
    return new Promise((resolve, reject) => {
      if (waiting.has(name)) {
        waiting.get(name).push({ resolve, reject });
        return;
      }
      waiting.set(name, [{ resolve, reject }]);
      const tag = document.createElement('script');
      tag.src = base + path;
      tag.async = true;
      tag.onerror = () => {
        const list = waiting.get(name) || [];
        waiting.delete(name);
        list.forEach((r) => r.reject(new Error('cannot load ' + path)));
      };
      document.head.appendChild(tag);
    });
  }
  api.ui = { load };
  global.pmsiteSearchApi = api;
  if (document.getElementById('pm-search')) startPage(new Engine(load), root);

  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  }

  // Wraps words of `text` that start with one of `stems` in <mark>, escaping everything.
  function highlight(text, stems) {
    let out = '';
    let at = 0;
    for (const m of text.matchAll(/[\p{Alphabetic}\p{N}]+/gu)) {
      const w = m[0].toLowerCase();
      if (stems.some((s) => s && w.startsWith(s))) {
        out += escapeHtml(text.slice(at, m.index)) + '<mark>' + escapeHtml(m[0]) + '</mark>';
        at = m.index + m[0].length;
      }
    }
    return out + escapeHtml(text.slice(at));
  }

  function startPage(engine, root) {
    const form = document.getElementById('pm-search');
    const input = document.getElementById('pm-q');
    const sort = document.getElementById('pm-sort');
    const status = document.getElementById('pm-status');
    const results = document.getElementById('pm-results');
    const more = document.getElementById('pm-more');
    const facetsBox = document.getElementById('pm-facets');
    const KINDS = [
      ['severity', 'Severity', true],
      ['year', 'Year', true],
      ['root_cause', 'Root cause', true],
      ['service', 'Service', false],
      ['team', 'Team', false],
      ['tag', 'Tag', false],
    ];
    const PAGE = 10;
    const selected = {}; // kind -> Set(value index)
    const opened = new Set(KINDS.filter((k) => k[2]).map((k) => k[0]));
    let shown = PAGE;
    let generation = 0;

    const params = new URLSearchParams(location.search);
    input.value = params.get('q') || '';
    if (params.get('sort') === 'date') sort.value = 'date';
    const wanted = {};
    for (const [kind] of KINDS) {
      const values = params.getAll(kind);
      if (values.length) {
        wanted[kind] = values;
        opened.add(kind);
      }
    }

    function syncUrl() {
      const p = new URLSearchParams();
      if (input.value) p.set('q', input.value);
      if (sort.value === 'date') p.set('sort', 'date');
      for (const [kind] of KINDS) {
        const data = facetData[kind];
        if (data && selected[kind]) for (const v of selected[kind]) p.append(kind, data.values[v]);
      }
      const qs = p.toString();
      history.replaceState(null, '', qs ? '?' + qs : location.pathname);
    }

    const facetData = {};
    function ensureFacets() {
      return Promise.all(
        [...opened].filter((kind) => !facetData[kind]).map(async (kind) => {
          const data = await engine.facet(kind);
          facetData[kind] = data;
          if (wanted[kind]) {
            selected[kind] = new Set(wanted[kind].map((v) => data.values.indexOf(v)).filter((i) => i >= 0));
          }
        })
      );
    }

    function passes(doc, except) {
      for (const kind in selected) {
        if (kind === except || !selected[kind].size) continue;
        const mine = facetData[kind].perDoc[doc];
        let any = false;
        for (const v of selected[kind]) if (mine.includes(v)) any = true;
        if (!any) return false;
      }
      return true;
    }

    // `typing`: the last word is still being typed, so it matches as a prefix. A query
    // from the address, the header box or the Search button is taken as written, as
    // `pmsite search` takes it.
    async function run(typing) {
      const mine = ++generation;
      await engine.init();
      const [, found] = await Promise.all([
        ensureFacets(),
        engine.search(input.value, { sort: sort.value, prefix: typing === true }),
      ]);
      if (mine !== generation) return;
      const docs = found.docs.filter(([d]) => passes(d));
      const stems = found.highlights;
      const page = docs.slice(0, shown);
      const rows = await Promise.all(page.map(([d]) => engine.doc(d).then((r) => Object.assign(r, { doc: d }))));
      if (mine !== generation) return;
      const n = docs.length;
      const noun = n === 1 ? 'incident' : 'incidents';
      let line = input.value.trim() ? n + ' ' + noun + (n === 1 ? ' matches.' : ' match.') : n + ' ' + noun + '.';
      if (found.corrections.length) {
        line += ' Showing results for ' + found.corrections.map((c) => '“' + c[1] + '”').join(', ') + '.';
      }
      status.textContent = line;
      results.innerHTML = rows
        .map((r) => {
          // Opened from file:// (a zip of the archive), folders do not open their index.html.
          const page = location.protocol === 'file:' ? r.path + 'index.html' : r.path;
          // The incident page marks these words and moves to the section holding them
          // (assets/highlight.js).
          const words = stems.length ? '?' + new URLSearchParams({ highlight: stems.join(' ') }) : '';
          const href = root + page + words;
          const chips = r.services.map((s) => '<span class="chip">' + escapeHtml(s) + '</span>').join(' ');
          return (
            '<li class="incident-row"><div class="incident-row-head"><span class="sev sev-' + Math.min(Number(r.rank) || 0, 4) + '">' + escapeHtml(r.severity) +
            '</span> <time datetime="' + escapeHtml(r.date) + '">' + escapeHtml(r.date) + '</time></div>' +
            '<h2 class="incident-row-title"><a href="' + escapeHtml(href) + '">' + highlight(r.title, stems) + '</a></h2>' +
            '<p class="incident-row-summary">' + highlight(r.summary, stems) + '</p>' +
            (chips ? '<p class="chips">' + chips + '</p>' : '') + '</li>'
          );
        })
        .join('');
      more.hidden = docs.length <= shown;
      renderFacets(found.docs);
      syncUrl();
    }

    const closed = new Set(); // facet groups the reader closed: keep them closed
    function renderFacets(all) {
      const parts = [];
      for (const [kind, label] of KINDS) {
        const data = facetData[kind];
        if (!data) {
          parts.push('<details data-kind="' + kind + '"><summary>' + label + '</summary><p>Loading…</p></details>');
          continue;
        }
        const counts = new Array(data.values.length).fill(0);
        for (const [d] of all) if (passes(d, kind)) for (const v of data.perDoc[d]) counts[v]++;
        const boxes = data.values
          .map((value, i) => {
            const checked = selected[kind] && selected[kind].has(i);
            if (!counts[i] && !checked) return '';
            const id = 'f-' + kind + '-' + i;
            return (
              '<li><input type="checkbox" id="' + id + '" data-kind="' + kind + '" data-value="' + i + '"' +
              (checked ? ' checked' : '') + '><label for="' + id + '">' + escapeHtml(value) + ' <span class="count">' +
              counts[i] + '</span></label></li>'
            );
          })
          .join('');
        parts.push('<details data-kind="' + kind + '"' + (closed.has(kind) ? '' : ' open') + '><summary>' + label + '</summary><ul class="facet-list">' + boxes + '</ul></details>');
      }
      facetsBox.innerHTML = parts.join('');
    }

    facetsBox.addEventListener('change', (e) => {
      const box = e.target;
      if (!box.dataset || !box.dataset.kind) return;
      const kind = box.dataset.kind;
      selected[kind] = selected[kind] || new Set();
      const v = Number(box.dataset.value);
      if (box.checked) selected[kind].add(v);
      else selected[kind].delete(v);
      shown = PAGE;
      run().then(() => {
        const again = document.getElementById(box.id);
        if (again) again.focus();
      });
    });
    facetsBox.addEventListener('toggle', (e) => {
      const d = e.target;
      if (!d.dataset || !d.dataset.kind) return;
      if (d.open) closed.delete(d.dataset.kind);
      else closed.add(d.dataset.kind);
      if (d.open && !facetData[d.dataset.kind]) {
        opened.add(d.dataset.kind);
        run();
      }
    }, true);
    let timer = 0;
    input.addEventListener('input', () => {
      clearTimeout(timer);
      shown = PAGE;
      timer = setTimeout(() => run(true), 60);
    });
    sort.addEventListener('change', () => {
      shown = PAGE;
      run();
    });
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      run();
    });
    more.addEventListener('click', () => {
      const first = shown;
      shown += PAGE;
      // The button may disappear: move focus to the first newly shown result instead.
      run().then(() => {
        const rows = results.querySelectorAll('li.incident-row h2 a');
        (rows[first] || (more.hidden ? input : more)).focus();
      });
    });
    input.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowDown') {
        const first = results.querySelector('a');
        if (first) {
          e.preventDefault();
          first.focus();
        }
      }
    });
    results.addEventListener('keydown', (e) => {
      const links = Array.from(results.querySelectorAll('a'));
      const i = links.indexOf(document.activeElement);
      if (i < 0) return;
      if (e.key === 'ArrowDown' && i + 1 < links.length) {
        e.preventDefault();
        links[i + 1].focus();
      } else if (e.key === 'ArrowUp') {
        e.preventDefault();
        (i === 0 ? input : links[i - 1]).focus();
      }
    });
    document.addEventListener('keydown', (e) => {
      const active = document.activeElement;
      const typingInto = active && (/TEXTAREA|SELECT/.test(active.tagName) || (active.tagName === 'INPUT' && !/checkbox|radio|button|submit/.test(active.type)));
      if (e.key === '/' && !typingInto) {
        e.preventDefault();
        input.focus();
      }
    });
    run().catch((err) => {
      status.textContent = 'Search is unavailable: ' + err.message;
    });
  }
})(typeof window !== 'undefined' ? window : globalThis);
