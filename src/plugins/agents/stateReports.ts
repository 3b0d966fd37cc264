/** The server's end of report_state (topic q-reports-plugin, contract/reports.ts): agents' heartbeats. */
import { AgentState, conform, type HandlersOf, type reportsApi } from '../../rpc/contract/index.js';
import type { AgentService } from './agentService.js';

export type ReportHandlers = HandlersOf<typeof reportsApi.methods>;

/** An agent_state as the contract checks it, e.g. one written by a test; throws naming what is wrong. */
export function parseAgentState(raw: unknown): AgentState {
  return conform(AgentState, raw, 'agent_state');
}

export function stateReportHandlers(agents: AgentService): ReportHandlers {
  return {
    report_state: async ({ agent_state }) => agents.reportState(agent_state.agent_state),
  };
}
