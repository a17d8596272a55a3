// The survey answering page.

// Hide a conditional question until the answer it depends on is given. The server applies the
// same rule, so without JavaScript every question shows with a note saying when to answer it.
(function () {
  "use strict";
  var blocks = document.querySelectorAll("[data-condition-field]");
  if (!blocks.length) { return; }
  var form = blocks[0].closest("form");

  function answered(name, value) {
    var inputs = form.querySelectorAll('[name="' + name + '"]');
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if ((input.type === "radio" || input.type === "checkbox") ? input.checked && input.value === value
          : input.value === value) {
        return true;
      }
    }
    return false;
  }

  function visible(block) {
    var name = block.getAttribute("data-condition-field");
    var parent = form.querySelector('[name="' + name + '"]');
    var parentBlock = parent && parent.closest(".survey-question");
    if (parentBlock && parentBlock.hidden) { return false; }
    return answered(name, block.getAttribute("data-condition-value"));
  }

  function update() {
    blocks.forEach(function (block) { block.hidden = !visible(block); });
  }

  form.addEventListener("change", update);
  update();
})();

// After a failed submit, move focus to the error summary so screen readers announce it.
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
})();

// Opened from the e-mailed link, the address holds the participant's token: replace it (and this
// tab's history entry) with the answering page's own address, which holds none. The token is kept
// in a cookie; a reload or a later visit to that address shows the same answers.
(function () {
  "use strict";
  var marked = document.querySelector("[data-answer-address]");
  var address = marked && marked.getAttribute("data-answer-address");
  if (address && window.location.pathname !== address && window.history && window.history.replaceState) {
    window.history.replaceState(null, "", address);
  }
})();
