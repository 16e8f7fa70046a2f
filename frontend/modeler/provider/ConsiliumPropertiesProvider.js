// Consilium's own properties-panel group: what this installation knows (forms, roles, handlers,
// from the page's #bpmn-choices) offered as dropdowns, written in Consilium's BPMN dialect
// (bpmn/README.md): a user task's form as spiffworkflow:property name="formKey", a service task's
// handler as spiffworkflow:serviceTaskOperator id, a lane's role as the lane's name.
import { is } from 'bpmn-js/lib/util/ModelUtil';
import {
  Group,
  ListGroup,
  SelectEntry,
  TextFieldEntry,
  isSelectEntryEdited,
  isTextFieldEntryEdited,
} from '@bpmn-io/properties-panel';
import { h } from '@bpmn-io/properties-panel/preact';
import { useService } from 'bpmn-js-properties-panel';

import {
  addParameter,
  getFormKey,
  getHandler,
  getOperator,
  getParameters,
  removeParameter,
  setFormKey,
  setHandler,
  updateParameter,
} from './extensions';

const LOW_PRIORITY = 400;

/** 'Panel lead' -> 'panel_lead', as engine/definitions.py role_key. */
export function roleKey(name) {
  return (name || '').trim().toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
}

/** Normalise the page's choices: strings or {key, label} objects. */
export function normaliseChoices(raw) {
  const list = (items) => (Array.isArray(items) ? items : []).map((item) => (
    typeof item === 'string' ? { key: item, label: item } : { key: String(item.key), label: String(item.label || item.key) }
  ));
  return { forms: list(raw && raw.forms), roles: list(raw && raw.roles), handlers: list(raw && raw.handlers) };
}

function options(choices, current, noneLabel, translate) {
  const result = [{ value: '', label: noneLabel }];
  result.push(...choices.map((choice) => ({ value: choice.key, label: choice.label === choice.key ? choice.key : `${choice.label} (${choice.key})` })));
  if (current && !choices.some((choice) => choice.key === current)) {
    result.push({ value: current, label: translate('{value} (unknown here)', { value: current }) });
  }
  return result;
}

// A select over one list of the page's choices, reading and writing one extension value of the element.
function extensionSelect({ element, id, label, description, read, write, list, none }) {
  const translate = useService('translate');
  const bpmnFactory = useService('bpmnFactory');
  const commandStack = useService('commandStack');
  const choices = useService('config.consilium').choices;
  return h(SelectEntry, {
    element,
    id,
    label: translate(label),
    description: translate(description),
    getValue: () => read(element.businessObject),
    setValue: (value) => write(element, value, { bpmnFactory, commandStack }),
    getOptions: () => options(choices[list], read(element.businessObject), translate(none), translate),
  });
}

function FormEntry({ element, id }) {
  return extensionSelect({
    element,
    id,
    label: 'Form',
    description: 'The form the person in this lane fills in (spiffworkflow formKey).',
    read: getFormKey,
    write: setFormKey,
    list: 'forms',
    none: '(no form)',
  });
}

function HandlerEntry({ element, id }) {
  return extensionSelect({
    element,
    id,
    label: 'Handler',
    description: 'The registered handler this task runs (spiffworkflow serviceTaskOperator). Its id must differ from the task id.',
    read: getHandler,
    write: setHandler,
    list: 'handlers',
    none: '(no handler)',
  });
}

