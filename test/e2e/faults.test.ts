/**
 * Issue 14's faults in the reduced form that fits CI: two nucleon-server
 * processes on one MariaDB database (reached through a TCP relay the test
 * can cut) and the machine's RabbitMQ (a throwaway vhost), behind haproxy
 * (roundrobin, `option httpchk GET /` every 200 ms), with heartbeat-only
 * agents. Each fault runs under the lab's 16-client load (lab/load.ts), and
 * after each the lab's invariants hold (lab/invariants.ts) for every write
 * acknowledged since the start:
 *
 *  - kill -9 of one server: the other serves on; the only failures are
 *    requests open at the kill, inside [kill, kill + haproxy's detection];
 *  - the broker's application stopped and started again: every agent
 *    reported alive again within two report intervals of the broker's return;
 *  - the database unreachable for 30 s: 503 ServiceUnavailable saying so,
 *    never another 5xx, and a create succeeds within seconds of its return.
 *
 * Needs root (rabbitmqctl stop_app stops the machine's broker for a few
 * seconds: other tests using it see an outage) and haproxy. `npm run build`
 * first: the servers are bin/nucleon-server.js.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';

import { assertInvariants } from '../../lab/invariants.js';
import type { LedgerEntry } from '../../lab/ledger.js';
import { failuresWithin, inFlightAt, type LoadReport, startLoad } from '../../lab/load.js';
import { neutronRequest } from '../../lab/neutronHttp.js';
import { startTcpRelay, type TcpRelay } from '../../lab/tcpRelay.js';
import { createTestDatabase, type TestDatabase } from '../db/databases.js';
import { eventually } from '../helpers/eventually.js';
import { kernelSkip } from '../helpers/kernel.js';
import { freePort } from '../helpers/testApi.js';
import { createTestVhost, rabbitmqctl, sleep, type TestVhost } from '../rpc/helpers.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const CLIENTS = 16;
const REPORT_INTERVAL_MS = 2000;
/** Seconds: agents are dead to the servers after this long without a report (over twice the interval, as Neutron asks). */
const AGENT_DOWN_TIME = 5;
const CHECK_INTER_MS = 200;
const CHECK_FALL = 2;
const CHECK_RISE = 2;
/** How long haproxy may take to take a dead server out: `fall` failed checks `inter` apart, the one in progress, its 1 s timeout. */
const DETECTION_MS = CHECK_INTER_MS * (CHECK_FALL + 1) + 1000;
const DB_OUTAGE_MS = 30_000;
const DB_UNAVAILABLE = /^The database is unavailable \(.+\); try again later\.$/;
const AGENTS = [
  { host: 'fault-host-1', type: 'Linux bridge agent', binary: 'neutron-linuxbridge-agent' },
  { host: 'fault-host-2', type: 'Open vSwitch agent', binary: 'neutron-openvswitch-agent' },
  { host: 'fault-host-3', type: 'DHCP agent', binary: 'neutron-dhcp-agent' },
];
const ADMIN = { projectId: 'fault-test-admin', roles: ['admin'] };

const execFileAsync = promisify(execFile);
const skip = await kernelSkip(['haproxy', 'rabbitmqctl']);

interface Child {
  readonly name: string;
  output(): string;
  readonly exited: Promise<void>;
  /** SIGKILL to its process group. */
  kill9(): void;
}

function startChild(name: string, command: string, args: readonly string[]): Child {
  const child: ChildProcess = spawn(command, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return {
    name,
    output: () => output.slice(-4000),
    exited,
    kill9: () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    },
  };
}

async function answersRoot(url: string): Promise<boolean> {
  const answer = await neutronRequest(url, ADMIN, 'GET', '/', undefined, 2000);
  return answer.status === 200;
}

