/**
 * The L2 agents' calls on q-plugin, Neutron's PluginApi (client in
 * neutron/agent/rpc.py, target 1.9; served by ML2's RpcCallbacks,
 * neutron/plugins/ml2/rpc.py):
 *
 *   get_device_details {device, agent_id, host}                       -> DeviceDetails
 *   get_devices_details_list {devices, agent_id, host}                -> [DeviceDetails]
 *   get_devices_details_list_and_failed_devices {devices, agent_id, host}
 *                                                   -> {devices: [DeviceDetails], failed_devices}
 *   update_device_up {device, agent_id, host, refresh_tunnels?}       -> null
 *   update_device_down {device, agent_id, host}                       -> {device, exists}
 *   update_device_list {devices_up, devices_down, agent_id, host, refresh_tunnels?}
 *                        -> {devices_up, failed_devices_up, devices_down: [{device, exists}], failed_devices_down}
 *   tunnel_sync {tunnel_ip, tunnel_type, host}                        -> {tunnels: [{ip_address, host}]}
 *                        (the Open vSwitch agent, without l2population: every tunnel endpoint of that type)
 *
 * A device is named as agents name it (a tap name, a port id, a MAC).
 * Neutron's agents send `host=None` when they have none: agent_id and host
 * may be null or absent, and device lists absent or null (none).
 */
import { Type, type Static } from 'typebox';
import { PLUGIN } from '../topics.js';
import { defineApi, defineMethod } from './define.js';
import { MaybeString, Nullable, Text } from './schemas.js';

const Asker = { agent_id: MaybeString, host: MaybeString };
const DeviceList = Type.Optional(Nullable(Type.Array(Type.String())));

/**
 * Neutron's device dict. `{device}` alone for an unknown or unbound port,
 * `{device, no_active_binding: true}` for an instance's port bound to
 * another host; otherwise the port, its network segment and MTU. The agent
 * reads the typed keys; the `Unknown` ones are sent for Neutron's agents.
 */
export const DeviceDetails = Type.Object({
  device: Type.String(),
  no_active_binding: Type.Optional(Type.Boolean()),
  network_id: Type.Optional(Type.String()),
  port_id: Type.Optional(Type.String()),
  mac_address: Type.Optional(Type.String()),
  admin_state_up: Type.Optional(Type.Boolean()),
  network_type: Type.Optional(Type.String()),
  segmentation_id: Type.Optional(Nullable(Type.Integer())),
  physical_network: Type.Optional(Nullable(Type.String())),
  mtu: Type.Optional(Nullable(Type.Number())),
  fixed_ips: Type.Optional(Type.Array(Type.Object({ subnet_id: Type.Optional(Type.String()), ip_address: Type.String() }))),
  device_owner: Type.Optional(Type.String()),
  allowed_address_pairs: Type.Optional(Type.Unknown()),
  port_security_enabled: Type.Optional(Type.Boolean()),
  security_groups: Type.Optional(Type.Unknown()),
  qos_policy_id: Type.Optional(Type.Unknown()),
  network_qos_policy_id: Type.Optional(Type.Unknown()),
  profile: Type.Optional(Type.Unknown()),
  propagate_uplink_status: Type.Optional(Type.Boolean()),
});
export type DeviceDetails = Static<typeof DeviceDetails>;

export const DeviceDown = Type.Object({ device: Type.String(), exists: Type.Boolean() });
export type DeviceDown = Static<typeof DeviceDown>;

export const DetailsAndFailures = Type.Object({ devices: Type.Array(DeviceDetails), failed_devices: Type.Array(Type.String()) });

export const DeviceListResult = Type.Object({
  devices_up: Type.Array(Type.String()),
  failed_devices_up: Type.Array(Type.String()),
  devices_down: Type.Array(DeviceDown),
  failed_devices_down: Type.Array(Type.String()),
});
export type DeviceListResult = Static<typeof DeviceListResult>;

/** A tunnel endpoint as type_tunnel.py's endpoints tables list them. */
export const TunnelEndpoint = Type.Object({ ip_address: Text, host: Type.Optional(Nullable(Type.String())), udp_port: Type.Optional(Type.Integer()) });
export type TunnelEndpoint = Static<typeof TunnelEndpoint>;
const TunnelSyncResult = Type.Object({ tunnels: Type.Array(TunnelEndpoint) });

const call = { topic: PLUGIN, delivery: ['call'] } as const;
const oneDevice = Type.Object({ device: Text, ...Asker });
const manyDevices = Type.Object({ devices: DeviceList, ...Asker });

export const l2PluginApi = defineApi('PluginApi', {
  get_device_details: defineMethod({ ...call, version: '1.9', args: oneDevice, result: DeviceDetails }),
  get_devices_details_list: defineMethod({ ...call, version: '1.9', args: manyDevices, result: Type.Array(DeviceDetails) }),
  get_devices_details_list_and_failed_devices: defineMethod({ ...call, version: '1.5', args: manyDevices, result: DetailsAndFailures }),
  update_device_up: defineMethod({
    ...call,
    version: '1.9',
    args: Type.Object({ device: Text, ...Asker, refresh_tunnels: Type.Optional(Type.Boolean()) }),
    result: Type.Null(),
  }),
  update_device_down: defineMethod({ ...call, version: '1.9', args: oneDevice, result: DeviceDown }),
  update_device_list: defineMethod({
    ...call,
    version: '1.9',
    args: Type.Object({ devices_up: DeviceList, devices_down: DeviceList, ...Asker, refresh_tunnels: Type.Optional(Type.Boolean()) }),
    result: DeviceListResult,
  }),
  tunnel_sync: defineMethod({
    ...call,
    version: '1.4',
    args: Type.Object({ tunnel_ip: Text, tunnel_type: Type.Optional(Nullable(Type.String())), host: MaybeString }),
    result: TunnelSyncResult,
  }),
}, '1.9'); // ml2's RpcCallbacks
