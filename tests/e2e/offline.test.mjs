// End-to-end tests of the installable, offline app (the service worker, static/sw.js, and the web
// app manifest), and an accessibility check of the loaded app with axe-core, light and dark.
//
// The release build is served from dist/ the way app.test.mjs serves it, but under another
// sub-path (/tools/sendas-lens/): the app's URLs are relative, and so is the service worker's
// scope. The server can be "unplugged": it then drops every connection, and records it.
//
// Run: node --test tests/e2e/offline.test.mjs   (dist/ built by `trunk build --release --offline`,
// the CLI by `cargo build -p sendas-lens`)
// Env: SENDAS_LENS_BIN (the CLI binary), SENDAS_LENS_DIST (the build, default dist/), CHROMIUM
// (default /usr/bin/chromium).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, dirname, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serveDist, launchChromium, headline, expectedHeadline, waitForResult } from './support.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = process.env.SENDAS_LENS_DIST || join(root, 'dist');
const fixtures = join(root, 'tests', 'fixtures');
const cli = process.env.SENDAS_LENS_BIN || join(root, 'target', 'debug', 'sendas-lens');
const BASE = '/tools/sendas-lens/';


/** The build's files: what the service worker may cache (all but itself), and its version. */
const DIST_FILES = readdirSync(dist, { withFileTypes: true }).filter((e) => e.isFile() && !e.name.startsWith('.')).map((e) => e.name).sort();
const SW_SOURCE = readFileSync(join(dist, 'sw.js'), 'utf8');
const BUILD = JSON.parse(SW_SOURCE.match(/\/\* build \*\/ (.*?) \/\* end build \*\//s)[1]);
const cacheName = (version) => `sendas-lens ${BASE} ${version}`;

let server;
let origin;
let browser;
/** While true the server is unplugged: every connection is dropped, and its URL recorded. */
let unplugged = false;
const reachedWhileUnplugged = [];
/** A stand-in for a new deployment: the same files, but sw.js names another version. */
let nextVersion = null;

before(async () => {
  ({ server, origin } = await serveDist(dist, BASE, {
    intercept: (req) => {
      if (!unplugged) return false;
      reachedWhileUnplugged.push(req.url);
      req.socket.destroy();
      return true;
    },
    rewrite: (file, body) =>
      file === 'sw.js' && nextVersion ? Buffer.from(SW_SOURCE.replace(`"version":"${BUILD.version}"`, `"version":"${nextVersion}"`)) : body,
  }));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.close();
});

/** A fresh context and page that record every request (the page's, its worker's and the service
 * worker's) and fail the test on any script error or dialog. */
async function openApp(options = {}) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, ...options });
  const page = await context.newPage();
  const requests = [];
  const problems = [];
  context.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', async (d) => {
    problems.push(`dialog opened: ${d.message()}`);
    await d.dismiss();
  });
  await page.goto(`${origin}${BASE}`);
  await page.waitForSelector('[data-testid=drop-zone]');
  return { page, context, requests, problems };
}

/** Waits until the service worker has precached the build and controls the page. */
async function untilControlled(page) {
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((ok) => navigator.serviceWorker.addEventListener('controllerchange', ok, { once: true }));
    }
  });
}

/** Everything in the page's Cache Storage: { cache name: [request URL, ...] }. */
async function cacheContents(page) {
  return page.evaluate(async () => {
    const out = {};
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      out[name] = (await cache.keys()).map((r) => `${r.method} ${r.url}`).sort();
    }
    return out;
  });
}

/** What the cache must hold for a build: a GET of each of its files but sw.js, nothing else. */
function expectedCache(version) {
  const files = DIST_FILES.filter((f) => f !== 'sw.js');
  return { [cacheName(version)]: files.map((f) => `GET ${origin}${BASE}${f}`).sort() };
}

/** Every request went to one of the app's own files, at the app's origin and path. */
function assertOnlyAppRequests(requests) {
  const own = new Set(['', ...DIST_FILES]);
  for (const url of requests) {
    assert.ok(url.startsWith(`${origin}${BASE}`), `request outside the app: ${url}`);
    const file = new URL(url).pathname.slice(BASE.length);
    assert.ok(own.has(file), `request for something that is not an app file: ${url}`);
  }
}


