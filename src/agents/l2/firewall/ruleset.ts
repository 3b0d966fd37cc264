/**
 * The firewall of a Linux bridge host as nftables text: a pure function of
 * the filtered ports and their groups (model.ts), which the agent applies in
 * one `nft -f` transaction (firewall.ts). Two tables, both ours alone:
 *
 *   table bridge nucleon-sg   runs before br_netfilter hands bridged IP to
 *     the inet hooks: marks each packet with the port it comes from
 *     (prerouting, low 16 bits) and goes to (forward, high 16 bits), and
 *     drops what a port may not send at all: another MAC, another address
 *     (ARP included) than its fixed IPs and allowed address pairs, DHCP
 *     server replies, router advertisements. Stateless, as this family is.
 *
 *   table inet nucleon-sg     sees bridged IPv4 and IPv6 through
 *     br_netfilter, with conntrack: one zone per bridge (so two networks'
 *     overlapping addresses never share state), then two base chains on the
 *     forward hook, `ingress` (by the destination mark) and `egress` (by the
 *     source mark), each jumping to the port's chain, which jumps to its
 *     groups' chains; a rule that matches accepts in that base chain only,
 *     so traffic between two ports of the host passes both checks.
 *
 * Replies of a connection are accepted by conntrack; packets in a
 * connection's original direction meet the rules every time, so a rule
 * removed (or a remote member gone) stops the connections it allowed at
 * their next packet, without a pass over the conntrack table.
 *
 * Remote groups and address groups are named sets, `<id>-v4` / `<id>-v6`:
 * their elements are kept apart from the rules (`elements`), so a member
 * joining or leaving changes a set, never a chain.
 */
import { IP_PROTOCOL_MAP, PORT_PROTOCOLS } from '../../../common/ipProtocols.js';
import type { FilteredPort, FirewallInput, FirewallRule, MemberAddresses } from './model.js';

export const TABLE = 'nucleon-sg';

export interface Ruleset {
  /** Both tables with their sets declared empty: the structure. */
  readonly tables: string;
  /** Set name (in the inet table) -> its elements, sorted. */
  readonly elements: ReadonlyMap<string, readonly string[]>;
  /** Bridge -> conntrack zone. */
  readonly zones: ReadonlyMap<string, number>;
}

const ICMP = 1;
const ICMPV6 = 58;
/** Neutron's default rules let these ICMPv6 messages in (MLD query, neighbour discovery, router advertisements). */
const ICMPV6_IN = 'mld-listener-query, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert';
/** ...and these out (router solicitation, neighbour discovery, MLD reports). */
const ICMPV6_OUT = 'nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-report, mld2-listener-report';
const MAX_PORTS = 0xffff;

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;
const quote = (name: string): string => `"${name}"`;
const isV6 = (address: string): boolean => address.includes(':');

/** The IPv6 link-local address a MAC gives (EUI-64), which a port may always send from. */
export function linkLocalOf(mac: string): string {
  const b = mac.split(':').map((part) => parseInt(part, 16));
  const groups = [((b[0]! ^ 2) << 8) | b[1]!, (b[2]! << 8) | 0xff, 0xfe00 | b[3]!, (b[4]! << 8) | b[5]!];
  return `fe80::${groups.map((g) => g.toString(16)).join(':')}`;
}

/** Conntrack zones: a bridge keeps its zone, a new one takes the lowest free. */
export function assignZones(bridges: Iterable<string>, previous: ReadonlyMap<string, number>): Map<string, number> {
  const wanted = [...new Set(bridges)].sort();
  const zones = new Map<string, number>();
  for (const bridge of wanted) {
    const zone = previous.get(bridge);
    if (zone !== undefined) zones.set(bridge, zone);
  }
  const taken = new Set(zones.values());
  let next = 1;
  for (const bridge of wanted) {
    if (zones.has(bridge)) continue;
    while (taken.has(next)) next++;
    zones.set(bridge, next);
    taken.add(next);
  }
  // In bridge order, so that the same bridges always give the same text.
  return new Map(wanted.map((bridge) => [bridge, zones.get(bridge)!]));
}

/** nft names start with a letter, UUIDs may not: groups are `sg-<id>`, address groups `ag-<id>`. */
const groupChain = (group: string, direction: 'ingress' | 'egress'): string => `sg-${group}-${direction}`;
const setName = (rule: FirewallRule, remote: string): string =>
  `${rule.remote_group_id === undefined ? 'ag' : 'sg'}-${remote}-${rule.ethertype === 'IPv6' ? 'v6' : 'v4'}`;

