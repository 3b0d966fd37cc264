/**
 * What the server tells the L3 agents, Neutron's L3AgentNotifyAPI
 * (neutron/api/rpc/agentnotifiers/l3_rpc_agent_api.py, target 1.0; served
 * by L3NATAgent, neutron/agent/l3/agent.py): casts on `l3_agent` to server =
 * the agent's host (queue `l3_agent.<host>`).
 *
 *   routers_updated            {routers: [router id]}   a router or its ports/floating IPs changed
 *   router_deleted             {router_id}
 *   router_added_to_agent      {payload: [router id]}
 *   router_removed_from_agent  {payload: {router_id}}
 *   agent_updated              {payload: {admin_state_up}}
 *
 * The agent re-reads the routers named (sync_routers) on its next pass.
 */
import { Type, type TObject } from 'typebox';
import { L3_AGENT } from '../topics.js';
import { defineApi, defineMethod } from './define.js';
import { NoResult, Text } from './schemas.js';

const notification = <A extends TObject>(args: A) => defineMethod({ topic: L3_AGENT, delivery: ['cast', 'fanout'], version: '1.0', args, result: NoResult });

export const l3AgentApi = defineApi('L3AgentNotifyAPI', {
  routers_updated: notification(Type.Object({ routers: Type.Array(Type.String()), operation: Type.Optional(Type.Unknown()), data: Type.Optional(Type.Unknown()) })),
  router_deleted: notification(Type.Object({ router_id: Text })),
  router_added_to_agent: notification(Type.Object({ payload: Type.Array(Type.String()) })),
  router_removed_from_agent: notification(Type.Object({ payload: Type.Object({ router_id: Text }) })),
  agent_updated: notification(Type.Object({ payload: Type.Object({ admin_state_up: Type.Optional(Type.Boolean()) }) })),
}, '1.4'); // L3NATAgent

export type L3AgentMethod = keyof typeof l3AgentApi.methods;
