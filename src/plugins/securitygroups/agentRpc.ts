/**
 * The L2 agents' security group call on q-plugin (Neutron's
 * SecurityGroupServerRpcCallback with SecurityGroupServerRpcMixin,
 * neutron/db/securitygroups_rpc_base.py): what a firewall on a host needs
 * to filter the devices it has, in one answer.
 *
 *   security_group_info_for_devices {devices}
 *     -> devices         the ports, by id (ports Neutron trusts, `network:*`, and unknown devices left out)
 *        security_groups every group of those ports with its rules (a group without rules: [])
 *        sg_member_ips   the addresses of every remote group and remote address group the rules name
 *
 * The number of queries does not grow with the number of devices: an agent
 * that restarts asks about all of its ports at once.
 */
import type { Db } from '../../db/schema.js';
import type { FirewallPort, FirewallRule, HandlersOf, MemberAddress, securityGroupServerApi, SecurityGroupInfo } from '../../rpc/contract/index.js';
import { groupByParent, loadInChunks } from '../core/children.js';
import { findDevicePorts, type PortRow } from '../ml2/rpc/devices.js';
import type { RuleRow } from './storage.js';
import { providerRules } from './providerRules.js';

type Ethertype = FirewallRule['ethertype'];
type Direction = FirewallRule['direction'];

/** neutron-lib's is_port_trusted: the network's own ports (DHCP, router interfaces...) are not filtered. */
const TRUSTED_OWNER_PREFIX = 'network:';

/** A rule's remote_ip_prefix is the packet's source for ingress rules and its destination for egress ones. */
const PREFIX_KEY: Readonly<Record<Direction, 'source_ip_prefix' | 'dest_ip_prefix'>> = {
  ingress: 'source_ip_prefix',
  egress: 'dest_ip_prefix',
};

const ethertypeOf = (address: string): Ethertype => (address.includes(':') ? 'IPv6' : 'IPv4');

/** Neutron's rule dict: only what is set, the prefix named by direction, and the group's stateful flag. */
export function firewallRule(row: RuleRow, stateful: boolean): FirewallRule {
  const direction: Direction = row.direction === 'egress' ? 'egress' : 'ingress';
  const rule: FirewallRule = { direction, ethertype: row.ethertype === 'IPv6' ? 'IPv6' : 'IPv4' };
  if (row.protocol !== null) rule.protocol = row.protocol;
  if (row.port_range_min !== null) rule.port_range_min = row.port_range_min;
  if (row.port_range_max !== null) rule.port_range_max = row.port_range_max;
  // Upstream sends the prefix with its host bits cleared when it has one.
  const prefix = row.normalized_cidr ?? row.remote_ip_prefix;
  if (prefix !== null) rule[PREFIX_KEY[direction]] = prefix;
  if (row.remote_group_id !== null) rule.remote_group_id = row.remote_group_id;
  if (row.remote_address_group_id !== null) rule.remote_address_group_id = row.remote_address_group_id;
  rule.stateful = stateful;
  return rule;
}

/**
 * A remote group's members, per ethertype, for the ethertypes its referring
 * rules use only (upstream's shape: an ethertype no rule names is absent,
 * one that a rule names is there even when empty). Each address once.
 */
class MemberSets {
  private readonly sets = new Map<string, Map<Ethertype, Map<string, MemberAddress>>>();

  want(remoteId: string, ethertype: Ethertype): void {
    const byType = this.sets.get(remoteId) ?? new Map<Ethertype, Map<string, MemberAddress>>();
    this.sets.set(remoteId, byType);
    if (!byType.has(ethertype)) byType.set(ethertype, new Map());
  }

  ids(): string[] {
    return [...this.sets.keys()];
  }

  add(remoteId: string, address: string, mac: string | null): void {
    this.sets.get(remoteId)?.get(ethertypeOf(address))?.set(`${address} ${mac ?? ''}`, [address, mac]);
  }

  toJson(): SecurityGroupInfo['sg_member_ips'] {
    const out: SecurityGroupInfo['sg_member_ips'] = {};
    for (const [id, byType] of this.sets) out[id] = Object.fromEntries([...byType].map(([type, members]) => [type, [...members.values()]]));
    return out;
  }
}

export class SecurityGroupAgentRpc {
  constructor(private readonly db: Db) {}

