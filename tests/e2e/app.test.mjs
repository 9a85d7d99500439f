// End-to-end tests of the release build in Debian's headless Chromium, driven by playwright-core.
//
// The app is served from dist/ under a sub-path (/sendas/lens/) by a tiny static server in
// this file, which also records every request. The CLI gives the expected answers: the same
// core, natively, on the same files.
//
// Run: node --test tests/e2e/   (scripts/test.sh builds dist/ and the CLI first)
// Env: SENDAS_LENS_BIN (the CLI binary), CHROMIUM (default /usr/bin/chromium).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { join, dirname, extname, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = join(root, 'dist');
const fixtures = join(root, 'tests', 'fixtures');
const artifacts = join(root, 'tests', 'e2e', 'artifacts');
const cli = process.env.SENDAS_LENS_BIN || join(root, 'target', 'debug', 'sendas-lens');
const BASE = '/sendas/lens/';

const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };
const served = [];
let server;
let origin;
let browser;

before(async () => {
  server = createServer(async (req, res) => {
    served.push(req.url);
    const path = new URL(req.url, 'http://x').pathname;
    if (!path.startsWith(BASE)) {
      res.writeHead(404).end();
      return;
    }
    const file = path.slice(BASE.length) || 'index.html';
    if (file.includes('..')) {
      res.writeHead(400).end();
      return;
    }
    try {
      const body = await readFile(join(dist, file));
      res.writeHead(200, { 'content-type': MIME[extname(file)] || 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  origin = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  await mkdir(artifacts, { recursive: true });
});

after(async () => {
  await browser?.close();
  server?.close();
});

/** A fresh page that fails the test on any script error or dialog, and records requests. */
async function openApp(hash = '') {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const requests = [];
  const problems = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', async (d) => {
    problems.push(`dialog opened: ${d.message()}`);
    await d.dismiss();
  });
  await page.goto(`${origin}${BASE}${hash}`);
  await page.waitForSelector('[data-testid=drop-zone]');
  return { page, context, requests, problems };
}

function cliSummary(files) {
  const out = execFileSync(cli, ['summary', '--json', ...files], { encoding: 'utf8' });
  return JSON.parse(out);
}

async function headline(page) {
  const read = async (id) => Number(await page.textContent(`[data-testid=${id}]`));
  const numbers = {};
  for (const id of ['rows-read', 'events', 'rejected', 'duplicates', 'send-events']) numbers[id] = await read(id);
  const classes = {};
  for (const c of ['connector', 'system', 'application', 'admin', 'owner', 'delegate', 'unknown']) {
    classes[c] = await read(`class-count-${c}`);
  }
  return { numbers, classes };
}

function expectedHeadline(summary) {
  return {
    numbers: {
      'rows-read': summary.rows_read,
      events: summary.events,
      rejected: summary.rejected,
      duplicates: summary.duplicates,
      'send-events': summary.send_events,
    },
    classes: summary.by_class,
  };
}

async function waitForResult(page) {
  await page.waitForSelector('[data-testid=send-events]', { timeout: 30000 });
}

async function downloadText(page, testid) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click(`[data-testid=${testid}]`)]);
  const path = await download.path();
  return { name: download.suggestedFilename(), text: await readFile(path, 'utf8') };
}

const FORMATS = [
  'purview-article-scenario.csv',
  'classic-compliance-utf8-bom.csv',
  'powershell-export-en-au.csv',
  'powershell-subset-utf16le-bom.csv',
  'management-api-content.json',
  'ndjson-with-content-created.jsonl',
  'graph-audit-query.json',
  'sentinel-officeactivity-ingestion.csv',
  'mailbox-audit-log.csv',
  'malformed-rows.csv',
];

test('every format: headline numbers, class counts and the JSON report equal the CLI', async () => {
  const { page, context, problems } = await openApp();
  for (const name of FORMATS) {
    const path = join(fixtures, name);
    await page.setInputFiles('[data-testid=file-input]', path);
    // Wait until the result shown is this file's.
    await page.waitForFunction(
      (n) => document.querySelector('[data-testid=sources]')?.textContent.includes(n),
      name,
      { timeout: 30000 },
    );
    const expected = cliSummary([path]);
    assert.deepEqual(await headline(page), expectedHeadline(expected), name);
    const report = await downloadText(page, 'download-report');
    assert.equal(report.name, 'sendas-lens-report.json');
    assert.deepEqual(JSON.parse(report.text), expected, `${name}: the app's report differs from summary --json`);
  }
  assert.deepEqual(problems, []);
  await context.close();
});

