/** Agent states as a Linux bridge agent reports them, parsed as the server's contract parses them. */
import { type AgentState } from '../../src/rpc/contract/index.js';
import { parseAgentState } from '../../src/plugins/agents/stateReports.js';

export function linuxBridgeAgentState(host: string, interfaceMappings: Record<string, string> = {}): AgentState {
  return parseAgentState({
    agent_type: 'Linux bridge agent',
    binary: 'neutron-linuxbridge-agent',
    host,
    topic: 'N/A',
    configurations: { interface_mappings: interfaceMappings, tunnel_types: ['vxlan'], l2_population: true },
    start_flag: true,
  });
}
