/**
 * The files dnsmasq reads for one network, in the formats Neutron's Dnsmasq
 * driver writes (neutron/agent/linux/dhcp.py): pure functions of the
 * network (its subnets and ports), the agent's own DHCP port and a few
 * options, so every line is unit-tested without root.
 *
 *   host        mac,fqdn,ip[,set:port-<id>]        who gets which address (--dhcp-hostsfile)
 *   addn_hosts  ip<TAB>fqdn hostname               names dnsmasq answers (--addn-hosts)
 *   opts        tag:subnet-<id>,option:router,gw   options per subnet and port (--dhcp-optsfile)
 *   leases      0 mac ip * *                        written once before dnsmasq starts
 */
import ipaddr from 'ipaddr.js';

import { isolatedSubnetIds, METADATA_ROUTE } from './metadataRule.js';
import type { DhcpNetwork, DhcpPort, DhcpSubnet, FixedIp } from './model.js';

export interface DnsmasqFileSettings {
  /** neutron.conf dns_domain; '' for none. */
  readonly dnsDomain: string;
  readonly enableIsolatedMetadata: boolean;
  readonly forceMetadata: boolean;
}

export const subnetTag = (subnetId: string): string => `subnet-${subnetId}`;
export const portTag = (portId: string): string => `port-${portId}`;

/** Ports that never ask for an address (in the spirit of neutron-lib DHCP_CONFIG_NOT_REQUIRED_OWNERS; the list is ours). */
const NO_DHCP_CONFIG_OWNERS = new Set(['network:router_gateway', 'network:floatingip', 'network:router_ha_interface', 'network:distributed']);

const CLIENT_ID_OPTS = new Set(['client-id', '61']);
const SLAAC = 'slaac';
const STATELESS = 'dhcpv6-stateless';

const isIpv6 = (address: string): boolean => address.includes(':');

/** dnsmasq tells a MAC from an IPv6 address by brackets. */
const forDnsmasq = (address: string): string => (isIpv6(address) ? `[${address}]` : address);

interface HostEntry {
  readonly port: DhcpPort;
  readonly ip: FixedIp;
  readonly hostname: string;
  readonly fqdn: string;
  /** SLAAC or stateless DHCPv6: the address is not handed out by dnsmasq. */
  readonly noDhcp: boolean;
  /** SLAAC: no options either. */
  readonly noOpts: boolean;
}

function names(settings: DnsmasqFileSettings, port: DhcpPort, address: string): { hostname: string; fqdn: string } {
  const assigned = port.dns_assignment.find((entry) => entry.ip_address === address);
  if (assigned) return { hostname: assigned.hostname, fqdn: assigned.fqdn };
  const hostname = `host-${address.replace(/[.:]/g, '-')}`;
  return { hostname, fqdn: settings.dnsDomain ? `${hostname}.${settings.dnsDomain}` : hostname };
}

/** Neutron's _iter_hosts: one entry per fixed IP of every port that takes DHCP configuration; stateless IPv6 first. */
function hostEntries(settings: DnsmasqFileSettings, network: DhcpNetwork): HostEntry[] {
  const v6 = new Map(network.subnets.filter((subnet) => subnet.ip_version === 6).map((subnet) => [subnet.id, subnet]));
  const entries: HostEntry[] = [];
  for (const port of network.ports) {
    if (NO_DHCP_CONFIG_OWNERS.has(port.device_owner)) continue;
    const stateless = (ip: FixedIp) => v6.get(ip.subnet_id)?.ipv6_address_mode === STATELESS;
    const ordered = [...port.fixed_ips].sort((a, b) => Number(stateless(b)) - Number(stateless(a)));
    for (const ip of ordered) {
      const mode = v6.get(ip.subnet_id)?.ipv6_address_mode ?? null;
      entries.push({ port, ip, ...names(settings, port, ip.ip_address), noDhcp: mode === SLAAC || mode === STATELESS, noOpts: mode === SLAAC });
    }
  }
  return entries;
}

const clientIdOf = (port: DhcpPort): string | undefined => port.extra_dhcp_opts.find((opt) => CLIENT_ID_OPTS.has(opt.opt_name))?.opt_value;

/** The `host` file (--dhcp-hostsfile). */
export function hostsFile(settings: DnsmasqFileSettings, network: DhcpNetwork): string {
  const served = new Set(network.subnets.filter((subnet) => subnet.enable_dhcp).map((subnet) => subnet.id));
  const lines: string[] = [];
  for (const { port, ip, fqdn, noDhcp, noOpts } of hostEntries(settings, network)) {
    const hasOpts = port.extra_dhcp_opts.length > 0;
    if (noDhcp) {
      if (!noOpts && hasOpts) lines.push(`${port.mac_address},set:${portTag(port.id)}`);
      continue;
    }
    if (!served.has(ip.subnet_id)) continue;
    const address = forDnsmasq(ip.ip_address);
    const clientId = clientIdOf(port);
    if (!hasOpts) lines.push(`${port.mac_address},${fqdn},${address}`);
    else if (clientId !== undefined && port.extra_dhcp_opts.length > 1)
      lines.push(`${port.mac_address},id:${clientId},${fqdn},${address},set:${portTag(port.id)}`);
    else if (clientId !== undefined) lines.push(`${port.mac_address},id:${clientId},${fqdn},${address}`);
    else lines.push(`${port.mac_address},${fqdn},${address},set:${portTag(port.id)}`);
  }
  return lines.map((line) => `${line}\n`).join('');
}

