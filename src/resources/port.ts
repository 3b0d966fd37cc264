import { bool, ipAddress, mac, name, projectId, string255, uuid } from './attributeTypes.js';
import type { ResourceDecl } from './types.js';

/** The core `ports` resource (neutron-lib api/definitions/port.py). */
export const port = {
  collection: 'ports',
  member: 'port',
  standardAttributes: true,
  taggable: true,
  attributes: {
    id: { type: uuid, filter: true, sort: true },
    name: { type: name, post: true, put: true, default: '', filter: true, sort: true },
    network_id: { type: uuid, post: true, required: true, filter: true, sort: true },
    admin_state_up: { type: bool, post: true, put: true, default: true, filter: true, sort: true },
    mac_address: { type: mac, post: true, put: true, nullable: true, filter: true, sort: true },
    fixed_ips: {
      type: {
        kind: 'list',
        of: { kind: 'object', fields: { subnet_id: { type: uuid }, ip_address: { type: ipAddress } } },
      },
      post: true,
      put: true,
      filter: true,
    },
    device_id: { type: string255, post: true, put: true, default: '', filter: true, sort: true },
    device_owner: { type: string255, post: true, put: true, default: '', filter: true, sort: true },
    tenant_id: { type: projectId, post: true, filter: true, sort: true },
    status: { type: name, filter: true, sort: true },
  },
} as const satisfies ResourceDecl;
