// The scanner's service worker (served by checkin.scanner_views.service_worker; see forum/checkin/offline_app.py).
// Scope: the scanner page of one forum. It caches the page and the files it loads, so that the page opens
// with no network after a first visit:
// - the page: network first (online it is always fresh, with a fresh CSRF token), the cached copy when the
//   network fails or is too slow; the scans of a page opened from the cache go through the API with the
//   phone's device token, never through the page's forms;
// - its static files: from the cache (they are versioned: a deploy changes VERSION, so a new worker with a
//   new cache replaces this one);
// - anything else (the API, the scanner's JSON, POSTs): not touched, straight to the network.
'use strict';

const VERSION = {{ version | tojson }};
const PAGE = {{ page | tojson }};
const FILES = {{ files | tojson }};
const PREFIX = 'forum-scanner-' + PAGE + '-';
const CACHE = PREFIX + VERSION;
const PAGE_TIMEOUT_MS = 4000; // a venue Wi-Fi that is "connected" but dead: fall back to the cache after this

self.addEventListener('install', function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    // Past the browser's HTTP cache: it may hold a sound as a partial (206) answer, which a cache refuses.
    return cache.addAll(FILES.concat([PAGE]).map(function (url) { return new Request(url, { cache: 'reload' }); }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener('activate', function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) { return name.indexOf(PREFIX) === 0 && name !== CACHE; })
      .map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function withTimeout(promise, ms) {
  return new Promise(function (resolve, reject) {
    const timer = setTimeout(function () { reject(new Error('timeout')); }, ms);
    promise.then(function (value) { clearTimeout(timer); resolve(value); },
                 function (error) { clearTimeout(timer); reject(error); });
  });
}

async function page(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await withTimeout(fetch(request), PAGE_TIMEOUT_MS);
    // Only the scanner itself is kept (not the sign-in page a lapsed session is sent to, nor an error).
    if (response.ok && !response.redirected && response.type === 'basic') {
      await cache.put(PAGE, response.clone());
    }
    return response;
  } catch (error) {
    const cached = await cache.match(PAGE);
    if (cached) return cached;
    throw error;
  }
}

self.addEventListener('fetch', function (event) {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === PAGE && request.mode === 'navigate') {
    event.respondWith(page(request));
  } else if (FILES.indexOf(url.pathname) !== -1) {
    event.respondWith(caches.open(CACHE).then(function (cache) {
      return cache.match(url.pathname).then(function (hit) { return hit || fetch(request); });
    }));
  }
});
