/* Progressive enhancement of the questionnaire; every page also works without it. */
(function () {
  "use strict";

  // Active time: seconds the page was visible with some interaction in the last minute.
  var active = 0, lastInput = Date.now();
  ["input", "change", "touchstart", "keydown", "scroll", "click"].forEach(function (type) {
    document.addEventListener(type, function () { lastInput = Date.now(); }, { passive: true });
  });
  setInterval(function () {
    if (document.visibilityState === "visible" && Date.now() - lastInput < 60000) { active += 1; }
  }, 1000);

  function valueOf(form, name) {
    var checked = form.querySelector('input[name="' + name + '"]:checked');
    if (checked) { return checked.value; }
    var select = form.querySelector('select[name="' + name + '"]');
    return select ? select.value : "";
  }

  // Follow-up questions appear only when the answer they depend on applies.
  function applyConditions(form) {
    form.querySelectorAll("fieldset[data-asked-when]").forEach(function (fieldset) {
      // the dictionary's asked_when: "item==N" or "item>=N" (conditions on age shape the residence grid instead)
      var value = valueOf(form, fieldset.dataset.askedWhen), wanted = fieldset.dataset.askedValue;
      var applies = fieldset.dataset.askedOp === ">=" ? value !== "" && Number(value) >= Number(wanted) : value === wanted;
      fieldset.hidden = !applies;
      fieldset.querySelectorAll("input, select").forEach(function (input) { input.disabled = !applies; });
    });
  }

  // "Same as the year before" copies last year's three answers at once.
  function copyPreviousYear(form, year) {
    ["child", "father", "mother"].forEach(function (person) {
      var pad = function (n) { return (n < 10 ? "0" : "") + n; };
      var previous = form.querySelector('select[name="res_' + person + "_" + pad(year - 1) + '"]');
      var current = form.querySelector('select[name="res_' + person + "_" + pad(year) + '"]');
      if (previous && current && previous.value) { current.value = previous.value; }
    });
  }

  // Back and Forward show what the server holds, never a stale copy: a page the browser
  // kept in its back-forward cache is loaded again (the pages are also sent no-store).
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { window.location.reload(); return; }
    document.querySelectorAll("form").forEach(function (form) {
      delete form.dataset.sending;
      form.querySelectorAll("[data-once]").forEach(function (button) { button.disabled = false; });
    });
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.questionnaire").forEach(function (form) {
      applyConditions(form);
      form.addEventListener("change", function (event) {
        applyConditions(form);
        if (event.target.dataset.sameYear && event.target.checked) {
          copyPreviousYear(form, parseInt(event.target.dataset.sameYear, 10));
        }
        keepLocally(form);
      });
    });
    offlineStart();
    document.querySelectorAll("form").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        var field = form.querySelector('input[name="active_seconds"]');
        if (field) { field.value = String(active); }
        // One tap submits once: later taps while the page is sending do nothing.
        if (form.dataset.sending) { event.preventDefault(); return; }
        form.dataset.sending = "1";
        var button = form.querySelector("[data-once]");
        if (button) { setTimeout(function () { button.disabled = true; }, 0); }
        if (form.method.toLowerCase() === "post" && window.fetch && window.FormData) {
          event.preventDefault();
          if (keptHere(form) && (!navigator.onLine || form.dataset.template || local.state.outbox.length)) {
            saveOffline(form, event.submitter, uuid());
          } else {
            sendWithRetry(form, event.submitter, 0, uuid());
          }
        }
      });
    });
  });

  // On a weak network or while the server restarts, a page is sent again until it
  // arrives (saving a page and submitting are idempotent on the server).
  var DELAYS = [1, 2, 4, 8, 15, 30];

  function notice(form, text) {
    var box = document.getElementById("send-status");
    if (!box) {
      box = document.createElement("p");
      box.id = "send-status";
      box.className = "notice warning";
      box.setAttribute("role", "status");
      form.parentNode.insertBefore(box, form);
    }
    box.textContent = text;
    box.hidden = !text;
  }

  function release(form) {
    delete form.dataset.sending;
    form.querySelectorAll("[data-once]").forEach(function (b) { b.disabled = false; });
  }

  function sendWithRetry(form, submitter, attempt, id) {
    attempt = attempt || 0;
    var data = new FormData(form), posted = form.classList.contains("questionnaire") ? pageAnswers(form) : null;
    if (submitter && submitter.name) { data.append(submitter.name, submitter.value); }
    data.append("client_id", id);  // a save whose reply was lost, sent again, is not written twice
    var action = (submitter && submitter.getAttribute("formaction")) || form.getAttribute("action") || window.location.href;
    fetch(action, {
      method: "POST", body: data, credentials: "same-origin", redirect: "follow",
      headers: { "X-Questionnaire-Script": "1" }
    }).then(function (response) {
      if (response.status >= 500 || response.status === 429) { var busy = new Error(String(response.status)); busy.busy = true; throw busy; }
      // Saved: go to the next page as the no-script form does (Post/Redirect/Get), one
      // history entry per page, so that Back and Forward move between pages.
      var next = response.headers.get("X-Location");
      if (response.status === 204 && next) {
        return confirmSaved(form, posted).then(function () { window.location.assign(next); });
      }
      if (response.redirected) { window.location.assign(response.url); return; }
      return response.text().then(function (html) {
        document.open(); document.write(html); document.close();
      });
    }).catch(function (error) {
      if (!error.busy && keptHere(form)) { saveOffline(form, submitter, id); return; }  // no network: keep it here
      if (attempt >= DELAYS.length) {
        notice(form, document.body.dataset.failedText || "Could not send. Check the connection and try again.");
        release(form);
        return;
      }
      notice(form, (document.body.dataset.retryText || "Connection problem: sending again in {s} s. Your answers are still here.").replace("{s}", DELAYS[attempt]));
      setTimeout(function () { sendWithRetry(form, submitter, attempt + 1, id); }, DELAYS[attempt] * 1000);
    });
  }

  // ---- The questionnaire on the phone (offline-store.js keeps it; see surveys/offline.py) ----
  // Every change is kept in IndexedDB at once; a page saved without a network is queued and the next page
  // is shown from this code's cached templates, filled from IndexedDB; the queue is sent when the network
  // returns (page open, "online", Background Sync), each write with its client id.
  var KEY = document.body.dataset.offlineKey, local = null;

  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    return Date.now().toString(16) + Math.random().toString(16).slice(2);
  }
  function noop() {}
  function lang() { return local.state.lang || document.documentElement.lang; }
  function say(name) { return local.state.bundle.messages[lang()][name]; }
  function fill(text, values) { return text.replace(/%\((\w+)\)s/g, function (m, name) { return values[name]; }); }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function keptHere(form) {
    return !!local && (form.classList.contains("questionnaire") || form.classList.contains("submit-form") || form.classList.contains("lang"));
  }

  function readValue(form, name) {
    var value = valueOf(form, name);
    return value === "" ? null : parseInt(value, 10);
  }
  function writeValue(form, name, value) {
    var text = value === null || value === undefined ? "" : String(value);
    form.querySelectorAll('[name="' + name + '"]').forEach(function (input) {
      if (input.type === "radio") { input.checked = input.value === text; } else if (input.tagName === "SELECT") { input.value = text; }
    });
  }

  function ageOf(answers) {
    var year = answers.birth_year, month = answers.birth_month, now = new Date();
    if (year === null || year === undefined || month === null || month === undefined) { return null; }
    return now.getFullYear() - year - (now.getMonth() + 1 < month ? 1 : 0);
  }
  // The dictionary's asked_when, as the server's Variable.is_asked: [subject, op, value, offset].
  function isAsked(code, answers, age) {
    var when = local.state.bundle.items[code].when;
    if (!when) { return true; }
    var subject = when[0] === "age" ? age : answers[when[0]];
    if (subject === null || subject === undefined) { return when[0] === "age"; }
    return when[1] === "==" ? subject + when[3] === when[2] : subject + when[3] >= when[2];
  }
  function sectionOf(code) {
    return local.state.bundle.sections.filter(function (s) { return s.code === code; })[0];
  }

  // The answers of the page as the server form reads them: not asked = null; years not shown are left out.
  function pageAnswers(form) {
    if (!local) { return null; }
    var section = sectionOf(form.dataset.section), answers = {}, merged = {}, age;
    section.items.forEach(function (code) {
      var input = form.querySelector('[name="' + code + '"]');  // a year of life not asked at this age is left out
      if (input && !input.closest("fieldset.year[hidden]")) { answers[code] = readValue(form, code); }
    });
    Object.assign(merged, local.state.answers, answers);
    age = ageOf(merged);
    Object.keys(answers).forEach(function (code) { if (!isAsked(code, merged, age)) { answers[code] = null; } });
    return answers;
  }

  function status() {
    var box = document.getElementById("sync-status"), s = local.state;
    if (!box) { return; }
    var waiting = s.outbox.length || Object.keys(s.dirty).length;
    box.textContent = say(waiting ? "local" : "sent");
    box.dataset.state = waiting ? "local" : "sent";
    box.hidden = false;
  }

  function keepLocally(form) {
    if (!local) { return; }
    var answers = pageAnswers(form);
    QStore.update(KEY, function (s) {
      Object.keys(answers).forEach(function (code) {
        if (s.answers[code] !== answers[code]) { s.answers[code] = answers[code]; s.dirty[code] = true; }
      });
      s.seen = Date.now();
      return s;
    }).then(function (s) { if (s) { local.state = s; status(); } }).catch(noop);
  }

  function confirmSaved(form, posted) {
    if (!local || !posted) { return Promise.resolve(); }
    return QStore.update(KEY, function (s) {
      Object.keys(posted).forEach(function (code) { s.base[code] = s.answers[code] = posted[code]; delete s.dirty[code]; });
      delete s.conflicts[form.dataset.section];
      return s;
    }).catch(noop);
  }

  function showErrors(form, errors) {
    form.querySelectorAll(".error[data-local]").forEach(function (p) { p.remove(); });
    form.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
    Object.keys(errors).forEach(function (code) {
      var input = form.querySelector('[name="' + code + '"]'), box = input && input.closest(".field, fieldset");
      var p = document.createElement("p");
      p.className = "error"; p.setAttribute("role", "alert"); p.dataset.local = "1"; p.textContent = errors[code];
      box.classList.add("has-error");
      box.appendChild(p);
    });
    notice(form, Object.keys(errors).length ? say("check") : "");
  }

  // The server form's rules: required items (birth date, items a follow-up depends on) when asked.
  function checkPage(form) {
    var answers = pageAnswers(form), merged = Object.assign({}, local.state.answers, answers), errors = {};
    Object.keys(answers).forEach(function (code) {
      var item = local.state.bundle.items[code];
      if (item.required && answers[code] === null && isAsked(code, merged, ageOf(merged))) {
        errors[code] = fill(say("required"), { question: item.text[lang()] });
      }
    });
    showErrors(form, errors);
    return !Object.keys(errors).length;
  }

  function localUrl(section, move, language) {
    var codes = local.state.bundle.sections.map(function (s) { return s.code; }), at = codes.indexOf(section), target = section;
    if (move === "back" && at > 0) { target = codes[at - 1]; }
    if (move === "next") { target = at + 1 < codes.length ? codes[at + 1] : "review"; }
    return local.state.bundle.urls[target] + "?offline=" + language;
  }

  function saveOffline(form, submitter, id) {
    var name = submitter && submitter.name, switchTo = name === "lang" ? submitter.value : null;
    if (form.classList.contains("lang")) {
      return QStore.update(KEY, function (s) { s.lang = switchTo; return s; }).then(function () {
        window.location.assign(window.location.pathname + "?offline=" + switchTo);
      });
    }
    if (form.classList.contains("submit-form")) {
      return QStore.update(KEY, function (s) {
        s.outbox = s.outbox.filter(function (item) { return item.kind !== "submit"; });
        s.outbox.push({ id: id, kind: "submit", active_seconds: active });
        return s;
      }).then(function (s) { local.state = s; queuedSubmission(); requestSync(); flushNow(); });
    }
    var move = switchTo ? "stay" : name === "back" ? "back" : "next", section = form.dataset.section;
    if (!switchTo && !checkPage(form)) { release(form); return; }
    var answers = pageAnswers(form);
    return QStore.update(KEY, function (s) {
      var shown = {};
      Object.keys(answers).forEach(function (code) {
        shown[code] = code in s.base ? s.base[code] : null;
        s.base[code] = s.answers[code] = answers[code];  // the server's values once this write arrives
        delete s.dirty[code];
      });
      s.outbox.push({ id: id, kind: "page", section: section, answers: answers, shown: shown, revision: s.revision,
        lang: switchTo || s.lang, move: move, "switch": !!switchTo, active_seconds: active });
      delete s.conflicts[section];
      if (switchTo) { s.lang = switchTo; }
      s.seen = Date.now();
      return s;
    }).then(function (s) {
      requestSync();
      window.location.assign(localUrl(section, move, s.lang));
    });
  }

  function requestSync() {
    navigator.serviceWorker.ready.then(function (reg) { return reg.sync && reg.sync.register(QStore.SYNC_TAG); }).catch(noop);
  }

  function queuedSubmission() {
    var form = document.querySelector("form.submit-form");
    if (!form) { return; }
    var p = document.createElement("p");
    p.className = "notice warning queued"; p.setAttribute("role", "status"); p.textContent = say("queued");
    form.replaceWith(p);
    status();
  }

  // Send the queue now; while the phone is online but a reply is lost or the server is away, again later.
  var retryIn = 1;
  function flushNow() {
    if (!local || !navigator.onLine) { return Promise.resolve(); }
    var doneUrl = local.state.bundle.done + "?lang=" + local.state.lang;
    return QStore.flush(KEY).then(function (done) {
      return QStore.load(KEY).then(function (s) {
        retryIn = 1;
        if (s && !done.submitted && !done.ended) { local.state = s; status(); showConflicts(); return; }
        local = null;  // submitted (here or by the service worker): the phone no longer holds this code
        document.getElementById("sync-status").hidden = true;
        window.location.assign(done.ended ? "/" : doneUrl);
      });
    }).catch(function () {
      if (navigator.onLine) { setTimeout(flushNow, retryIn * 1000); retryIn = Math.min(retryIn * 2, 30); }
    });
  }

  function conflictNote(code, pair) {
    var item = local.state.bundle.items[code], p = document.createElement("p");
    var label = function (value) {
      if (value === null || value === undefined) { return say("no_answer"); }
      var options = item.options, text = !Array.isArray(options) && options[String(value)];
      return text ? text[lang()] : String(value);
    };
    p.className = "conflict-note"; p.setAttribute("role", "note");
    say("conflict_note").split(/(<strong>%\(\w+\)s<\/strong>)/).forEach(function (part) {
      var match = /%\((\w+)\)s/.exec(part);
      if (!match) { p.appendChild(document.createTextNode(part)); return; }
      var strong = document.createElement("strong");
      strong.textContent = label(match[1] === "mine" ? pair[0] : pair[1]);
      p.appendChild(strong);
    });
    return p;
  }

  // Conflicts the queue met (another device changed an answer meanwhile): on their page, both answers;
  // elsewhere, links to those pages.
  function showConflicts() {
    var form = document.querySelector("form.questionnaire"), here = form && form.dataset.section, s = local.state;
    var mine = here && s.conflicts[here];
    if (mine && !form.querySelector(".conflict-note")) {
      Object.keys(mine).forEach(function (code) {
        var input = form.querySelector('[name="' + code + '"]'), box = input && input.closest(".field, fieldset");
        if (!box) { return; }
        writeValue(form, code, mine[code][0]);
        box.insertBefore(conflictNote(code, mine[code]), box.querySelector(".options, select") || null);
      });
      var top = document.createElement("p");
      top.className = "notice conflict"; top.setAttribute("role", "alert"); top.textContent = say("conflict_page");
      form.insertBefore(top, form.firstChild);
      applyConditions(form);
    }
    var others = Object.keys(s.conflicts).filter(function (code) { return code !== here; });
    var box = document.getElementById("conflicts-elsewhere");
    if (box) { box.remove(); }
    if (!others.length) { return; }
    box = document.createElement("p");
    box.id = "conflicts-elsewhere"; box.className = "notice conflict"; box.setAttribute("role", "alert");
    box.textContent = say("conflict_elsewhere") + " ";
    others.forEach(function (code) {
      var a = document.createElement("a");
      a.href = s.bundle.urls[code]; a.textContent = sectionOf(code).title[lang()];
      box.appendChild(a); box.appendChild(document.createTextNode(" "));
    });
    document.querySelector("main").insertBefore(box, document.querySelector("main").firstChild);
  }

  function fillTemplate(form) {
    var s = local.state, section = sectionOf(form.dataset.section), shown = {}, age = ageOf(s.answers);
    if (form.classList.contains("residence")) {
      if (age === null) { window.location.replace(localUrl(s.bundle.items.birth_year.section, "stay", lang())); return; }
      form.querySelectorAll("fieldset.year").forEach(function (fieldset) {
        var asked = isAsked("res_child_" + pad(parseInt(fieldset.dataset.year, 10)), {}, age);
        fieldset.hidden = !asked;
        fieldset.querySelectorAll("select, input").forEach(function (input) { input.disabled = !asked; });
      });
    }
    section.items.forEach(function (code) {
      writeValue(form, code, s.answers[code]);
      shown[code] = code in s.base ? s.base[code] : null;
    });
    form.querySelector("input[name=shown]").value = JSON.stringify(shown);
    form.querySelector("input[name=revision]").value = String(s.revision);
  }

  function fillReview() {
    var s = local.state, age = ageOf(s.answers);
    document.querySelectorAll(".summary > li[data-section]").forEach(function (li) {
      var asked = sectionOf(li.dataset.section).items.filter(function (code) { return isAsked(code, s.answers, age); });
      var missing = asked.filter(function (code) { return s.answers[code] === null || s.answers[code] === undefined; });
      li.querySelector(".count").textContent = fill(say("count"), { answered: asked.length - missing.length, asked: asked.length });
      var list = li.querySelector("ul.missing");
      if (list) { list.remove(); }
      if (!missing.length) { return; }
      list = document.createElement("ul");
      list.className = "missing";
      missing.slice(0, 5).forEach(function (code) {
        var item = document.createElement("li");
        item.textContent = s.bundle.items[code].text[lang()];
        list.appendChild(item);
      });
      li.appendChild(list);
    });
  }

  // A page from the server says what it holds: the phone's copy follows (answers changed here and not yet
  // sent stay, and are shown).
  function fromServer(form) {
    var s = local.state, shown = JSON.parse(form.querySelector("input[name=shown]").value || "{}");
    if (!s.outbox.length) {
      Object.keys(shown).forEach(function (code) {
        s.base[code] = shown[code];
        if (!s.dirty[code]) { s.answers[code] = shown[code]; }
      });
      s.revision = parseInt(form.querySelector("input[name=revision]").value, 10) || s.revision;
    }
    Object.keys(shown).forEach(function (code) { if (s.dirty[code]) { writeValue(form, code, s.answers[code]); } });
  }

  function showPage() {
    var s = local.state, form = document.querySelector("form.questionnaire"), submit = document.querySelector("form.submit-form");
    var template = document.querySelector("[data-template]");
    if (template && Date.now() - s.seen > s.bundle.idle_limit_s * 1000) {  // a shared phone left alone: no answers shown
      document.querySelector("main").textContent = say("idle");
      return false;
    }
    if (form && form.dataset.template) { fillTemplate(form); } else if (form) { fromServer(form); }
    if (form) { applyConditions(form); }
    if (submit && (template || s.outbox.length)) { fillReview(); }
    if (submit && s.outbox.some(function (item) { return item.kind === "submit"; })) { queuedSubmission(); }
    s.seen = Date.now();
    s.lang = document.documentElement.lang;
    return true;
  }

  function newState(bundle) {
    return {
      bundle: bundle, answers: Object.assign({}, bundle.answers), base: Object.assign({}, bundle.answers),
      revision: bundle.revision, dirty: {}, outbox: [], conflicts: {}, lang: document.documentElement.lang,
      seen: Date.now(), device: uuid().replace(/-/g, "").slice(0, 16), cached: false
    };
  }

  function bundleFetched() {
    return fetch(document.body.dataset.bundle, { credentials: "same-origin" }).then(function (reply) {
      if (!reply.ok || reply.redirected) { return null; }
      return reply.json().then(function (bundle) {
        return QStore.update(KEY, function (s) { return s || newState(bundle); }, true);
      });
    });
  }

  // Another code on this phone: what it still has to send is sent, then nothing of it stays.
  function othersRemoved() {
    return QStore.keys().then(function (keys) {
      return Promise.all(keys.filter(function (key) { return key !== KEY; }).map(function (key) {
        return QStore.flush(key).then(function () { return QStore.purge(key); }).catch(noop);
      }));
    });
  }

  // The page is filled from the phone's copy: data-kept on the body says so (also when there is none).
  function kept() { document.body.dataset.kept = "1"; }

  function offlineStart() {
    if (!KEY || !window.indexedDB || !window.caches || !navigator.serviceWorker || !window.QStore) { kept(); return; }
    if (document.body.dataset.purge) { QStore.purge(KEY).then(othersRemoved).catch(noop).then(kept); return; }
    navigator.serviceWorker.register("/sw.js").catch(noop);
    QStore.load(KEY).then(function (state) {
      return state || (navigator.onLine ? bundleFetched() : null);
    }).then(function (state) {
      if (!state) { return; }
      local = { state: state };
      if (!showPage()) { return; }
      showConflicts();
      status();
      return QStore.update(KEY, function (s) {
        ["base", "answers", "revision", "seen", "lang"].forEach(function (name) { s[name] = local.state[name]; });
        return s;
      }).then(function (s) {
        local.state = s;
        if (!navigator.onLine) { return; }
        flushNow().then(othersRemoved);
        if (!s.cached) {
          QStore.cachePages(KEY, s.bundle.pages).then(function () {
            return QStore.update(KEY, function (t) { t.cached = true; return t; });
          }).catch(noop);
        }
      });
    }).catch(noop).then(kept);
    window.addEventListener("online", function () { flushNow(); });
  }
})();
