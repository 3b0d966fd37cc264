/**
 * What enforcing security groups costs the Linux bridge agent, on this
 * machine's kernel (issue targets in brackets):
 *   1. rule added -> enforced: a VM pings another whose group has no ingress
 *      rule; an ICMP rule is created through the API and the time until the
 *      first echo reply is read off ping's own timestamps; then the rule is
 *      deleted and the replies stop (median over --rounds) [< 100 ms];
 *   2. --ports ports (default 1000) in 10 groups of 20 rules each (half of
 *      the ports in one group, the others spread over nine), their taps
 *      appearing at once: wired and filtered; the firewall rebuilt from
 *      nothing after its tables were deleted [< 1 s]; a rule added to the
 *      group of 500 ports [< 200 ms]; a port joining that group (its member
 *      set changes, not the rules); the full resync of a restarted agent
 *      with filtering on [< 3 s for 1000 ports].
 *
 *   node --import tsx bench/securityGroups.ts [--ports 1000] [--rounds 20]
 *
 * As root: a namespace `sgb<pid>` as the host and two VM namespaces (all
 * deleted at the end, also on failure), the API server (SQLite in a temp
 * dir) and the agent in this process on the in-process bus. Prints figures;
 * asserts nothing. Neutron's iptables driver is not run beside it here.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { pino } from 'pino';

import { tapName } from '../src/agents/l2/names.js';
import { IpRoute } from '../src/host/ip.js';
import { isRoot } from '../src/host/tools.js';
import { openBus } from '../src/rpc/connect.js';
import { MemoryBroker } from '../src/rpc/memoryTransport.js';
import { type RunningLinuxBridgeAgent, startLinuxBridgeAgent } from '../src/server/linuxbridgeAgent.js';

import { type Api, benchLinuxBridgeSettings, benchNetwork, intFlag, percentile, sleep, startBenchServer } from './common.js';

const run = promisify(execFile);
const PORTS = intFlag('ports', 1000);
const ROUNDS = intFlag('rounds', 20);
if (PORTS > 1000) throw new Error('--ports: one Linux bridge holds at most 1024 ports');
const NS = `sgb${process.pid % 100000}`;
const VMS = [`${NS}a`, `${NS}b`];
const ms = (value: number) => `${value.toFixed(0)} ms`;

/** Waits until `check` holds, polling every 2 ms; the time it took. */
async function timeUntil(check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<number> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > timeoutMs) throw new Error('timed out');
    await sleep(2);
  }
  return performance.now() - started;
}

