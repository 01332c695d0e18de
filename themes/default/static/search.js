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

  // A chunk's file name from its boundary (src/search/export.rs chunk_name): `_`, then
  // ASCII lowercase letters and digits as they are and any other UTF-8 byte as ~ and two
  // hex digits.
  function chunkName(boundary) {
    let out = '_';
    for (const byte of new TextEncoder().encode(boundary)) {
      const c = String.fromCharCode(byte);
      out += /[a-z0-9]/.test(c) ? c : '~' + byte.toString(16).padStart(2, '0');
    }
    return out;
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

  // A ticket id as one word: PAY-1510 or JIRA:PAY-1510 -> pay1510, as the index holds it
  // (src/search/query.rs ticket_word).
  function ticketWord(text) {
    const m = /^(?:.*:)?([A-Za-z][A-Za-z0-9]*)-([0-9]+)$/.exec(text);
    return m ? (m[1] + m[2]).toLowerCase() : null;
  }

  // Splits a query into clauses every result must match, as `pmsite search` does
  // (src/search/query.rs parse_query): a word, or the words of a "quoted phrase" with
  // their positions in it. Outside quotes a ticket id is one word. A phrase whose closing
  // quote is not typed yet is words.
  function parseQuery(text) {
    const out = [];
    const re = /"([^"]*)("?)|([^\s"]+)/g;
    let m;
    while ((m = re.exec(text)) !== null) {
      if (m[1] !== undefined && m[2] === '"') {
        const phrase = tokens(m[1]).map((t) => ({ word: t.word, offset: t.position }));
        if (phrase.length) out.push({ phrase });
        continue;
      }
      for (const chunk of (m[1] !== undefined ? m[1] : m[3]).split(/\s+/)) {
        // A ticket pasted with its punctuation: "(PAY-1510),".
        const ticket = ticketWord(chunk.replace(/^[^\p{Alphabetic}\p{N}]+|[^\p{Alphabetic}\p{N}]+$/gu, ''));
        if (ticket) out.push({ word: ticket });
        else for (const t of tokens(chunk)) out.push({ word: t.word });
      }
    }
    return out;
  }

  // Whether `word` is one typo from `typed` (a letter added, dropped or changed, or two
  // neighbours swapped), never the first letter. Counted in characters, as in Rust.
  function oneTypo(typed, word) {
    const a = Array.from(typed);
    const b = Array.from(word);
    if (typed === word || a[0] !== b[0] || Math.abs(a.length - b.length) > 1) return false;
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    const rest = (x, from) => x.slice(from).join('');
    if (a.length === b.length) {
      if (rest(a, i + 1) === rest(b, i + 1)) return true;
      return i + 1 < a.length && a[i] === b[i + 1] && a[i + 1] === b[i] && rest(a, i + 2) === rest(b, i + 2);
    }
    return a.length > b.length ? rest(a, i + 1) === rest(b, i) : rest(a, i) === rest(b, i + 1);
  }

  // At most this many stems stand for a word matched as a prefix or with a typo; shorter
  // words than MIN_TYPO_CHARS are never read as typos (src/search/query.rs).
  const MAX_STEMS = 12;
  const MIN_TYPO_CHARS = 3;

  // The first of `entries` ([word, stem], in order) up to MAX_STEMS distinct stems:
  // { words, stems }.
  function firstStems(entries) {
    const words = [];
    const stems = [];
    for (const [word, stem] of entries) {
      if (!stems.includes(stem)) {
        if (stems.length === MAX_STEMS) break;
        stems.push(stem);
      }
      words.push(word);
    }
    return { words, stems };
  }

  // A word file's entry, "word" or "word stem", as [word, stem].
  function wordEntry(entry) {
    const space = entry.indexOf(' ');
    return space < 0 ? [entry, entry] : [entry.slice(0, space), entry.slice(space + 1)];
  }

  // What the answer says about words that are not words of the archive, a sentence each;
  // the same sentences as `pmsite search` (src/search/print.rs notes). A prefix or typo
  // match is named only when something matched: never a correction that finds nothing.
  function notes(expansions, total) {
    const SHOWN = 5;
    const list = (words) => words.slice(0, SHOWN).join(', ') + (words.length > SHOWN ? ' and ' + (words.length - SHOWN) + ' more' : '');
    return expansions
      .filter((e) => total > 0 || e.how === 'none')
      .map((e) => {
        if (e.how === 'prefix') return '"' + e.word + '" matched ' + list(e.words) + '.';
        if (e.how === 'typo') return 'Showing results for ' + list(e.words) + ' instead of "' + e.word + '".';
        return 'No incident has "' + e.word + '".';
      });
  }

  function Engine(load) {
    this.load = load; // (name, path) => Promise<data>
    this.manifest = null;
  }

  // The export format this client reads (src/search/export.rs FORMAT_VERSION).
  const FORMAT = 6;

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

  // Every document's fieldnorm id in a field whose postings leave them out (the body):
  // each segment's n/<start>/<field>.js, joined in segment order. Loaded once per field.
  Engine.prototype.fieldNorms = function (field) {
    this.norms = this.norms || [];
    // The promise is kept, so stems scored side by side decode the files once.
    if (!this.norms[field]) {
      const files = this.manifest.segments.map((seg) => {
        const name = 'n/' + seg.start + '/' + field;
        return this.load(name, name + '.js').then(varints);
      });
      this.norms[field] = Promise.all(files).then((lists) => [].concat(...lists));
    }
    return this.norms[field];
  };

  // The chunks of a list that can hold `key` and the ones after it, in order: each the name
  // of its file under `dir` (without `.js`). `starts` is the manifest's list of where each
  // chunk starts or, for a long list, `{ pages }`: where each page of starts begins, the
  // page being the file `<dir>i<name>.js` (src/search/export.rs Starts), read only when
  // a key falls in it.
  Engine.prototype.chunksFrom = async function* (starts, dir, key) {
    if (Array.isArray(starts)) {
      for (let i = chunkOf(starts, key); i >= 0 && i < starts.length; i++) yield dir + chunkName(starts[i]);
      return;
    }
    const pages = starts.pages;
    const first = chunkOf(pages, key);
    for (let p = first; p >= 0 && p < pages.length; p++) {
      const name = dir + 'i' + chunkName(pages[p]);
      const page = await this.load(name, name + '.js');
      for (let i = p === first ? chunkOf(page, key) : 0; i >= 0 && i < page.length; i++) yield dir + chunkName(page[i]);
    }
  };

  // The words of the archive from `word` on, in byte order, while they start with it
  // (the word chunk that can hold `word`, then the next ones while needed): the word
  // itself if it is one, or the words it starts, up to MAX_STEMS stems.
  Engine.prototype.wordsFrom = async function (word) {
    const found = [];
    const stems = new Set();
    for await (const name of this.chunksFrom(this.manifest.words, 'w/', word)) {
      const chunk = await this.load(name, name + '.js');
      for (const entry of chunk.map(wordEntry)) {
        if (compare(entry[0], word) < 0) continue;
        if (!entry[0].startsWith(word)) return found;
        found.push(entry);
        // The word itself: nothing after it is needed.
        if (entry[0] === word && found.length === 1) return found;
        stems.add(entry[1]);
      }
      if (stems.size > MAX_STEMS) return found;
    }
    return found;
  };

  // What a query word stands for, as `pmsite search` reads it (src/search/query.rs
  // Vocabulary::resolve): { how, words, stems }. Its stem if it is a word of the archive;
  // else the words it starts; else, for a word of MIN_TYPO_CHARS or more, the words one
  // typo away (from the typo files of its first letter and lengths around its own); else
  // nothing.
  Engine.prototype.resolve = async function (word) {
    const from = await this.wordsFrom(word);
    if (from.length && from[0][0] === word) return { how: 'exact', words: [word], stems: [from[0][1]] };
    if (from.length) return Object.assign({ how: 'prefix' }, firstStems(from));
    const letters = Array.from(word);
    if (letters.length >= MIN_TYPO_CHARS) {
      const letter = letters[0].codePointAt(0).toString(16);
      const files = [letters.length - 1, letters.length, letters.length + 1].map((n) => {
        const name = letter + '-' + n;
        // No file: no word of that letter and length. (A loader may also throw at once.)
        return Promise.resolve()
          .then(() => this.load('y' + name, 'y/' + name + '.js'))
          .catch(() => []);
      });
      const near = [].concat(...(await Promise.all(files))).map(wordEntry).filter((e) => oneTypo(word, e[0]));
      near.sort((a, b) => compare(a[0], b[0]));
      if (near.length) return Object.assign({ how: 'typo' }, firstStems(near));
    }
    return { how: 'none', words: [], stems: [] };
  };

  // A field's length for a document: from the posting, the field's norms file, or the one
  // length every document has in a field without norms.
  function lengthOf(m, field, norms, i, fieldNorms, doc) {
    if (field.fixed !== undefined) return field.fixed;
    return m.norms[norms ? norms[i] : fieldNorms[doc]];
  }

  // A term's postings per field, from its entry `[term, docs, masks, tfs, norms]` in the
  // segment whose first document is `start`:
  // the documents holding the term in any field (delta-coded), per document a bit mask of
  // those fields, then per field the term frequencies and inline norms of the documents
  // whose mask has it. Returns, per field index, { docs, tfs, norms (ids, or null) } or
  // null where the term is not in the field.
  function postingsByField(entry, fieldCount, start) {
    const all = varints(entry[1]);
    if (all.length) all[0] += start;
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

  // A term's postings per field and, when `positions` is set, its positions per field:
  // { postings, positions } or null. Each segment has its own chunks: the one that can
  // hold the term (t/<start>/<name>.js; the positions file p/<start>/<name>.js holds the
  // same terms and is loaded only for phrases). The segments' lists are joined in
  // segment order, which is document order.
  Engine.prototype.term = async function (stem, positions) {
    const m = this.manifest;
    const perSegment = await Promise.all(
      m.segments.map(async (seg) => {
        const next = await this.chunksFrom(seg.terms, 't/' + seg.start + '/', stem).next();
        if (next.done) return null;
        const name = next.value;
        const chunk = await this.load(name, name + '.js');
        const k = chunk.findIndex((e) => e[0] === stem);
        if (k < 0) return null;
        const found = { postings: postingsByField(chunk[k], m.fields.length, seg.start) };
        const p = 'p/' + name.slice(2);
        if (positions) found.positions = (await this.load(p, p + '.js'))[k];
        return found;
      }),
    );
    const parts = perSegment.filter((p) => p);
    if (!parts.length) return null;
    const postings = [];
    const joined = [];
    for (let f = 0; f < m.fields.length; f++) {
      const inField = parts.filter((p) => p.postings[f]);
      if (!inField.length) {
        postings.push(null);
        joined.push('');
        continue;
      }
      const lists = inField.map((p) => p.postings[f]);
      const norms = lists.every((l) => l.norms) ? [].concat(...lists.map((l) => l.norms)) : null;
      postings.push({ docs: [].concat(...lists.map((l) => l.docs)), tfs: [].concat(...lists.map((l) => l.tfs)), norms });
      // Varint lists join by joining their text.
      if (positions) joined.push(inField.map((p) => p.positions[f]).join(''));
    }
    return positions ? { postings, positions: joined } : { postings };
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

  // One clause of a query (a word, or a phrase): { scores: Map doc -> score, expansions:
  // [{ word, how, words }] for words that are not words of the archive, stems: what to
  // highlight }. A word stands for its stems, a document scoring with the best of them; a
  // phrase's words must be words of the archive.
  Engine.prototype.scoreClause = async function (clause) {
    if (clause.word !== undefined) {
      const found = await this.resolve(clause.word);
      const perStem = await Promise.all(found.stems.map((s) => this.scoreStem(s)));
      const scores = new Map();
      for (const map of perStem) {
        for (const [doc, s] of map) if (!scores.has(doc) || scores.get(doc) < s) scores.set(doc, s);
      }
      const expansions = found.how === 'exact' ? [] : [{ word: clause.word, how: found.how, words: found.words }];
      return { scores, expansions, stems: found.stems.concat(clause.word) };
    }
    const found = await Promise.all(clause.phrase.map((p) => this.wordsFrom(p.word)));
    const stems = found.map((f, i) => (f.length && f[0][0] === clause.phrase[i].word ? f[0][1] : null));
    const expansions = clause.phrase.filter((p, i) => stems[i] === null).map((p) => ({ word: p.word, how: 'none', words: [] }));
    let scores = new Map();
    if (expansions.length) return { scores, expansions, stems: [] };
    if (stems.length === 1) scores = await this.scoreStem(stems[0]);
    else scores = await this.scorePhrase(stems, clause.phrase.map((p) => p.offset));
    return { scores, expansions, stems: stems.concat(clause.phrase.map((p) => p.word)) };
  };

  // Runs a query: returns { docs: [[doc, score]...] in rank order, expansions (how words
  // that are not words of the archive were read), highlights (stems and words to mark) }.
  // An empty query matches every document.
  Engine.prototype.search = async function (text, options) {
    await this.init();
    const opts = options || {};
    const clauses = parseQuery(text);
    let matched = null; // Map doc -> score
    // Every clause's files load side by side; scores are then combined in query order, so
    // the float sums are tantivy's.
    const scored = await Promise.all(clauses.map((clause) => this.scoreClause(clause)));
    const expansions = [];
    const highlights = [];
    for (const { scores, expansions: read, stems } of scored) {
      expansions.push(...read);
      highlights.push(...stems);
      if (matched === null) matched = scores;
      else {
        const next = new Map();
        for (const [doc, s] of matched) if (scores.has(doc)) next.set(doc, Math.fround(s + scores.get(doc)));
        matched = next;
      }
    }
    // Documents are numbered oldest first; ties go to the newer, as in `pmsite search`
    // (whose index lists the newest first).
    let docs;
    if (matched === null) {
      docs = [];
      for (let d = this.manifest.docs - 1; d >= 0; d--) docs.push([d, 0]);
    } else docs = Array.from(matched.entries());
    if (opts.filter) docs = docs.filter(([d]) => opts.filter(d));
    if (opts.sort === 'date' || clauses.length === 0) docs.sort((a, b) => b[0] - a[0]);
    else docs.sort((a, b) => b[1] - a[1] || b[0] - a[0]);
    return { docs, expansions, highlights: [...new Set(highlights)] };
  };

  // What a result shows: { id, title, path (from the site root), date, severity, rank
  // (0 = most severe), summary, services }.
  Engine.prototype.doc = async function (doc) {
    const m = this.manifest;
    const g = Math.floor(doc / m.group);
    const rows = await this.load('d' + g, 'd/' + g + '.js');
    const r = rows[doc - g * m.group];
    const name = r[5] || '';
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

  const api = { Engine, varints, compare, chunkOf, chunkName, parseQuery, ticketWord, oneTypo, notes, words, tokens };
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
    // Filters start closed: a kind's file (its values and every document's) is loaded when
    // the reader opens it, or when the address filters by it. On a large archive they are
    // most of what a first query would otherwise load (88 KB of 300 at 100,000 postmortems).
    const KINDS = [
      ['severity', 'Severity'],
      ['year', 'Year'],
      ['root_cause', 'Root cause'],
      ['service', 'Service'],
      ['team', 'Team'],
      ['tag', 'Tag'],
    ];
    const PAGE = 10;
    const selected = {}; // kind -> Set(value index)
    const opened = new Set();
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

    // Typed, submitted or opened from the address (the header box of any page), a query
    // reads the same, as `pmsite search` reads it.
    async function run() {
      const mine = ++generation;
      await engine.init();
      const [, found] = await Promise.all([ensureFacets(), engine.search(input.value, { sort: sort.value })]);
      if (mine !== generation) return;
      const docs = found.docs.filter(([d]) => passes(d));
      const stems = found.highlights;
      const page = docs.slice(0, shown);
      const rows = await Promise.all(page.map(([d]) => engine.doc(d).then((r) => Object.assign(r, { doc: d }))));
      if (mine !== generation) return;
      const n = docs.length;
      const noun = n === 1 ? 'incident' : 'incidents';
      const line = input.value.trim() ? n + ' ' + noun + (n === 1 ? ' matches.' : ' match.') : n + ' ' + noun + '.';
      status.textContent = [line].concat(notes(found.expansions, n)).join(' ');
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
            '<li><p><span class="sev sev-' + Math.min(Number(r.rank) || 0, 4) + '">' + escapeHtml(r.severity) +
            '</span> <time>' + escapeHtml(r.date) + '</time></p>' +
            '<h2><a href="' + escapeHtml(href) + '">' + highlight(r.title, stems) + '</a></h2>' +
            '<p>' + highlight(r.summary, stems) + '</p>' +
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
      timer = setTimeout(run, 60);
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
        const rows = results.querySelectorAll(':scope > li h2 a');
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
