import type { ExtensionDecl } from '../types.js';

/**
 * Which DHCP agents serve which networks: the admin-only sub-resources
 * /v2.0/agents/{id}/dhcp-networks and /v2.0/networks/{id}/dhcp-agents
 * (served by api/dhcpAgentRoutes.ts). Needs the `agent` extension.
 */
export const dhcpAgentScheduler = {
  alias: 'dhcp_agent_scheduler',
  name: 'DHCP Agent Scheduler',
  description: 'Schedule networks among dhcp agents',
  updated: '2013-02-07T10:00:00-00:00',
} as const satisfies ExtensionDecl;
