// Read-only BPMN diagram (process previews, instance inspector). The page provides
// <div id="bpmn-viewer" data-xml-source="ID"> where ID names a <textarea> or <script type="application/xml">
// holding the XML, and optionally <script type="application/json" id="bpmn-overlays">
// {"elementId": {"state": "completed|active|waiting", "count": 3}}: a marker class per state and a
// count badge. Loads its own stylesheet (viewer.css beside this script) unless the page links it (as Consilium's
// pages do, by its fingerprinted URL, so that browsers keep it). No eval, no inline styles.
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';

import spiffworkflow from './spiffworkflow.json';
import { importWarningMessages } from './util';

import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import './viewer.css';

const STATES = ['completed', 'active', 'waiting', 'error', 'cancelled'];
const SCRIPT = document.currentScript;

/** Where a URL points, without its query (a page links viewer.css with its fingerprint, ?v=…). */
function withoutQuery(url) {
  const parsed = new URL(url, document.baseURI);
  return parsed.origin + parsed.pathname;
}

/** Add viewer.css (beside this script) unless the page links it; resolves once it applies. */
function ensureStylesheet() {
  const href = SCRIPT && SCRIPT.src ? new URL('viewer.css', SCRIPT.src).href : null;
  if (!href || [...document.styleSheets].some((sheet) => sheet.href && withoutQuery(sheet.href) === withoutQuery(href))) {
    return Promise.resolve();
  }
  const existing = [...document.querySelectorAll('link[rel="stylesheet"]')].find((link) => withoutQuery(link.href) === withoutQuery(href));
  const link = existing || document.createElement('link');
  const loaded = new Promise((resolve) => {
    link.addEventListener('load', resolve, { once: true });
    link.addEventListener('error', resolve, { once: true });
  });
  if (!existing) {
    link.rel = 'stylesheet';
    link.href = href;
    document.head.appendChild(link);
  }
  return loaded;
}

function readJson(id) {
  const node = document.getElementById(id);
  if (!node) {
    return null;
  }
  try {
    return JSON.parse(node.textContent);
  } catch (error) {
    return null;
  }
}

function sourceXml(container) {
  const source = document.getElementById(container.dataset.xmlSource || 'bpmn-xml');
  if (!source) {
    return '';
  }
  return 'value' in source && source.tagName === 'TEXTAREA' ? source.value : source.textContent;
}

function applyOverlays(viewer, overlays) {
  const registry = viewer.get('elementRegistry');
  const canvas = viewer.get('canvas');
  const overlayService = viewer.get('overlays');
  for (const [elementId, info] of Object.entries(overlays || {})) {
    const element = registry.get(elementId);
    if (!element || !info) {
      continue;
    }
    if (STATES.includes(info.state)) {
      canvas.addMarker(element, `bpmn-state-${info.state}`);
    }
    if (Number.isFinite(info.count) && info.count > 0) {
      const badge = document.createElement('span');
      badge.className = `bpmn-count${info.state ? ` bpmn-count-${info.state}` : ''}`;
      badge.textContent = String(info.count);
      badge.title = `${info.count} × ${info.state || ''}`.trim();
      overlayService.add(element, 'bpmn-count', { position: { bottom: 8, right: 8 }, html: badge });
    }
  }
}

async function show(container) {
  const viewer = new NavigatedViewer({ container, moddleExtensions: { spiffworkflow } });
  container.bpmnViewer = viewer;
  try {
    const { warnings } = await viewer.importXML(sourceXml(container));
    const messages = importWarningMessages(warnings);
    if (messages.length) {
      container.dataset.warnings = messages.join('\n');
    }
    viewer.get('canvas').zoom('fit-viewport', 'auto');
    applyOverlays(viewer, readJson(container.dataset.overlays || 'bpmn-overlays'));
    container.dataset.state = 'ready';
  } catch (error) {
    container.dataset.state = 'failed';
    const p = document.createElement('p');
    p.className = 'bpmn-viewer-error';
    p.textContent = `The diagram could not be shown: ${error.message.split('\n')[0]}`;
    container.replaceChildren(p);
  }
}

async function start() {
  await ensureStylesheet();
  document.querySelectorAll('#bpmn-viewer, [data-bpmn-viewer]').forEach((container) => {
    if (!container.bpmnViewer) {
      show(container);
    }
  });
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', start);
} else {
  start();
}
