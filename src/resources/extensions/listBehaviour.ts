import type { ExtensionDecl } from '../types.js';

/** Extensions that describe list behaviour only. */
export const pagination = {
  alias: 'pagination',
  name: 'Pagination support',
  description: 'Lists accept limit, marker and page_reverse and return next/previous links.',
  updated: '2016-06-12T00:00:00-00:00',
} as const satisfies ExtensionDecl;

export const sorting = {
  alias: 'sorting',
  name: 'Sorting support',
  description: 'Lists accept paired sort_key and sort_dir parameters.',
  updated: '2016-06-12T00:00:00-00:00',
} as const satisfies ExtensionDecl;

export const filterValidation = {
  alias: 'filter-validation',
  name: 'Filter parameters validation',
  description: 'A list filter on an attribute that cannot be filtered is refused with 400.',
  updated: '2018-07-04T10:00:00-00:00',
} as const satisfies ExtensionDecl;

export const ipSubstringFiltering = {
  alias: 'ip-substring-filtering',
  name: 'IP address substring filtering',
  description: 'Ports can be filtered by a substring of a fixed IP: fixed_ips=ip_address_substr=10.0.',
  updated: '2017-11-28T09:00:00-00:00',
} as const satisfies ExtensionDecl;

/** api/listQuery.ts: `?name=` matches the empty string instead of being ignored. */
export const emptyStringFiltering = {
  alias: 'empty-string-filtering',
  name: 'Empty String Filtering Extension',
  description: 'Allow filtering by attributes with empty string value',
  updated: '2018-05-01T10:00:00-00:00',
} as const satisfies ExtensionDecl;
