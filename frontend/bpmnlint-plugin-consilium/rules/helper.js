// Extension elements of a moddle element, typed (with the spiffworkflow descriptor) or generic.
const SPIFF = 'spiffworkflow:';

function localName(element) {
  const type = (element && element.$type) || '';
  const name = type.startsWith(SPIFF) ? type.slice(SPIFF.length) : '';
  return name.charAt(0).toLowerCase() + name.slice(1);
}

function spiffExtensions(node, name) {
  const values = (node.extensionElements && node.extensionElements.values) || [];
  return values.filter((value) => localName(value) === (name || localName(value)) && localName(value));
}

function children(element, property) {
  return element[property] || (element.$children || []);
}

function formKey(userTask) {
  for (const properties of spiffExtensions(userTask, 'properties')) {
    for (const property of children(properties, 'properties')) {
      if (property.name === 'formKey') {
        return property.value || '';
      }
    }
  }
  return null;
}

function serviceTaskOperator(serviceTask) {
  return spiffExtensions(serviceTask, 'serviceTaskOperator')[0] || null;
}

module.exports = { localName, spiffExtensions, children, formKey, serviceTaskOperator };
