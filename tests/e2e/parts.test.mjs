// One large CSV analysed by several workers at once (src/parts.rs): with the worker count forced
// to 1, 2 and 4 (`?workers=N`), the report the app downloads is the CLI's, byte for byte, and
// with more than one worker the file was really read in parts. A file whose quoted cell holds
// lines that look like rows, right where the cut is looked for, is refused by the join and read
// in one pass: the same report again.
//
// Run: node --test tests/e2e/   (scripts/test.sh builds dist/ and the CLI first)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, mkdir, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveDist, launchChromium, loadFile } from './support.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = process.env.DIST || join(root, 'dist'); // DIST=DIR: another build
const cli = process.env.SENDAS_LENS_BIN || join(root, 'target', 'debug', 'sendas-lens');
const BASE = '/sendas/parts/';
const dir = join(tmpdir(), `sendas-e2e-parts-${process.pid}`);

let server;
let origin;
let browser;

before(async () => {
  ({ server, origin } = await serveDist(dist, BASE));
  browser = await launchChromium();
  await mkdir(dir, { recursive: true });
});

after(async () => {
  await browser?.close();
  server?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Opens the app with the worker count forced; returns the page and the workers it starts. */
async function openApp(workers) {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  const started = [];
  const problems = [];
  page.on('worker', (w) => started.push(w));
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`${origin}${BASE}?workers=${workers}`);
  await page.waitForSelector('[data-testid=drop-zone]');
  return { page, context, started, problems };
}

async function report(page) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-report]')]);
  return readFile(await download.path(), 'utf8');
}

/** The User Timing measures every worker of the page recorded, by name. */
async function workerMeasures(started) {
  const names = [];
  for (const w of started) {
    const mine = await w
      .evaluate(() => performance.getEntriesByType('measure').map((m) => m.name))
      .catch(() => []);
    names.push(...mine);
  }
  return names;
}

/** A Purview export over 12 MiB (three parts of the core's 4 MiB minimum), with rows repeated
 * across parts and broken rows in each. */
async function largeExport() {
  const generated = join(dir, 'generated.csv');
  execFileSync(cli, ['generate', '--format', 'purview-csv', '--rows', '9500', '--seed', '4', generated]);
  const [header, ...rows] = (await readFile(generated, 'utf8')).trimEnd().split('\n');
  rows.push(...rows.slice(0, 200));
  for (let i = 5; i < rows.length; i += 1009) rows[i] = 'a broken row,with the wrong width';
  const path = join(dir, 'large-purview-export.csv');
  await writeFile(path, `${header}\n${rows.join('\n')}\n`);
  return path;
}

test('a large CSV read by 1, 2 and 4 workers gives the CLI report, byte for byte', async () => {
  const path = await largeExport();
  const expected = execFileSync(cli, ['summary', '--json', path], { encoding: 'utf8' });
  assert.ok(JSON.parse(expected).duplicates >= 190, 'rows repeat across parts');
  for (const workers of [1, 2, 4]) {
    const { page, context, started, problems } = await openApp(workers);
    await loadFile(page, path);
    assert.equal(await report(page), expected, `${workers} workers: the report differs from summary --json`);
    const measures = await workerMeasures(started);
    const inParts = measures.includes('sendas:parts-merge');
    assert.equal(inParts, workers > 1, `${workers} workers: read in parts ${inParts} (${measures.join(', ')})`);
    assert.deepEqual(problems, []);
    await context.close();
  }
});

test('several large files in one drop, beside a JSON export: each CSV in parts, one report', async () => {
  const first = await largeExport();
  const second = join(dir, 'second-large-export.csv');
  execFileSync(cli, ['generate', '--format', 'purview-csv', '--rows', '9000', '--seed', '8', second]);
  const json = join(root, 'tests', 'fixtures', 'management-api-content.json');
  const files = [first, json, second];
  const expected = execFileSync(cli, ['summary', '--json', ...files], { encoding: 'utf8' });
  const { page, context, started, problems } = await openApp(2);
  await page.setInputFiles('[data-testid=file-input]', files);
  await page.waitForFunction(() => document.querySelector('[data-testid=sources]')?.textContent.includes('second-large-export.csv'), null, { timeout: 60000 });
  assert.equal(await report(page), expected, 'the report differs from summary --json');
  const merges = (await workerMeasures(started)).filter((m) => m === 'sendas:parts-merge').length;
  assert.equal(merges, 2, 'both CSV files were read in parts');
  assert.deepEqual(problems, []);
  await context.close();
});

