/**
 * The server's side of the message bus: opens it from transport_url (the
 * in-process bus when unset) and serves the topics agents call.
 */
import type { Bus, RpcHandlers, ServeHandle } from '../rpc/bus.js';
import { busOptionsFromConfig, openBus } from '../rpc/connect.js';
import { REPORTS } from '../rpc/topics.js';
import type { AgentService } from '../plugins/agents/agentService.js';
import { stateReportHandlers } from '../plugins/agents/stateReports.js';
import type { LoadedNeutronConfig } from './config.js';
import type { Logger } from './logger.js';

export interface RpcServer {
  readonly bus: Bus;
  /**
   * Serves one more topic (stopped by close). A topic has one consumer per
   * server: give every method of it in one call (q-plugin: the L2 agents'
   * and the DHCP agents' methods together), or messages would be shared
   * round-robin between consumers that lack each other's methods.
   */
  serve(topic: string, handlers: RpcHandlers): Promise<void>;
  close(): Promise<void>;
}

/** `reports`: the report_state handlers, when something should follow a report (DHCP auto-scheduling); default the plain ones. */
export async function startRpcServer(
  loaded: LoadedNeutronConfig,
  log: Logger,
  agents: AgentService,
  bus?: Bus,
  reports: RpcHandlers = stateReportHandlers(agents),
): Promise<RpcServer> {
  const opened =
    bus ?? (await openBus(loaded.config.DEFAULT.transport_url, { ...busOptionsFromConfig(loaded.config), background: true }, log));
  const handles: ServeHandle[] = [await opened.serve(REPORTS, {}, reports)];
  const served = new Set<string>([REPORTS]);
  return {
    bus: opened,
    serve: async (topic, handlers) => {
      if (served.has(topic)) throw new Error(`topic ${topic} is served already: serve all of its methods in one call`);
      served.add(topic);
      handles.push(await opened.serve(topic, {}, handlers));
    },
    close: async () => {
      for (const handle of handles) await handle.stop();
      // A bus handed in belongs to whoever opened it (the all-in-one process).
      if (!bus) await opened.close();
    },
  };
}
