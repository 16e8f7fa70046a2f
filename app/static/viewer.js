// The DICOM viewer (documents/viewer.html): every frame of every image of a series, drawn on a canvas.
// The server decodes and windows each frame into a PNG; the page fetches it and draws it through
// createImageBitmap, so no blob: or data: image is needed under the Content-Security-Policy.
// Without JavaScript the page lists links to the images instead.
(function () {
  "use strict";

  const PREFETCH = 3; // slices loaded ahead, each way
  const PARALLEL_PREFETCH = 3;
  const CACHE_ENTRIES = 96;
  const CACHE_BYTES = 192 * 1024 * 1024;
  const WINDOW_DELAY = 60; // ms between frame requests while the window is dragged
  const HEADER_DELAY = 150; // ms of rest on a slice before its image's header is fetched
  const HEADERS_KEPT = 20;
  const ZOOM_STEP = 1.25;
  const MIN_ZOOM = 0.1;
  const MAX_ZOOM = 40;
  const PAGE = 10; // slices per Page up / Page down
  const PAN_STEP = 40; // CSS pixels per Shift + arrow key
  const WHEEL_STEP = 40; // wheel pixels per slice (a mouse notch is one slice; trackpads add up)
  const LARGEST_WINDOW = 1000000; // as the server accepts
  const FALLBACK_WINDOWS = { CT: [40, 400], other: [128, 256] }; // a start for window/level when the file has none
  const ACCEPT = "application/json, image/png;q=0.9"; // the server's errors as JSON, its frames as PNG

  // "Slice {n} / {total}" with values filled in (the page's translated texts are data-text-* attributes).
  function fill(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (whole, key) {
      return values && key in values ? String(values[key]) : whole;
    });
  }

  function clamp(value, low, high) { return Math.min(high, Math.max(low, value)); }

  // Windows are kept rounded so that a window, its URL and its cache key agree: whole numbers for the
  // usual ranges (Hounsfield units, MR signal), two decimals for narrow ones.
  function tidyWindow(levels) {
    const coarse = Math.abs(levels[1]) >= 20;
    const round = function (v) { return coarse ? Math.round(v) : Math.round(v * 100) / 100; };
    return [clamp(round(levels[0]), -LARGEST_WINDOW, LARGEST_WINDOW), clamp(round(levels[1]), 1, LARGEST_WINDOW)];
  }

  function windowKey(levels) { return levels ? levels[0] + "/" + levels[1] : "default"; }

  function sameWindow(a, b) { return windowKey(a) === windowKey(b); }

  // ImageBitmaps by (slice, window), least recently used dropped first, bounded in count and in bytes.
  function BitmapCache(maxEntries, maxBytes) {
    const entries = new Map();
    let bytes = 0;
    function size(bitmap) { return bitmap.width * bitmap.height * 4; }
    return {
      get: function (key) {
        const bitmap = entries.get(key);
        if (bitmap) { entries.delete(key); entries.set(key, bitmap); }
        return bitmap;
      },
      has: function (key) { return entries.has(key); },
      set: function (key, bitmap, keep) {
        if (entries.has(key)) { bytes -= size(entries.get(key)); entries.delete(key); }
        entries.set(key, bitmap);
        bytes += size(bitmap);
        for (const [oldKey, old] of entries) {
          if (entries.size <= maxEntries && bytes <= maxBytes) { break; }
          if (oldKey === key) { continue; }
          entries.delete(oldKey);
          bytes -= size(old);
          if (!keep(old)) { old.close(); }
        }
      }
    };
  }

  function setUp(root) {
    const dataElement = document.getElementById("viewer-data");
    const canvas = document.getElementById("viewer-canvas");
    if (!dataElement || !canvas || !canvas.getContext || typeof createImageBitmap !== "function") { return; }
    const data = JSON.parse(dataElement.textContent);
    const texts = root.dataset;
    const slices = [];
    data.images.forEach(function (image, imageIndex) {
      for (let frame = 0; frame < Math.max(1, image.frames || 1); frame++) {
        slices.push({ id: image.id, frame: frame, image: imageIndex, spacing: image.spacing || null, rows: image.rows || 0, columns: image.columns || 0 });
      }
    });
    if (!slices.length) { return; }

    const stage = document.getElementById("viewer-stage");
    const toolbar = document.getElementById("viewer-toolbar");
    const status = document.getElementById("viewer-status");
    const measureOutput = document.getElementById("viewer-measure");
    const sliceInput = document.getElementById("viewer-slice");
    const sliceText = document.getElementById("viewer-slice-text");
    const presetSelect = document.getElementById("viewer-preset");
    const centreInput = document.getElementById("viewer-centre");
    const widthInput = document.getElementById("viewer-width");
    const headerToggle = document.getElementById("viewer-header-toggle");
    const aside = document.getElementById("viewer-header");
    const headerTable = document.getElementById("viewer-header-table");
    const headerMessage = document.getElementById("viewer-header-message");
    const toolButtons = Array.from(toolbar.querySelectorAll("[data-tool]"));
    const colour = Boolean(data.colour);
    const presets = data.presets || {};
    const context = canvas.getContext("2d");

    const state = {
      index: 0,
      window: null, // null: the file's own window (else the frame's range), as the server renders by default
      tool: colour ? "pan" : "window",
      zoom: 1,
      panX: 0, // CSS pixels between the canvas centre and the image centre
      panY: 0,
      shown: null, // {bitmap, index, window}: what the canvas shows
      error: ""
    };
    const measurements = new Map(); // slice index -> {from: {x, y}, to: {x, y}} in the drawn bitmap's pixels
    const cache = new BitmapCache(CACHE_ENTRIES, CACHE_BYTES);
    const pending = new Map(); // cache key -> promise of an ImageBitmap
    const loading = new Map(); // cache key -> {index, controller} of a request under way
    const queue = [];
    let prefetching = 0;
    let requested = 0; // sequence numbers: a late answer never replaces a newer picture
    let drawn = 0;
    let windowTimer = null;
    let drag = null;
    let wheelRest = 0;
    let lastDirection = 1; // prefetch looks further the way the slices were moving

    // ---- Frames: fetched, decoded, cached, prefetched. ----

    function frameUrl(slice, levels) {
      const url = data.frameUrl.replace("{id}", slice.id).replace("{frame}", slice.frame);
      return levels ? url + "?center=" + encodeURIComponent(levels[0]) + "&width=" + encodeURIComponent(levels[1]) : url;
    }

    function cacheKey(index, levels) { return index + "|" + windowKey(levels); }

    function problem(response) {
      const type = response.headers.get("Content-Type") || "";
      if (type.indexOf("json") === -1) { return Promise.resolve(texts.textUnreachable); }
      return response.json().then(
        function (body) { return (body && body.error) || response.statusText; },
        function () { return response.statusText; }
      );
    }

    function load(index, levels) {
      const key = cacheKey(index, levels);
      const hit = cache.get(key);
      if (hit) { return Promise.resolve(hit); }
      if (pending.has(key)) { return pending.get(key); }
      const controller = new AbortController();
      const promise = fetch(frameUrl(slices[index], levels), { credentials: "same-origin", headers: { Accept: ACCEPT }, signal: controller.signal })
        .catch(function () { throw new Error(texts.textUnreachable); })
        .then(function (response) {
          const type = response.headers.get("Content-Type") || "";
          if (!response.ok || type.indexOf("image/") !== 0) {
            // A sign-in page instead of a picture means the session ended.
            return problem(response).then(function (message) { throw new Error(message); });
          }
          return response.blob().then(function (blob) { return createImageBitmap(blob); });
        })
        .then(function (bitmap) {
          cache.set(key, bitmap, function (old) { return state.shown !== null && state.shown.bitmap === old; });
          return bitmap;
        })
        .finally(function () {
          if (pending.get(key) === promise) { pending.delete(key); loading.delete(key); }
        });
      pending.set(key, promise);
      loading.set(key, { index: index, controller: controller });
      return promise;
    }

    // Scrolling fast asks for many slices: those left far behind are not waited for.
    function forgetFarSlices() {
      loading.forEach(function (request, key) {
        if (Math.abs(request.index - state.index) <= PREFETCH) { return; }
        request.controller.abort();
        pending.delete(key); // coming back to that slice asks again
        loading.delete(key);
      });
    }

    // The neighbours of the current slice, with the current window, a few requests at a time.
    function prefetch(direction) {
      queue.length = 0;
      for (let step = 1; step <= PREFETCH; step++) {
        [state.index + step * direction, state.index - step * direction].forEach(function (index) {
          if (index >= 0 && index < slices.length) { queue.push([index, state.window]); }
        });
      }
      pump();
    }

    function pump() {
      while (prefetching < PARALLEL_PREFETCH && queue.length) {
        const [index, levels] = queue.shift();
        const key = cacheKey(index, levels);
        if (cache.has(key) || pending.has(key)) { continue; }
        prefetching++;
        load(index, levels)
          .catch(function () { return null; })
          .then(function () { prefetching--; pump(); });
      }
    }

    // Draw the current slice with the current window as soon as it is there.
    function show() {
      const index = state.index;
      const levels = state.window;
      const mine = ++requested;
      forgetFarSlices();
      if (!cache.has(cacheKey(index, levels))) { root.setAttribute("aria-busy", "true"); }
      load(index, levels).then(
        function (bitmap) {
          if (mine < drawn || index !== state.index) { return; }
          drawn = mine;
          state.shown = { bitmap: bitmap, index: index, window: levels };
          state.error = "";
          draw();
          root.dataset.loadedSlice = String(index + 1);
          root.dataset.loadedWindow = windowKey(levels);
          delete root.dataset.error;
          if (mine === requested) { root.removeAttribute("aria-busy"); }
          if (!drag && sameWindow(levels, state.window)) { prefetch(lastDirection); }
          describe();
        },
        function (error) {
          if (index !== state.index || !sameWindow(levels, state.window)) { return; }
          drawn = mine;
          state.shown = null;
          state.error = fill(texts.textFrameError, { n: index + 1, error: error.message });
          root.dataset.error = state.error;
          delete root.dataset.loadedSlice;
          delete root.dataset.loadedWindow;
          root.removeAttribute("aria-busy");
          draw();
          describe();
        }
      );
    }

    // ---- Drawing: the image fitted to the canvas, then zoomed and panned; the measurement on top. ----

    function geometry(bitmap) {
      const width = canvas.clientWidth;
      const height = canvas.clientHeight;
      const scale = Math.min(width / bitmap.width, height / bitmap.height) * state.zoom;
      return {
        scale: scale,
        x: width / 2 + state.panX - (bitmap.width * scale) / 2,
        y: height / 2 + state.panY - (bitmap.height * scale) / 2
      };
    }

    function resize() {
      const ratio = window.devicePixelRatio || 1;
      const width = Math.max(1, Math.round(canvas.clientWidth * ratio));
      const height = Math.max(1, Math.round(canvas.clientHeight * ratio));
      if (canvas.width !== width || canvas.height !== height) {
        canvas.width = width;
        canvas.height = height;
      }
      draw();
    }

    function draw() {
      const ratio = canvas.width / Math.max(1, canvas.clientWidth);
      context.setTransform(1, 0, 0, 1, 0, 0);
      context.fillStyle = "#000";
      context.fillRect(0, 0, canvas.width, canvas.height);
      if (!state.shown) { return; }
      const bitmap = state.shown.bitmap;
      const at = geometry(bitmap);
      context.setTransform(ratio, 0, 0, ratio, 0, 0);
      // Drawn in device pixels: smoothed when shrunk, square sharp pixels when enlarged.
      context.imageSmoothingEnabled = at.scale * ratio < 1;
      context.imageSmoothingQuality = "high";
      context.drawImage(bitmap, at.x, at.y, bitmap.width * at.scale, bitmap.height * at.scale);
      drawMeasurement(at);
    }

    function drawMeasurement(at) {
      const line = measurements.get(state.shown.index); // drawn with its own slice, not over the previous one
      if (state.shown.index !== state.index) { return; }
      if (!line) { return; }
      const from = { x: at.x + line.from.x * at.scale, y: at.y + line.from.y * at.scale };
      const to = { x: at.x + line.to.x * at.scale, y: at.y + line.to.y * at.scale };
      context.lineCap = "round";
      [["rgba(0, 0, 0, 0.8)", 4], ["#ffd400", 2]].forEach(function ([colourName, width]) {
        context.strokeStyle = colourName;
        context.lineWidth = width;
        context.beginPath();
        context.moveTo(from.x, from.y);
        context.lineTo(to.x, to.y);
        context.stroke();
        [from, to].forEach(function (end) {
          context.beginPath();
          context.arc(end.x, end.y, 3, 0, 2 * Math.PI);
          context.stroke();
        });
      });
      const label = length(line).label;
      context.font = "bold 14px system-ui, sans-serif";
      context.textBaseline = "bottom";
      context.lineWidth = 3;
      context.strokeStyle = "#000";
      context.fillStyle = "#ffd400";
      context.strokeText(label, to.x + 6, to.y - 4);
      context.fillText(label, to.x + 6, to.y - 4);
    }

    // ---- Measuring: in the image's own pixels, in mm when the image says how large a pixel is. ----

    function length(line) {
      const slice = slices[state.index];
      const bitmap = state.shown ? state.shown.bitmap : null;
      // The server may send a reduced picture of a very large image: back to the image's own pixels.
      const scaleX = bitmap && slice.columns ? slice.columns / bitmap.width : 1;
      const scaleY = bitmap && slice.rows ? slice.rows / bitmap.height : 1;
      const dx = (line.to.x - line.from.x) * scaleX;
      const dy = (line.to.y - line.from.y) * scaleY;
      if (slice.spacing) {
        const mm = Math.hypot(dx * slice.spacing[1], dy * slice.spacing[0]); // PixelSpacing: [between rows, between columns]
        return { value: mm.toFixed(1) + " mm", label: mm.toFixed(1) + " mm", text: fill(texts.textDistanceMm, { mm: mm.toFixed(1) }) };
      }
      const pixels = Math.hypot(dx, dy);
      return { value: pixels.toFixed(1) + " px", label: pixels.toFixed(1) + " px", text: fill(texts.textDistancePx, { px: pixels.toFixed(1) }) };
    }

    function describeMeasurement() {
      const line = measurements.get(state.index);
      if (!line || !state.shown) {
        measureOutput.textContent = "";
        delete root.dataset.measure;
        return;
      }
      const result = length(line);
      measureOutput.textContent = result.text;
      root.dataset.measure = result.value;
    }

    function imagePoint(event) {
      const bitmap = state.shown.bitmap;
      const at = geometry(bitmap);
      const box = canvas.getBoundingClientRect();
      return {
        x: clamp((event.clientX - box.left - at.x) / at.scale, 0, bitmap.width),
        y: clamp((event.clientY - box.top - at.y) / at.scale, 0, bitmap.height)
      };
    }

    // ---- State shown to people (status line, controls) and to tests (data-* on #viewer). ----

    function windowLabel() {
      if (colour) { return texts.textColourWindow; }
      return state.window ? state.window[0] + " / " + state.window[1] : texts.textFileWindow;
    }

    function describe() {
      const n = state.index + 1;
      root.dataset.slice = String(n);
      root.dataset.slices = String(slices.length);
      root.dataset.window = windowKey(state.window);
      root.dataset.zoom = String(Math.round(state.zoom * 100) / 100);
      root.dataset.tool = state.tool;
      sliceInput.value = String(n);
      sliceInput.setAttribute("aria-valuetext", n + " / " + slices.length);
      sliceText.textContent = n + " / " + slices.length;
      const line = fill(texts.textStatus, { n: n, total: slices.length, window: windowLabel(), zoom: Math.round(state.zoom * 100) });
      status.textContent = state.error ? state.error + " " + line : line;
      status.classList.toggle("text-danger", Boolean(state.error));
      describeMeasurement();
    }

    function reflectWindow() {
      const values = state.window || data.window;
      centreInput.value = values ? String(values[0]) : "";
      widthInput.value = values ? String(values[1]) : "";
      if (!presetSelect) { return; }
      if (!state.window) { presetSelect.value = ""; return; }
      const name = Object.keys(presets).find(function (key) { return sameWindow(tidyWindow(presets[key]), state.window); });
      presetSelect.value = name || "custom";
    }

    // ---- Actions. ----

    function goTo(index) {
      index = clamp(index, 0, slices.length - 1);
      if (index === state.index) { return; }
      lastDirection = index > state.index ? 1 : -1;
      const image = slices[state.index].image;
      state.index = index;
      state.error = "";
      describe();
      show();
      if (!aside.hidden && slices[index].image !== image) { scheduleHeader(); }
    }

    function setWindow(levels, immediately) {
      state.window = levels ? tidyWindow(levels) : null;
      reflectWindow();
      describe();
      if (immediately) {
        clearTimeout(windowTimer);
        windowTimer = null;
        show();
      } else if (windowTimer === null) {
        windowTimer = setTimeout(function () { windowTimer = null; show(); }, WINDOW_DELAY);
      }
    }

    function startingWindow() {
      return state.window || data.window || (presets.abdomen ? FALLBACK_WINDOWS.CT : FALLBACK_WINDOWS.other);
    }

    function setTool(tool) {
      state.tool = tool;
      toolButtons.forEach(function (button) {
        const on = button.dataset.tool === tool;
        button.setAttribute("aria-pressed", on ? "true" : "false");
        button.classList.toggle("active", on);
      });
      canvas.classList.remove("viewer-tool-window", "viewer-tool-pan", "viewer-tool-measure");
      canvas.classList.add("viewer-tool-" + tool);
      describe();
    }

    // Zoom by a factor, keeping the point under (x, y) of the canvas (CSS pixels) where it is.
    function zoomBy(factor, x, y) {
      const zoom = clamp(state.zoom * factor, MIN_ZOOM, MAX_ZOOM);
      const k = zoom / state.zoom;
      const px = x === undefined ? canvas.clientWidth / 2 : x;
      const py = y === undefined ? canvas.clientHeight / 2 : y;
      state.panX -= (px - canvas.clientWidth / 2 - state.panX) * (k - 1);
      state.panY -= (py - canvas.clientHeight / 2 - state.panY) * (k - 1);
      state.zoom = zoom;
      draw();
      describe();
    }

    function resetView() {
      state.zoom = 1;
      state.panX = 0;
      state.panY = 0;
      draw();
      describe();
    }

    // ---- The de-identified header, fetched per image when the aside is open. ----

    const headers = new Map(); // image id -> promise of rows
    let headerTimer = null;
    let headerWanted = null;

    function headerRows(id) {
      if (headers.has(id)) { return headers.get(id); }
      const promise = fetch(data.headerUrl.replace("{id}", id), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .catch(function () { throw new Error(texts.textUnreachable); })
        .then(function (response) {
          const type = response.headers.get("Content-Type") || "";
          if (!response.ok || type.indexOf("json") === -1) { return problem(response).then(function (message) { throw new Error(message); }); }
          return response.json().then(function (body) { return body.rows || []; });
        });
      promise.catch(function () { headers.delete(id); });
      headers.set(id, promise);
      if (headers.size > HEADERS_KEPT) { headers.delete(headers.keys().next().value); }
      return promise;
    }

    function scheduleHeader() {
      clearTimeout(headerTimer);
      headerTimer = setTimeout(loadHeader, HEADER_DELAY);
    }

    function loadHeader() {
      const slice = slices[state.index];
      if (headerWanted === slice.id && root.dataset.headerLoaded === String(slice.id)) { return; }
      headerWanted = slice.id;
      aside.setAttribute("aria-busy", "true");
      headerMessage.textContent = texts.textLoading;
      headerMessage.classList.remove("text-danger");
      headerRows(slice.id).then(
        function (rows) {
          if (headerWanted !== slice.id) { return; }
          renderHeader(rows, slice);
          headerMessage.textContent = "";
          aside.removeAttribute("aria-busy");
          root.dataset.headerLoaded = String(slice.id);
        },
        function (error) {
          if (headerWanted !== slice.id) { return; }
          headerTable.hidden = true;
          headerMessage.textContent = fill(texts.textHeaderError, { error: error.message });
          headerMessage.classList.add("text-danger");
          aside.removeAttribute("aria-busy");
          delete root.dataset.headerLoaded;
        }
      );
    }

    function renderHeader(rows, slice) {
      const body = headerTable.tBodies[0];
      const fragment = document.createDocumentFragment();
      rows.forEach(function (row) {
        const tr = document.createElement("tr");
        const depth = Math.max(0, Number(row.depth) || 0);
        [row.tag, row.name, row.vr, row.value].forEach(function (value, column) {
          const cell = document.createElement("td");
          if (column === 1 && depth) {
            cell.className = "viewer-depth-" + Math.min(depth, 5);
            const marker = document.createElement("span");
            marker.setAttribute("aria-hidden", "true");
            marker.textContent = "› ".repeat(depth);
            cell.append(marker);
          }
          cell.append(document.createTextNode(value === undefined || value === null ? "" : String(value)));
          if (column === 0 || column === 2) { cell.classList.add("font-monospace", "text-nowrap"); }
          tr.appendChild(cell);
        });
        fragment.appendChild(tr);
      });
      body.replaceChildren(fragment);
      headerTable.caption.textContent = fill(texts.textHeaderCaption, { n: slice.image + 1, count: data.images.length });
      headerTable.hidden = false;
    }

    function toggleHeader() {
      const open = aside.hidden;
      aside.hidden = !open;
      root.classList.toggle("viewer-with-header", open);
      headerToggle.setAttribute("aria-expanded", open ? "true" : "false");
      headerToggle.textContent = open ? texts.textHideHeader : texts.textShowHeader;
      if (open) { loadHeader(); }
    }

    // ---- Wiring. ----

    toolButtons.forEach(function (button) {
      button.addEventListener("click", function () { setTool(button.dataset.tool); });
    });
    toolbar.querySelectorAll("[data-zoom]").forEach(function (button) {
      button.addEventListener("click", function () {
        const how = button.dataset.zoom;
        if (how === "in") { zoomBy(ZOOM_STEP); } else if (how === "out") { zoomBy(1 / ZOOM_STEP); } else { resetView(); }
      });
    });
    sliceInput.max = String(slices.length);
    sliceInput.disabled = slices.length < 2;
    sliceInput.addEventListener("input", function () { goTo(Number(sliceInput.value) - 1); });
    if (presetSelect) {
      presetSelect.addEventListener("change", function () {
        const preset = presets[presetSelect.value];
        setWindow(preset ? [preset[0], preset[1]] : null, true);
      });
    }
    [centreInput, widthInput].forEach(function (input) {
      input.addEventListener("change", function () {
        if (centreInput.value.trim() === "" && widthInput.value.trim() === "") { setWindow(null, true); return; }
        const centre = Number(centreInput.value);
        const width = Number(widthInput.value);
        if (centreInput.value.trim() === "" || !Number.isFinite(centre) || !Number.isFinite(width) || width < 1) {
          reflectWindow();
          return;
        }
        setWindow([centre, width], true);
      });
    });
    headerToggle.addEventListener("click", toggleHeader);

    canvas.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey) { return; }
      const moves = { ArrowDown: 1, ArrowUp: -1, PageDown: PAGE, PageUp: -PAGE };
      const tools = { w: "window", p: "pan", m: "measure" };
      const key = event.key;
      const pans = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
      const has = function (keys, name) { return Object.prototype.hasOwnProperty.call(keys, name); };
      if (event.shiftKey && has(pans, key)) { state.panX += pans[key][0] * PAN_STEP; state.panY += pans[key][1] * PAN_STEP; draw(); }
      else if (has(moves, key)) { goTo(state.index + moves[key]); }
      else if (key === "Home") { goTo(0); }
      else if (key === "End") { goTo(slices.length - 1); }
      else if (key === "+" || key === "=") { zoomBy(ZOOM_STEP); }
      else if (key === "-" || key === "_") { zoomBy(1 / ZOOM_STEP); }
      else if (key === "0") { resetView(); }
      else if (has(tools, key.toLowerCase()) && !(colour && key.toLowerCase() === "w")) { setTool(tools[key.toLowerCase()]); }
      else if (key === "Escape" && measurements.has(state.index)) { measurements.delete(state.index); draw(); describe(); }
      else { return; }
      event.preventDefault();
    });

    canvas.addEventListener("wheel", function (event) {
      event.preventDefault();
      const unit = event.deltaMode === 1 ? 40 : event.deltaMode === 2 ? 800 : 1;
      const delta = event.deltaY * unit;
      if (event.ctrlKey) { // also a trackpad's pinch
        const box = canvas.getBoundingClientRect();
        zoomBy(Math.exp(-clamp(delta, -200, 200) * 0.002), event.clientX - box.left, event.clientY - box.top);
        return;
      }
      if (Math.abs(delta) >= WHEEL_STEP) {
        wheelRest = 0;
        goTo(state.index + Math.sign(delta));
        return;
      }
      wheelRest += delta;
      if (Math.abs(wheelRest) >= WHEEL_STEP) {
        goTo(state.index + Math.sign(wheelRest));
        wheelRest = 0;
      }
    }, { passive: false });

    canvas.addEventListener("pointerdown", function (event) {
      if (event.button !== 0 && event.button !== 1) { return; }
      canvas.focus({ preventScroll: true });
      const tool = event.button === 1 || event.shiftKey ? "pan" : state.tool;
      if (tool !== "pan" && !state.shown) { return; }
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      drag = { tool: tool, id: event.pointerId, x: event.clientX, y: event.clientY, panX: state.panX, panY: state.panY };
      if (tool === "window") {
        drag.window = startingWindow();
        drag.step = Math.max(0.01, drag.window[1] / 256); // window units per pixel: finer for narrow windows
      } else if (tool === "measure") {
        const point = imagePoint(event);
        drag.line = { from: point, to: point };
        measurements.set(state.index, drag.line);
        draw();
        describe();
      }
      canvas.classList.add("viewer-dragging");
    });

    canvas.addEventListener("pointermove", function (event) {
      if (!drag || event.pointerId !== drag.id) { return; }
      const dx = event.clientX - drag.x;
      const dy = event.clientY - drag.y;
      if (drag.tool === "pan") {
        state.panX = drag.panX + dx;
        state.panY = drag.panY + dy;
        draw();
      } else if (drag.tool === "window") {
        // Right widens the window, left narrows it; down raises the centre (darker), up lowers it.
        setWindow([drag.window[0] + dy * drag.step, drag.window[1] + dx * drag.step], false);
      } else if (drag.tool === "measure" && state.shown) {
        drag.line.to = imagePoint(event);
        draw();
        describeMeasurement();
      }
    });

    function endDrag(event) {
      if (!drag || event.pointerId !== drag.id) { return; }
      const tool = drag.tool;
      drag = null;
      canvas.classList.remove("viewer-dragging");
      if (tool === "window" && windowTimer !== null) { setWindow(state.window, true); }
      else if (tool === "window") { prefetch(lastDirection); }
      if (tool === "measure") {
        const line = measurements.get(state.index);
        if (line && line.from.x === line.to.x && line.from.y === line.to.y) { measurements.delete(state.index); draw(); }
        describe();
      }
    }
    canvas.addEventListener("pointerup", endDrag);
    canvas.addEventListener("pointercancel", endDrag);

    if (colour) {
      toolbar.querySelectorAll("[data-window-controls]").forEach(function (group) { group.hidden = true; });
      toolButtons.forEach(function (button) { if (button.dataset.tool === "window") { button.disabled = true; } });
    }
    toolbar.hidden = false;
    setTool(state.tool);
    reflectWindow();
    describe();
    new ResizeObserver(resize).observe(stage);
    resize();
    show();
  }

  document.addEventListener("DOMContentLoaded", function () {
    const root = document.getElementById("viewer");
    if (root) { setUp(root); }
  });
})();
