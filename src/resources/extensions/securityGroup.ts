/**
 * Security groups (neutron/extensions/securitygroup.py and the neutron-lib
 * definitions that add to it): the `security-groups` and
 * `security-group-rules` collections, a port's `security_groups`, and the
 * small extensions that add one attribute each.
 *
 * A rule's protocol, port range, ethertype and remote_ip_prefix have
 * upstream converters of their own (with their own error types), so they are
 * declared `any` here and converted by plugins/securitygroups/ruleInput.ts.
 */
import { bool, projectId, string255, uuid, uuidList } from '../attributeTypes.js';
import {
  ADMIN_OR_PROJECT_MEMBER,
  ADMIN_OR_PROJECT_READER,
  ADMIN_OR_SG_OWNER_MEMBER,
  ADMIN_OR_SG_OWNER_READER,
  deprecated,
  or,
  RULE_ADMIN_OR_OWNER,
  RULE_ANY,
} from '../policyRules.js';
import type { ExtensionDecl, ResourceDecl } from '../types.js';

/** Up to 36 characters, not checked as a UUID: an unknown id is a 404, not a 400 (upstream validates type:string). */
const groupId = { kind: 'string', maxLength: 36 } as const;
const converted = { kind: 'any' } as const;

export const securityGroups = {
  collection: 'security-groups',
  member: 'security_group',
  table: 'securitygroups',
  standardAttributes: true,
  taggable: true,
  notFound: { type: 'SecurityGroupNotFound', message: (id) => `Security group ${id} does not exist` },
  quota: {},
  attributes: {
    id: { type: uuid, filter: true, sort: true, column: 'id' },
    // `default` (any case) is refused by the plugin: SecurityGroupDefaultAlreadyExists (409).
    name: { type: string255, post: true, put: true, default: '', filter: true, sort: true, column: 'name' },
    tenant_id: { type: projectId, post: true, filter: true, sort: true, column: 'project_id' },
    security_group_rules: { type: { kind: 'list', of: { kind: 'dict' } } },
  },
  // neutron/conf/policies/security_group.py
  policy: {
    foreignKey: 'security_group_id',
    rules: {
      admin_or_sg_owner: 'rule:context_is_admin or project_id:%(security_group:project_id)s',
      admin_owner_or_sg_owner: 'rule:owner or rule:admin_or_sg_owner',
      shared_security_group: 'field:security_groups:shared=True',
      create_security_group: deprecated(ADMIN_OR_PROJECT_MEMBER, RULE_ADMIN_OR_OWNER),
      'create_security_group:tags': ADMIN_OR_PROJECT_MEMBER,
      get_security_group: deprecated(or(ADMIN_OR_PROJECT_READER, 'rule:shared_security_group'), RULE_ANY),
      'get_security_group:tags': or(ADMIN_OR_PROJECT_READER, 'rule:shared_security_group'),
      update_security_group: deprecated(ADMIN_OR_PROJECT_MEMBER, RULE_ADMIN_OR_OWNER),
      'update_security_group:tags': ADMIN_OR_PROJECT_MEMBER,
      delete_security_group: deprecated(ADMIN_OR_PROJECT_MEMBER, RULE_ADMIN_OR_OWNER),
      'delete_security_group:tags': ADMIN_OR_PROJECT_MEMBER,
    },
  },
} as const satisfies ResourceDecl;

