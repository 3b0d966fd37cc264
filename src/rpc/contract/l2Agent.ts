/**
 * What the server tells every L2 agent, ML2's AgentNotifierApi
 * (neutron/plugins/ml2/rpc.py, target 1.0): fanouts, each method on its own
 * topic q-agent-notifier-<resource>-<operation>, so that the agent that has
 * the port or network looks again at once.
 *
 *   port_update     {port, network_type, segmentation_id, physical_network}
 *   port_delete     {port_id}
 *   network_update  {network}                 (1.4)
 *   network_delete  {network_id}
 *
 * The agent reads only the ids: `port` and `network` are API objects.
 */
import { Type } from 'typebox';
import { AGENT_NOTIFIER } from '../topics.js';
import { defineApi, defineMethod } from './define.js';
import { NoResult, Nullable, Text, WithId } from './schemas.js';

const fanout = { delivery: ['fanout'], result: NoResult } as const;

export const l2AgentApi = defineApi('AgentNotifierApi', {
  port_update: defineMethod({
    ...fanout,
    topic: AGENT_NOTIFIER.portUpdate,
    version: '1.0',
    args: Type.Object({
      port: WithId,
      network_type: Type.Optional(Nullable(Type.String())),
      segmentation_id: Type.Optional(Nullable(Type.Integer())),
      physical_network: Type.Optional(Nullable(Type.String())),
    }),
  }),
  port_delete: defineMethod({ ...fanout, topic: AGENT_NOTIFIER.portDelete, version: '1.0', args: Type.Object({ port_id: Text }) }),
  network_update: defineMethod({ ...fanout, topic: AGENT_NOTIFIER.networkUpdate, version: '1.4', args: Type.Object({ network: WithId }) }),
  network_delete: defineMethod({ ...fanout, topic: AGENT_NOTIFIER.networkDelete, version: '1.0', args: Type.Object({ network_id: Text }) }),
}, '1.4'); // the Linux bridge agent's LinuxBridgeRpcCallbacks