/** The `addn_hosts` file: the fqdn first, so PTR answers give it. */
export function addnHostsFile(settings: DnsmasqFileSettings, network: DhcpNetwork): string {
  return hostEntries(settings, network)
    .map(({ ip, fqdn, hostname }) => `${ip.ip_address}\t${fqdn} ${hostname}\n`)
    .join('');
}

/**
 * The `leases` file dnsmasq starts from: every IPv4 DHCP address as an
 * infinite lease (0), so renewals are not NAKed. IPv6 leases cannot be made
 * up (their IAID is unknown): those of the previous file (`existing`) whose
 * address still belongs to a port on a DHCPv6 subnet are kept, with the DUID.
 */
export function initialLeasesFile(settings: DnsmasqFileSettings, network: DhcpNetwork, existing = ''): string {
  const v4Served = new Set(network.subnets.filter((subnet) => subnet.enable_dhcp && subnet.ip_version === 4).map((subnet) => subnet.id));
  const v6Served = new Set(network.subnets.filter((subnet) => subnet.enable_dhcp && subnet.ip_version === 6).map((subnet) => subnet.id));
  const oldV6 = new Map<string, string>();
  const kept: string[] = [];
  for (const line of existing.split('\n')) {
    if (line.startsWith('duid ')) kept.push(`${line}\n`);
    const fields = line.split(' ');
    if (fields.length === 5 && isIpv6(fields[2]!)) oldV6.set(normalizedIp(fields[2]!), `${line}\n`);
  }
  for (const { port, ip, noDhcp } of hostEntries(settings, network)) {
    if (noDhcp) continue;
    if (v4Served.has(ip.subnet_id)) kept.push(`0 ${port.mac_address} ${ip.ip_address} * *\n`);
    else if (v6Served.has(ip.subnet_id) && oldV6.has(normalizedIp(ip.ip_address))) kept.push(oldV6.get(normalizedIp(ip.ip_address))!);
  }
  return kept.join('');
}

const normalizedIp = (address: string): string => {
  try {
    return ipaddr.parse(address).toNormalizedString();
  } catch {
    return address;
  }
};

/** Neutron's _format_option: `tag:<tag>[,<extra tag>],option:<name>|<code>|option6:<name>,values...`. */
export function formatOption(ipVersion: 4 | 6, tag: string, option: string, ...values: string[]): string {
  const firstLine = (text: string) => text.split('\n', 1)[0] ?? '';
  const match = /^(tag:(.*),)?(.*)$/.exec(firstLine(option));
  const extraTag = match?.[1];
  let name = match?.[3] ?? '';
  if (ipVersion === 6) name = `option6:${name}`;
  else if (!/^\d+$/.test(name)) name = `option:${name}`;
  const tags = extraTag ? [`tag:${tag}`, extraTag.slice(0, -1), name] : [`tag:${tag}`, name];
  return [...tags, ...values.map(firstLine)].join(',');
}

const literal = (ipVersion: 4 | 6, addresses: readonly string[]): string[] => (ipVersion === 4 ? [...addresses] : addresses.map((a) => `[${a}]`));

/** Neutron's is_dns_servers_any_address: 0.0.0.0 / :: means "announce no DNS server". */
const announcesNoDns = (subnet: DhcpSubnet): boolean =>
  subnet.dns_nameservers.length === 1 && ['0.0.0.0', '::'].includes(subnet.dns_nameservers[0] ?? '');

/** The address the DHCP port holds on each of its subnets (Neutron reads them off the device). */
function dhcpPortAddressBySubnet(dhcpPort: DhcpPort | undefined): Map<string, string> {
  return new Map((dhcpPort?.fixed_ips ?? []).map((ip) => [ip.subnet_id, ip.ip_address]));
}

