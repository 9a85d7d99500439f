// End-to-end tests of the "Tenant rules" panel on the release build (headless Chromium,
// playwright-core), checked against the CLI's `--rules FILE` on the same files: a rule added or
// imported classifies the loaded sends again without reading them again; the same file gives the
// CLI's counts on every fixture; a bad file is refused with its JSON path and changes nothing; the
// rules survive a reload (localStorage), and a damaged kept value falls back to the built-in rules.
//
// Run: node --test tests/e2e/   (scripts/test.sh builds dist/ and the CLI first)
// Env: SENDAS_LENS_BIN (the CLI binary), CHROMIUM (default /usr/bin/chromium).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, mkdtemp, writeFile } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveDist, launchChromium, CLASSES, loadFile } from './support.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = join(root, 'dist');
const fixtures = join(root, 'tests', 'fixtures');
const cli = process.env.SENDAS_LENS_BIN || join(root, 'target', 'debug', 'sendas-lens');
const BASE = '/sendas/rules/';
/** Where this copy of the app keeps its rules: the key names its path. */
const RULES_KEY = `sendas-lens.rules ${BASE}`;

let server;
let origin;
let browser;
let dir;
let rulesFile;
let badRulesFile;
let leftOutFile;

/** The built-in table with two rules of a tenant's: one before every built-in rule, one after. */
function tenantRules() {
  const table = JSON.parse(execFileSync(cli, ['rules', '--json'], { encoding: 'utf8' }));
  table.rules.unshift({
    name: 'tenant-tony-runs-the-feeds',
    class: 'application',
    explanation: 'Tenant rule: tony@contoso.com is the account our feed service signs in as.',
    condition: { equals: { field: 'actor', any_of: ['tony@contoso.com'] } },
  });
  table.rules.push({
    name: 'tenant-contoso-leftovers',
    class: 'delegate',
    explanation: 'Tenant rule: anything else by a contoso.com account is a person.',
    condition: { ends_with: { field: 'actor', any_of: ['@contoso.com'] } },
  });
  return table;
}

before(async () => {
  ({ server, origin } = await serveDist(dist, BASE));
  browser = await launchChromium();
  dir = await mkdtemp(join(tmpdir(), 'sendas-rules-'));
  rulesFile = join(dir, 'my-rules.json');
  await writeFile(rulesFile, JSON.stringify(tenantRules(), null, 2));
  // An unknown field in the second rule's first condition: refused whole.
  const bad = tenantRules();
  bad.rules[1].condition.all[0].contains.field = 'client_infos';
  badRulesFile = join(dir, 'bad-rules.json');
  await writeFile(badRulesFile, JSON.stringify(bad, null, 2));
  // A table that leaves out a built-in rule: used, with a warning.
  const leftOut = tenantRules();
  leftOut.rules.splice(1, 1);
  leftOutFile = join(dir, 'left-out.json');
  await writeFile(leftOutFile, JSON.stringify(leftOut, null, 2));
});

after(async () => {
  await browser?.close();
  server?.close();
});

async function openApp(context) {
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', async (d) => {
    problems.push(`dialog opened: ${d.message()}`);
    await d.dismiss();
  });
  await page.goto(`${origin}${BASE}`);
  await page.waitForSelector('[data-testid=rules-panel]');
  return { page, problems };
}

async function newContext() {
  return browser.newContext({ acceptDownloads: true, viewport: { width: 1400, height: 1000 } });
}

function cliSummary(files, rules) {
  const args = ['summary', '--json', ...files];
  if (rules) args.push('--rules', rules);
  return JSON.parse(execFileSync(cli, args, { encoding: 'utf8' }));
}

async function classCounts(page) {
  const counts = {};
  for (const c of CLASSES) counts[c] = Number(await page.textContent(`[data-testid=class-count-${c}]`));
  return counts;
}

/** Waits until the class counts shown are `expected` (a re-classification arrives as a new result). */
async function waitForCounts(page, expected) {
  await page.waitForFunction(
    (want) => Object.entries(want).every(([c, n]) => document.querySelector(`[data-testid=class-count-${c}]`)?.textContent === String(n)),
    expected,
    { timeout: 30000 },
  );
}

