/**
 * The security group errors of neutron/extensions/securitygroup.py and
 * neutron_lib/exceptions/port_security.py, with upstream's types, statuses
 * and messages (the misspelled SecurityGroupMultipleRemoteEntites included:
 * the type is what clients see).
 */
import { NeutronError, notFoundError } from '../../common/errors.js';
import { securityGroupRules, securityGroups } from '../../resources/extensions/securityGroup.js';

function sgError<A extends unknown[]>(status: number, type: string, format: (...args: A) => string) {
  return class extends NeutronError {
    constructor(...args: A) {
      super(status, type, format(...args));
    }
  };
}

// 400 (neutron-lib InvalidInput / BadRequest subclasses)
export const SecurityGroupInvalidPortRange = sgError(
  400,
  'SecurityGroupInvalidPortRange',
  () => 'For TCP/UDP protocols, port_range_min must be <= port_range_max',
);
export const SecurityGroupInvalidProtocolForPort = sgError(
  400,
  'SecurityGroupInvalidProtocolForPort',
  (protocol: string, validPortProtocols: string) =>
    `Ports cannot be specified for protocol ${protocol}. Ports are only supported for ${validPortProtocols}.`,
);
export const SecurityGroupInvalidPortValue = sgError(400, 'SecurityGroupInvalidPortValue', (port: string) => `Invalid value for port ${port}`);
export const SecurityGroupInvalidIcmpValue = sgError(
  400,
  'SecurityGroupInvalidIcmpValue',
  (field: string, attr: string, value: number) => `Invalid value for ICMP ${field} (${attr}) ${value}. It must be 0 to 255.`,
);
export const SecurityGroupEthertypeConflictWithProtocol = sgError(
  400,
  'SecurityGroupEthertypeConflictWithProtocol',
  (ethertype: string, protocol: string) => `Invalid ethertype ${ethertype} for protocol ${protocol}.`,
);
export const SecurityGroupMissingIcmpType = sgError(
  400,
  'SecurityGroupMissingIcmpType',
  (value: number) => `ICMP code (port-range-max) ${value} is provided but ICMP type (port-range-min) is missing.`,
);
export const SecurityGroupRuleInvalidProtocol = sgError(
  400,
  'SecurityGroupRuleInvalidProtocol',
  (protocol: string, values: string) =>
    `Security group rule protocol ${protocol} not supported. Only protocol values ${values} and integer representations [0 to 255] are supported.`,
);
export const SecurityGroupRulesNotSingleProject = sgError(
  400,
  'SecurityGroupRulesNotSingleProject',
  () => 'Multiple project_ids in bulk security group rule create not allowed',
);
export const SecurityGroupNotSingleGroupRules = sgError(
  400,
  'SecurityGroupNotSingleGroupRules',
  () => 'Only allowed to update rules for one security profile at a time',
);
export const SecurityGroupMultipleRemoteEntites = sgError(
  400,
  'SecurityGroupMultipleRemoteEntites',
  () => 'Only one of remote_ip_prefix or remote_group_id or remote_address_group_id may be provided.',
);
export const SecurityGroupProtocolRequiredWithPorts = sgError(
  400,
  'SecurityGroupProtocolRequiredWithPorts',
  () => 'Must also specify protocol if port range is given.',
);
export const SecurityGroupRuleParameterConflict = sgError(
  400,
  'SecurityGroupRuleParameterConflict',
  (ethertype: string, cidr: string) => `Conflicting value ethertype ${ethertype} for CIDR ${cidr}`,
);
export const SecurityGroupRuleInvalidEtherType = sgError(
  400,
  'SecurityGroupRuleInvalidEtherType',
  (ethertype: string, values: string) => `Security group rule for ethertype '${ethertype}' not supported. Allowed values are ${values}.`,
);
export const InvalidCidrPrefix = sgError(400, 'InvalidCIDR', (input: string) => `Invalid CIDR ${input} given as IP prefix.`);
export const PortSecurityAndIpRequiredForSecurityGroups = sgError(
  400,
  'PortSecurityAndIPRequiredForSecurityGroups',
  () => 'Port security must be enabled and port must have an IP address in order to use security groups.',
);

// 404
export const SecurityGroupNotFound = notFoundError(securityGroups.notFound);
export const SecurityGroupRuleNotFound = notFoundError(securityGroupRules.notFound);
export const AddressGroupNotFound = sgError(404, 'AddressGroupNotFound', (id: string) => `Address group ${id} could not be found.`);

// 409
export const SecurityGroupInUse = sgError(409, 'SecurityGroupInUse', (id: string) => `Security Group ${id} in use.`);
export const SecurityGroupCannotRemoveDefault = sgError(
  409,
  'SecurityGroupCannotRemoveDefault',
  () => 'Insufficient rights for removing default security group.',
);
export const SecurityGroupCannotUpdateDefault = sgError(
  409,
  'SecurityGroupCannotUpdateDefault',
  () => 'Updating default security group not allowed.',
);
export const SecurityGroupDefaultAlreadyExists = sgError(409, 'SecurityGroupDefaultAlreadyExists', () => 'Default security group already exists.');
export const SecurityGroupRuleExists = sgError(
  409,
  'SecurityGroupRuleExists',
  (ruleId: string) => `Security group rule already exists. Rule id is ${ruleId}.`,
);
export const DuplicateSecurityGroupRuleInPost = sgError(409, 'DuplicateSecurityGroupRuleInPost', () => 'Duplicate Security Group Rule in POST.');
export const SecurityGroupConflict = sgError(409, 'SecurityGroupConflict', (reason: string) => `Error ${reason} while attempting the operation.`);
export const PortSecurityPortHasSecurityGroup = sgError(
  409,
  'PortSecurityPortHasSecurityGroup',
  () => 'Port has security group associated. Cannot disable port security or IP address until security group is removed.',
);
