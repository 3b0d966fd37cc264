/**
 * The agent commands and the all-in-one as processes, for what the e2e
 * tests do not cover: a bad option stops each agent at once naming file,
 * section and option (before it waits for RabbitMQ); --dry-run prints a plan
 * and changes nothing; the all-in-one says plainly when it runs the API only
 * and why.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';

import { pino } from 'pino';

import type { Bus } from '../../src/rpc/bus.js';
import { openBus } from '../../src/rpc/connect.js';
import { REPORTS } from '../../src/rpc/topics.js';
import { eventually } from '../helpers/eventually.js';
import { startTestApi, type TestApi } from '../helpers/testApi.js';
import { createTestVhost, type TestVhost } from '../rpc/helpers.js';

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, '../..');
const bin = (name: string) => join(REPO, 'bin', name);
const dir = mkdtempSync(join(tmpdir(), 'nucleon-agentcmd-'));
chmodSync(dir, 0o755);
after(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

/** Runs a command to its end; never rejects. */
async function outcome(command: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(command, args, { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('agent commands: a bad option stops them at once, naming file, section and option', () => {
  // Nothing listens on port 9: an agent that tried to connect first would hang in its retries.
  const broker = '[DEFAULT]\ntransport_url = rabbit://guest:guest@127.0.0.1:9/\n';
  const cases: [string, string, RegExp][] = [
    ['nucleon-linuxbridge-agent.js', `${broker}[vxlan]\nenable_vxlan = true\nlocal_ip = not-an-address\n`, /\[vxlan\] local_ip: 'not-an-address' is not an IP address/],
    ['nucleon-dhcp-agent.js', `${broker}interface_driver = frobnicator\n`, /\[DEFAULT\] interface_driver: unknown interface driver "frobnicator"/],
    ['nucleon-metadata-agent.js', `${broker}nova_metadata_port = seventy\n`, /\[DEFAULT\] nova_metadata_port: 'seventy'/],
  ];
  for (const [command, ini, message] of cases) {
    it(command, async () => {
      const file = write(`bad-${command}.ini`, ini);
      const started = Date.now();
      const result = await outcome(process.execPath, [bin(command), '--config-file', file]);
      assert.equal(result.code, 1);
      const lines = result.stderr.trim().split('\n');
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0]!, message);
      assert.ok(lines[0]!.includes(file), 'names the file');
      assert.ok(Date.now() - started < 10_000, 'does not wait for the broker');
    });
  }

  it('an agent without transport_url says it needs RabbitMQ', async () => {
    const result = await outcome(process.execPath, [bin('nucleon-dhcp-agent.js'), '--config-file', write('empty.ini', '')]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /\[DEFAULT\] transport_url: nucleon-dhcp-agent talks to the server over RabbitMQ/);
  });
});

describe('agent commands: --dry-run prints the plan and changes nothing', () => {
  let vhost: TestVhost;
  let api: TestApi;
  let bus: Bus;
  let neutronConf = '';

  before(async () => {
    vhost = await createTestVhost();
    api = await startTestApi(`sqlite:///${dir}/server.sqlite`, { DEFAULT: { transport_url: vhost.url } });
    bus = await openBus(vhost.url, {}, pino({ level: 'silent' }));
    neutronConf = write('neutron.conf', `[DEFAULT]\nhost = dryhost\nstate_path = ${dir}/state\ntransport_url = ${vhost.url}\n`);
  });

  after(async () => {
    await bus?.close();
    await api?.close();
    await vhost?.drop();
  });

  it('nucleon-dhcp-agent --dry-run: the network scheduled to it, its port to create; no namespace, no port', async () => {
    // The agent has reported once (it is registered and alive), so the new network is scheduled to it.
    await bus.call(REPORTS, 'report_state', {
      agent_state: { agent_state: { agent_type: 'DHCP agent', binary: 'neutron-dhcp-agent', host: 'dryhost', topic: 'dhcp_agent', configurations: {}, start_flag: true } },
      time: new Date().toISOString(),
    });
    const network = (await api.request('POST', '/v2.0/networks', { network: { name: 'dry' } })).body.network;
    await api.request('POST', '/v2.0/subnets', { subnet: { network_id: network.id, ip_version: 4, cidr: '10.246.0.0/24' } });
    await eventually('the network scheduled to dryhost', async () => {
      const agents = (await api.request('GET', `/v2.0/networks/${network.id}/dhcp-agents`)).body.agents as { host: string }[];
      return agents.some((agent) => agent.host === 'dryhost');
    });

    const result = await outcome(process.execPath, [bin('nucleon-dhcp-agent.js'), '--config-file', neutronConf, '--dry-run']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`create_dhcp_port / update_dhcp_port on network ${network.id}`));
    const { stdout: namespaces } = await run('ip', ['netns', 'list']).catch(() => ({ stdout: '' }));
    assert.doesNotMatch(namespaces, new RegExp(`qdhcp-${network.id}`));
    const dhcpPorts = (await api.request('GET', `/v2.0/ports?network_id=${network.id}&device_owner=network:dhcp`)).body.ports as unknown[];
    assert.equal(dhcpPorts.length, 0, 'a dry run creates no port');
  });

  it('nucleon-metadata-agent --dry-run: where it would serve and forward', async () => {
    const ini = write('metadata_agent.ini', '[DEFAULT]\nnova_metadata_host = nova.example\nmetadata_proxy_shared_secret = s\n');
    const result = await outcome(process.execPath, [bin('nucleon-metadata-agent.js'), '--config-file', neutronConf, '--config-file', ini, '--dry-run']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`serve HTTP on unix socket ${dir}/state/metadata_proxy`));
    assert.match(result.stdout, /forward to http:\/\/nova\.example:8775/);
  });
});