describe('faults under a 16-client load: two servers behind haproxy, one MariaDB, the machine\'s RabbitMQ', { skip }, () => {
  let dir: string;
  let database: TestDatabase | undefined;
  let relay: TcpRelay | undefined;
  let vhost: TestVhost | undefined;
  let proxyUrl: string;
  const serverPorts: number[] = [];
  const serverConfigs: string[] = [];
  const servers: Child[] = [];
  const others: Child[] = [];
  /** Everything acknowledged since the first load, checked again after every fault. */
  const acknowledged: LedgerEntry[] = [];
  const projects: string[] = [];

  const startServer = async (index: number): Promise<Child> => {
    const server = startChild(`server-${index}`, process.execPath, ['bin/nucleon-server.js', '--config-file', serverConfigs[index] ?? '', '--config-file', join(dir, 'ml2_conf.ini')]);
    servers[index] = server;
    await eventually(`server ${index} serving:\n${server.output()}`, () => answersRoot(`http://127.0.0.1:${serverPorts[index]}`), 20_000);
    return server;
  };

  const agentsView = async (): Promise<{ host: string; alive: boolean; heartbeat: string }[]> => {
    const answer = await neutronRequest(proxyUrl, ADMIN, 'GET', '/v2.0/agents', undefined, 10_000);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const agents = (answer.body as { agents: { host: string; alive: boolean; heartbeat_timestamp: string }[] }).agents;
    return agents.filter((a) => AGENTS.some((b) => b.host === a.host)).map((a) => ({ host: a.host, alive: a.alive, heartbeat: a.heartbeat_timestamp }));
  };

  const checkEverything = async (report: LoadReport) => {
    acknowledged.push(...report.acknowledged);
    projects.push(report.setup.projectId);
    return assertInvariants({ baseUrl: proxyUrl, databaseUrl: database?.url ?? '', projects, acknowledged });
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nucleon-faults-'));
    database = await createTestDatabase('mysql');
    const direct = new URL(database.url.replace(/^[a-z+]+:/, 'http:'));
    relay = await startTcpRelay(Number(direct.port));
    const viaRelay = database.url.replace(`${direct.hostname}:${direct.port}`, `127.0.0.1:${relay.port}`);
    vhost = await createTestVhost();
    await writeFile(
      join(dir, 'ml2_conf.ini'),
      '[ml2]\ntype_drivers = flat,vlan,vxlan\ntenant_network_types = vxlan\nmechanism_drivers = linuxbridge,openvswitch\n[ml2_type_vxlan]\nvni_ranges = 1000:60000\n',
    );
    for (const index of [0, 1]) {
      const port = await freePort();
      serverPorts.push(port);
      const config = join(dir, `neutron-${index}.conf`);
      serverConfigs.push(config);
      await writeFile(
        config,
        [
          '[DEFAULT]',
          'auth_strategy = noauth',
          'service_plugins = router',
          'bind_host = 127.0.0.1',
          `bind_port = ${port}`,
          `transport_url = ${vhost.url}`,
          `agent_down_time = ${AGENT_DOWN_TIME}`,
          '[database]',
          `connection = ${viaRelay}`,
          // A request gives up on an unreachable database after about 2 s (the default is 10 s), with a 503.
          'db_retry_interval = 1',
          'db_max_retry_interval = 2',
          '[oslo_messaging_rabbit]',
          // Back on the broker within a second of its return.
          'rabbit_retry_interval = 1',
          'rabbit_retry_backoff = 0',
          'rabbit_interval_max = 1',
          '',
        ].join('\n'),
      );
    }
    // Rejects (and fails the set-up) unless it exits 0.
    await execFileAsync(process.execPath, ['bin/nucleon-db-manage.js', '--config-file', serverConfigs[0] ?? '', 'upgrade', 'head'], { cwd: REPO });
    await Promise.all([startServer(0), startServer(1)]);

    const proxyPort = await freePort();
    proxyUrl = `http://127.0.0.1:${proxyPort}`;
    const haproxyConfig = join(dir, 'haproxy.cfg');
    await writeFile(
      haproxyConfig,
      [
        'global',
        '  maxconn 512',
        'defaults',
        '  mode http',
        '  timeout connect 1s',
        '  timeout check 1s',
        '  timeout client 90s',
        '  timeout server 90s',
        // A connection refused by a dead server is tried again on the other one.
        '  retries 3',
        '  option redispatch',
        'frontend api',
        `  bind 127.0.0.1:${proxyPort}`,
        '  default_backend nucleon',
        'backend nucleon',
        '  balance roundrobin',
        '  option httpchk GET /',
        `  default-server inter ${CHECK_INTER_MS}ms fall ${CHECK_FALL} rise ${CHECK_RISE}`,
        ...serverPorts.map((port, i) => `  server s${i} 127.0.0.1:${port} check`),
        '',
      ].join('\n'),
    );
    const haproxy = startChild('haproxy', 'haproxy', ['-db', '-f', haproxyConfig]);
    others.push(haproxy);
    await eventually(`haproxy serving:\n${haproxy.output()}`, () => answersRoot(proxyUrl), 10_000);

    for (const agent of AGENTS) {
      others.push(
        startChild(agent.host, process.execPath, ['--import', 'tsx', 'test/helpers/fakeAgent.ts', vhost.url, agent.host, agent.type, agent.binary, String(REPORT_INTERVAL_MS)]),
      );
    }
    await eventually('the simulated agents alive', async () => {
      const agents = await agentsView();
      return agents.length === AGENTS.length && agents.every((a) => a.alive);
    }, 20_000);
  });

  after(async () => {
    try {
      // A no-op unless a broker test stopped it and failed before starting it again.
      await rabbitmqctl('start_app');
    } finally {
      for (const child of [...others, ...servers]) {
        child.kill9();
        await child.exited;
      }
      await vhost?.drop();
      await relay?.cut();
      await database?.drop();
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    }
  });

  test('kill -9 of one server: the other serves on, only the requests open at the kill fail, nothing acknowledged is lost', async (t) => {
    const load = await startLoad({ baseUrl: proxyUrl, clients: CLIENTS });
    await sleep(3000);
    const killedAt = Date.now();
    servers[0]?.kill9();
    await servers[0]?.exited;
    await sleep(4000);
    const report = await load.stop();

    const open = inFlightAt(report, killedAt);
    const failed = report.failures;
    t.diagnostic(`${report.requests.length} requests, ${open.length} open at the kill, ${failed.length} failed: ${JSON.stringify(report.byStatus)} ${JSON.stringify(report.byErrorType)}`);
    t.diagnostic(`failures: ${failed.map((f) => `${f.method} ${f.path} ${f.status} ${f.connectionError ?? ''} ${f.start - killedAt}..${f.end - killedAt} ms`).join('; ')}`);
    assert.deepEqual(
      failed.filter((f) => !failuresWithin(report, killedAt, killedAt + DETECTION_MS).includes(f)),
      [],
      `failures only inside [kill, kill + ${DETECTION_MS} ms]`,
    );
    assert.ok(failed.length <= open.length, `${failed.length} failures, ${open.length} requests were open at the kill`);
    const servedAfter = report.requests.filter((r) => r.start > killedAt + DETECTION_MS && r.status >= 200 && r.status < 300);
    assert.ok(servedAfter.length > CLIENTS, `the other server served on: ${servedAfter.length} successes after the kill`);

    await startServer(0);
    // Back in haproxy's rotation after `rise` good checks.
    await sleep(CHECK_INTER_MS * (CHECK_RISE + 2));
    const checked = await checkEverything(report);
    t.diagnostic(`invariants: ${JSON.stringify(checked.counts)}`);
  });

  test('a broker restart: every agent alive again within two report intervals of the broker\'s return', async (t) => {
    const load = await startLoad({ baseUrl: proxyUrl, clients: CLIENTS });
    await sleep(2000);
    let backAt: number;
    try {
      await rabbitmqctl('stop_app');
      await eventually('the agents reported dead while the broker is down', async () => (await agentsView()).every((a) => !a.alive), (AGENT_DOWN_TIME + 10) * 1000);
    } finally {
      await rabbitmqctl('start_app');
      backAt = Date.now();
    }
    const lastSeen = new Map((await agentsView()).map((a) => [a.host, a.heartbeat]));
    await eventually(
      'every agent alive again, its heartbeat advancing',
      async () => (await agentsView()).every((a) => a.alive && a.heartbeat > (lastSeen.get(a.host) ?? '')),
      2 * REPORT_INTERVAL_MS,
    );
    t.diagnostic(`agents alive again ${Date.now() - backAt} ms after start_app returned`);
    await sleep(1000);
    const report = await load.stop();
    t.diagnostic(`${report.requests.length} requests: ${JSON.stringify(report.byStatus)} ${JSON.stringify(report.byErrorType)}`);
    assert.deepEqual(report.failures, [], 'the API does not need the broker to answer');
    await checkEverything(report);
  });

  test('the database unreachable for 30 s: 503 ServiceUnavailable saying so, never another 5xx; a create within seconds of its return', async (t) => {
    const load = await startLoad({ baseUrl: proxyUrl, clients: CLIENTS, requestTimeoutMs: 60_000 });
    await sleep(2000);
    const cutAt = Date.now();
    await relay?.cut();
    await sleep(DB_OUTAGE_MS);
    await relay?.restore();
    const backAt = Date.now();
    await eventually(
      'a network created after the database came back',
      async () => (await neutronRequest(proxyUrl, ADMIN, 'POST', '/v2.0/networks', { network: { name: 'after-outage' } }, 10_000)).status === 201,
      5000,
    );
    t.diagnostic(`a create succeeded ${Date.now() - backAt} ms after the database came back`);
    await sleep(2000);
    const report = await load.stop();
    t.diagnostic(`${report.requests.length} requests: ${JSON.stringify(report.byStatus)} ${JSON.stringify(report.byErrorType)}`);

    const serverErrors = report.requests.filter((r) => r.status === 0 || r.status >= 500);
    assert.ok(serverErrors.length > 0, 'the outage was felt');
    assert.deepEqual(
      serverErrors.filter((r) => r.status !== 503 || r.errorType !== 'ServiceUnavailable' || !DB_UNAVAILABLE.test(r.errorMessage ?? '')),
      [],
      'every 5xx is a 503 ServiceUnavailable naming the database',
    );
    assert.deepEqual(
      serverErrors.filter((r) => r.end < cutAt || r.start > backAt + 5000),
      [],
      '503s only while the database was away',
    );
    await checkEverything(report);
  });
});
