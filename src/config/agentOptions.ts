/**
 * Options every agent reads from neutron.conf and its own file ([agent] in
 * linuxbridge_agent.ini, dhcp_agent.ini...): how often it reports, where it
 * keeps its state. Each agent declares its own options next to these
 * (linuxbridgeAgentOptions.ts, dhcpAgentOptions.ts, metadataAgentOptions.ts).
 */
import type { OptionGroup } from './types.js';

/** [agent]: what every agent reports, and how often. */
export const agentStateOptions = [
  {
    section: 'agent',
    name: 'report_interval',
    type: { kind: 'float', min: 0 },
    default: 30,
    help: 'Seconds between state reports to the server; 0 disables them. Keep it under half of agent_down_time.',
  },
  {
    section: 'agent',
    name: 'availability_zone',
    type: { kind: 'string' },
    default: 'nova',
    help: 'The availability zone this agent reports.',
  },
  {
    section: 'agent',
    name: 'log_agent_heartbeats',
    type: { kind: 'boolean' },
    default: false,
    help: 'Log every state report.',
  },
] as const satisfies OptionGroup;

/** The socket between the metadata proxies and the metadata agent, read by the DHCP, L3 and metadata agents. */
export const metadataProxySocketOptions = [
  {
    section: 'DEFAULT',
    name: 'metadata_proxy_socket',
    type: { kind: 'path' },
    default: '$state_path/metadata_proxy',
    help: 'The Unix socket the metadata agent serves on and the metadata proxies (haproxy) in qdhcp/qrouter namespaces forward to.',
  },
] as const satisfies OptionGroup;

/** Both groups: what every agent process loads. */
export const agentOptions = [...agentStateOptions, ...metadataProxySocketOptions] as const satisfies OptionGroup;
