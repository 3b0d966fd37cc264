/**
 * What the DHCP agent costs, measured with real dnsmasq on this machine:
 *   1. a burst of --burst port creates (16 parallel API clients) on one
 *      network until dnsmasq serves all of them: every MAC in the hosts file,
 *      dnsmasq has re-read it, and a DHCP client with the last port's MAC
 *      gets its address (target: < 5 s end to end for 1000); how many passes
 *      and dnsmasq reloads the burst cost;
 *   2. one reload of a network of --hosts hosts: one more port created, to
 *      dnsmasq having re-read the hosts file (target: < 1 s for 10 000).
 *
 *   node --import tsx bench/dhcpAgent.ts [--burst 1000] [--hosts 10000]
 *
 * As root: a namespace `dhb<pid>` is the agent's host (a bridge stands in
 * for the L2 agent, a VM namespace with udhcpc asks for leases); the API
 * server (SQLite in a temp dir) and the agent run in this process on the
 * in-process bus, as the all-in-one mode does. Everything is deleted at the
 * end, also on failure. Prints figures; asserts nothing.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { pino } from 'pino';

import { dhcpAgentOptions } from '../src/config/dhcpAgentOptions.js';
import { loadConfig } from '../src/config/load.js';
import { IpRoute } from '../src/host/ip.js';
import { isRoot, missingPrograms } from '../src/host/tools.js';
import { openBus } from '../src/rpc/connect.js';
import { MemoryBroker } from '../src/rpc/memoryTransport.js';
import { agentBaseGroups } from '../src/server/agentProcess.js';
import { dhcpAgentSettings, startDhcpAgent } from '../src/server/dhcpAgent.js';

import { intFlag, sleep, startBenchServer } from './common.js';

const run = promisify(execFile);


const BURST = intFlag('burst', 1000);
const HOSTS = intFlag('hosts', 10_000);
const CLIENTS = 16;
const NS = `dhb${process.pid % 100000}`;
const VM = `${NS}vm`;

const mac = (i: number) => `fa:16:3e:${((i >> 16) & 0xff).toString(16).padStart(2, '0')}:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`;

/** A udhcpc hook that only records the address it was offered (never touches /etc/resolv.conf). */
const HOOK = '#!/bin/sh\ncase "$1" in bound|renew) echo "$ip" > "$DHCP_OUT";; esac\nexit 0\n';

