/** What the benchmarks share: flags, a free port, percentiles, and the API server in this process on an in-process bus. */
import { createServer } from 'node:net';
import { join } from 'node:path';

import type { Logger } from 'pino';

import type { LinuxBridgeAgentSettings } from '../src/agents/l2/settings.js';
import type { FirewallKind } from '../src/config/securityGroupOptions.js';

import { loadConfig } from '../src/config/load.js';
import type { Bus } from '../src/rpc/bus.js';
import { openBus } from '../src/rpc/connect.js';
import type { MemoryBroker } from '../src/rpc/memoryTransport.js';
import { startApiServer } from '../src/server/apiServer.js';
import { type NeutronOverrides, serverOptionGroups } from '../src/server/config.js';

/** `--name N`: a positive integer, or `fallback`. */
export function intFlag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} wants a positive integer`);
  return value;
}

/** `--name VALUE`, or undefined. */
export function textFlag(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return undefined;
  const value = process.argv[at + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`--${name} wants a value`);
  return value;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The p-th percentile of an ascending list. */
export const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

export const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- benchmarks read figures, not types
export type Json = Record<string, any>;

/** One JSON call to a Neutron API; the parsed body. */
export type Api = (method: string, path: string, body?: unknown) => Promise<Json>;

/** JSON calls to a Neutron API at `url` (with a Keystone token when given); an answer of 400 or more throws. */
export function apiClient(url: string, token?: string): Api {
  return async (method, path, body) => {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token !== undefined) headers['x-auth-token'] = token;
    const response = await fetch(`${url.replace(/\/+$/, '')}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (response.status >= 400) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
    return text === '' ? {} : (JSON.parse(text) as Json);
  };
}

export interface BenchServer {
  readonly url: string;
  readonly api: Api;
  /** The server's end of the in-process bus. */
  readonly bus: Bus;
  close(): Promise<void>;
}

/** The API server on SQLite under `dir`, noauth, serving the agents' RPC on `broker`, with no port quota. */
export async function startBenchServer(dir: string, broker: MemoryBroker, log: Logger, overrides: NeutronOverrides = {}): Promise<BenchServer> {
  const loaded = loadConfig({
    files: [],
    groups: serverOptionGroups,
    overrides: {
      ...overrides,
      DEFAULT: { bind_host: '127.0.0.1', bind_port: await freePort(), auth_strategy: 'noauth', ...overrides.DEFAULT },
      database: { connection: `sqlite:///${join(dir, 'nucleon.db')}` },
      quotas: { quota_port: -1, ...overrides.quotas },
    },
  });
  const server = await startApiServer(loaded, log, { migrate: true, bus: await openBus('memory://', { memoryBroker: broker }, log) });
  return { url: server.url, api: apiClient(server.url), bus: server.bus, close: () => server.close() };
}

/** The Linux bridge agent of the benches: host `bench1`, `local` networks only (no mappings, no VXLAN). */
export const benchLinuxBridgeSettings = (firewall: FirewallKind): LinuxBridgeAgentSettings => ({
  host: 'bench1',
  interfaceMappings: {},
  bridgeMappings: {},
  pollingIntervalMs: 2_000,
  reportIntervalMs: 30_000,
  availabilityZone: 'nova',
  logHeartbeats: false,
  firewall,
});

/** A network with one IPv4 subnet; its id. */
export async function benchNetwork(api: Api, name: string, cidr: string): Promise<string> {
  const network = (await api('POST', '/v2.0/networks', { network: { name } })).network;
  await api('POST', '/v2.0/subnets', { subnet: { network_id: network.id, cidr, ip_version: 4 } });
  return network.id as string;
}
