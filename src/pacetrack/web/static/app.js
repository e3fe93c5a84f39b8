// PaceTrack UI: small progressive enhancements; every page works without this file.
"use strict";

// A number input whose text the browser cannot read submits as empty, which would
// clear the stored value; stop the submit and say so next to the field instead.
function guardNumberInputs(form) {
  form.addEventListener("submit", function (event) {
    let first = null;
    form.querySelectorAll('input[type="number"]').forEach(function (input) {
      const id = input.id + "-client-error";
      const old = document.getElementById(id);
      if (old) { old.remove(); }
      if (input.validity.badInput) {
        const message = document.createElement("p");
        message.id = id;
        message.className = "field-error";
        message.textContent = "Enter a number.";
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", id);
        input.insertAdjacentElement("afterend", message);
        first = first || input;
      }
    });
    if (first) {
      event.preventDefault();
      first.focus();
    }
  });
}

// JSON editors: report a syntax error as soon as the author leaves the box.
function checkJsonEditor(textarea) {
  textarea.addEventListener("blur", function () {
    const id = textarea.id + "-syntax";
    const old = document.getElementById(id);
    if (old) { old.remove(); }
    try {
      JSON.parse(textarea.value || "null");
      textarea.removeAttribute("aria-invalid");
    } catch (error) {
      const message = document.createElement("p");
      message.id = id;
      message.className = "field-error";
      message.setAttribute("role", "status");
      message.textContent = "Not valid JSON yet: " + error.message;
      textarea.setAttribute("aria-invalid", "true");
      textarea.insertAdjacentElement("afterend", message);
    }
  });
}

// After a refused submit, take keyboard focus to the first problem.
function focusFirstProblem() {
  const invalid = document.querySelector('[aria-invalid="true"]');
  const alert = document.querySelector(".alert");
  if (invalid) {
    invalid.focus();
  } else if (alert) {
    alert.setAttribute("tabindex", "-1");
    alert.focus();
  }
}

document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form[data-guard-numbers]").forEach(guardNumberInputs);
  document.querySelectorAll("textarea[data-json]").forEach(checkJsonEditor);
  focusFirstProblem();
});
