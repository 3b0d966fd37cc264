/**
 * The forwarding entries l2population sends to L2 agents, in the contract's
 * wire shape (src/rpc/contract/l2population.ts, as Neutron's
 * neutron/plugins/ml2/drivers/l2pop/mech_driver.py spells them). The flooding entry ["00:00:00:00:00:00", "0.0.0.0"] in a VTEP's list means
 * "send broadcast and unknown traffic of this network there too": a host
 * gets it from the others when its first port on the network goes up, and
 * loses it when its last one goes down. Pure functions; the service that
 * reads the database and sends them is l2population.ts.
 */
import type { FdbEntries, FdbEntry, IpChanges } from '../../../rpc/contract/index.js';
import type { Segment } from '../segment.js';

export type { FdbEntry };

export const FLOODING_ENTRY: FdbEntry = ['00:00:00:00:00:00', '0.0.0.0'];

/** The segment types l2population handles: overlays, where the server knows every VTEP. */
export const TUNNEL_TYPES: readonly string[] = ['vxlan', 'gre', 'geneve'];

type Configurations = Readonly<Record<string, unknown>>;

const strings = (value: unknown): string[] | undefined =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined;

/** The VTEP address of an agent that takes part in l2population (`l2_population: true` and a `tunneling_ip`). */
export function l2popAgentIp(configurations: Configurations): string | undefined {
  const ip = configurations.tunneling_ip;
  return configurations.l2_population === true && typeof ip === 'string' && ip !== '' ? ip : undefined;
}

/** Whether an agent carries a segment with l2population: an overlay type in its l2pop_network_types, else its tunnel_types. */
export function carriesSegment(configurations: Configurations, segment: Segment): boolean {
  if (!TUNNEL_TYPES.includes(segment.networkType)) return false;
  const types = strings(configurations.l2pop_network_types) ?? strings(configurations.tunnel_types) ?? [];
  return types.includes(segment.networkType);
}

/** One [mac, ip] per fixed IP of a port. */
export function portFdbEntries(port: { readonly mac_address?: unknown; readonly fixed_ips?: unknown }): FdbEntry[] {
  if (typeof port.mac_address !== 'string' || !Array.isArray(port.fixed_ips)) return [];
  return port.fixed_ips
    .map((ip: unknown) => (ip && typeof ip === 'object' ? (ip as Record<string, unknown>).ip_address : undefined))
    .filter((ip): ip is string => typeof ip === 'string')
    .map((ip): FdbEntry => [port.mac_address as string, ip]);
}

export function fdbEntries(networkId: string, segment: Segment, ports: Record<string, FdbEntry[]>): FdbEntries {
  return { [networkId]: { segment_id: segment.segmentationId, network_type: segment.networkType, ports } };
}

/** An ACTIVE port of a network, on a host whose agent takes part in l2population. */
export interface ActivePort {
  readonly host: string;
  readonly agentIp: string;
  readonly entries: readonly FdbEntry[];
}

/**
 * What the agent of `host` needs to know about the rest of the network when
 * its first port there goes up: every other VTEP with a port up, with the
 * flooding entry first, then the entries of the ports behind it.
 */
export function remoteEntries(host: string, active: readonly ActivePort[]): Record<string, FdbEntry[]> {
  const out: Record<string, FdbEntry[]> = {};
  for (const port of active) {
    if (port.host === host) continue;
    const list = (out[port.agentIp] ??= [FLOODING_ENTRY]);
    list.push(...port.entries);
  }
  return out;
}

/**
 * update_fdb_entries for a port whose addresses changed while ACTIVE:
 * `{"chg_ip": {<network>: {<vtep>: {"before": [...], "after": [...]}}}}`,
 * or undefined when no address changed.
 */
export function changedIps(
  networkId: string,
  agentIp: string,
  mac: string,
  before: readonly string[],
  after: readonly string[],
): IpChanges | undefined {
  const removed = before.filter((ip) => !after.includes(ip));
  const added = after.filter((ip) => !before.includes(ip));
  if (removed.length === 0 && added.length === 0) return undefined;
  const change: { before?: FdbEntry[]; after?: FdbEntry[] } = {};
  if (removed.length > 0) change.before = removed.map((ip): FdbEntry => [mac, ip]);
  if (added.length > 0) change.after = added.map((ip): FdbEntry => [mac, ip]);
  return { chg_ip: { [networkId]: { [agentIp]: change } } };
}
