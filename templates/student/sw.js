/* The questionnaire's service worker: the app's files, each code's pages when offline, and the send queue.
   Served by a view at /sw.js (scope: the whole site), never cached by HTTP; the file list carries the
   hashed static names, so a new release installs a new worker and drops the old files. */
"use strict";
var FILES = {{ files|safe }};
var APP_CACHE = "q-app-" + FILES.join("|").length + "-" + FILES.map(function (f) { return f.slice(-16); }).join("");
importScripts({{ store|safe }});

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(APP_CACHE).then(function (cache) { return cache.addAll(FILES); }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) { return name.indexOf("q-app-") === 0 && name !== APP_CACHE; })
      .map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

// A page of the questionnaire while offline: this code's copy, in the language last used.
function offlinePage(request) {
  var url = new URL(request.url);
  return QStore.pageFromCache(url).then(function (page) {
    return page || new Response(
      "离线：请连接网络后再打开这个页面。\nOffline: connect to the network and open this page again.",
      { status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request, url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(function () { return offlinePage(request); }));
  } else if (FILES.indexOf(url.pathname) !== -1) {
    event.respondWith(caches.match(request, { cacheName: APP_CACHE }).then(function (hit) { return hit || fetch(request); }));
  }
});

// Background Sync (where the browser has it): the queue is sent when the network returns, page open or not.
self.addEventListener("sync", function (event) {
  if (event.tag === QStore.SYNC_TAG) { event.waitUntil(QStore.flushAll()); }
});
