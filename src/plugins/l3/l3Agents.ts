/**
 * The server's side of the L3 agents: what they call on q-l3-plugin
 * (L3RpcCallback: get_router_ids, sync_routers, update_floatingip_statuses)
 * and what it casts to them on l3_agent.<host> (L3AgentNotifyAPI): a
 * router, its interfaces, gateway or floating IPs changed (routers_updated,
 * after scheduling it if no agent hosts it), it was deleted, or an admin
 * moved it between agents. Casts go to the agents hosting the router, alive
 * and admin-up, as Neutron's notifier sends them.
 */
import type { Logger } from 'pino';

import { adminContext, type RequestContext } from '../../common/context.js';
import { NeutronError } from '../../common/errors.js';
import type { Db } from '../../db/schema.js';
import type { Bus } from '../../rpc/bus.js';
import type { MethodsBy } from '../../rpc/contract/define.js';
import { type ArgsOf, clientOf, type ContractClient, type HandlersOf, l3AgentApi, l3PluginApi } from '../../rpc/contract/index.js';
import { agentTopic, rpcContext } from '../agents/agentCasts.js';
import { L3_AGENT } from '../../rpc/topics.js';
import type { Collection } from '../collection.js';
import type { EventObject } from '../core/events.js';
import type { CoreDeps } from '../core/deps.js';
import type { PortService } from '../core/ports.js';
import type { FloatingIpService } from './floatingIps.js';
import type { L3AgentRow, L3Scheduler } from './l3Scheduler.js';
import { ROUTER_GATEWAY, ROUTER_INTERFACE } from './routerPorts.js';
import { syncRouters } from './routerSync.js';

const SYSTEM = adminContext('req-l3-rpc');

type L3AgentMethods = typeof l3AgentApi.methods;
const ROUTER_OWNERS: ReadonlySet<string> = new Set([ROUTER_INTERFACE, ROUTER_GATEWAY]);

export interface L3RpcOptions {
  /** [DEFAULT] router_auto_schedule: get_router_ids first schedules unhosted routers to the asking agent. */
  readonly autoSchedule: boolean;
}

/** The handlers of q-l3-plugin. */
export function l3RpcHandlers(
  db: Db,
  transaction: CoreDeps['transaction'],
  scheduler: L3Scheduler,
  routers: Pick<Collection, 'list'>,
  ports: PortService,
  floatingIps: FloatingIpService,
  options: L3RpcOptions,
): HandlersOf<typeof l3PluginApi.methods> {
  const hostedOn = async (host: string, wanted?: readonly string[] | null): Promise<string[]> => {
    const agent = await scheduler.agentOn(host);
    if (!agent || agent.admin_state_up !== 1) return [];
    const hosted = await scheduler.routerIdsOn(agent.id);
    return wanted ? hosted.filter((id) => wanted.includes(id)) : hosted;
  };
  return {
    get_router_ids: async ({ host }) => {
      const agent = await scheduler.agentOn(host);
      if (agent && options.autoSchedule) await scheduler.schedule(undefined, agent);
      return hostedOn(host);
    },
    sync_routers: async ({ host, router_ids: routerIds }) => {
      const ids = await hostedOn(host, routerIds);
      const synced = await syncRouters(db, routers, ids);
      // The router's ports are bound to the agent's host, so that its L2 agent wires them (_ensure_host_set_on_ports).
      const unbound = synced.flatMap((r) => [...(r.gw_port ? [r.gw_port] : []), ...(r._interfaces ?? [])]).filter((p) => p['binding:host_id'] !== host);
      if (unbound.length === 0) return synced;
      for (const port of unbound) {
        // A port deleted meanwhile (its router is going) is skipped, as upstream does; anything else fails the call.
        await ports.update(SYSTEM, port.id, { 'binding:host_id': host }).catch((err: unknown) => {
          if (!(err instanceof NeutronError && err.type === 'PortNotFound')) throw err;
        });
      }
      return syncRouters(db, routers, ids);
    },
    update_floatingip_statuses: async ({ router_id: routerId, fip_statuses: statuses }) => {
      await transaction(async (tx) => {
        for (const [id, status] of Object.entries(statuses)) await floatingIps.setStatus(tx, id, status);
        // The router's former floating IPs the agent no longer reports went down with their association.
        await tx.updateTable('floatingips').set({ status: 'DOWN' }).where('last_known_router_id', '=', routerId).where('router_id', 'is', null).execute();
      });
      return null;
    },
    get_service_plugin_list: async () => ['CORE', 'L3_ROUTER_NAT'],
    // Neutron's agent asks at start-up, to size its HA state-change workers.
    get_host_ha_router_count: async ({ host }) => {
      const ids = await hostedOn(host);
      if (ids.length === 0) return 0;
      const ha = await db.selectFrom('router_extra_attributes').select('router_id').where('router_id', 'in', ids).where('ha', '=', 1).execute();
      return ha.length;
    },
    get_external_network_id: async () => {
      const external = await db.selectFrom('networks').select('id').where('router_external', '=', 1).limit(2).execute();
      return external.length === 1 ? external[0]!.id : null;
    },
  };
}

