/**
 * The server's end of the metadata agent's RPC, served on topic `q-plugin`
 * (Neutron's MetadataRpcCallback, neutron/api/rpc/handlers/metadata_rpc.py;
 * the method and its shapes are the contract's, src/rpc/contract/metadata.ts):
 * get_ports lists ports with every attribute, as an admin sees them.
 *
 * The agent asks "which port on network N (or on the networks of router R's
 * interfaces) has address A", so the call runs with an admin context: the
 * agent acts for no project.
 */
import { adminContext } from '../../common/context.js';
import { BadRequest } from '../../common/errors.js';
import { conform, endpoint, type Endpoint, metadataApi, MetadataPort } from '../../rpc/contract/index.js';
import type { ApiObject, Collection } from '../collection.js';

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

/** A port as the API presents it, as the contract types it (a mismatch is a server bug, answered as an error). */
const asPort = (port: ApiObject): MetadataPort => conform(MetadataPort, port, 'port');

export function metadataEndpoint(ports: Collection): Endpoint {
  return endpoint(metadataApi, {
    get_ports: async (args, handler) => {
      const plain: [string, unknown[]][] = [];
      let fixedIps: string[] = [];
      for (const [key, value] of Object.entries(args.filters ?? {})) {
        if (key === 'fixed_ips') fixedIps = fixedIpFilter(value);
        else plain.push([key, asList(value)]);
      }
      if (fixedIps.length > 0) plain.push(['fixed_ips', fixedIps]);
      const found = await ports.list(adminContext(handler.context.requestId), { filters: new Map(plain), sorts: [] });
      return found.map(asPort);
    },
  });
}
