/**
 * The server's side of the message bus: opens it from transport_url (the
 * in-process bus when unset) and serves the contract's APIs agents call
 * (src/rpc/contract/).
 */
import type { Bus, ServeHandle } from '../rpc/bus.js';
import { busOptionsFromConfig, openBus } from '../rpc/connect.js';
import { endpoint, type Endpoint, reportsApi, serveEndpoints } from '../rpc/contract/index.js';
import type { AgentService } from '../plugins/agents/agentService.js';
import { type ReportHandlers, stateReportHandlers } from '../plugins/agents/stateReports.js';
import type { LoadedNeutronConfig } from './config.js';
import type { Logger } from './logger.js';
import { MeteredBus } from './meteredBus.js';
import type { ServerMetrics } from './serverMetrics.js';

export interface RpcServer {
  readonly bus: Bus;
  /**
   * Serves more APIs (stopped by close). A topic has one consumer per
   * server: give every API of a topic in one call (q-plugin: the L2, DHCP
   * and metadata agents' APIs together), or messages would be shared
   * round-robin between consumers that lack each other's methods.
   */
  serve(endpoints: readonly Endpoint[]): Promise<void>;
  close(): Promise<void>;
}

const topicsOf = (endpoints: readonly Endpoint[]): Set<string> =>
  new Set(endpoints.flatMap(({ api }) => Object.values(api.methods).map((method) => method.topic)));

/** `reports`: the report_state handlers, when something should follow a report (DHCP auto-scheduling); default the plain ones. */
export async function startRpcServer(
  loaded: LoadedNeutronConfig,
  log: Logger,
  agents: AgentService,
  bus?: Bus,
  reports: ReportHandlers = stateReportHandlers(agents),
  metrics?: ServerMetrics,
): Promise<RpcServer> {
  const onConnection = metrics ? metrics.rpc.busOptions : {};
  const raw =
    bus ?? (await openBus(loaded.config.DEFAULT.transport_url, { ...busOptionsFromConfig(loaded.config), background: true, ...onConnection }, log));
  // Timed when there are metrics: the calls the server makes and the messages it serves.
  const opened = metrics ? new MeteredBus(raw, metrics.rpc) : raw;
  const first = [endpoint(reportsApi, reports)];
  const handles: ServeHandle[] = [await serveEndpoints(opened, first, { log })];
  const served = topicsOf(first);
  return {
    bus: opened,
    serve: async (endpoints) => {
      for (const topic of topicsOf(endpoints)) {
        if (served.has(topic)) throw new Error(`topic ${topic} is served already: serve all of its APIs in one call`);
        served.add(topic);
      }
      handles.push(await serveEndpoints(opened, endpoints, { log }));
    },
    close: async () => {
      for (const handle of handles) await handle.stop();
      // A bus handed in belongs to whoever opened it (the all-in-one process).
      if (!bus) await raw.close();
    },
  };
}
