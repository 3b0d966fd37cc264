/**
 * Network segments as a resource of their own (neutron-lib
 * api/definitions/segment.py and standard_attr_segment.py): what carries a
 * network (type, physical network, segmentation id), with a name and the
 * standard attributes. Admin-only, as upstream's policy. Subnets show the
 * segment they are tied to (`segment_id`, routed networks).
 */
import { name, uuid } from '../attributeTypes.js';
import { adminOnly } from '../policyRules.js';
import type { ExtensionDecl, ResourceDecl } from '../types.js';

export const segments = {
  collection: 'segments',
  member: 'segment',
  table: 'networksegments',
  standardAttributes: true,
  notFound: { type: 'SegmentNotFound', message: (id) => `Segment ${id} could not be found.` },
  policy: { rules: adminOnly('segment', { tagsAs: 'segments' }) },
  attributes: {
    id: { type: uuid, filter: true, sort: true, column: 'id' },
    network_id: { type: uuid, post: true, required: true, filter: true, sort: true, column: 'network_id' },
    physical_network: { type: { kind: 'string', maxLength: 64 }, post: true, nullable: true, default: null, filter: true, sort: true, column: 'physical_network' },
    network_type: { type: { kind: 'string', maxLength: 32 }, post: true, required: true, filter: true, sort: true, column: 'network_type' },
    segmentation_id: { type: { kind: 'integer', min: 0 }, post: true, nullable: true, default: null, sort: true, column: 'segmentation_id' },
    name: { type: name, post: true, put: true, nullable: true, default: null, filter: true, sort: true, column: 'name' },
  },
} as const satisfies ResourceDecl;

export const segment = {
  alias: 'segment',
  name: 'Segment',
  description: 'The segments that carry each network (type, physical network, segmentation id), listed and managed by admins.',
  updated: '2016-02-24T17:00:00-00:00',
  resources: [segments],
  extends: {
    // Tying subnets to segments (routed networks) is not implemented: always null, read-only.
    subnets: { segment_id: { type: uuid, nullable: true, filter: true, column: 'segment_id' } },
  },
} as const satisfies ExtensionDecl;

export const standardAttrSegment = {
  alias: 'standard-attr-segment',
  name: 'Standard Attribute Segment Extension',
  description: 'Segments have the standard attributes: description, revision_number, created_at and updated_at.',
  updated: '2018-04-09T10:00:00-00:00',
} as const satisfies ExtensionDecl;
