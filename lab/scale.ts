/**
 * The scale figures of the lab: ports in steps (by default 1 000, 10 000 and
 * 100 000 on 1 000 networks, bound round-robin to the simulated agents'
 * hosts), and at each step
 *   - the list latency: 10 000 ports (or all, below that) with all fields and
 *     with `fields=id`, and every port (the streamed list),
 *   - port create p50/p99 (one port per request, 16 clients, bound),
 *   - the servers' CPU while the agents only heartbeat,
 *   - a resync of every agent (each asks for its ports' details and reports
 *     them up, as a Linux bridge agent does after a restart): how long until
 *     every bound port was reported, and the servers' CPU for it,
 *   - the servers' resident memory,
 * and how each grew from the first step to the last.
 *
 * It only talks to the API (as admin under noauth, or with a token) and reads
 * the servers' /proc entries: the lab (lab/ha.ts --scale) brings up the
 * servers and the agents, or `npm run lab:scale -- --url URL --pids P,P`
 * points it at servers already running.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import { cpuSeconds, statusKb } from '../bench/processStats.js';
import type { AgentHosts } from './agentHosts.js';
import { type Caller, member, type NeutronAnswer, neutronRequest } from './neutronHttp.js';

export interface ScaleTarget {
  /** The API's base URL (haproxy in front of the servers, or one server). */
  readonly url: string;
  readonly token?: string;
  /** The servers' processes, for CPU and memory. */
  readonly serverPids: readonly number[];
  /** Alive agents the ports are bound to (none: ports stay unbound, no resync is measured). */
  readonly agents?: Pick<AgentHosts, 'hosts' | 'assignDevices' | 'status'>;
}

export interface ScaleOptions {
  readonly steps: readonly number[];
  readonly networks: number;
  readonly clients: number;
  /** Single port creates timed at each step. */
  readonly timedCreates: number;
  /** How long the servers' CPU is watched while the agents report, s. */
  readonly cpuWindowSeconds: number;
  /** How long a resync of every agent may take, s. */
  readonly resyncTimeoutSeconds: number;
  readonly log: (line: string) => void;
}

export const DEFAULT_SCALE: Omit<ScaleOptions, 'log'> = {
  steps: [1_000, 10_000, 100_000],
  networks: 1_000,
  clients: 16,
  timedCreates: 800,
  cpuWindowSeconds: 20,
  resyncTimeoutSeconds: 600,
};

export interface ScaleStep {
  readonly ports: number;
  /** Ports per second while filling up to this step (bulk creates of 500). */
  readonly fillPerSecond: number;
  readonly list10kMs: { readonly count: number; readonly allFields: number; readonly idOnly: number };
  readonly listAll: { readonly count: number; readonly ms: number };
  readonly create: { readonly p50: number; readonly p99: number; readonly perSecond: number };
  /** Sum over the servers, in % of one core, while the agents only report their state. */
  readonly serverCpuPercent: number;
  /**
   * Every agent asking for its ports' details and reporting them up: until
   * all were up (or the timeout, with `up` short of `ports`), the servers'
   * CPU for it, and how many resyncs the agents did (more than one each:
   * some failed or were told `revived` and started again).
   */
  readonly resync?: { readonly ports: number; readonly up: number; readonly seconds: number; readonly serverCpuSeconds: number; readonly agentResyncs: number };
  readonly serverRssMb: readonly number[];
}

export interface ScaleReport {
  readonly networks: number;
  readonly agents: number;
  readonly steps: readonly ScaleStep[];
}

const BULK = 500;

