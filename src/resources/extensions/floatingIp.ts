/**
 * Floating IPs and what the L3 router plugin adds around them: neutron-lib
 * api/definitions/l3.py (the `floatingips` collection, part of the
 * `router` extension), fip_port_details.py, floatingip_pools.py and
 * fip_pf_detail.py. Names and dates are upstream's, descriptions ours.
 */
import { ipAddress, projectId, string255, uuid } from '../attributeTypes.js';
import { ADMIN, ADMIN_OR_PROJECT_MEMBER, ADMIN_OR_PROJECT_READER, deprecated, RULE_ADMIN_OR_OWNER, RULE_ANY } from '../policyRules.js';
import type { ExtensionDecl, ResourceDecl } from '../types.js';

export const floatingips = {
  collection: 'floatingips',
  member: 'floatingip',
  table: 'floatingips',
  standardAttributes: true,
  taggable: true,
  notFound: { type: 'FloatingIPNotFound', message: (id) => `Floating IP ${id} could not be found` },
  quota: {},
  attributes: {
    id: { type: uuid, filter: true, sort: true, column: 'id' },
    // Admins may ask for an address; otherwise the external network's IPAM picks one.
    floating_ip_address: { type: ipAddress, post: true, nullable: true, default: null, filter: true, sort: true, column: 'floating_ip_address' },
    // Input only: the external subnet to take the address from.
    subnet_id: { type: uuid, post: true, nullable: true, default: null, visible: false },
    floating_network_id: { type: uuid, post: true, required: true, filter: true, sort: true, column: 'floating_network_id' },
    router_id: { type: uuid, nullable: true, filter: true, sort: true, column: 'router_id' },
    port_id: { type: uuid, post: true, put: true, nullable: true, default: null, filter: true, column: 'fixed_port_id' },
    fixed_ip_address: { type: ipAddress, post: true, put: true, nullable: true, default: null, filter: true, sort: true, column: 'fixed_ip_address' },
    tenant_id: { type: projectId, post: true, filter: true, sort: true, column: 'project_id' },
    status: { type: string255, filter: true, sort: true, column: 'status' },
  },
  // neutron/conf/policies/floatingip.py
  policy: {
    rules: {
      create_floatingip: deprecated(ADMIN_OR_PROJECT_MEMBER, RULE_ANY),
      'create_floatingip:floating_ip_address': ADMIN,
      'create_floatingip:tags': ADMIN_OR_PROJECT_MEMBER,
      get_floatingip: deprecated(ADMIN_OR_PROJECT_READER, RULE_ADMIN_OR_OWNER),
      'get_floatingip:tags': ADMIN_OR_PROJECT_READER,
      update_floatingip: deprecated(ADMIN_OR_PROJECT_MEMBER, RULE_ADMIN_OR_OWNER),
      'update_floatingip:tags': ADMIN_OR_PROJECT_MEMBER,
      delete_floatingip: deprecated(ADMIN_OR_PROJECT_MEMBER, RULE_ADMIN_OR_OWNER),
      'delete_floatingip:tags': ADMIN_OR_PROJECT_MEMBER,
    },
  },
} as const satisfies ResourceDecl;

/** port_details: what a floating IP's users want to know of the port behind it without reading the port. */
const portDetails = {
  kind: 'object',
  fields: {
    name: { type: string255 },
    network_id: { type: uuid },
    mac_address: { type: string255 },
    admin_state_up: { type: { kind: 'boolean' } },
    status: { type: string255 },
    device_id: { type: string255 },
    device_owner: { type: string255 },
  },
} as const;

export const fipPortDetails = {
  alias: 'fip-port-details',
  name: 'Floating IP Port Details Extension',
  description: "port_details on floating IPs: the associated port's name, network, MAC, state and device, or null.",
  updated: '2018-04-09T10:00:00-00:00',
  extends: { floatingips: { port_details: { type: portDetails, nullable: true } } },
} as const satisfies ExtensionDecl;

export const floatingipPoolsCollection = {
  collection: 'floatingip_pools',
  member: 'floatingip_pool',
  attributes: {
    subnet_id: { type: uuid },
    subnet_name: { type: string255 },
    network_id: { type: uuid },
    cidr: { type: { kind: 'cidr' } },
    project_id: { type: projectId },
  },
  // neutron/conf/policies/floatingip_pools.py; Zed's deprecated default let every user list them.
  policy: { rules: { get_floatingip_pool: deprecated('role:reader', RULE_ANY) } },
} as const satisfies ResourceDecl;

export const floatingipPools = {
  alias: 'floatingip-pools',
  name: 'Floating IP Pools Extension',
  description: "/v2.0/floatingip_pools: the external networks' IPv4 subnets a floating IP may come from.",
  updated: '2018-03-21T10:00:00-00:00',
  resources: [floatingipPoolsCollection],
} as const satisfies ExtensionDecl;

/** A shim: floating IPs would list their port forwardings; no port forwarding plugin is loaded, so there are none. */
export const fipPortForwardingDetail = {
  alias: 'floating-ip-port-forwarding-detail',
  name: 'Floating IP port forwarding detail',
  description: "Floating IPs would show their port forwardings' ids and internal ports.",
  updated: '2022-05-06T10:00:00-00:00',
} as const satisfies ExtensionDecl;
