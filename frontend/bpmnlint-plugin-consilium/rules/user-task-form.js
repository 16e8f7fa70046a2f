const { is } = require('bpmnlint-utils');
const { formKey } = require('./helper');

/** A user task names its form: spiffworkflow:property name="formKey". */
module.exports = function() {
  function check(node, reporter) {
    if (is(node, 'bpmn:UserTask') && !formKey(node)) {
      reporter.report(node.id, 'User task names no form (choose a Form in the properties panel)');
    }
  }
  return { check };
};
