// Live roster: re-fetch the summary and rows every few seconds without reloading the page.
// Without JavaScript the page still works (reload to refresh).
(function () {
  "use strict";
  function start() {
    var box = document.getElementById("roster-live");
    if (!box || !window.fetch) return;
    var url = box.getAttribute("data-poll");
    var seconds = Math.max(1, parseInt(box.getAttribute("data-interval"), 10) || 15);
    var busy = false;
    function refresh() {
      if (busy || document.hidden) return;
      if (box.querySelector("details[open]")) return; // do not close a menu the teacher is using
      busy = true;
      fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) { if (html !== null) box.innerHTML = html; })
        .catch(function () {})
        .then(function () { busy = false; });
    }
    window.setInterval(refresh, seconds * 1000);
    document.addEventListener("visibilitychange", refresh);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
