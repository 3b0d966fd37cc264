/**
 * Typed errors that carry their Neutron identity: the `type` a client sees in
 * the `NeutronError` body and the HTTP status. Plugins throw these; one error
 * handler in api/ turns them into responses. Messages follow neutron-lib's
 * wording because clients (and tempest) print or grep them.
 */
import { network } from '../resources/network.js';
import { port } from '../resources/port.js';
import { subnet } from '../resources/subnet.js';
import type { NotFoundDecl } from '../resources/types.js';

export class NeutronError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly detail = '',
  ) {
    super(message);
  }
}

/** Declares a NeutronError subclass whose message is built from typed arguments. */
function neutronError<A extends unknown[]>(status: number, type: string, format: (...args: A) => string) {
  return class extends NeutronError {
    constructor(...args: A) {
      super(status, type, format(...args));
    }
  };
}

// 400: the request itself is wrong.
export const BadRequest = neutronError(400, 'HTTPBadRequest', (message: string) => message);
export const InvalidInput = neutronError(
  400,
  'InvalidInput',
  (message: string) => `Invalid input for operation: ${message}.`,
);
export const InvalidCidr = neutronError(400, 'InvalidCIDR', (cidr: string) => `Invalid CIDR ${cidr} for IP version.`);
export const InvalidAllocationPool = neutronError(
  400,
  'InvalidAllocationPool',
  (pool: string) => `The allocation pool ${pool} is not valid.`,
);
export const OutOfBoundsAllocationPool = neutronError(
  400,
  'OutOfBoundsAllocationPool',
  (pool: string, cidr: string) => `The allocation pool ${pool} spans beyond the subnet cidr ${cidr}.`,
);
export const InvalidIpForSubnet = neutronError(
  400,
  'InvalidIpForSubnet',
  (ip: string) => `IP address ${ip} is not a valid IP for the specified subnet.`,
);
export const InvalidIpForNetwork = neutronError(
  400,
  'InvalidIpForNetwork',
  (ip: string) => `IP address ${ip} is not a valid IP for any of the subnets on the specified network.`,
);
export const InvalidSubnetServiceType = neutronError(
  400,
  'InvalidSubnetServiceType',
  (serviceType: string) => `Subnet service type ${serviceType} does not correspond to a valid device owner.`,
);
export const InvalidInputSubnetServiceType = neutronError(
  400,
  'InvalidInputSubnetServiceType',
  (serviceType: string) => `Subnet service type ${serviceType} is not a string.`,
);
export const DnsNameserversExhausted = neutronError(
  400,
  'DNSNameServersExhausted',
  (subnet: string, limit: number) =>
    `Unable to complete operation for ${subnet}. The number of DNS nameservers exceeds the limit ${limit}.`,
);
export const HostRoutesExhausted = neutronError(
  400,
  'HostRoutesExhausted',
  (subnet: string, limit: number) =>
    `Unable to complete operation for ${subnet}. The number of host routes exceeds the limit ${limit}.`,
);
export const AllowedAddressPairExhausted = neutronError(
  400,
  'AllowedAddressPairExhausted',
  (limit: number) => `The number of allowed address pair exceeds the maximum ${limit}.`,
);
export const DuplicateAddressPairInRequest = neutronError(
  400,
  'DuplicateAddressPairInRequest',
  (mac: string, ip: string) => `Request contains duplicate address pair: mac_address ${mac} ip_address ${ip}.`,
);
export const InvalidExtraDhcpOpt = neutronError(
  400,
  'ExtraDhcpOptBadData',
  (data: string) => `Invalid data format for extra-dhcp-opt: ${data}.`,
);
export const InvalidTag = neutronError(400, 'HTTPBadRequest', (reason: string) => reason);

// 403 / 404 / 405
export const PolicyNotAuthorized = neutronError(
  403,
  'PolicyNotAuthorized',
  (action: string) => `(rule:${action}) is disallowed by policy`,
);
/** neutron-lib's NotAuthorized: the caller may not act on another project's resource (no policy rule involved). */
export const NotAuthorized = neutronError(403, 'NotAuthorized', () => 'Not authorized.');
export const NotFound = neutronError(404, 'HTTPNotFound', (message: string = 'The resource could not be found.') => message);

/** The NotFound error class of a resource, from its declaration's `notFound`. */
export const notFoundError = (spec: NotFoundDecl) => neutronError(404, spec.type, spec.message);

/** The NotFound a resource answers for this id; the generic HTTPNotFound when its declaration names none. */
export function resourceNotFound(resource: { readonly notFound?: NotFoundDecl } | undefined, id: string): NeutronError {
  const spec = resource?.notFound;
  return spec === undefined ? new NotFound() : new NeutronError(404, spec.type, spec.message(id));
}

export const NetworkNotFound = notFoundError(network.notFound);
export const SubnetNotFound = notFoundError(subnet.notFound);
export const PortNotFound = notFoundError(port.notFound);
export const ExtensionNotFound = neutronError(
  404,
  'ExtensionNotFound',
  (alias: string) => `Extension with alias ${alias} does not exist`,
);
export const TagNotFound = neutronError(
  404,
  'TagNotFound',
  (resource: string, id: string, tag: string) => `Tag ${tag} could not be found for ${resource} ${id}.`,
);
export const MethodNotAllowed = neutronError(
  405,
  'HTTPMethodNotAllowed',
  (method: string) => `The method ${method} is not allowed for this resource.`,
);

