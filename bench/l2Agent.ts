/**
 * What the Linux bridge agent costs, measured on this machine's kernel:
 *   1. port create -> ACTIVE: POST a port bound to the agent's host, create
 *      its tap (as Nova or `nucleon plug` would), poll the API until ACTIVE;
 *      median and p90 over --ports creates (target: median < 200 ms);
 *   2. wiring --resync ports that appear at once; the periodic full pass
 *      over them (drift repair, no server call); repairing their deleted
 *      bridge; and the full resync of a restarted agent over them: every
 *      tap looked up, nothing to change in the kernel, every port reported
 *      up again (target: < 3 s for 1000), with the server's share of it.
 *
 *   node --import tsx bench/l2Agent.ts [--ports 50] [--resync 1000]
 *     [--compare URL [--compare-host H] [--compare-token T]]
 *
 * --compare URL also measures 1. against another Neutron API, real Neutron
 * with its Linux bridge agent on this machine, in the same run, and prints
 * both and the ratio (bench/l2Reference.ts). That mode TOUCHES THE ROOT
 * NETWORK NAMESPACE, where the reference agent looks for taps: see there.
 *
 * As root: it makes one network namespace `l2b<pid>` as the host (deleted
 * at the end, also on failure) and runs the API server (SQLite in a temp
 * dir) and the agent in this process on the in-process bus, as the
 * all-in-one mode does. The network is `local`, so the figures are the
 * agent's and the server's, not a tunnel's. Prints figures; asserts nothing.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { pino } from 'pino';

import { tapName } from '../src/agents/l2/names.js';
import { IpRoute } from '../src/host/ip.js';
import { isRoot } from '../src/host/tools.js';
import type { Bus } from '../src/rpc/bus.js';
import { openBus } from '../src/rpc/connect.js';
import { MemoryBroker } from '../src/rpc/memoryTransport.js';
import { startLinuxBridgeAgent } from '../src/server/linuxbridgeAgent.js';

import { benchLinuxBridgeSettings, benchNetwork, intFlag, percentile, sleep, startBenchServer, textFlag } from './common.js';
import { createToActive, measureReference, type CompareOptions } from './l2Reference.js';

const run = promisify(execFile);


const PORTS = intFlag('ports', 50);
const compareUrl = textFlag('compare');
const COMPARE: CompareOptions | undefined =
  compareUrl === undefined ? undefined : { url: compareUrl, token: textFlag('compare-token'), host: textFlag('compare-host') };
if (COMPARE === undefined && (textFlag('compare-token') !== undefined || textFlag('compare-host') !== undefined)) {
  throw new Error('--compare-token and --compare-host go with --compare URL');
}
const RESYNC = intFlag('resync', 1000);
if (RESYNC > 1020) throw new Error('--resync: one Linux bridge holds at most 1024 ports');
const NS = `l2b${process.pid % 100000}`;
const figures = (sorted: number[]) =>
  `median ${percentile(sorted, 50).toFixed(1)} ms, p90 ${percentile(sorted, 90).toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms`;

/** The agent's bus, timing its calls to the server (to tell the server's share of a pass from the agent's). */
function timedBus(bus: Bus, spent: { ms: number }): Bus {
  return new Proxy(bus, {
    get(target, key, receiver) {
      if (key !== 'call') return Reflect.get(target, key, receiver) as unknown;
      return async (...args: Parameters<Bus['call']>) => {
        const started = performance.now();
        try {
          return await target.call(...args);
        } finally {
          spent.ms += performance.now() - started;
        }
      };
    },
  });
}

