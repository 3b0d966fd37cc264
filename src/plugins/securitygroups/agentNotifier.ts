/**
 * Tells the L2 agents which security groups to look at again
 * (SecurityGroupServerNotifierRpcMixin, neutron/db/securitygroups_rpc_base.py),
 * fanned out on q-agent-notifier-security_group-update:
 *
 *   security_groups_rule_updated    a rule of these groups was created or deleted
 *   security_groups_member_updated  the addresses these groups (or rules naming an
 *                                   address group) stand for changed: a port with
 *                                   groups created or deleted, its groups, fixed IPs,
 *                                   allowed address pairs or MAC changed; an address
 *                                   group's addresses changed
 *
 * DHCP and router interface ports are left out, as upstream: agents allow
 * DHCP with rules of their own, and routers are not filtered. A group
 * deleted says nothing: no port uses it any more.
 *
 * Sent after commit; a failure is logged, never fails the request (agents
 * resync on their own). The groups named during one turn of the event loop
 * go in one message per method, so a bulk create of rules or ports costs
 * one fanout, as upstream's bulk methods send one.
 */
import type { Db } from '../../db/schema.js';
import type { EventBus } from '../../events/bus.js';
import type { Bus } from '../../rpc/bus.js';
import { clientOf, type ContractClient, securityGroupAgentApi } from '../../rpc/contract/index.js';
import { attributesChanged } from '../collection.js';
import type { CoreEvents, EventObject } from '../core/events.js';

export interface SecurityGroupNotifierLogger {
  warn(obj: object, msg: string): void;
}

type Method = 'security_groups_rule_updated' | 'security_groups_member_updated';

/** neutron-lib's DEVICE_OWNER_DHCP and ROUTER_INTERFACE_OWNERS. */
const UNFILTERED_OWNERS = new Set([
  'network:dhcp',
  'network:router_interface',
  'network:router_interface_distributed',
  'network:ha_router_replicated_interface',
]);

/** A port's addresses as its group's members are made of them. */
const MEMBER_ATTRIBUTES = ['fixed_ips', 'allowed_address_pairs', 'mac_address'];

type Port = EventObject<'port'>;

/** The groups whose members a port counts among, unless it is a port upstream leaves out. */
const memberGroups = (port: Port): readonly string[] => (UNFILTERED_OWNERS.has(port.device_owner) ? [] : (port.security_groups ?? []));

const sameSet = (a: readonly string[], b: readonly string[]): boolean => {
  const x = new Set(a);
  const y = new Set(b);
  return x.size === y.size && [...x].every((v) => y.has(v));
};

export class SecurityGroupAgentNotifier {
  private readonly agents: ContractClient<typeof securityGroupAgentApi.methods>;
  private readonly pending = new Map<Method, Set<string>>();
  private flushing: NodeJS.Immediate | undefined;

  constructor(
    private readonly db: Db,
    bus: Bus,
    private readonly log: SecurityGroupNotifierLogger,
  ) {
    this.agents = clientOf(bus, securityGroupAgentApi);
  }

  subscribe(events: EventBus<CoreEvents>): void {
    events.on('security_group_rule.after_create', ({ current }) => this.queue('security_groups_rule_updated', [current.security_group_id]));
    events.on('security_group_rule.after_delete', ({ current }) => this.queue('security_groups_rule_updated', [current.security_group_id]));
    events.on('port.after_create', ({ current }) => this.queue('security_groups_member_updated', memberGroups(current)));
    events.on('port.after_delete', ({ current }) => this.queue('security_groups_member_updated', memberGroups(current)));
    events.on('port.after_update', ({ original, current }) => (original ? this.portUpdated(original, current) : undefined));
    events.on('address_group.after_update', ({ original, current }) => (original ? this.addressGroupUpdated(original, current) : undefined));
  }

  private portUpdated(original: Port, current: Port): void {
    if (!sameSet(original.security_groups ?? [], current.security_groups ?? [])) {
      // Both: the port left the old groups and joined the new ones.
      this.queue('security_groups_member_updated', [...memberGroups(original), ...memberGroups(current)]);
    } else if (attributesChanged(original, current, MEMBER_ATTRIBUTES)) {
      this.queue('security_groups_member_updated', memberGroups(current));
    }
  }

  /** Agents match address groups through the rules naming them, so the message names the rules' groups. */
  private async addressGroupUpdated(original: EventObject<'address_group'>, current: EventObject<'address_group'>): Promise<void> {
    if (sameSet(original.addresses ?? [], current.addresses ?? [])) return;
    try {
      const rows = await this.db
        .selectFrom('securitygrouprules')
        .select('security_group_id')
        .distinct()
        .where('remote_address_group_id', '=', current.id)
        .execute();
      this.queue(
        'security_groups_member_updated',
        rows.map((r) => r.security_group_id),
      );
    } catch (err) {
      this.log.warn({ err, addressGroup: current.id }, 'could not find the security groups using an address group');
    }
  }

  private queue(method: Method, groups: readonly string[]): void {
    if (groups.length === 0) return;
    const set = this.pending.get(method) ?? new Set<string>();
    for (const group of groups) set.add(group);
    this.pending.set(method, set);
    this.flushing ??= setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.flushing = undefined;
    const batches = [...this.pending];
    this.pending.clear();
    for (const [method, groups] of batches) {
      try {
        await this.agents.fanout(method, { security_groups: [...groups] });
      } catch (err) {
        this.log.warn({ err, topic: securityGroupAgentApi.methods[method].topic, method }, 'could not notify the L2 agents of a security group change');
      }
    }
  }
}
