// Progressive enhancement only: every form works without JavaScript.
(function () {
  "use strict";

  function fieldValue(form, name) {
    const checked = form.querySelector('input[name="' + name + '"]:checked');
    if (checked) { return checked.value; }
    const input = form.querySelector('[name="' + name + '"]:not([type="radio"]):not([type="checkbox"])');
    return input ? input.value.trim() : "";
  }

  // Conditional fields (visible_if in forms/*.json): hide those whose condition does not hold. A field mandatory
  // while shown (data-required-while-shown) gets its mandatory mark, and aria-required, the moment it is shown.
  function applyConditions(form) {
    form.querySelectorAll("[data-visible-if]").forEach(function (wrapper) {
      const values = wrapper.dataset.visibleValues.split("|");
      const visible = values.indexOf(fieldValue(form, wrapper.dataset.visibleIf)) !== -1;
      wrapper.hidden = !visible;
      if (!("requiredWhileShown" in wrapper.dataset)) { return; }
      wrapper.querySelectorAll("[data-required-mark]").forEach(function (mark) { mark.hidden = !visible; });
      wrapper.querySelectorAll("input:not([type=radio]):not([type=checkbox]), textarea, select").forEach(function (control) {
        control.required = visible;
        if (visible) { control.setAttribute("aria-required", "true"); } else { control.removeAttribute("aria-required"); }
      });
    });
  }

  // Search-as-you-type for coded fields (forms/*.json: coded_term, phenotype). Without JavaScript
  // the field takes a typed code and links to the plain search page. Only what the user chooses is taken:
  // a click on an option, or Enter on the option highlighted with the arrow keys; Enter with nothing
  // highlighted closes the list and keeps what was typed.
  function attachPicker(input, searchUrl, systems, texts, onPick) {
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
    let pending = false;

    function close() {
      // Drop any pending or in-flight search: a pick (whose input event would search for the picked
      // term), Escape or blur must not have the list open again a moment later.
      clearTimeout(timer);
      sequence++;
      pending = false;
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
        if (term.synonym) {
          const synonym = document.createElement("span");
          synonym.className = "d-block small";
          synonym.textContent = texts.synonym.replace("{}", term.synonym);
          option.appendChild(synonym);
        }
        option.addEventListener("mousedown", function (event) { event.preventDefault(); choose(index); });
        list.appendChild(option);
      });
      list.hidden = items.length === 0;
      input.setAttribute("aria-expanded", items.length ? "true" : "false");
      if (active >= 0) {
        input.setAttribute("aria-activedescendant", list.id + "-" + active);
        list.children[active].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }
    function choose(index) {
      onPick(items[index]);
      close();
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      const query = input.value.trim();
      if (query.length < 2) { close(); return; }
      pending = true;
      timer = setTimeout(function () {
        const mine = ++sequence;
        const url = searchUrl + "?format=json&systems=" + encodeURIComponent(systems) + "&q=" + encodeURIComponent(query);
        fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
          .then(function (response) { return response.ok ? response.json() : []; })
          .then(function (terms) {
            if (mine !== sequence) { return; }
            pending = false;
            items = terms;
            active = -1;  // nothing is highlighted until the user moves to an option
            render();
          })
          .catch(close);
      }, 150);
    });
    input.addEventListener("keydown", function (event) {
      const open = !list.hidden && items.length > 0;
      if (event.key === "Enter") {
        // Enter takes the highlighted option only. With the list open (or about to open) and nothing
        // highlighted, it neither takes a term nor sends the form: it closes the list.
        if (open && active >= 0) { event.preventDefault(); choose(active); }
        else if (open || pending || !input.name) { event.preventDefault(); close(); }
        return;
      }
      if (!open) { return; }
      if (event.key === "ArrowDown") { active = (active + 1) % items.length; render(); event.preventDefault(); }
      else if (event.key === "ArrowUp") { active = active <= 0 ? items.length - 1 : active - 1; render(); event.preventDefault(); }
      else if (event.key === "Escape") { event.preventDefault(); close(); }
    });
    input.addEventListener("blur", function () {
      setTimeout(function () { if (document.activeElement !== input) { close(); } }, 150);
    });
  }

  function enhanceCodedFields(form) {
    const searchUrl = form.dataset.terminologyUrl;
    if (!searchUrl) { return; }
    const texts = {
      synonym: form.dataset.textSynonym || "{}",
      finder: form.dataset.textFinder || "",
      placeholder: form.dataset.textFinderPlaceholder || "",
      excluded: form.dataset.textExcluded || ""
    };
    form.querySelectorAll("input[data-terminology]").forEach(function (input) {
      attachPicker(input, searchUrl, input.dataset.terminology, texts, function (term) {
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
      finder.placeholder = texts.placeholder;
      finder.setAttribute("aria-label", texts.finder);
      const excluded = document.createElement("input");
      excluded.type = "checkbox";
      excluded.className = "form-check-input";
      excluded.id = area.id + "-excluded";
      const excludedLabel = document.createElement("label");
      excludedLabel.className = "form-check-label";
      excludedLabel.htmlFor = excluded.id;
      excludedLabel.textContent = texts.excluded;
      const left = document.createElement("div");
      left.className = "col-sm-8 position-relative";
      left.appendChild(finder);
      const right = document.createElement("div");
      right.className = "col-sm-4 form-check ps-5";
      right.append(excluded, excludedLabel);
      box.append(left, right);
      area.insertAdjacentElement("beforebegin", box);
      attachPicker(finder, searchUrl, "HPO", texts, function (term) {
        const line = (excluded.checked ? "not " : "") + term.code + " — " + term.label;
        const lines = area.value.split("\n").filter(function (l) { return l.trim() && l.indexOf(term.code) === -1; });
        lines.push(line);
        area.value = lines.join("\n");
        finder.value = "";
        excluded.checked = false;  // each pick says again whether the feature is excluded
        area.dispatchEvent(new Event("input", { bubbles: true }));
      });
    });
  }

  // The section checklist beside a long form (app/tasks/checklist.py): the same rule as the server, on the form as
  // typed. A section is complete when something in it is filled, its mandatory answers are there and every answer
  // in it is valid; the checks are those of app/tasks/answers.py, with the rules the page carries (data-rules).
  const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
  const FULL_DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;
  const MONTH_YEAR = /^(\d{1,2})\/(\d{4})$/;
  const YEAR = /^(\d{4})$/;
  const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;
  const CODE_FORMS = { "HPO": /^hp:\d{7}$/, "ORPHA": /^(orpha:?)?\d+$/, "ICD-10": /^[a-z]\d{2,3}$/ };
  const EXCLUDED = ["not ", "excluded ", "excluded:", "-", "!"];

  function iso(year, month, day) {
    return String(year).padStart(4, "0") + "-" + String(month).padStart(2, "0") + "-" + String(day).padStart(2, "0");
  }
  function realDate(year, month, day) {
    const date = new Date(Date.UTC(year, month - 1, day));
    return year >= 1800 && date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  }
  function earliestDay(text) {  // a date as typed → the ISO date of its first day, or "" when it is no date
    let match = FULL_DATE.exec(text);
    if (match) { return realDate(+match[3], +match[2], +match[1]) ? iso(+match[3], +match[2], +match[1]) : ""; }
    match = MONTH_YEAR.exec(text);
    if (match) { return +match[2] >= 1800 && +match[1] >= 1 && +match[1] <= 12 ? iso(+match[2], +match[1], 1) : ""; }
    match = YEAR.exec(text);
    return match && +match[1] >= 1800 ? iso(+match[1], 1, 1) : "";
  }
  function codeFits(text, systems) {
    const key = text.split("—")[0].trim().toLowerCase().replace(/[ .]/g, "");
    return systems.some(function (system) { return CODE_FORMS[system] && CODE_FORMS[system].test(key); });
  }
  function isEmpty(raw) {
    if (raw === null || raw === undefined) { return true; }
    if (Array.isArray(raw)) { return raw.every(isEmpty); }
    if (typeof raw === "object") { return Object.keys(raw).every(function (key) { return isEmpty(raw[key]); }); }
    return String(raw).trim() === "";
  }
  function isVisible(rule, answers) {
    if (!rule.visibleIf) { return true; }
    const value = answers[rule.visibleIf.field];
    return rule.visibleIf.values.indexOf(String(Array.isArray(value) ? (value[0] || "") : (value || "")).trim()) !== -1;
  }
  function fieldOk(rule, raw, answers, today, name, refused) {
    if (!isVisible(rule, answers)) { return true; }
    if (isEmpty(raw)) { return !rule.required; }
    return valueOk(rule, raw, today, name, refused);
  }
  function valueOk(rule, raw, today, name, refused) {
    if (rule.type === "group") {
      const entries = raw.filter(function (entry) { return !isEmpty(entry.values); });
      return entries.length <= rule.maxEntries && entries.every(function (entry) {
        return rule.entryFields.every(function (sub) {
          return fieldOk(sub, entry.values[sub.name], entry.values, today, name + "-" + entry.number + "-" + sub.name, refused);
        });
      });
    }
    if (rule.type === "multiple_choice") {
      return raw.filter(function (value) { return value.trim(); }).every(function (value) { return rule.choices.indexOf(value) !== -1; });
    }
    const text = String(raw).trim();
    if (CONTROL.test(text)) { return false; }
    const unified = function (value) { return String(value).replace(/\r\n?/g, "\n"); };  // a textarea's value has \n only
    if (refused[name] !== undefined && unified(refused[name]) === unified(raw)) { return false; }
    if (rule.type === "phenotype") {
      const lines = text.split(/\r?\n|\r/).map(function (line) { return line.trim(); }).filter(Boolean);
      return lines.length <= 300 && lines.every(function (line) {
        const prefix = EXCLUDED.find(function (p) { return line.toLowerCase().startsWith(p); }) || "";
        return codeFits(line.slice(prefix.length), ["HPO"]);
      });
    }
    if (Array.from(text).length > rule.maxLength) { return false; }
    let day = "";
    if (rule.type === "date") {
      day = FULL_DATE.test(text) ? earliestDay(text) : "";
      if (!day) { return false; }
    } else if (rule.type === "partial_date") {
      day = earliestDay(text);
      if (!day) { return false; }
    } else if (rule.type === "yes_no" || rule.type === "single_choice") {
      if (rule.choices.indexOf(text) === -1) { return false; }
    } else if (rule.type === "coded_term") {
      if (!codeFits(text, rule.terminologies)) { return false; }
    } else if (rule.type === "number") {
      const number = Number(text.replace(/,/g, "."));
      if (!NUMBER.test(text.replace(/,/g, ".")) || !isFinite(number)) { return false; }
      if ((rule.minimum !== null && number < rule.minimum) || (rule.maximum !== null && number > rule.maximum)) { return false; }
    }
    if (rule.notFuture && day && day > today) { return false; }
    return rule.mustEqual === null || text === rule.mustEqual;
  }
  function readValue(form, name, type) {
    if (type === "multiple_choice") {
      return Array.from(form.querySelectorAll('input[type="checkbox"][name="' + name + '"]:checked')).map(function (box) { return box.value; });
    }
    if (type === "yes_no" || type === "single_choice") {
      const checked = form.querySelector('input[name="' + name + '"]:checked');
      return checked ? checked.value : "";
    }
    const control = form.querySelector('[name="' + name + '"]');
    return control ? control.value : "";
  }
  function readAnswers(form, rules) {
    const answers = {};
    rules.sections.forEach(function (section) {
      section.fields.forEach(function (rule) {
        if (rule.type !== "group") { answers[rule.name] = readValue(form, rule.name, rule.type); return; }
        const numbers = new Set();
        form.querySelectorAll('[name^="' + rule.name + '-"]').forEach(function (control) {
          const match = control.name.slice(rule.name.length + 1).match(/^(\d+)-/);
          if (match) { numbers.add(match[1]); }
        });
        answers[rule.name] = Array.from(numbers).map(function (number) {
          const values = {};
          rule.entryFields.forEach(function (sub) { values[sub.name] = readValue(form, rule.name + "-" + number + "-" + sub.name, sub.type); });
          return { number: number, values: values };
        });
      });
    });
    return answers;
  }
  function sectionState(section, answers, rules) {
    const visible = section.fields.filter(function (rule) { return isVisible(rule, answers); });
    const value = function (rule) { return rule.type === "group" ? answers[rule.name].map(function (e) { return e.values; }) : answers[rule.name]; };
    const filled = visible.filter(function (rule) { return !isEmpty(value(rule)); });
    const missing = visible.filter(function (rule) { return rule.required && isEmpty(value(rule)); });
    const toCorrect = filled.filter(function (rule) { return !valueOk(rule, answers[rule.name], rules.today, rule.name, rules.refused); });
    const state = !filled.length ? "empty" : (missing.length || toCorrect.length ? "in progress" : "complete");
    const labels = function (list) { return list.map(function (rule) { return rule.label; }).join(", "); };
    return { state: state, missing: labels(missing), toCorrect: labels(toCorrect) };
  }
  function trackChecklist(form) {
    const checklist = document.getElementById("section-checklist");
    if (!checklist || !checklist.dataset.rules) { return; }
    const rules = JSON.parse(checklist.dataset.rules);
    const names = { "empty": checklist.dataset.stateEmpty, "in progress": checklist.dataset.stateInProgress, "complete": checklist.dataset.stateComplete };
    const badges = { "empty": "text-bg-light border", "in progress": "text-bg-warning", "complete": "text-bg-success" };
    let timer = null;
    function update() {
      const answers = readAnswers(form, rules);
      rules.sections.forEach(function (section) {
        const item = checklist.querySelector('[data-section="' + section.id + '"]');
        if (!item) { return; }
        const judged = sectionState(section, answers, rules);
        const badge = item.querySelector("[data-state]");
        badge.className = "badge " + badges[judged.state];
        badge.textContent = names[judged.state];
        [["[data-missing]", judged.missing, checklist.dataset.textMissing], ["[data-to-correct]", judged.toCorrect, checklist.dataset.textToCorrect]].forEach(function (line) {
          const element = item.querySelector(line[0]);
          element.textContent = line[1] ? line[2].replace("{}", line[1]) : "";
          element.hidden = !line[1];
        });
      });
    }
    ["input", "change"].forEach(function (type) {
      form.addEventListener(type, function () { clearTimeout(timer); timer = setTimeout(update, 100); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.task-form").forEach(enhanceCodedFields);
    document.querySelectorAll("form.task-form").forEach(function (form) {
      applyConditions(form);
      form.addEventListener("change", function () { applyConditions(form); });
      trackChecklist(form);
    });

    // A form that is the whole page (nothing to read above it first) starts at its first empty answer.
    document.querySelectorAll("form[data-focus-first]").forEach(function (form) {
      if (window.location.hash || document.activeElement !== document.body) { return; }
      const first = Array.prototype.find.call(form.querySelectorAll("input, select, textarea"), function (field) {
        if (field.type === "hidden" || field.disabled || field.offsetParent === null) { return false; }
        if (field.type === "radio" || field.type === "checkbox") {
          return !form.querySelector('input[name="' + field.name + '"]:checked');
        }
        return field.value === "";
      });
      if (first) { first.focus(); }
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