  async infoForDevices(devices: readonly string[]): Promise<SecurityGroupInfo> {
    const found = await findDevicePorts(this.db, devices);
    // Keyed by port id: a port asked for under two names is answered once, under the last one (as upstream's dict).
    const ports = new Map<string, { row: PortRow; device: string }>();
    for (const [device, row] of found) if (!row.device_owner.startsWith(TRUSTED_OWNER_PREFIX)) ports.set(row.id, { row, device });
    const portIds = [...ports.keys()];

    const [ips, pairs, bindings] = await Promise.all([
      groupByParent(portIds, (chunk) => this.db.selectFrom('ipallocations').select(['port_id', 'ip_address']).where('port_id', 'in', chunk).execute(), (r) => r.port_id),
      groupByParent(portIds, (chunk) => this.db.selectFrom('allowed_address_pairs').selectAll().where('port_id', 'in', chunk).execute(), (r) => r.port_id),
      groupByParent(portIds, (chunk) => this.db.selectFrom('securitygroupportbindings').selectAll().where('port_id', 'in', chunk).execute(), (r) => r.port_id),
    ]);
    const groupIds = [...new Set([...bindings.values()].flatMap((rows) => rows.map((r) => r.security_group_id)))];
    const [rules, groups] = await Promise.all([
      groupByParent(groupIds, (chunk) => this.db.selectFrom('securitygrouprules').selectAll().where('security_group_id', 'in', chunk).execute(), (r) => r.security_group_id),
      loadInChunks(groupIds, (chunk) => this.db.selectFrom('securitygroups').select(['id', 'stateful']).where('id', 'in', chunk).execute()),
    ]);

    const stateful = new Map(groups.map((g) => [g.id, g.stateful === 1]));
    const securityGroups: SecurityGroupInfo['security_groups'] = {};
    const remoteGroups = new MemberSets();
    const remoteAddressGroups = new MemberSets();
    for (const groupId of groupIds) {
      // A group deleted meanwhile is no longer the port's.
      if (!stateful.has(groupId)) continue;
      const groupRules = rules.get(groupId) ?? [];
      securityGroups[groupId] = groupRules.map((row) => firewallRule(row, stateful.get(groupId)!));
      for (const row of groupRules) {
        const ethertype: Ethertype = row.ethertype === 'IPv6' ? 'IPv6' : 'IPv4';
        if (row.remote_group_id !== null) remoteGroups.want(row.remote_group_id, ethertype);
        else if (row.remote_address_group_id !== null) remoteAddressGroups.want(row.remote_address_group_id, ethertype);
      }
    }
    await Promise.all([this.addGroupMembers(remoteGroups), this.addAddressGroupMembers(remoteAddressGroups)]);

    const answer: SecurityGroupInfo['devices'] = {};
    for (const [id, { row, device }] of ports) {
      const fixedIps = (ips.get(id) ?? []).map((r) => r.ip_address);
      const port: FirewallPort = {
        id,
        device,
        network_id: row.network_id,
        mac_address: row.mac_address,
        fixed_ips: fixedIps,
        allowed_address_pairs: (pairs.get(id) ?? []).map((r) => ({ ip_address: r.ip_address, mac_address: r.mac_address })),
        port_security_enabled: row.port_security_enabled === 1,
        security_groups: (bindings.get(id) ?? []).map((r) => r.security_group_id).filter((g) => stateful.has(g)),
        device_owner: row.device_owner,
        security_group_rules: providerRules(fixedIps),
      };
      answer[id] = port;
    }
    return { devices: answer, security_groups: securityGroups, sg_member_ips: { ...remoteGroups.toJson(), ...remoteAddressGroups.toJson() } };
  }

  /** Members of remote groups: their ports' fixed IPs (no MAC, as upstream) and allowed address pairs (with theirs). */
  private async addGroupMembers(sets: MemberSets): Promise<void> {
    const ids = sets.ids();
    const [fixed, paired] = await Promise.all([
      loadInChunks(ids, (chunk) =>
        this.db
          .selectFrom('securitygroupportbindings as b')
          .innerJoin('ipallocations as ip', 'ip.port_id', 'b.port_id')
          .select(['b.security_group_id', 'ip.ip_address'])
          .where('b.security_group_id', 'in', chunk)
          .execute(),
      ),
      loadInChunks(ids, (chunk) =>
        this.db
          .selectFrom('securitygroupportbindings as b')
          .innerJoin('allowed_address_pairs as p', 'p.port_id', 'b.port_id')
          .select(['b.security_group_id', 'p.ip_address', 'p.mac_address'])
          .where('b.security_group_id', 'in', chunk)
          .execute(),
      ),
    ]);
    for (const row of fixed) sets.add(row.security_group_id, row.ip_address, null);
    for (const row of paired) sets.add(row.security_group_id, row.ip_address, row.mac_address);
  }

  /** An address group's members are its CIDRs, as stored. */
  private async addAddressGroupMembers(sets: MemberSets): Promise<void> {
    const rows = await loadInChunks(sets.ids(), (chunk) =>
      this.db.selectFrom('address_associations').select(['address_group_id', 'address']).where('address_group_id', 'in', chunk).execute(),
    );
    for (const row of rows) sets.add(row.address_group_id, row.address, null);
  }
}

export function securityGroupRpcHandlers(rpc: SecurityGroupAgentRpc): HandlersOf<typeof securityGroupServerApi.methods> {
  return {
    security_group_info_for_devices: (args) => rpc.infoForDevices(args.devices),
  };
}
