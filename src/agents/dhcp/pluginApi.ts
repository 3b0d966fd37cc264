/**
 * The DHCP agent's calls to the server on `q-plugin` (Neutron's
 * DhcpPluginApi in neutron/agent/dhcp/agent.py; the server's side and the
 * shapes are in src/plugins/agents/dhcpRpc.ts). Every answer is parsed
 * before it is used.
 */
import type { Bus } from '../../rpc/bus.js';
import { PLUGIN } from '../../rpc/topics.js';
import { parseNetworks, parsePort, type DhcpNetwork, type DhcpPort, type FixedIp } from './model.js';

export interface NewDhcpPort {
  readonly network_id: string;
  readonly project_id: string;
  readonly device_id: string;
  readonly fixed_ips: readonly { readonly subnet_id: string }[];
}

export type FixedIpRequest = { readonly subnet_id: string } | FixedIp;

export class DhcpPluginApi {
  constructor(
    private readonly bus: Bus,
    private readonly host: string,
  ) {}

  /** The networks scheduled to this host's agent, with their DHCP subnets and every port. */
  async getActiveNetworksInfo(): Promise<DhcpNetwork[]> {
    return parseNetworks(await this.bus.call(PLUGIN, 'get_active_networks_info', { host: this.host, enable_dhcp_filter: true }));
  }

  /** null when the network or a subnet went away meanwhile. */
  async createDhcpPort(port: NewDhcpPort): Promise<DhcpPort | null> {
    const body = { name: '', admin_state_up: true, ...port };
    const created = await this.bus.call(PLUGIN, 'create_dhcp_port', { port: { port: body }, host: this.host });
    return created === null ? null : parsePort(created);
  }

  /** null when the port is gone or belongs to another agent. */
  async updateDhcpPort(portId: string, networkId: string, changes: { device_id?: string; fixed_ips?: readonly FixedIpRequest[] }): Promise<DhcpPort | null> {
    const updated = await this.bus.call(PLUGIN, 'update_dhcp_port', {
      port_id: portId,
      port: { port: { network_id: networkId, ...changes } },
      host: this.host,
    });
    return updated === null ? null : parsePort(updated);
  }

  async releaseDhcpPort(networkId: string, deviceId: string): Promise<void> {
    await this.bus.call(PLUGIN, 'release_dhcp_port', { network_id: networkId, device_id: deviceId, host: this.host });
  }
}
