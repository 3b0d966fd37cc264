import type { AttrDecl, ExtensionDecl } from '../types.js';

/** Stored as the network's segments by ML2, which filters on them. */
const admin = { post: true, put: true, filter: 'plugin', policy: 'admin', adminOnlyVisible: true } as const;

export const providerAttributes = {
  'provider:network_type': { type: { kind: 'string', maxLength: 32 }, ...admin },
  'provider:physical_network': { type: { kind: 'string', maxLength: 64 }, nullable: true, ...admin },
  'provider:segmentation_id': { type: { kind: 'integer', min: 0 }, nullable: true, ...admin },
} as const satisfies Record<string, AttrDecl>;

/** Admins choose a network's segment; ML2's type drivers check and claim it. */
export const provider = {
  alias: 'provider',
  name: 'Provider Network',
  description: 'provider:network_type, provider:physical_network and provider:segmentation_id describe how a network is carried.',
  updated: '2012-09-07T10:00:00-00:00',
  extends: { networks: providerAttributes },
} as const satisfies ExtensionDecl;

export const multiProvider = {
  alias: 'multi-provider',
  name: 'Multi Provider Network',
  description: 'A network made of several segments, given and shown as a `segments` list.',
  updated: '2013-06-27T10:00:00-00:00',
  extends: {
    networks: {
      segments: {
        type: {
          kind: 'list',
          of: {
            kind: 'object',
            fields: {
              'provider:network_type': { type: { kind: 'string', maxLength: 32 }, required: true },
              'provider:physical_network': { type: { kind: 'string', maxLength: 64 }, nullable: true },
              'provider:segmentation_id': { type: { kind: 'integer', min: 0 }, nullable: true },
            },
          },
        },
        post: true,
        put: true,
        policy: 'admin',
        adminOnlyVisible: true,
      },
    },
  },
} as const satisfies ExtensionDecl;
