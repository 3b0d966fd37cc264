/** The dhcp_agent_scheduler extension's errors, as neutron-lib words them (neutron_lib/exceptions/dhcpagentscheduler.py). */
import { NeutronError } from '../../common/errors.js';

/** A NotFound (it derives from AgentNotFound): the agent is not a DHCP agent, or its admin state is down. */
export class InvalidDhcpAgent extends NeutronError {
  constructor(agentId: string) {
    super(404, 'InvalidDHCPAgent', `Agent ${agentId} is not a valid DHCP Agent or has been disabled.`);
  }
}

export class NetworkHostedByDhcpAgent extends NeutronError {
  constructor(networkId: string, agentId: string) {
    super(409, 'NetworkHostedByDHCPAgent', `The network ${networkId} has been already hosted by the DHCP Agent ${agentId}.`);
  }
}

export class NetworkNotHostedByDhcpAgent extends NeutronError {
  constructor(networkId: string, agentId: string) {
    super(409, 'NetworkNotHostedByDhcpAgent', `The network ${networkId} is not hosted by the DHCP Agent ${agentId}.`);
  }
}
