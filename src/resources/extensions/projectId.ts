import { projectId as projectIdType } from '../attributeTypes.js';
import type { ExtensionDecl } from '../types.js';

export const projectId = {
  alias: 'project-id',
  name: 'project_id field enabled',
  description: 'Every resource carries project_id next to the older tenant_id, always equal.',
  updated: '2016-09-09T09:09:09-09:09',
  extendsOwned: {
    project_id: { type: projectIdType, post: true, filter: true, sort: true, column: 'project_id' },
  },
} as const satisfies ExtensionDecl;
