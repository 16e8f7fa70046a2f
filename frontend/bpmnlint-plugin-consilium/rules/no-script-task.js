const { is } = require('bpmnlint-utils');

/** Consilium runs no scripts: logic goes into a registered service-task handler. */
module.exports = function() {
  function check(node, reporter) {
    if (is(node, 'bpmn:ScriptTask')) {
      reporter.report(node.id, 'Script tasks are not allowed: use a service task that names a registered handler');
    }
  }
  return { check };
};
