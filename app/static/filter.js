// A search box that narrows a list as one types (progressive enhancement: without it, the whole list shows).
// <input data-filter-list="ID"> filters the [data-filter-item] elements inside #ID by their data-filter-text.
(function () {
  "use strict";
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-filter-list]").forEach(function (input) {
      var list = document.getElementById(input.dataset.filterList);
      if (!list) { return; }
      var items = Array.prototype.slice.call(list.querySelectorAll("[data-filter-item]"));
      var count = input.parentElement.querySelector("[data-filter-count]");
      function apply() {
        var words = fold(input.value).split(/\s+/).filter(Boolean);
        var shown = 0;
        items.forEach(function (item) {
          var text = fold(item.dataset.filterText || "");
          var match = words.every(function (word) { return text.indexOf(word) !== -1; });
          item.hidden = !match;
          if (match) { shown += 1; }
        });
        if (count) {
          count.textContent = words.length ? count.dataset.textCount.replace("{shown}", shown).replace("{total}", items.length) : "";
        }
      }
      input.addEventListener("input", apply);
      input.addEventListener("keydown", function (event) {
        if (event.key === "Enter") { event.preventDefault(); }
      });
    });
  });
})();
