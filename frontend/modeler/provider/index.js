import ConsiliumPropertiesProvider from './ConsiliumPropertiesProvider';

export default {
  __init__: ['consiliumPropertiesProvider'],
  consiliumPropertiesProvider: ['type', ConsiliumPropertiesProvider],
};
