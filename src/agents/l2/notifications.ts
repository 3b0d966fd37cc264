/**
 * What the server tells the Linux bridge agents, served as Neutron's agent
 * does (neutron/plugins/ml2/rpc.py AgentNotifierApi, l2pop's
 * L2populationAgentNotifyAPI):
 *
 *   q-agent-notifier-port-update (fanout)          port_update {port, ...}
 *   q-agent-notifier-port-delete (fanout)          port_delete {port_id}
 *   q-agent-notifier-network-update (fanout)       network_update {network}
 *   q-agent-notifier-network-delete (fanout)       network_delete {network_id}
 *   q-agent-notifier-l2population-update (fanout)  add/remove/update_fdb_entries {fdb_entries}
 *   q-agent-notifier-l2population-update.<host>    the same, for this host only
 *
 * The handlers only record what changed and kick a pass: the pass reads the
 * details again (architecture.md: events say "look again").
 */
import type { Bus, RpcArgs, ServeHandle } from '../../rpc/bus.js';
import { AGENT_NOTIFIER } from '../../rpc/topics.js';
import { parseFdbEntries, parseIpChanges } from './fdbMessages.js';
import type { RemoteEntry } from './fdbTable.js';

export interface AgentNotificationHandlers {
  portUpdate(portId: string): void;
  portDelete(portId: string): void;
  networkUpdate(networkId: string): void;
  networkDelete(networkId: string): void;
  fdbAdd(networkId: string, entries: RemoteEntry[]): void;
  fdbRemove(networkId: string, entries: RemoteEntry[]): void;
  readonly log: { debug(obj: object, msg: string): void };
}

const idOf = (value: unknown): string | undefined => {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as Record<string, unknown>).id === 'string') {
    return (value as Record<string, unknown>).id as string;
  }
  return undefined;
};

/** Subscribes to every topic above; the handles stop them. */
export async function serveAgentNotifications(bus: Bus, host: string, on: AgentNotificationHandlers): Promise<ServeHandle[]> {
  const withId = (name: string, pick: (args: RpcArgs) => unknown, handle: (id: string) => void) => async (args: RpcArgs) => {
    const id = idOf(pick(args));
    if (id === undefined) on.log.debug({ args }, `${name} without an id ignored`);
    else handle(id);
    return null;
  };
  const fanout = { fanout: true } as const;
  return Promise.all([
    bus.serve(AGENT_NOTIFIER.portUpdate, fanout, {
      port_update: withId('port_update', (a) => a.port, (id) => on.portUpdate(id)),
    }),
    bus.serve(AGENT_NOTIFIER.portDelete, fanout, {
      port_delete: withId('port_delete', (a) => a.port_id, (id) => on.portDelete(id)),
    }),
    bus.serve(AGENT_NOTIFIER.networkUpdate, fanout, {
      network_update: withId('network_update', (a) => a.network, (id) => on.networkUpdate(id)),
    }),
    bus.serve(AGENT_NOTIFIER.networkDelete, fanout, {
      network_delete: withId('network_delete', (a) => a.network_id, (id) => on.networkDelete(id)),
    }),
    bus.serve(AGENT_NOTIFIER.l2populationUpdate, { ...fanout, server: host }, {
      add_fdb_entries: async (args) => {
        for (const { networkId, entries } of parseFdbEntries(args.fdb_entries)) on.fdbAdd(networkId, entries);
        return null;
      },
      remove_fdb_entries: async (args) => {
        for (const { networkId, entries } of parseFdbEntries(args.fdb_entries)) on.fdbRemove(networkId, entries);
        return null;
      },
      update_fdb_entries: async (args) => {
        for (const change of parseIpChanges(args.fdb_entries)) {
          on.fdbRemove(change.networkId, change.before);
          on.fdbAdd(change.networkId, change.after);
        }
        return null;
      },
    }),
  ]);
}
