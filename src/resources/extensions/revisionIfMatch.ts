import type { ExtensionDecl } from '../types.js';

/** Behaviour only: `If-Match: revision_number=N` on PUT and DELETE. */
export const revisionIfMatch = {
  alias: 'revision-if-match',
  name: 'If-Match constraints based on revision_number',
  description: 'Updates and deletes can be made conditional on the current revision_number with If-Match.',
  updated: '2016-12-11T00:00:00-00:00',
} as const satisfies ExtensionDecl;
