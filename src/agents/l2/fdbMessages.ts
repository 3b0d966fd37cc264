/**
 * The l2population messages as the agent receives them (checked against the
 * contract first, src/rpc/contract/l2population.ts), as per-network entry
 * lists.
 */
import type { FdbEntries, FdbEntry, IpChanges } from '../../rpc/contract/index.js';
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

const pairs = (vtep: string, list: readonly FdbEntry[] | undefined): RemoteEntry[] => (list ?? []).map(([mac, ip]) => ({ vtep, mac, ip }));

/** add_fdb_entries / remove_fdb_entries, for the overlay types the agent carries (the Linux bridge agent: VXLAN only). */
export function networkEntries(fdbEntries: FdbEntries, overlayTypes: readonly string[] = ['vxlan']): NetworkEntries[] {
  return Object.entries(fdbEntries)
    .filter(([, network]) => overlayTypes.includes(network.network_type))
    .map(([networkId, network]) => ({ networkId, entries: Object.entries(network.ports).flatMap(([vtep, list]) => pairs(vtep, list)) }));
}

/** update_fdb_entries: `chg_ip` (a port's addresses changed while ACTIVE). */
export function ipChanges(fdbEntries: IpChanges): IpChange[] {
  return Object.entries(fdbEntries.chg_ip ?? {}).flatMap(([networkId, vteps]) =>
    Object.entries(vteps).map(([vtep, change]) => ({ networkId, before: pairs(vtep, change.before), after: pairs(vtep, change.after) })),
  );
}
