// DuckDB-Wasm as a baseline in the same headless Chromium as the app (issue 13).
//
//   node benches/browser-duckdb.mjs FILE [RUNS]    (dist/ built: trunk build --release --offline;
//                                                   the CLI built: cargo build --release)
//   DIST=DIR ...                                    serve the app from a frozen copy of dist/
//
// Alternates, RUNS times each: the release app's drop-to-charts (as benches/browser-drop.mjs
// times it) and DuckDB-Wasm's page (benches/duckdb-wasm/) answering the same question on the
// same file: how many SendAs events, and how many of them are connector sends. Both get the file
// through an <input type=file> (Playwright's setInputFiles) in a fresh browser per run, after
// their Wasm is compiled and ready. Two times per run:
// - in the page, from the input's change event to the result painted (performance.now two
//   frames after the result is in the DOM; for the app, a MutationObserver sees it). The fairer
//   of the two: it leaves out Playwright's round trips (the app's wait has two, DuckDB's one);
// - from here, setInputFiles to the result in the DOM, as browser-drop.mjs times the app.
// DuckDB's instantiate time (worker, Wasm fetch and compile, open, connect) is reported apart,
// outside the timed region, as the app's Wasm compile is. DuckDB's counts are checked against
// `sendas-lens summary --json FILE` (SENDAS_LENS=PATH for another binary); any disagreement, or
// any request off 127.0.0.1, fails. Prints per-run figures and the load average, medians with
// ranges, and the ratio DuckDB-Wasm / app (medians, and pair by pair).

