import type { ExtensionDecl } from '../types.js';

/**
 * `mtu` is declared once, writable, as net-mtu-writable makes it: both
 * extensions are always loaded together, and an attribute is declared by
 * one extension only.
 */
export const netMtu = {
  alias: 'net-mtu',
  name: 'Network MTU',
  description: 'The largest packet a network carries without fragmentation, as computed from its segments.',
  updated: '2015-03-25T10:00:00-00:00',
  extends: {
    // 0 (the default) is the largest the segments carry; more than that is refused by ML2.
    networks: { mtu: { type: { kind: 'integer', min: 0 }, post: true, put: true, default: 0, filter: true, sort: true, column: 'mtu' } },
  },
} as const satisfies ExtensionDecl;

/** Behaviour only: `mtu` may be given on create and update (declared above). */
export const netMtuWritable = {
  alias: 'net-mtu-writable',
  name: 'Network MTU (writable)',
  description: "A network's MTU may be chosen on create and update, up to what its segments carry.",
  updated: '2017-07-12T00:00:00-00:00',
} as const satisfies ExtensionDecl;
