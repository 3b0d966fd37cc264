import { dict, string255 } from '../attributeTypes.js';
import { ADMIN_OR_SERVICE } from '../policyRules.js';
import type { ExtensionDecl, ResourceDecl } from '../types.js';

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
        type: dict, post: true, put: true, nullable: true, default: () => ({}), policy: 'admin', adminOnlyVisible: true, column: 'binding_profile',
      },
      'binding:vif_type': { type: string255, adminOnlyVisible: true, column: 'binding_vif_type' },
      'binding:vif_details': { type: dict, adminOnlyVisible: true, column: 'binding_vif_details' },
    },
  },
} as const satisfies ExtensionDecl;

/**
 * /v2.0/ports/{port_id}/bindings (neutron-lib's portbindings_extended): a
 * port's bindings, one per host, at most one ACTIVE (the one its
 * `binding:*` attributes show), the others INACTIVE until activated, as
 * Nova's live migration uses them. Named by host in URLs.
 */
export const portBindings = {
  collection: 'bindings',
  parent: 'ports',
  member: 'binding',
  primaryKey: 'host',
  bulk: false,
  notFound: { type: 'PortBindingNotFound', message: (host) => `Binding for host ${host} could not be found.` },
  attributes: {
    // Filtered by the plugin over a port's few bindings; no sort keys, as upstream (no is_sort_key).
    host: { type: string255, post: true, required: true, filter: 'plugin' },
    vif_type: { type: string255, filter: 'plugin' },
    vnic_type: { type: { kind: 'enum', values: vnicTypes }, post: true, put: true, default: 'normal', filter: 'plugin' },
    status: { type: string255, filter: 'plugin' },
    profile: { type: dict, post: true, put: true, nullable: true, default: () => ({}) },
    vif_details: { type: dict },
  },
  actions: { activate: { method: 'PUT' } },
  // neutron/conf/policies/port_bindings.py, with admins allowed too where upstream names the service role alone
  // (as for binding:profile, see api/policy/neutronDefaults.ts); update_port_binding has no rule upstream (the default rule: admins).
  policy: {
    name: 'port_binding',
    rules: {
      get_port_binding: ADMIN_OR_SERVICE,
      create_port_binding: ADMIN_OR_SERVICE,
      delete_port_binding: ADMIN_OR_SERVICE,
      activate: ADMIN_OR_SERVICE,
    },
  },
} as const satisfies ResourceDecl;

export const bindingExtended = {
  alias: 'binding-extended',
  name: 'Port Bindings Extended',
  description: 'Expose port bindings of a virtual port to external application',
  updated: '2017-07-17T10:00:00-00:00',
  resources: [portBindings],
} as const satisfies ExtensionDecl;