import { readFile, stat } from 'node:fs/promises';
import { join, dirname, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { launch, rendererPeakBytes, serveDist, serveFiles, within } from './chromium.mjs';

const [file, runsArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node benches/browser-duckdb.mjs FILE [RUNS]');
  process.exit(2);
}
const runs = Number(runsArg || 3);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const fail = (message) => {
  console.error(`browser-duckdb: ${message}`);
  process.exit(1);
};

// What the CLI says: SendAs events (all classes) and connector sends among them.
const cli = JSON.parse(
  execFileSync(process.env.SENDAS_LENS || join(root, 'target/release/sendas-lens'), ['summary', '--json', file], {
    maxBuffer: 1 << 28,
  }),
);
const expected = {
  sendas: Object.values(cli.by_operation.SendAs || {}).reduce((a, b) => a + b, 0),
  connector: cli.by_operation.SendAs?.connector ?? 0,
  send_events: cli.send_events,
};
if (expected.connector !== cli.by_class.connector) {
  fail(`the CLI has connector sends outside SendAs (${cli.by_class.connector} in all, ${expected.connector} in SendAs): the query would not match`);
}

// Two origins, so the DuckDB page shares nothing (service worker, storage) with the app.
const dist = process.env.DIST || join(root, 'dist'); // DIST=DIR: a frozen copy, if dist/ is being rebuilt
const page = join(root, 'benches', 'duckdb-wasm');
// The DuckDB bundle and what its ES module imports (see the import map in index.html).
const PACKAGES = ['@duckdb/duckdb-wasm/dist/', 'apache-arrow/', 'flatbuffers/mjs/', 'tslib/'];
const served = {
  app: await serveDist(dist),
  duckdb: await serveFiles((p) => {
    if (p.startsWith('/node_modules/')) {
      const rel = p.slice('/node_modules/'.length);
      return PACKAGES.some((pkg) => rel.startsWith(pkg)) ? within(join(root, 'benches', 'node_modules'), rel) : null;
    }
    return within(page, p.slice(1) || 'index.html');
  }),
};
const origin = { app: served.app.url, duckdb: served.duckdb.url };

const name = basename(file);
const bytes = (await stat(file)).size;
const offHost = [];
async function open(marker, url) {
  const browser = await launch(marker);
  const context = await browser.newContext();
  context.on('request', (r) => {
    if (process.env.BENCH_DEBUG) console.error(`request ${r.url()}`);
    if (!/^(http:\/\/127\.0\.0\.1:\d+\/|data:|blob:)/.test(r.url())) offHost.push(r.url());
  });
  const tab = await context.newPage();
  await tab.goto(url);
  return { browser, tab };
}

// The app, as benches/browser-drop.mjs times it: setInputFiles to the source listed and the
// charts drawn. One addition: wait for the spare worker the page starts at load to be ready
// (its `sendas:worker-start` measure), so that its Wasm compile is outside the timed region,
// like DuckDB's instantiate.
async function appRun(i) {
  const marker = `--sendas-bench-run=${process.pid}-app-${i}`;
  // WORKERS=N forces the app's worker count (?workers=N); else the browser's cores decide.
  const { browser, tab } = await open(marker, origin.app + (process.env.WORKERS ? `?workers=${process.env.WORKERS}` : ''));
  await tab.waitForSelector('[data-testid=file-input]');
  // Every worker the page starts (the analysing one and its helpers: ?workers=N, else the
  // app's own count) has its Wasm running, as DuckDB's is before it is timed.
  const workerStart = await tab.waitForFunction(
    (forced) => {
      const wanted = forced || Math.min(8, Math.max(1, navigator.hardwareConcurrency - 1));
      const started = performance.getEntriesByName('sendas:worker-start').map((m) => m.duration);
      return started.length >= wanted && Math.max(...started);
    },
    Number(process.env.WORKERS || 0),
    { timeout: 60000 },
  );
  const workerStartMs = Number(await workerStart.jsonValue());
  // In-page, as the DuckDB page times itself: from the input's change event to the source
  // listed and the attribution chart in the DOM (seen by a MutationObserver) and painted.
  await tab.evaluate((n) => {
    const t = (window.__bench = {});
    // Capturing on the window: before the app's own change listener runs.
    window.addEventListener('change', () => (t.change ??= performance.now()), true);
    const seen = new MutationObserver(() => {
      if (document.querySelector('[data-testid=sources]')?.textContent.includes(n) && document.querySelector('[data-testid=chart-attribution]')) {
        seen.disconnect();
        // Two frames later the charts have been laid out and painted (the DuckDB page does the same).
        requestAnimationFrame(() => requestAnimationFrame(() => (t.done = performance.now())));
      }
    });
    seen.observe(document.body, { subtree: true, childList: true, characterData: true });
  }, name);
  const start = performance.now();
  await tab.setInputFiles('[data-testid=file-input]', file);
  await tab.waitForFunction((n) => document.querySelector('[data-testid=sources]')?.textContent.includes(n), name, { timeout: 600000 });
  await tab.waitForSelector('[data-testid=chart-attribution]');
  const seconds = (performance.now() - start) / 1000;
  const t = await (await tab.waitForFunction(() => window.__bench.done && window.__bench)).jsonValue();
  const sends = Number((await tab.textContent('[data-testid=send-events]')).replace(/\D/g, ''));
  const peak = await rendererPeakBytes(marker);
  await browser.close();
  if (sends !== expected.send_events) fail(`the app shows ${sends} send-type events, the CLI ${expected.send_events}`);
  return { seconds, peak, workerStartMs, inPageMs: t.done - t.change };
}

async function duckdbRun(i) {
  const marker = `--sendas-bench-run=${process.pid}-duckdb-${i}`;
  const { browser, tab } = await open(marker, origin.duckdb);
  await tab.waitForSelector('[data-testid=status][data-ready], [data-testid=status][data-failed]', { timeout: 120000 });
  const ready = await tab.evaluate(() => window.__bench);
  if (ready.error) fail(`DuckDB-Wasm did not start: ${ready.error}`);
  const start = performance.now();
  await tab.setInputFiles('[data-testid=file-input]', file);
  // Polled every frame, as the app's result is (waitForFunction); waitForSelector backs off to
  // half a second between checks and would add up to that much.
  await tab.waitForFunction(() => document.querySelector('[data-testid=status][data-done], [data-testid=status][data-failed]'), null, {
    timeout: 600000,
  });
  const seconds = (performance.now() - start) / 1000;
  const result = await tab.evaluate(() => window.__bench);
  const peak = await rendererPeakBytes(marker);
  await browser.close();
  if (result.error) fail(`DuckDB-Wasm failed on ${name}: ${result.error}`);
  for (const k of Object.keys(expected)) {
    if (result.counts[k] !== expected[k]) {
      fail(`counts disagree on ${k}: DuckDB-Wasm ${JSON.stringify(result.counts)}, sendas-lens summary --json ${JSON.stringify(expected)}`);
    }
  }
  return { seconds, peak, inPageMs: result.queryMs, instantiateMs: result.instantiateMs, version: result.version };
}

const app = [];
const duck = [];
const mb = (b) => (b / 1e6).toFixed(0);
for (let i = 0; i < runs; i++) {
  // Alternate which goes first, so neither always follows the other.
  const order = i % 2 ? ['duckdb', 'app'] : ['app', 'duckdb'];
  for (const which of order) {
    if (which === 'app') {
      const r = await appRun(i);
      app.push(r);
      console.log(`run ${i + 1} app: ${r.seconds.toFixed(2)} s, ${mb(bytes / r.seconds)} MB/s, in-page ${(r.inPageMs / 1000).toFixed(2)} s, tab peak memory ${mb(r.peak)} MB (worker ready ${r.workerStartMs.toFixed(0)} ms after spawn, before hand-over)`);
    } else {
      const r = await duckdbRun(i);
      duck.push(r);
      console.log(
        `run ${i + 1} duckdb-wasm: ${r.seconds.toFixed(2)} s, ${mb(bytes / r.seconds)} MB/s, in-page ${(r.inPageMs / 1000).toFixed(2)} s, ` +
          `tab peak memory ${mb(r.peak)} MB; instantiate ${r.instantiateMs.toFixed(0)} ms (not timed; DuckDB ${r.version})`,
      );
    }
    console.log(`  load average ${(await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ')}`);
    if (offHost.length) fail(`requests off 127.0.0.1: ${[...new Set(offHost)].join(', ')}`);
  }
}
for (const { server } of Object.values(served)) server.close();

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2, min: s[0], max: s.at(-1) };
};
const fmt = (xs, unit = 's', scale = 1, digits = 2) => {
  const { median, min, max } = stats(xs.map((x) => x * scale));
  return `median ${median.toFixed(digits)} ${unit} (${min.toFixed(digits)}–${max.toFixed(digits)})`;
};
// Each pair ran back to back, so its ratio shares the machine's state at the time.
const pairs = app.map((r, i) => duck[i].inPageMs / r.inPageMs);
const a = stats(app.map((r) => r.seconds));
const d = stats(duck.map((r) => r.seconds));
console.log(`\n${name}: ${mb(bytes)} MB, ${runs} alternating runs each, fresh Chromium per run`);
console.log(`counts: SendAs ${expected.sendas}, connector ${expected.connector}, send-type ${expected.send_events}: DuckDB-Wasm and sendas-lens summary --json agree`);
console.log(`app (drop to charts): ${fmt(app.map((r) => r.seconds))}, ${mb(bytes / a.median)} MB/s, in-page ${fmt(app.map((r) => r.inPageMs), 's', 1e-3)}, tab peak memory ${fmt(app.map((r) => r.peak), 'MB', 1e-6, 0)}`);
console.log(
  `duckdb-wasm (hand-over to counts): ${fmt(duck.map((r) => r.seconds))}, ${mb(bytes / d.median)} MB/s, in-page ${fmt(duck.map((r) => r.inPageMs), 's', 1e-3)}, ` +
    `tab peak memory ${fmt(duck.map((r) => r.peak), 'MB', 1e-6, 0)}`,
);
console.log(`duckdb-wasm instantiate (not timed): ${fmt(duck.map((r) => r.instantiateMs), 'ms', 1, 0)}`);
const inPage = stats(duck.map((r) => r.inPageMs)).median / stats(app.map((r) => r.inPageMs)).median;
console.log(
  `ratio duckdb-wasm / app: ${(d.median / a.median).toFixed(2)}x setInputFiles to result, ${inPage.toFixed(2)}x in-page (medians; above 1 the app is faster); ` +
    `pair by pair, in-page: ${fmt(pairs, 'x')}`,
);
