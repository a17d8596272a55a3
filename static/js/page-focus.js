// After a form comes back with errors, move focus to its error summary (id="error-summary"), on
// every page: screen readers announce it, and it is where a sighted user looks first. Its links
// lead to the fields. Loaded at the end of base.html, so it runs before the browser's autofocus.
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
})();
