/**
 * The metadata agent's call on q-plugin, Neutron's MetadataPluginAPI
 * (neutron/agent/metadata/agent.py; served by MetadataRpcCallback,
 * neutron/api/rpc/handlers/metadata_rpc.py, target 1.0):
 *
 *   get_ports {filters: {attr: [values], fixed_ips?: {ip_address?: [..], subnet_id?: [..]}}}
 *     -> [Port], every attribute, as an admin sees it
 *
 * The agent asks "which port on network N (or on the networks of router R's
 * interfaces) has address A" and reads the port's device_id, network_id and
 * project. fixed_ips may also come as the API's query spelling,
 * `["ip_address=10.0.0.5"]`.
 */
import { Type, type Static } from 'typebox';
import { PLUGIN } from '../topics.js';
import { defineApi, defineMethod } from './define.js';
import { JsonObject, Nullable } from './schemas.js';

export const MetadataPort = Type.Object({
  device_id: Type.String(),
  network_id: Type.String(),
  project_id: Type.Optional(Type.String()),
  tenant_id: Type.Optional(Type.String()),
});
export type MetadataPort = Static<typeof MetadataPort>;

export const metadataApi = defineApi('MetadataPluginAPI', {
  get_ports: defineMethod({
    topic: PLUGIN,
    delivery: ['call'],
    version: '1.0',
    args: Type.Object({ filters: Type.Optional(Nullable(JsonObject)) }),
    result: Type.Array(MetadataPort),
  }),
}, '1.0'); // MetadataRpcCallback
