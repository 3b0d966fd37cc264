/**
 * The forwarding entries l2population sent this agent, kept as desired
 * state: every pass programs them into the VXLAN devices, so an entry
 * someone deleted comes back (drift repair). Entries the server took back
 * are remembered as removals until a pass has deleted them from the kernel;
 * an entry the server never mentioned is left alone, so a restarted agent
 * does not cut traffic before the server has resent everything
 * (refresh_tunnels).
 *
 * Wire shape (server side: src/plugins/ml2/l2population/fdb.ts):
 *   add_fdb_entries / remove_fdb_entries
 *     {fdb_entries: {<network>: {segment_id, network_type, ports: {<vtep>: [[mac, ip], ...]}}}}
 *   update_fdb_entries
 *     {fdb_entries: {chg_ip: {<network>: {<vtep>: {before: [[mac, ip]], after: [[mac, ip]]}}}}}
 */

export const FLOODING_MAC = '00:00:00:00:00:00';

export interface RemoteEntry {
  readonly vtep: string;
  readonly mac: string;
  readonly ip: string;
}

/** What the pass programs for one network, and what it deletes. */
export interface NetworkFdb {
  /** VTEPs that get broadcast and unknown traffic (one all-zeros entry each). */
  readonly floodVteps: ReadonlySet<string>;
  /** MAC -> VTEP. */
  readonly macs: ReadonlyMap<string, string>;
  /** IP -> MAC (neighbour entries, with arp_responder). */
  readonly neighbours: ReadonlyMap<string, string>;
  readonly removedFloodVteps: ReadonlySet<string>;
  /** MAC -> VTEP it was behind. */
  readonly removedMacs: ReadonlyMap<string, string>;
  readonly removedNeighbours: ReadonlySet<string>;
}

const key = (entry: RemoteEntry) => `${entry.vtep}|${entry.mac}|${entry.ip}`;

export class FdbTable {
  private readonly entries = new Map<string, Map<string, RemoteEntry>>();
  private readonly removed = new Map<string, Map<string, RemoteEntry>>();

  /** `localIp`'s own entries are dropped: this host is not a remote VTEP to itself. */
  constructor(private readonly localIp: string) {}

  add(networkId: string, entries: readonly RemoteEntry[]): void {
    const current = this.mapOf(this.entries, networkId);
    const removed = this.removed.get(networkId);
    for (const entry of entries) {
      if (entry.vtep === this.localIp) continue;
      const normal = { ...entry, mac: entry.mac.toLowerCase() };
      current.set(key(normal), normal);
      removed?.delete(key(normal));
    }
  }

  remove(networkId: string, entries: readonly RemoteEntry[]): void {
    const current = this.entries.get(networkId);
    const removed = this.mapOf(this.removed, networkId);
    for (const entry of entries) {
      if (entry.vtep === this.localIp) continue;
      const normal = { ...entry, mac: entry.mac.toLowerCase() };
      current?.delete(key(normal));
      removed.set(key(normal), normal);
    }
  }

  /** What the network's VXLAN device should hold (and lose), as of now. */
  forNetwork(networkId: string): NetworkFdb {
    const floodVteps = new Set<string>();
    const macs = new Map<string, string>();
    const neighbours = new Map<string, string>();
    for (const entry of this.entries.get(networkId)?.values() ?? []) {
      if (entry.mac === FLOODING_MAC) {
        floodVteps.add(entry.vtep);
      } else {
        macs.set(entry.mac, entry.vtep);
        neighbours.set(entry.ip, entry.mac);
      }
    }
    const removedFloodVteps = new Set<string>();
    const removedMacs = new Map<string, string>();
    const removedNeighbours = new Set<string>();
    for (const entry of this.removed.get(networkId)?.values() ?? []) {
      if (entry.mac === FLOODING_MAC) {
        if (!floodVteps.has(entry.vtep)) removedFloodVteps.add(entry.vtep);
      } else {
        if (!macs.has(entry.mac)) removedMacs.set(entry.mac, entry.vtep);
        if (!neighbours.has(entry.ip)) removedNeighbours.add(entry.ip);
      }
    }
    return { floodVteps, macs, neighbours, removedFloodVteps, removedMacs, removedNeighbours };
  }

  /**
   * After a pass: removals are done except in networks whose lines failed
   * (`retry`), and networks without a port here (not in `local`) are
   * forgotten altogether.
   */
  keepOnly(local: ReadonlySet<string>, retry: ReadonlySet<string>): void {
    for (const networkId of [...this.entries.keys()]) if (!local.has(networkId)) this.entries.delete(networkId);
    for (const networkId of [...this.removed.keys()]) if (!retry.has(networkId) || !local.has(networkId)) this.removed.delete(networkId);
  }

  /** Everything about a deleted network. */
  forgetNetwork(networkId: string): void {
    this.entries.delete(networkId);
    this.removed.delete(networkId);
  }

  entryCount(): number {
    let count = 0;
    for (const network of this.entries.values()) count += network.size;
    return count;
  }

  private mapOf(maps: Map<string, Map<string, RemoteEntry>>, networkId: string): Map<string, RemoteEntry> {
    let map = maps.get(networkId);
    if (!map) {
      map = new Map();
      maps.set(networkId, map);
    }
    return map;
  }
}
