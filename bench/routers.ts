/**
 * Rally's NeutronNetworks.create_and_list_routers, as Rally runs it
 * (rally_openstack/task/scenarios/neutron/network.py and utils.py,
 * _create_network_structure then _list_routers): one iteration creates a
 * network, --subnets subnets on it (each the next /30 from 1.1.0.0, as
 * Rally's subnet_cidr_start: 1.1.0.0/30 hands them out across the whole
 * run), and for each subnet a router and add_router_interface; then lists
 * the routers. --iterations of them run --concurrency at a time (Rally's
 * constant runner). Prints the iteration's duration (median, p90, max)
 * against the target (< 200 ms; the issue quotes real Neutron at 15.1 s),
 * and each action's median, as Rally's atomic actions.
 *
 *   node --import tsx bench/routers.ts [--iterations 100] [--concurrency 4] [--subnets 2]
 *   node --import tsx bench/routers.ts --url http://ctl:9696 [--token T]
 *
 * Without --url: the API server in this process on SQLite (temp dir), with
 * the router plugin, noauth; the iterations go round-robin to 3 projects
 * (X-Project-Id, roles member and reader), as Rally's users context spreads them over
 * its users, with quotas unlimited as its quotas context sets them. With
 * --url: any Neutron API, as the token's project (--token, else
 * $OS_TOKEN); its network/subnet/router quotas must allow the run. What the
 * bench created there is deleted at the end (not timed), also on failure.
 * Prints figures; asserts nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

import { pino } from 'pino';

import { MemoryBroker } from '../src/rpc/memoryTransport.js';

import { type Api, type Json, intFlag, percentile, startBenchServer, textFlag } from './common.js';

const ITERATIONS = intFlag('iterations', 100);
const CONCURRENCY = intFlag('concurrency', 4);
const SUBNETS = intFlag('subnets', 2);
const URL_FLAG = textFlag('url');
const TOKEN = textFlag('token') ?? process.env['OS_TOKEN'];
const PROJECTS = ['rally-project-0', 'rally-project-1', 'rally-project-2'];
const TARGET_MS = 200;

/** JSON calls with extra headers (a token, or noauth's project headers); an answer of 400 or more throws. */
function client(url: string, headers: Record<string, string>): Api {
  return async (method, path, body) => {
    const response = await fetch(`${url.replace(/\/+$/, '')}${path}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (response.status >= 400) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
    return text === '' ? {} : (JSON.parse(text) as Json);
  };
}

/** Rally's subnet_cidr_start 1.1.0.0/30: the n-th /30 after it. */
const cidr = (n: number) => {
  const base = ((1 << 24) | (1 << 16)) + n * 4;
  return `${(base >>> 24) & 255}.${(base >>> 16) & 255}.${(base >>> 8) & 255}.${base & 255}/30`;
};

/** Rally's generate_random_name: its prefix and random letters. */
const randomName = () => `s_rally_${Math.random().toString(36).slice(2, 10)}`;

const sorted = (values: readonly number[]) => [...values].sort((a, b) => a - b);

async function main(): Promise<void> {
  const silent = pino({ level: 'silent' });
  let dir: string | undefined;
  let close: (() => Promise<void>) | undefined;
  let apis: Api[];
  if (URL_FLAG === undefined) {
    dir = mkdtempSync(join(tmpdir(), 'nucleon-routerbench-'));
    const server = await startBenchServer(dir, new MemoryBroker(), silent, {
      DEFAULT: { service_plugins: ['router'] },
      quotas: { quota_network: -1, quota_subnet: -1, quota_router: -1 },
    });
    close = () => server.close();
    // member and reader, as a Keystone token of a member carries both (member implies reader); reader is what lets it see its routers.
    apis = PROJECTS.map((project) => client(server.url, { 'x-project-id': project, 'x-user-id': `${project}-user`, 'x-roles': 'member,reader' }));
  } else {
    apis = [client(URL_FLAG, TOKEN === undefined ? {} : { 'x-auth-token': TOKEN })];
  }
  const actions: Record<string, number[]> = { create_network: [], create_subnet: [], create_router: [], add_interface_router: [], list_routers: [] };
  const timed = async <T>(action: string, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await work();
    actions[action]!.push(performance.now() - started);
    return result;
  };
  const created: { api: Api; network: string; routers: { id: string; subnet: string }[] }[] = [];
  let subnetCount = 0;
  try {
    // The figures depend on what else runs on the machine: say how busy it was.
    console.log(`load average at start: ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
    const durations: number[] = [];
    let next = 0;
    let listed = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < ITERATIONS) {
          const iteration = next++;
          const api = apis[iteration % apis.length]!;
          const iterationStarted = performance.now();
          const network = (await timed('create_network', () => api('POST', '/v2.0/networks', { network: { name: randomName() } }))).network;
          const record = { api, network: network.id as string, routers: [] as { id: string; subnet: string }[] };
          created.push(record);
          const subnets: Json[] = [];
          for (let i = 0; i < SUBNETS; i++) {
            const body = { subnet: { network_id: network.id, cidr: cidr(subnetCount++), ip_version: 4, name: randomName() } };
            subnets.push((await timed('create_subnet', () => api('POST', '/v2.0/subnets', body))).subnet);
          }
          for (const subnet of subnets) {
            const router = (await timed('create_router', () => api('POST', '/v2.0/routers', { router: { name: randomName() } }))).router;
            record.routers.push({ id: router.id, subnet: subnet.id });
            await timed('add_interface_router', () => api('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: subnet.id }));
          }
          listed = ((await timed('list_routers', () => api('GET', '/v2.0/routers'))).routers as unknown[]).length;
          durations.push(performance.now() - iterationStarted);
        }
      }),
    );
    const wall = performance.now() - started;
    const all = sorted(durations);
    const median = percentile(all, 50);
    console.log(
      `NeutronNetworks.create_and_list_routers (${SUBNETS} subnets per network, a router each), ${ITERATIONS} iterations at concurrency ${CONCURRENCY} ` +
        `against ${URL_FLAG ?? 'the in-process server (SQLite)'}: ${(wall / 1000).toFixed(1)} s, ${((ITERATIONS * 1000) / wall).toFixed(1)} iterations/s`,
    );
    console.log(
      `  per iteration: median ${median.toFixed(0)} ms, p90 ${percentile(all, 90).toFixed(0)} ms, max ${all.at(-1)!.toFixed(0)} ms ` +
        `(target < ${TARGET_MS} ms: ${median < TARGET_MS ? 'met' : 'MISSED'}; the issue quotes real Neutron at 15.1 s)`,
    );
    console.log(
      `  actions (median / p90 ms): ${Object.entries(actions)
        .map(([name, values]) => `${name} ${percentile(sorted(values), 50).toFixed(0)}/${percentile(sorted(values), 90).toFixed(0)}`)
        .join(', ')}; the last list returned ${listed} routers`,
    );
  } finally {
    if (URL_FLAG !== undefined) {
      // A real server keeps what the run made: remove it, as Rally's cleanup context does.
      for (const { api, network, routers } of created) {
        for (const router of routers) {
          await api('PUT', `/v2.0/routers/${router.id}/remove_router_interface`, { subnet_id: router.subnet }).catch(() => undefined);
          await api('DELETE', `/v2.0/routers/${router.id}`).catch(() => undefined);
        }
        await api('DELETE', `/v2.0/networks/${network}`).catch(() => undefined);
      }
    }
    await close?.();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