/**
 * `node bin/nucleon.js` as `wrapper` (another user) can run it: from the
 * checkout, or, when that user cannot read it (a clone under /root, as in
 * CI), from a copy of what it needs in the test's directory; the same for
 * node itself.
 */
async function commandFor(wrapper: readonly string[]): Promise<string[]> {
  const can = async (...args: string[]) => (await outcome(wrapper[0]!, [...wrapper.slice(1), ...args])).code === 0;
  let node = process.execPath;
  if (!(await can(node, '--version'))) {
    node = join(dir, 'node');
    copyFileSync(process.execPath, node);
    chmodSync(node, 0o755);
  }
  if (await can('test', '-r', join(REPO, 'dist/cli/nucleon.js'))) return [node, bin('nucleon.js')];
  const copy = join(dir, 'nucleon');
  for (const part of ['package.json', 'bin', 'dist', 'node_modules']) cpSync(join(REPO, part), join(copy, part), { recursive: true, verbatimSymlinks: true });
  return [node, join(copy, 'bin', 'nucleon.js')];
}

describe('nucleon all-in-one says when it serves the API only, and why', () => {
  /** Starts `node bin/nucleon.js all-in-one` (or `command`) under `wrapper` until it is ready; its output. */
  const startAndStop = async (args: readonly string[], wrapper: readonly string[] = [], command: readonly string[] = [process.execPath, bin('nucleon.js')]): Promise<string> => {
    const [program, ...rest] = [...wrapper, ...command, 'all-in-one', ...args];
    const child = spawn(program!, rest, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    try {
      return await eventually('the all-in-one ready', () => (out.includes('ready in') ? out : undefined), 30_000);
    } finally {
      child.kill('SIGTERM');
    }
  };
  const port = () => 20_000 + Math.floor(Math.random() * 20_000);

  it('--api-only', async () => {
    const conf = write('aio-port.conf', `[DEFAULT]\nbind_port = ${port()}\n`);
    const out = await startAndStop(['--api-only', '--state-dir', join(dir, 'aio1'), '--config-file', conf]);
    assert.match(out, /^API only, no agents: --api-only was given$/m);
  });

  it('not root', async () => {
    const state = join(dir, 'aio2');
    const conf = write('aio-port2.conf', `[DEFAULT]\nbind_port = ${port()}\n`);
    const asRoot = process.getuid?.() === 0;
    // Not root already: as itself. Root: as user nobody.
    const asNobody = asRoot ? ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups'] : [];
    if (asRoot) await run('install', ['-d', '-o', 'nobody', state]);
    const out = await startAndStop(['--state-dir', state, '--config-file', conf], asNobody, asRoot ? await commandFor(asNobody) : undefined);
    assert.match(out, /^API only, no agents: the agents create namespaces, bridges and devices, which needs root \(running as uid \d+\)$/m);
  });
});
