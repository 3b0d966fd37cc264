/**
 * Agent heartbeat benchmark for the message bus: N simulated agents, each on
 * its own connection (as N hosts would be), call `report_state` on
 * `q-reports-plugin` with a Linux bridge agent's state, and one (or more)
 * server buses answer, as Neutron's server does.
 *
 *   node --import tsx bench/rpcHeartbeats.ts                       # RabbitMQ on 127.0.0.1, throwaway vhost
 *   node --import tsx bench/rpcHeartbeats.ts --url memory://       # the in-process bus
 *   node --import tsx bench/rpcHeartbeats.ts --url rabbit://u:p@host:5672/vhost --agents 500 --seconds 20
 *   node --import tsx bench/rpcHeartbeats.ts --interval-ms 30000   # Neutron's cadence instead of flat out
 *
 * Two phases:
 *   1. open the server bus(es) and the N agent buses (connections opened 25 at a time)
 *   2. for --seconds, every agent calls report_state in a loop: flat out
 *      (default; the bus's capacity) or once per --interval-ms (with a random
 *      start offset, like agents started at different times)
 * and prints: connect time, calls/s (one call = two messages: request and
 * reply), latency p50/p99/max, failures.
 *
 * Without --url it creates a vhost `nucleon_bench_<random>` with rabbitmqctl
 * (needs root) and deletes it afterwards; with --url it uses that broker as is
 * (the queues `q-reports-plugin` and `q-reports-plugin.<server>` are left there).
 *
 * Exit status: 0 when the measurement ran, 1 when it could not, 2 on bad flags.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseArgs, promisify } from 'node:util';
import type { Bus, RpcLogger } from '../src/rpc/bus.js';
import { neutronReportTime } from '../src/common/time.js';
import { openBus } from '../src/rpc/connect.js';
import { MemoryBroker } from '../src/rpc/memoryTransport.js';
import * as topics from '../src/rpc/topics.js';

const USAGE = `usage: node --import tsx bench/rpcHeartbeats.ts [--url URL] [--agents N] [--servers N] [--seconds S] [--interval-ms MS]`;

interface Options {
  url: string | undefined;
  agents: number;
  servers: number;
  seconds: number;
  intervalMs: number;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      agents: { type: 'string', default: '500' },
      servers: { type: 'string', default: '1' },
      seconds: { type: 'string', default: '10' },
      'interval-ms': { type: 'string', default: '0' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const int = (name: string, text: string, min: number): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) {
      process.stderr.write(`rpcHeartbeats: --${name} must be an integer >= ${min}\n${USAGE}\n`);
      process.exit(2);
    }
    return n;
  };
  return {
    url: values.url,
    agents: int('agents', values.agents, 1),
    servers: int('servers', values.servers, 1),
    seconds: int('seconds', values.seconds, 1),
    intervalMs: int('interval-ms', values['interval-ms'], 0),
  };
}

/** Warnings and errors on stderr (reconnects, failures); info is dropped. */
const log: RpcLogger = {
  info: () => undefined,
  warn: (obj, msg) => process.stderr.write(`warn: ${msg} ${JSON.stringify(obj)}\n`),
  error: (obj, msg) => process.stderr.write(`error: ${msg} ${JSON.stringify(obj)}\n`),
};

const run = promisify(execFile);

async function throwawayVhost(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `nucleon_bench_${randomBytes(4).toString('hex')}`;
  await run('rabbitmqctl', ['-q', 'add_vhost', name]);
  await run('rabbitmqctl', ['-q', 'set_permissions', '-p', name, 'guest', '.*', '.*', '.*']);
  return {
    url: `rabbit://guest:guest@127.0.0.1:5672/${name}`,
    drop: async () => {
      await run('rabbitmqctl', ['-q', 'delete_vhost', name]);
    },
  };
}

