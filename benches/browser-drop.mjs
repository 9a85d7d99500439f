// Time from handing a file to the release build in headless Chromium to its rendered result.
//
//   node benches/browser-drop.mjs FILE [RUNS]      (build dist/ first: trunk build --release --offline)
//   WORKERS=N node benches/browser-drop.mjs …      the app's worker count forced (?workers=N)
//
// Prints, per run, seconds from setInputFiles (once the workers the page starts are ready) to
// the charts being drawn, the throughput in MB/s, the peak resident memory of the tab's
// renderer process (page and worker, Wasm memory included: VmHWM from /proc, one fresh browser
// per run) and the page's JS heap (Chromium's Performance.getMetrics, which leaves Wasm memory
// out). A benchmark, not a test.

import { stat } from 'node:fs/promises';
import { join, dirname, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, rendererPeakBytes, serveDist } from './chromium.mjs';

const [file, runsArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node benches/browser-drop.mjs FILE [RUNS]');
  process.exit(2);
}
const runs = Number(runsArg || 3);
const dist = process.env.DIST || join(dirname(fileURLToPath(import.meta.url)), '..', 'dist'); // DIST=DIR: another build
const { server, url } = await serveDist(dist);
const bytes = (await stat(file)).size;
const name = basename(file);
const times = [];
for (let i = 0; i < runs; i++) {
  const marker = `--sendas-bench-run=${process.pid}-${i}`;
  const browser = await launch(marker);
  const page = await browser.newPage();
  const workers = [];
  page.on('worker', (w) => workers.push(w));
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  await page.goto(url + (process.env.WORKERS ? `?workers=${process.env.WORKERS}` : ''));
  await page.waitForSelector('[data-testid=file-input]');
  // The workers the page starts with itself are ready (their Wasm compiled), as they are when
  // a user drops a file a moment after the page opened.
  await page.waitForFunction(
    (forced) => performance.getEntriesByName('sendas:worker-start').length >= (forced || Math.min(8, Math.max(1, navigator.hardwareConcurrency - 1))),
    Number(process.env.WORKERS || 0),
    { timeout: 60000 },
  );
  // Main-thread tasks over 50 ms while the worker parses: each is a stretch of dropped frames.
  await page.evaluate(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => window.__longTasks.push(...list.getEntries().map((e) => e.duration))).observe({ type: 'longtask' });
  });
  const start = performance.now();
  await page.setInputFiles('[data-testid=file-input]', file);
  await page.waitForFunction((n) => document.querySelector('[data-testid=sources]')?.textContent.includes(n), name, { timeout: 600000 });
  await page.waitForSelector('[data-testid=chart-attribution]');
  const seconds = (performance.now() - start) / 1000;
  const metrics = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  times.push(seconds);
  // Where the time went: the app's User Timing measures, in the worker and on the page.
  const measures = async (target) =>
    target.evaluate(() => performance.getEntriesByType('measure').filter((m) => m.name.startsWith('sendas:')).map((m) => [m.name.slice(7), m.duration]));
  const all = [];
  for (const w of workers) all.push(...(await measures(w).catch(() => [])));
  all.push(...(await measures(page)));
  // Repeated measures (one "parse" per slice) are summed.
  const totals = new Map();
  for (const [n, d] of all) totals.set(n, (totals.get(n) || 0) + d);
  const steps = [...totals];
  const firstPaint = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime);
  const longTasks = await page.evaluate(() => window.__longTasks);
  // Re-filtering: toggle "hide noise", wait for the next two frames (Yew has rendered).
  const refilter = await page.evaluate(async () => {
    const start = performance.now();
    document.querySelector('[data-testid=hide-noise]').click();
    await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
    const filter = performance.getEntriesByName('sendas:filter').at(-1)?.duration;
    const report = performance.getEntriesByName('sendas:report').at(-1)?.duration;
    return { wall: performance.now() - start, filter, report };
  });
  const sends = await page.textContent('[data-testid=send-events]').catch(() => '?');
  console.log(
    `  steps: ${steps.filter(([n, d]) => d >= 1).map(([n, d]) => `${n} ${(d / 1000).toFixed(2)} s`).join(', ')}; ` +
      `first contentful paint ${firstPaint?.toFixed(0)} ms; main-thread tasks over 50 ms while loading: ${longTasks.length}` +
      (longTasks.length ? ` (longest ${Math.max(...longTasks).toFixed(0)} ms, total ${longTasks.reduce((a, b) => a + b, 0).toFixed(0)} ms)` : '') +
      `; re-filter of ${sends} sends: ${refilter.wall.toFixed(0)} ms to the next frame ` +
      `(filter ${refilter.filter?.toFixed(1)} ms, chart data ${refilter.report?.toFixed(1)} ms)`,
  );
  console.log(
    `run ${i + 1}: ${seconds.toFixed(2)} s, ${(bytes / 1e6 / seconds).toFixed(0)} MB/s, ` +
      `tab peak memory ${((await rendererPeakBytes(marker)) / 1e6).toFixed(0)} MB, ` +
      `page JS heap ${(metrics.JSHeapUsedSize / 1e6).toFixed(0)} MB (total ${(metrics.JSHeapTotalSize / 1e6).toFixed(0)} MB), ` +
      `rows ${await page.textContent('[data-testid=rows-read]')}`,
  );
  await browser.close();
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
console.log(`${name}: ${(bytes / 1e6).toFixed(0)} MB, median ${median.toFixed(2)} s, ${(bytes / 1e6 / median).toFixed(0)} MB/s over ${runs} runs`);
server.close();
