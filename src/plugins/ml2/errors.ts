/** The errors of ML2's type drivers, with neutron-lib's types and wording. */
import { NeutronError } from '../../common/errors.js';

export class NoNetworkAvailable extends NeutronError {
  constructor() {
    super(503, 'NoNetworkAvailable', 'Unable to create the network. No tenant network is available for allocation.');
  }
}

export class VlanIdInUse extends NeutronError {
  constructor(vlanId: number, physnet: string) {
    super(409, 'VlanIdInUse', `Unable to create the network. The VLAN ${vlanId} on physical network ${physnet} is in use.`);
  }
}

export class TunnelIdInUse extends NeutronError {
  constructor(tunnelId: number) {
    super(409, 'TunnelIdInUse', `Unable to create the network. The tunnel ID ${tunnelId} is in use.`);
  }
}

export class FlatNetworkInUse extends NeutronError {
  constructor(physnet: string) {
    super(409, 'FlatNetworkInUse', `Unable to create the flat network. Physical network ${physnet} is in use.`);
  }
}

/** 400 InvalidInput, as neutron-lib words provider validation failures. */
export class InvalidProviderInput extends NeutronError {
  constructor(message: string) {
    super(400, 'InvalidInput', `Invalid input for operation: ${message}.`);
  }
}

/** neutron-lib's NetworkMTUSubnetConflict: a subnet needs a larger MTU than its network has. */
export class NetworkMTUSubnetConflict extends NeutronError {
  constructor(networkId: string, mtu: number) {
    super(409, 'NetworkMTUSubnetConflict', `MTU of ${networkId} is not valid, subnet requires a minimum of ${mtu}`);
  }
}

/** neutron-lib's BadRequest for a port that cannot have several bindings (ML2's _validate_port_supports_multiple_bindings). */
export class PortBindingsNotSupported extends NeutronError {
  constructor(portId: string) {
    super(400, 'BadRequest', `Bad port request: Invalid port ${portId}. Operation only valid on compute and shared filesystem ports.`);
  }
}

export class PortBindingNotFound extends NeutronError {
  constructor(portId: string, host: string) {
    super(404, 'PortBindingNotFound', `Binding for port ${portId} for host ${host} could not be found.`);
  }
}

export class PortBindingAlreadyActive extends NeutronError {
  constructor(portId: string, host: string) {
    super(409, 'PortBindingAlreadyActive', `Binding for port ${portId} on host ${host} is already active.`);
  }
}

export class PortBindingAlreadyExists extends NeutronError {
  constructor(portId: string, host: string) {
    super(409, 'PortBindingAlreadyExists', `Binding for port ${portId} on host ${host} already exists.`);
  }
}

/** No mechanism driver could bind the port on the host: a 500, as upstream's. */
export class PortBindingError extends NeutronError {
  constructor(portId: string, host: string) {
    super(500, 'PortBindingError', `Binding for port ${portId} on host ${host} could not be created or updated.`);
  }
}
