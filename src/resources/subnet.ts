import { bool, cidr, ipAddress, name, projectId, uuid } from './attributeTypes.js';
import type { ResourceDecl } from './types.js';

const ipv6Mode = { kind: 'enum', values: ['slaac', 'dhcpv6-stateful', 'dhcpv6-stateless'] } as const;

/** The core `subnets` resource (neutron-lib api/definitions/subnet.py). */
export const subnet = {
  collection: 'subnets',
  member: 'subnet',
  standardAttributes: true,
  taggable: true,
  attributes: {
    id: { type: uuid, filter: true, sort: true },
    name: { type: name, post: true, put: true, default: '', filter: true, sort: true },
    ip_version: { type: { kind: 'enum', values: [4, 6] }, post: true, required: true, filter: true, sort: true },
    network_id: { type: uuid, post: true, required: true, filter: true, sort: true },
    subnetpool_id: { type: uuid, post: true, nullable: true, filter: true, sort: true },
    prefixlen: { type: { kind: 'integer', min: 0, max: 128 }, post: true, visible: false },
    cidr: { type: cidr, post: true, filter: true, sort: true },
    gateway_ip: { type: ipAddress, post: true, put: true, nullable: true, filter: true, sort: true },
    allocation_pools: {
      type: {
        kind: 'list',
        of: { kind: 'object', fields: { start: { type: ipAddress, required: true }, end: { type: ipAddress, required: true } } },
      },
      post: true,
      put: true,
    },
    dns_nameservers: { type: { kind: 'list', of: ipAddress }, post: true, put: true, default: () => [] },
    host_routes: {
      type: {
        kind: 'list',
        of: { kind: 'object', fields: { destination: { type: cidr, required: true }, nexthop: { type: ipAddress, required: true } } },
      },
      post: true,
      put: true,
      default: () => [],
    },
    tenant_id: { type: projectId, post: true, filter: true, sort: true },
    enable_dhcp: { type: bool, post: true, put: true, default: true, filter: true, sort: true },
    ipv6_ra_mode: { type: ipv6Mode, post: true, nullable: true, default: null, filter: true, sort: true },
    ipv6_address_mode: { type: ipv6Mode, post: true, nullable: true, default: null, filter: true, sort: true },
    shared: { type: bool, filter: true, visible: false },
    use_default_subnetpool: { type: bool, post: true, default: false, visible: false },
  },
} as const satisfies ResourceDecl;
