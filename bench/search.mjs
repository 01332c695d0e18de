// What a browser downloads and computes for a query, measured on a built site.
// Usage: node bench/search.mjs PUBLIC_DIR [QUERY...]
// For each query, as a first query (cold cache) and as a following one (after another
// query): the files the client loads (gzip -6 sizes, as a static host would serve them,
// plus the client script itself for a first query) and the time to compute the results
// once every file is in memory.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const here = path.dirname(new URL(import.meta.url).pathname);
const { Engine } = require(path.join(here, '../themes/default/static/search.js'));

const [publicDir, ...argQueries] = process.argv.slice(2);
if (!publicDir) {
  console.error('usage: node bench/search.mjs PUBLIC_DIR [QUERY...]');
  process.exit(2);
}
const dir = path.join(publicDir, 'search');
const queries = argQueries.length
  ? argQueries
  : [
      'certificate expired', 'migration lock', 'deadlock detected', 'replication lag',
      'connection pool', 'dns resolver', 'memory leak', 'kafka consumer', 'disk quota',
      'rollback canary', 'checkout-api latency', 'rate limit', 'load balancer', 'feature flag',
      'cache eviction', 'tls handshake', 'queue backlog', 'failover primary', 'config push',
      'timeout retries',
    ];
const gz = new Map();
function gzSize(file) {
  if (!gz.has(file)) gz.set(file, zlib.gzipSync(fs.readFileSync(file), { level: 6 }).length);
  return gz.get(file);
}
const clientBytes = gzSize(path.join(publicDir, 'assets/search.js'));
// Filters start closed: the page loads no facet file until one is opened.
const EAGER_FACETS = [];

function engineWithLog() {
  const loaded = new Map();
  const cache = new Map();
  const engine = new Engine((name, file) => {
    if (!cache.has(name)) {
      const full = path.join(dir, file);
      // A typo file the export did not write: no word of that letter and length.
      if (!fs.existsSync(full)) return Promise.reject(new Error('no ' + file));
      let data;
      new Function('pmsiteSearch', fs.readFileSync(full, 'utf8'))({ receive: (_, d) => { data = d; } });
      cache.set(name, data);
      loaded.set(name, gzSize(full));
    }
    return Promise.resolve(cache.get(name));
  });
  return { engine, loaded };
}

// Everything the page does for one query: search, facets it has open, the first ten rows.
async function query(engine, text) {
  await engine.init();
  for (const kind of EAGER_FACETS) await engine.facet(kind);
  const found = await engine.search(text);
  await Promise.all(found.docs.slice(0, 10).map(([d]) => engine.doc(d)));
  return found.docs.length;
}

// Two-word queries of words of the corpus, then the same kind of queries with a word
// being typed or misspelt: what prefixes and typos cost.
const forgiving = argQueries.length
  ? []
  : [
      'cert expired', 'migr lock', 'deadlok detected', 'replicaton lag', 'conn pool',
      'dns resolvr', 'memry leak', 'kafka consum', 'rollbak canary', 'checkout-api latncy',
    ];

const stat = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  // Nearest rank, as everywhere in pmsite (src/site/stats.rs).
  const at = (p) => s[Math.max(0, Math.ceil(p * s.length) - 1)];
  return { median: at(0.5), p90: at(0.9), max: s[s.length - 1] };
};
const kb = (n) => (n / 1024).toFixed(1) + ' KB';

async function measure(list, what) {
  const first = [];
  const following = [];
  const compute = [];
  for (let i = 0; i < list.length; i++) {
    const { engine, loaded } = engineWithLog();
    await query(engine, list[i]);
    first.push([...loaded.values()].reduce((a, b) => a + b, 0) + clientBytes);
    // Computing with every file already in memory: what runs after the last file arrives.
    const t0 = process.hrtime.bigint();
    await query(engine, list[i]);
    compute.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const before = new Set(loaded.keys());
    const next = list[(i + 1) % list.length];
    await query(engine, next);
    following.push([...loaded.entries()].filter(([k]) => !before.has(k)).reduce((a, [, b]) => a + b, 0));
  }
  const f = stat(first);
  const n = stat(following);
  const c = stat(compute);
  console.log(`queries: ${list.length} ${what}; client script ${kb(clientBytes)} gzipped`);
  console.log(`first query bytes (gzip):     median ${kb(f.median)}, p90 ${kb(f.p90)}, max ${kb(f.max)}   target <= 100 KB: ${f.max <= 100 * 1024 ? 'PASS' : 'MISS'}`);
  console.log(`following query bytes (gzip): median ${kb(n.median)}, p90 ${kb(n.p90)}, max ${kb(n.max)}   target <= 30 KB: ${n.max <= 30 * 1024 ? 'PASS' : 'MISS'}`);
  console.log(`compute after last file:      median ${c.median.toFixed(1)} ms, p90 ${c.p90.toFixed(1)} ms, max ${c.max.toFixed(1)} ms   target <= 50 ms: ${c.max <= 50 ? 'PASS' : 'MISS'}`);
}

await measure(queries, 'two-word queries');
if (forgiving.length) await measure(forgiving, 'two-word queries with a prefix or a typo');
