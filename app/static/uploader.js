// Uploads for forms marked data-uploader: drag and drop of files and folders, a folder picker, and a
// progress bar. Files go one per request (a few at a time), so a 1 GB study never becomes one huge
// request and a refused file never costs the others. Without JavaScript the form posts as usual.
(function () {
  "use strict";

  const PARALLEL = 3;

  function readAllEntries(reader) {
    // readEntries answers in batches (about 100 at a time in Chromium): read until it answers none.
    return new Promise(function (resolve, reject) {
      const all = [];
      function next() {
        reader.readEntries(function (batch) {
          if (!batch.length) { resolve(all); return; }
          all.push.apply(all, batch);
          next();
        }, reject);
      }
      next();
    });
  }

  function filesOfEntry(entry) {
    if (entry.isFile) {
      return new Promise(function (resolve, reject) { entry.file(function (file) { resolve([file]); }, reject); });
    }
    return readAllEntries(entry.createReader()).then(function (entries) {
      return Promise.all(entries.map(filesOfEntry)).then(function (lists) { return [].concat.apply([], lists); });
    });
  }

  function droppedFiles(dataTransfer) {
    const entries = Array.from(dataTransfer.items || [])
      .map(function (item) { return item.webkitGetAsEntry ? item.webkitGetAsEntry() : null; })
      .filter(Boolean);
    if (!entries.length) { return Promise.resolve(Array.from(dataTransfer.files)); }
    return Promise.all(entries.map(filesOfEntry)).then(function (lists) { return [].concat.apply([], lists); });
  }

  function megabytes(bytes) { return (bytes / (1024 * 1024)).toFixed(1); }

  // The page's translated texts (data-text-* on the form), with {name} placeholders filled in.
  function text(form, name, values) {
    return (form.dataset["text" + name] || name).replace(/\{(\w+)\}/g, function (whole, key) {
      return values && key in values ? String(values[key]) : whole;
    });
  }

  function setUp(form) {
    const fileInput = form.querySelector('input[type="file"][name="file"]');
    const folderInput = form.querySelector("input[webkitdirectory]");
    const zone = form.querySelector("[data-drop-zone]");
    const progressBox = form.querySelector("[data-progress]");
    const bar = progressBox.querySelector("progress");
    const status = progressBox.querySelector('[role="status"]');
    const refused = progressBox.querySelector("[data-refused]");
    const submit = form.querySelector('button[type="submit"]');
    const token = form.querySelector('input[name="csrf_token"]').value;
    // Sent with every file: the hidden fields, and the choice made (e.g. a document or a signed consent form).
    const extra = Array.from(form.querySelectorAll('input[type="hidden"]:not([name="csrf_token"]), input[type="radio"]'));
    let busy = false;

    if (folderInput && "webkitdirectory" in folderInput) { form.querySelector("[data-folder-choice]").hidden = false; }
    form.querySelector("[data-drop-hint]").hidden = false;
    fileInput.required = false;

    function refuse(name, reason) {
      const item = document.createElement("li");
      item.textContent = name + ": " + reason;
      refused.appendChild(item);
    }

    function sendOne(file, onProgress) {
      return new Promise(function (resolve) {
        const data = new FormData();
        data.append("csrf_token", token);
        extra.forEach(function (input) { if (input.type !== "radio" || input.checked) { data.append(input.name, input.value); } });
        data.append("file", file, file.name);
        const request = new XMLHttpRequest();
        request.open("POST", form.action);
        request.setRequestHeader("Accept", "application/json");
        request.upload.addEventListener("progress", function (event) { onProgress(event.loaded); });
        request.addEventListener("load", function () {
          let body = {};
          try { body = JSON.parse(request.responseText); } catch (error) { body = {}; }
          if (request.status >= 200 && request.status < 300) {
            (body.skipped || []).forEach(function (item) { refuse(item.name, item.reason); });
            resolve({ attached: body.attached || 0, held: body.held || 0 });
          } else {
            refuse(file.name, body.error || text(form, "Failed"));
            resolve({ attached: 0, held: 0 });
          }
        });
        request.addEventListener("error", function () {
          refuse(file.name, text(form, "Failed"));
          resolve({ attached: 0, held: 0 });
        });
        request.send(data);
      });
    }

    function upload(files) {
      files = files.filter(function (file) { return !file.name.startsWith(".") && file.name.toUpperCase() !== "DICOMDIR"; });
      if (busy || !files.length) { return; }
      busy = true;
      submit.disabled = true;
      progressBox.hidden = false;
      refused.textContent = "";
      const total = files.reduce(function (sum, file) { return sum + file.size; }, 0) || 1;
      const sent = new Array(files.length).fill(0);
      let done = 0;
      let attached = 0;
      let held = 0;
      let nextIndex = 0;

      function show() {
        const bytes = sent.reduce(function (a, b) { return a + b; }, 0);
        bar.value = Math.min(100, Math.round((bytes / total) * 100));
        status.textContent = text(form, "Progress", {
          done: done, count: files.length, sent: megabytes(bytes), total: megabytes(total)
        });
      }

      function worker() {
        if (nextIndex >= files.length) { return Promise.resolve(); }
        const index = nextIndex++;
        return sendOne(files[index], function (loaded) { sent[index] = loaded; show(); }).then(function (result) {
          sent[index] = files[index].size;
          done += 1;
          attached += result.attached;
          held += result.held;
          show();
          return worker();
        });
      }

      show();
      const workers = [];
      for (let i = 0; i < Math.min(PARALLEL, files.length); i += 1) { workers.push(worker()); }
      Promise.all(workers).then(function () {
        busy = false;
        submit.disabled = false;
        bar.value = 100;
        const notAttached = refused.children.length;
        status.textContent = text(form, "Done", { attached: attached, held: held, refused: notAttached });
        if (attached && !notAttached) { window.location.reload(); return; }
        if (attached) {
          const again = document.createElement("button");
          again.type = "button";
          again.className = "btn btn-link btn-sm p-0";
          again.textContent = text(form, "Reload");
          again.addEventListener("click", function () { window.location.reload(); });
          status.appendChild(document.createTextNode(" "));
          status.appendChild(again);
        }
      });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      const chosen = Array.from(fileInput.files).concat(folderInput ? Array.from(folderInput.files) : []);
      if (!chosen.length) { fileInput.focus(); return; }
      upload(chosen);
    });
    zone.addEventListener("dragover", function (event) {
      event.preventDefault();
      zone.classList.add("drop-active");
    });
    zone.addEventListener("dragleave", function () { zone.classList.remove("drop-active"); });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      zone.classList.remove("drop-active");
      droppedFiles(event.dataTransfer).then(upload);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-uploader]").forEach(setUp);
  });
})();
