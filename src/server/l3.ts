/**
 * Builds the L3 router service plugin (service_plugins = router) over the
 * core plugin: routers, floating IPs and their pools, and the L3 agents'
 * side of it (scheduling, q-l3-plugin, the l3_agent.<host> notifications,
 * the l3_agent_scheduler routes, failover). Built in two steps because the
 * bus opens in between, as the DHCP agents' part (dhcpAgents.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';

import { registerAutoAllocatedTopologyRoutes } from '../api/autoAllocatedTopologyRoutes.js';
import { checkCreate } from '../api/body.js';
import type { PolicyOf } from '../api/collectionRoutes.js';
import { registerL3AgentRoutes } from '../api/l3AgentRoutes.js';
import { adminContext, type RequestContext } from '../common/context.js';
import type { AgentService } from '../plugins/agents/agentService.js';
import type { Collection } from '../plugins/collection.js';
import { AutoAllocateService } from '../plugins/l3/autoAllocate.js';
import { FloatingIpPoolService } from '../plugins/l3/floatingipPools.js';
import { FloatingIpService } from '../plugins/l3/floatingIps.js';
import { L3AgentNotifier, l3RpcHandlers } from '../plugins/l3/l3Agents.js';
import { L3Scheduler, type RouterSchedulerDriver } from '../plugins/l3/l3Scheduler.js';
import { type RouterOptions, RouterService } from '../plugins/l3/routers.js';
import type { Bus } from '../rpc/bus.js';
import { endpoint, type Endpoint, l3PluginApi } from '../rpc/contract/index.js';
import type { LoadedNeutronConfig } from './config.js';
import type { Core } from './core.js';
import type { Logger } from './logger.js';

export interface L3OnBus {
  registerRoutes(app: FastifyInstance, contextOf: (request: FastifyRequest) => RequestContext, policyOf: PolicyOf): void;
  /** Stops the failover check. */
  close(): void;
}

export interface L3Plugin {
  readonly routers: RouterService;
  readonly floatingIps: FloatingIpService;
  readonly collections: readonly (readonly [string, Collection])[];
  /** The L3 agents' API on q-l3-plugin. */
  readonly endpoint: Endpoint;
  /** Notifications, failover and routes, once the bus is open. */
  start(bus: Bus): L3OnBus;
}

const SYSTEM = adminContext('req-l3-scheduler');

const schedulerDriver = (name: string): RouterSchedulerDriver => (name.endsWith('ChanceScheduler') || name === 'chance' ? 'chance' : 'least_routers');

export function buildL3(loaded: LoadedNeutronConfig, core: Core, agents: AgentService, options: RouterOptions, log: Logger): L3Plugin {
  const d = loaded.config.DEFAULT;
  const routers = new RouterService(core.deps, core.ports, core.subnets, options);
  const floatingIps = new FloatingIpService(core.deps, core.ports);
  core.networks.beforeDelete.push((tx, networkId) => floatingIps.deleteUnassociated(tx, networkId));
  const scheduler = new L3Scheduler(core.deps.db, { driver: schedulerDriver(d.router_scheduler_driver), downTime: d.agent_down_time }, core.deps.transaction);
  const handlers = l3RpcHandlers(core.deps.db, core.deps.transaction, scheduler, routers, core.ports, floatingIps, { autoSchedule: d.router_auto_schedule });
  // auto-allocated-topology comes with the router plugin in this build (Neutron loads it as a plugin of its own).
  const autoAllocate = core.deps.api.resources.has('auto-allocated-topology')
    ? new AutoAllocateService(core.deps, {
        networks: core.networks,
        subnets: core.subnets,
        routers,
        checkCreate: (collection, body, ctx) => checkCreate(core.deps.api.resource(collection), body, ctx, { allowBulk: false }).items[0]!,
      })
    : undefined;
  const byIds = (ids: readonly string[]) => (ids.length === 0 ? Promise.resolve([]) : routers.list(SYSTEM, { filters: new Map([['id', [...ids]]]), sorts: [] }));
  return {
    routers,
    floatingIps,
    collections: [
      ['routers', routers],
      ['floatingips', floatingIps],
      ['floatingip_pools', new FloatingIpPoolService(core.deps)],
    ],
    endpoint: endpoint(l3PluginApi, handlers),
    start: (bus) => {
      const notifier = new L3AgentNotifier(bus, scheduler, log);
      notifier.install(core.deps, floatingIps);
      const failover = d.allow_automatic_l3agent_failover
        ? setInterval(() => {
            void (async () => {
              const released = await scheduler.releaseDeadBindings();
              if (released.length === 0) return;
              log.warn({ routers: released.map((r) => r.routerId), hosts: [...new Set(released.map((r) => r.agent.host))] }, 'moving routers off dead L3 agents');
              await notifier.routersUpdated(SYSTEM, released.map((r) => r.routerId));
            })().catch((err: unknown) => log.error({ err }, 'L3 agent failover check failed'));
          }, (d.agent_down_time * 1000) / 2)
        : undefined;
      failover?.unref();
      return {
        registerRoutes: (app, contextOf, policyOf) => {
          if (autoAllocate) registerAutoAllocatedTopologyRoutes(app, autoAllocate, core.deps.api.resource('auto-allocated-topology'), contextOf, policyOf);
          registerL3AgentRoutes(
            app,
            {
              routersOnAgent: async (ctx, agentId) => {
                await agents.show(ctx, agentId);
                return byIds(await scheduler.routerIdsOn(agentId));
              },
              addRouter: async (ctx, agentId, routerId) => {
                await routers.show(ctx, routerId);
                const agent = await scheduler.add(ctx, agentId, routerId);
                await notifier.addedToAgent(ctx, agent, [routerId]);
              },
              removeRouter: async (ctx, agentId, routerId) => {
                const agent = await scheduler.remove(ctx, agentId, routerId);
                await notifier.removedFromAgent(ctx, agent, routerId);
              },
              agentsHostingRouter: async (ctx, routerId) => {
                await routers.show(ctx, routerId);
                const hosting = (await scheduler.agentsHosting([routerId])).get(routerId) ?? [];
                return Promise.all(hosting.map((agent) => agents.show(ctx, agent.id)));
              },
            },
            { routers: core.deps.api.resource('routers'), agents: core.deps.api.resource('agents') },
            contextOf,
          );
        },
        close: () => clearInterval(failover),
      };
    },
  };
}
