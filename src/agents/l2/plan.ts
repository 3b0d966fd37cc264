/**
 * The difference between what should be (desiredState.ts, fdbTable.ts) and
 * what is (the namespace's links, forwarding and neighbour entries), as
 * `ip -batch` and `bridge -batch` lines. Pure, so every case is a table test;
 * `--dry-run` prints these lines.
 *
 * Existing devices are reused whenever they fit (a restarted agent changes
 * nothing on a host that is already right, so traffic never stops); a VXLAN
 * device whose VNI, VTEP, port or learning mode differs is recreated. Lines
 * come in groups, one per network (and one for removals): the agent applies
 * all of them in one batch per tool and, should a line fail, group by group,
 * so one broken network does not hold the others back.
 */
import type { FdbEntry, Link, NeighEntry } from '../../host/ip.js';
import type { DesiredNetwork, DesiredState, Uplink } from './desiredState.js';
import { FLOODING_MAC, type NetworkFdb } from './fdbTable.js';
import { BRIDGE_PREFIX, TAP_PREFIX, VXLAN_PREFIX } from './names.js';

export interface ActualHost {
  readonly links: readonly Link[];
  /** `bridge fdb show dev <vxlan>`, for the VXLAN devices of desired networks that exist. */
  readonly fdb: ReadonlyMap<string, readonly FdbEntry[]>;
  /** `ip neigh show dev <vxlan>`, likewise (with arp_responder). */
  readonly neighbours: ReadonlyMap<string, readonly NeighEntry[]>;
}

export interface PlanInput {
  readonly desired: DesiredState;
  readonly actual: ActualHost;
  /** The l2population entries of a network; undefined without l2population. */
  readonly fdbOf?: (networkId: string) => NetworkFdb;
  /** Whether neighbour entries are programmed (arp_responder). */
  readonly neighbourEntries?: boolean;
  /** Taps whose port is gone (port_delete, network_delete): taken out of their brq bridge. */
  readonly released: ReadonlySet<string>;
  /** Bridges not to remove although no desired network has them (their taps' details are not known yet). */
  readonly keepBridges: ReadonlySet<string>;
}

export interface PlanGroup {
  /** A network id, or `cleanup`. */
  readonly label: string;
  readonly ip: readonly string[];
  readonly bridge: readonly string[];
}

export interface Plan {
  readonly groups: readonly PlanGroup[];
}

export const planIsEmpty = (plan: Plan): boolean => plan.groups.every((g) => g.ip.length === 0 && g.bridge.length === 0);

/** The plan as a person reads it: `ip ...` then `bridge ...` lines. */
export const planLines = (plan: Plan): string[] => [
  ...plan.groups.flatMap((g) => g.ip.map((line) => `ip ${line}`)),
  ...plan.groups.flatMap((g) => g.bridge.map((line) => `bridge ${line}`)),
];

const kindOf = (link: Link): string | undefined => link.linkinfo?.info_kind;
const isUp = (link: Link): boolean => link.flags.includes('UP');

function vxlanFits(link: Link, uplink: Extract<Uplink, { kind: 'vxlan' }>): boolean {
  if (kindOf(link) !== 'vxlan') return false;
  const data = link.linkinfo?.info_data ?? {};
  return (
    data.id === uplink.vni &&
    data.local === uplink.localIp &&
    data.port === uplink.dstPort &&
    (data.link === undefined || data.link === uplink.underlay) &&
    (data.learning ?? true) === uplink.learning &&
    (data.proxy ?? false) === uplink.proxy &&
    (uplink.group === undefined || data.group === uplink.group)
  );
}

function vxlanAddLine(uplink: Extract<Uplink, { kind: 'vxlan' }>): string {
  const parts = [`link add ${uplink.name} type vxlan id ${uplink.vni} local ${uplink.localIp} dev ${uplink.underlay} dstport ${uplink.dstPort}`];
  if (uplink.group !== undefined) parts.push(`group ${uplink.group}`);
  if (uplink.ttl !== undefined) parts.push(`ttl ${uplink.ttl}`);
  if (uplink.tos !== undefined) parts.push(`tos ${uplink.tos}`);
  if (!uplink.learning) parts.push('nolearning');
  if (uplink.proxy) parts.push('proxy');
  return parts.join(' ');
}