test('the build lists every file but sw.js for the service worker, each with its SHA-256', async () => {
  const { createHash } = await import('node:crypto');
  const expected = DIST_FILES.filter((f) => f !== 'sw.js').map((f) => [f, createHash('sha256').update(readFileSync(join(dist, f))).digest('hex')]);
  assert.deepEqual(BUILD.files, expected);
  assert.match(BUILD.version, /^[0-9a-f]{16}$/);
  // The service worker imports nothing, and names no URL outside the app.
  assert.ok(!/importScripts|\bimport\b\s*[({'"]|https?:\/\//.test(SW_SOURCE.replace(/^\s*\/\/.*$/gm, '')), 'sw.js imports or names a URL');
  const manifest = JSON.parse(readFileSync(join(dist, 'manifest.webmanifest'), 'utf8'));
  assert.equal(manifest.start_url, './');
  assert.equal(manifest.scope, './');
  assert.equal(manifest.display, 'standalone');
  for (const icon of manifest.icons) assert.ok(DIST_FILES.includes(icon.src), `${icon.src} is built`);
});

test('the browser finds the app installable, its manifest without error', { timeout: 120000 }, async () => {
  // Chromium does not install from an off-the-record context (every browser.newContext() is
  // one), so this uses a throwaway profile.
  const profile = await mkdtemp(join(tmpdir(), 'sendas-lens-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await context.newPage();
    await page.goto(`${origin}${BASE}`);
    await page.waitForSelector('[data-testid=drop-zone]');
    await untilControlled(page);
    const cdp = await context.newCDPSession(page);
    const manifest = await cdp.send('Page.getAppManifest');
    assert.equal(manifest.url, `${origin}${BASE}manifest.webmanifest`);
    assert.deepEqual(manifest.errors, []);
    assert.deepEqual((await cdp.send('Page.getInstallabilityErrors')).installabilityErrors, []);
  } finally {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  }
});

test('after one visit, the app opens and analyses a file with the network gone', { timeout: 120000 }, async () => {
  const { page, context, requests, problems } = await openApp();
  await untilControlled(page);
  assert.deepEqual(await cacheContents(page), expectedCache(BUILD.version), 'the cache holds the build, and only it');

  // The network goes: the browser is offline, and the server drops whatever still reaches it.
  unplugged = true;
  reachedWhileUnplugged.length = 0;
  try {
    await context.setOffline(true);
    await page.reload();
    await page.waitForSelector('[data-testid=drop-zone]');
    assert.ok(await page.isVisible('[data-testid=drop-zone]'));
    assert.ok(await page.evaluate(() => !!navigator.serviceWorker.controller), 'the page came from the service worker');

    // Dropping a file starts the worker (its script and Wasm come from the cache) and analyses it.
    const path = join(fixtures, 'purview-article-scenario.csv');
    await page.locator('[data-testid=drop-zone]').drop({
      files: [{ name: basename(path), mimeType: 'text/csv', buffer: await readFile(path) }],
    });
    await waitForResult(page);
    const expected = JSON.parse(execFileSync(cli, ['summary', '--json', path], { encoding: 'utf8' }));
    assert.deepEqual(await headline(page), expectedHeadline(expected));
    assert.ok(requests.some((u) => u.endsWith('/worker_bg.wasm')), 'the worker was loaded');
    assert.deepEqual(reachedWhileUnplugged, [], 'nothing reached the server while the network was gone');
  } finally {
    unplugged = false;
    await context.setOffline(false);
  }

  // Nothing was added at run time: not the dropped file, not any response.
  assert.deepEqual(await cacheContents(page), expectedCache(BUILD.version), 'the cache holds the build, and only it');
  // The service worker's own fetches (its precache) are among the requests checked.
  assert.ok(requests.some((u) => u.endsWith('/icon-maskable-512.png')), 'the service worker\'s requests were recorded');
  assertOnlyAppRequests(requests);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a new deployment installs beside the old one, takes over when its tabs close, and deletes the old cache', { timeout: 120000 }, async () => {
  const { page, context, requests, problems } = await openApp();
  await untilControlled(page);
  assert.deepEqual(await cacheContents(page), expectedCache(BUILD.version));

  // "Deploy": sw.js now names another version (the same files, so its hashes still hold).
  const next = `${BUILD.version}-next`;
  nextVersion = next;
  try {
    const state = await page.evaluate(async () => {
      const registration = await navigator.serviceWorker.getRegistration();
      await registration.update();
      const worker = registration.installing || registration.waiting;
      if (!worker) return 'no new worker';
      while (worker.state === 'installing') await new Promise((ok) => worker.addEventListener('statechange', ok, { once: true }));
      return worker.state;
    });
    // The open tab keeps the version it started with; the new one waits, its files cached.
    assert.equal(state, 'installed');
    assert.deepEqual(await cacheContents(page), { ...expectedCache(BUILD.version), ...expectedCache(next) });

    // Every tab of the old version closed: the next visit gets the new one, and the old cache is gone.
    await page.close();
    const fresh = await context.newPage();
    fresh.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    let contents;
    for (let i = 0; i < 100; i++) {
      await fresh.goto(`${origin}${BASE}`);
      await fresh.waitForSelector('[data-testid=drop-zone]');
      contents = await cacheContents(fresh);
      if (Object.keys(contents).length === 1) break;
      await new Promise((ok) => setTimeout(ok, 100));
    }
    assert.deepEqual(contents, expectedCache(next));
    await untilControlled(fresh);
    assert.ok((await fresh.evaluate(() => navigator.serviceWorker.controller.scriptURL)).endsWith(`${BASE}sw.js`));
  } finally {
    nextVersion = null;
  }
  assertOnlyAppRequests(requests);
  assert.deepEqual(problems, []);
  await context.close();
});

// Accessibility: axe-core (npm, a dev dependency) over the app with the sample loaded, so the
// charts, tables and panels exist. The CSP allows scripts from the app's origin only, so axe
// cannot be added as a <script> (page.addScriptTag would be refused). page.evaluate runs its text
// through the DevTools protocol (Runtime.evaluate), which the page's CSP does not govern: axe is
// defined in the page as if the page had loaded it, and nothing is fetched.
const AXE_SOURCE = readFileSync(join(root, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

/** axe's violations, one readable block each: rule, impact, help, and every node's selector. */
function describe(violations) {
  return violations.map((v) => [
    `${v.id} (${v.impact}): ${v.help} [${v.helpUrl}]`,
    ...v.nodes.map((n) => `    ${n.target.join(' >>> ')}: ${n.html.length > 160 ? `${n.html.slice(0, 160)}…` : n.html}\n      ${n.failureSummary.replace(/\n/g, '\n      ')}`),
  ].join('\n')).join('\n');
}

/** Runs axe over the page as it is; its violations, plain data. */
async function axeViolations(page) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map(({ id, impact, help, helpUrl, nodes }) => ({
      id, impact, help, helpUrl,
      nodes: nodes.map(({ target, html, failureSummary }) => ({ target, html, failureSummary })),
    }));
  });
}

// Every violation is printed (rule, impact, help, each node's selector and markup). One that needs a
// fix out of reach for now can be parked with `{ todo: 'why' }` on the test, never by skipping a rule.
for (const colorScheme of ['light', 'dark']) {
  test(`axe finds no accessibility violation: the start page, the sample loaded, a row opened; ${colorScheme} mode`, { timeout: 120000 }, async () => {
    const { page, context, problems } = await openApp({ colorScheme });
    assert.equal(await page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches), colorScheme === 'dark');
    const found = [];
    const start = await axeViolations(page);
    if (start.length) found.push(`the start page, ${colorScheme} mode:\n${describe(start)}`);
    await page.click('[data-testid=load-sample]');
    await waitForResult(page);
    for (const id of ['chart-attribution', 'chart-matrix', 'chart-timeline', 'chart-delays', 'events-table']) {
      await page.waitForSelector(`[data-testid=${id}]`);
    }
    const loaded = await axeViolations(page);
    if (loaded.length) found.push(`the sample loaded, ${colorScheme} mode:\n${describe(loaded)}`);
    // A row opened: the detail panel, with the evidence and the raw record.
    await page.locator('[data-testid=events-table] tr.row').first().click();
    await page.waitForSelector('[data-testid=raw-record]');
    const opened = await axeViolations(page);
    if (opened.length) found.push(`a row opened, ${colorScheme} mode:\n${describe(opened)}`);
    if (found.length) console.log(`axe:\n${found.join('\n')}`);
    assert.equal(start.length + loaded.length + opened.length, 0, `axe found violations:\n${found.join('\n')}`);
    assert.deepEqual(problems, []);
    await context.close();
  });
}