async function main(): Promise<void> {
  if (!isRoot()) {
    console.log('bench/l2Agent.ts needs root (a network namespace, bridges, veths): nothing measured');
    return;
  }
  // The reference first, before this process runs a server and an agent of its own.
  let reference: number[] | undefined;
  if (COMPARE !== undefined) {
    try {
      reference = await measureReference(COMPARE, PORTS);
      console.log(`reference at ${COMPARE.url}: port create -> ACTIVE (${PORTS} ports, one at a time): ${figures(reference)}`);
    } catch (error) {
      console.log(`reference at ${COMPARE.url}: not measured: ${(error as Error).message}`);
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'nucleon-l2bench-'));
  const log = pino({ level: process.env['NUCLEON_BENCH_LOG'] ?? 'silent' }, pino.destination(2));
  const broker = new MemoryBroker();
  await run('ip', ['netns', 'add', NS]);
  const stops: (() => Promise<unknown>)[] = [];
  try {
    const server = await startBenchServer(dir, broker, log, { ml2: { tenant_network_types: ['local'], mechanism_drivers: ['linuxbridge'] } });
    stops.push(() => server.close());
    const api = server.api;
    const settings = benchLinuxBridgeSettings('noop');
    const host = new IpRoute(NS);
    let agent = await startLinuxBridgeAgent(settings, await openBus('memory://', { memoryBroker: broker }, log), log, host);
    stops.push(() => agent.stop());
    for (;;) {
      if (((await api('GET', '/v2.0/agents')).agents as unknown[]).length > 0) break;
      await sleep(10);
    }
    // Two networks: a Linux bridge takes at most 1024 ports (BR_MAX_PORTS; more fail with "Exchange full").
    const latencyNet = await benchNetwork(api, 'bench-latency', '10.1.0.0/16');
    const resyncNet = await benchNetwork(api, 'bench-resync', '10.2.0.0/16');
    const portBody = (networkId: string) => ({ network_id: networkId, 'binding:host_id': 'bench1', device_owner: 'compute:nova' });

    // 1. port create -> ACTIVE, one at a time.
    const latencies = await createToActive(api, latencyNet, 'bench1', PORTS, (tap, i) => host.batch([`link add ${tap} type veth peer name p${i}`, `link set p${i} up`]));
    console.log(`port create -> ACTIVE (${PORTS} ports, one at a time): ${figures(latencies)}`);
    if (reference !== undefined) {
      console.log(
        `reference / Nucleon: median ${(percentile(reference, 50) / percentile(latencies, 50)).toFixed(1)}x, ` +
          `p90 ${(percentile(reference, 90) / percentile(latencies, 90)).toFixed(1)}x`,
      );
    }

    // 2. RESYNC ports whose taps appear at once, then a restart's full resync over them.
    const created: string[] = [];
    for (let i = 0; i < RESYNC; i += 200) {
      const batch = Array.from({ length: Math.min(200, RESYNC - i) }, () => portBody(resyncNet));
      const answer = await api('POST', '/v2.0/ports', { ports: batch });
      if (!Array.isArray(answer.ports)) throw new Error(`bulk port create failed: ${JSON.stringify(answer)}`);
      created.push(...(answer.ports as { id: string }[]).map((p) => p.id));
    }
    // The taps come from another program (Nova, libvirt would create them): one `ip -batch` from a file.
    const script = join(dir, 'taps.batch');
    writeFileSync(script, created.flatMap((id, i) => [`link add ${tapName(id)} type veth peer name q${i}`, `link set q${i} up`, '']).join('\n'));
    const wireStarted = performance.now();
    await run('ip', ['-n', NS, '-batch', script], { timeout: 300_000 });
    const createdIn = performance.now() - wireStarted;
    await agent.sync();
    await agent.sync();
    const wired = performance.now() - wireStarted;
    const active = ((await api('GET', `/v2.0/ports?network_id=${resyncNet}&status=ACTIVE&fields=id`)).ports as unknown[]).length;
    console.log(
      `${RESYNC} new taps wired and reported up: ${wired.toFixed(0)} ms (${active} of ${RESYNC} ports ACTIVE; ` +
        `the kernel creating the taps while the agent wired them took ${createdIn.toFixed(0)} ms of it)`,
    );

    // The periodic pass over everything (the drift repair every polling_interval): no server call, nothing to change.
    const periodic: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      await agent.sync();
      periodic.push(performance.now() - started);
    }
    periodic.sort((a, b) => a - b);
    console.log(`periodic full pass over ${PORTS + RESYNC} wired ports (nothing to change): median ${percentile(periodic, 50).toFixed(0)} ms`);

    // Drift: the bridge of the 1000 ports deleted; one pass puts it back with every tap.
    const bridge = `brq${resyncNet.slice(0, 11)}`;
    await host.batch([`link del dev ${bridge}`]);
    const repairStarted = performance.now();
    await agent.sync();
    const repaired = (await host.links()).filter((link) => link.master === bridge).length;
    console.log(`repair of a deleted bridge with ${RESYNC} taps: ${(performance.now() - repairStarted).toFixed(0)} ms (${repaired} taps back in ${bridge})`);

    await agent.stop();
    stops.pop();
    const restartStarted = performance.now();
    const rpc = { ms: 0 };
    agent = await startLinuxBridgeAgent(settings, timedBus(await openBus('memory://', { memoryBroker: broker }, log), rpc), log, host, { watchLinks: false });
    stops.push(() => agent.stop());
    // The first pass after start is the full resync.
    while (agent.agent.passes < 1) await sleep(1);
    const resync = performance.now() - restartStarted;
    const last = agent.agent.lastPass;
    console.log(
      `full resync after a restart, ${PORTS + RESYNC} ports on one host: ${resync.toFixed(0)} ms ` +
        `(${last?.devicesUp.length ?? 0} reported up, ${last ? last.plan.groups.reduce((n, g) => n + g.ip.length + g.bridge.length, 0) : 0} plan lines; ` +
        `of which ${rpc.ms.toFixed(0)} ms waiting for the server's get_devices_details_list, update_device_list and report_state)`,
    );
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await run('ip', ['netns', 'delete', NS]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
