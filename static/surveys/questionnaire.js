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
      });
    });
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
          sendWithRetry(form, event.submitter);
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

  function sendWithRetry(form, submitter, attempt) {
    attempt = attempt || 0;
    var data = new FormData(form);
    if (submitter && submitter.name) { data.append(submitter.name, submitter.value); }
    var action = (submitter && submitter.getAttribute("formaction")) || form.getAttribute("action") || window.location.href;
    fetch(action, {
      method: "POST", body: data, credentials: "same-origin", redirect: "follow",
      headers: { "X-Questionnaire-Script": "1" }
    }).then(function (response) {
      if (response.status >= 500 || response.status === 429) { throw new Error(String(response.status)); }
      // Saved: go to the next page as the no-script form does (Post/Redirect/Get), one
      // history entry per page, so that Back and Forward move between pages.
      var next = response.headers.get("X-Location");
      if (response.status === 204 && next) { window.location.assign(next); return; }
      if (response.redirected) { window.location.assign(response.url); return; }
      return response.text().then(function (html) {
        document.open(); document.write(html); document.close();
      });
    }).catch(function () {
      if (attempt >= DELAYS.length) {
        notice(form, document.body.dataset.failedText || "Could not send. Check the connection and try again.");
        delete form.dataset.sending;
        form.querySelectorAll("[data-once]").forEach(function (b) { b.disabled = false; });
        return;
      }
      notice(form, (document.body.dataset.retryText || "Connection problem: sending again in {s} s. Your answers are still here.").replace("{s}", DELAYS[attempt]));
      setTimeout(function () { sendWithRetry(form, submitter, attempt + 1); }, DELAYS[attempt] * 1000);
    });
  }
})();

