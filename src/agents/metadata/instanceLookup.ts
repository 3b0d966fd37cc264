/**
 * Which instance sent a request: the port that has the client's address on
 * the network the proxy serves (or on a network of the router's
 * interfaces), asked of the server over RPC (MetadataPluginAPI.get_ports on
 * q-plugin, src/rpc/contract/metadata.ts). The instance is the port's
 * device_id, its project the port's.
 *
 * Answers are kept briefly (Neutron's in-memory cache: 5 s) and a question
 * already in flight is shared, so a VM's burst of metadata requests at boot
 * costs one RPC call. Only answers are kept, never failures.
 */
import type { Bus } from '../../rpc/bus.js';
import { clientOf, type ContractClient, metadataApi, type MetadataPort } from '../../rpc/contract/index.js';
import type { ClientAddress } from './clientAddress.js';

/** neutron_lib's ROUTER_INTERFACE_OWNERS. */
const ROUTER_INTERFACE_OWNERS = ['network:router_interface', 'network:router_interface_distributed', 'network:ha_router_replicated_interface'];

/** Kept entries beyond which expired ones are swept: the cache cannot grow with every address ever seen. */
const SWEEP_AT = 1_000;

export type ProxyOwner = { readonly kind: 'network' | 'router'; readonly id: string };

export interface Instance {
  readonly instanceId: string;
  readonly projectId: string;
}

interface PortFacts {
  readonly device_id: string;
  readonly network_id: string;
  readonly project_id: string;
}

/** The ports get_ports answered (checked by the contract) that name their project. */
function portsOf(answer: readonly MetadataPort[]): PortFacts[] {
  return answer.flatMap((port): PortFacts[] => {
    const project = port.project_id ?? port.tenant_id;
    return project === undefined ? [] : [{ device_id: port.device_id, network_id: port.network_id, project_id: project }];
  });
}

export class InstanceLookup {
  private readonly cache = new Map<string, { readonly until: number; readonly answer: Promise<MetadataPort[]> }>();
  private readonly server: ContractClient<typeof metadataApi.methods>;

  constructor(
    bus: Bus,
    private readonly ttlMs: number,
    private readonly rpcTimeoutMs = 30_000,
  ) {
    this.server = clientOf(bus, metadataApi);
  }

  /**
   * The instance behind `client` on `owner`'s network(s); undefined when no
   * port, or more than one, matches (Neutron answers 404 for both).
   * `fresh`: skip kept answers (Nova did not know the instance we found).
   */
  async find(owner: ProxyOwner, client: ClientAddress, fresh = false): Promise<Instance | undefined> {
    const networks = owner.kind === 'network' ? [owner.id] : await this.routerNetworks(owner.id, fresh);
    if (networks.length === 0) return undefined;
    // A link-local IPv6 source is no fixed IP: its MAC identifies the port.
    const filters = {
      network_id: networks,
      ...(client.mac === undefined ? { fixed_ips: { ip_address: [client.ip] } } : { mac_address: [client.mac] }),
    };
    const ports = portsOf(await this.getPorts(filters, fresh));
    if (ports.length !== 1) return undefined;
    return { instanceId: ports[0]!.device_id, projectId: ports[0]!.project_id };
  }

  private async routerNetworks(routerId: string, fresh: boolean): Promise<string[]> {
    const ports = portsOf(await this.getPorts({ device_id: [routerId], device_owner: ROUTER_INTERFACE_OWNERS }, fresh));
    return [...new Set(ports.map((port) => port.network_id))];
  }

  private getPorts(filters: Record<string, unknown>, fresh: boolean): Promise<MetadataPort[]> {
    const key = JSON.stringify(filters);
    const now = Date.now();
    const kept = this.cache.get(key);
    if (!fresh && kept !== undefined && kept.until > now) return kept.answer;
    const answer = this.server.call('get_ports', { filters }, { timeoutMs: this.rpcTimeoutMs });
    if (this.ttlMs > 0) {
      this.sweep(now);
      this.cache.set(key, { until: now + this.ttlMs, answer });
      // A failure is not an answer: the next request asks again.
      answer.catch(() => {
        if (this.cache.get(key)?.answer === answer) this.cache.delete(key);
      });
    }
    return answer;
  }

  private sweep(now: number): void {
    if (this.cache.size < SWEEP_AT) return;
    for (const [key, entry] of this.cache) if (entry.until <= now) this.cache.delete(key);
  }
}
