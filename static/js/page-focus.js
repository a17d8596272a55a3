// Where focus starts on a page that answers what the user just did: the error summary of a form
// that came back with errors (id="error-summary"), else the confirmation of what was done (an
// element marked data-focus-on-load, e.g. the messages). Screen readers announce it, it is where a
// sighted user looks, and the next Tab goes on from there. Loaded at the end of base.html, so it
// runs before the browser's autofocus, which then leaves focus alone.
(function () {
  "use strict";
  var target = document.getElementById("error-summary") || document.querySelector("[data-focus-on-load]");
  if (!target) { return; }
  target.focus();
  // A #fragment in the address (a redirect to "#chart", or a form posted from "#id_q_x") takes
  // focus away once the page has loaded: the message still comes first.
  window.addEventListener("load", function () {
    var active = document.activeElement;
    if (!active || active === document.body || (location.hash && location.hash === "#" + active.id)) {
      target.focus();
    }
  });
})();
