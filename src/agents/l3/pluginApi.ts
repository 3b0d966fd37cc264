/**
 * The L3 agent's calls to the server on q-l3-plugin (Neutron's L3PluginApi
 * in neutron/agent/l3/agent.py), through the contract
 * (src/rpc/contract/l3Plugin.ts), which checks every answer on receipt.
 */
import type { Bus } from '../../rpc/bus.js';
import { clientOf, type ContractClient, l3PluginApi } from '../../rpc/contract/index.js';
import type { FipStatus } from './fipStatus.js';
import { toRouter, type Router } from './model.js';

export class L3PluginApi {
  private readonly server: ContractClient<typeof l3PluginApi.methods>;

  constructor(
    bus: Bus,
    private readonly host: string,
  ) {
    this.server = clientOf(bus, l3PluginApi);
  }

  /** The ids of the routers scheduled to this host (the server schedules unhosted ones first). */
  getRouterIds(): Promise<string[]> {
    return this.server.call('get_router_ids', { host: this.host });
  }

  /** The routers of `routerIds` scheduled to this host; all of them without `routerIds`. */
  async syncRouters(routerIds?: readonly string[]): Promise<Router[]> {
    const args = routerIds === undefined ? { host: this.host } : { host: this.host, router_ids: [...routerIds] };
    return (await this.server.call('sync_routers', args)).map(toRouter);
  }

  async updateFloatingIpStatuses(routerId: string, statuses: Readonly<Record<string, FipStatus>>): Promise<void> {
    await this.server.call('update_floatingip_statuses', { router_id: routerId, fip_statuses: { ...statuses } });
  }
}
