// Consilium's BPMN dialect (bpmn/README.md) as bpmnlint rules: the checks of engine/definitions.py
// that need no knowledge of the installation (which forms, handlers and roles exist is checked by
// the server on save and offered as dropdowns in the modeler).
module.exports = {
  configs: {
    recommended: {
      rules: {
        'no-script-task': 'error',
        'no-spiff-script': 'error',
        'user-task-form': 'error',
        'service-task-handler': 'error',
        'no-shared-id': 'error',
        'lane-membership': 'error'
      }
    }
  }
};
