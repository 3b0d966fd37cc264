/**
 * bench/l2Agent.ts's port create -> ACTIVE, measured the same way against
 * another Neutron API (`--compare URL`): real Neutron with its Linux bridge
 * agent on this machine. That agent runs in the root network namespace and
 * wires the `tap<port id[:11]>` devices that appear there, so this mode
 * TOUCHES THE ROOT NAMESPACE: each port's tap is one end of a veth created
 * in the root namespace, its peer in a namespace `l2r<pid>` of the bench's
 * own. The taps, that namespace, and the ports, subnet and network made on
 * the reference server are deleted at the end, also on failure.
 *
 * The reference is named only by flags and environment: --compare URL,
 * --compare-host (the reference agent's host; default: the one live Linux
 * bridge agent there), and a token from --compare-token, else $OS_TOKEN,
 * else a password login with $OS_AUTH_URL, $OS_USERNAME, $OS_PASSWORD,
 * $OS_PROJECT_NAME, $OS_USER_DOMAIN_NAME, $OS_PROJECT_DOMAIN_NAME.
 */
import { execFileSync } from 'node:child_process';

import { tapName } from '../src/agents/l2/names.js';
import { IpRoute } from '../src/host/ip.js';

import { type Api, apiClient, sleep } from './common.js';

/**
 * `count` ports, one at a time: POST a port bound to `host`, `plug` its tap
 * (as Nova would), poll GET until ACTIVE. Returns the sorted latencies in ms;
 * the port ids go to `created` as they are made (for the caller's cleanup).
 */
export async function createToActive(
  api: Api,
  networkId: string,
  host: string,
  count: number,
  plug: (tap: string, i: number) => Promise<void>,
  created: string[] = [],
): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const port = (await api('POST', '/v2.0/ports', { port: { network_id: networkId, 'binding:host_id': host, device_owner: 'compute:nova' } })).port;
    created.push(port.id as string);
    await plug(tapName(port.id as string), i);
    while ((await api('GET', `/v2.0/ports/${port.id}?fields=status`)).port.status !== 'ACTIVE') {
      if (performance.now() - started > 60_000) throw new Error(`port ${port.id} not ACTIVE after 60 s`);
      await sleep(2);
    }
    latencies.push(performance.now() - started);
  }
  return latencies.sort((a, b) => a - b);
}

export interface CompareOptions {
  url: string;
  token: string | undefined;
  host: string | undefined;
}

/** A project-scoped token: the given one, $OS_TOKEN, or a password login from the OS_* variables. */
async function referenceToken(given: string | undefined): Promise<string> {
  const env = process.env;
  const token = given ?? env['OS_TOKEN'];
  if (token !== undefined && token !== '') return token;
  const authUrl = env['OS_AUTH_URL'];
  const username = env['OS_USERNAME'];
  const password = env['OS_PASSWORD'];
  if (!authUrl || !username || !password) {
    throw new Error('--compare wants --compare-token, $OS_TOKEN, or $OS_AUTH_URL, $OS_USERNAME and $OS_PASSWORD');
  }
  const base = authUrl.replace(/\/+$/, '');
  const response = await fetch(`${base.endsWith('/v3') ? base : `${base}/v3`}/auth/tokens?nocatalog`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: username, password, domain: { name: env['OS_USER_DOMAIN_NAME'] ?? 'Default' } } },
        },
        scope: { project: { name: env['OS_PROJECT_NAME'] ?? 'admin', domain: { name: env['OS_PROJECT_DOMAIN_NAME'] ?? 'Default' } } },
      },
    }),
  });
  const issued = response.headers.get('x-subject-token');
  if (response.status !== 201 || issued === null) throw new Error(`Keystone login at ${authUrl}: ${response.status} ${(await response.text()).slice(0, 300)}`);
  return issued;
}

/** The host of the one live Linux bridge agent of the reference server. */
async function referenceHost(api: Api): Promise<string> {
  const agents = ((await api('GET', '/v2.0/agents?agent_type=Linux%20bridge%20agent')).agents as { host: string; alive: boolean }[]).filter((a) => a.alive);
  if (agents.length !== 1) throw new Error(`--compare-host wanted: ${agents.length} live Linux bridge agents at the reference`);
  return agents[0]!.host;
}

/** The reference's port create -> ACTIVE latencies (sorted, ms), `count` ports on a `local` network. */
export async function measureReference(options: CompareOptions, count: number): Promise<number[]> {
  const api = apiClient(options.url, await referenceToken(options.token));
  const host = options.host ?? (await referenceHost(api));
  const ns = `l2r${process.pid % 100000}`;
  const peers = new IpRoute(ns);
  const root = new IpRoute();
  const taps: string[] = [];
  const ports: string[] = [];
  let networkId: string | undefined;
  // A signal skips `finally`: delete the namespace (and with its veth ends, the taps) then.
  const onSignal = () => {
    try {
      execFileSync('ip', ['netns', 'delete', ns], { stdio: 'ignore' });
    } catch {
      // not there
    }
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    // `local` and no DHCP, as on Nucleon's side: the L2 agent alone stands between the create and ACTIVE.
    networkId = (await api('POST', '/v2.0/networks', { network: { name: 'bench-l2-latency', 'provider:network_type': 'local' } })).network.id as string;
    await api('POST', '/v2.0/subnets', { subnet: { network_id: networkId, cidr: '10.1.0.0/24', ip_version: 4, enable_dhcp: false } });
    return await createToActive(
      api,
      networkId,
      host,
      count,
      async (tap, i) => {
        taps.push(tap);
        await peers.batch([`link add r${i} type veth peer name ${tap} netns ${process.pid}`, `link set r${i} up`]);
      },
      ports,
    );
  } finally {
    for (const tap of taps) await root.batch([`link del dev ${tap}`]).catch(() => undefined);
    try {
      execFileSync('ip', ['netns', 'delete', ns], { stdio: 'ignore' });
    } catch {
      // already gone
    }
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    for (const id of ports) await api('DELETE', `/v2.0/ports/${id}`).catch(() => undefined);
    if (networkId !== undefined) await api('DELETE', `/v2.0/networks/${networkId}`).catch(() => undefined);
  }
}
