import type { ExtensionDecl } from '../types.js';

export const standardAttrDescription = {
  alias: 'standard-attr-description',
  name: 'standard-attr-description',
  description: 'A free-text description on every resource that has the standard attributes.',
  updated: '2016-02-10T10:00:00-00:00',
  extendsStandard: {
    description: { type: { kind: 'string', maxLength: 255 }, post: true, put: true, default: '', filter: true, column: 'description' },
  },
} as const satisfies ExtensionDecl;