export async function runScale(target: ScaleTarget, options: ScaleOptions): Promise<ScaleReport> {
  // As an admin: a token's, or noauth's default (no project header: an admin in fake_project_id).
  const caller: Caller = target.token !== undefined ? { token: target.token } : { projectId: 'fake_project_id', roles: ['admin'] };
  const call: Call = (method, path, body) => neutronRequest(target.url, caller, method, path, body, REQUEST_TIMEOUT_MS);
  const json: Json = async (method, path, body) => {
    const answer = await call(method, path, body);
    if (answer.status === 0 || answer.status >= 400) throw new Error(`${method} ${path}: ${describe(answer)}`);
    return typeof answer.body === 'object' && answer.body !== null ? (answer.body as Record<string, unknown>) : {};
  };

  const project = await ownProject(json);
  await json('PUT', `/v2.0/quotas/${project}`, { quota: { network: -1, subnet: -1, port: -1 } });

  options.log(`scale: ${options.networks} networks with a /24 subnet each`);
  const networks = await createNetworks(json, options.networks);
  const hosts = target.agents?.hosts ?? [];
  const devices = new Map<string, string[]>(hosts.map((h) => [h, []]));
  let total = 0;
  const bindNext = (): Record<string, unknown> => {
    const port: Record<string, unknown> = { network_id: networks[total % networks.length] };
    if (hosts.length > 0) port['binding:host_id'] = hosts[total % hosts.length];
    total += 1;
    return port;
  };
  const record = (ports: readonly Record<string, unknown>[]) => {
    for (const port of ports) devices.get(port['binding:host_id'] as string)?.push(port.id as string);
  };

  const steps: ScaleStep[] = [];
  for (const goal of options.steps) {
    const fillStart = performance.now();
    const filled = goal - options.timedCreates - total;
    await fill(json, Math.max(0, filled), options.clients, bindNext, record);
    const fillPerSecond = Math.max(0, filled) / ((performance.now() - fillStart) / 1000);
    const create = await timedCreates(call, options.timedCreates, options.clients, bindNext, record);
    options.log(`scale: ${total} ports (${fillPerSecond.toFixed(0)}/s filling, creates p50 ${create.p50.toFixed(1)} ms)`);

    const list10kMs = {
      count: countOf(await call('GET', '/v2.0/ports?limit=10000&fields=id'), 'ports'),
      allFields: await medianMs(3, () => call('GET', '/v2.0/ports?limit=10000')),
      idOnly: await medianMs(3, () => call('GET', '/v2.0/ports?limit=10000&fields=id')),
    };
    const listAll = await timed(() => call('GET', '/v2.0/ports'));
    const serverCpuPercent = await cpuPercent(target.serverPids, options.cpuWindowSeconds);
    const resync = target.agents ? await resyncAll(target.agents, devices, target.serverPids, options.resyncTimeoutSeconds) : undefined;
    steps.push({
      ports: total,
      fillPerSecond,
      list10kMs,
      listAll: { count: countOf(listAll.result, 'ports'), ms: listAll.ms },
      create,
      serverCpuPercent,
      ...(resync ? { resync } : {}),
      serverRssMb: await Promise.all(target.serverPids.map(async (pid) => ((await statusKb(pid, 'VmRSS')) ?? 0) / 1024)),
    });
    options.log(`scale: step ${total}: ${JSON.stringify(steps.at(-1))}`);
  }
  return { networks: networks.length, agents: hosts.length, steps };
}

/** Long enough for a list of every port. */
const REQUEST_TIMEOUT_MS = 600_000;

type Call = (method: string, path: string, body?: unknown) => Promise<NeutronAnswer>;
type Json = (method: string, path: string, body?: unknown) => Promise<Record<string, unknown>>;

const describe = (answer: NeutronAnswer): string => `${answer.status} ${answer.errorType ?? answer.connectionError ?? ''} ${answer.errorMessage ?? ''}`;

/** The caller's project, as the API sees it (noauth admin: fake_project_id). */
async function ownProject(json: Json): Promise<string> {
  const created = (await json('POST', '/v2.0/networks', { network: { name: 'scale-probe' } })).network as Record<string, string>;
  await json('DELETE', `/v2.0/networks/${created.id}`);
  return created.project_id!;
}

async function createNetworks(json: Json, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let first = 0; first < count; first += 100) {
    const batch = Array.from({ length: Math.min(100, count - first) }, (_, i) => ({ name: `scale-${first + i}` }));
    const networks = (await json('POST', '/v2.0/networks', { networks: batch })).networks as Record<string, string>[];
    const subnets = networks.map((network, i) => {
      const n = first + i;
      return { network_id: network.id, ip_version: 4, cidr: `10.${n >> 8}.${n & 255}.0/24`, enable_dhcp: false };
    });
    await json('POST', '/v2.0/subnets', { subnets });
    ids.push(...networks.map((n) => n.id!));
  }
  return ids;
}

/** `count` ports in bulk requests of BULK, `clients` at a time. */
async function fill(
  json: Json,
  count: number,
  clients: number,
  next: () => Record<string, unknown>,
  record: (ports: readonly Record<string, unknown>[]) => void,
): Promise<void> {
  let left = count;
  await Promise.all(
    Array.from({ length: Math.min(clients, 4) }, async () => {
      while (left > 0) {
        const size = Math.min(BULK, left);
        left -= size;
        const ports = Array.from({ length: size }, next);
        record((await json('POST', '/v2.0/ports', { ports })).ports as Record<string, unknown>[]);
      }
    }),
  );
}

