import type { ExtensionDecl } from '../types.js';

export const standardAttrRevisions = {
  alias: 'standard-attr-revisions',
  name: 'Resource revision numbers',
  description: 'A revision_number that grows by one with every change to a resource.',
  updated: '2016-04-11T10:00:00-00:00',
  extendsStandard: {
    revision_number: { type: { kind: 'integer', min: 0 }, filter: true, sort: true, column: 'revision_number' },
  },
} as const satisfies ExtensionDecl;
