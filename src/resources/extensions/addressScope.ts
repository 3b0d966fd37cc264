/**
 * Address scopes (neutron-lib api/definitions/address_scope.py): a set of
 * address ranges within which no two subnet pools overlap, so that routers
 * route between them without NAT. Shared scopes are visible to every
 * project; only admins share them, and a shared scope cannot be unshared.
 */
import { bool, name, projectId, uuid } from '../attributeTypes.js';
import { ADMIN, ADMIN_OR_PROJECT_MEMBER, ADMIN_OR_PROJECT_READER, deprecated, or, RULE_ADMIN_OR_OWNER, RULE_ANY } from '../policyRules.js';
import type { ExtensionDecl, ResourceDecl } from '../types.js';

export const addressScopes = {
  collection: 'address-scopes',
  member: 'address_scope',
  table: 'address_scopes',
  notFound: { type: 'AddressScopeNotFound', message: (id) => `Address scope ${id} could not be found` },
  attributes: {
    id: { type: uuid, filter: true, sort: true, column: 'id' },
    name: { type: name, post: true, put: true, default: '', filter: true, sort: true, column: 'name' },
    tenant_id: { type: projectId, post: true, filter: true, sort: true, column: 'project_id' },
    // Derived for the caller from the RBAC entries (rbac-policies): a '*' access_as_shared entry or one for its project.
    shared: { type: bool, post: true, put: true, default: false, filter: 'plugin' },
    ip_version: { type: { kind: 'enum', values: [4, 6] }, post: true, required: true, filter: true, sort: true, column: 'ip_version' },
  },
  // neutron/conf/policies/address_scope.py
  policy: {
    rules: {
      shared_address_scopes: 'field:address_scopes:shared=True',
      create_address_scope: deprecated(ADMIN_OR_PROJECT_MEMBER, RULE_ANY),
      'create_address_scope:shared': ADMIN,
      get_address_scope: deprecated(or(ADMIN_OR_PROJECT_READER, 'rule:shared_address_scopes'), or(RULE_ADMIN_OR_OWNER, 'rule:shared_address_scopes')),
      update_address_scope: deprecated(ADMIN_OR_PROJECT_MEMBER, RULE_ADMIN_OR_OWNER),
      'update_address_scope:shared': ADMIN,
      delete_address_scope: deprecated(ADMIN_OR_PROJECT_MEMBER, RULE_ADMIN_OR_OWNER),
    },
  },
} as const satisfies ResourceDecl;

export const addressScope = {
  alias: 'address-scope',
  name: 'Address scope',
  description: 'Address scopes: sets of subnet pools whose addresses never overlap, routed between without NAT.',
  updated: '2015-07-26T10:00:00-00:00',
  resources: [addressScopes],
  extends: {
    // A pool's scope: one the caller sees, of the pool's IP version, whose other pools' prefixes it does not overlap.
    subnetpools: {
      address_scope_id: { type: uuid, post: true, put: true, nullable: true, default: null, filter: true, sort: true, column: 'address_scope_id' },
    },
    // Read-only: the scope of the pool the network's IPv4 (IPv6) subnets come from, or null (plugins/addressscopes/networkAddressScopes.ts).
    networks: {
      ipv4_address_scope: { type: uuid, nullable: true },
      ipv6_address_scope: { type: uuid, nullable: true },
    },
  },
} as const satisfies ExtensionDecl;
