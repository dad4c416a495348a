/* A code's questionnaire on the phone: one IndexedDB database and one page cache per code (named by an
   opaque key), and the queue of writes sent to the server with a client id each. Shared by the pages and
   the service worker; removed from the phone once the server has the submission. */
(function (root) {
  "use strict";
  var STORE = "s", PAGES = "q-pages-", DB = "q-";

  // The code's database; null when it does not exist and create is false (a removed code is not made again).
  function open(key, create) {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB + key, 1);
      request.onupgradeneeded = function () {
        if (create) { request.result.createObjectStore(STORE); } else { request.transaction.abort(); }
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { if (create) { reject(request.error); } else { resolve(null); } };
    });
  }

  // Read, change and write the code's state in one transaction; fn gets the state (null only when create is
  // true and there is none yet) and returns the state to write, or nothing (no write). Resolves with the state.
  function update(key, fn, create) {
    return open(key, create).then(function (db) {
      if (!db) { return null; }
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, "readwrite"), store = tx.objectStore(STORE), result;
        var read = store.get("state");
        read.onsuccess = function () {
          var state = read.result || null;
          result = state || create ? fn(state) : null;
          if (result) { store.put(result, "state"); } else { result = state; }
        };
        tx.oncomplete = function () { db.close(); resolve(result); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function load(key) { return update(key, function () { return null; }); }

  // Every key with something on this phone (databases and page caches).
  function keys() {
    var found = {};
    var fromDbs = indexedDB.databases ? indexedDB.databases().then(function (dbs) {
      dbs.forEach(function (db) { if (db.name && db.name.indexOf(DB) === 0) { found[db.name.slice(DB.length)] = 1; } });
    }) : Promise.resolve();
    var fromCaches = caches.keys().then(function (names) {
      names.forEach(function (name) { if (name.indexOf(PAGES) === 0) { found[name.slice(PAGES.length)] = 1; } });
    });
    return Promise.all([fromDbs, fromCaches]).then(function () { return Object.keys(found); });
  }

  function purge(key) {
    return Promise.all([
      caches.delete(PAGES + key),
      new Promise(function (resolve) {
        var request = indexedDB.deleteDatabase(DB + key);
        request.onsuccess = request.onerror = request.onblocked = function () { resolve(); };
      })
    ]);
  }

  // This code's pages as empty templates in both languages (the script fills them from the state).
  function cachePages(key, urls) {
    return caches.open(PAGES + key).then(function (cache) {
      return Promise.all(urls.map(function (url) {
        return fetch(url, { credentials: "same-origin" }).then(function (page) {
          if (page.ok && !page.redirected) { return cache.put(url, page); }
          throw new Error("not cached: " + url);
        });
      }));
    });
  }

  function pageFromCache(url) {
    return keys().then(function (all) {
      return Promise.all(all.map(function (key) {
        return load(key).then(function (state) { return { key: key, state: state }; });
      }));
    }).then(function (found) {
      found = found.filter(function (f) { return f.state; }).sort(function (a, b) { return b.state.seen - a.state.seen; });
      if (!found.length) { return null; }
      var lang = url.searchParams.get("offline") || found[0].state.lang;
      return caches.open(PAGES + found[0].key).then(function (cache) {
        return cache.match(url.pathname + "?offline=" + lang, { ignoreVary: true });
      });
    });
  }

  function send(state, item) {
    var body = Object.assign({ token: state.bundle.token, device: state.device }, item);
    return fetch(state.bundle.sync, {
      method: "POST", credentials: "omit", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
    }).then(function (reply) {
      if (reply.status >= 500 || reply.status === 429) { throw new Error(String(reply.status)); }
      return reply.json();
    });
  }

  // Send the queue in order, each write with its client id (a write the server had is answered, not repeated).
  // Resolves with {sent, submitted, conflicts} or rejects while the network is down.
  function flush(key, done) {
    done = done || { sent: 0, submitted: false, conflicts: false, ended: false };
    return load(key).then(function (state) {
      if (!state || !state.outbox.length) { return done; }
      var item = state.outbox[0];
      return send(state, item).then(function (result) {
        if (result.status === "submitted" || result.status === "closed" || result.status === "ended") {
          done.submitted = result.status !== "ended";
          done.ended = result.status === "ended";
          return purge(key).then(function () { return done; });
        }
        done.sent += 1;
        return update(key, function (s) {
          if (!s || !s.outbox.length || s.outbox[0].id !== item.id) { return s; }
          s.outbox.shift();
          if (result.revision !== undefined) { s.revision = result.revision; }
          if (result.status === "conflict") {
            done.conflicts = true;
            s.conflicts[item.section] = result.conflicts;
            Object.keys(result.conflicts).forEach(function (code) { s.base[code] = result.conflicts[code][1]; });
            // The student chooses first: a queued submission waits for them to submit again.
            s.outbox = s.outbox.filter(function (queued) { return queued.kind !== "submit"; });
          }
          return s;
        }).then(function () { return flush(key, done); });
      });
    });
  }

  function flushAll() {
    return keys().then(function (all) {
      return Promise.all(all.map(function (key) { return flush(key).catch(function () { return null; }); }));
    });
  }

  root.QStore = {
    SYNC_TAG: "q-outbox", update: update, load: load, keys: keys, purge: purge,
    cachePages: cachePages, pageFromCache: pageFromCache, flush: flush, flushAll: flushAll
  };
})(self);
