// Small helpers shared by the editor and the viewer.

/** Whether the XML has diagram interchange (a bpmndi:BPMNDiagram, whatever its prefix). */
export function hasDiagram(xml) {
  return /<([\w.-]+:)?BPMNDiagram[\s>/]/.test(xml);
}

/**
 * Readable import warnings. A warning about unparsable content or an unknown element means the
 * editor cannot hold that part of the file and would drop it on save: the user must know.
 */
export function importWarningMessages(warnings) {
  const seen = new Set();
  const result = [];
  for (const warning of warnings || []) {
    const first = String((warning && warning.message) || warning).split('\n')[0];
    const text = /unparsable content|unknown type|unresolved reference/.test(first)
      ? `Warning: ${first}. This part of the file cannot be shown or kept by the editor; saving would drop it.`
      : `Warning: ${first}.`;
    if (!seen.has(text)) {
      seen.add(text);
      result.push(text);
    }
  }
  return result;
}
