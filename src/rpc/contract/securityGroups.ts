/**
 * Security groups between the server and the L2 agents that enforce them.
 *
 * The agents' call on q-plugin, Neutron's SecurityGroupServerRpcApi
 * (neutron/api/rpc/handlers/securitygroups_rpc.py, the "enhanced" RPC):
 *
 *   security_group_info_for_devices {devices}  (1.2)
 *     -> {devices: {<port id>: port}, security_groups: {<group id>: [rule]},
 *         sg_member_ips: {<group or address group id>: {IPv4: [[ip, mac]], IPv6: [...]}}}
 *
 * `devices` are named as the agent names them (tap names for the Linux bridge
 * agent); ports Neutron trusts (device_owner `network:*`) are left out, as
 * they are not filtered. A rule's remote_ip_prefix arrives as
 * `source_ip_prefix` (ingress) or `dest_ip_prefix` (egress).
 *
 * The server's fanouts on q-agent-notifier-security_group-update,
 * SecurityGroupAgentRpcApiMixin (1.1): "look again at these groups".
 *
 *   security_groups_rule_updated     {security_groups}  a group's rules changed
 *   security_groups_member_updated   {security_groups}  a group's member addresses changed
 *   security_groups_provider_updated {devices_to_update} Neutron's DHCP-server rule changed
 */
import { Type, type Static } from 'typebox';
import { AGENT_NOTIFIER, PLUGIN } from '../topics.js';
import { defineApi, defineMethod } from './define.js';
import { NoResult, Nullable } from './schemas.js';

export const FirewallRule = Type.Object({
  direction: Type.Union([Type.Literal('ingress'), Type.Literal('egress')]),
  ethertype: Type.Union([Type.Literal('IPv4'), Type.Literal('IPv6')]),
  /** A name (tcp, icmp, ipv6-icmp...) or an IP protocol number as a string; absent: any. */
  protocol: Type.Optional(Type.String()),
  port_range_min: Type.Optional(Type.Integer()),
  port_range_max: Type.Optional(Type.Integer()),
  source_ip_prefix: Type.Optional(Type.String()),
  dest_ip_prefix: Type.Optional(Type.String()),
  remote_group_id: Type.Optional(Type.String()),
  remote_address_group_id: Type.Optional(Type.String()),
  stateful: Type.Optional(Type.Boolean()),
  /** Only in a port's provider rules (the DHCP server's port). */
  source_port_range_min: Type.Optional(Type.Integer()),
  source_port_range_max: Type.Optional(Type.Integer()),
});
export type FirewallRule = Static<typeof FirewallRule>;

export const FirewallPort = Type.Object({
  id: Type.String(),
  /** The name the agent asked with. */
  device: Type.String(),
  network_id: Type.String(),
  mac_address: Type.String(),
  /** Addresses only, as Neutron's get_ports_from_devices gives them. */
  fixed_ips: Type.Array(Type.String()),
  allowed_address_pairs: Type.Array(Type.Object({ ip_address: Type.String(), mac_address: Type.Optional(Nullable(Type.String())) })),
  port_security_enabled: Type.Boolean(),
  security_groups: Type.Array(Type.String()),
  device_owner: Type.Optional(Type.String()),
  /** Neutron's provider rules for this port (DHCP replies, router advertisements), which its agents filter with. */
  security_group_rules: Type.Optional(Type.Array(FirewallRule)),
});
export type FirewallPort = Static<typeof FirewallPort>;

/** A member: [ip, mac] (mac null for fixed IPs), or a bare address as older servers sent. */
export const MemberAddress = Type.Union([Type.String(), Type.Tuple([Type.String(), Nullable(Type.String())])]);
export type MemberAddress = Static<typeof MemberAddress>;

export const MemberIps = Type.Object({ IPv4: Type.Optional(Type.Array(MemberAddress)), IPv6: Type.Optional(Type.Array(MemberAddress)) });
export type MemberIps = Static<typeof MemberIps>;

export const SecurityGroupInfo = Type.Object({
  devices: Type.Record(Type.String(), FirewallPort),
  security_groups: Type.Record(Type.String(), Type.Array(FirewallRule)),
  sg_member_ips: Type.Record(Type.String(), MemberIps),
});
export type SecurityGroupInfo = Static<typeof SecurityGroupInfo>;

export const securityGroupServerApi = defineApi('SecurityGroupServerRpcApi', {
  security_group_info_for_devices: defineMethod({
    topic: PLUGIN,
    delivery: ['call'],
    version: '1.2',
    args: Type.Object({ devices: Type.Array(Type.String()) }),
    result: SecurityGroupInfo,
  }),
}, '1.3'); // SecurityGroupServerRpcCallback

const fanout = { topic: AGENT_NOTIFIER.securityGroupUpdate, delivery: ['fanout'], version: '1.1', result: NoResult } as const;
const Groups = Type.Object({ security_groups: Type.Array(Type.String()) });

export const securityGroupAgentApi = defineApi('SecurityGroupAgentRpcApiMixin', {
  security_groups_rule_updated: defineMethod({ ...fanout, args: Groups }),
  security_groups_member_updated: defineMethod({ ...fanout, args: Groups }),
  security_groups_provider_updated: defineMethod({ ...fanout, args: Type.Object({ devices_to_update: Type.Optional(Nullable(Type.Array(Type.String()))) }) }),
}, '1.4'); // served by the L2 agent's one endpoint (LinuxBridgeRpcCallbacks)
