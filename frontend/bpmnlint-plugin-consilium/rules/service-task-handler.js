const { is } = require('bpmnlint-utils');
const { serviceTaskOperator } = require('./helper');

/** A service task names a registered handler: spiffworkflow:serviceTaskOperator id="...". */
module.exports = function() {
  function check(node, reporter) {
    if (!is(node, 'bpmn:ServiceTask')) {
      return;
    }
    const operator = serviceTaskOperator(node);
    if (!operator || !operator.id) {
      reporter.report(node.id, 'Service task names no handler (choose a Handler in the properties panel)');
    } else if (operator.id === node.id) {
      reporter.report(node.id, `The task id must differ from its handler '${operator.id}' (e.g. ${operator.id}_task)`);
    }
  }
  return { check };
};
