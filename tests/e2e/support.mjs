// What the end-to-end suites share: a static server for dist/ under a sub-path, Chromium, and
// reading the headline the way a user sees it, next to what the CLI says it should be.

import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, extname } from 'node:path';
import { chromium } from 'playwright-core';

/** Content types for the files a build holds. */
export const MIME = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** The classes, in the report's order. */
export const CLASSES = ['connector', 'system', 'application', 'admin', 'owner', 'delegate', 'unknown'];

/**
 * Serves `dist` under `base` (a sub-path, as a static host would) on a free local port.
 * `intercept(req, res)` runs first and returns true when it answered; `rewrite(file, body)` may
 * change a file's bytes. Resolves to { server, origin }.
 */
export async function serveDist(dist, base, { intercept = () => false, rewrite = (_file, body) => body } = {}) {
  const server = createServer(async (req, res) => {
    if (intercept(req, res)) return;
    const path = new URL(req.url, 'http://x').pathname;
    if (!path.startsWith(base)) {
      res.writeHead(404).end();
      return;
    }
    const file = path.slice(base.length) || 'index.html';
    if (file.includes('..')) {
      res.writeHead(400).end();
      return;
    }
    try {
      const body = rewrite(file, await readFile(join(dist, file)));
      res.writeHead(200, { 'content-type': MIME[extname(file)] || 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}

/** Debian's Chromium (or $CHROMIUM), with nothing that would talk to the network on its own. */
export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** The headline's numbers and class counts, as the page shows them. */
export async function headline(page) {
  const read = async (id) => Number(await page.textContent(`[data-testid=${id}]`));
  const numbers = {};
  for (const id of ['rows-read', 'events', 'rejected', 'duplicates', 'send-events']) numbers[id] = await read(id);
  const classes = {};
  for (const c of CLASSES) classes[c] = await read(`class-count-${c}`);
  return { numbers, classes };
}

/** What the headline must show for a `summary --json` report. */
export function expectedHeadline(summary) {
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

/** Waits until a result is drawn. */
export async function waitForResult(page) {
  await page.waitForSelector('[data-testid=send-events]', { timeout: 30000 });
}

/** Hands one file to the page through its file input and waits until the result shown is that
 * file's (its name among the loaded sources). */
export async function loadFile(page, path) {
  await page.setInputFiles('[data-testid=file-input]', path);
  await page.waitForFunction(
    (n) => document.querySelector('[data-testid=sources]')?.textContent.includes(n),
    path.split('/').pop(),
    { timeout: 30000 },
  );
}
