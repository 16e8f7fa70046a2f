// Consilium's BPMN editor (the process-administration page). The page provides:
//   #bpmn-modeler (canvas), #bpmn-properties (properties panel), #bpmn-choices (JSON: forms, roles,
//   handlers), <form id="bpmn-form"> with <textarea id="bpmn-xml" name="xml">, #bpmn-lint (ul) and
//   #bpmn-messages. The XML is read from the textarea and written back to it before the form submits.
// Served from 'self' only, no eval: works under script-src 'self'.
import BpmnModeler from 'bpmn-js/lib/Modeler';
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from 'bpmn-js-properties-panel';
import lintModule from 'bpmn-js-bpmnlint';
import { layoutProcess } from 'bpmn-auto-layout';

import lintConfig from 'consilium:bpmnlint-config';
import spiffworkflow from './spiffworkflow.json';
import ConsiliumPropertiesProviderModule from './provider';
import { normaliseChoices } from './provider/ConsiliumPropertiesProvider';
import { hasDiagram, importWarningMessages } from './util';

import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import 'bpmn-js/dist/assets/bpmn-font/css/bpmn.css';
import '@bpmn-io/properties-panel/dist/assets/properties-panel.css';
import 'bpmn-js-bpmnlint/dist/assets/css/bpmn-js-bpmnlint.css';
import './modeler.css';

function say(messages, text, kind) {
  if (!messages) {
    return;
  }
  const p = document.createElement('p');
  p.className = `bpmn-message bpmn-message-${kind || 'info'}`;
  p.textContent = text;
  messages.appendChild(p);
}

function readChoices() {
  const node = document.getElementById('bpmn-choices');
  if (!node) {
    return normaliseChoices({});
  }
  try {
    return normaliseChoices(JSON.parse(node.textContent));
  } catch (error) {
    return normaliseChoices({});
  }
}

/** One li per problem (element id: message), sorted errors first; a click selects the element. */
function renderLint(list, issues, modeler) {
  if (!list) {
    return;
  }
  const problems = [];
  for (const [elementId, elementIssues] of Object.entries(issues)) {
    for (const issue of elementIssues) {
      problems.push({ elementId: issue.id || elementId, message: issue.message, category: issue.category, rule: issue.rule });
    }
  }
  const order = { error: 0, warn: 1, info: 2 };
  problems.sort((a, b) => (order[a.category] ?? 3) - (order[b.category] ?? 3) || a.elementId.localeCompare(b.elementId));
  list.replaceChildren(...problems.map((problem) => {
    const li = document.createElement('li');
    li.className = `bpmn-lint-${problem.category === 'warn' ? 'warning' : problem.category}`;
    li.dataset.elementId = problem.elementId;
    li.dataset.rule = problem.rule || '';
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'bpmn-lint-element';
    button.textContent = problem.elementId || '(file)';
    button.addEventListener('click', () => {
      const element = modeler.get('elementRegistry').get(problem.elementId);
      if (element) {
        modeler.get('selection').select(element);
        modeler.get('canvas').scrollToElement(element);
      }
    });
    const category = document.createElement('span');
    category.className = 'bpmn-lint-category';
    category.textContent = problem.category === 'warn' ? 'warning' : problem.category;
    li.append(button, ': ', problem.message, ' ', category);
    return li;
  }));
  list.dataset.errors = String(problems.filter((p) => p.category === 'error').length);
  list.dataset.warnings = String(problems.filter((p) => p.category === 'warn').length);
}

/** Write the diagram into the textarea before the form posts it; keeps the submitter. */
function interceptSubmit(form, textarea, modeler, messages) {
  let saved = false;
  form.addEventListener('submit', async (event) => {
    if (saved) {
      saved = false;
      return;
    }
    event.preventDefault();
    const submitter = event.submitter && event.submitter.form === form ? event.submitter : null;
    try {
      const { xml } = await modeler.saveXML({ format: true });
      textarea.value = xml;
    } catch (error) {
      say(messages, `The diagram could not be saved: ${error.message}`, 'error');
      return;
    }
    // saveXML can settle within the submit event's own microtask checkpoint, while the browser
    // still counts the form as firing its submit event and would ignore requestSubmit: wait a task.
    await new Promise((resolve) => setTimeout(resolve, 0));
    saved = true;
    try {
      if (submitter) {
        form.requestSubmit(submitter);
      } else {
        form.requestSubmit();
      }
    } finally {
      saved = false;
    }
  });
}