function subnetOptions(settings: DnsmasqFileSettings, network: DhcpNetwork, dhcpPort: DhcpPort | undefined): { lines: string[]; withoutNameservers: Set<string> } {
  const lines: string[] = [];
  const withoutNameservers = new Set<string>();
  const isolated = isolatedSubnetIds(network);
  const dhcpAddress = dhcpPortAddressBySubnet(dhcpPort);
  for (const subnet of network.subnets) {
    if (!subnet.enable_dhcp || (subnet.ip_version === 6 && subnet.ipv6_address_mode === SLAAC)) continue;
    const tag = subnetTag(subnet.id);
    if (subnet.dns_nameservers.length > 0) {
      if (announcesNoDns(subnet)) lines.push(formatOption(subnet.ip_version, tag, 'dns-server'));
      else lines.push(formatOption(subnet.ip_version, tag, 'dns-server', literal(subnet.ip_version, subnet.dns_nameservers).join(',')));
    } else {
      withoutNameservers.add(subnet.id);
    }
    if (settings.dnsDomain && subnet.ip_version === 6) lines.push(formatOption(6, tag, 'domain-search', settings.dnsDomain));
    if (subnet.ip_version !== 4) continue;

    let gateway = subnet.gateway_ip;
    const routes: string[] = [];
    for (const route of subnet.host_routes) {
      if (route.destination === '0.0.0.0/0') gateway ??= route.nexthop;
      else routes.push(`${route.destination},${route.nexthop}`);
    }
    let metadataVia: string | undefined;
    if (settings.forceMetadata || (isolated.has(subnet.id) && settings.enableIsolatedMetadata)) metadataVia = dhcpAddress.get(subnet.id);
    else if (!isolated.has(subnet.id) && gateway) metadataVia = gateway;
    if (metadataVia) routes.push(`${METADATA_ROUTE},${metadataVia}`);
    // Other IPv4 subnets of the network are on-link (no segments here, so all of them).
    for (const other of network.subnets) {
      if (other.ip_version === 4 && other.cidr !== subnet.cidr) routes.unshift(`${other.cidr},0.0.0.0`);
    }
    if (routes.length > 0) {
      // RFC 3442 clients ignore option 3 when option 121 is present: the default route goes in the list too.
      if (gateway) routes.push(`0.0.0.0/0,${gateway}`);
      lines.push(formatOption(4, tag, 'classless-static-route', routes.join(',')));
      lines.push(formatOption(4, tag, '249', routes.join(',')));
    }
    lines.push(gateway ? formatOption(4, tag, 'router', gateway) : formatOption(4, tag, 'router'));
  }
  return { lines, withoutNameservers };
}

function portOptions(network: DhcpNetwork, withoutNameservers: Set<string>): string[] {
  const lines: string[] = [];
  const dhcpAddresses = new Map<string, string[]>();
  for (const port of network.ports) {
    const versions = new Set(port.fixed_ips.map((ip) => (isIpv6(ip.ip_address) ? 6 : 4)));
    for (const opt of port.extra_dhcp_opts) {
      if (CLIENT_ID_OPTS.has(opt.opt_name)) continue;
      if (versions.has(opt.ip_version)) lines.push(formatOption(opt.ip_version, portTag(port.id), opt.opt_name, opt.opt_value));
    }
    // Several DHCP agents on a subnet without nameservers: announce all of them.
    if (port.device_owner === 'network:dhcp') {
      for (const ip of port.fixed_ips) {
        if (!withoutNameservers.has(ip.subnet_id)) continue;
        dhcpAddresses.set(ip.subnet_id, [...(dhcpAddresses.get(ip.subnet_id) ?? []), ip.ip_address]);
      }
    }
  }
  for (const [subnetId, addresses] of dhcpAddresses) {
    for (const version of [4, 6] as const) {
      const ofVersion = addresses.filter((a) => (isIpv6(a) ? 6 : 4) === version);
      if (ofVersion.length > 1) lines.push(formatOption(version, subnetTag(subnetId), 'dns-server', literal(version, ofVersion).join(',')));
    }
  }
  return lines;
}

/** The `opts` file (--dhcp-optsfile); lines joined without a final newline, as Neutron writes it. */
export function optsFile(settings: DnsmasqFileSettings, network: DhcpNetwork, dhcpPort: DhcpPort | undefined): string {
  const { lines, withoutNameservers } = subnetOptions(settings, network, dhcpPort);
  return [...lines, ...portOptions(network, withoutNameservers)].join('\n');
}

/** Network address, netmask, prefix length and size of a CIDR, for --dhcp-range. */
export function cidrParts(cidr: string): { network: string; netmask: string; prefixLength: number; size: number } {
  const [address, prefixLength] = ipaddr.parseCIDR(cidr);
  if (address.kind() === 'ipv4') {
    return {
      network: ipaddr.IPv4.networkAddressFromCIDR(cidr).toString(),
      netmask: ipaddr.IPv4.subnetMaskFromPrefixLength(prefixLength).toString(),
      prefixLength,
      size: 2 ** (32 - prefixLength),
    };
  }
  return {
    network: ipaddr.IPv6.networkAddressFromCIDR(cidr).toString(),
    netmask: ipaddr.IPv6.subnetMaskFromPrefixLength(prefixLength).toString(),
    prefixLength,
    size: 2 ** (128 - prefixLength),
  };
}
