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
 *   q-agent-notifier-security_group-update (fanout) security_groups_rule_updated / _member_updated {security_groups},
 *                                                   security_groups_provider_updated
 *
 * The handlers only record what changed and kick a pass: the pass reads the
 * details again (architecture.md: events say "look again"). A message that
 * does not match the contract is logged and dropped before it gets here.
 */
import type { Bus, ServeHandle } from '../../rpc/bus.js';
import { endpoint, l2AgentApi, l2populationApi, securityGroupAgentApi, serveEndpoints } from '../../rpc/contract/index.js';
import { ipChanges, networkEntries } from './fdbMessages.js';
import type { RemoteEntry } from './fdbTable.js';

export interface AgentNotificationHandlers {
  portUpdate(portId: string): void;
  portDelete(portId: string): void;
  networkUpdate(networkId: string): void;
  networkDelete(networkId: string): void;
  fdbAdd(networkId: string, entries: RemoteEntry[]): void;
  fdbRemove(networkId: string, entries: RemoteEntry[]): void;
  /** Rules or members of these groups changed; undefined: of any group (provider rules). */
  securityGroupsChanged(ids: readonly string[] | undefined): void;
  /** The overlay types whose l2population entries concern the agent (default: vxlan). */
  readonly overlayTypes?: readonly string[];
  readonly log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

/** Subscribes to every topic above (contract/l2Agent.ts and contract/l2population.ts); the handle stops them. */
export function serveAgentNotifications(bus: Bus, host: string, on: AgentNotificationHandlers): Promise<ServeHandle> {
  const done = (effect: () => void) => {
    effect();
    return Promise.resolve(null);
  };
  return serveEndpoints(
    bus,
    [
      endpoint(l2AgentApi, {
        port_update: ({ port }) => done(() => on.portUpdate(port.id)),
        port_delete: ({ port_id: portId }) => done(() => on.portDelete(portId)),
        network_update: ({ network }) => done(() => on.networkUpdate(network.id)),
        network_delete: ({ network_id: networkId }) => done(() => on.networkDelete(networkId)),
      }),
      endpoint(l2populationApi, {
        add_fdb_entries: ({ fdb_entries }) =>
          done(() => {
            for (const { networkId, entries } of networkEntries(fdb_entries, on.overlayTypes)) on.fdbAdd(networkId, entries);
          }),
        remove_fdb_entries: ({ fdb_entries }) =>
          done(() => {
            for (const { networkId, entries } of networkEntries(fdb_entries, on.overlayTypes)) on.fdbRemove(networkId, entries);
          }),
        update_fdb_entries: ({ fdb_entries }) =>
          done(() => {
            for (const change of ipChanges(fdb_entries)) {
              on.fdbRemove(change.networkId, change.before);
              on.fdbAdd(change.networkId, change.after);
            }
          }),
      }),
      endpoint(securityGroupAgentApi, {
        security_groups_rule_updated: ({ security_groups }) => done(() => on.securityGroupsChanged(security_groups)),
        security_groups_member_updated: ({ security_groups }) => done(() => on.securityGroupsChanged(security_groups)),
        security_groups_provider_updated: () => done(() => on.securityGroupsChanged(undefined)),
      }),
    ],
    { server: host, log: on.log },
  );
}