test('lines that look like rows inside a quoted cell at the cut: the join refuses, one pass answers', async () => {
  // Two parts look for their cut at the middle byte: a 1 MiB AuditData cell full of lines of
  // the header's width sits across it.
  const header = 'CreationDate,UserIds,Operations,AuditData';
  const row = (i) =>
    `2026-11-20T09:${String(i % 60).padStart(2, '0')}:00,kim@contoso.com,FileAccessed,"{""Id"":""${i}"",""Operation"":""FileAccessed"",""CreationTime"":""2026-11-20T09:00:00""}"`;
  const fake = '2026-11-20T09:00:00,mallory@contoso.com,SendAs,not a cell\n'.repeat(18000);
  const hostile = `2026-11-20T09:00:00,mallory@contoso.com,FileAccessed,"{""Id"":""x"",""Operation"":""FileAccessed"",""Note"":""\n${fake}""}"`;
  const half = Array.from({ length: 38000 }, (_, i) => row(i));
  const rest = Array.from({ length: 38000 }, (_, i) => row(i + 38000));
  const body = `${header}\n${half.join('\n')}\n${hostile}\n${rest.join('\n')}\n`;
  const middle = Math.floor(Buffer.byteLength(body) / 2);
  const cellStart = Buffer.byteLength(`${header}\n${half.join('\n')}\n`);
  assert.ok(cellStart < middle && middle + 300000 < cellStart + Buffer.byteLength(hostile), 'the cell spans the cut');
  const path = join(dir, 'rows-faked-in-a-cell.csv');
  await writeFile(path, body);
  const expected = execFileSync(cli, ['summary', '--json', path], { encoding: 'utf8' });
  assert.equal(execFileSync(cli, ['summary', '--json', '--threads', '2', path], { encoding: 'utf8' }), expected);
  const { page, context, started, problems } = await openApp(2);
  await loadFile(page, path);
  assert.equal(await report(page), expected, 'the report differs from summary --json');
  const measures = await workerMeasures(started);
  assert.ok(measures.includes('sendas:parts-join'), 'the parts were read and a join tried');
  assert.ok(!measures.includes('sendas:parts-merge'), 'the join was refused');
  assert.deepEqual(problems, []);
  await context.close();
});

/** Makes a helper stop the way a trap stops it (an uncaught error, no reply), on the part
 * request it gets: installed in every worker, it touches only a port's first message that is a
 * part request, which only helpers receive. */
function stopOnPartRequest() {
  const own = Object.getOwnPropertyDescriptor(MessagePort.prototype, 'onmessage');
  Object.defineProperty(MessagePort.prototype, 'onmessage', {
    configurable: true,
    get() {
      return own.get.call(this);
    },
    set(handler) {
      own.set.call(this, handler && ((event) => {
        const data = event.data;
        if (Array.isArray(data) && typeof data[0] === 'string' && data[0].includes('head_len')) {
          setTimeout(() => {
            throw new Error('simulated: the helper ran out of memory');
          }, 0);
          return;
        }
        handler(event);
      }));
    },
  });
}

test('a helper that stops without a reply, before or during a run: one pass answers, nothing hangs', async () => {
  const path = await largeExport();
  const expected = execFileSync(cli, ['summary', '--json', path], { encoding: 'utf8' });
  for (const when of ['during', 'before']) {
    const { page, context, started, problems } = await openApp(2);
    while (started.length < 2) await new Promise((r) => setTimeout(r, 50));
    if (when === 'during') {
      for (const w of started) await w.evaluate(stopOnPartRequest);
    } else {
      // The page starts its analysing worker first, then the helper.
      await started[1].evaluate(() => setTimeout(() => {
        throw new Error('simulated: the helper failed to start');
      }, 0));
      await new Promise((r) => setTimeout(r, 200));
    }
    await loadFile(page, path);
    assert.equal(await report(page), expected, `stopped ${when} the run: the report differs from summary --json`);
    const measures = await workerMeasures(started);
    assert.ok(!measures.includes('sendas:parts-merge'), `stopped ${when} the run: no join (${measures.join(', ')})`);
    assert.equal(await page.locator('[data-testid=error]').count(), 0, 'no error shown');
    assert.deepEqual(problems, []);
    await context.close();
  }
});