export const securityGroupRules = {
  collection: 'security-group-rules',
  member: 'security_group_rule',
  table: 'securitygrouprules',
  // Upstream has no update: delete and create instead.
  immutable: true,
  standardAttributes: true,
  notFound: { type: 'SecurityGroupRuleNotFound', message: (id) => `Security group rule ${id} does not exist` },
  quota: {},
  attributes: {
    id: { type: uuid, filter: true, sort: true, column: 'id' },
    security_group_id: { type: groupId, post: true, required: true, filter: true, sort: true, column: 'security_group_id' },
    remote_group_id: { type: groupId, post: true, nullable: true, default: null, filter: true, sort: true, column: 'remote_group_id' },
    direction: { type: { kind: 'enum', values: ['ingress', 'egress'] }, post: true, required: true, filter: true, sort: true, column: 'direction' },
    protocol: { type: converted, post: true, default: null, filter: true, sort: true, column: 'protocol' },
    port_range_min: { type: converted, post: true, default: null, filter: true, sort: true, column: 'port_range_min' },
    port_range_max: { type: converted, post: true, default: null, filter: true, sort: true, column: 'port_range_max' },
    ethertype: { type: converted, post: true, default: 'IPv4', filter: true, sort: true, column: 'ethertype' },
    remote_ip_prefix: { type: converted, post: true, default: null, filter: true, sort: true, column: 'remote_ip_prefix' },
    tenant_id: { type: projectId, post: true, filter: true, sort: true, column: 'project_id' },
  },
  policy: {
    createParent: 'security_group',
    rules: {
      rule_default_sg: 'field:security_group_rules:belongs_to_default_sg=True',
      create_security_group_rule: deprecated(ADMIN_OR_SG_OWNER_MEMBER, RULE_ADMIN_OR_OWNER),
      get_security_group_rule: deprecated(ADMIN_OR_SG_OWNER_READER, 'rule:admin_owner_or_sg_owner'),
      delete_security_group_rule: deprecated(ADMIN_OR_SG_OWNER_MEMBER, RULE_ADMIN_OR_OWNER),
    },
  },
} as const satisfies ResourceDecl;

export const securityGroup = {
  alias: 'security-group',
  name: 'security-group',
  description: 'Security groups: sets of rules allowing traffic to and from the ports that use them.',
  updated: '2012-10-05T10:00:00-00:00',
  resources: [securityGroups, securityGroupRules],
  extends: {
    // Not given on create: the project's default group (none for network:* ports); null means [].
    ports: { security_groups: { type: uuidList, post: true, put: true, nullable: true, filter: 'plugin' } },
  },
} as const satisfies ExtensionDecl;

export const statefulSecurityGroup = {
  alias: 'stateful-security-group',
  name: 'Stateful security group',
  description: 'stateful=false makes a security group stateless: replies need rules of their own.',
  updated: '2019-11-26T09:00:00-00:00',
  extends: {
    'security-groups': { stateful: { type: bool, post: true, put: true, default: true, filter: true, column: 'stateful' } },
  },
} as const satisfies ExtensionDecl;

/** Behaviour only: ports can be listed with `security_groups=<id>`. */
export const portSecurityGroupsFiltering = {
  alias: 'port-security-groups-filtering',
  name: 'Port filtering on security groups',
  description: 'Ports can be listed by the security groups they use: security_groups=<id>.',
  updated: '2018-01-09T09:00:00-00:00',
} as const satisfies ExtensionDecl;

export const securityGroupsNormalizedCidr = {
  alias: 'security-groups-normalized-cidr',
  name: 'Normalized CIDR field for security group rules',
  description: "normalized_cidr: a rule's remote_ip_prefix with the host bits cleared.",
  updated: '2020-07-28T10:00:00-00:00',
  extends: {
    'security-group-rules': { normalized_cidr: { type: { kind: 'cidr' }, filter: true, sort: true, column: 'normalized_cidr' } },
  },
} as const satisfies ExtensionDecl;

/** `shared`: whether the group is shared with the caller (rbac-security-groups entries), a filter too. */
export const securityGroupsSharedFiltering = {
  alias: 'security-groups-shared-filtering',
  name: 'Security group filtering on the shared field',
  description: 'shared: whether a security group is shared with the caller through RBAC; security groups can be listed by it.',
  updated: '2021-10-05T09:00:00-00:00',
  extends: {
    'security-groups': { shared: { type: bool, filter: 'plugin' } },
  },
} as const satisfies ExtensionDecl;

export const securityGroupsRulesBelongsToDefaultSg = {
  alias: 'security-groups-rules-belongs-to-default-sg',
  name: "Security group rule belongs to the project's default security group",
  description: "belongs_to_default_sg: whether a rule is in its project's default security group.",
  updated: '2023-05-23T10:00:00-00:00',
  extends: {
    'security-group-rules': { belongs_to_default_sg: { type: bool, filter: 'plugin' } },
  },
} as const satisfies ExtensionDecl;
