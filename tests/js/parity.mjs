// Parity: for each query, the browser client's top results equal `pmsite search`'s, with
// the same scores, and it says the same about words that are not words of the archive.
// Usage: node tests/js/parity.mjs SEARCH_DIR EXPECTATIONS.json
// EXPECTATIONS.json: [{ "query": "...", "total": n, "ids": ["..."], "scores": [..],
// "expanded": [{ word, how, words }] }, ...] from `pmsite search --json`. Run by
// tests/integration/search_client.rs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { loader } from './export-files.mjs';

const require = createRequire(import.meta.url);
const { Engine, notes } = require('../../themes/default/static/search.js');

const [dir, expectationsFile] = process.argv.slice(2);
const expectations = JSON.parse(fs.readFileSync(expectationsFile, 'utf8'));

const engine = new Engine(loader(dir));

for (const { query, total, ids, scores, expanded } of expectations) {
  test(`same top results as pmsite search for "${query}"`, async () => {
    const found = await engine.search(query);
    assert.equal(found.docs.length, total, 'number of matches');
    assert.deepEqual(found.expansions, expanded, 'how words were read');
    assert.deepEqual(notes(found.expansions, found.docs.length), notes(expanded, total));
    const top = found.docs.slice(0, ids.length);
    const got = await Promise.all(top.map(([d]) => engine.doc(d).then((r) => r.id)));
    assert.deepEqual(got, ids);
    top.forEach(([, score], i) => {
      assert.ok(Math.abs(score - scores[i]) <= 1e-4 * Math.max(1, scores[i]), `score ${score} vs ${scores[i]} for ${ids[i]}`);
    });
  });
}
