import { bool, name, projectId, uuid, uuidList } from './attributeTypes.js';
import type { ResourceDecl } from './types.js';

/** The core `networks` resource (neutron-lib api/definitions/network.py). */
export const network = {
  collection: 'networks',
  member: 'network',
  standardAttributes: true,
  taggable: true,
  attributes: {
    id: { type: uuid, filter: true, sort: true },
    name: { type: name, post: true, put: true, default: '', filter: true, sort: true },
    subnets: { type: uuidList },
    admin_state_up: { type: bool, post: true, put: true, default: true, filter: true, sort: true },
    status: { type: name, filter: true, sort: true },
    tenant_id: { type: projectId, post: true, filter: true, sort: true },
    shared: { type: bool, post: true, put: true, default: false, filter: true, policy: 'admin' },
  },
} as const satisfies ResourceDecl;