/** What a Linux bridge agent sends every report_interval (neutron-api.md section 8). */
function agentState(host: string, first: boolean): Record<string, unknown> {
  const state = {
    binary: 'neutron-linuxbridge-agent',
    host,
    topic: 'N/A',
    agent_type: 'Linux bridge agent',
    availability_zone: 'nova',
    configurations: {
      interface_mappings: { provider: 'eth1' },
      bridge_mappings: {},
      devices: 12,
      tunneling_ip: '10.0.0.31',
      tunnel_types: ['vxlan'],
      l2_population: true,
      extensions: [],
    },
    resource_versions: { Port: '1.9', Network: '1.1', Subnet: '1.1', SecurityGroup: '1.6', SecurityGroupRule: '1.3' },
    ...(first ? { start_flag: true } : {}),
  };
  // Nested, as Neutron's agents send it.
  return { agent_state: { agent_state: state }, time: neutronReportTime() };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function main(): Promise<void> {
  const options = parseOptions();
  const vhost = options.url === undefined ? await throwawayVhost() : undefined;
  const url = options.url ?? vhost?.url ?? 'memory://';
  const memoryBroker = new MemoryBroker();
  const busOptions = { memoryBroker, defaultTimeoutMs: 30_000, connectTimeoutMs: 30_000, heartbeatTimeoutSeconds: 60 };
  const buses: Bus[] = [];
  try {
    // The server side: report_state upserts the agent (here: a Map) and answers alive/new, as Neutron does.
    const agents = new Map<string, { heartbeat: number }>();
    for (let i = 0; i < options.servers; i += 1) {
      const server = await openBus(url, { ...busOptions, connectionName: `bench-server-${i}` }, log);
      buses.push(server);
      await server.serve(topics.REPORTS, { server: `controller${i}` }, {
        report_state: async (args) => {
          const state = args['agent_state'] as { host?: unknown } | undefined;
          const host = typeof state?.host === 'string' ? state.host : 'unknown';
          const known = agents.has(host);
          agents.set(host, { heartbeat: Date.now() });
          return known ? 'alive' : 'new';
        },
      });
    }

    const connectStarted = performance.now();
    const agentBuses: Bus[] = [];
    for (let i = 0; i < options.agents; i += 25) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(25, options.agents - i) }, (_, j) =>
          openBus(url, { ...busOptions, connectionName: `bench-agent-${i + j}` }, log),
        ),
      );
      agentBuses.push(...batch);
      buses.push(...batch);
    }
    const connectMs = performance.now() - connectStarted;

    const latencies: number[] = [];
    let failures = 0;
    const firstFailure: string[] = [];
    const deadline = performance.now() + options.seconds * 1000;
    const started = performance.now();
    await Promise.all(
      agentBuses.map(async (bus, index) => {
        const host = `compute${String(index).padStart(4, '0')}`;
        let first = true;
        if (options.intervalMs > 0) await sleep(Math.random() * options.intervalMs);
        while (performance.now() < deadline) {
          const t0 = performance.now();
          try {
            await bus.call(topics.REPORTS, 'report_state', agentState(host, first), { timeoutMs: 30_000 });
            latencies.push(performance.now() - t0);
            first = false;
          } catch (err) {
            failures += 1;
            if (firstFailure.length === 0) firstFailure.push(String(err));
          }
          if (options.intervalMs > 0) await sleep(Math.max(0, options.intervalMs - (performance.now() - t0)));
        }
      }),
    );
    const elapsedS = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const calls = latencies.length;
    const rows: Array<[string, string]> = [
      ['transport', url.startsWith('memory') ? 'in-process' : `RabbitMQ (${url.replace(/:[^:@/]*@/, ':***@')})`],
      ['agents (connections)', `${options.agents}`],
      ['server buses', `${options.servers}`],
      ['mode', options.intervalMs > 0 ? `one report every ${options.intervalMs} ms per agent` : 'flat out (closed loop)'],
      ['connect all agents', `${(connectMs / 1000).toFixed(2)} s`],
      ['report_state calls', `${calls} in ${elapsedS.toFixed(1)} s`],
      ['calls/s', `${(calls / elapsedS).toFixed(0)}`],
      ['messages/s (request + reply)', `${((2 * calls) / elapsedS).toFixed(0)}`],
      ['latency p50 / p99 / max', `${percentile(latencies, 50).toFixed(1)} / ${percentile(latencies, 99).toFixed(1)} / ${(latencies.at(-1) ?? Number.NaN).toFixed(1)} ms`],
      ['agents registered', `${agents.size}`],
      ['failures', `${failures}${firstFailure[0] ? ` (first: ${firstFailure[0]})` : ''}`],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    process.stdout.write(`\nagent heartbeats over the bus\n${rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n')}\n`);
  } finally {
    for (let i = 0; i < buses.length; i += 50) await Promise.all(buses.slice(i, i + 50).map((bus) => bus.close()));
    await vhost?.drop();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

main().catch((err: unknown) => {
  process.stderr.write(`rpcHeartbeats: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
