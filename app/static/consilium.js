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

  // Search-as-you-type for coded fields (forms/*.json: coded_term, phenotype). Without JavaScript
  // the field takes a typed code and links to the plain search page.
  function attachPicker(input, searchUrl, systems, onPick) {
    const list = document.createElement("ul");
    list.id = input.id + "-options";
    list.className = "term-options list-group shadow";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    input.insertAdjacentElement("afterend", list);
    let items = [];
    let active = -1;
    let timer = null;
    let sequence = 0;

    function close() {
      // Drop any pending or in-flight search: a pick (whose input event would search for the picked
      // term), Escape or blur must not have the list open again a moment later.
      clearTimeout(timer);
      sequence++;
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function render() {
      list.replaceChildren();
      items.forEach(function (term, index) {
        const option = document.createElement("li");
        option.id = list.id + "-" + index;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", index === active ? "true" : "false");
        option.className = "list-group-item list-group-item-action" + (index === active ? " active" : "");
        option.textContent = term.code + " — " + term.label + " (" + term.system + ")";
        option.addEventListener("mousedown", function (event) { event.preventDefault(); choose(index); });
        list.appendChild(option);
      });
      list.hidden = items.length === 0;
      input.setAttribute("aria-expanded", items.length ? "true" : "false");
      if (active >= 0) { input.setAttribute("aria-activedescendant", list.id + "-" + active); }
    }
    function choose(index) {
      onPick(items[index]);
      close();
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      const query = input.value.trim();
      if (query.length < 2) { close(); return; }
      timer = setTimeout(function () {
        const mine = ++sequence;
        const url = searchUrl + "?format=json&systems=" + encodeURIComponent(systems) + "&q=" + encodeURIComponent(query);
        fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
          .then(function (response) { return response.ok ? response.json() : []; })
          .then(function (terms) {
            if (mine !== sequence) { return; }
            items = terms;
            active = terms.length ? 0 : -1;
            render();
          })
          .catch(close);
      }, 150);
    });
    input.addEventListener("keydown", function (event) {
      if (list.hidden || !items.length) { return; }
      if (event.key === "ArrowDown") { active = (active + 1) % items.length; render(); event.preventDefault(); }
      else if (event.key === "ArrowUp") { active = (active - 1 + items.length) % items.length; render(); event.preventDefault(); }
      else if (event.key === "Enter" && active >= 0) { event.preventDefault(); choose(active); }
      else if (event.key === "Escape") { close(); }
    });
    input.addEventListener("blur", function () {
      setTimeout(function () { if (document.activeElement !== input) { close(); } }, 150);
    });
  }

  function enhanceCodedFields(form) {
    const searchUrl = form.dataset.terminologyUrl;
    if (!searchUrl) { return; }
    form.querySelectorAll("input[data-terminology]").forEach(function (input) {
      attachPicker(input, searchUrl, input.dataset.terminology, function (term) {
        input.value = term.code + " — " + term.label;
        input.dispatchEvent(new Event("input", { bubbles: true }));
      });
    });
    form.querySelectorAll("textarea[data-phenotype]").forEach(function (area) {
      const box = document.createElement("div");
      box.className = "row g-2 align-items-center mb-2";
      const finder = document.createElement("input");
      finder.id = area.id + "-finder";
      finder.className = "form-control";
      finder.autocomplete = "off";
      finder.placeholder = "Type to add an HPO term";
      finder.setAttribute("aria-label", "Add an HPO term");
      const excluded = document.createElement("input");
      excluded.type = "checkbox";
      excluded.className = "form-check-input";
      excluded.id = area.id + "-excluded";
      const excludedLabel = document.createElement("label");
      excludedLabel.className = "form-check-label";
      excludedLabel.htmlFor = excluded.id;
      excludedLabel.textContent = "Excluded (not observed)";
      const left = document.createElement("div");
      left.className = "col-sm-8 position-relative";
      left.appendChild(finder);
      const right = document.createElement("div");
      right.className = "col-sm-4 form-check ps-5";
      right.append(excluded, excludedLabel);
      box.append(left, right);
      area.insertAdjacentElement("beforebegin", box);
      attachPicker(finder, searchUrl, "HPO", function (term) {
        const line = (excluded.checked ? "not " : "") + term.code + " — " + term.label;
        const lines = area.value.split("\n").filter(function (l) { return l.trim() && l.indexOf(term.code) === -1; });
        lines.push(line);
        area.value = lines.join("\n");
        finder.value = "";
        area.dispatchEvent(new Event("input", { bubbles: true }));
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.task-form").forEach(enhanceCodedFields);
    document.querySelectorAll("form.task-form").forEach(function (form) {
      applyConditions(form);
      form.addEventListener("change", function () { applyConditions(form); });
    });

    // Warn before leaving a form with unsaved edits; autosave a changed form as a draft.
    document.querySelectorAll("form[data-warn-unsaved]").forEach(function (form) {
      let dirty = false;
      form.addEventListener("input", function () { dirty = true; });
      form.addEventListener("change", function () { dirty = true; });
      form.addEventListener("submit", function () { dirty = false; });
      window.addEventListener("beforeunload", function (event) {
        if (dirty) { event.preventDefault(); event.returnValue = ""; }
      });
      if (!("autosave" in form.dataset)) { return; }
      const status = document.getElementById("draft-status");
      const revision = form.querySelector('input[name="draft_revision"]');
      setInterval(function () {
        if (!dirty) { return; }
        dirty = false;
        fetch(form.dataset.autosaveUrl, {
          method: "POST", body: new FormData(form), credentials: "same-origin", headers: { Accept: "application/json" }
        })
          .then(function (response) { return response.json().then(function (body) { return { ok: response.ok, body: body }; }); })
          .then(function (result) {
            if (result.ok && revision) { revision.value = result.body.revision; }
            if (!result.ok) { dirty = true; }
            if (status) { status.textContent = result.body.message; }
          })
          .catch(function () { dirty = true; });
      }, Number(form.dataset.autosaveSeconds || 30) * 1000);
    });

    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });

    const errors = document.getElementById("form-errors");
    if (errors) { errors.focus(); }
  });
})();
