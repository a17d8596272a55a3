// Attendance register: a shortcut that marks everyone not yet recorded with one status.
// "Not yet recorded": nothing chosen, or the "Not recorded" choice.
// Without JavaScript the button stays hidden and every radio group works on its own.
(function () {
  "use strict";
  document.querySelectorAll("[data-register-fill]").forEach(function (button) {
    var form = button.closest("form");
    var value = button.getAttribute("data-register-fill");
    button.classList.remove("d-none");
    button.addEventListener("click", function () {
      form.querySelectorAll("fieldset.register-row").forEach(function (fieldset) {
        var checked = fieldset.querySelector("input[type=radio]:checked");
        if (checked && checked.value !== "not_recorded") {
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
