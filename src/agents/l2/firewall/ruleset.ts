/**
 * The firewall of a Linux bridge host as nftables text: a pure function of
 * the filtered ports and their groups (model.ts), which the agent applies in
 * one `nft -f` transaction (firewall.ts). Two tables, both ours alone:
 *
 *   table bridge nucleon-sg   runs before br_netfilter hands bridged IP to
 *     the inet hooks: marks each packet from a filtered port with its
 *     profile (prerouting, low 16 bits) and each one going to such a port
 *     with that port's profile (forward, high 16 bits), and drops what a port
 *     may not send at all: another MAC, another address (ARP included) than
 *     its fixed IPs, allowed address pairs and link-local address, DHCP
 *     server replies, router advertisements. Stateless, as this family is.
 *
 *   table inet nucleon-sg     sees bridged IPv4 and IPv6 through
 *     br_netfilter, with conntrack: one zone per bridge (so two networks'
 *     overlapping addresses never share state), then two base chains on the
 *     forward hook, `ingress` (by the destination's profile) and `egress`
 *     (by the source's), each jumping to the profile's chain, which jumps to
 *     its groups' chains; a rule that matches accepts in that base chain
 *     only, so traffic between two ports of the host passes both checks.
 *
 * A profile is what ports with the same groups share: ten groups make at
 * most a handful of chains, not four per port. Everything per port (its
 * profile, MACs and addresses) and per group member is in sets and maps,
 * kept apart from the tables as `elements`: a port that comes or goes, or
 * a member that joins or leaves, changes elements, never a chain.
 *
 * Replies of a connection are accepted by conntrack; packets in a
 * connection's original direction meet the rules every time, so a rule
 * removed (or a remote member gone) stops the connections it allowed at
 * their next packet, without a pass over the conntrack table.
 */
import ipaddr from 'ipaddr.js';

import { IP_PROTOCOL_MAP, PORT_PROTOCOLS } from '../../../common/ipProtocols.js';
import type { FilteredPort, FirewallInput, FirewallRule, MemberAddresses } from './model.js';

export const TABLE = 'nucleon-sg';

/** A named set or map of one of the tables, and what it holds. */
export interface ElementHolder {
  readonly family: 'bridge' | 'inet';
  readonly kind: 'set' | 'map';
  readonly name: string;
  /** Sorted, as nft takes them (`"tap1" . 10.0.0.5`, `"tap1" : jump to-2`). */
  readonly elements: readonly string[];
}

/** A chain's rules, which can be rewritten alone while the chain stays. */
export interface ChainBody {
  readonly family: 'bridge' | 'inet';
  readonly name: string;
  readonly rules: readonly string[];
}

export interface Ruleset {
  /** Both tables, their sets and maps declared empty. */
  readonly tables: string;
  /** What the tables are made of without the chains' rules and the elements: when it stays, those can change in place. */
  readonly skeleton: string;
  /** `<family> <name>` -> the chain's rules. */
  readonly chains: ReadonlyMap<string, ChainBody>;
  /** `<family> <name>` -> the set or map and its elements. */
  readonly holders: ReadonlyMap<string, ElementHolder>;
  /** Bridge -> conntrack zone. */
  readonly zones: ReadonlyMap<string, number>;
}

const ICMP = 1;
const ICMPV6 = 58;
/** Neutron's default rules let these ICMPv6 messages in (MLD query, neighbour discovery, router advertisements). */
const ICMPV6_IN = 'mld-listener-query, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert';
/** ...and these out (router solicitation, neighbour discovery, MLD reports). */
const ICMPV6_OUT = 'nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-report, mld2-listener-report';
/** Profile ids live in 16 bits of the mark. */
const MAX_PROFILES = 0xffff;

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;
const quote = (name: string): string => `"${name}"`;

/**
 * An address or prefix of the given version as nft reads it (a prefix by its
 * network address), or undefined: a value the server should not have sent
 * drops its rule or element, never the whole firewall.
 */
