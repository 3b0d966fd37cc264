/**
 * Composition of the L3 agent's configuration: the option groups
 * nucleon-l3-agent reads on top of agentProcess.ts's base groups
 * (l3_agent.ini's own options, and [ovs] integration_bridge and
 * ovsdb_connection for interface_driver openvswitch). The settings
 * themselves are checked by agents/l3/settings.ts.
 */
import { l3AgentOptions } from '../config/l3AgentOptions.js';
import { ovsConnectionOptions } from '../config/openvswitchAgentOptions.js';

export const l3AgentGroups = [l3AgentOptions, ovsConnectionOptions] as const;