test('several files dropped at once merge, with duplicates and bounded delays', async () => {
  const { page, context, problems } = await openApp();
  const files = ['daily-export-2026-11-20.csv', 'daily-export-2026-11-21.csv'].map((f) => join(fixtures, f));
  const buffers = await Promise.all(files.map((f) => readFile(f)));
  await page.locator('[data-testid=drop-zone]').drop({
    files: files.map((f, i) => ({ name: basename(f), mimeType: 'text/csv', buffer: buffers[i] })),
  });
  await waitForResult(page);
  const shown = await headline(page);
  assert.equal(shown.numbers['rows-read'], 8);
  assert.equal(shown.numbers.events, 5);
  assert.equal(shown.numbers.duplicates, 3);
  assert.deepEqual(problems, []);
  await context.close();
});

test('the sample loads with one click and matches the CLI; a screenshot is saved', async () => {
  const { page, context, problems } = await openApp();
  await page.click('[data-testid=load-sample]');
  await waitForResult(page);
  const expected = cliSummary([join(root, 'src', 'sample', 'field-report.jsonl')]);
  assert.deepEqual(await headline(page), expectedHeadline(expected));
  for (const id of ['chart-attribution', 'chart-matrix', 'chart-timeline', 'chart-delays', 'events-table']) {
    assert.ok(await page.isVisible(`[data-testid=${id}]`), `${id} is shown`);
  }
  // The charts are drawn from the data: one bar segment per actor and class at least.
  assert.ok((await page.locator('[data-testid=chart-attribution] rect.seg').count()) >= 8);
  assert.ok((await page.locator('[data-testid=chart-delays] rect.delay-bar').count()) >= 3);
  const findings = await page.textContent('.findings');
  assert.match(findings, /79% of SendAs events \(84\) were written by 2 Office 365 connectors/);
  assert.match(findings, /still carry tony@contoso\.com's name/);
  await page.screenshot({ path: join(artifacts, 'sample.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await context.close();
});

test('attacker text stays text: no script runs, no element is created from it', async () => {
  const { page, context, problems } = await openApp();
  await page.click('[data-testid=load-sample]');
  await waitForResult(page);
  await page.fill('input[type=search]', 'onerror');
  const row = page.locator('[data-testid=events-table] tr.row').first();
  await row.click();
  const raw = await page.textContent('[data-testid=raw-record]');
  assert.ok(raw.includes('<img src=x onerror=alert(1)>'), 'the payload is shown as characters');
  assert.ok((await page.textContent('[data-testid=events-table]')).includes('<img src=x onerror=alert(1)>'));
  assert.equal(await page.locator('img').count(), 0, 'no <img> element exists anywhere');
  assert.deepEqual(problems, []);
  await context.close();
});

test('CSV export neutralises formulas', async () => {
  const { page, context } = await openApp();
  await page.click('[data-testid=load-sample]');
  await waitForResult(page);
  const csv = await downloadText(page, 'download-csv');
  assert.equal(csv.name, 'sendas-lens-events.csv');
  assert.ok(csv.text.startsWith('time,operation,class,actor,mailbox'));
  assert.ok(csv.text.includes(`"'=HYPERLINK(""http://example.invalid""`), 'the formula cell starts with a quote');
  assert.ok(!/(^|,)=HYPERLINK/m.test(csv.text), 'no cell starts with =');
  await context.close();
});

test('filters live in the URL fragment and survive a reload', async () => {
  const { page, context } = await openApp();
  await page.click('[data-testid=load-sample]');
  await waitForResult(page);
  await page.click('.legend-item:has([data-testid=class-count-delegate])');
  await page.waitForFunction(() => location.hash.includes('class=delegate'));
  const shown = await page.locator('[data-testid=events-table] tr.row').count();
  assert.equal(shown, 15);
  await page.reload();
  await page.click('[data-testid=load-sample]');
  await waitForResult(page);
  assert.equal(await page.locator('.legend-item.pressed').count(), 1);
  assert.equal(await page.locator('[data-testid=events-table] tr.row').count(), 15);
  await context.close();
});

test('a page load plus a full analysis requests nothing but the app\'s own files', async () => {
  served.length = 0;
  const { page, context, requests } = await openApp();
  await page.click('[data-testid=load-sample]');
  await waitForResult(page);
  await page.setInputFiles('[data-testid=file-input]', join(fixtures, 'purview-article-scenario.csv'));
  await page.waitForFunction(() => document.querySelector('[data-testid=rows-read]')?.textContent === '26');
  const own = new Set(['', 'index.html']);
  for (const f of (await import('node:fs')).readdirSync(dist)) own.add(f);
  for (const url of requests) {
    assert.ok(url.startsWith(`${origin}${BASE}`), `request outside the app: ${url}`);
    const file = new URL(url).pathname.slice(BASE.length);
    assert.ok(own.has(file), `request for something that is not an app file: ${url}`);
  }
  assert.ok(requests.some((u) => u.endsWith('worker_bg.wasm')), 'the worker was loaded');
  await writeFile(join(artifacts, 'requests.txt'), requests.join('\n') + '\n');
  await context.close();
});
