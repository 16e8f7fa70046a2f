// Reading and writing Consilium's spiffworkflow extension elements on a business object, as one
// undoable command each (bpmn-js-properties-panel's multi-command executor).
import { is } from 'bpmn-js/lib/util/ModelUtil';

export const FORM_KEY = 'formKey';

export function extensionValues(businessObject, type) {
  const extensionElements = businessObject.get('extensionElements');
  const values = (extensionElements && extensionElements.get('values')) || [];
  return type ? values.filter((value) => is(value, type)) : values;
}

export function getFormKey(businessObject) {
  for (const properties of extensionValues(businessObject, 'spiffworkflow:Properties')) {
    const property = properties.get('properties').find((p) => p.get('name') === FORM_KEY);
    if (property) {
      return property.get('value') || '';
    }
  }
  return '';
}

export function getOperator(businessObject) {
  return extensionValues(businessObject, 'spiffworkflow:ServiceTaskOperator')[0] || null;
}

export function getHandler(businessObject) {
  const operator = getOperator(businessObject);
  return (operator && operator.get('id')) || '';
}

export function getParameters(businessObject) {
  const operator = getOperator(businessObject);
  const list = operator && operator.get('parameterList');
  return (list && list.get('parameters')) || [];
}

function update(element, moddleElement, properties) {
  return { cmd: 'element.updateModdleProperties', context: { element, moddleElement, properties } };
}

/** Commands that make sure the business object has bpmn:extensionElements; returns it too. */
function ensureExtensionElements(element, businessObject, bpmnFactory, commands) {
  let extensionElements = businessObject.get('extensionElements');
  if (!extensionElements) {
    extensionElements = bpmnFactory.create('bpmn:ExtensionElements', { values: [] });
    extensionElements.$parent = businessObject;
    commands.push(update(element, businessObject, { extensionElements }));
  }
  return extensionElements;
}

function run(commandStack, commands) {
  if (commands.length) {
    commandStack.execute('properties-panel.multi-command-executor', commands);
  }
}

/** Set (or, with an empty value, remove) spiffworkflow:property name="formKey". */
export function setFormKey(element, value, { bpmnFactory, commandStack }) {
  const businessObject = element.businessObject;
  const commands = [];
  const existing = extensionValues(businessObject, 'spiffworkflow:Properties');
  for (const properties of existing) {
    const list = properties.get('properties');
    const property = list.find((p) => p.get('name') === FORM_KEY);
    if (property) {
      commands.push(value
        ? update(element, property, { value })
        : update(element, properties, { properties: list.filter((p) => p !== property) }));
      run(commandStack, commands);
      return;
    }
  }
  if (!value) {
    return;
  }
  const extensionElements = ensureExtensionElements(element, businessObject, bpmnFactory, commands);
  let properties = existing[0];
  if (!properties) {
    properties = bpmnFactory.create('spiffworkflow:Properties', { properties: [] });
    properties.$parent = extensionElements;
    commands.push(update(element, extensionElements, { values: [...extensionElements.get('values'), properties] }));
  }
  const property = bpmnFactory.create('spiffworkflow:Property', { name: FORM_KEY, value });
  property.$parent = properties;
  commands.push(update(element, properties, { properties: [...properties.get('properties'), property] }));
  run(commandStack, commands);
}

/** Set the handler (spiffworkflow:serviceTaskOperator id); its parameters stay as they are. */
export function setHandler(element, value, { bpmnFactory, commandStack }) {
  const businessObject = element.businessObject;
  const commands = [];
  const operator = getOperator(businessObject);
  if (operator) {
    commands.push(update(element, operator, { id: value || undefined }));
  } else if (value) {
    const extensionElements = ensureExtensionElements(element, businessObject, bpmnFactory, commands);
    const created = bpmnFactory.create('spiffworkflow:ServiceTaskOperator', { id: value, resultVariable: '' });
    const parameterList = bpmnFactory.create('spiffworkflow:Parameters', { parameters: [] });
    parameterList.$parent = created;
    created.set('parameterList', parameterList);
    created.$parent = extensionElements;
    commands.push(update(element, extensionElements, { values: [...extensionElements.get('values'), created] }));
  }
  run(commandStack, commands);
}

/** Add a handler parameter (id, type, value); creates the operator's parameter list if needed. */
export function addParameter(element, parameter, { bpmnFactory, commandStack }) {
  const operator = getOperator(element.businessObject);
  if (!operator) {
    return null;
  }
  const commands = [];
  let parameterList = operator.get('parameterList');
  if (!parameterList) {
    parameterList = bpmnFactory.create('spiffworkflow:Parameters', { parameters: [] });
    parameterList.$parent = operator;
    commands.push(update(element, operator, { parameterList }));
  }
  const created = bpmnFactory.create('spiffworkflow:Parameter', parameter);
  created.$parent = parameterList;
  commands.push(update(element, parameterList, { parameters: [...parameterList.get('parameters'), created] }));
  run(commandStack, commands);
  return created;
}

export function removeParameter(element, parameter, { commandStack }) {
  const parameterList = parameter.$parent;
  run(commandStack, [update(element, parameterList, {
    parameters: parameterList.get('parameters').filter((p) => p !== parameter),
  })]);
}

export function updateParameter(element, parameter, properties, { commandStack }) {
  run(commandStack, [update(element, parameter, properties)]);
}