/** A protocol as Neutron stores it (name, number as text, or absent) -> its number; undefined: any. */
function protocolNumber(rule: FirewallRule): number | undefined {
  const protocol = rule.protocol?.toLowerCase();
  if (protocol === undefined || protocol === '' || protocol === 'any') return undefined;
  const number = IP_PROTOCOL_MAP.get(protocol) ?? Number(protocol);
  if (!Number.isInteger(number)) return undefined;
  // IPv6 rules may say icmp for ICMPv6, as Neutron lets them.
  return number === ICMP && rule.ethertype === 'IPv6' ? ICMPV6 : number;
}

function protocolMatch(rule: FirewallRule): string[] {
  const number = protocolNumber(rule);
  if (number === undefined) return [];
  const { port_range_min: min, port_range_max: max } = rule;
  if (number === ICMP || number === ICMPV6) {
    const keyword = number === ICMP ? 'icmp' : 'icmpv6';
    if (min === undefined) return [`meta l4proto ${number === ICMP ? 'icmp' : 'ipv6-icmp'}`];
    return [`${keyword} type ${min}`, ...(max === undefined ? [] : [`${keyword} code ${max}`])];
  }
  const parts = [`meta l4proto ${number}`];
  if (PORT_PROTOCOLS.has(number) && min !== undefined) {
    parts.push(`th dport ${max === undefined || max === min ? min : `${min}-${max}`}`);
  }
  return parts;
}

/** One rule of a group's chain, for traffic to (ingress) or from (egress) its ports. */
function ruleLine(rule: FirewallRule): string {
  const v6 = rule.ethertype === 'IPv6';
  const family = v6 ? 'ip6' : 'ip';
  const side = rule.direction === 'ingress' ? 'saddr' : 'daddr';
  const parts = [`meta nfproto ${v6 ? 'ipv6' : 'ipv4'}`];
  const prefix = rule.direction === 'ingress' ? rule.source_ip_prefix : rule.dest_ip_prefix;
  if (prefix !== undefined && !/\/0$/.test(prefix)) parts.push(`${family} ${side} ${prefix}`);
  const remote = rule.remote_group_id ?? rule.remote_address_group_id;
  if (remote !== undefined) parts.push(`${family} ${side} @${setName(rule, remote)}`);
  parts.push(...protocolMatch(rule), 'accept');
  return parts.join(' ');
}

/** The elements of a member set, as nft accepts them (an interval set merges overlaps). */
function setElements(members: MemberAddresses | undefined, v6: boolean): string[] {
  return [...new Set(v6 ? (members?.v6 ?? []) : (members?.v4 ?? []))].sort();
}

const chain = (name: string, lines: readonly string[], head?: string): string => {
  const body = [...(head === undefined ? [] : [head]), ...lines].map((line) => `\t\t${line}`).join('\n');
  return `\tchain ${name} {\n${body}\n\t}`;
};

/** A one-line map or verdict map; nothing when it would be empty (nft refuses `{ }`). */
const mapLine = (prefix: string, entries: readonly string[]): string[] => (entries.length === 0 ? [] : [`${prefix} { ${entries.join(', ')} }`]);

/** What a port may send at all, checked before anything else sees the frame. */
function spoofLines(port: FilteredPort): string[] {
  const macs = [...new Set([port.mac, ...port.allowedAddressPairs.map((p) => p.mac)].map((m) => m.toLowerCase()))].sort();
  const addresses = [...new Set([...port.fixedIps, ...port.allowedAddressPairs.map((p) => p.ip)])];
  const v4 = addresses.filter((a) => !isV6(a)).sort();
  const v6 = [...new Set([...addresses.filter(isV6), ...macs.map(linkLocalOf)])].sort();
  const set = (items: readonly string[]) => `{ ${items.join(', ')} }`;
  const lines = [`ether saddr != ${set(macs)} drop`];
  lines.push(v4.length === 0 ? 'ether type arp drop' : `arp saddr ip != ${set(v4)} drop`);
  // A DHCP client has no address yet; a DHCP server in a VM is not heard by the others.
  lines.push('ip saddr 0.0.0.0 ip daddr 255.255.255.255 udp sport 68 udp dport 67 return');
  lines.push('ether type ip udp sport 67 udp dport 68 drop');
  lines.push(v4.length === 0 ? 'ether type ip drop' : `ip saddr != ${set(v4)} drop`);
  // Duplicate address detection and MLD go out from :: before the address is configured.
  lines.push('ip6 saddr :: icmpv6 type { nd-neighbor-solicit, mld-listener-report, mld2-listener-report } return');
  lines.push(`ip6 saddr != ${set(v6)} drop`);
  lines.push('ether type ip6 udp sport 547 udp dport 546 drop');
  lines.push('icmpv6 type nd-router-advert drop');
  return lines;
}