async function load(page, name) {
  await loadFile(page, join(fixtures, name));
}

/** A page with the article's scenario loaded under the built-in rules, checked against the CLI. */
async function openWithArticle() {
  const context = await newContext();
  const { page, problems } = await openApp(context);
  const path = join(fixtures, 'purview-article-scenario.csv');
  await loadFile(page, path);
  const before = cliSummary([path]).by_class;
  assert.deepEqual(await classCounts(page), before);
  return { context, page, problems, fixture: 'purview-article-scenario.csv', path, before };
}

/** From now on, notes whether the progress bar (shown only while files are read) ever appears. */
async function watchForReading(page) {
  await page.evaluate(() => {
    window.__readingSeen = false;
    const seen = () => {
      if (document.querySelector('[data-testid=progress]')) window.__readingSeen = true;
    };
    new MutationObserver(seen).observe(document.body, { childList: true, subtree: true });
    seen();
  });
}

async function readingSeen(page) {
  return page.evaluate(() => window.__readingSeen);
}

async function downloadText(page, testid) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click(`[data-testid=${testid}]`)]);
  return { name: download.suggestedFilename(), text: await readFile(await download.path(), 'utf8') };
}

test('a rule added in the form classifies the loaded sends again, nothing re-read; its export is what the CLI reads', async () => {
  const { context, page, problems, fixture, path, before } = await openWithArticle();
  await watchForReading(page);

  await page.fill('[data-testid=rule-form-name]', 'tenant-tony-runs-the-feeds');
  await page.selectOption('[data-testid=rule-form-class]', 'application');
  await page.selectOption('[data-testid=rule-form-test]', 'actor-equals');
  await page.fill('[data-testid=rule-form-values]', 'tony@contoso.com');
  await page.click('[data-testid=rule-form-add]');
  assert.equal(await page.textContent('[data-testid=rule-name]'), 'tenant-tony-runs-the-feeds');
  assert.match(await page.textContent('[data-testid=rule-position]'), /before every built-in rule/);
  assert.equal(await page.textContent('[data-testid=rule-condition]'), 'When: UserId equals tony@contoso.com');

  // The export is the table the CLI reads with --rules; the app's counts are the CLI's with it.
  const exported = await downloadText(page, 'rules-export');
  assert.equal(exported.name, 'sendas-lens-rules.json');
  const exportedFile = join(dir, 'exported.json');
  await writeFile(exportedFile, exported.text);
  const after = cliSummary([path], exportedFile).by_class;
  assert.notDeepEqual(after, before, 'the rule changes the classes of this fixture');
  assert.ok(after.application > before.application);
  await waitForCounts(page, after);
  assert.equal(await page.locator('[data-testid=sources]').textContent().then((t) => t.includes(fixture)), true);
  assert.equal(await readingSeen(page), false, 'the files were not read again (no progress bar)');
  // The exported table with the rule taken out again is exactly `sendas-lens rules --json`.
  const parsed = JSON.parse(exported.text);
  parsed.rules.shift();
  assert.equal(`${JSON.stringify(parsed, null, 2)}\n`, execFileSync(cli, ['rules', '--json'], { encoding: 'utf8' }));

  // An affected send says in its evidence that the tenant's own rule decided it.
  await page.fill('input[type=search]', 'tony@contoso.com');
  await page.locator('[data-testid=events-table] tr.row').first().click();
  await page.waitForSelector('[data-testid=detail-panel]');
  assert.match(await page.textContent('[data-testid=detail-panel]'), /rule tenant-tony-runs-the-feeds \(the tenant's own rule\)/);

  // Removing it goes back to the built-in classes, again without reading.
  await page.click('[data-testid=rule-remove]');
  await waitForCounts(page, before);
  await page.waitForSelector('[data-testid=rules-none]');
  assert.equal(await readingSeen(page), false, 'removing it read nothing either');
  // The open row stays open through a re-classification.
  await page.waitForSelector('[data-testid=detail-panel]');
  assert.deepEqual(problems, []);
  await context.close();
});

test('an imported rules file re-classifies a loaded export to the counts and report of `summary --json --rules FILE`, on every fixture', async () => {
  const context = await newContext();
  const { page, problems } = await openApp(context);
  let changed = 0;
  const FORMATS = readdirSync(fixtures).filter((f) => /\.(csv|json|jsonl)$/.test(f));
  assert.ok(FORMATS.length >= 15, `the fixture corpus (${FORMATS.length})`);
  for (const name of FORMATS) {
    const path = join(fixtures, name);
    // Loaded with the built-in rules, then the file imported: the worker classifies the sends it
    // holds again, and the result must be a fresh analysis's with the same rules.
    await load(page, name);
    const builtIn = cliSummary([path]);
    assert.deepEqual(await classCounts(page), builtIn.by_class, `${name}, built-in rules`);
    await watchForReading(page);
    await page.setInputFiles('[data-testid=rules-file-input]', rulesFile);
    await page.waitForSelector('[data-testid=rule-item] >> nth=1');
    const expected = cliSummary([path], rulesFile);
    await waitForCounts(page, expected.by_class);
    const report = await downloadText(page, 'download-report');
    assert.deepEqual(JSON.parse(report.text), expected, `${name}: the app's report differs from summary --json --rules`);
    assert.equal(await readingSeen(page), false, `${name}: nothing read again`);
    if (JSON.stringify(builtIn.by_class) !== JSON.stringify(expected.by_class)) changed += 1;
    if (name === FORMATS[0]) {
      const names = await page.$$eval('[data-testid=rule-name]', (els) => els.map((e) => e.textContent));
      assert.deepEqual(names, ['tenant-tony-runs-the-feeds', 'tenant-contoso-leftovers']);
      const positions = await page.$$eval('[data-testid=rule-position]', (els) => els.map((e) => e.textContent));
      assert.match(positions[0], /before every built-in rule/);
      assert.match(positions[1], /after every built-in rule/);
    }
    await page.click('[data-testid=rules-reset]');
    await page.waitForSelector('[data-testid=rules-none]');
    await waitForCounts(page, builtIn.by_class);
  }
  assert.ok(changed >= 5, `the rules change the classes of several fixtures (${changed})`);
  assert.deepEqual(problems, []);
  await context.close();
});

test('after a failed run the shown export is still the one re-classified, and its KQL follows its classes', async () => {
  const { context, page, problems, path, before } = await openWithArticle();
  // A file that is no export: the run fails, the article's results stay on screen.
  await page.setInputFiles('[data-testid=file-input]', join(fixtures, 'bad', 'binary-garbage.bin'));
  await page.waitForSelector('[data-testid=error]');
  assert.deepEqual(await classCounts(page), before);
  assert.doesNotMatch(await page.textContent('[data-testid=kql-panel]'), /tenant-tony-runs-the-feeds/);
  await page.setInputFiles('[data-testid=rules-file-input]', rulesFile);
  await waitForCounts(page, cliSummary([path], rulesFile).by_class);
  assert.match(await page.textContent('[data-testid=kql-panel]'), /tenant-tony-runs-the-feeds/, 'the KQL is the shown classes\' table');
  // A cancelled run leaves them too: its worker goes, the holder of the shown result stays.
  await page.setInputFiles('[data-testid=file-input]', join(fixtures, 'purview-us-dates.csv'));
  await page.click('[data-testid=cancel]').catch(() => {});
  await page.click('[data-testid=rules-reset]');
  await page.waitForSelector('[data-testid=rules-none]');
  const shown = await page.textContent('[data-testid=sources]');
  const expected = shown.includes('purview-us-dates.csv') ? cliSummary([join(fixtures, 'purview-us-dates.csv')]) : cliSummary([path]);
  await waitForCounts(page, expected.by_class);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a bad rules file is refused with its JSON path, and nothing changes', async () => {
  const context = await newContext();
  const { page, problems } = await openApp(context);
  const fixture = 'purview-article-scenario.csv';
  await load(page, fixture);
  const before = await classCounts(page);
  await page.setInputFiles('[data-testid=rules-file-input]', badRulesFile);
  await page.waitForSelector('[data-testid=rules-error]');
  const error = await page.textContent('[data-testid=rules-error]');
  assert.match(error, /bad-rules\.json/);
  assert.match(error, /rules\[1\]\.condition\.all\[0\]\.contains\.field/);
  assert.match(error, /client_infos/);
  // Give a wrongly applied table time to arrive, then check nothing did.
  await page.waitForTimeout(500);
  assert.deepEqual(await classCounts(page), before);
  await page.waitForSelector('[data-testid=rules-none]');
  assert.equal(await page.evaluate((key) => localStorage.getItem(key), RULES_KEY), null, 'nothing kept');
  assert.deepEqual(problems, []);
  await context.close();
});

test('the rules survive a reload; a damaged kept value says why and the built-in rules apply', async () => {
  const context = await newContext();
  const { page, problems } = await openApp(context);
  await page.setInputFiles('[data-testid=rules-file-input]', rulesFile);
  await page.waitForSelector('[data-testid=rule-item] >> nth=1');
  await page.reload();
  await page.waitForSelector('[data-testid=rule-item] >> nth=1');
  const fixture = 'management-api-content.json';
  await load(page, fixture);
  assert.deepEqual(await classCounts(page), cliSummary([join(fixtures, fixture)], rulesFile).by_class);
  // Only the rules are kept: no audit data in the page's storage.
  const kept = await page.evaluate(() => Object.keys(localStorage));
  assert.deepEqual(kept, [RULES_KEY]);

  await page.evaluate((key) => localStorage.setItem(key, '{"rules": [{"name": "x"'), RULES_KEY);
  await page.reload();
  await page.waitForSelector('[data-testid=rules-error]');
  assert.match(await page.textContent('[data-testid=rules-error]'), /could not be read.*built-in rules are used/);
  await page.waitForSelector('[data-testid=rules-none]');
  await load(page, fixture);
  assert.deepEqual(await classCounts(page), cliSummary([join(fixtures, fixture)]).by_class);
  assert.deepEqual(problems, []);
  await context.close();
});

// Accessibility of the panel in every state it has (rules listed, a built-in rule left out, a
// form error, an import refused), light and dark; axe as in offline.test.mjs (run through the
// DevTools protocol, which the page's CSP does not govern).
const AXE_SOURCE = readFileSync(join(root, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

for (const colorScheme of ['light', 'dark']) {
  test(`axe finds no violation in the rules panel with rules, warnings and errors; ${colorScheme} mode`, { timeout: 120000 }, async () => {
    const context = await browser.newContext({ colorScheme, viewport: { width: 1400, height: 1000 } });
    const { page, problems } = await openApp(context);
    await page.click('[data-testid=load-sample]');
    await page.waitForSelector('[data-testid=send-events]', { timeout: 30000 });
    await page.setInputFiles('[data-testid=rules-file-input]', leftOutFile);
    await page.waitForSelector('[data-testid=rules-departures]');
    assert.match(await page.textContent('[data-testid=rules-departures]'), /left out/);
    await page.click('[data-testid=rule-form-add]');
    await page.waitForSelector('[data-testid=rule-form-error]');
    await page.setInputFiles('[data-testid=rules-file-input]', badRulesFile);
    await page.waitForSelector('[data-testid=rules-error]');
    await page.evaluate(AXE_SOURCE);
    const violations = await page.evaluate(async () => {
      const result = await window.axe.run(document, { resultTypes: ['violations'] });
      return result.violations.map(({ id, impact, help, nodes }) => `${id} (${impact}): ${help}\n    ${nodes.map((n) => n.target.join(' ')).join('\n    ')}`);
    });
    assert.deepEqual(violations, [], `axe found violations:\n${violations.join('\n')}`);
    assert.deepEqual(problems, []);
    await context.close();
  });
}
