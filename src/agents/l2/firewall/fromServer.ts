/** The server's security_group_info_for_devices answer as the firewall's input (model.ts). */
import type { MemberAddress, SecurityGroupInfo } from '../../../rpc/contract/index.js';
import type { FilteredPort, FirewallInput, FirewallRule } from './model.js';

const addressOf = (member: MemberAddress): string => (typeof member === 'string' ? member : member[0]);

/** `bridgeOf`: the bridge a port is in here (its network's, or its own with hybrid plugging); a port without one (not wired) is left out. */
export function firewallInput(info: SecurityGroupInfo, bridgeOf: (networkId: string, device: string) => string | undefined): Omit<FirewallInput, 'zones'> {
  const ports: FilteredPort[] = [];
  for (const port of Object.values(info.devices)) {
    const bridge = bridgeOf(port.network_id, port.device);
    if (!port.port_security_enabled || bridge === undefined) continue;
    ports.push({
      device: port.device,
      bridge,
      mac: port.mac_address.toLowerCase(),
      fixedIps: port.fixed_ips,
      allowedAddressPairs: port.allowed_address_pairs.map((pair) => ({ ip: pair.ip_address, mac: (pair.mac_address ?? port.mac_address).toLowerCase() })),
      securityGroups: port.security_groups,
    });
  }
  const groups = new Map<string, readonly FirewallRule[]>(Object.entries(info.security_groups));
  const statelessGroups = new Set([...groups].filter(([, rules]) => rules.some((rule) => rule.stateful === false)).map(([id]) => id));
  const members = new Map(
    Object.entries(info.sg_member_ips).map(([id, ips]) => [id, { v4: (ips.IPv4 ?? []).map(addressOf), v6: (ips.IPv6 ?? []).map(addressOf) }]),
  );
  return { ports, groups, members, statelessGroups };
}

/** Every group and address group the answer involves: a notification about one of them concerns this host. */
export function groupsInvolved(info: SecurityGroupInfo): Set<string> {
  return new Set([...Object.keys(info.security_groups), ...Object.keys(info.sg_member_ips)]);
}
