/**
 * Subnet pools (neutron-lib api/definitions/subnetpool.py, a core resource
 * of Neutron's, advertised by the `subnet_allocation` extension): ranges of
 * addresses from which subnets take a block of the size they ask for, so
 * that projects need not choose CIDRs themselves.
 *
 * `default-subnetpools` lets a subnet ask for the pool marked `is_default`
 * of its IP version (`use_default_subnetpool`), and `subnetpool-prefix-ops`
 * adds the `add_prefixes` / `remove_prefixes` member actions, `subnet_onboard`
 * `onboard_network_subnets` (a network's subnets move into the pool). A pool's
 * `address_scope_id` comes with the address-scope extension.
 *
 * Prefix lengths are integers in requests and strings in responses, as
 * Neutron's _make_subnetpool_dict shows them.
 */
import { bool, cidr, nonNegative, projectId, uuid } from '../attributeTypes.js';
import { ADMIN, ADMIN_OR_PROJECT_MEMBER, ADMIN_OR_PROJECT_READER, deprecated, or, RULE_ADMIN_OR_OWNER, RULE_ANY } from '../policyRules.js';
import type { ExtensionDecl, ResourceDecl } from '../types.js';

const prefixList = { kind: 'list', of: cidr } as const;

const OWNER_OR_SHARED_READER = or(ADMIN_OR_PROJECT_READER, 'rule:shared_subnetpools');

export const subnetpools = {
  collection: 'subnetpools',
  member: 'subnetpool',
  table: 'subnetpools',
  standardAttributes: true,
  taggable: true,
  notFound: { type: 'SubnetPoolNotFound', message: (id) => `Subnet pool ${id} could not be found.` },
  quota: {},
  attributes: {
    id: { type: uuid, filter: true, sort: true, column: 'id' },
    name: { type: { kind: 'string', maxLength: 255, notEmpty: true }, post: true, put: true, required: true, filter: true, sort: true, column: 'name' },
    tenant_id: { type: projectId, post: true, filter: true, sort: true, column: 'project_id' },
    // Stored in subnetpoolprefixes, normalised and merged by the plugin.
    prefixes: { type: prefixList, post: true, put: true, required: true },
    // Absent: no quota. In addresses (/32s of IPv4, /64s of IPv6) per project.
    default_quota: { type: nonNegative, post: true, put: true, filter: true, sort: true, column: 'default_quota' },
    // The prefixes'.
    ip_version: { type: { kind: 'enum', values: [4, 6] }, filter: true, sort: true, column: 'ip_version' },
    // Absent: min_prefixlen, 8 (IPv4) or 64 (IPv6), the version's bits.
    default_prefixlen: { type: nonNegative, post: true, put: true, filter: true, sort: true, column: 'default_prefixlen' },
    min_prefixlen: { type: nonNegative, post: true, put: true, filter: true, sort: true, column: 'min_prefixlen' },
    max_prefixlen: { type: nonNegative, post: true, put: true, filter: true, sort: true, column: 'max_prefixlen' },
    is_default: { type: bool, post: true, put: true, default: false, filter: true, sort: true, column: 'is_default' },
    // Set once, by an admin: a PUT of shared is refused. Derived for the caller from the RBAC entries (rbac-policies).
    shared: { type: bool, post: true, default: false, filter: 'plugin' },
  },
  actions: {
    // subnetpool-prefix-ops: {"prefixes": [...]} in, {"prefixes": [...]} (the pool's, after) out.
    add_prefixes: { method: 'PUT', body: { prefixes: { type: prefixList } } },
    remove_prefixes: { method: 'PUT', body: { prefixes: { type: prefixList } } },
    // subnet_onboard: {"network_id": ...} in, the onboarded subnets ([{"id", "cidr"}]) out.
    onboard_network_subnets: { method: 'PUT', body: { network_id: { type: { kind: 'string' }, nullable: true } }, answersList: true },
  },
  // neutron/conf/policies/subnetpool.py
  policy: {
    rules: {
      shared_subnetpools: 'field:subnetpools:shared=True',
      create_subnetpool: deprecated(ADMIN_OR_PROJECT_MEMBER, RULE_ANY),
      'create_subnetpool:shared': ADMIN,
      'create_subnetpool:is_default': ADMIN,
      'create_subnetpool:tags': ADMIN_OR_PROJECT_MEMBER,
      get_subnetpool: deprecated(OWNER_OR_SHARED_READER, or(RULE_ADMIN_OR_OWNER, 'rule:shared_subnetpools')),
      'get_subnetpool:tags': OWNER_OR_SHARED_READER,
      update_subnetpool: deprecated(ADMIN_OR_PROJECT_MEMBER, RULE_ADMIN_OR_OWNER),
      'update_subnetpool:is_default': ADMIN,
      'update_subnetpool:tags': ADMIN_OR_PROJECT_MEMBER,
      delete_subnetpool: deprecated(ADMIN_OR_PROJECT_MEMBER, RULE_ADMIN_OR_OWNER),
      'delete_subnetpool:tags': ADMIN_OR_PROJECT_MEMBER,
      onboard_network_subnets: deprecated(ADMIN_OR_PROJECT_MEMBER, RULE_ADMIN_OR_OWNER),
      add_prefixes: deprecated(ADMIN_OR_PROJECT_MEMBER, RULE_ADMIN_OR_OWNER),
      remove_prefixes: deprecated(ADMIN_OR_PROJECT_MEMBER, RULE_ADMIN_OR_OWNER),
    },
  },
} as const satisfies ResourceDecl;

export const subnetAllocation = {
  alias: 'subnet_allocation',
  name: 'Subnet Allocation',
  description: 'Subnet pools: subnets take their blocks from a pool of prefixes instead of naming a CIDR.',
  updated: '2015-03-30T10:00:00-00:00',
  resources: [subnetpools],
} as const satisfies ExtensionDecl;

export const defaultSubnetpools = {
  alias: 'default-subnetpools',
  name: 'Default Subnetpools',
  description: 'is_default marks the pool that use_default_subnetpool takes a subnet from, one per IP version.',
  updated: '2016-02-18T18:00:00-00:00',
  extends: {
    // Takes a block from the pool marked is_default of the subnet's IP version.
    subnets: { use_default_subnetpool: { type: bool, post: true, default: false, visible: false } },
  },
} as const satisfies ExtensionDecl;

export const subnetpoolPrefixOps = {
  alias: 'subnetpool-prefix-ops',
  name: 'Subnet Pool Prefix Operations',
  description: "add_prefixes and remove_prefixes change a pool's prefixes in place.",
  updated: '2019-02-08T10:00:00-00:00',
} as const satisfies ExtensionDecl;

export const subnetOnboard = {
  alias: 'subnet_onboard',
  name: 'Subnet Onboard',
  description: 'Provides support for onboarding subnets into subnet pools',
  updated: '2018-12-18T09:00:00-00:00',
} as const satisfies ExtensionDecl;