// 409: the request conflicts with the current state.
export const Conflict = neutronError(409, 'Conflict', (message: string) => message);
export const NetworkInUse = neutronError(
  409,
  'NetworkInUse',
  (id: string, portIds: readonly string[]) =>
    `Unable to complete operation on network ${id}. There are one or more ports still in use on the network, id for these ports is: ${portIds.join(',')}.`,
);
export const SubnetInUse = neutronError(
  409,
  'SubnetInUse',
  (id: string, reason: string = 'One or more ports have an IP allocation from this subnet.') =>
    `Unable to complete operation on subnet ${id}: ${reason}`,
);
export const MacAddressInUse = neutronError(
  409,
  'MacAddressInUse',
  (networkId: string, mac: string) =>
    `Unable to complete operation for network ${networkId}. The mac address ${mac} is in use.`,
);
/** A bound port keeps its MAC: the hypervisor plugged it with that one. */
export const PortBound = neutronError(
  409,
  'PortBound',
  (portId: string, vifType: string, oldMac: string, newMac: string) =>
    `Unable to complete operation on port ${portId}, port is already bound, port type: ${vifType}, old_mac ${oldMac}, new_mac ${newMac}.`,
);
export const UnsupportedPortDeviceOwner = neutronError(
  409,
  'UnsupportedPortDeviceOwner',
  (op: string, deviceOwner: string, portId: string) => `Operation ${op} is not supported for device_owner ${deviceOwner} on port ${portId}.`,
);
export const IpAddressInUse = neutronError(
  409,
  'IpAddressInUse',
  (networkId: string, ip: string) =>
    `Unable to complete operation for network ${networkId}. The IP address ${ip} is in use.`,
);
export const IpAddressGenerationFailure = neutronError(
  409,
  'IpAddressGenerationFailure',
  (networkId: string) => `No more IP addresses available on network ${networkId}.`,
);
export const MacAddressGenerationFailure = neutronError(
  503,
  'MacAddressGenerationFailure',
  (networkId: string) => `Unable to generate unique mac on network ${networkId}.`,
);
export const OverlappingAllocationPools = neutronError(
  409,
  'OverlappingAllocationPools',
  (pool1: string, pool2: string, cidr: string) =>
    `Found overlapping allocation pools: ${pool1} and ${pool2} for subnet ${cidr}.`,
);
export const GatewayConflictWithAllocationPools = neutronError(
  409,
  'GatewayConflictWithAllocationPools',
  (ip: string, pool: string) => `Gateway ip ${ip} conflicts with allocation pool ${pool}.`,
);
export const InvalidSharedSetting = neutronError(
  409,
  'InvalidSharedSetting',
  (network: string) => `Unable to reconfigure sharing settings for network ${network}. Multiple tenants are using it.`,
);
export const AddressPairAndPortSecurityRequired = neutronError(
  409,
  'AddressPairAndPortSecurityRequired',
  () => 'Port Security must be enabled in order to have allowed address pairs on a port.',
);

// IPAM errors neutron raises from neutron/ipam/exceptions.py.
export const AllocationOnAutoAddressSubnet = neutronError(
  400,
  'AllocationOnAutoAddressSubnet',
  (ip: string, subnetId: string) =>
    `IPv6 address ${ip} cannot be directly assigned to a port on subnet ${subnetId} as the subnet is configured for automatic addresses`,
);
export const IpAddressGenerationFailureNoMatchingSubnet = neutronError(
  409,
  'IpAddressGenerationFailureNoMatchingSubnet',
  (networkId: string, serviceType: string) =>
    `No valid service subnet for the given device owner, network ${networkId}, service type ${serviceType}.`,
);
/** A subnet request IPAM cannot honour, e.g. the default gateway of an IPv4 /31 is its broadcast address. */
export const IpamValueInvalid = neutronError(409, 'IpamValueInvalid', (message: string) => message);

// 412
export const RevisionNumberConstraintFailed = neutronError(
  412,
  'RevisionNumberConstraintFailed',
  (expected: number, current: number) => `Constrained to ${expected}, but current revision is ${current}`,
);

// 5xx: never with internals in the message.
export const InternalServerError = neutronError(
  500,
  'HTTPInternalServerError',
  () => 'Request Failed: internal server error while processing your request.',
);
export const ServiceUnavailable = neutronError(503, 'HTTPServiceUnavailable', (message: string) => message);
export const NotImplementedError = neutronError(501, 'NotImplementedError', (message: string) => message);

/**
 * A bad configuration value: the process stops with one line naming where.
 * `file` is undefined for built-in defaults; `section` and `option` are
 * undefined for errors about a whole file (missing, unreadable).
 */
export class ConfigError extends Error {
  constructor(
    readonly file: string | undefined,
    readonly section: string | undefined,
    readonly option: string | undefined,
    readonly reason: string,
  ) {
    const where = [section === undefined ? undefined : `[${section}]`, option].filter((part) => part !== undefined).join(' ');
    super(`${file ?? '<defaults>'}: ${where ? `${where}: ` : ''}${reason}`);
  }
}
