import { bool } from '../attributeTypes.js';
import type { ExtensionDecl } from '../types.js';

export const externalNet = {
  alias: 'external-net',
  name: 'Neutron external network',
  description: 'router:external marks networks that routers use as gateways and floating IPs come from.',
  updated: '2013-01-14T10:00:00-00:00',
  extends: {
    networks: {
      'router:external': { type: bool, post: true, put: true, default: false, filter: true, policy: 'admin', column: 'router_external' },
    },
  },
} as const satisfies ExtensionDecl;
