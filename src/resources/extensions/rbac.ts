/**
 * RBAC policies (neutron/extensions/rbac.py): an object shared with a
 * project, or with every project ('*'). Networks can be shared
 * (access_as_shared: the project sees the network and its subnets and
 * creates ports on it) or made external to a project (access_as_external).
 * Address scopes and subnet pools can be shared too. An object's `shared` is
 * derived from its entries. As in Zed, entries name their target
 * `target_tenant` only (`target_project` came later).
 */
import { projectId, string255, uuid } from '../attributeTypes.js';
import { ADMIN, ADMIN_OR_PROJECT_MEMBER, ADMIN_OR_PROJECT_READER, deprecated, or, RULE_ADMIN_OR_OWNER, RULE_ANY } from '../policyRules.js';
import type { ExtensionDecl, ResourceDecl } from '../types.js';

/** A wildcard target (`*`) is for admins alone. */
const NOT_WILDCARD = 'not field:rbac_policy:target_tenant=*';

export const rbacPolicies = {
  collection: 'rbac-policies',
  member: 'rbac_policy',
  table: 'networkrbacs',
  notFound: { type: 'RbacPolicyNotFound', message: (id) => `RBAC policy of type unknown with ID ${id} not found` },
  quota: {},
  attributes: {
    id: { type: uuid, filter: true, sort: true, column: 'id' },
    tenant_id: { type: projectId, post: true, filter: true, sort: true, column: 'project_id' },
    // Normalized (trimmed, lower case) and checked by the plugin: 'network'.
    object_type: { type: string255, post: true, required: true, filter: 'plugin' },
    object_id: { type: uuid, post: true, required: true, filter: true, sort: true, column: 'object_id' },
    // '*' or a project id (UUID-like), checked by the plugin; the only attribute an update changes.
    target_tenant: { type: projectId, post: true, put: true, required: true, filter: true, sort: true, column: 'target_project' },
    // Depends on the object type (access_as_shared, access_as_external for networks): checked by the plugin.
    action: { type: string255, post: true, required: true, filter: true, sort: true, column: 'action' },
  },
  // neutron/conf/policies/rbac.py
  policy: {
    rules: {
      restrict_wildcard: or(NOT_WILDCARD, 'rule:admin_only'),
      create_rbac_policy: deprecated(ADMIN_OR_PROJECT_MEMBER, RULE_ANY),
      'create_rbac_policy:target_tenant': deprecated(or(ADMIN, NOT_WILDCARD), 'rule:restrict_wildcard'),
      update_rbac_policy: deprecated(ADMIN_OR_PROJECT_MEMBER, RULE_ADMIN_OR_OWNER),
      'update_rbac_policy:target_tenant': deprecated(or(ADMIN, NOT_WILDCARD), 'rule:restrict_wildcard and rule:admin_or_owner'),
      get_rbac_policy: deprecated(ADMIN_OR_PROJECT_READER, RULE_ADMIN_OR_OWNER),
      delete_rbac_policy: deprecated(ADMIN_OR_PROJECT_MEMBER, RULE_ADMIN_OR_OWNER),
    },
  },
} as const satisfies ResourceDecl;

export const rbac = {
  alias: 'rbac-policies',
  name: 'RBAC Policies',
  description: 'Sharing objects with other projects: an entry gives one project, or every project (*), access to a network, an address scope or a subnet pool.',
  updated: '2015-06-17T12:15:12-00:00',
  resources: [rbacPolicies],
} as const satisfies ExtensionDecl;

/** Behaviour only: address scopes can be shared through access_as_shared entries. */
export const rbacAddressScope = {
  alias: 'rbac-address-scope',
  name: 'Add address_scope type to RBAC',
  description: 'RBAC entries may share address scopes (object_type address_scope).',
  updated: '2020-02-12T00:00:00-00:00',
} as const satisfies ExtensionDecl;

/** Behaviour only: subnet pools can be shared through access_as_shared entries. */
export const rbacSubnetpool = {
  alias: 'rbac-subnetpool',
  name: 'Add subnetpool type to RBAC',
  description: 'RBAC entries may share subnet pools (object_type subnetpool).',
  updated: '2020-02-05T00:00:00-00:00',
} as const satisfies ExtensionDecl;

/** Behaviour only: security groups can be shared through access_as_shared entries. */
export const rbacSecurityGroups = {
  alias: 'rbac-security-groups',
  name: 'Add security_group type to network RBAC',
  description: 'RBAC entries may share security groups (object_type security_group): the target project sees the group and its rules and puts it on its ports.',
  updated: '2019-02-14T00:00:00-00:00',
} as const satisfies ExtensionDecl;
