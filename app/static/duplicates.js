// On the enrolment form: once first name, last name and date of birth are filled in, ask the server whether the
// centre already has a patient with the same names and birth date, and say so under the date of birth.
// Progressive enhancement only: without JavaScript the patient's page shows the same warning after enrolment.
(function () {
  "use strict";

  const FULL_DATE = /^\d{1,2}\/\d{1,2}\/\d{4}$/;
  const FIELDS = ["first_name", "last_name", "date_of_birth"];

  function enhance(form) {
    // The lookup sits beside the enrolment's other actions: /patients/enrolments/<task>/discard → …/possible-duplicates.
    const discard = document.querySelector('form[action$="/discard"][action*="/patients/enrolments/"]');
    const birthDate = form.querySelector('[name="date_of_birth"]');
    const token = form.querySelector('input[name="csrf_token"]');
    if (!discard || !birthDate) { return; }
    const url = discard.getAttribute("action").replace(/\/discard$/, "/possible-duplicates");

    // The live region exists from the start, empty, so that screen readers announce what is put in it later.
    const region = document.createElement("div");
    region.id = "possible-duplicates";
    region.setAttribute("role", "status");
    region.setAttribute("aria-live", "polite");
    (birthDate.closest(".form-field") || birthDate).insertAdjacentElement("afterend", region);

    let timer = null;
    let sequence = 0;

    function values() {
      const found = {};
      FIELDS.forEach(function (name) {
        const input = form.querySelector('[name="' + name + '"]');
        found[name] = input ? input.value.trim() : "";
      });
      return found;
    }

    function check() {
      const mine = ++sequence;
      const typed = values();
      if (!typed.first_name || !typed.last_name || !FULL_DATE.test(typed.date_of_birth)) {
        region.replaceChildren();
        return;
      }
      const body = new FormData();
      if (token) { body.append("csrf_token", token.value); }
      FIELDS.forEach(function (name) { body.append(name, typed[name]); });
      fetch(url, { method: "POST", body: body, credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { html: "" }; })
        .then(function (answer) {
          if (mine !== sequence) { return; }
          // The warning is rendered by the server from its template (escaped there), never built from typed text.
          region.innerHTML = answer.html || "";
        })
        .catch(function () { if (mine === sequence) { region.replaceChildren(); } });
    }

    FIELDS.forEach(function (name) {
      const input = form.querySelector('[name="' + name + '"]');
      if (!input) { return; }
      input.addEventListener("change", function () {
        clearTimeout(timer);
        timer = setTimeout(check, 300);
      });
    });
    check();  // a draft opened again may already hold all three
  }

  document.querySelectorAll("form.task-form").forEach(enhance);
})();
