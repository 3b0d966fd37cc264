/**
 * What the agent knows of its networks between full fetches (Neutron's
 * NetworkCache in neutron/agent/dhcp/agent.py). A full fetch
 * (get_active_networks_info) returns every port of every network, which for
 * a network of 10 000 ports costs the server more than a second; port
 * notifications carry the port itself, so they are applied here and the
 * next pass works from the cache. Anything else (network and subnet
 * events, an unknown network, a revived agent, the periodic full resync)
 * asks for a full fetch.
 *
 * Notifications that arrive while a full fetch is under way are replayed
 * on top of its answer, so a port created meanwhile is not lost to a
 * listing taken before it; an update older than what is cached (by
 * revision_number) is ignored.
 */
import type { DhcpNetwork, DhcpPort } from './model.js';

export type CacheEvent =
  | { readonly kind: 'port-upsert'; readonly port: DhcpPort }
  | { readonly kind: 'port-delete'; readonly networkId: string; readonly portId: string };

export class NetworkCache {
  private networks = new Map<string, DhcpNetwork>();
  private fullWanted = true;
  private replay: CacheEvent[] | undefined;
  private lastFullAt = -Infinity;

  constructor(
    /** A full fetch at least this often, whatever the notifications said. */
    private readonly fullEveryMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The next pass fetches everything. */
  requestFull(): void {
    this.fullWanted = true;
  }

  get needsFull(): boolean {
    return this.fullWanted || this.now() - this.lastFullAt >= this.fullEveryMs;
  }

  /** Call before fetching: notifications from now on are kept for replay. */
  beginFull(): void {
    this.fullWanted = false;
    this.replay = [];
  }

  /** The fetch's answer replaces the cache; notifications that came meanwhile are applied on top. */
  endFull(networks: readonly DhcpNetwork[]): void {
    this.networks = new Map(networks.map((network) => [network.id, network]));
    const events = this.replay ?? [];
    this.replay = undefined;
    this.lastFullAt = this.now();
    for (const event of events) this.applyToCache(event);
  }

  /** The fetch failed: try again next pass. */
  failFull(): void {
    this.replay = undefined;
    this.fullWanted = true;
  }

  /** Applies a port notification; an unknown network asks for a full fetch instead. */
  apply(event: CacheEvent): void {
    this.replay?.push(event);
    if (!this.applyToCache(event) && !this.replay) this.fullWanted = true;
  }

  list(): DhcpNetwork[] {
    return [...this.networks.values()];
  }

  private applyToCache(event: CacheEvent): boolean {
    const networkId = event.kind === 'port-upsert' ? event.port.network_id : event.networkId;
    const network = this.networks.get(networkId);
    if (!network) return false;
    if (event.kind === 'port-delete') {
      this.networks.set(networkId, { ...network, ports: network.ports.filter((port) => port.id !== event.portId) });
      return true;
    }
    const cached = network.ports.find((port) => port.id === event.port.id);
    if (cached && cached.revision_number > event.port.revision_number) return true; // stale
    this.networks.set(networkId, { ...network, ports: [...network.ports.filter((port) => port.id !== event.port.id), event.port] });
    return true;
  }
}
