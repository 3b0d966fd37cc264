/**
 * The errors of subnet pools and of subnets taken from them, with
 * neutron-lib's types and messages (neutron_lib/exceptions/__init__.py,
 * exceptions/address_scope.py).
 */
import { NeutronError } from '../../common/errors.js';

/** neutron-lib's BadRequest(resource, msg): "Bad subnets request: ...". */
export class ResourceBadRequest extends NeutronError {
  constructor(resource: string, message: string) {
    super(400, 'BadRequest', `Bad ${resource} request: ${message}.`);
  }
}

export class EmptySubnetPoolPrefixList extends NeutronError {
  constructor() {
    super(400, 'EmptySubnetPoolPrefixList', 'Empty subnet pool prefix list.');
  }
}

export class PrefixVersionMismatch extends NeutronError {
  constructor() {
    super(400, 'PrefixVersionMismatch', 'Cannot mix IPv4 and IPv6 prefixes in a subnet pool.');
  }
}

export class IllegalSubnetPoolPrefixBounds extends NeutronError {
  constructor(prefixType: string, prefixLen: number, baseType: string, basePrefixLen: number) {
    super(400, 'IllegalSubnetPoolPrefixBounds', `Illegal prefix bounds: ${prefixType}=${prefixLen}, ${baseType}=${basePrefixLen}.`);
  }
}

export class IllegalSubnetPoolPrefixUpdate extends NeutronError {
  constructor(message: string) {
    super(400, 'IllegalSubnetPoolPrefixUpdate', `Illegal update to prefixes: ${message}.`);
  }
}

export class IllegalSubnetPoolUpdate extends NeutronError {
  constructor(reason: string) {
    super(400, 'IllegalSubnetPoolUpdate', `Illegal subnetpool update : ${reason}.`);
  }
}

export class IllegalSubnetPoolIpVersionAssociationToAddressScope extends NeutronError {
  constructor(poolId: string, scopeId: string, ipVersion: number) {
    super(
      400,
      'IllegalSubnetPoolIpVersionAssociationToAddressScope',
      `Illegal subnetpool association: subnetpool ${poolId} cannot associate with address scope ${scopeId} ` +
        `because subnetpool ip_version is not ${ipVersion}.`,
    );
  }
}

export class AddressScopePrefixConflict extends NeutronError {
  constructor() {
    super(
      409,
      'AddressScopePrefixConflict',
      'Failed to associate address scope: subnetpools within an address scope must have unique prefixes.',
    );
  }
}

export class NetworkAddressScopeAffinityError extends NeutronError {
  constructor() {
    super(
      400,
      'NetworkAddressScopeAffinityError',
      'Subnets of the same address family hosted on the same network must all participate in the same address scope.',
    );
  }
}

export class SubnetPoolDeleteError extends NeutronError {
  constructor(reason: string) {
    super(400, 'SubnetPoolDeleteError', `Unable to delete subnet pool: ${reason}.`);
  }
}

export class NetworkSubnetPoolAffinityError extends NeutronError {
  constructor() {
    super(400, 'NetworkSubnetPoolAffinityError', 'Subnets hosted on the same network must be allocated from the same subnet pool.');
  }
}

export class MinPrefixSubnetAllocationError extends NeutronError {
  constructor(prefixLen: number, min: number) {
    super(400, 'MinPrefixSubnetAllocationError', `Unable to allocate subnet with prefix length ${prefixLen}, minimum allowed prefix is ${min}.`);
  }
}

export class MaxPrefixSubnetAllocationError extends NeutronError {
  constructor(prefixLen: number, max: number) {
    super(400, 'MaxPrefixSubnetAllocationError', `Unable to allocate subnet with prefix length ${prefixLen}, maximum allowed prefix is ${max}.`);
  }
}

/**
 * The pool has no room for the request. Neutron's class derives from none
 * its API maps, so upstream answers 500; a full pool is the caller's
 * conflict with the pool's state, and Nucleon answers 409 (as for a full
 * subnet, IpAddressGenerationFailure).
 */
export class SubnetAllocationError extends NeutronError {
  constructor(reason: string) {
    super(409, 'SubnetAllocationError', `Failed to allocate subnet: ${reason}.`);
  }
}

export class SubnetPoolQuotaExceeded extends NeutronError {
  constructor() {
    super(409, 'SubnetPoolQuotaExceeded', 'Per-project subnet pool prefix quota exceeded.');
  }
}
