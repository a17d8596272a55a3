// Attendance register: a shortcut that marks everyone not yet recorded with one status.
// Without JavaScript the button stays hidden and every radio group works on its own.
(function () {
  "use strict";
  document.querySelectorAll("[data-register-fill]").forEach(function (button) {
    var form = button.closest("form");
    var value = button.getAttribute("data-register-fill");
    button.classList.remove("d-none");
    button.addEventListener("click", function () {
      form.querySelectorAll("fieldset.register-row").forEach(function (fieldset) {
        if (fieldset.querySelector("input[type=radio]:checked")) {
          return;
        }
        var radio = fieldset.querySelector("input[type=radio][value='" + value + "']");
        if (radio) {
          radio.checked = true;
        }
      });
      var status = document.getElementById("register-fill-status");
      if (status) {
        status.textContent = button.getAttribute("data-register-fill-done");
      }
    });
  });
})();
