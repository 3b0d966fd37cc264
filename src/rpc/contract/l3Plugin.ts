/**
 * The L3 agents' calls on q-l3-plugin, Neutron's L3PluginApi (client in
 * neutron/agent/l3/agent.py; served by L3RpcCallback,
 * neutron/api/rpc/handlers/l3_rpc.py, target 1.12). Every call runs as an
 * admin on the server.
 *
 *   get_router_ids {host}                       -> [router id]  (schedules unhosted routers first)
 *   sync_routers {host, router_ids?}            -> [SyncRouter] (the routers of `router_ids`
 *                                                  scheduled to `host`, or all of them)
 *   update_floatingip_statuses {router_id, fip_statuses: {fip id: status}} -> null
 *                                                 (and DOWN for the router's former floating IPs)
 *   get_service_plugin_list {}                  -> [plugin name]
 *   get_external_network_id {}                  -> network id | null
 *   get_host_ha_router_count {host}             -> how many HA routers the host's agent hosts
 *
 * A SyncRouter is the router as an admin sees it in the API plus what the
 * agent needs to build it without further calls, under Neutron's keys:
 * `gw_port` (the gateway port, or null), `_interfaces` (its
 * network:router_interface ports) and `_floatingips` (floating IPs
 * associated through it). Each port carries `subnets` (the subnets of its
 * fixed IPs, with cidr and gateway) and `mtu` (its network's), and its
 * fixed IPs carry `prefixlen`. Only the keys the agent reads are typed here.
 */
import { Type, type Static } from 'typebox';
import { L3PLUGIN } from '../topics.js';
import { defineApi, defineMethod } from './define.js';
import { JsonObject, MaybeString, NoResult, Nullable, Text } from './schemas.js';

export const RouterPortSubnet = Type.Object({
  id: Type.String(),
  cidr: Type.String(),
  gateway_ip: Type.Optional(Nullable(Type.String())),
});

export const RouterFixedIp = Type.Object({
  subnet_id: Type.String(),
  ip_address: Type.String(),
  prefixlen: Type.Integer({ minimum: 0, maximum: 128 }),
});

export const RouterPort = Type.Object({
  id: Type.String(),
  network_id: Type.String(),
  mac_address: Type.String(),
  device_owner: Type.Optional(Type.String()),
  admin_state_up: Type.Optional(Type.Boolean()),
  fixed_ips: Type.Array(RouterFixedIp),
  subnets: Type.Array(RouterPortSubnet),
  mtu: Type.Optional(Nullable(Type.Integer())),
  'binding:host_id': Type.Optional(Type.String()),
});
export type RouterPort = Static<typeof RouterPort>;

export const SyncFloatingIp = Type.Object({
  id: Type.String(),
  floating_ip_address: Type.String(),
  floating_network_id: Type.String(),
  fixed_ip_address: Type.String(),
  port_id: Type.String(),
  router_id: Type.String(),
  status: Type.Optional(Type.String()),
});
export type SyncFloatingIp = Static<typeof SyncFloatingIp>;

export const SyncRouter = Type.Object({
  id: Type.String(),
  admin_state_up: Type.Boolean(),
  status: Type.Optional(Type.String()),
  project_id: Type.Optional(Type.String()),
  external_gateway_info: Nullable(
    Type.Object({ network_id: Type.String(), enable_snat: Type.Optional(Type.Boolean()), external_fixed_ips: Type.Optional(Type.Array(JsonObject)) }),
  ),
  routes: Type.Optional(Type.Array(Type.Object({ destination: Type.String(), nexthop: Type.String() }))),
  /** Neutron sends `enable_snat` at the top too for gateway routers. */
  enable_snat: Type.Optional(Type.Boolean()),
  distributed: Type.Optional(Type.Boolean()),
  ha: Type.Optional(Type.Boolean()),
  gw_port: Type.Optional(Nullable(RouterPort)),
  _interfaces: Type.Optional(Type.Array(RouterPort)),
  _floatingips: Type.Optional(Type.Array(SyncFloatingIp)),
});
export type SyncRouter = Static<typeof SyncRouter>;

/** Floating IP operational states the agent reports (neutron_lib FLOATINGIP_STATUS_*). */
export const FloatingIpStatus = Type.Union([Type.Literal('ACTIVE'), Type.Literal('DOWN'), Type.Literal('ERROR')]);

export const l3PluginApi = defineApi('L3PluginApi', {
  get_router_ids: defineMethod({ topic: L3PLUGIN, delivery: ['call'], version: '1.9', args: Type.Object({ host: Text }), result: Type.Array(Type.String()) }),
  sync_routers: defineMethod({
    topic: L3PLUGIN,
    delivery: ['call'],
    version: '1.5',
    args: Type.Object({ host: Text, router_ids: Type.Optional(Nullable(Type.Array(Type.String()))) }),
    result: Type.Array(SyncRouter),
  }),
  update_floatingip_statuses: defineMethod({
    topic: L3PLUGIN,
    delivery: ['call'],
    version: '1.1',
    args: Type.Object({ router_id: Text, fip_statuses: Type.Record(Type.String(), FloatingIpStatus) }),
    result: NoResult,
  }),
  get_service_plugin_list: defineMethod({ topic: L3PLUGIN, delivery: ['call'], version: '1.3', args: Type.Object({}), result: Type.Array(Type.String()) }),
  get_external_network_id: defineMethod({ topic: L3PLUGIN, delivery: ['call'], version: '1.0', args: Type.Object({ host: MaybeString }), result: Nullable(Type.String()) }),
  get_host_ha_router_count: defineMethod({ topic: L3PLUGIN, delivery: ['call'], version: '1.11', args: Type.Object({ host: Text }), result: Type.Integer({ minimum: 0 }) }),
}, '1.12'); // L3RpcCallback
