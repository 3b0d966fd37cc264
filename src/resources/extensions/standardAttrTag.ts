import { string255 } from '../attributeTypes.js';
import type { ExtensionDecl } from '../types.js';

/** The `tags` attribute; the /tags sub-resource and the tag filters are generic in api/. */
export const standardAttrTag = {
  alias: 'standard-attr-tag',
  name: 'Tag support for resources with standard attribute: network, subnet, port',
  description: 'String tags on resources, managed through the tags sub-resource and usable as list filters.',
  updated: '2017-01-01T00:00:00-00:00',
  extendsStandard: {
    // Filtered on with tags, tags-any, not-tags and not-tags-any (api/listQuery.ts), not as ?tags=.
    tags: { type: { kind: 'list', of: string255 } },
  },
} as const satisfies ExtensionDecl;

export const tagCreation = {
  alias: 'tag-creation',
  name: 'Tag creation extension',
  description: 'POST on the tags sub-resource adds tags to those a resource already has.',
  updated: '2024-23-07T10:00:00-00:00',
} as const satisfies ExtensionDecl;
