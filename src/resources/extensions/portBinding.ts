import { dict, string255 } from '../attributeTypes.js';
import type { ExtensionDecl } from '../types.js';

export const vnicTypes = [
  'normal', 'direct', 'macvtap', 'baremetal', 'direct-physical', 'virtio-forwarder', 'smart-nic', 'vdpa',
  'accelerator-direct', 'accelerator-direct-physical', 'remote-managed',
] as const;

/** Stored as given here; ML2 binds ports and fills vif_type and vif_details. */
export const portBinding = {
  alias: 'binding',
  name: 'Port Binding',
  description: 'Which host a port is bound to and how the hypervisor plugs it (binding:* attributes).',
  updated: '2014-02-03T10:00:00-00:00',
  extends: {
    ports: {
      'binding:host_id': {
        type: string255, post: true, put: true, default: '', filter: true, policy: 'admin', adminOnlyVisible: true, column: 'binding_host_id',
      },
      'binding:vnic_type': {
        type: { kind: 'enum', values: vnicTypes }, post: true, put: true, default: 'normal', filter: true, column: 'binding_vnic_type',
      },
      'binding:profile': {
        type: dict, post: true, put: true, default: () => ({}), policy: 'admin', adminOnlyVisible: true, column: 'binding_profile',
      },
      'binding:vif_type': { type: string255, adminOnlyVisible: true, column: 'binding_vif_type' },
      'binding:vif_details': { type: dict, adminOnlyVisible: true, column: 'binding_vif_details' },
    },
  },
} as const satisfies ExtensionDecl;