/** A port's chain in one direction: Neutron's default allowances, then its groups, then drop. */
function portLines(direction: 'ingress' | 'egress', groups: readonly string[], stateful: boolean): string[] {
  const lines = stateful ? ['ct state invalid drop', 'ct state related accept', 'ct direction reply ct state established accept'] : [];
  if (direction === 'ingress') {
    lines.push('meta nfproto ipv4 udp sport 67 udp dport 68 accept');
    lines.push('ip6 saddr fe80::/10 udp sport 547 udp dport 546 accept');
    lines.push(`icmpv6 type { ${ICMPV6_IN} } accept`);
  } else {
    lines.push('meta nfproto ipv4 udp sport 68 udp dport 67 accept');
    lines.push('meta nfproto ipv6 udp sport 546 udp dport 547 accept');
    lines.push(`icmpv6 type { ${ICMPV6_OUT} } accept`);
  }
  for (const group of groups) lines.push(`jump ${groupChain(group, direction)}`);
  lines.push('drop');
  return lines;
}

export function buildRuleset(input: FirewallInput): Ruleset {
  const ports = [...input.ports].sort((a, b) => a.device.localeCompare(b.device)).slice(0, MAX_PORTS);
  const zones = assignZones(
    ports.map((p) => p.bridge),
    input.zones,
  );
  const groupIds = [...new Set(ports.flatMap((p) => p.securityGroups))].sort();

  const elements = new Map<string, string[]>();
  for (const group of groupIds) {
    for (const rule of input.groups.get(group) ?? []) {
      const remote = rule.remote_group_id ?? rule.remote_address_group_id;
      if (remote === undefined) continue;
      elements.set(setName(rule, remote), setElements(input.members.get(remote), rule.ethertype === 'IPv6'));
    }
  }
  const sortedSets = [...elements.keys()].sort();

  const index = new Map(ports.map((port, i) => [port.device, i + 1]));
  const bridgeChains: string[] = [];
  const inetChains: string[] = [];
  for (const port of ports) {
    const i = index.get(port.device)!;
    bridgeChains.push(chain(`${port.device}-to`, [`meta mark set meta mark | ${hex(i * 0x10000)}`]));
    bridgeChains.push(chain(`${port.device}-spoof`, spoofLines(port)));
    const stateful = !port.securityGroups.some((g) => input.statelessGroups.has(g));
    inetChains.push(chain(`${port.device}-ingress`, portLines('ingress', port.securityGroups, stateful)));
    inetChains.push(chain(`${port.device}-egress`, portLines('egress', port.securityGroups, stateful)));
  }
  for (const group of groupIds) {
    const rules = input.groups.get(group) ?? [];
    for (const direction of ['ingress', 'egress'] as const) {
      inetChains.push(chain(groupChain(group, direction), rules.filter((r) => r.direction === direction).map(ruleLine)));
    }
  }

  const bridge = [
    `table bridge ${TABLE} {`,
    chain(
      'prerouting',
      [
        ...mapLine('meta mark set iifname map', ports.map((p) => `${quote(p.device)} : ${hex(index.get(p.device)!)}`)),
        ...mapLine('iifname vmap', ports.map((p) => `${quote(p.device)} : jump ${p.device}-spoof`)),
      ],
      'type filter hook prerouting priority -300; policy accept;',
    ),
    chain('forward', mapLine('oifname vmap', ports.map((p) => `${quote(p.device)} : jump ${p.device}-to`)), 'type filter hook forward priority -300; policy accept;'),
    ...bridgeChains,
    '}',
  ];
  const zoneEntries = [...zones].map(([name, zone]) => `${quote(name)} : ${zone}`);
  const inet = [
    `table inet ${TABLE} {`,
    ...sortedSets.map((name) => `\tset ${name} {\n\t\ttype ${name.endsWith('-v6') ? 'ipv6_addr' : 'ipv4_addr'}\n\t\tflags interval\n\t\tauto-merge\n\t}`),
    chain('zone-in', mapLine('ct zone set iifname map', zoneEntries), 'type filter hook prerouting priority raw; policy accept;'),
    chain('zone-out', mapLine('ct zone set oifname map', zoneEntries), 'type filter hook output priority raw; policy accept;'),
    chain(
      'ingress',
      mapLine('meta mark & 0xffff0000 vmap', ports.map((p) => `${hex(index.get(p.device)! * 0x10000)} : jump ${p.device}-ingress`)),
      'type filter hook forward priority filter; policy accept;',
    ),
    chain(
      'egress',
      mapLine('meta mark & 0x0000ffff vmap', ports.map((p) => `${hex(index.get(p.device)!)} : jump ${p.device}-egress`)),
      'type filter hook forward priority 10; policy accept;',
    ),
    ...inetChains,
    '}',
  ];
  return { tables: `${bridge.join('\n')}\n${inet.join('\n')}\n`, elements, zones };
}
