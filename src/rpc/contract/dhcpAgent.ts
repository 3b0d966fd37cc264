/**
 * What the server tells the DHCP agents, Neutron's DhcpAgentNotifyAPI
 * (neutron/api/rpc/agentnotifiers/dhcp_rpc_agent_api.py, target 1.0; served
 * by the DhcpAgent in neutron/agent/dhcp/agent.py): casts on `dhcp_agent` to
 * server = the agent's host (queue `dhcp_agent.<host>`), or a fanout on
 * `dhcp_agent` when the agents are unknown. One argument, `payload`:
 *
 *   network_create_end  {network: {id}, priority}
 *   network_update_end  {network: <network>, priority}
 *   network_delete_end  {network_id, priority}
 *   subnet_create_end   {subnet: <subnet>, priority}     (and subnet_update_end)
 *   subnet_delete_end   {subnet_id, network_id, priority}
 *   port_create_end     {port: <port>, priority}         (and port_update_end)
 *   port_delete_end     {port_id, network_id, fixed_ips, priority}
 *   agent_updated       {admin_state_up}
 *
 * <network>, <subnet>, <port> are API objects as an admin sees them. Lower
 * priority values are more urgent (the agent's queue orders by them).
 */
import { Type, type TObject } from 'typebox';
import { DHCP_AGENT } from '../topics.js';
import { defineApi, defineMethod } from './define.js';
import { DhcpPort } from './dhcpPlugin.js';
import { JsonObject, NoResult, Text, WithId } from './schemas.js';

const Priority = { priority: Type.Optional(Type.Integer()) };

const notification = <P extends TObject>(payload: P) =>
  defineMethod({ topic: DHCP_AGENT, delivery: ['cast', 'fanout'], version: '1.0', args: Type.Object({ payload }), result: NoResult });

export const dhcpAgentApi = defineApi('DhcpAgentNotifyAPI', {
  network_create_end: notification(Type.Object({ network: WithId, ...Priority })),
  network_update_end: notification(Type.Object({ network: WithId, ...Priority })),
  network_delete_end: notification(Type.Object({ network_id: Text, ...Priority })),
  subnet_create_end: notification(Type.Object({ subnet: WithId, ...Priority })),
  subnet_update_end: notification(Type.Object({ subnet: WithId, ...Priority })),
  subnet_delete_end: notification(Type.Object({ subnet_id: Text, network_id: Type.Optional(Type.String()), ...Priority })),
  port_create_end: notification(Type.Object({ port: DhcpPort, ...Priority })),
  port_update_end: notification(Type.Object({ port: DhcpPort, ...Priority })),
  port_delete_end: notification(
    Type.Object({ port_id: Text, network_id: Type.Optional(Type.String()), fixed_ips: Type.Optional(Type.Array(JsonObject)), ...Priority }),
  ),
  agent_updated: notification(Type.Object({ admin_state_up: Type.Optional(Type.Boolean()) })),
}, '1.0'); // the DHCP agent's DhcpAgentWithStateReport target

export type DhcpAgentMethod = keyof typeof dhcpAgentApi.methods;
