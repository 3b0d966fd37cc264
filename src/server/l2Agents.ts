/**
 * What the server does for the L2 agents: their q-plugin methods
 * (get_devices_details_list, update_device_up/down, ...) and, when
 * `l2population` is in [ml2] mechanism_drivers, the forwarding entries it
 * sends them; and the port/network notifications every L2 agent hears
 * (agentNotifier.ts).
 */
import type { Bus } from '../rpc/bus.js';
import { endpoint, type Endpoint, l2PluginApi } from '../rpc/contract/index.js';
import { AgentNotifier } from '../plugins/ml2/agentNotifier.js';
import { L2Population } from '../plugins/ml2/l2population/l2population.js';
import { L2AgentRpc, l2AgentRpcHandlers } from '../plugins/ml2/rpc/l2AgentRpc.js';
import { TunnelSync } from '../plugins/ml2/rpc/tunnelSync.js';
import { PortStatusUpdater, type PresentPorts } from '../plugins/ml2/rpc/portStatus.js';
import type { LoadedNeutronConfig } from './config.js';
import type { Core } from './core.js';
import type { Logger } from './logger.js';

/** The L2 agents' API on q-plugin; subscribes the agent notifier, and l2population when it is configured, to port events. */
export function l2AgentEndpoint(loaded: LoadedNeutronConfig, core: Core, bus: Bus, log: Logger): Endpoint {
  const db = core.deps.db;
  const l2population = loaded.config.ml2.mechanism_drivers.includes('l2population') ? new L2Population(db, bus, log) : undefined;
  l2population?.subscribe(core.deps.events);
  new AgentNotifier(db, bus, log).subscribe(core.deps.events);
  const present: PresentPorts = (rows, on) => core.ports.present(rows, on);
  const rpc = new L2AgentRpc({ db, present, statuses: new PortStatusUpdater(core.deps, present), l2population, log });
  return endpoint(l2PluginApi, l2AgentRpcHandlers(rpc, new TunnelSync(db, bus, log)));
}
