// Round-trip check for the modeler's moddle descriptor: load each BPMN file the way the browser
// modeler does (bpmn-moddle + frontend/modeler/spiffworkflow.json), save it, and compare every
// spiffworkflow element and attribute before and after. A missing type in the descriptor makes
// moddle drop the element on save without a word, so this runs in CI (tests/test_bpmnlint.py).
//
// Files without a diagram (no bpmndi:BPMNDiagram) also go through bpmn-auto-layout first, as in
// the editor; files with one are checked a second time with their diagram removed.
//
//   node frontend/roundtrip.mjs [--out DIR] FILE...
//
// Prints one line per check and exits 1 on any loss. With --out, writes the saved XML to DIR.

import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';

import { BpmnModdle } from 'bpmn-moddle';
import { layoutProcess } from 'bpmn-auto-layout';
import { Parser } from 'saxen';

const SPIFF_URI = 'http://spiffworkflow.org/bpmn/schema/1.0/core';
const descriptor = JSON.parse(readFileSync(new URL('./modeler/spiffworkflow.json', import.meta.url), 'utf8'));

/**
 * Every spiffworkflow element (with its attributes, text and the id of its nearest identified
 * ancestor) and every spiffworkflow attribute on another element, as sorted strings.
 */
export function spiffItems(xml) {
  const parser = new Parser({ proxy: true });
  parser.ns({ [SPIFF_URI]: 'spiffworkflow', 'http://www.omg.org/spec/BPMN/20100524/MODEL': 'bpmn' });
  const items = [];
  const stack = [];
  let error = null;
  parser.on('error', (err) => { error = err; });
  // saxen emits closeTag for self-closing elements too.
  parser.on('openTag', (el, decodeEntities) => {
    const attrs = { ...el.attrs };
    const parent = stack[stack.length - 1];
    const owner = attrs.id && !el.name.startsWith('spiffworkflow:') ? attrs.id : (parent ? parent.owner : '');
    const path = (parent ? parent.path + '/' : '') + el.name.replace(/^.*:/, '');
    const node = { name: el.name, attrs, owner, path, text: '', spiff: el.name.startsWith('spiffworkflow:') };
    for (const [key, value] of Object.entries(attrs)) {
      if (key.startsWith('spiffworkflow:')) {
        items.push(`${owner} @${key}=${JSON.stringify(decodeEntities(value))}`);
      }
    }
    if (node.spiff) {
      const attrText = Object.keys(attrs).filter((k) => !k.startsWith('xmlns')).sort()
        .map((k) => `${k}=${JSON.stringify(decodeEntities(attrs[k]))}`).join(' ');
      node.item = `${owner} ${path.replace(/^.*?\/extensionElements\//, 'ext/')} [${attrText}]`;
    }
    stack.push(node);
  });
  parser.on('text', (text, decodeEntities) => {
    const node = stack[stack.length - 1];
    if (node) node.text += decodeEntities(text);
  });
  parser.on('cdata', (text) => {
    const node = stack[stack.length - 1];
    if (node) node.text += text;
  });
  parser.on('closeTag', () => close(stack.pop()));
  function close(node) {
    if (node && node.spiff) {
      items.push(`${node.item} ${JSON.stringify(node.text.trim())}`);
    }
  }
  parser.parse(xml);
  if (error) throw error;
  return items.sort();
}

function difference(before, after) {
  const left = new Map();
  for (const item of after) left.set(item, (left.get(item) || 0) + 1);
  const lost = [];
  for (const item of before) {
    const count = left.get(item) || 0;
    if (count) left.set(item, count - 1); else lost.push(item);
  }
  const added = [...left.entries()].flatMap(([item, count]) => Array(count).fill(item));
  return { lost, added };
}

/** Load and save like the modeler: warnings from the import mean content the descriptor cannot hold. */
export async function roundTrip(xml) {
  const moddle = new BpmnModdle({ spiffworkflow: descriptor });
  const { rootElement, warnings } = await moddle.fromXML(xml, 'bpmn:Definitions');
  const { xml: saved } = await moddle.toXML(rootElement, { format: true });
  return { saved, warnings: warnings.map((w) => w.message.split('\n')[0]) };
}

export function hasDiagram(xml) {
  return /<([\w-]+:)?BPMNDiagram[\s>]/.test(xml);
}

function withoutDiagram(xml) {
  return xml.replace(/<([\w-]+:)?BPMNDiagram[\s>][\s\S]*<\/([\w-]+:)?BPMNDiagram>/, '');
}

async function check(label, original, xml) {
  const { saved, warnings } = await roundTrip(xml);
  const { lost, added } = difference(spiffItems(original), spiffItems(saved));
  const problems = [
    ...warnings.map((w) => `import warning: ${w}`),
    ...lost.map((item) => `lost: ${item}`),
    ...added.map((item) => `added: ${item}`),
  ];
  if (!hasDiagram(saved)) problems.push('saved file has no diagram');
  const count = spiffItems(original).length;
  console.log(`${problems.length ? 'FAIL' : 'ok'} ${label} (${count} spiffworkflow items)`);
  for (const problem of problems) console.log(`  ${problem}`);
  return { ok: problems.length === 0, saved };
}

async function main(argv) {
  let out = null;
  const files = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') out = argv[++i]; else files.push(argv[i]);
  }
  if (!files.length) {
    console.error('usage: node frontend/roundtrip.mjs [--out DIR] FILE...');
    return 2;
  }
  if (out) mkdirSync(out, { recursive: true });
  let failed = 0;
  for (const file of files) {
    const original = readFileSync(file, 'utf8');
    if (hasDiagram(original)) {
      const direct = await check(file, original, original);
      failed += direct.ok ? 0 : 1;
      if (out) writeFileSync(join(out, basename(file)), direct.saved);
      const laidOut = await check(`${file} (diagram removed, auto-layout)`, original, await layoutProcess(withoutDiagram(original)));
      failed += laidOut.ok ? 0 : 1;
    } else {
      const laidOut = await check(`${file} (auto-layout)`, original, await layoutProcess(original));
      failed += laidOut.ok ? 0 : 1;
      if (out) writeFileSync(join(out, basename(file)), laidOut.saved);
    }
  }
  console.log(failed ? `${failed} round-trip check(s) failed` : 'all round-trip checks passed');
  return failed ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
}
