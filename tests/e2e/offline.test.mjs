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
import { createHash } from 'node:crypto';
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


/** Every file of `dir`, subfolders included, as paths relative to it with `/`, sorted; names
 * starting with a dot are left out (as scripts/sw_precache.py does). */
function listFiles(dir, prefix = '') {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).filter((e) => !e.name.startsWith('.')).flatMap((e) => {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    return e.isDirectory() ? listFiles(dir, rel) : e.isFile() ? [rel] : [];
  });
}

/** The build's files: what the service worker may cache (all but itself), and its version. */
const DIST_FILES = listFiles(dist).sort();
const SW_SOURCE = readFileSync(join(dist, 'sw.js'), 'utf8');
const BUILD = JSON.parse(SW_SOURCE.match(/\/\* build \*\/ (.*?) \/\* end build \*\//s)[1]);
const cacheName = (version) => `sendas-lens ${BASE} ${version}`;

let server;
let origin;
let browser;
/** While true the server is unplugged: every connection is dropped, and its URL recorded. */
let unplugged = false;
const reachedWhileUnplugged = [];
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/** A mark only the stand-in deployment's index.html carries. */
const MARK = '<!-- the next deployment -->';
/** A stand-in for a new deployment, as `trunk build` and scripts/sw_precache.py would make it:
 * index.html with other bytes (MARK added), and sw.js listing its new hash and a new version. */
function nextDeployment() {
  const index = Buffer.from(readFileSync(join(dist, 'index.html'), 'utf8').replace('<title>', `${MARK}<title>`));
  assert.ok(index.includes(MARK));
  const files = BUILD.files.map(([path, hash]) => [path, path === 'index.html' ? sha256(index) : hash]);
  const version = sha256(JSON.stringify(files)).slice(0, 16);
  const build = JSON.stringify({ version, files });
  const sw = Buffer.from(SW_SOURCE.replace(/\/\* build \*\/ .*? \/\* end build \*\//s, () => `/* build */ ${build} /* end build */`));
  assert.ok(sw.includes(version) && sw.includes(sha256(index)));
  return { version, index, sw };
}
/** The deployment the server serves instead of dist/'s, while set. */
let deployment = null;

before(async () => {
  ({ server, origin } = await serveDist(dist, BASE, {
    intercept: (req) => {
      if (!unplugged) return false;
      reachedWhileUnplugged.push(req.url);
      req.socket.destroy();
      return true;
    },
    rewrite: (file, body) => (deployment && file === 'index.html' ? deployment.index : deployment && file === 'sw.js' ? deployment.sw : body),
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

/** Waits until the service worker has precached the build, then reloads the page if it is not
 * controlled (the worker claims no page it did not serve), and checks that it is. */
async function untilControlled(page) {
  const controlled = await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    return !!navigator.serviceWorker.controller;
  });
  if (!controlled) {
    await page.reload();
    await page.waitForSelector('[data-testid=drop-zone]');
  }
  assert.ok(await page.evaluate(() => !!navigator.serviceWorker.controller), 'the service worker controls the page');
}

/** Whether the page's own document is the stand-in deployment's index.html. */
const showsNext = (page) => page.evaluate((mark) => document.documentElement.outerHTML.includes(mark), MARK);
/** Whether a fetch of index.html from the page (through its service worker) gets the stand-in's bytes. */
const fetchesNext = (page) => page.evaluate(async (mark) => (await (await fetch('index.html')).text()).includes(mark), MARK);
/** The update banner, as a screen reader finds it: a status with the message. */
const banner = (page) => page.getByRole('status').filter({ hasText: 'A new version of SendAs Lens is ready.' });

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
  // The first visit stays on the network: the service worker, once active, takes over no page it
  // did not serve (that page might be of another build).
  const claimed = await page.evaluate(async () => {
    const { active } = await navigator.serviceWorker.ready;
    while (active.state !== 'activated') await new Promise((ok) => active.addEventListener('statechange', ok, { once: true }));
    await new Promise((ok) => setTimeout(ok, 200));
    return !!navigator.serviceWorker.controller;
  });
  assert.equal(claimed, false, 'the first visit\'s page was taken over');
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

/** Asks the browser to check for a new service worker from `page`; the new worker's state once
 * it is done installing ('installed': it waits), or 'no new worker'. */
async function checkForUpdate(page) {
  return page.evaluate(async () => {
    const registration = await navigator.serviceWorker.getRegistration();
    await registration.update();
    const worker = registration.installing || registration.waiting;
    if (!worker) return 'no new worker';
    while (worker.state === 'installing') await new Promise((ok) => worker.addEventListener('statechange', ok, { once: true }));
    return worker.state;
  });
}

/** With the network gone, `page` reloads from its service worker alone: it must get the stand-in
 * deployment's index.html, and nothing may reach the server. */
async function assertServesNextOffline(page, context) {
  unplugged = true;
  reachedWhileUnplugged.length = 0;
  try {
    await context.setOffline(true);
    await page.reload();
    await page.waitForSelector('[data-testid=drop-zone]');
    assert.ok(await showsNext(page), 'the new version\'s index.html, from the new cache');
    assert.ok(await fetchesNext(page));
    // Only the browser's own update check of sw.js may try the server (Playwright's offline mode
    // does not cover it; it fails, as it would offline): no file the page uses.
    assert.deepEqual(reachedWhileUnplugged.filter((url) => new URL(url, origin).pathname !== `${BASE}sw.js`), []);
  } finally {
    unplugged = false;
    await context.setOffline(false);
  }
  const state = await page.evaluate(async () => {
    const registration = await navigator.serviceWorker.getRegistration();
    return { controlsByActive: navigator.serviceWorker.controller === registration.active, waiting: !!registration.waiting };
  });
  assert.deepEqual(state, { controlsByActive: true, waiting: false });
}

test('a new deployment installs beside the old one, takes over when its tabs close, and deletes the old cache', { timeout: 120000 }, async () => {
  const { page, context, requests, problems } = await openApp();
  await untilControlled(page);
  assert.deepEqual(await cacheContents(page), expectedCache(BUILD.version));

  // "Deploy": index.html changes (one comment more), so do its hash in sw.js and the version.
  deployment = nextDeployment();
  try {
    // The open tab keeps the version it started with; the new one waits, its files cached.
    assert.equal(await checkForUpdate(page), 'installed');
    assert.deepEqual(await cacheContents(page), { ...expectedCache(BUILD.version), ...expectedCache(deployment.version) });
    assert.ok(!(await showsNext(page)));
    assert.ok(!(await fetchesNext(page)), 'the open tab still gets the old version\'s files');

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
    assert.deepEqual(contents, expectedCache(deployment.version));
    await untilControlled(fresh);
    assert.ok(await showsNext(fresh));
    await assertServesNextOffline(fresh, context);
  } finally {
    deployment = null;
  }
  assertOnlyAppRequests(requests);
  assert.deepEqual(problems, []);
  await context.close();
});

test('while tabs only reload, a new deployment waits; the banner offers it, and its button switches every file at once', { timeout: 180000 }, async () => {
  const { page, context, requests, problems } = await openApp();
  await untilControlled(page);
  const other = await context.newPage();
  other.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await other.goto(`${origin}${BASE}`);
  await other.waitForSelector('[data-testid=drop-zone]');
  assert.equal(await banner(page).count(), 0, 'no banner before a deployment');

  deployment = nextDeployment();
  try {
    assert.equal(await checkForUpdate(page), 'installed');
    // The open tabs are told, without a reload.
    await banner(page).waitFor();
    await banner(other).waitFor();

    // Reloading never brings the new version (the old page runs while the new one loads), nor
    // mixes the two: each reload gets the old index.html, and the banner again.
    for (let i = 0; i < 3; i++) {
      await page.reload();
      await page.waitForSelector('[data-testid=drop-zone]');
      assert.ok(!(await showsNext(page)), `reload ${i + 1}: the old index.html`);
      assert.ok(!(await fetchesNext(page)), `reload ${i + 1}: the old files`);
      await banner(page).waitFor();
    }
    assert.deepEqual(await cacheContents(page), { ...expectedCache(BUILD.version), ...expectedCache(deployment.version) });

    // The banner passes axe, light and dark.
    for (const colorScheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme });
      const violations = await axeViolations(page);
      assert.equal(violations.length, 0, `axe found violations with the banner shown, ${colorScheme} mode:\n${describe(violations)}`);
    }
    await page.emulateMedia({ colorScheme: null });

    // The button: the new version takes over, and the tab reloads into it, once.
    const button = banner(page).getByRole('button', { name: 'Reload to update' });
    await Promise.all([page.waitForNavigation(), button.click()]);
    await page.waitForSelector('[data-testid=drop-zone]');
    assert.ok(await showsNext(page), 'the new index.html');
    assert.ok(await fetchesNext(page), 'the new files');
    assert.equal(await banner(page).count(), 0, 'no banner: nothing waits any more');
    assert.deepEqual(await cacheContents(page), expectedCache(deployment.version), 'the old cache is deleted');

    // The other tab was not reloaded under the user; its banner stays, and its button reloads it
    // into the new version (already in charge).
    assert.ok(!(await showsNext(other)));
    // Its files now come from the new version, so it must not start an analysis worker of that
    // version under its old page: the spare worker it started with (its own version) still
    // analyses one file; a further run is refused with the reason, and the results stay.
    const fixture = join(fixtures, 'purview-article-scenario.csv');
    await other.setInputFiles('[data-testid=file-input]', fixture);
    await waitForResult(other);
    assert.deepEqual(await headline(other), expectedHeadline(JSON.parse(execFileSync(cli, ['summary', '--json', fixture], { encoding: 'utf8' }))));
    await other.setInputFiles('[data-testid=file-input]', fixture);
    await other.waitForSelector('[data-testid=error]');
    assert.match(await other.textContent('[data-testid=error]'), /updated in another tab.*must reload/);
    await other.waitForSelector('[data-testid=send-events]');
    await Promise.all([other.waitForNavigation(), banner(other).getByRole('button', { name: 'Reload to update' }).click()]);
    await other.waitForSelector('[data-testid=drop-zone]');
    assert.ok(await showsNext(other));

    // No reload loop: the page stays put.
    const navigations = [];
    page.on('framenavigated', (f) => f === page.mainFrame() && navigations.push(f.url()));
    await new Promise((ok) => setTimeout(ok, 1500));
    assert.deepEqual(navigations, []);

    await assertServesNextOffline(page, context);
  } finally {
    deployment = null;
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
