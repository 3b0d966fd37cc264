import type { ExtensionDecl } from '../types.js';

/**
 * Which L3 agents host which routers: the admin-only sub-resources
 * /v2.0/agents/{id}/l3-routers and /v2.0/routers/{id}/l3-agents (served by
 * api/l3AgentRoutes.ts).
 */
export const l3AgentScheduler = {
  alias: 'l3_agent_scheduler',
  name: 'L3 Agent Scheduler',
  description: 'Schedule routers among l3 agents',
  updated: '2013-02-07T10:00:00-00:00',
} as const satisfies ExtensionDecl;