export class L3AgentNotifier {
  private readonly agents: ContractClient<L3AgentMethods>;
  /** Who hosted a router being deleted, read before its bindings go with it. */
  private readonly hostsOfDeleted = new Map<string, L3AgentRow[]>();

  constructor(
    bus: Bus,
    private readonly scheduler: L3Scheduler,
    private readonly log: Logger,
  ) {
    this.agents = clientOf(bus, l3AgentApi);
  }

  install(deps: CoreDeps, floatingIps: FloatingIpService): void {
    const events = deps.events;
    events.on('router.after_create', ({ ctx, current }) => this.routersUpdated(ctx, [current.id]));
    events.on('router.after_update', ({ ctx, current }) => this.routersUpdated(ctx, [current.id]));
    events.on('router.precommit_delete', async ({ tx, current }) => {
      const hosts = (await this.scheduler.agentsHosting([current.id], tx)).get(current.id) ?? [];
      this.hostsOfDeleted.set(current.id, hosts);
    });
    events.on('router.after_delete', async ({ ctx, current }) => {
      const id = current.id;
      const hosts = this.hostsOfDeleted.get(id) ?? [];
      this.hostsOfDeleted.delete(id);
      for (const agent of this.reachable(hosts)) await this.cast(ctx, agent, 'router_deleted', { router_id: id });
    });
    const portChanged = async (ctx: RequestContext, ...ports: (EventObject<'port'> | undefined)[]) => {
      const routerIds = ports.filter((p) => p !== undefined && ROUTER_OWNERS.has(p.device_owner) && p.device_id).map((p) => p!.device_id);
      if (routerIds.length > 0) await this.routersUpdated(ctx, routerIds);
    };
    events.on('port.after_create', ({ ctx, current }) => portChanged(ctx, current));
    events.on('port.after_update', ({ ctx, current, original }) => portChanged(ctx, current, original));
    events.on('port.after_delete', ({ ctx, current }) => portChanged(ctx, current));
    floatingIps.routersChanged.push(({ ctx, routerIds }) => this.routersUpdated(ctx, routerIds));
  }

  /** routers_updated to the agents hosting the routers, scheduling those no agent hosts yet. */
  async routersUpdated(ctx: RequestContext, routerIds: readonly string[]): Promise<void> {
    const ids = [...new Set(routerIds)];
    try {
      await this.scheduler.schedule(ids);
      const hosting = await this.scheduler.agentsHosting(ids);
      const byAgent = new Map<string, { agent: L3AgentRow; routers: string[] }>();
      for (const [routerId, agents] of hosting) {
        for (const agent of this.reachable(agents)) {
          const entry = byAgent.get(agent.id) ?? { agent, routers: [] };
          entry.routers.push(routerId);
          byAgent.set(agent.id, entry);
        }
      }
      for (const { agent, routers } of byAgent.values()) await this.cast(ctx, agent, 'routers_updated', { routers });
    } catch (err) {
      this.log.error({ err, routers: ids }, 'cannot notify the L3 agents');
    }
  }

  async addedToAgent(ctx: RequestContext, agent: L3AgentRow, routerIds: readonly string[]): Promise<void> {
    if (this.reachable([agent]).length > 0) await this.cast(ctx, agent, 'router_added_to_agent', { payload: [...routerIds] });
  }

  async removedFromAgent(ctx: RequestContext, agent: L3AgentRow, routerId: string): Promise<void> {
    if (this.reachable([agent]).length > 0) await this.cast(ctx, agent, 'router_removed_from_agent', { payload: { router_id: routerId } });
  }

  private reachable(agents: readonly L3AgentRow[]): L3AgentRow[] {
    return agents.filter((a) => a.admin_state_up === 1 && this.scheduler.isAlive(a));
  }

  private async cast<K extends MethodsBy<L3AgentMethods, 'cast'>>(ctx: RequestContext, agent: L3AgentRow, method: K, args: ArgsOf<L3AgentMethods[K]>): Promise<void> {
    try {
      await this.agents.cast(method, args, { topic: agentTopic(agent, L3_AGENT), server: agent.host, context: rpcContext(ctx) });
    } catch (err) {
      this.log.error({ err, method, host: agent.host }, 'cannot notify the L3 agent');
    }
  }
}
