// The survey mail page follows the mail by itself: while invitations are waiting to be sent
// (data-refresh-pending > 0) it fetches the page again now and then and swaps in the new
// #delivery-state, and stops once nothing is waiting. Without JavaScript the "Refresh now" link
// does the same by hand. A swap waits while focus is inside the region, so that a keyboard
// user's place is never pulled from under them.
(function () {
  "use strict";
  var region = document.getElementById("delivery-state");
  if (!region || !window.fetch || !window.DOMParser) { return; }
  var url = region.getAttribute("data-refresh-url");
  var delay = 1500;
  var MAX_DELAY = 10000;
  var deadline = Date.now() + 15 * 60 * 1000; // a worker that never comes: stop after 15 minutes

  function pending(element) {
    return parseInt(element.getAttribute("data-refresh-pending") || "0", 10) > 0;
  }

  function schedule() {
    if (!pending(region) || Date.now() > deadline) { return; }
    window.setTimeout(poll, delay);
    delay = Math.min(Math.round(delay * 1.5), MAX_DELAY);
  }

  function poll() {
    if (region.contains(document.activeElement)) { schedule(); return; }
    window.fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("delivery-state");
        if (fresh && !region.contains(document.activeElement)) {
          region.replaceWith(fresh);
          region = fresh;
          // The status line stays in place (a live region), so that its new text is announced.
          var status = document.getElementById("delivery-progress");
          var freshStatus = doc.getElementById("delivery-progress");
          if (status && freshStatus && status.textContent !== freshStatus.textContent) {
            status.textContent = freshStatus.textContent;
          }
          var link = document.getElementById("delivery-refresh-link");
          if (link && !pending(region)) { link.remove(); }
        }
        schedule();
      })
      .catch(schedule);
  }

  schedule();
})();