/** `link set <dev> [master <bridge>] [mtu <n>] [up|down]`, or nothing when the device is right. */
function setLine(name: string, link: Link | undefined, want: { master?: string; mtu?: number | null; up?: boolean }): string[] {
  const changes: string[] = [];
  if (want.master !== undefined && link?.master !== want.master) changes.push(`master ${want.master}`);
  if (want.mtu !== undefined && want.mtu !== null && link?.mtu !== want.mtu) changes.push(`mtu ${want.mtu}`);
  if (want.up !== undefined && (link === undefined || isUp(link) !== want.up)) changes.push(want.up ? 'up' : 'down');
  return changes.length === 0 ? [] : [`link set dev ${name} ${changes.join(' ')}`];
}

/** Returns true when the uplink is created by these lines (so it holds no forwarding entries yet). */
function uplinkLines(network: DesiredNetwork, byName: ReadonlyMap<string, Link>, ip: string[]): boolean {
  const uplink = network.uplink;
  if (!uplink) return false;
  const link = byName.get(uplink.name);
  switch (uplink.kind) {
    case 'vxlan': {
      let existing = link;
      if (existing && !vxlanFits(existing, uplink)) {
        ip.push(`link del dev ${uplink.name}`);
        existing = undefined;
      }
      if (!existing) ip.push(vxlanAddLine(uplink));
      ip.push(...setLine(uplink.name, existing, { master: network.bridge, mtu: network.mtu, up: true }));
      return !existing;
    }
    case 'vlan': {
      if (!link) ip.push(`link add link ${uplink.parent} name ${uplink.name} type vlan id ${uplink.vlan}`);
      ip.push(...setLine(uplink.name, link, { master: network.bridge, mtu: network.mtu, up: true }));
      return !link;
    }
    case 'interface':
      // The host's own interface: enslaved and up, its MTU is the operator's (as Neutron leaves it).
      ip.push(...setLine(uplink.name, link, { master: network.bridge, up: true }));
      return false;
    default: {
      const never: never = uplink;
      throw new Error(`unknown uplink ${JSON.stringify(never)}`);
    }
  }
}

function fdbLines(network: DesiredNetwork, input: PlanInput, fresh: boolean, ip: string[], bridge: string[]): void {
  const uplink = network.uplink;
  if (uplink?.kind !== 'vxlan' || !input.fdbOf) return;
  const wanted = input.fdbOf(network.networkId);
  const dev = uplink.name;
  const actual = fresh ? [] : (input.actual.fdb.get(dev) ?? []).filter((entry) => entry.dst !== undefined);
  const flood = new Set(actual.filter((e) => e.mac === FLOODING_MAC).map((e) => e.dst));
  const macs = new Map(actual.filter((e) => e.mac !== FLOODING_MAC).map((e) => [e.mac.toLowerCase(), e.dst]));
  for (const vtep of [...wanted.removedFloodVteps].sort()) {
    if (flood.has(vtep)) bridge.push(`fdb del ${FLOODING_MAC} dev ${dev} dst ${vtep}`);
  }
  for (const [mac, vtep] of [...wanted.removedMacs].sort()) {
    if (macs.get(mac) === vtep) bridge.push(`fdb del ${mac} dev ${dev} dst ${vtep}`);
  }
  for (const vtep of [...wanted.floodVteps].sort()) {
    if (!flood.has(vtep)) bridge.push(`fdb append ${FLOODING_MAC} dev ${dev} dst ${vtep}`);
  }
  for (const [mac, vtep] of [...wanted.macs].sort()) {
    if (macs.get(mac) !== vtep) bridge.push(`fdb replace ${mac} dev ${dev} dst ${vtep}`);
  }
  if (!input.neighbourEntries) return;
  const neighbours = new Map((fresh ? [] : (input.actual.neighbours.get(dev) ?? [])).map((n) => [n.dst, n]));
  for (const address of [...wanted.removedNeighbours].sort()) {
    if (neighbours.has(address)) ip.push(`neigh del ${address} dev ${dev}`);
  }
  for (const [address, mac] of [...wanted.neighbours].sort()) {
    const entry = neighbours.get(address);
    if (entry?.lladdr?.toLowerCase() !== mac || !(entry.state ?? []).includes('PERMANENT')) {
      ip.push(`neigh replace ${address} lladdr ${mac} dev ${dev} nud permanent`);
    }
  }
}

