/**
 * Address groups (neutron-lib api/definitions/address_group.py,
 * rbac_address_groups.py, security_groups_remote_address_group.py): named
 * sets of CIDRs that a security group rule names as its remote end instead
 * of one prefix or a remote group. Shared through RBAC entries
 * (object_type address_group).
 *
 * `addresses` are normalised by the plugin (host bits cleared) and change
 * only through the `add_addresses` / `remove_addresses` member actions,
 * whose bodies are not validated as CIDRs: upstream parses them as netaddr
 * does (a bare address is a /32 or /128), so an address missing from the
 * group is a 404, and only text that is no address at all a 400.
 */
import { bool, cidr, name, projectId, uuid } from '../attributeTypes.js';
import { ADMIN_OR_PROJECT_MEMBER, ADMIN_OR_PROJECT_READER, deprecated, or, RULE_ADMIN_OR_OWNER, RULE_ANY } from '../policyRules.js';
import type { ExtensionDecl, ResourceDecl } from '../types.js';

/** An action's addresses, checked by the plugin (its own errors: AddrFormatError, AddressesNotFound). */
const requestedAddresses = { kind: 'list', of: { kind: 'any' } } as const;

export const addressGroups = {
  collection: 'address-groups',
  member: 'address_group',
  table: 'address_groups',
  standardAttributes: true,
  taggable: true,
  notFound: { type: 'AddressGroupNotFound', message: (id) => `Address group ${id} could not be found.` },
  attributes: {
    id: { type: uuid, filter: true, sort: true, column: 'id' },
    name: { type: name, post: true, put: true, default: '', filter: true, sort: true, column: 'name' },
    tenant_id: { type: projectId, post: true, filter: true, sort: true, column: 'project_id' },
    // Stored in address_associations; null means none.
    addresses: { type: { kind: 'list', of: cidr }, post: true, nullable: true },
    // Derived for the caller from the RBAC entries; upstream keeps it out of responses (is_visible False) and filters.
    // Its default keeps it out of what an update's refusal is decided on, as upstream: a project it is shared with gets a 404.
    shared: { type: bool, default: false, visible: false },
  },
  actions: {
    add_addresses: { method: 'PUT', body: { addresses: { type: requestedAddresses } } },
    remove_addresses: { method: 'PUT', body: { addresses: { type: requestedAddresses } } },
  },
  // neutron/conf/policies/address_group.py
  policy: {
    rules: {
      shared_address_groups: 'field:address_groups:shared=True',
      create_address_group: deprecated(ADMIN_OR_PROJECT_MEMBER, RULE_ANY),
      get_address_group: deprecated(or(ADMIN_OR_PROJECT_READER, 'rule:shared_address_groups'), or(RULE_ADMIN_OR_OWNER, 'rule:shared_address_groups')),
      update_address_group: deprecated(ADMIN_OR_PROJECT_MEMBER, RULE_ADMIN_OR_OWNER),
      delete_address_group: deprecated(ADMIN_OR_PROJECT_MEMBER, RULE_ADMIN_OR_OWNER),
      add_addresses: deprecated(ADMIN_OR_PROJECT_MEMBER, RULE_ADMIN_OR_OWNER),
      remove_addresses: deprecated(ADMIN_OR_PROJECT_MEMBER, RULE_ADMIN_OR_OWNER),
    },
  },
} as const satisfies ResourceDecl;

export const addressGroup = {
  alias: 'address-group',
  name: 'Address group',
  description: 'Address groups: named sets of CIDRs that security group rules use as their remote end.',
  updated: '2020-07-15T10:00:00-00:00',
  resources: [addressGroups],
} as const satisfies ExtensionDecl;

/** Behaviour only: address groups can be shared through access_as_shared entries. */
export const rbacAddressGroup = {
  alias: 'rbac-address-group',
  name: 'Add address_group type to RBAC',
  description: 'RBAC entries may share address groups (object_type address_group).',
  updated: '2021-01-20T00:00:00-00:00',
} as const satisfies ExtensionDecl;

export const securityGroupsRemoteAddressGroup = {
  alias: 'security-groups-remote-address-group',
  name: 'Remote address group id field for security group rules',
  description: "remote_address_group_id: a rule's remote end is an address group (not with remote_ip_prefix or remote_group_id).",
  updated: '2020-08-25T10:00:00-00:00',
  extends: {
    'security-group-rules': {
      // Up to 36 characters, not checked as a UUID: an unknown id is 404 AddressGroupNotFound (upstream validates nothing).
      remote_address_group_id: {
        type: { kind: 'string', maxLength: 36 },
        post: true,
        nullable: true,
        default: null,
        filter: true,
        sort: true,
        column: 'remote_address_group_id',
      },
    },
  },
} as const satisfies ExtensionDecl;
