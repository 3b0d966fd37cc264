/** The server's end of report_state (topic q-reports-plugin): agents' heartbeats. */
import { BadRequest } from '../../common/errors.js';
import type { RpcHandlers } from '../../rpc/bus.js';
import type { AgentService, AgentState } from './agentService.js';

const text = (value: unknown, name: string): string => {
  if (typeof value !== 'string' || value === '') throw new BadRequest(`agent_state.${name} must be a non-empty string`);
  return value;
};

/** Checks what an agent sent; the bus gives the caller a typed error when it is malformed. */
export function parseAgentState(raw: unknown): AgentState {
  if (!raw || typeof raw !== 'object') throw new BadRequest('agent_state must be an object');
  const state = raw as Record<string, unknown>;
  const configurations = state.configurations ?? {};
  if (typeof configurations !== 'object' || configurations === null || Array.isArray(configurations)) {
    throw new BadRequest('agent_state.configurations must be an object');
  }
  return {
    agent_type: text(state.agent_type, 'agent_type'),
    binary: text(state.binary, 'binary'),
    host: text(state.host, 'host'),
    topic: text(state.topic, 'topic'),
    configurations: configurations as Record<string, unknown>,
    ...(typeof state.availability_zone === 'string' ? { availability_zone: state.availability_zone } : {}),
    ...(state.start_flag === true ? { start_flag: true } : {}),
  };
}

export function stateReportHandlers(agents: AgentService): RpcHandlers {
  return {
    report_state: async (args) => agents.reportState(parseAgentState(args.agent_state)),
  };
}