/**
 * Show the whole diagram on opening, clear of what overlays the canvas: right of the palette (its left side) and
 * above the linter's button and the bpmn.io mark (its bottom edge), with a margin all round; never enlarged past
 * 100 %. A canvas too small for that keeps the plain fit.
 */
function fitBesidePalette(modeler, container) {
  const canvas = modeler.get('canvas');
  canvas.zoom('fit-viewport', 'auto');
  const { inner, outer } = canvas.viewbox();
  if (!inner.width || !inner.height) {
    return;
  }
  const margin = 16;
  const frame = container.getBoundingClientRect();
  const palette = container.querySelector('.djs-palette');
  const left = (palette ? palette.getBoundingClientRect().right - frame.left : 0) + margin;
  const bottom = Math.max(0, ...[...container.querySelectorAll('.bjsl-button, .bjs-powered-by')]
    .map((element) => frame.bottom - element.getBoundingClientRect().top)) + margin;
  const width = outer.width - left - margin;
  const height = outer.height - bottom - margin;
  if (width < outer.width / 2 || height < outer.height / 2) {
    return;
  }
  const scale = Math.min(1, width / inner.width, height / inner.height);
  canvas.viewbox({
    x: inner.x - (left + (width - inner.width * scale) / 2) / scale,
    y: inner.y - (margin + (height - inner.height * scale) / 2) / scale,
    width: outer.width / scale,
    height: outer.height / scale,
  });
}

async function start() {
  const container = document.getElementById('bpmn-modeler');
  const textarea = document.getElementById('bpmn-xml');
  if (!container || !textarea) {
    return;
  }
  const messages = document.getElementById('bpmn-messages');
  const lintList = document.getElementById('bpmn-lint');
  const panel = document.getElementById('bpmn-properties');

  const modeler = new BpmnModeler({
    container,
    propertiesPanel: panel ? {
      parent: panel,
      layout: { groups: { general: { open: true }, consilium: { open: true }, 'consilium-parameters': { open: true } } },
    } : undefined,
    additionalModules: [
      ...(panel ? [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, ConsiliumPropertiesProviderModule] : []),
      lintModule,
    ],
    moddleExtensions: { spiffworkflow },
    linting: { bpmnlint: lintConfig, active: true },
    consilium: { choices: readChoices() },
  });
  window.consiliumModeler = modeler;

  modeler.on('linting.completed', ({ issues }) => renderLint(lintList, issues, modeler));

  let xml = textarea.value;
  if (xml.trim() && !hasDiagram(xml)) {
    try {
      xml = await layoutProcess(xml);
      say(messages, 'This file had no diagram layout, so it was laid out automatically. Pools and lanes are not drawn by the automatic layout (their roles are kept). Check the layout before you save.', 'warning');
    } catch (error) {
      say(messages, `Automatic layout failed: ${error.message}`, 'error');
    }
  }
  try {
    const { warnings } = xml.trim() ? await modeler.importXML(xml) : await modeler.createDiagram();
    for (const message of importWarningMessages(warnings)) {
      say(messages, message, 'warning');
    }
    fitBesidePalette(modeler, container);
  } catch (error) {
    say(messages, `The BPMN file could not be opened: ${error.message.split('\n')[0]}`, 'error');
    container.dataset.state = 'failed';
    return;
  }

  const form = document.getElementById('bpmn-form') || textarea.form;
  if (form) {
    interceptSubmit(form, textarea, modeler, messages);
  }
  container.dataset.state = 'ready';
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', start);
} else {
  start();
}
