/**
 * What the Open vSwitch agent costs, measured on this machine with OVS's
 * userspace datapath (one simulated host: a namespace with its own
 * ovsdb-server and ovs-vswitchd, as the tests run it):
 *   1. port create -> ACTIVE: POST a port bound to the agent's host, plug
 *      its tap into br-int as os-vif would (iface-id), poll the API until
 *      ACTIVE; median and p90 over --ports creates (target: median < 200 ms);
 *   2. --resync ports plugged at once, wired from nothing (target: < 3 s for
 *      1000); the periodic full pass over them (drift repair: one ovs-vsctl
 *      read, one diff-flows per bridge); a restarted agent's resync.
 *
 *   node --import tsx bench/ovsAgent.ts [--ports 50] [--resync 1000]
 *
 * As root. The network is `local`, so the figures are the agent's, the
 * server's and OVS's, not a tunnel's. Prints figures; asserts nothing.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { pino } from 'pino';

import { tapName } from '../src/agents/l2/names.js';
import type { OvsAgentSettings } from '../src/agents/ovs/settings.js';
import { plugVifCommands } from '../src/host/ovs.js';
import { isRoot } from '../src/host/tools.js';
import { openBus } from '../src/rpc/connect.js';
import { MemoryBroker } from '../src/rpc/memoryTransport.js';
import { startOpenvswitchAgent } from '../src/server/openvswitchAgent.js';
import { createOvsLab } from '../test/agents/ovs/ovsLab.js';

import { benchNetwork, intFlag, percentile, sleep, startBenchServer } from './common.js';
import { createToActive } from './l2Reference.js';

const run = promisify(execFile);
const PORTS = intFlag('ports', 50);
const RESYNC = intFlag('resync', 1000);
const figures = (sorted: number[]) =>
  `median ${percentile(sorted, 50).toFixed(1)} ms, p90 ${percentile(sorted, 90).toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms`;

async function main(): Promise<void> {
  if (!isRoot()) {
    console.log('bench/ovsAgent.ts needs root (network namespaces, Open vSwitch): nothing measured');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'nucleon-ovsbench-'));
  const log = pino({ level: process.env['NUCLEON_BENCH_LOG'] ?? 'silent' }, pino.destination(2));
  const broker = new MemoryBroker();
  const lab = await createOvsLab(`ovb${process.pid % 1000}`, 1);
  const host = lab.hosts[0]!;
  const stops: (() => Promise<unknown>)[] = [];
  try {
    const server = await startBenchServer(dir, broker, log, { ml2: { tenant_network_types: ['local'], mechanism_drivers: ['openvswitch'] } });
    stops.push(() => server.close());
    const api = server.api;
    const settings: OvsAgentSettings = {
      host: 'bench1',
      ovsdbConnection: `unix:${host.dir}/db.sock`,
      datapathType: 'netdev',
      integrationBridge: 'br-int',
      tunnelBridge: 'br-tun',
      intPeerPatchPort: 'patch-tun',
      tunPeerPatchPort: 'patch-int',
      bridgeMappings: {},
      pollingIntervalMs: 2000,
      reportIntervalMs: 30_000,
      availabilityZone: 'nova',
      logHeartbeats: false,
      firewall: 'noop',
    };
    let agent = await startOpenvswitchAgent(settings, await openBus('memory://', { memoryBroker: broker }, log), log);
    stops.push(() => agent.stop());
    await agent.sync();
    const latencyNet = await benchNetwork(api, 'bench-latency', '10.1.0.0/16');
    const resyncNet = await benchNetwork(api, 'bench-resync', '10.2.0.0/16');

    // 1. port create -> ACTIVE, one at a time.
    const created: string[] = [];
    const latencies = await createToActive(
      api,
      latencyNet,
      'bench1',
      PORTS,
      async (tap, i) => {
        await run('ip', ['-n', host.ns, 'link', 'add', tap, 'type', 'veth', 'peer', 'name', `p${i}`]);
        await run('ip', ['-n', host.ns, 'link', 'set', tap, 'up']);
        await host.ovs.plugVif('br-int', tap, { portId: created.at(-1)!, mac: 'fa:16:3e:00:00:00' });
      },
      created,
    );
    console.log(`port create -> ACTIVE (${PORTS} ports, one at a time): ${figures(latencies)}`);

    // 2. RESYNC ports plugged at once.
    const ids: string[] = [];
    for (let i = 0; i < RESYNC; i += 200) {
      const batch = Array.from({ length: Math.min(200, RESYNC - i) }, () => ({ network_id: resyncNet, 'binding:host_id': 'bench1', device_owner: 'compute:nova' }));
      const answer = await api('POST', '/v2.0/ports', { ports: batch });
      if (!Array.isArray(answer.ports)) throw new Error(`bulk port create failed: ${JSON.stringify(answer)}`);
      ids.push(...(answer.ports as { id: string }[]).map((p) => p.id));
    }
    const script = join(dir, 'taps.batch');
    writeFileSync(script, ids.flatMap((id, i) => [`link add ${tapName(id)} type veth peer name q${i}`, `link set ${tapName(id)} up`, '']).join('\n'));
    await run('ip', ['-n', host.ns, '-batch', script], { timeout: 300_000 });
    // As many os-vif plugs, in one OVSDB transaction (setting up the bench, not what is measured).
    const plugStarted = performance.now();
    await host.ovs.vsctl(ids.flatMap((id) => plugVifCommands('br-int', tapName(id), { portId: id, mac: 'fa:16:3e:00:00:00' })));
    const plugged = performance.now() - plugStarted;
    const wireStarted = performance.now();
    await agent.sync();
    await agent.sync();
    const wired = performance.now() - wireStarted;
    const active = ((await api('GET', `/v2.0/ports?network_id=${resyncNet}&status=ACTIVE&fields=id`)).ports as unknown[]).length;
    console.log(`${RESYNC} ports plugged at once, wired and reported up: ${wired.toFixed(0)} ms (${active} of ${RESYNC} ACTIVE; plugging them into OVS took ${plugged.toFixed(0)} ms before)`);

    const periodic: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      await agent.sync();
      periodic.push(performance.now() - started);
    }
    periodic.sort((a, b) => a - b);
    console.log(`periodic full pass over ${PORTS + RESYNC} wired ports (nothing to change): median ${percentile(periodic, 50).toFixed(0)} ms`);

    await agent.stop();
    stops.pop();
    const restartStarted = performance.now();
    agent = await startOpenvswitchAgent(settings, await openBus('memory://', { memoryBroker: broker }, log), log);
    stops.push(() => agent.stop());
    while (agent.agent.passes < 1) await sleep(1);
    const last = agent.agent.lastPass;
    console.log(
      `full resync after a restart, ${PORTS + RESYNC} ports: ${(performance.now() - restartStarted).toFixed(0)} ms ` +
        `(${last?.devicesUp.length ?? 0} reported up, ${last?.plan.vsctl.length ?? 0} ovs-vsctl commands, ` +
        `${last?.plan.flows.reduce((n, f) => n + f.lines.length, 0) ?? 0} flow changes)`,
    );
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await lab.teardown();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
