/**
 * The agent's own port on a network (Neutron's DeviceManager.setup_dhcp_port):
 * its existing port (device_id = dhcpDeviceId(network, host)), brought to an
 * address on every DHCP subnet; else a port another agent left reserved,
 * taken over; else a new one. The server binds it to this host.
 */
import { DEVICE_ID_RESERVED_DHCP_PORT, dhcpDeviceId } from '../../common/dhcpDeviceId.js';
import { dhcpSubnets, type DhcpNetwork, type DhcpPort } from './model.js';
import type { DhcpPluginApi, FixedIpRequest } from './pluginApi.js';

/** The port this agent already has on the network, as the server listed it. */
export function ownDhcpPort(network: DhcpNetwork, host: string): DhcpPort | undefined {
  const deviceId = dhcpDeviceId(network.id, host);
  return network.ports.find((port) => port.device_id === deviceId);
}

/** Whether the port lacks an address on a DHCP subnet or holds one on a subnet no longer served. */
export function portNeedsUpdate(network: DhcpNetwork, port: DhcpPort): boolean {
  const wanted = new Set(dhcpSubnets(network).map((subnet) => subnet.id));
  const held = new Set(port.fixed_ips.map((ip) => ip.subnet_id));
  return wanted.size !== held.size || [...wanted].some((id) => !held.has(id));
}

export class DhcpPortUnavailable extends Error {}

export async function setupDhcpPort(api: DhcpPluginApi, network: DhcpNetwork, host: string): Promise<DhcpPort> {
  const deviceId = dhcpDeviceId(network.id, host);
  const wanted = dhcpSubnets(network).map((subnet) => subnet.id);
  const existing = ownDhcpPort(network, host);
  if (existing) {
    if (!portNeedsUpdate(network, existing)) return existing;
    const kept: FixedIpRequest[] = existing.fixed_ips.filter((ip) => wanted.includes(ip.subnet_id));
    const added = wanted.filter((id) => !existing.fixed_ips.some((ip) => ip.subnet_id === id)).map((subnet_id) => ({ subnet_id }));
    const updated = await api.updateDhcpPort(existing.id, network.id, { fixed_ips: [...kept, ...added] });
    if (!updated) throw new DhcpPortUnavailable(`the DHCP port ${existing.id} of network ${network.id} went away`);
    return updated;
  }
  for (const reserved of network.ports.filter((port) => port.device_id === DEVICE_ID_RESERVED_DHCP_PORT)) {
    const taken = await api.updateDhcpPort(reserved.id, network.id, { device_id: deviceId });
    if (taken) return portNeedsUpdate(network, taken) ? setupDhcpPort(api, { ...network, ports: [...network.ports.filter((p) => p.id !== taken.id), taken] }, host) : taken;
  }
  const created = await api.createDhcpPort({
    network_id: network.id,
    project_id: network.project_id,
    device_id: deviceId,
    fixed_ips: wanted.map((subnet_id) => ({ subnet_id })),
  });
  if (!created) throw new DhcpPortUnavailable(`network ${network.id} or one of its subnets went away while its DHCP port was created`);
  return created;
}
