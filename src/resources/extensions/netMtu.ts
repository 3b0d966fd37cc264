import type { ExtensionDecl } from '../types.js';

export const netMtu = {
  alias: 'net-mtu',
  name: 'Network MTU',
  description: 'The largest packet a network carries without fragmentation, as computed from its segments.',
  updated: '2015-03-25T10:00:00-00:00',
  extends: {
    networks: { mtu: { type: { kind: 'integer', min: 0 }, filter: true, sort: true, column: 'mtu' } },
  },
} as const satisfies ExtensionDecl;
