/**
 * The errors of routers, with neutron-lib's types and messages
 * (neutron_lib/exceptions/__init__.py, exceptions/l3.py,
 * exceptions/extraroute.py; neutron/ipam/exceptions.py).
 */
import { NeutronError } from '../../common/errors.js';

/** neutron-lib's BadRequest(resource='router', msg): "Bad router request: ...". */
export class RouterBadRequest extends NeutronError {
  constructor(message: string, resource = 'router') {
    super(400, 'BadRequest', `Bad ${resource} request: ${message}.`);
  }
}

export class RouterInUse extends NeutronError {
  constructor(routerId: string, reason = 'still has ports') {
    super(409, 'RouterInUse', `Router ${routerId} ${reason}`);
  }
}

export class RouterInterfaceNotFound extends NeutronError {
  constructor(routerId: string, portId: string) {
    super(404, 'RouterInterfaceNotFound', `Router ${routerId} does not have an interface with id ${portId}`);
  }
}

export class RouterInterfaceNotFoundForSubnet extends NeutronError {
  constructor(routerId: string, subnetId: string) {
    super(404, 'RouterInterfaceNotFoundForSubnet', `Router ${routerId} has no interface on subnet ${subnetId}`);
  }
}

export class RouterInterfaceInUseByRoute extends NeutronError {
  constructor(routerId: string, subnetId: string) {
    super(
      409,
      'RouterInterfaceInUseByRoute',
      `Router interface for subnet ${subnetId} on router ${routerId} cannot be deleted, as it is required by one or more routes.`,
    );
  }
}

/** extraroute's InvalidRoutes (an InvalidInput): the routes as Python prints a list of dicts. */
export class InvalidRoutes extends NeutronError {
  constructor(routes: readonly { destination: string; nexthop: string }[], reason: string) {
    const printed = `[${routes.map((r) => `{'destination': '${r.destination}', 'nexthop': '${r.nexthop}'}`).join(', ')}]`;
    super(400, 'InvalidRoutes', `Invalid format for routes: ${printed}, ${reason}`);
  }
}

export class PortInUse extends NeutronError {
  constructor(networkId: string, portId: string, deviceId: string) {
    super(
      409,
      'PortInUse',
      `Unable to complete operation on port ${portId} for network ${networkId}. Port already has an attached device ${deviceId}.`,
    );
  }
}

export class ServicePortInUse extends NeutronError {
  constructor(portId: string, reason: string) {
    super(409, 'ServicePortInUse', `Port ${portId} cannot be deleted directly via the port API: ${reason}.`);
  }
}

export class SubnetMismatchForPort extends NeutronError {
  constructor(portId: string, subnetId: string) {
    super(400, 'SubnetMismatchForPort', `Subnet on port ${portId} does not match the requested subnet ${subnetId}.`);
  }
}

export class IPAddressChangeNotAllowed extends NeutronError {
  constructor(portId: string) {
    super(400, 'IPAddressChangeNotAllowed', `IP updates for port ${portId} are not allowed`);
  }
}

export class RouterInterfaceInUseByFloatingIP extends NeutronError {
  constructor(routerId: string, subnetId: string) {
    super(
      409,
      'RouterInterfaceInUseByFloatingIP',
      `Router interface for subnet ${subnetId} on router ${routerId} cannot be deleted, as it is required by one or more floating IPs.`,
    );
  }
}

export class RouterExternalGatewayInUseByFloatingIp extends NeutronError {
  constructor(routerId: string, networkId: string) {
    super(
      409,
      'RouterExternalGatewayInUseByFloatingIp',
      `Gateway cannot be updated for router ${routerId}, since a gateway to external network ${networkId} is required by one or more floating IPs.`,
    );
  }
}

export class ExternalGatewayForFloatingIPNotFound extends NeutronError {
  constructor(subnetId: string, networkId: string, portId: string) {
    super(
      404,
      'ExternalGatewayForFloatingIPNotFound',
      `External network ${networkId} is not reachable from subnet ${subnetId}.  Therefore, cannot associate Port ${portId} with a Floating IP.`,
    );
  }
}

export class FloatingIPPortAlreadyAssociated extends NeutronError {
  constructor(floatingIpAddress: string, fipId: string, portId: string, fixedIp: string, networkId: string) {
    super(
      409,
      'FloatingIPPortAlreadyAssociated',
      `Cannot associate floating IP ${floatingIpAddress} (${fipId}) with port ${portId} using fixed IP ${fixedIp}, as that fixed IP already has a floating IP on external network ${networkId}.`,
    );
  }
}

export class FipAssociated extends NeutronError {
  constructor(portId: string) {
    super(409, 'FipAssociated', `Unable to complete the operation on port ${portId} because the port still has an associated floating IP.`);
  }
}

/** The floating IP's port got no IPv4 address on the external network. */
export class ExternalIpAddressExhausted extends NeutronError {
  constructor(networkId: string) {
    super(400, 'ExternalIpAddressExhausted', `Unable to find any IP address on external network ${networkId}.`);
  }
}