function addressOf(text: string, v6: boolean): string | undefined {
  try {
    if (!text.includes('/')) {
      const address = ipaddr.parse(text);
      return (address.kind() === 'ipv6') === v6 ? address.toString() : undefined;
    }
    const [address, length] = ipaddr.parseCIDR(text);
    if ((address.kind() === 'ipv6') !== v6) return undefined;
    const network = v6 ? ipaddr.IPv6.networkAddressFromCIDR(text) : ipaddr.IPv4.networkAddressFromCIDR(text);
    return `${network.toString()}/${length}`;
  } catch {
    return undefined;
  }
}

const addressesOf = (texts: Iterable<string>, v6: boolean): string[] => sorted([...texts].flatMap((text) => addressOf(text, v6) ?? []));
const sorted = (items: Iterable<string>): string[] => [...new Set(items)].sort();
const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/;

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

/** A protocol as Neutron stores it (name, number as text, or absent) -> its number; 'any'; or undefined when unknown. */
function protocolNumber(rule: FirewallRule): number | 'any' | undefined {
  const protocol = rule.protocol?.toLowerCase();
  if (protocol === undefined || protocol === '' || protocol === 'any') return 'any';
  const number = IP_PROTOCOL_MAP.get(protocol) ?? (/^\d+$/.test(protocol) ? Number(protocol) : undefined);
  if (number === undefined || number > 255) return undefined;
  // IPv6 rules may say icmp for ICMPv6, as Neutron lets them.
  return number === ICMP && rule.ethertype === 'IPv6' ? ICMPV6 : number;
}

