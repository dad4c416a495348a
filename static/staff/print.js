// Print buttons: any element with data-print opens the browser's print dialog (print rules are in the CSS).
(function () {
  "use strict";
  function start() {
    var buttons = document.querySelectorAll("[data-print]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].hidden = false; // hidden until this script can make it work
      buttons[i].addEventListener("click", function () { window.print(); });
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
