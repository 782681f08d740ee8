// accord: a copy button beside each citation. The page works without it: the textareas can be
// selected and copied by hand; this only shows the buttons where the browser can copy.
(function () {
  "use strict";
  if (!navigator.clipboard || !window.isSecureContext) {
    return;
  }
  document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    var status = document.querySelector(".copy-status");
    if (!field) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        if (status) {
          status.textContent = button.textContent.replace("Copy ", "") + " copied.";
        }
      }, function () {
        field.select();
        if (status) {
          status.textContent = "Select the text and copy it with your keyboard.";
        }
      });
    });
  });
})();
