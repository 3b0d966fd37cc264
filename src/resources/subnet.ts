import { bool, cidr, ipAddress, name, nonNegative, projectId, uuid } from './attributeTypes.js';
import {
  ADMIN,
  ADMIN_OR_NET_OWNER_MEMBER,
  ADMIN_OR_NET_OWNER_READER,
  deprecated,
  or,
  PROJECT_MEMBER,
  PROJECT_READER,
  RULE_ADMIN_OR_NET_OWNER,
  RULE_ADMIN_OR_OWNER,
  SERVICE,
} from './policyRules.js';
import type { ResourceDecl } from './types.js';

const ipv6Mode = { kind: 'enum', values: ['slaac', 'dhcpv6-stateful', 'dhcpv6-stateless'] } as const;

/** The core `subnets` resource (neutron-lib api/definitions/subnet.py). */
export const subnet = {
  collection: 'subnets',
  member: 'subnet',
  table: 'subnets',
  standardAttributes: true,
  taggable: true,
  notFound: { type: 'SubnetNotFound', message: (id) => `Subnet ${id} could not be found.` },
  // The server's own subnets (an HA network of no project) are counted but never refused.
  quota: { exempt: (object) => object.tenant_id === '' },
  attributes: {
    id: { type: uuid, filter: true, sort: true, column: 'id' },
    name: { type: name, post: true, put: true, default: '', filter: true, sort: true, column: 'name' },
    ip_version: { type: { kind: 'enum', values: [4, 6] }, post: true, required: true, filter: true, sort: true, column: 'ip_version' },
    network_id: { type: uuid, post: true, required: true, filter: true, sort: true, column: 'network_id' },
    subnetpool_id: { type: uuid, post: true, nullable: true, filter: true, sort: true, column: 'subnetpool_id' },
    prefixlen: { type: nonNegative, post: true, visible: false },
    cidr: { type: cidr, post: true, filter: true, sort: true, column: 'cidr' },
    gateway_ip: { type: ipAddress, post: true, put: true, nullable: true, filter: true, sort: true, column: 'gateway_ip' },
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
    tenant_id: { type: projectId, post: true, filter: true, sort: true, column: 'project_id' },
    enable_dhcp: { type: bool, post: true, put: true, default: true, filter: true, sort: true, column: 'enable_dhcp' },
    ipv6_ra_mode: { type: ipv6Mode, post: true, nullable: true, default: null, filter: true, sort: true, column: 'ipv6_ra_mode' },
    ipv6_address_mode: { type: ipv6Mode, post: true, nullable: true, default: null, filter: true, sort: true, column: 'ipv6_address_mode' },
    // The network's: filtered on by the plugin.
    shared: { type: bool, filter: 'plugin', visible: false },
  },
  // neutron/conf/policies/subnet.py
  policy: {
    createParent: 'network',
    rules: {
      external_network: 'field:subnets:router:external=True',
      create_subnet: deprecated(ADMIN_OR_NET_OWNER_MEMBER, RULE_ADMIN_OR_NET_OWNER),
      'create_subnet:segment_id': ADMIN,
      'create_subnet:service_types': ADMIN,
      'create_subnet:tags': or(PROJECT_MEMBER, ADMIN_OR_NET_OWNER_MEMBER),
      get_subnet: deprecated(or(PROJECT_READER, 'rule:shared', 'rule:external_network', ADMIN_OR_NET_OWNER_READER, SERVICE), or('rule:shared', 'rule:external_network', RULE_ADMIN_OR_OWNER)),
      'get_subnet:segment_id': ADMIN,
      'get_subnet:tags': or(PROJECT_READER, 'rule:shared', 'rule:external_network', ADMIN_OR_NET_OWNER_READER),
      update_subnet: deprecated(or(PROJECT_MEMBER, ADMIN_OR_NET_OWNER_MEMBER), RULE_ADMIN_OR_NET_OWNER),
      'update_subnet:segment_id': ADMIN,
      'update_subnet:service_types': ADMIN,
      'update_subnet:tags': or(PROJECT_MEMBER, ADMIN_OR_NET_OWNER_MEMBER),
      delete_subnet: deprecated(or(PROJECT_MEMBER, ADMIN_OR_NET_OWNER_MEMBER), RULE_ADMIN_OR_NET_OWNER),
      'delete_subnet:tags': or(PROJECT_MEMBER, ADMIN_OR_NET_OWNER_MEMBER),
    },
  },
} as const satisfies ResourceDecl;
