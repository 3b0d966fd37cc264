/**
 * What the server does for the L2 agents' firewalls: their
 * security_group_info_for_devices call on q-plugin and, when [securitygroup]
 * enable_security_group is on, the rule and member notifications they hear.
 */
import type { Bus } from '../rpc/bus.js';
import { endpoint, type Endpoint, securityGroupServerApi } from '../rpc/contract/index.js';
import { SecurityGroupAgentNotifier } from '../plugins/securitygroups/agentNotifier.js';
import { SecurityGroupAgentRpc, securityGroupRpcHandlers } from '../plugins/securitygroups/agentRpc.js';
import type { LoadedNeutronConfig } from './config.js';
import type { Core } from './core.js';
import type { Logger } from './logger.js';

/** The call is served either way, as ML2 does: an agent configured to filter gets its answer even if the server's option is off. */
export function securityGroupEndpoint(loaded: LoadedNeutronConfig, core: Core, bus: Bus, log: Logger): Endpoint {
  const db = core.deps.db;
  if (loaded.config.securitygroup.enable_security_group) new SecurityGroupAgentNotifier(db, bus, log).subscribe(core.deps.events);
  return endpoint(securityGroupServerApi, securityGroupRpcHandlers(new SecurityGroupAgentRpc(db)));
}
