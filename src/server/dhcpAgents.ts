/**
 * Composes DHCP agent scheduling: the scheduler over the database, the DHCP
 * agents' RPC on q-plugin, network auto-scheduling on their reports, the
 * notifications to them (dhcp_agent.<host>), the failover check and the
 * dhcp_agent_scheduler routes. Built in two steps because the bus opens in
 * between: what the RPC server serves first, what needs the bus after.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';

import { checkCreate, checkUpdate } from '../api/body.js';
import { registerDhcpAgentRoutes } from '../api/dhcpAgentRoutes.js';
import type { RequestContext } from '../common/context.js';
import type { Db } from '../db/schema.js';
import type { AgentService } from '../plugins/agents/agentService.js';
import { DhcpFailover } from '../plugins/agents/dhcpFailover.js';
import { DhcpHostingService } from '../plugins/agents/dhcpHosting.js';
import { DhcpAgentNotifier } from '../plugins/agents/dhcpNotifier.js';
import { dhcpRpcHandlers, scheduleOnDhcpReports } from '../plugins/agents/dhcpRpc.js';
import type { ReportHandlers } from '../plugins/agents/stateReports.js';
import { DhcpScheduler } from '../plugins/agents/dhcpScheduler.js';
import type { Bus } from '../rpc/bus.js';
import { dhcpPluginApi, endpoint, type Endpoint } from '../rpc/contract/index.js';
import type { LoadedNeutronConfig } from './config.js';
import type { Core } from './core.js';
import type { Logger } from './logger.js';

export interface DhcpAgentsOnBus {
  registerRoutes(app: FastifyInstance, contextOf: (request: FastifyRequest) => RequestContext): void;
  /** Stops the failover check and sends the notifications still queued (before the bus closes). */
  close(): Promise<void>;
}

export interface DhcpAgents {
  /** The DHCP agents' API on q-plugin (served together with the L2 and metadata agents'). */
  readonly endpoint: Endpoint;
  /** report_state handlers that also schedule networks to a DHCP agent that starts, appears or comes back. */
  withReports(reports: ReportHandlers): ReportHandlers;
  /** Notifications, failover and routes, once the bus is open. */
  start(bus: Bus): DhcpAgentsOnBus;
}

export function buildDhcpAgents(loaded: LoadedNeutronConfig, db: Db, core: Core, agents: AgentService, log: Logger): DhcpAgents {
  const d = loaded.config.DEFAULT;
  const autoSchedule = d.network_auto_schedule;
  const scheduler = new DhcpScheduler(db, { agentsPerNetwork: d.dhcp_agents_per_network, downTime: d.agent_down_time });
  const resource = (name: string) => core.deps.api.resource(name);
  const ports = resource('ports');
  const handlers = dhcpRpcHandlers({
    scheduler,
    networks: core.networks,
    subnets: core.subnets,
    ports: core.ports,
    checkPortCreate: (body, ctx) => checkCreate(ports, body, ctx, { allowBulk: false }).items[0]!,
    checkPortUpdate: (body, ctx) => checkUpdate(ports, body, ctx),
    autoSchedule,
  });
  return {
    endpoint: endpoint(dhcpPluginApi, handlers),
    withReports: (reports) => (autoSchedule ? scheduleOnDhcpReports(reports, scheduler, log) : reports),
    start: (bus) => {
      const notifier = new DhcpAgentNotifier(bus, scheduler, log, { autoSchedule });
      notifier.install(core.deps);
      // allow_automatic_dhcp_failover: always on, Neutron's default.
      const failover = new DhcpFailover(scheduler, notifier, core.ports, log, { autoSchedule });
      failover.start();
      const hosting = new DhcpHostingService(scheduler, agents, core.networks, core.ports, notifier);
      return {
        registerRoutes: (app, contextOf) =>
          registerDhcpAgentRoutes(app, hosting, { networks: resource('networks'), agents: resource('agents') }, contextOf),
        close: async () => {
          await failover.stop();
          await notifier.drain();
        },
      };
    },
  };
}
