import { timestamp } from '../attributeTypes.js';
import type { ExtensionDecl } from '../types.js';

/** Also enables the `changed_since` list filter. */
export const standardAttrTimestamp = {
  alias: 'standard-attr-timestamp',
  name: 'Resource timestamps',
  description: 'Creation and last-update times (UTC) on every resource that has the standard attributes.',
  updated: '2016-09-12T10:00:00-00:00',
  extendsStandard: {
    created_at: { type: timestamp, sort: true, column: 'created_at' },
    updated_at: { type: timestamp, sort: true, column: 'updated_at' },
  },
} as const satisfies ExtensionDecl;