test('the analysing worker stops without a reply: the page says so instead of waiting', async () => {
  const { page, context, started, problems } = await openApp(1);
  while (started.length < 1) await new Promise((r) => setTimeout(r, 50));
  // Its first read never ends, and an uncaught error stops it, as a trap would.
  await started[0].evaluate(() => {
    Blob.prototype.arrayBuffer = function () {
      setTimeout(() => {
        throw new Error('simulated: out of memory');
      }, 0);
      return new Promise(() => {});
    };
  });
  await page.setInputFiles('[data-testid=file-input]', join(root, 'tests', 'fixtures', 'purview-article-scenario.csv'));
  const error = page.locator('[data-testid=error]');
  await error.waitFor({ timeout: 10000 });
  assert.match(await error.textContent(), /The analysis stopped before it finished: its worker failed \(.*simulated: out of memory\)/);
  assert.deepEqual(problems, []);
  await context.close();
});

test('after a run, the next run\'s workers start on their own: a second drop waits for no compile', async () => {
  const { page, context, started, problems } = await openApp(2);
  await page.waitForFunction(() => performance.getEntriesByName('sendas:worker-start').length >= 2);
  await loadFile(page, join(root, 'tests', 'fixtures', 'purview-article-scenario.csv'));
  // The run took the spare and the helper; a new spare and a new helper follow, unasked.
  await page.waitForFunction(() => performance.getEntriesByName('sendas:worker-start').length >= 4, null, { timeout: 10000 });
  assert.equal(started.length, 4);
  const second = join(root, 'tests', 'fixtures', 'daily-export-2026-11-20.csv');
  await page.setInputFiles('[data-testid=file-input]', second);
  await page.waitForFunction(() => document.querySelector('[data-testid=sources]')?.textContent.includes('daily-export-2026-11-20.csv'));
  assert.equal(started.length, 4, 'the second run used the workers already started');
  assert.equal(await report(page), execFileSync(cli, ['summary', '--json', second], { encoding: 'utf8' }));
  assert.deepEqual(problems, []);
  await context.close();
});

test('workers whose Wasm cannot start: the page says so instead of waiting', async () => {
  const context = await browser.newContext();
  // Every worker's Wasm arrives as bytes that do not compile.
  await context.route('**/worker_bg.wasm', (route) => route.fulfill({ status: 200, contentType: 'application/wasm', body: 'not wasm' }));
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`${origin}${BASE}?workers=2`);
  await page.waitForSelector('[data-testid=drop-zone]');
  await page.setInputFiles('[data-testid=file-input]', join(root, 'tests', 'fixtures', 'purview-article-scenario.csv'));
  const error = page.locator('[data-testid=error]');
  await error.waitFor({ timeout: 10000 });
  assert.match(await error.textContent(), /The analysis stopped before it finished: its worker failed \(.*CompileError/);
  assert.deepEqual(problems, []);
  await context.close();
});

test('four workers, one helper stopped before the run and one during it: one pass answers', async () => {
  const path = await largeExport();
  const expected = execFileSync(cli, ['summary', '--json', path], { encoding: 'utf8' });
  const { page, context, started, problems } = await openApp(4);
  while (started.length < 4) await new Promise((r) => setTimeout(r, 50));
  // started[0] is the analysing worker; [1], [2], [3] the helpers.
  await started[1].evaluate(() => setTimeout(() => {
    throw new Error('simulated: the helper failed to start');
  }, 0));
  await started[3].evaluate(stopOnPartRequest);
  await new Promise((r) => setTimeout(r, 200));
  await loadFile(page, path);
  assert.equal(await report(page), expected, 'the report differs from summary --json');
  const measures = await workerMeasures(started);
  assert.ok(!measures.includes('sendas:parts-merge'), `no join (${measures.join(', ')})`);
  assert.equal(await page.locator('[data-testid=error]').count(), 0, 'no error shown');
  assert.deepEqual(problems, []);
  await context.close();
});
