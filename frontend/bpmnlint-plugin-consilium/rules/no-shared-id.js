const { is } = require('bpmnlint-utils');
const { spiffExtensions, children } = require('./helper');

/**
 * SpiffWorkflow indexes every element by id and the last one wins: a handler or parameter named
 * like a flow node silently replaces it. Checked once, from the definitions.
 */
module.exports = function() {
  function walk(element, visit, seen) {
    if (!element || typeof element !== 'object' || seen.has(element)) {
      return;
    }
    seen.add(element);
    visit(element);
    for (const key of Object.keys(element)) {
      if (key.startsWith('$') || key === 'di') {
        continue;
      }
      const value = element[key];
      if (Array.isArray(value)) {
        value.forEach((item) => item && item.$type && walk(item, visit, seen));
      } else if (value && value.$type && value.$parent === element) {
        walk(value, visit, seen);
      }
    }
  }

  function check(node, reporter) {
    if (!is(node, 'bpmn:Definitions')) {
      return;
    }
    const flowNodes = new Map();
    const extensionIds = new Map();
    walk(node, (element) => {
      if (is(element, 'bpmn:FlowElement') && element.id) {
        flowNodes.set(element.id, element);
      }
      if (element.extensionElements) {
        for (const operator of spiffExtensions(element, 'serviceTaskOperator')) {
          if (operator.id) {
            extensionIds.set(operator.id, element);
          }
          const parameterList = operator.parameterList || children(operator, 'parameterList')[0];
          for (const parameter of (parameterList && children(parameterList, 'parameters')) || []) {
            if (parameter.id) {
              extensionIds.set(parameter.id, element);
            }
          }
        }
      }
    }, new Set());
    for (const [ id, owner ] of extensionIds) {
      if (flowNodes.has(id) && flowNodes.get(id) !== owner) {
        reporter.report(owner.id, `The handler or parameter '${id}' has the id of another element; rename one`);
      }
    }
  }
  return { check };
};