function protocolMatch(rule: FirewallRule): string[] | undefined {
  const number = protocolNumber(rule);
  if (number === undefined) return undefined;
  if (number === 'any') return [];
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

/** One rule of a group's chain, for traffic to (ingress) or from (egress) its ports; none for a rule it cannot read (it allows nothing). */
function ruleLine(rule: FirewallRule): string[] {
  const v6 = rule.ethertype === 'IPv6';
  const family = v6 ? 'ip6' : 'ip';
  const side = rule.direction === 'ingress' ? 'saddr' : 'daddr';
  const parts = [`meta nfproto ${v6 ? 'ipv6' : 'ipv4'}`];
  const prefixText = rule.direction === 'ingress' ? rule.source_ip_prefix : rule.dest_ip_prefix;
  if (prefixText !== undefined) {
    const prefix = addressOf(prefixText, v6);
    if (prefix === undefined) return [];
    if (!prefix.endsWith('/0')) parts.push(`${family} ${side} ${prefix}`);
  }
  const remote = rule.remote_group_id ?? rule.remote_address_group_id;
  if (remote !== undefined) parts.push(`${family} ${side} @${setName(rule, remote)}`);
  const protocol = protocolMatch(rule);
  if (protocol === undefined) return [];
  parts.push(...protocol, 'accept');
  return [parts.join(' ')];
}

/** The elements of a member set, as nft accepts them (an interval set merges overlaps). */
const memberElements = (members: MemberAddresses | undefined, v6: boolean): string[] => addressesOf(v6 ? (members?.v6 ?? []) : (members?.v4 ?? []), v6);

/** A one-line verdict map; nothing when it would be empty (nft refuses `{ }`). */
const vmapLine = (prefix: string, entries: readonly string[]): string[] => (entries.length === 0 ? [] : [`${prefix} vmap { ${entries.join(', ')} }`]);

/** A set or map's declaration. `interval`: elements may be prefixes; `merge`: overlapping ones merge (not with concatenations). */
function declare(holder: ElementHolder, type: string, options: { interval?: boolean; merge?: boolean } = {}): string {
  const lines = [`type ${type}`, ...(options.interval ? ['flags interval'] : []), ...(options.merge ? ['auto-merge'] : [])];
  return `\t${holder.kind} ${holder.name} {\n${lines.map((line) => `\t\t${line}\n`).join('')}\t}`;
}

/** What every filtered port may not send, checked before anything else sees the frame; its MACs and addresses are sets. */
const SPOOF_LINES = [
  'iifname != @ports accept',
  'meta mark set iifname map @port_profile',
  'iifname . ether saddr != @port_macs drop',
  'iifname . arp saddr ip != @port_v4 drop',
  // A DHCP client has no address yet; a DHCP server in a VM is not heard by the others.
  'ip saddr 0.0.0.0 ip daddr 255.255.255.255 udp sport 68 udp dport 67 accept',
  'ether type ip udp sport 67 udp dport 68 drop',
  'iifname . ip saddr != @port_v4 drop',
  // Duplicate address detection and MLD go out from :: before the address is configured.
  'ip6 saddr :: icmpv6 type { nd-neighbor-solicit, mld-listener-report, mld2-listener-report } accept',
  'iifname . ip6 saddr != @port_v6 drop',
  'ether type ip6 udp sport 547 udp dport 546 drop',
  'icmpv6 type nd-router-advert drop',
];

/** A profile's chain in one direction: Neutron's default allowances, then its groups, then drop. */
function profileLines(direction: 'ingress' | 'egress', groups: readonly string[], stateful: boolean): string[] {
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

/** The ports' profiles: ports with the same groups (and statefulness) share one, numbered from 1 in a stable order. */
function profilesOf(ports: readonly FilteredPort[], stateless: ReadonlySet<string>) {
  const keyOf = (port: FilteredPort) => {
    const groups = sorted(port.securityGroups);
    return { key: `${groups.some((g) => stateless.has(g)) ? 'stateless' : 'stateful'} ${groups.join(' ')}`, groups };
  };
  const byKey = new Map<string, { groups: string[]; stateful: boolean }>();
  for (const port of ports) {
    const { key, groups } = keyOf(port);
    byKey.set(key, { groups, stateful: key.startsWith('stateful') });
  }
  const keys = [...byKey.keys()].sort().slice(0, MAX_PROFILES);
  const ids = new Map(keys.map((key, i) => [key, i + 1]));
  return {
    profiles: keys.map((key) => ({ id: ids.get(key)!, ...byKey.get(key)! })),
    profileOf: (port: FilteredPort): number | undefined => ids.get(keyOf(port).key),
  };
}

/** The addresses a port may send from: fixed IPs, allowed address pairs, the link-local addresses of its MACs. */
function portAddresses(port: FilteredPort): { macs: string[]; v4: string[]; v6: string[] } {
  const macs = sorted([port.mac, ...port.allowedAddressPairs.map((p) => p.mac)].map((m) => m.toLowerCase()).filter((m) => MAC.test(m)));
  const addresses = [...port.fixedIps, ...port.allowedAddressPairs.map((p) => p.ip)];
  return { macs, v4: addressesOf(addresses, false), v6: addressesOf([...addresses, ...macs.map(linkLocalOf)], true) };
}

export function buildRuleset(input: FirewallInput): Ruleset {
  const { profiles, profileOf } = profilesOf(input.ports, input.statelessGroups);
  const ports = input.ports.filter((port) => profileOf(port) !== undefined);
  const zones = assignZones(
    ports.map((p) => p.bridge),
    input.zones,
  );
  const groupIds = sorted(profiles.flatMap((p) => p.groups));

  const holders = new Map<string, ElementHolder>();
  const hold = (family: ElementHolder['family'], kind: ElementHolder['kind'], name: string, elements: Iterable<string>): ElementHolder => {
    const holder = { family, kind, name, elements: sorted(elements) };
    holders.set(`${family} ${name}`, holder);
    return holder;
  };
  const chains = new Map<string, ChainBody>();
  const skeleton: string[] = [];
  const chainOf = (family: ChainBody['family']) => (name: string, rules: readonly string[], head?: string): string => {
    chains.set(`${family} ${name}`, { family, name, rules });
    skeleton.push(`${family} chain ${name} ${head ?? ''}`);
    const body = [...(head === undefined ? [] : [head]), ...rules].map((line) => `\t\t${line}`).join('\n');
    return `\tchain ${name} {\n${body}\n\t}`;
  };
  const quoted = (port: FilteredPort) => quote(port.device);
  const addressed = ports.map((port) => ({ port, ...portAddresses(port) }));
  const bridgeHolders = [
    declare(hold('bridge', 'set', 'ports', ports.map(quoted)), 'ifname'),
    declare(hold('bridge', 'map', 'port_profile', ports.map((p) => `${quoted(p)} : ${hex(profileOf(p)!)}`)), 'ifname : mark'),
    declare(hold('bridge', 'map', 'port_to', ports.map((p) => `${quoted(p)} : jump to-${profileOf(p)!}`)), 'ifname : verdict'),
    declare(hold('bridge', 'set', 'port_macs', addressed.flatMap((a) => a.macs.map((mac) => `${quoted(a.port)} . ${mac}`))), 'ifname . ether_addr'),
    declare(hold('bridge', 'set', 'port_v4', addressed.flatMap((a) => a.v4.map((ip) => `${quoted(a.port)} . ${ip}`))), 'ifname . ipv4_addr', { interval: true }),
    declare(hold('bridge', 'set', 'port_v6', addressed.flatMap((a) => a.v6.map((ip) => `${quoted(a.port)} . ${ip}`))), 'ifname . ipv6_addr', { interval: true }),
  ];

  const memberSets: string[] = [];
  for (const group of groupIds) {
    for (const rule of input.groups.get(group) ?? []) {
      const remote = rule.remote_group_id ?? rule.remote_address_group_id;
      if (remote === undefined || holders.has(`inet ${setName(rule, remote)}`)) continue;
      const v6 = rule.ethertype === 'IPv6';
      memberSets.push(declare(hold('inet', 'set', setName(rule, remote), memberElements(input.members.get(remote), v6)), v6 ? 'ipv6_addr' : 'ipv4_addr', { interval: true, merge: true }));
    }
  }
  memberSets.sort();

  let chain = chainOf('bridge');
  const bridge = [
    `table bridge ${TABLE} {`,
    ...bridgeHolders,
    chain('prerouting', SPOOF_LINES, 'type filter hook prerouting priority -300; policy accept;'),
    chain('forward', ['oifname vmap @port_to'], 'type filter hook forward priority -300; policy accept;'),
    ...profiles.map((p) => chain(`to-${p.id}`, [`meta mark set meta mark | ${hex(p.id * 0x10000)}`])),
    '}',
  ];
  const zoneMap = [...zones].map(([name, zone]) => `${quote(name)} : ${zone}`);
  const zoneLines = (key: 'iifname' | 'oifname') => (zoneMap.length === 0 ? [] : [`ct zone set ${key} map { ${zoneMap.join(', ')} }`]);
  chain = chainOf('inet');
  const inet = [
    `table inet ${TABLE} {`,
    ...memberSets,
    chain('zone-in', zoneLines('iifname'), 'type filter hook prerouting priority raw; policy accept;'),
    chain('zone-out', zoneLines('oifname'), 'type filter hook output priority raw; policy accept;'),
    chain(
      'ingress',
      vmapLine('meta mark & 0xffff0000', profiles.map((p) => `${hex(p.id * 0x10000)} : jump profile-${p.id}-ingress`)),
      'type filter hook forward priority filter; policy accept;',
    ),
    chain('egress', vmapLine('meta mark & 0x0000ffff', profiles.map((p) => `${hex(p.id)} : jump profile-${p.id}-egress`)), 'type filter hook forward priority 10; policy accept;'),
    ...profiles.flatMap((p) => (['ingress', 'egress'] as const).map((direction) => chain(`profile-${p.id}-${direction}`, profileLines(direction, p.groups, p.stateful)))),
    ...groupIds.flatMap((group) =>
      (['ingress', 'egress'] as const).map((direction) => chain(groupChain(group, direction), (input.groups.get(group) ?? []).filter((r) => r.direction === direction).flatMap(ruleLine))),
    ),
    '}',
  ];
  const declarations = [...bridgeHolders, ...memberSets].join('\n');
  return { tables: `${bridge.join('\n')}\n${inet.join('\n')}\n`, skeleton: `${declarations}\n${skeleton.join('\n')}`, chains, holders, zones };
}
