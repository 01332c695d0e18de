// How the browser client reads query words, on the example site's export: a word of the
// archive by its stem (found in the word files alone), a prefix, one typo, nothing; ticket
// ids as one word; what the status line says.
// Usage: node tests/js/words.mjs SEARCH_DIR. Run by tests/integration/search_client.rs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { loader } from './export-files.mjs';

const require = createRequire(import.meta.url);
const { Engine, parseQuery, oneTypo, notes } = require('../../themes/default/static/search.js');
const [dir] = process.argv.slice(2);

const loaded = [];
const engine = new Engine(loader(dir, loaded));
const resolve = async (word) => {
  await engine.init();
  return engine.resolve(word);
};

test('a word of the archive stands for its stem, found in the word files alone', async () => {
  await engine.init();
  loaded.length = 0;
  assert.deepEqual(await resolve('certificate'), { how: 'exact', words: ['certificate'], stems: ['certif'] });
  assert.deepEqual(await resolve('lock'), { how: 'exact', words: ['lock'], stems: ['lock'] });
  assert.ok(loaded.every((f) => f.startsWith('w/')), `loaded ${loaded}`);
});

test('a word that is no word of the archive stands for the words it starts', async () => {
  const cert = await resolve('cert');
  assert.equal(cert.how, 'prefix');
  assert.deepEqual(cert.words, ['certificate', 'certificates']);
  assert.deepEqual(cert.stems, ['certif']);
  const lo = await resolve('lo');
  assert.equal(lo.stems.length, 12, 'at most twelve stems');
  assert.ok(lo.words.every((w) => w.startsWith('lo')), JSON.stringify(lo.words));
});

test('else the words one typo away that start with the same letter', async () => {
  assert.deepEqual(await resolve('certifcate'), { how: 'typo', words: ['certificate'], stems: ['certif'] });
  assert.deepEqual((await resolve('dedlock')).words, ['deadlock']);
  assert.deepEqual((await resolve('lcok')).words, ['lock', 'look']);
  // Never the first letter; never a word shorter than three letters.
  assert.equal((await resolve('xertificate')).how, 'none');
  assert.equal((await resolve('qz')).how, 'none');
});

test('one typo: a letter added, dropped, changed, or two neighbours swapped', () => {
  assert.ok(oneTypo('lcok', 'lock'));
  assert.ok(oneTypo('lok', 'lock'));
  assert.ok(oneTypo('locks', 'lock'));
  assert.ok(oneTypo('lack', 'lock'));
  assert.ok(!oneTypo('lock', 'lock'));
  assert.ok(!oneTypo('kcol', 'lock'));
  assert.ok(!oneTypo('block', 'lock'), 'not the first letter');
});

test('a ticket id is one word; quotes make phrases; an unclosed quote does not', () => {
  assert.deepEqual(parseQuery('PAY-1510 JIRA:OPS-611 (SEC-7),'), [{ word: 'pay1510' }, { word: 'ops611' }, { word: 'sec7' }]);
  assert.deepEqual(parseQuery('checkout-api'), [{ word: 'checkout' }, { word: 'api' }]);
  assert.deepEqual(parseQuery('"lock timeout" x'), [
    { phrase: [{ word: 'lock', offset: 0 }, { word: 'timeout', offset: 1 }] },
    { word: 'x' },
  ]);
  assert.deepEqual(parseQuery('x "lock time'), [{ word: 'x' }, { word: 'lock' }, { word: 'time' }]);
});

test('the status line says what was done, never a correction that finds nothing', async () => {
  const found = await engine.search('cert expiry');
  assert.ok(found.docs.length > 0);
  assert.deepEqual(notes(found.expansions, found.docs.length), ['"cert" matched certificate, certificates.']);
  const none = await engine.search('certifcate zzzqq');
  assert.equal(none.docs.length, 0);
  assert.deepEqual(notes(none.expansions, 0), ['No incident has "zzzqq".']);
});
