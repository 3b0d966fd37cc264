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
import type { ExtensionDecl, ResourceDecl } from '../types.js';

/** Up to 36 characters, not checked as a UUID: an unknown id is a 404, not a 400 (upstream validates type:string). */
const groupId = { kind: 'string', maxLength: 36 } as const;
const converted = { kind: 'any' } as const;

export const securityGroups = {
  collection: 'security-groups',
  member: 'security_group',
  standardAttributes: true,
  taggable: true,
  attributes: {
    id: { type: uuid, filter: true, sort: true },
    // `default` (any case) is refused by the plugin: SecurityGroupDefaultAlreadyExists (409).
    name: { type: string255, post: true, put: true, default: '', filter: true, sort: true },
    tenant_id: { type: projectId, post: true, filter: true, sort: true },
    security_group_rules: { type: { kind: 'list', of: { kind: 'dict' } } },
    // True when shared through RBAC; without RBAC policies for security groups it is always false.
    shared: { type: bool, filter: true },
  },
} as const satisfies ResourceDecl;

export const securityGroupRules = {
  collection: 'security-group-rules',
  member: 'security_group_rule',
  standardAttributes: true,
  attributes: {
    id: { type: uuid, filter: true, sort: true },
    security_group_id: { type: groupId, post: true, required: true, filter: true, sort: true },
    remote_group_id: { type: groupId, post: true, nullable: true, default: null, filter: true, sort: true },
    direction: { type: { kind: 'enum', values: ['ingress', 'egress'] }, post: true, required: true, filter: true, sort: true },
    protocol: { type: converted, post: true, default: null, filter: true, sort: true },
    port_range_min: { type: converted, post: true, default: null, filter: true, sort: true },
    port_range_max: { type: converted, post: true, default: null, filter: true, sort: true },
    ethertype: { type: converted, post: true, default: 'IPv4', filter: true, sort: true },
    remote_ip_prefix: { type: converted, post: true, default: null, filter: true, sort: true },
    // Address groups are not implemented: any id given is not found.
    remote_address_group_id: { type: groupId, post: true, nullable: true, default: null, filter: true, sort: true },
    tenant_id: { type: projectId, post: true, filter: true, sort: true },
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
    ports: { security_groups: { type: uuidList, post: true, put: true, nullable: true, filter: true } },
  },
} as const satisfies ExtensionDecl;

export const statefulSecurityGroup = {
  alias: 'stateful-security-group',
  name: 'Stateful security group',
  description: 'stateful=false makes a security group stateless: replies need rules of their own.',
  updated: '2019-11-26T09:00:00-00:00',
  extends: {
    'security-groups': { stateful: { type: bool, post: true, put: true, default: true, filter: true } },
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
    'security-group-rules': { normalized_cidr: { type: { kind: 'cidr' }, filter: true, sort: true } },
  },
} as const satisfies ExtensionDecl;

export const securityGroupsRulesBelongsToDefaultSg = {
  alias: 'security-groups-rules-belongs-to-default-sg',
  name: "Security group rule belongs to the project's default security group",
  description: "belongs_to_default_sg: whether a rule is in its project's default security group.",
  updated: '2023-05-23T10:00:00-00:00',
  extends: {
    'security-group-rules': { belongs_to_default_sg: { type: bool, filter: true } },
  },
} as const satisfies ExtensionDecl;