async function main(): Promise<void> {
  if (!isRoot()) {
    console.log('bench/dhcpAgent.ts needs root (network namespaces, dnsmasq): nothing measured');
    return;
  }
  const missing = await missingPrograms(['ip', 'dnsmasq', 'udhcpc'], process.env.PATH);
  if (missing.length > 0) {
    console.log(`bench/dhcpAgent.ts needs ${missing.join(', ')}: nothing measured`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'nucleon-dhcpbench-'));
  chmodSync(dir, 0o755); // dnsmasq reads its files as nobody
  const hook = join(dir, 'hook.sh');
  writeFileSync(hook, HOOK, { mode: 0o755 });
  const log = pino({ level: process.env['NUCLEON_BENCH_LOG'] ?? 'silent' }, pino.destination(2));
  const broker = new MemoryBroker();
  const stops: (() => Promise<unknown>)[] = [];
  let networkId = '';
  await run('ip', ['netns', 'add', NS]);
  await run('ip', ['netns', 'add', VM]);
  try {
    await run('ip', ['-n', NS, 'link', 'add', 'br0', 'type', 'bridge']);
    await run('ip', ['-n', NS, 'link', 'set', 'br0', 'up']);
    await run('ip', ['link', 'add', 'vmp', 'netns', NS, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', VM]);
    await run('ip', ['-n', NS, 'link', 'set', 'vmp', 'master', 'br0', 'up']);

    const server = await startBenchServer(dir, broker, log, { ml2: { tenant_network_types: ['local'] } });
    stops.push(() => server.close());
    const api = server.api;

    const settings = dhcpAgentSettings(
      loadConfig({
        files: [],
        groups: [...agentBaseGroups, dhcpAgentOptions],
        overrides: { DEFAULT: { host: 'bench-dhcp', state_path: dir, dnsmasq_base_log_dir: join(dir, 'log') }, agent: { report_interval: 30 } },
      }),
    );
    const agent = await startDhcpAgent(settings, await openBus('memory://', { memoryBroker: broker }, log), log, new IpRoute(NS));
    stops.push(() => agent.stop());
    while (((await api('GET', '/v2.0/agents')).agents as unknown[]).length === 0) await sleep(10);

    const network = (await api('POST', '/v2.0/networks', { network: { name: 'bench' } })).network;
    networkId = network.id;
    await api('POST', '/v2.0/subnets', { subnet: { network_id: network.id, cidr: '10.90.0.0/16', ip_version: 4 } });
    const hostFile = join(dir, 'dhcp', network.id, 'host');
    const logFile = join(dir, 'log', network.id, 'dhcp_dns_log');
    const reads = () => {
      try {
        return readFileSync(logFile, 'utf8').split('\n').filter((line) => line.endsWith(`read ${hostFile}`)).length;
      } catch {
        return 0;
      }
    };
    const hostLines = () => {
      try {
        return readFileSync(hostFile, 'utf8').split('\n').filter((line) => line !== '').length;
      } catch {
        return 0;
      }
    };
    // The network's DHCP port and dnsmasq; then the tap goes on the bridge, as the L2 agent would do it.
    while (hostLines() < 1) await sleep(10);
    await agent.sync();
    for (const link of await new IpRoute(NS).links()) {
      if (link.ifname.startsWith('tap')) await run('ip', ['-n', NS, 'link', 'set', link.ifname, 'master', 'br0', 'up']);
    }

    // 1. A burst of port creates until dnsmasq serves them all.
    const passes0 = agent.passes;
    const fetches0 = agent.fullFetches;
    const reloads0 = agent.counters.reloads + agent.counters.restarts;
    const started = performance.now();
    let next = 0;
    let last: { mac_address: string; fixed_ips: { ip_address: string }[] } | undefined;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (next < BURST) {
          const i = next++;
          const answer = await api('POST', '/v2.0/ports', { port: { network_id: network.id, mac_address: mac(i + 1), device_owner: 'compute:nova' } });
          if (!answer.port) throw new Error(`port create failed: ${JSON.stringify(answer)}`);
          if (i === BURST - 1) last = answer.port;
        }
      }),
    );
    const created = performance.now() - started;
    while (hostLines() < BURST + 1) await sleep(5);
    const written = performance.now() - started;
    // The last port's VM gets its address: dnsmasq has re-read the complete hosts file.
    await run('ip', ['-n', VM, 'link', 'set', 'eth0', 'address', last!.mac_address, 'up']);
    const out = join(dir, 'lease');
    await run('ip', ['netns', 'exec', VM, 'env', `DHCP_OUT=${out}`, 'udhcpc', '-f', '-q', '-n', '-t', '5', '-T', '1', '-i', 'eth0', '-s', hook]);
    const served = performance.now() - started;
    const leased = readFileSync(out, 'utf8').trim();
    console.log(
      `${BURST} ports created by ${CLIENTS} API clients in ${created.toFixed(0)} ms; all in the hosts file at ${written.toFixed(0)} ms; ` +
        `the last port's VM leased ${leased} (API: ${last!.fixed_ips[0]!.ip_address}) at ${served.toFixed(0)} ms end to end`,
    );
    console.log(`  the agent after the last create: ${(written - created).toFixed(0)} ms to the complete hosts file, ${(served - created).toFixed(0)} ms to the lease (udhcpc included)`);
    await agent.sync();
    console.log(
      `  the burst cost ${agent.passes - passes0} agent passes (${agent.fullFetches - fetches0} full fetches) and ` +
        `${agent.counters.reloads + agent.counters.restarts - reloads0} dnsmasq reloads (${agent.counters.restarts} restarts in all)`,
    );

    // 2. One reload of a network of HOSTS hosts.
    for (let i = BURST; i < HOSTS - 1; i += 500) {
      const batch = Array.from({ length: Math.min(500, HOSTS - 1 - i) }, (_, k) => ({ network_id: network.id, mac_address: mac(i + k + 1), device_owner: 'compute:nova' }));
      const answer = await api('POST', '/v2.0/ports', { ports: batch });
      if (!Array.isArray(answer.ports)) throw new Error(`bulk port create failed: ${JSON.stringify(answer)}`);
    }
    while (hostLines() < HOSTS) await sleep(20);
    await agent.sync();
    await agent.sync();
    await sleep(500); // let dnsmasq's log catch up with the last reload before counting
    const before = reads();
    const reloadsBefore = agent.counters.reloads;
    const fetchesBefore = agent.fullFetches;
    const passStarted = performance.now();
    await api('POST', '/v2.0/ports', { port: { network_id: network.id, mac_address: mac(HOSTS + 1), device_owner: 'compute:nova' } });
    while (agent.counters.reloads === reloadsBefore || reads() <= before) await sleep(2);
    const reload = performance.now() - passStarted;
    const fetchedForReload = agent.fullFetches - fetchesBefore;
    const syncStarted = performance.now();
    await agent.sync();
    const idlePass = performance.now() - syncStarted;
    const fetchStarted = performance.now();
    await server.bus.call('q-plugin', 'get_active_networks_info', { host: 'bench-dhcp' });
    const fullFetchMs = performance.now() - fetchStarted;
    console.log(
      `a network of ${hostLines()} hosts: one more port, POST to dnsmasq having re-read its hosts file ${reload.toFixed(0)} ms ` +
        `(${fetchedForReload} full fetches); a pass with nothing to change ${idlePass.toFixed(0)} ms; ` +
        `for comparison one full get_active_networks_info ${fullFetchMs.toFixed(0)} ms`,
    );
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    // dnsmasq outlives the agent by design; the bench's own goes with its namespace.
    for (const ns of [networkId === '' ? '' : `qdhcp-${networkId}`, NS, VM].filter((n) => n !== '')) {
      const pids = (await run('ip', ['netns', 'pids', ns]).catch(() => ({ stdout: '' }))).stdout.split('\n').filter((p) => p.trim() !== '');
      for (const pid of pids) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // gone already
        }
      }
      await run('ip', ['netns', 'delete', ns]).catch(() => undefined);
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
