/**
 * Agents' heartbeats, Neutron's PluginReportStateAPI (neutron/agent/rpc.py;
 * served by AgentExtRpcCallback in neutron/db/agents_db.py, target 1.2), on
 * q-reports-plugin:
 *
 *   report_state {agent_state: {agent_state: {...}}, time} -> 'new' | 'alive' | 'revived'
 *
 * The state is nested one level, as Neutron's agents send it and its server
 * reads it. Nucleon's agents call it; Neutron's call it first, then cast.
 * The server answers `revived` to an agent it had given up for dead.
 */
import { Type, type Static } from 'typebox';
import { REPORTS } from '../topics.js';
import { defineApi, defineMethod } from './define.js';
import { JsonObject, Text } from './schemas.js';

export const AgentState = Type.Object({
  /** Neutron's agent_type string, e.g. `Linux bridge agent`, `DHCP agent`. */
  agent_type: Text,
  binary: Text,
  host: Text,
  /** The topic the agent serves (`dhcp_agent`), or `N/A`. */
  topic: Text,
  /** What the agent reports about itself (mappings, tunneling_ip, devices...). */
  configurations: Type.Optional(JsonObject),
  availability_zone: Type.Optional(Type.String()),
  /** Set on the first report after the agent started. */
  start_flag: Type.Optional(Type.Boolean()),
});
export type AgentState = Static<typeof AgentState>;

export const ReportResult = Type.Union([Type.Literal('new'), Type.Literal('alive'), Type.Literal('revived')]);
export type ReportResult = Static<typeof ReportResult>;

export const reportsApi = defineApi('PluginReportStateAPI', {
  report_state: defineMethod({
    topic: REPORTS,
    delivery: ['call', 'cast'],
    version: '1.2',
    args: Type.Object({ agent_state: Type.Object({ agent_state: AgentState }), time: Type.Optional(Type.String()) }),
    result: ReportResult,
  }),
}, '1.2');