function networkGroup(network: DesiredNetwork, input: PlanInput, byName: ReadonlyMap<string, Link>): PlanGroup {
  const ip: string[] = [];
  const bridge: string[] = [];
  const existing = byName.get(network.bridge);
  if (network.ownBridge && existing && kindOf(existing) !== 'bridge') {
    // Something else took the name: nothing sensible to do but report it through a failing line.
    ip.push(`link add ${network.bridge} type bridge`);
  } else if (network.ownBridge && !existing) {
    // As Neutron: no STP, no forwarding delay (a new port forwards at once).
    ip.push(`link add ${network.bridge} type bridge forward_delay 0 stp_state 0`);
  }
  const fresh = uplinkLines(network, byName, ip);
  for (const tap of network.taps) ip.push(...setLine(tap.name, byName.get(tap.name), { master: network.bridge, mtu: network.mtu, up: tap.up }));
  if (network.ownBridge) ip.push(...setLine(network.bridge, existing, { mtu: network.mtu, up: true }));
  fdbLines(network, input, fresh, ip, bridge);
  return { label: network.networkId, ip, bridge };
}

/** Bridges of networks no longer wired here (with their VXLAN or VLAN device), and released taps. */
function cleanupGroup(input: PlanInput, byName: ReadonlyMap<string, Link>): PlanGroup {
  const ip: string[] = [];
  const wantedBridges = new Set([...input.desired.networks.values()].map((n) => n.bridge));
  const wantedUplinks = new Set([...input.desired.networks.values()].flatMap((n) => (n.uplink ? [n.uplink.name] : [])));
  for (const tap of [...input.released].sort()) {
    const link = byName.get(tap);
    if (link?.master?.startsWith(BRIDGE_PREFIX)) ip.push(`link set dev ${tap} nomaster`);
  }
  const stale = input.actual.links.filter(
    (link) => kindOf(link) === 'bridge' && link.ifname.startsWith(BRIDGE_PREFIX) && !wantedBridges.has(link.ifname) && !input.keepBridges.has(link.ifname),
  );
  for (const bridge of stale) {
    for (const port of input.actual.links.filter((link) => link.master === bridge.ifname)) {
      if (wantedUplinks.has(port.ifname)) continue;
      const kind = kindOf(port);
      if ((kind === 'vxlan' && port.ifname.startsWith(VXLAN_PREFIX)) || kind === 'vlan') ip.push(`link del dev ${port.ifname}`);
      else if (!port.ifname.startsWith(TAP_PREFIX)) ip.push(`link set dev ${port.ifname} nomaster`);
    }
    ip.push(`link del dev ${bridge.ifname}`);
  }
  return { label: 'cleanup', ip, bridge: [] };
}

export function planLinuxBridge(input: PlanInput): Plan {
  const byName = new Map(input.actual.links.map((link) => [link.ifname, link]));
  const networks = [...input.desired.networks.values()].sort((a, b) => a.bridge.localeCompare(b.bridge));
  // Removals first: a VNI or interface freed by one network may be taken by another in the same pass.
  return { groups: [cleanupGroup(input, byName), ...networks.map((network) => networkGroup(network, input, byName))] };
}
