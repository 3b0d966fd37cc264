/**
 * The DHCP agents' calls on q-plugin, Neutron's DhcpPluginApi (client in
 * neutron/agent/dhcp/agent.py; served by DhcpRpcCallback,
 * neutron/api/rpc/handlers/dhcp_rpc.py, target 1.10). Every call runs as an
 * admin on the server.
 *
 *   get_active_networks_info {host, enable_dhcp_filter?} -> [DhcpNetwork]
 *   get_network_info {network_id, host}                   -> DhcpNetwork | null (gone)
 *   create_dhcp_port {port: {port: NewDhcpPort}, host}     -> Port | null (network or subnet gone)
 *   update_dhcp_port {port_id, port: {port: {network_id, ...changes}}, host}
 *                                                          -> Port | null (gone, or another agent's)
 *   release_dhcp_port {network_id, device_id, host}       -> null
 *   get_dhcp_port {port_id}                               -> Port
 *   dhcp_ready_on_ports {port_ids}                        -> null
 *   get_networks {filters?, fields?}                      -> [Network]
 *
 * DhcpNetwork is a network as an admin sees it in the API with `subnets`
 * (sorted by id: the agent numbers its dnsmasq tags by position),
 * `non_local_subnets` and `ports` (every port of the network) in place of
 * subnet ids. Only the keys the agent reads are typed here; the API sends
 * every attribute.
 */
import { Type, type Static } from 'typebox';
import { PLUGIN } from '../topics.js';
import { defineApi, defineMethod } from './define.js';
import { JsonObject, MaybeString, Nullable, Text } from './schemas.js';

export const FixedIp = Type.Object({ subnet_id: Type.String(), ip_address: Type.String() });

export const DhcpPort = Type.Object({
  id: Type.String(),
  network_id: Type.String(),
  mac_address: Type.String(),
  device_owner: Type.Optional(Type.String()),
  device_id: Type.Optional(Type.String()),
  fixed_ips: Type.Optional(Type.Array(FixedIp)),
  dns_assignment: Type.Optional(Type.Array(Type.Object({ hostname: Type.String(), ip_address: Type.String(), fqdn: Type.String() }))),
  extra_dhcp_opts: Type.Optional(
    Type.Array(
      Type.Object({
        opt_name: Type.String(),
        opt_value: Type.Optional(Nullable(Type.String())),
        ip_version: Type.Optional(Nullable(Type.Union([Type.Integer(), Type.String()]))),
      }),
    ),
  ),
  /** Orders notifications against fetches. */
  revision_number: Type.Optional(Type.Number()),
});
export type DhcpPort = Static<typeof DhcpPort>;

export const DhcpSubnet = Type.Object({
  id: Type.String(),
  cidr: Type.String(),
  ip_version: Type.Union([Type.Literal(4), Type.Literal(6)]),
  enable_dhcp: Type.Optional(Type.Boolean()),
  gateway_ip: Type.Optional(Nullable(Type.String())),
  dns_nameservers: Type.Optional(Type.Array(Type.String())),
  host_routes: Type.Optional(Type.Array(Type.Object({ destination: Type.String(), nexthop: Type.String() }))),
  ipv6_address_mode: Type.Optional(Nullable(Type.String())),
  ipv6_ra_mode: Type.Optional(Nullable(Type.String())),
});
export type DhcpSubnet = Static<typeof DhcpSubnet>;

export const DhcpNetwork = Type.Object({
  id: Type.String(),
  project_id: Type.Optional(Type.String()),
  tenant_id: Type.Optional(Type.String()),
  mtu: Type.Optional(Nullable(Type.Number())),
  subnets: Type.Array(DhcpSubnet),
  non_local_subnets: Type.Optional(Type.Array(Type.Unknown())),
  ports: Type.Array(DhcpPort),
});
export type DhcpNetwork = Static<typeof DhcpNetwork>;

/** A fixed IP the agent asks for: a subnet, and the address it already holds (to keep it). */
const FixedIpRequest = Type.Object({ subnet_id: Type.String(), ip_address: Type.Optional(Type.String()) });

/** What the agent sends to create its port; the server adds device_owner and binding:host_id, then checks it as the API would. */
export const NewDhcpPort = Type.Object({
  network_id: Text,
  project_id: Type.Optional(Type.String()),
  tenant_id: Type.Optional(Type.String()),
  device_id: Type.Optional(Type.String()),
  fixed_ips: Type.Optional(Type.Array(FixedIpRequest)),
  name: Type.Optional(Type.String()),
  admin_state_up: Type.Optional(Type.Boolean()),
  mac_address: Type.Optional(Type.String()),
});
export type NewDhcpPort = Static<typeof NewDhcpPort>;

export const DhcpPortChanges = Type.Object({
  network_id: Text,
  /** Ignored: a port's id does not change. */
  id: Type.Optional(Type.String()),
  device_id: Type.Optional(Type.String()),
  fixed_ips: Type.Optional(Type.Array(FixedIpRequest)),
});
export type DhcpPortChanges = Static<typeof DhcpPortChanges>;

const call = { topic: PLUGIN, delivery: ['call'] } as const;

export const dhcpPluginApi = defineApi('DhcpPluginApi', {
  get_active_networks_info: defineMethod({
    ...call,
    version: '1.1',
    args: Type.Object({ host: Text, enable_dhcp_filter: Type.Optional(Type.Boolean()) }),
    result: Type.Array(DhcpNetwork),
  }),
  get_network_info: defineMethod({ ...call, version: '1.0', args: Type.Object({ network_id: Text, host: MaybeString }), result: Nullable(DhcpNetwork) }),
  create_dhcp_port: defineMethod({
    ...call,
    version: '1.1',
    args: Type.Object({ port: Type.Object({ port: NewDhcpPort }), host: Text }),
    result: Nullable(DhcpPort),
  }),
  update_dhcp_port: defineMethod({
    ...call,
    version: '1.1',
    args: Type.Object({ port_id: Text, port: Type.Object({ port: DhcpPortChanges }), host: Text }),
    result: Nullable(DhcpPort),
  }),
  release_dhcp_port: defineMethod({
    ...call,
    version: '1.0',
    args: Type.Object({ network_id: Text, device_id: Text, host: MaybeString }),
    result: Type.Null(),
  }),
  get_dhcp_port: defineMethod({ ...call, version: '1.8', args: Type.Object({ port_id: Text }), result: DhcpPort }),
  dhcp_ready_on_ports: defineMethod({ ...call, version: '1.5', args: Type.Object({ port_ids: Type.Array(Type.String()) }), result: Type.Null() }),
  get_networks: defineMethod({
    ...call,
    version: '1.7',
    args: Type.Object({ filters: Type.Optional(Nullable(JsonObject)), fields: Type.Optional(Nullable(Type.Array(Type.String()))) }),
    result: Type.Array(JsonObject),
  }),
}, '1.10'); // DhcpRpcCallback
