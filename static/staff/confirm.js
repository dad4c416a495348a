// Destructive actions ask first: a form with data-confirm="question" asks the question before it is sent.
// On "OK" the form is sent with confirmed=1; on "Cancel" nothing is sent. Without this script the
// server answers the form with a confirmation page instead (nothing is changed on one click).
// Listens on the document, so forms that the live roster puts in later are covered too.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || !form.hasAttribute || !form.hasAttribute("data-confirm")) return;
    if (!window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
      return;
    }
    var flag = form.querySelector("input[name=confirmed]");
    if (!flag) {
      flag = document.createElement("input");
      flag.type = "hidden";
      flag.name = "confirmed";
      form.appendChild(flag);
    }
    flag.value = "1";
  });
})();