/** 1. Rule added -> the first echo reply, by ping's own clock (-D), `rounds` times. */
async function ruleToTraffic(api: Api, host: IpRoute, networkId: string, agent: RunningLinuxBridgeAgent): Promise<number[]> {
  const group = (await api('POST', '/v2.0/security-groups', { security_group: { name: 'closed' } })).security_group.id as string;
  const ports = [];
  for (const [i, vm] of VMS.entries()) {
    const port = (await api('POST', '/v2.0/ports', { port: { network_id: networkId, 'binding:host_id': 'bench1', device_owner: 'compute:nova', security_groups: i === 1 ? [group] : undefined } })).port;
    await run('ip', ['netns', 'add', vm]);
    await host.batch([`link add ${tapName(port.id as string)} type veth peer name eth0 netns ${vm}`]);
    const ip = port.fixed_ips[0].ip_address as string;
    for (const line of [`link set eth0 address ${port.mac_address}`, `address add ${ip}/16 dev eth0`, 'link set eth0 up', 'link set lo up']) {
      await run('ip', ['-n', vm, ...line.split(' ')]);
    }
    ports.push({ id: port.id as string, ip });
  }
  await agent.sync();
  await agent.sync();
  const target = ports[1]!.ip;
  const samples: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const ping = spawn('ip', ['netns', 'exec', VMS[0]!, 'ping', '-D', '-n', '-i', '0.002', '-W', '1', target], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    ping.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await sleep(100);
    const asked = Date.now() / 1000;
    const rule = (await api('POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: group, direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp' } }))
      .security_group_rule.id as string;
    await timeUntil(() => /bytes from/.test(out), 10_000);
    const first = Number(/\[(\d+\.\d+)\] \d+ bytes from/.exec(out)![1]);
    samples.push((first - asked) * 1000);
    await api('DELETE', `/v2.0/security-group-rules/${rule}`);
    const replies = () => out.split('\n').filter((line) => line.includes('bytes from')).length;
    // Closed again: no new reply for 50 ms.
    for (let seen = replies(); ; ) {
      await sleep(50);
      if (replies() === seen) break;
      seen = replies();
    }
    ping.kill('SIGINT');
    await new Promise((resolve) => ping.once('exit', resolve));
  }
  return samples.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  if (!isRoot()) {
    console.log('bench/securityGroups.ts needs root (network namespaces, bridges, nftables): nothing measured');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'nucleon-sgbench-'));
  const log = pino({ level: process.env['NUCLEON_BENCH_LOG'] ?? 'silent' }, pino.destination(2));
  const broker = new MemoryBroker();
  await run('ip', ['netns', 'add', NS]);
  const stops: (() => Promise<unknown>)[] = [];
  try {
    const server = await startBenchServer(dir, broker, log, {
      ml2: { tenant_network_types: ['local'], mechanism_drivers: ['linuxbridge'] },
      quotas: { quota_security_group: -1, quota_security_group_rule: -1 },
    });
    stops.push(() => server.close());
    const api = server.api;
    const settings = benchLinuxBridgeSettings('stateful');
    const host = new IpRoute(NS);
    const bus = () => openBus('memory://', { memoryBroker: broker }, log);
    let agent = await startLinuxBridgeAgent(settings, await bus(), log, host);
    stops.push(() => agent.stop());
    await timeUntil(async () => ((await api('GET', '/v2.0/agents')).agents as unknown[]).length > 0);

    // 1.
    const latencies = await ruleToTraffic(api, host, await benchNetwork(api, 'bench-latency', '10.1.0.0/16'), agent);
    console.log(
      `rule added -> enforced (ICMP rule created through the API -> first echo reply, ${ROUNDS} rounds): ` +
        `median ${latencies[Math.floor(latencies.length / 2)]!.toFixed(1)} ms, p90 ${percentile(latencies, 90).toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms`,
    );

    // 2. Ten groups of twenty rules: ten by address, ten admitting the group's own members.
    const groups: string[] = [];
    for (let g = 0; g < 10; g++) {
      const id = (await api('POST', '/v2.0/security-groups', { security_group: { name: `g${g}` } })).security_group.id as string;
      const rules = Array.from({ length: 20 }, (_, r) => ({
        security_group_id: id,
        direction: 'ingress',
        ethertype: 'IPv4',
        protocol: 'tcp',
        port_range_min: 1000 + r,
        port_range_max: 1000 + r,
        ...(r % 2 === 0 ? { remote_ip_prefix: `192.0.${r}.0/24` } : { remote_group_id: id }),
      }));
      await api('POST', '/v2.0/security-group-rules', { security_group_rules: rules });
      groups.push(id);
    }
    const big = groups[0]!;
    const scaleNet = await benchNetwork(api, 'bench-scale', '10.2.0.0/16');
    const created: string[] = [];
    for (let i = 0; i < PORTS; i += 200) {
      const batch = Array.from({ length: Math.min(200, PORTS - i) }, (_, j) => ({
        network_id: scaleNet,
        'binding:host_id': 'bench1',
        device_owner: 'compute:nova',
        security_groups: [(i + j) % 2 === 0 ? big : groups[1 + ((i + j) % 9)]!],
      }));
      const answer = await api('POST', '/v2.0/ports', { ports: batch });
      created.push(...(answer.ports as { id: string }[]).map((p) => p.id));
    }
    const script = join(dir, 'taps.batch');
    writeFileSync(script, created.flatMap((id, i) => [`link add ${tapName(id)} type veth peer name q${i}`, `link set q${i} up`, '']).join('\n'));
    const wireStarted = performance.now();
    await run('ip', ['-n', NS, '-batch', script], { timeout: 300_000 });
    await agent.sync();
    await agent.sync();
    const active = ((await api('GET', `/v2.0/ports?network_id=${scaleNet}&status=ACTIVE&fields=id`)).ports as unknown[]).length;
    console.log(`${PORTS} new taps in 10 groups of 20 rules, wired, filtered and reported up: ${ms(performance.now() - wireStarted)} (${active} ACTIVE)`);
    const listed = await run('ip', ['netns', 'exec', NS, 'nft', '-s', 'list', 'ruleset'], { maxBuffer: 256 * 1024 * 1024 });
    console.log(`  the firewall: ${listed.stdout.split('\n').length} lines of nft ruleset`);

    await run('ip', ['netns', 'exec', NS, 'nft', 'delete', 'table', 'inet', 'nucleon-sg']);
    const rebuilt = performance.now();
    await agent.sync();
    console.log(`firewall of ${PORTS} ports rebuilt from nothing (tables deleted; one pass): ${ms(performance.now() - rebuilt)}`);

    const lastScript = () => agent.agent.lastPass?.firewall ?? '';
    const ruleAsked = performance.now();
    await api('POST', '/v2.0/security-group-rules', {
      security_group_rule: { security_group_id: big, direction: 'ingress', ethertype: 'IPv4', protocol: 'udp', port_range_min: 5353, port_range_max: 5353 },
    });
    await timeUntil(() => lastScript().includes('th dport 5353'));
    console.log(`rule added to a group of ${PORTS / 2} ports -> applied by the agent: ${ms(performance.now() - ruleAsked)}`);

    const joinAsked = performance.now();
    await api('PUT', `/v2.0/ports/${created[1]!}`, { port: { security_groups: [big] } });
    await timeUntil(() => lastScript().includes('flush map bridge nucleon-sg port_profile'));
    console.log(`a port moves into that group -> sets and maps updated, no chain rewritten: ${ms(performance.now() - joinAsked)}`);

    const idle: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      await agent.sync();
      idle.push(performance.now() - started);
    }
    console.log(`  for comparison, the periodic pass with nothing to change: median ${ms(idle.sort((a, b) => a - b)[2]!)}`);

    await agent.stop();
    stops.pop();
    const restarted = performance.now();
    agent = await startLinuxBridgeAgent(settings, await bus(), log, host, { watchLinks: false });
    stops.push(() => agent.stop());
    await timeUntil(() => agent.agent.passes >= 1);
    console.log(`full resync after a restart, ${PORTS + 2} ports, filtering on: ${ms(performance.now() - restarted)} (firewall: ${lastScript() === '' ? 'found right, nothing rewritten' : `${lastScript().split('\n').length} lines of nft rewritten`})`);
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    for (const ns of [...VMS, NS]) await run('ip', ['netns', 'delete', ns]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
