/**
 * The DHCP agent's calls to the server on `q-plugin` (Neutron's
 * DhcpPluginApi in neutron/agent/dhcp/agent.py), through the contract
 * (src/rpc/contract/dhcpPlugin.ts), which checks every answer on receipt.
 */
import type { Bus } from '../../rpc/bus.js';
import { clientOf, type ContractClient, dhcpPluginApi, type DhcpPortChanges, type NewDhcpPort } from '../../rpc/contract/index.js';
import { toDhcpNetwork, toDhcpPort, type DhcpNetwork, type DhcpPort } from './model.js';

export type { NewDhcpPort };

/** A fixed IP the agent asks for: a subnet, and the address it holds there to keep it. */
export type FixedIpRequest = NonNullable<DhcpPortChanges['fixed_ips']>[number];

export class DhcpPluginApi {
  private readonly server: ContractClient<typeof dhcpPluginApi.methods>;

  constructor(
    bus: Bus,
    private readonly host: string,
  ) {
    this.server = clientOf(bus, dhcpPluginApi);
  }

  /** The networks scheduled to this host's agent, with their DHCP subnets and every port. */
  async getActiveNetworksInfo(): Promise<DhcpNetwork[]> {
    return (await this.server.call('get_active_networks_info', { host: this.host, enable_dhcp_filter: true })).map(toDhcpNetwork);
  }

  /** null when the network or a subnet went away meanwhile. */
  async createDhcpPort(port: NewDhcpPort): Promise<DhcpPort | null> {
    const created = await this.server.call('create_dhcp_port', { port: { port: { name: '', admin_state_up: true, ...port } }, host: this.host });
    return created === null ? null : toDhcpPort(created);
  }

  /** null when the port is gone or belongs to another agent. */
  async updateDhcpPort(portId: string, networkId: string, changes: Omit<DhcpPortChanges, 'network_id'>): Promise<DhcpPort | null> {
    const updated = await this.server.call('update_dhcp_port', {
      port_id: portId,
      port: { port: { network_id: networkId, ...changes } },
      host: this.host,
    });
    return updated === null ? null : toDhcpPort(updated);
  }

  /** Tells the server dnsmasq serves these ports (Neutron's DHCP provisioning block). */
  async dhcpReadyOnPorts(portIds: string[]): Promise<void> {
    await this.server.call('dhcp_ready_on_ports', { port_ids: portIds });
  }

  async releaseDhcpPort(networkId: string, deviceId: string): Promise<void> {
    await this.server.call('release_dhcp_port', { network_id: networkId, device_id: deviceId, host: this.host });
  }
}
