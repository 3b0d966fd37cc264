/**
 * l2population's messages to the L2 agents, Neutron's
 * L2populationAgentNotifyAPI (neutron/plugins/ml2/drivers/l2pop/rpc.py,
 * target 1.0): on q-agent-notifier-l2population-update, a fanout to every
 * agent or a cast to one (`.<host>`), one argument `fdb_entries`:
 *
 *   add_fdb_entries / remove_fdb_entries
 *     {"<network id>": {"segment_id": 1001, "network_type": "vxlan",
 *                       "ports": {"<agent tunneling_ip>": [["fa:16:3e:..", "10.0.0.5"], ...]}}}
 *   update_fdb_entries
 *     {"chg_ip": {"<network id>": {"<tunneling_ip>": {"before": [[mac, ip]], "after": [[mac, ip]]}}}}
 *
 * The flooding entry ["00:00:00:00:00:00", "0.0.0.0"] in a VTEP's list means
 * "send broadcast and unknown traffic of this network there too".
 */
import { Type, type Static } from 'typebox';
import { AGENT_NOTIFIER } from '../topics.js';
import { defineApi, defineMethod } from './define.js';
import { NoResult, Nullable } from './schemas.js';

/** A forwarding entry: [mac, ip]. */
export const FdbEntry = Type.Tuple([Type.String(), Type.String()]);
export type FdbEntry = Static<typeof FdbEntry>;

export const NetworkFdb = Type.Object({
  segment_id: Nullable(Type.Integer()),
  network_type: Type.String(),
  /** VTEP address -> the entries behind it. */
  ports: Type.Record(Type.String(), Type.Array(FdbEntry)),
});
export type NetworkFdb = Static<typeof NetworkFdb>;

/** Network id -> its entries. */
export const FdbEntries = Type.Record(Type.String(), NetworkFdb);
export type FdbEntries = Static<typeof FdbEntries>;

export const IpChange = Type.Object({ before: Type.Optional(Type.Array(FdbEntry)), after: Type.Optional(Type.Array(FdbEntry)) });

/** Network id -> VTEP address -> the addresses a port lost and gained. */
export const IpChanges = Type.Object({ chg_ip: Type.Optional(Type.Record(Type.String(), Type.Record(Type.String(), IpChange))) });
export type IpChanges = Static<typeof IpChanges>;

const message = { topic: AGENT_NOTIFIER.l2populationUpdate, delivery: ['fanout', 'cast'], version: '1.0', result: NoResult } as const;

export const l2populationApi = defineApi('L2populationAgentNotifyAPI', {
  add_fdb_entries: defineMethod({ ...message, args: Type.Object({ fdb_entries: FdbEntries }) }),
  remove_fdb_entries: defineMethod({ ...message, args: Type.Object({ fdb_entries: FdbEntries }) }),
  update_fdb_entries: defineMethod({ ...message, args: Type.Object({ fdb_entries: IpChanges }) }),
}, '1.4'); // served by the L2 agent's one endpoint (LinuxBridgeRpcCallbacks)