async function timedCreates(
  call: Call,
  count: number,
  clients: number,
  next: () => Record<string, unknown>,
  record: (ports: readonly Record<string, unknown>[]) => void,
): Promise<ScaleStep['create']> {
  const latencies: number[] = [];
  let left = count;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (left > 0) {
        left -= 1;
        const t0 = performance.now();
        const reply = await call('POST', '/v2.0/ports', { port: next() });
        latencies.push(performance.now() - t0);
        if (reply.status !== 201) throw new Error(`port create: ${describe(reply)}`);
        record([member(reply.body, 'port')]);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return { p50: at(0.5), p99: at(0.99), perSecond: count / ((performance.now() - started) / 1000) };
}

function countOf(reply: NeutronAnswer, plural: string): number {
  if (reply.status !== 200) throw new Error(`list ${plural}: ${describe(reply)}`);
  return ((reply.body as Record<string, unknown[]>)[plural] ?? []).length;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await fn();
  return { result, ms: performance.now() - started };
}

async function medianMs(runs: number, fn: () => Promise<NeutronAnswer>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const { result, ms } = await timed(fn);
    if (result.status !== 200) throw new Error(`list: ${describe(result)}`);
    times.push(ms);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** Every agent resyncs at its next report; waits until all their ports were reported up, or the timeout. */
async function resyncAll(
  agents: NonNullable<ScaleTarget['agents']>,
  devices: ReadonlyMap<string, readonly string[]>,
  pids: readonly number[],
  timeoutSeconds: number,
): Promise<ScaleStep['resync']> {
  const ports = [...devices.values()].reduce((sum, list) => sum + list.length, 0);
  const resyncsBefore = new Map(agents.status().map((s) => [s.host, s.resyncs]));
  const cpuBefore = pids.reduce((total, pid) => total + cpuSeconds(pid), 0);
  const started = performance.now();
  agents.assignDevices(devices);
  for (;;) {
    const status = agents.status();
    const done = status.every((s) => s.resyncs > (resyncsBefore.get(s.host) ?? 0));
    const up = status.reduce((sum, s) => sum + s.devicesUp, 0);
    const timedOut = performance.now() - started > timeoutSeconds * 1000;
    if ((done && up >= ports) || timedOut) {
      return {
        ports,
        up,
        seconds: (performance.now() - started) / 1000,
        serverCpuSeconds: pids.reduce((total, pid) => total + cpuSeconds(pid), 0) - cpuBefore,
        agentResyncs: status.reduce((sum, s) => sum + s.resyncs - (resyncsBefore.get(s.host) ?? 0), 0),
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The servers' CPU over `seconds` of doing nothing but what the agents ask, in % of one core. */
async function cpuPercent(pids: readonly number[], seconds: number): Promise<number> {
  const sum = () => pids.reduce((total, pid) => total + cpuSeconds(pid), 0);
  const before = sum();
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  return ((sum() - before) / ((performance.now() - started) / 1000)) * 100;
}

/** The report as a Markdown table with each figure's growth from the first step to the last. */
export function scaleTable(report: ScaleReport): string {
  /** A figure's name, how to read it off a step, and its decimals. */
  const rows: [string, (s: ScaleStep) => number, number][] = [
    ['fill, ports/s (bulk of 500)', (s) => s.fillPerSecond, 0],
    ['list up to 10 000 ports (limit), all fields, ms', (s) => s.list10kMs.allFields, 0],
    ['list up to 10 000 ports (limit), fields=id, ms', (s) => s.list10kMs.idOnly, 0],
    ['list every port, all fields, ms', (s) => s.listAll.ms, 0],
    ['port create p50, ms', (s) => s.create.p50, 1],
    ['port create p99, ms', (s) => s.create.p99, 1],
    ['servers CPU while agents report their state, % of a core', (s) => s.serverCpuPercent, 1],
    ['resync of every agent: until all ports up (or the timeout), s', (s) => s.resync?.seconds ?? 0, 1],
    ['resync of every agent: ports up', (s) => s.resync?.up ?? 0, 0],
    ['resync of every agent: resyncs the agents did', (s) => s.resync?.agentResyncs ?? 0, 0],
    ['resync of every agent: servers CPU, s', (s) => s.resync?.serverCpuSeconds ?? 0, 1],
    ['servers RSS, MB (sum)', (s) => s.serverRssMb.reduce((a, b) => a + b, 0), 0],
  ];
  const first = report.steps[0];
  const last = report.steps.at(-1);
  const header = `| ${['figure', ...report.steps.map((s) => `${s.ports} ports`), 'last / first'].join(' | ')} |`;
  const rule = `|${' --- |'.repeat(report.steps.length + 2)}`;
  const lines = rows.map(([name, pick, decimals]) => {
    const cells = report.steps.map((s) => pick(s).toFixed(decimals));
    const growth = first && last && pick(first) > 0 ? `${(pick(last) / pick(first)).toFixed(1)}x` : '-';
    return `| ${[name, ...cells, growth].join(' | ')} |`;
  });
  return [header, rule, ...lines].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      pids: { type: 'string', default: '' },
      steps: { type: 'string', default: DEFAULT_SCALE.steps.join(',') },
      networks: { type: 'string', default: String(DEFAULT_SCALE.networks) },
    },
  });
  if (!values.url) {
    process.stderr.write('usage: npm run lab:scale -- --url URL [--pids PID,PID] [--steps 1000,10000] [--networks N] [--token T]\n');
    process.exit(2);
  }
  const report = await runScale(
    {
      url: values.url.replace(/\/+$/, ''),
      ...(values.token ? { token: values.token } : {}),
      serverPids: values.pids.split(',').filter(Boolean).map(Number),
    },
    { ...DEFAULT_SCALE, steps: values.steps.split(',').map(Number), networks: Number(values.networks), log: (line) => process.stderr.write(`${line}\n`) },
  );
  process.stdout.write(`${scaleTable(report)}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