function RoleEntry({ element, id }) {
  const translate = useService('translate');
  const modeling = useService('modeling');
  const choices = useService('config.consilium').choices;
  const currentKey = () => {
    const name = element.businessObject.get('name') || '';
    const known = choices.roles.find((role) => role.key === roleKey(name));
    return known ? known.key : name;
  };
  return h(SelectEntry, {
    element,
    id,
    label: translate('Role'),
    description: translate('Who acts on the tasks in this lane; sets the lane name.'),
    getValue: currentKey,
    setValue: (key) => {
      const role = choices.roles.find((r) => r.key === key);
      modeling.updateProperties(element, { name: role ? role.label : key || undefined });
    },
    getOptions: () => {
      const roles = choices.roles.map((role) => ({ key: role.key, label: role.label }));
      const result = [{ value: '', label: translate('(no role)') }];
      result.push(...roles.map((role) => ({ value: role.key, label: role.label })));
      const current = currentKey();
      if (current && !roles.some((role) => role.key === current)) {
        result.push({ value: current, label: translate('{value} (unknown here)', { value: current }) });
      }
      return result;
    },
  });
}

function ParameterField({ element, id, parameter, property, label, description }) {
  const translate = useService('translate');
  const commandStack = useService('commandStack');
  const debounce = useService('debounceInput');
  return h(TextFieldEntry, {
    element: parameter,
    id,
    label: translate(label),
    description: description && translate(description),
    debounce,
    getValue: () => parameter.get(property) || '',
    setValue: (value) => updateParameter(element, parameter, { [property]: value }, { commandStack }),
  });
}

function parameterItems(element, injector) {
  const translate = injector.get('translate');
  const commandStack = injector.get('commandStack');
  return getParameters(element.businessObject).map((parameter, index) => {
    const prefix = `${element.id}-parameter-${index}`;
    return {
      id: prefix,
      label: parameter.get('id') || translate('(unnamed)'),
      autoFocusEntry: `${prefix}-id`,
      remove: () => removeParameter(element, parameter, { commandStack }),
      entries: [
        { id: `${prefix}-id`, component: ParameterField, element, parameter, property: 'id', label: 'Argument', isEdited: isTextFieldEntryEdited },
        { id: `${prefix}-type`, component: ParameterField, element, parameter, property: 'type', label: 'Type', isEdited: isTextFieldEntryEdited },
        {
          id: `${prefix}-value`, component: ParameterField, element, parameter, property: 'value', label: 'Value',
          description: 'An expression over task data, e.g. panel_id or "creation"', isEdited: isTextFieldEntryEdited,
        },
      ],
    };
  });
}

export default class ConsiliumPropertiesProvider {
  constructor(propertiesPanel, injector) {
    this._injector = injector;
    propertiesPanel.registerProvider(LOW_PRIORITY, this);
  }

  getGroups(element) {
    return (groups) => {
      const translate = this._injector.get('translate');
      const entries = [];
      if (is(element, 'bpmn:UserTask')) {
        entries.push({ id: 'consilium-form', element, component: FormEntry, isEdited: isSelectEntryEdited });
      } else if (is(element, 'bpmn:ServiceTask')) {
        entries.push({ id: 'consilium-handler', element, component: HandlerEntry, isEdited: isSelectEntryEdited });
      } else if (is(element, 'bpmn:Lane')) {
        entries.push({ id: 'consilium-role', element, component: RoleEntry, isEdited: isSelectEntryEdited });
      }
      if (!entries.length) {
        return groups;
      }
      const consilium = { id: 'consilium', label: translate('Consilium'), entries, component: Group, shouldOpen: true };
      const general = groups.findIndex((group) => group.id === 'general');
      groups.splice(general + 1, 0, consilium);
      if (is(element, 'bpmn:ServiceTask') && getOperator(element.businessObject)) {
        const bpmnFactory = this._injector.get('bpmnFactory');
        const commandStack = this._injector.get('commandStack');
        groups.splice(general + 2, 0, {
          id: 'consilium-parameters',
          label: translate('Handler arguments'),
          component: ListGroup,
          shouldOpen: true,
          items: parameterItems(element, this._injector),
          add: (event) => {
            event.stopPropagation();
            addParameter(element, { id: '', type: 'str', value: '' }, { bpmnFactory, commandStack });
          },
        });
      }
      return groups;
    };
  }
}

ConsiliumPropertiesProvider.$inject = ['propertiesPanel', 'injector'];
