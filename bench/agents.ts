/**
 * What ML2 and the agents cost the server:
 *   1. port creates with binding:host_id (bound by the linuxbridge driver to
 *      an alive agent) against plain port creates, same server, same run;
 *   2. the server's CPU while 500 agents send report_state heartbeats.
 *
 *   npm run build && node --import tsx bench/agents.ts [--ports 1000] [--clients 16] [--agents 500] [--speedup 10]
 *
 * It spawns `nucleon-server` on SQLite with RabbitMQ (a throwaway vhost on
 * 127.0.0.1, created and deleted with rabbitmqctl) and plays the agents from
 * this process over its own bus connection. Heartbeats are sent `--speedup`
 * times faster than Neutron's 30 s report_interval so a short run measures
 * something; the table shows the CPU both as measured and scaled back to
 * the real interval. Prints figures, exits 0 whenever it measured.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { openBus } from '../src/rpc/connect.js';
import { REPORTS } from '../src/rpc/topics.js';

import { freePort, intFlag } from './common.js';
import { cpuSeconds } from './processStats.js';


const PORTS = intFlag('ports', 1000);
const CLIENTS = intFlag('clients', 16);
const AGENTS = intFlag('agents', 500);
const SPEEDUP = intFlag('speedup', 10);
const REPORT_INTERVAL_S = 30;
const HEARTBEAT_WINDOW_S = 15;

const keepAlive = new Agent({ keepAlive: true, maxSockets: 64 });

function call(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      `${base}${path}`,
      { method, agent: keepAlive, headers: data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as unknown) : undefined });
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

const idOf = (reply: { body: unknown }, key: string): string => ((reply.body as Record<string, Record<string, string>>)[key]?.id ?? '');

/** Creates `total` ports with CLIENTS parallel clients; returns creates per second. */
async function createPorts(base: string, networkId: string, total: number, extra: Record<string, unknown>): Promise<{ rate: number; bound: number }> {
  let next = 0;
  let bound = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < total) {
        next += 1;
        const reply = await call(base, 'POST', '/v2.0/ports', { port: { network_id: networkId, ...extra } });
        if (reply.status !== 201) throw new Error(`port create: ${reply.status} ${JSON.stringify(reply.body)}`);
        if ((reply.body as { port: Record<string, unknown> }).port['binding:vif_type'] === 'bridge') bound += 1;
      }
    }),
  );
  return { rate: total / ((performance.now() - started) / 1000), bound };
}


async function main(): Promise<void> {
  const vhost = `nucleon_bench_${randomBytes(4).toString('hex')}`;
  execFileSync('rabbitmqctl', ['-q', 'add_vhost', vhost]);
  execFileSync('rabbitmqctl', ['-q', 'set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*']);
  const transportUrl = `rabbit://guest:guest@127.0.0.1:5672/${vhost}`;
  const dir = mkdtempSync(join(tmpdir(), 'nucleon-bench-agents-'));
  const port = await freePort();
  const conf = join(dir, 'neutron.conf');
  writeFileSync(
    conf,
    `[DEFAULT]\nbind_host = 127.0.0.1\nbind_port = ${port}\nauth_strategy = noauth\ntransport_url = ${transportUrl}\n` +
      `[database]\nconnection = sqlite:///${dir}/nucleon.sqlite\n` +
      `[ml2]\ntype_drivers = local,vxlan\ntenant_network_types = vxlan\nmechanism_drivers = linuxbridge,l2population\n` +
      `[ml2_type_vxlan]\nvni_ranges = 1:1000\n` +
      // Thousands of ports in one project: the default quota (500) would stop the benchmark.
      `[quotas]\nquota_port = -1\n`,
  );
  execFileSync(process.execPath, ['bin/nucleon-db-manage.js', '--config-file', conf, 'upgrade', 'head'], { stdio: 'ignore' });
  const server = spawn(process.execPath, ['bin/nucleon-server.js', '--config-file', conf], { stdio: ['ignore', 'ignore', 'ignore'] });
  const base = `http://127.0.0.1:${port}`;
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const bus = await openBus(transportUrl, {}, quiet);
  try {
    for (let i = 0; ; i++) {
      if ((await call(base, 'GET', '/').catch(() => ({ status: 0 }))).status === 200) break;
      if (i > 100) throw new Error('the server did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    // Nested, as Neutron's agents send it and the server reads it.
    const state = (host: string) => ({
      agent_state: {
        agent_type: 'Linux bridge agent',
        binary: 'neutron-linuxbridge-agent',
        host,
        topic: 'N/A',
        configurations: { interface_mappings: {}, tunnel_types: ['vxlan'], tunneling_ip: '192.0.2.1', l2_population: true },
      },
    });
    await bus.call(REPORTS, 'report_state', { agent_state: state('bench-host') });

    const network = idOf(await call(base, 'POST', '/v2.0/networks', { network: { name: 'bench' } }), 'network');
    await call(base, 'POST', '/v2.0/subnets', { subnet: { network_id: network, cidr: '10.128.0.0/16', ip_version: 4 } });
    await createPorts(base, network, 200, {}); // warm-up
    const plain = await createPorts(base, network, PORTS, {});
    const bound = await createPorts(base, network, PORTS, { 'binding:host_id': 'bench-host' });

    // Heartbeats: every agent reports once per interval / SPEEDUP, spread over the interval.
    const hosts = Array.from({ length: AGENTS }, (_, i) => `bench-agent-${i}`);
    for (const host of hosts) await bus.call(REPORTS, 'report_state', { agent_state: state(host) });
    const intervalMs = (REPORT_INTERVAL_S * 1000) / SPEEDUP;
    const cpuBefore = cpuSeconds(server.pid!);
    const started = performance.now();
    let sent = 0;
    const timers = hosts.map((host, i) =>
      setTimeout(() => {
        const beat = () => {
          sent += 1;
          void bus.call(REPORTS, 'report_state', { agent_state: state(host) }).catch(() => undefined);
        };
        beat();
        timers.push(setInterval(beat, intervalMs));
      }, (intervalMs * i) / AGENTS),
    );
    await new Promise((r) => setTimeout(r, HEARTBEAT_WINDOW_S * 1000));
    for (const timer of timers) clearTimeout(timer);
    const elapsed = (performance.now() - started) / 1000;
    const cpuShare = (cpuSeconds(server.pid!) - cpuBefore) / elapsed;

    const rows: [string, string][] = [
      [`port creates/s, ${CLIENTS} clients, no binding`, plain.rate.toFixed(0)],
      [`port creates/s, ${CLIENTS} clients, bound to an alive agent`, `${bound.rate.toFixed(0)} (${bound.bound}/${PORTS} bound 'bridge')`],
      ['binding cost (bound / plain)', `${((bound.rate / plain.rate) * 100).toFixed(0)}% of plain (target >= 80%)`],
      [`heartbeats: ${AGENTS} agents every ${REPORT_INTERVAL_S / SPEEDUP} s`, `${(sent / elapsed).toFixed(0)} report_state/s, server CPU ${(cpuShare * 100).toFixed(1)}% of one core`],
      [`scaled to every ${REPORT_INTERVAL_S} s`, `${((cpuShare * 100) / SPEEDUP).toFixed(2)}% of one core (target < 5%)`],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
  } finally {
    await bus.close();
    server.kill('SIGTERM');
    keepAlive.destroy();
    execFileSync('rabbitmqctl', ['-q', 'delete_vhost', vhost]);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
