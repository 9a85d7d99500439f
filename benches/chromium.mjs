// What the browser benches share: the same Chromium with the same switches, and the tab's peak
// memory read from /proc.

import { readdir, readFile } from 'node:fs/promises';
import { chromium } from 'playwright-core';

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
