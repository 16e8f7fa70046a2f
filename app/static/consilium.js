// Progressive enhancement only: every form works without JavaScript.
(function () {
  "use strict";

  function fieldValue(form, name) {
    const checked = form.querySelector('input[name="' + name + '"]:checked');
    if (checked) { return checked.value; }
    const input = form.querySelector('[name="' + name + '"]:not([type="radio"]):not([type="checkbox"])');
    return input ? input.value.trim() : "";
  }

  // Conditional fields (visible_if in forms/*.json): hide those whose condition does not hold.
  function applyConditions(form) {
    form.querySelectorAll("[data-visible-if]").forEach(function (wrapper) {
      const values = wrapper.dataset.visibleValues.split("|");
      const visible = values.indexOf(fieldValue(form, wrapper.dataset.visibleIf)) !== -1;
      wrapper.hidden = !visible;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.task-form").forEach(function (form) {
      applyConditions(form);
      form.addEventListener("change", function () { applyConditions(form); });
    });

    // Warn before leaving a form with unsaved edits.
    document.querySelectorAll("form[data-warn-unsaved]").forEach(function (form) {
      let dirty = false;
      form.addEventListener("input", function () { dirty = true; });
      form.addEventListener("submit", function () { dirty = false; });
      window.addEventListener("beforeunload", function (event) {
        if (dirty) { event.preventDefault(); event.returnValue = ""; }
      });
    });

    const errors = document.getElementById("form-errors");
    if (errors) { errors.focus(); }
  });
})();
