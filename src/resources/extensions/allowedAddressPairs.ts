import { mac } from '../attributeTypes.js';
import type { ExtensionDecl } from '../types.js';

export const allowedAddressPairs = {
  alias: 'allowed-address-pairs',
  name: 'Allowed Address Pairs',
  description: 'Extra MAC/IP pairs a port may send from, for VRRP and similar.',
  updated: '2013-07-23T10:00:00-00:00',
  extends: {
    ports: {
      allowed_address_pairs: {
        type: {
          kind: 'list',
          of: {
            kind: 'object',
            fields: { ip_address: { type: { kind: 'ip-or-cidr' }, required: true }, mac_address: { type: mac } },
          },
        },
        post: true,
        put: true,
        default: () => [],
      },
    },
  },
} as const satisfies ExtensionDecl;
