{% load static %}// The visit pages' service worker (served by moderation.views.visit_worker; static/js/visit-notes.js
// registers it for each visit page a moderator writes notes on). It keeps a copy of the visit page
// and of the files it uses, so that the page opens in a school without signal; it keeps no other
// page. The copies are the signed-in moderator's: another person's are forgotten when they open a
// visit page, and all are forgotten once the portal answers a visit page with "sign in".
"use strict";

const STATIC_URL = "{% get_static_prefix %}";
const CACHE = "iqm-visit-pages";
const VISIT_PAGE = /^\/[^/]+\/cycles\/\d+\/visit\/$/;
const OWNER = new URL("?owner", self.location).href; // whose pages the cache holds

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

// The page says who is signed in and what it is made of: its own address and its files.
self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "keep") event.waitUntil(keep(String(data.user), data.urls || []));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && VISIT_PAGE.test(url.pathname)) {
    event.respondWith(page(event, url));
  } else if (url.pathname.startsWith(STATIC_URL)) {
    event.respondWith(file(request));
  }
  // Anything else (the notes the page sends, above all) goes to the network as usual.
});

function pageKey(url) {
  return url.origin + url.pathname;
}

async function forgetPages(cache) {
  for (const request of await cache.keys()) {
    if (VISIT_PAGE.test(new URL(request.url).pathname)) await cache.delete(request);
  }
}

async function keep(user, urls) {
  const cache = await caches.open(CACHE);
  const owner = await cache.match(OWNER);
  if (!owner || (await owner.text()) !== user) {
    await forgetPages(cache);
    await cache.put(OWNER, new Response(user));
  }
  const files = new Set();
  for (const address of urls) {
    const url = new URL(address, self.location.origin);
    if (url.origin !== self.location.origin) continue;
    const isPage = VISIT_PAGE.test(url.pathname);
    if (!isPage && !url.pathname.startsWith(STATIC_URL)) continue;
    const key = isPage ? pageKey(url) : url.href;
    if (!isPage) files.add(key);
    if (await cache.match(key, { ignoreVary: true })) continue;
    try {
      const response = await fetch(key, { credentials: "same-origin", redirect: "manual" });
      if (response.ok) await cache.put(key, response);
    } catch (error) {
      // Offline already: kept the next time the page opens with a connection.
    }
  }
  // Files the page no longer uses (a new release renames them) are dropped.
  for (const request of await cache.keys()) {
    const url = new URL(request.url);
    if (url.pathname.startsWith(STATIC_URL) && !files.has(url.href)) await cache.delete(request);
  }
}

// A visit page: from the network, kept as it comes; the kept copy only when the network fails
// (offline). A slow answer is waited for: the copy may be another person's page, or out of date.
async function page(event, url) {
  const cache = await caches.open(CACHE);
  const key = pageKey(url);
  let response;
  try {
    response = await fetch(event.request);
  } catch (error) {
    const kept = await cache.match(key, { ignoreVary: true });
    if (kept) return kept;
    throw error;
  }
  if (response.ok && response.type === "basic") {
    await cache.put(key, response.clone());
  } else if (response.type === "opaqueredirect") {
    await forgetPages(cache); // signed out: to the sign-in page
  } else if (response.status === 403 || response.status === 404) {
    await cache.delete(key);
  }
  return response;
}

// A file of the page: from the network (or the browser's own cache) while there is one, and the
// kept copy refreshed; the kept copy without.
async function file(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok && (await cache.match(request, { ignoreVary: true }))) {
      await cache.put(request, response.clone());
    }
    return response;
  } catch (error) {
    const kept = await cache.match(request, { ignoreVary: true });
    if (kept) return kept;
    throw error;
  }
}
