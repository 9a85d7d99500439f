// Where the time of one drop goes: every User Timing measure of the app, on the page and in its
// workers, placed on one clock from the input's change event to the drawn charts.
//
//   node benches/browser-timeline.mjs FILE [RUNS]      (build dist/ first: trunk build --release --offline)
//   WORKERS=N DIST=DIR node benches/browser-timeline.mjs …
//
// Prints, per run, each measure's first start and last end in milliseconds after the change
// event, and its summed duration over its occurrences (a "parse" per slice, say). Workers
// dropped when a run ends (its helpers) cannot be asked for their measures and are missing.
// A benchmark tool, not a test.

import { join, dirname, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, serveDist } from './chromium.mjs';

const [file, runsArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node benches/browser-timeline.mjs FILE [RUNS]');
  process.exit(2);
}
const dist = process.env.DIST || join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const workers = Number(process.env.WORKERS || 1);
const { server, url } = await serveDist(dist);

for (let run = 1; run <= Number(runsArg || 2); run++) {
  const browser = await launch(`--sendas-bench-timeline=${process.pid}-${run}`);
  const page = await browser.newPage();
  const started = [];
  page.on('worker', (w) => started.push(w));
  await page.goto(`${url}?workers=${workers}`);
  // Every worker the page starts is ready, as browser-drop.mjs waits.
  await page.waitForFunction((n) => performance.getEntriesByName('sendas:worker-start').length >= n, workers, { timeout: 60000 });
  await page.evaluate(() => window.addEventListener('change', () => (window.__change ??= performance.timeOrigin + performance.now()), true));
  await page.setInputFiles('[data-testid=file-input]', file);
  await page.waitForFunction((n) => document.querySelector('[data-testid=sources]')?.textContent.includes(n), basename(file), { timeout: 600000 });
  await page.waitForSelector('[data-testid=chart-attribution]');
  await page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok))));
  const done = await page.evaluate(() => performance.timeOrigin + performance.now());
  const change = await page.evaluate(() => window.__change);
  // Each context's measures on the shared clock: its time origin plus the measure's start.
  const measures = (target) =>
    target.evaluate(() =>
      performance
        .getEntriesByType('measure')
        .filter((m) => m.name.startsWith('sendas:'))
        .map((m) => [m.name.slice(7), performance.timeOrigin + m.startTime, m.duration]),
    );
  const rows = [];
  for (const [i, w] of started.entries()) for (const m of await measures(w).catch(() => [])) rows.push([`worker ${i}`, ...m]);
  for (const m of await measures(page)) rows.push(['page', ...m]);
  const merged = new Map();
  for (const [who, name, start, duration] of rows.sort((a, b) => a[2] - b[2])) {
    if (start + duration < change) continue;
    const key = `${who} ${name}`;
    const m = merged.get(key) ?? { who, name, first: start, last: start + duration, sum: 0, count: 0 };
    m.last = Math.max(m.last, start + duration);
    m.sum += duration;
    m.count += 1;
    merged.set(key, m);
  }
  console.log(`run ${run}: ${(done - change).toFixed(0)} ms from the change event to the drawn charts`);
  for (const m of merged.values()) {
    const span = `${(m.first - change).toFixed(0).padStart(6)} → ${(m.last - change).toFixed(0).padStart(6)} ms`;
    console.log(`  ${m.who.padEnd(9)} ${m.name.padEnd(14)} ${span}  (${m.sum.toFixed(0)} ms over ${m.count})`);
  }
  await browser.close();
}
server.close();
