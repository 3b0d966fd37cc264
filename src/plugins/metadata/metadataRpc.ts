/**
 * The server's end of the metadata agent's RPC, served on topic `q-plugin`
 * (Neutron's MetadataRpcCallback, neutron/api/rpc/handlers/metadata_rpc.py;
 * the agent's side is MetadataPluginAPI in neutron/agent/metadata/agent.py):
 *
 *   get_ports {filters: {attr: [values], fixed_ips?: {ip_address?: [..], subnet_id?: [..]}}}
 *     -> [Port], every attribute, as an admin sees it
 *
 * The agent asks "which port on network N (or on the networks of router R's
 * interfaces) has address A", so the call runs with an admin context: the
 * agent acts for no project.
 */
import { adminContext } from '../../common/context.js';
import { BadRequest } from '../../common/errors.js';
import type { RpcHandlers } from '../../rpc/bus.js';
import type { Collection } from '../collection.js';

const FIXED_IP_KEYS = ['ip_address', 'subnet_id', 'ip_address_substr'];

const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

/**
 * fixed_ips as MetadataPluginAPI sends it, `{"ip_address": ["10.0.0.5"]}`, or
 * as the API's query string spells it, `["ip_address=10.0.0.5"]`: both become
 * the ports plugin's `key=value` form.
 */
function fixedIpFilter(value: unknown): string[] {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    return Object.entries(value).flatMap(([key, values]) => {
      if (!FIXED_IP_KEYS.includes(key)) throw new BadRequest(`fixed_ips filter ${key} is not one of ${FIXED_IP_KEYS.join(', ')}`);
      return asList(values).map((v) => `${key}=${String(v)}`);
    });
  }
  return asList(value).map(String);
}

export function metadataRpcHandlers(ports: Collection): RpcHandlers {
  return {
    get_ports: async (args, handler) => {
      const filters = args.filters ?? {};
      if (typeof filters !== 'object' || filters === null || Array.isArray(filters)) throw new BadRequest('filters must be an object');
      const plain: [string, unknown[]][] = [];
      let fixedIps: string[] = [];
      for (const [key, value] of Object.entries(filters)) {
        if (key === 'fixed_ips') fixedIps = fixedIpFilter(value);
        else plain.push([key, asList(value)]);
      }
      if (fixedIps.length > 0) plain.push(['fixed_ips', fixedIps]);
      return ports.list(adminContext(handler.context.requestId), { filters: new Map(plain), sorts: [] });
    },
  };
}
