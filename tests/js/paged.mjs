// The browser client reads an export whose lists of chunk starts are paged as it reads one
// whose lists are inline: every word, every prefix of two letters and every term give the
// same answer, and the paged export's pages are read on the way.
// Usage: node tests/js/paged.mjs INLINE_DIR PAGED_DIR. Run by src/search/export.rs's tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { loader, receive } from './export-files.mjs';

const require = createRequire(import.meta.url);
const { Engine } = require('../../themes/default/static/search.js');
const [inlineDir, pagedDir] = process.argv.slice(2);

function engine(dir) {
  const loaded = [];
  return { engine: new Engine(loader(dir, loaded)), loaded };
}
const inline = engine(inlineDir);
const paged = engine(pagedDir);

// Every word of the archive, from the inline export's word files.
function vocabulary() {
  const dir = path.join(inlineDir, 'w');
  const words = [];
  for (const file of fs.readdirSync(dir).sort()) {
    if (file.startsWith('i_')) continue;
    for (const entry of receive(dir, file).data) words.push(entry.split(' '));
  }
  return words;
}

test('the manifests differ in their lists of starts only', async () => {
  const [a, b] = [await inline.engine.init(), await paged.engine.init()];
  assert.ok(Array.isArray(a.words) && !Array.isArray(b.words) && b.words.pages.length > 1);
  assert.deepEqual({ ...a, words: 0, segments: 0 }, { ...b, words: 0, segments: 0 });
});

test('every word and every prefix resolves the same through pages', async () => {
  const words = vocabulary();
  assert.ok(words.length > 100, `${words.length} words`);
  const keys = new Set();
  for (const [word] of words) {
    keys.add(word);
    keys.add(word.slice(0, 2));
  }
  keys.add('zzz');
  keys.add('a');
  for (const key of keys) {
    assert.deepEqual(await paged.engine.resolve(key), await inline.engine.resolve(key), key);
  }
  assert.ok(paged.loaded.some((f) => /^w\/i_/.test(f)), 'no page of word starts was read');
});

test('every term gives the same postings and positions through pages', async () => {
  const stems = new Set(vocabulary().map(([word, stem]) => stem || word));
  stems.add('zzz');
  for (const stem of stems) {
    assert.deepEqual(await paged.engine.term(stem, true), await inline.engine.term(stem, true), stem);
  }
  assert.ok(paged.loaded.some((f) => /^t\/\d+\/i_/.test(f)), 'no page of term starts was read');
});

test('queries rank the same', async () => {
  for (const q of ['w1x1', 'w3x7 w5x5', 'w1', '"w2x2 w3x3"', 'w9x9 w1x2']) {
    assert.deepEqual(await paged.engine.search(q), await inline.engine.search(q), q);
  }
});
