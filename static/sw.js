// SendAs Lens's service worker: keeps the app's own files so that, after a first visit, the app
// opens and analyses files with the network gone. Registered by the app (src/offline.rs); Trunk
// copies this file to dist/sw.js, and scripts/sw_precache.py fills in BUILD.
//
// What it caches: the files listed in BUILD, and nothing else, ever. BUILD is written at build
// time: every file of dist/ but this one, each with its SHA-256. They are fetched once, at
// install, and kept only if their bytes are this build's. No response is stored at run time, so
// nothing the page or its worker fetch later, and no audit data, can reach the cache (dropped
// files never come through here anyway: the worker reads them from File handles). Only GET
// requests for those files are answered from the cache; every other request goes to the network
// untouched, exactly as without this worker.
//
// A new deployment changes BUILD, so the browser installs the new worker beside the old one, and
// it waits: worker.js and worker_bg.wasm keep their names from one build to the next, and one
// version's page must not get another's worker. It takes over once no tab runs the old version,
// which reloading alone never brings about (the old page runs until the new one has loaded), or
// when a page asks it to: the page's "Reload to update" button (src/components/update_banner.rs)
// posts {type: 'skip-waiting'}, and the page reloads once this worker has taken over. Then it
// deletes the old version's cache. It never claims a page it did not serve: a page loaded
// without it (a first visit, a shift-reload, an install that failed) may be of another build.
//
// No import, no remote URL: this file is the whole service worker.
'use strict';

const BUILD = /* build */ { "version": "unbuilt", "files": [] } /* end build */;

const SCOPE = new URL(self.registration.scope);
// One cache per deployment and per scope: copies of the app under two sub-paths of one origin
// share its Cache Storage, and each deletes only its own old caches.
const PREFIX = `sendas-lens ${SCOPE.pathname} `;
const CACHE = PREFIX + BUILD.version;
const FILES = new Set(BUILD.files.map(([path]) => path));

const hex = (buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');

/** One file of this build, checked against its hash: first as the browser's HTTP cache has it
 * (the page has just loaded most of them), then, if those bytes are not this build's (a stale
 * HTTP cache, a deployment still uploading), once more from the server. */
async function fetchChecked(path, sha256) {
  const url = new URL(path, SCOPE).href;
  for (const cache of ['default', 'reload']) {
    const response = await fetch(url, { cache, credentials: 'same-origin' });
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    const body = await response.clone().arrayBuffer();
    if (hex(await crypto.subtle.digest('SHA-256', body)) !== sha256) continue;
    // A redirected response may not answer a navigation: keep its bytes and headers only.
    if (response.redirected) {
      return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
    }
    return response;
  }
  throw new Error(`${path}: the server does not have build ${BUILD.version}'s bytes`);
}

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    try {
      const responses = await Promise.all(BUILD.files.map(([path, sha256]) => fetchChecked(path, sha256)));
      await Promise.all(BUILD.files.map(([path], i) => cache.put(new URL(path, SCOPE).href, responses[i])));
    } catch (error) {
      // Install fails: the version in use (if any) stays, and the browser tries again later.
      await caches.delete(CACHE);
      throw error;
    }
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
    }
    // No clients.claim(): a page this worker did not serve may be of another build (a first
    // visit during a deployment, a shift-reload, an old page whose install failed), and taking it
    // over would hand it this build's worker.js. Such a page stays on the network until its next
    // load; pages this registration already controls move to this worker by themselves, and only
    // after a page asked for it (skip-waiting) or when no page of the old version is left.
  })());
});

// The page's "Reload to update" button: take over now (the page reloads once this worker has).
self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'skip-waiting') self.skipWaiting();
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  // Never a request with a body, never another origin, never a URL outside the app.
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== SCOPE.origin || !url.pathname.startsWith(SCOPE.pathname)) return;
  const path = url.pathname.slice(SCOPE.pathname.length) || 'index.html';
  if (!FILES.has(path)) return;
  event.respondWith((async () => {
    // If the browser evicted the cache, the network answers (and nothing is stored).
    return (await caches.match(new URL(path, SCOPE).href, { cacheName: CACHE })) || fetch(request);
  })());
});
