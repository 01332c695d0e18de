// How the browser client turns typed words into stems, on the example site's export:
// words that stem to themselves (found among the terms), words whose stem differs (the
// word files), prefixes while typing, one-typo corrections, unknown words.
// Usage: node tests/js/words.mjs SEARCH_DIR. Run by tests/integration/search_client.rs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Engine } = require('../../themes/default/static/search.js');
const [dir] = process.argv.slice(2);

const loaded = [];
function load(name, file) {
  const text = fs.readFileSync(path.join(dir, file), 'utf8');
  let data;
  new Function('pmsiteSearch', text)({ receive: (n, d) => { assert.equal(n, name); data = d; } });
  loaded.push(file);
  return Promise.resolve(data);
}
const engine = new Engine(load);
const stems = async (word, prefix = false) => {
  await engine.init();
  return engine.stemsFor({ word, prefix });
};

test('a word that is its own stem is found among the terms', async () => {
  assert.deepEqual(await stems('lock'), { stems: ['lock'] });
  assert.deepEqual(await stems('deadlock'), { stems: ['deadlock'] });
});

test('a word whose stem differs is found in the word files, without loading any term', async () => {
  loaded.length = 0;
  assert.deepEqual(await stems('certificate'), { stems: ['certif'] });
  assert.deepEqual(await stems('locks'), { stems: ['lock'] });
  assert.ok(loaded.every((f) => f.startsWith('w/')), `loaded ${loaded}`);
});

test('the word files hold only words whose stem differs', () => {
  for (const file of fs.readdirSync(path.join(dir, 'w'))) {
    let entries;
    new Function('pmsiteSearch', fs.readFileSync(path.join(dir, 'w', file), 'utf8'))({ receive: (_, d) => { entries = d; } });
    for (const [word, stem] of entries) assert.notEqual(word, stem, `w/${file}`);
  }
});

test('a word being typed stands for the stems of the words it starts', async () => {
  assert.deepEqual(await stems('migr', true), { stems: ['migrat'] });
  assert.deepEqual(await stems('certi', true), { stems: ['certif'] });
  const lo = (await stems('lo', true)).stems;
  // Both kinds of words, in word order, at most twelve stems.
  assert.ok(lo.includes('lock') && lo.includes('load'), JSON.stringify(lo));
  assert.equal(lo.length, 12);
  // A complete word typed as a prefix comes first.
  assert.equal((await stems('lock', true)).stems[0], 'lock');
});

test('a word one edit away from a known word is corrected', async () => {
  assert.deepEqual(await stems('certficate'), { stems: ['certif'], corrected: 'certificate' });
  assert.deepEqual(await stems('lcok'), { stems: ['lock'], corrected: 'lock' });
  assert.deepEqual(await stems('dedlock'), { stems: ['deadlock'], corrected: 'deadlock' });
});

test('an unknown word stands for nothing', async () => {
  assert.deepEqual(await stems('zzzqq'), { stems: [] });
});
