/**
 * The rules Neutron's server adds to each filtered port, outside any group
 * ("provider rules", securitygroups_rpc_base.py _apply_provider_rule): DHCP
 * replies may reach the port's own addresses (and IPv4 broadcast, IPv6
 * link-local), and router advertisements reach a port with an IPv6 address.
 * Neutron's agents build their firewall from them; Nucleon's agents add the
 * same allowances on their own and ignore them.
 */
import { isIPv6 } from 'node:net';
import type { FirewallRule } from '../../rpc/contract/index.js';

/** Server, client port and ethertype of DHCP per IP version. */
const DHCP = { 4: { server: 67, client: 68, ethertype: 'IPv4' }, 6: { server: 547, client: 546, ethertype: 'IPv6' } } as const;
const ICMPV6_TYPE_RA = 134;

export function providerRules(fixedIps: readonly string[]): FirewallRule[] {
  const rules: FirewallRule[] = [];
  const v6 = fixedIps.filter((ip) => isIPv6(ip));
  if (v6.length > 0) rules.push({ direction: 'ingress', ethertype: 'IPv6', protocol: 'ipv6-icmp', source_port_range_min: ICMPV6_TYPE_RA });
  for (const version of [4, 6] as const) {
    const mine = fixedIps.filter((ip) => isIPv6(ip) === (version === 6)).map((ip) => `${ip}/${version === 4 ? 32 : 128}`);
    const { server, client, ethertype } = DHCP[version];
    for (const dest of [...mine, version === 4 ? '255.255.255.255/32' : 'fe80::/64']) {
      rules.push({
        direction: 'ingress',
        ethertype,
        protocol: 'udp',
        port_range_min: client,
        port_range_max: client,
        source_port_range_min: server,
        source_port_range_max: server,
        dest_ip_prefix: dest,
      });
    }
  }
  return rules;
}
