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

// JSON editors: say while typing whether the text is valid JSON yet. The message
// is updated on input (not on blur), so the layout never shifts under a click.
function checkJsonEditor(textarea) {
  const message = document.createElement("p");
  message.id = textarea.id + "-syntax";
  message.className = "hint json-state";
  message.setAttribute("aria-live", "polite");
  textarea.insertAdjacentElement("afterend", message);
  textarea.addEventListener("input", function () {
    try {
      JSON.parse(textarea.value || "null");
      message.textContent = "";
      message.classList.remove("field-error");
    } catch (error) {
      message.textContent = "Not valid JSON yet: " + error.message;
      message.classList.add("field-error");
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
