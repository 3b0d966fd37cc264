/**
 * The l2population messages as the agent receives them (fdbTable.ts shows
 * the wire shape), parsed into per-network entry lists. Anything malformed
 * is skipped: the message comes from another process.
 */
import type { RemoteEntry } from './fdbTable.js';

export interface NetworkEntries {
  readonly networkId: string;
  readonly entries: RemoteEntry[];
}

export interface IpChange {
  readonly networkId: string;
  readonly before: RemoteEntry[];
  readonly after: RemoteEntry[];
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function pairs(vtep: string, list: unknown): RemoteEntry[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((pair) =>
    Array.isArray(pair) && typeof pair[0] === 'string' && typeof pair[1] === 'string' ? [{ vtep, mac: pair[0], ip: pair[1] }] : [],
  );
}

/** add_fdb_entries / remove_fdb_entries. Only VXLAN networks concern the Linux bridge agent. */
export function parseFdbEntries(fdbEntries: unknown): NetworkEntries[] {
  if (!isRecord(fdbEntries)) return [];
  const out: NetworkEntries[] = [];
  for (const [networkId, network] of Object.entries(fdbEntries)) {
    if (networkId === 'chg_ip' || !isRecord(network) || network.network_type !== 'vxlan' || !isRecord(network.ports)) continue;
    out.push({ networkId, entries: Object.entries(network.ports).flatMap(([vtep, list]) => pairs(vtep, list)) });
  }
  return out;
}

/** update_fdb_entries: `chg_ip` (a port's addresses changed while ACTIVE). */
export function parseIpChanges(fdbEntries: unknown): IpChange[] {
  if (!isRecord(fdbEntries) || !isRecord(fdbEntries.chg_ip)) return [];
  const out: IpChange[] = [];
  for (const [networkId, vteps] of Object.entries(fdbEntries.chg_ip)) {
    if (!isRecord(vteps)) continue;
    for (const [vtep, change] of Object.entries(vteps)) {
      if (!isRecord(change)) continue;
      out.push({ networkId, before: pairs(vtep, change.before), after: pairs(vtep, change.after) });
    }
  }
  return out;
}
