/* The service worker (served as /sw.js, scope "/"): offline reading of the pages one read recently.

   The rule (docs/architecture.md, "Offline reading"):
   - Pages: network first. A page is kept only when the server marked its answer `X-Offline-Cache: public`
     (a page a guest could see too: the home page, /latest, public boards and their threads), at most
     MAX_PAGES of them, the least recently read dropped first. Nothing else (private boards, messages,
     settings, admin, CRM, search) is ever stored.
   - Offline, a kept page is shown with a notice (the page's own offline.js shows it when the page says it
     is a saved copy); a page never kept gets the /offline page.
   - Every page names its reader (X-Offline-Reader: "guest" or an opaque digest); a page for another reader
     (a session ended on another device, another member) forgets every kept page first.
   - Signing out forgets every kept page: the sign-out form's submission (a POST to /logout) passes through
     here, the page also sends {type: "purge"}, and the answer carries Clear-Site-Data: "cache".
   - The app shell (the stylesheet, the scripts, the brand stylesheet) is served from the cache and refreshed
     behind. This file holds no content at all.
*/
"use strict";

const VERSION = "v1";
const SHELL = "community-shell-" + VERSION;
const PAGES = "community-pages-" + VERSION;
const MAX_PAGES = 30;
const OFFLINE_URL = "/offline";
const READER = "/__offline-reader";  // the reader the kept pages were made for (X-Offline-Reader)
const SHELL_URLS = [OFFLINE_URL, "/static/css/site.css", "/static/js/offline.js"];

self.addEventListener("install", event => {
  event.waitUntil(caches.open(SHELL)
    .then(cache => cache.addAll(SHELL_URLS.map(url => new Request(url, {credentials: "omit"}))))
    .then(() => self.skipWaiting()));
});

self.addEventListener("activate", event => {
  event.waitUntil(caches.keys()
    .then(names => Promise.all(names.filter(name => name !== SHELL && name !== PAGES).map(name => caches.delete(name))))
    .then(() => self.clients.claim()));
});

function purgePages() {
  return caches.delete(PAGES);
}

self.addEventListener("message", event => {
  if (event.data && event.data.type === "purge") {
    event.waitUntil(purgePages());
  }
});

// A page made for another reader (signed out elsewhere, another member, a guest) forgets every kept page.
async function checkReader(response) {
  const reader = response.headers.get("X-Offline-Reader");
  if (!reader) {
    return;
  }
  const known = await (await caches.open(PAGES)).match(READER);
  if (!known || await known.text() !== reader) {
    await purgePages();
    await (await caches.open(PAGES)).put(READER, new Response(reader));
  }
}

async function keepPage(request, response) {
  const cache = await caches.open(PAGES);
  await cache.delete(request.url);  // re-added last: the most recently read
  await cache.put(request.url, response);
  const keys = (await cache.keys()).filter(key => new URL(key.url).pathname !== READER);
  for (const old of keys.slice(0, Math.max(0, keys.length - MAX_PAGES))) {
    await cache.delete(old);
  }
}

async function savedCopy(url) {
  const cache = await caches.open(PAGES);
  const kept = await cache.match(url);
  if (!kept) {
    return null;
  }
  const html = (await kept.text()).replace("<html ", '<html data-offline-copy="1" ');
  return new Response(html, {headers: {"Content-Type": "text/html; charset=utf-8"}});
}

async function page(event) {
  const request = event.request;
  try {
    const response = await fetch(request);
    let after = checkReader(response);
    if (response.ok && response.headers.get("X-Offline-Cache") === "public") {
      const copy = response.clone();
      after = after.then(() => keepPage(request, copy));
    } else if (response.ok) {
      // a page that may no longer be kept (moved to a private board, say) is forgotten
      after = after.then(() => caches.open(PAGES)).then(cache => cache.delete(request.url));
    }
    event.waitUntil(after);
    return response;
  } catch (error) {
    return (await savedCopy(request.url))
      || (await caches.match(OFFLINE_URL))
      || new Response("Offline", {status: 503, headers: {"Content-Type": "text/plain"}});
  }
}

async function shell(event) {
  const cache = await caches.open(SHELL);
  const kept = await cache.match(event.request);
  const fresh = fetch(event.request).then(response => {
    if (response.ok) {
      cache.put(event.request, response.clone());
    }
    return response;
  });
  if (kept) {
    event.waitUntil(fresh.catch(() => null));
    return kept;
  }
  return fresh;
}

self.addEventListener("fetch", event => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (request.method !== "GET") {
    if (url.pathname === "/logout") {
      event.waitUntil(purgePages());
    }
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(page(event));
  } else if (url.pathname.startsWith("/static/") || url.pathname === "/brand.css") {
    event.respondWith(shell(event));
  }
});
