/**
 * nucleon plug <port> --netns NAME [--host HOST] [--ifname eth0] [--url URL] [--ovsdb unix:PATH]
 * nucleon unplug <port> [--netns NAME] [--url URL] [--ovsdb unix:PATH]
 *
 * Attaches a namespace to a Neutron port as os-vif attaches a VM, for
 * instances that are not Nova's (containers, namespaces, tests): binds the
 * port to this host (binding:host_id), then creates the tap device, with
 * the port's MAC inside the namespace, and puts it in the network's bridge
 * (vif_type `bridge`) as libvirt does, or in the OVS bridge the binding
 * names (vif_type `ovs`) as os-vif does (ovsdb-server at --ovsdb, default
 * Open vSwitch's own socket). unplug removes
 * the tap, clears the binding and, given --netns, deletes the namespace.
 *
 * The API is at --url, else $OS_ENDPOINT, else http://127.0.0.1:9696; a
 * token in $OS_TOKEN is sent as X-Auth-Token (noauth needs none).
 */
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';

import { deleteNamespace, listNamespaces } from '../host/ip.js';
import { bridgeName } from '../agents/l2/names.js';
import { plugVif, unplugVif } from '../agents/plug/vif.js';

export const PLUG_USAGE = [
  'usage: nucleon plug <port id> --netns NAME [--host HOST] [--ifname IFNAME] [--url URL] [--ovsdb unix:PATH]',
  '       nucleon unplug <port id> [--netns NAME] [--url URL] [--ovsdb unix:PATH]',
].join('\n');

class PlugFailed extends Error {}

/** Open vSwitch's own database socket ([ovs] ovsdb_connection's default). */
const DEFAULT_OVSDB = 'unix:/var/run/openvswitch/db.sock';

interface Api {
  get(path: string): Promise<Record<string, unknown>>;
  put(path: string, body: unknown): Promise<Record<string, unknown>>;
}

function apiClient(url: string): Api {
  const base = url.replace(/\/+$/, '');
  const token = process.env.OS_TOKEN;
  const send = async (method: string, path: string, body?: unknown) => {
    let response: Response;
    try {
      response = await fetch(`${base}/v2.0${path}`, {
        method,
        headers: { 'content-type': 'application/json', accept: 'application/json', ...(token ? { 'x-auth-token': token } : {}) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      throw new PlugFailed(`cannot reach the Networking API at ${base}: ${err instanceof Error ? (err.cause as Error | undefined)?.message ?? err.message : String(err)}`);
    }
    const text = await response.text();
    const parsed = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    if (!response.ok) {
      const error = parsed.NeutronError as { message?: string } | undefined;
      throw new PlugFailed(`${method} ${path}: ${response.status} ${error?.message ?? text}`);
    }
    return parsed;
  };
  return { get: (path) => send('GET', path), put: (path, body) => send('PUT', path, body) };
}

const member = (body: Record<string, unknown>, key: string): Record<string, unknown> => body[key] as Record<string, unknown>;

export async function plugCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      netns: { type: 'string' },
      host: { type: 'string' },
      ifname: { type: 'string', default: 'eth0' },
      url: { type: 'string' },
      ovsdb: { type: 'string', default: DEFAULT_OVSDB },
    },
  });
  const [portId] = positionals;
  if (!portId || !values.netns || positionals.length !== 1) {
    process.stderr.write(`${PLUG_USAGE}\n`);
    return 2;
  }
  const api = apiClient(values.url ?? process.env.OS_ENDPOINT ?? 'http://127.0.0.1:9696');
  const host = values.host ?? hostname();
  const bound = member(await api.put(`/ports/${portId}`, { port: { 'binding:host_id': host } }), 'port');
  if (bound['binding:vif_type'] === 'binding_failed') {
    throw new PlugFailed(`port ${portId} could not be bound on host ${host}: no alive L2 agent there reaches its network`);
  }
  const network = member(await api.get(`/networks/${String(bound.network_id)}`), 'network');
  const details = (bound['binding:vif_details'] ?? {}) as Record<string, unknown>;
  await plugVif({
    portId,
    macAddress: String(bound.mac_address),
    mtu: Number(network.mtu) || 1500,
    netns: values.netns,
    ifname: values.ifname,
    ...(bound['binding:vif_type'] === 'bridge'
      ? { bridge: typeof details['bridge_name'] === 'string' ? details['bridge_name'] : bridgeName(String(bound.network_id)) }
      : {}),
    ...(bound['binding:vif_type'] === 'ovs'
      ? {
          ovs: {
            bridge: typeof details['bridge_name'] === 'string' ? details['bridge_name'] : 'br-int',
            connection: values.ovsdb,
            hybrid: details['ovs_hybrid_plug'] === true,
          },
        }
      : {}),
  });
  process.stdout.write(`plugged port ${portId} (${String(bound.mac_address)}) into namespace ${values.netns} as ${values.ifname}, bound to ${host}\n`);
  return 0;
}

export async function unplugCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { netns: { type: 'string' }, url: { type: 'string' }, ovsdb: { type: 'string' } },
  });
  const [portId] = positionals;
  if (!portId || positionals.length !== 1) {
    process.stderr.write(`${PLUG_USAGE}\n`);
    return 2;
  }
  const removed = await unplugVif(portId, undefined, values.ovsdb);
  const api = apiClient(values.url ?? process.env.OS_ENDPOINT ?? 'http://127.0.0.1:9696');
  await api.put(`/ports/${portId}`, { port: { 'binding:host_id': '' } });
  if (values.netns && (await listNamespaces()).includes(values.netns)) await deleteNamespace(values.netns);
  process.stdout.write(`unplugged port ${portId}${removed ? '' : ' (no tap device was present)'}\n`);
  return 0;
}
