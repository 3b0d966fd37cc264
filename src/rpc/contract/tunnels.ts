/**
 * What the server tells the Open vSwitch agents about tunnel endpoints when
 * l2population is off (type_tunnel.py's TunnelAgentRpcApiMixin, target 1.0):
 * an agent that calls tunnel_sync is announced to the others, which open a
 * tunnel port to it.
 *
 *   q-agent-notifier-tunnel-update (fanout)   tunnel_update {tunnel_ip, tunnel_type}
 *   q-agent-notifier-tunnel-delete (fanout)   tunnel_delete {tunnel_ip, tunnel_type}
 */
import { Type } from 'typebox';
import { AGENT_NOTIFIER } from '../topics.js';
import { defineApi, defineMethod } from './define.js';
import { NoResult, Text } from './schemas.js';

const fanout = { delivery: ['fanout'], result: NoResult, version: '1.0' } as const;
const Endpoint = Type.Object({ tunnel_ip: Text, tunnel_type: Text });

export const tunnelAgentApi = defineApi('TunnelAgentRpcApiMixin', {
  tunnel_update: defineMethod({ ...fanout, topic: AGENT_NOTIFIER.tunnelUpdate, args: Endpoint }),
  tunnel_delete: defineMethod({ ...fanout, topic: AGENT_NOTIFIER.tunnelDelete, args: Endpoint }),
}, '1.0');
