/**
 * The server's side of the message bus: opens it from transport_url (the
 * in-process bus when unset) and serves the topics agents call.
 */
import type { Bus, ServeHandle } from '../rpc/bus.js';
import { busOptionsFromConfig, openBus } from '../rpc/connect.js';
import { REPORTS } from '../rpc/topics.js';
import type { AgentService } from '../plugins/agents/agentService.js';
import { stateReportHandlers } from '../plugins/agents/stateReports.js';
import type { LoadedNeutronConfig } from './config.js';
import type { Logger } from './logger.js';

export interface RpcServer {
  readonly bus: Bus;
  close(): Promise<void>;
}

export async function startRpcServer(loaded: LoadedNeutronConfig, log: Logger, agents: AgentService, bus?: Bus): Promise<RpcServer> {
  const opened =
    bus ?? (await openBus(loaded.config.DEFAULT.transport_url, { ...busOptionsFromConfig(loaded.config), background: true }, log));
  const handles: ServeHandle[] = [await opened.serve(REPORTS, {}, stateReportHandlers(agents))];
  return {
    bus: opened,
    close: async () => {
      for (const handle of handles) await handle.stop();
      // A bus handed in belongs to whoever opened it (the all-in-one process).
      if (!bus) await opened.close();
    },
  };
}
