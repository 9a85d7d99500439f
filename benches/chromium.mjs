// What the browser benches share: the same Chromium with the same switches, the tab's peak
// memory read from /proc, and the local file server their pages come from.

import { createServer } from 'node:http';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { chromium } from 'playwright-core';

const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };

/** `rel` inside `dir`, or `null` for a path that would leave it. */
export function within(dir, rel) {
  const path = normalize(join(dir, rel));
  return path.startsWith(normalize(dir + sep)) ? path : null;
}

/** Serves the files `resolve` maps request paths to (`null`: 404) on 127.0.0.1; resolves to
 * the server and its origin URL (with a trailing slash). */
export async function serveFiles(resolve) {
  const server = createServer(async (req, res) => {
    const path = resolve(decodeURIComponent(new URL(req.url, 'http://x').pathname));
    try {
      if (!path) throw new Error('outside');
      const body = await readFile(path);
      res.writeHead(200, { 'content-type': MIME[extname(path)] || 'application/octet-stream' }).end(body);
    } catch {
      if (process.env.BENCH_DEBUG) console.error(`404 ${req.url}`);
      res.writeHead(404).end();
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, url: `http://127.0.0.1:${server.address().port}/` };
}

/** Serves a built app (`dist/`, or `DIST=DIR`). */
export function serveDist(dist) {
  return serveFiles((path) => within(dist, path.slice(1) || 'index.html'));
}

/** Debian's Chromium (or $CHROMIUM); `marker`, a switch Chromium ignores, finds this run's
 * browser process among any others. */
export function launch(marker) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', marker],
  });
}

/** Peak resident memory (VmHWM) of the renderer processes below the browser started with
 * `marker` (a page's dedicated workers run in its renderer). */
export async function rendererPeakBytes(marker) {
  const procs = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
      procs.push({
        pid: Number(pid),
        ppid: Number(status.match(/^PPid:\s+(\d+)/m)[1]),
        peak: Number(status.match(/^VmHWM:\s+(\d+) kB/m)?.[1] ?? 0) * 1024,
        renderer: cmdline.includes('--type=renderer'),
        root: cmdline.split('\0').includes(marker),
      });
    } catch {}
  }
  const below = new Set(procs.filter((p) => p.root).map((p) => p.pid));
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of procs) if (below.has(p.ppid) && !below.has(p.pid)) below.add(p.pid), (grew = true);
  }
  return Math.max(0, ...procs.filter((p) => p.renderer && below.has(p.pid)).map((p) => p.peak));
}
