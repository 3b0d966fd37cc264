/**
 * The metadata agent against the real server (SQLite, RabbitMQ in a
 * throwaway vhost) and a test double of Nova's metadata API that checks
 * what it receives: the signature, X-Instance-ID = the port's device_id,
 * X-Tenant-ID = its project, X-Forwarded-For = the VM. Requests go through
 * the agent's Unix socket carrying the headers haproxy adds.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { pino } from 'pino';

import type { MetadataAgentSettings } from '../../../src/agents/metadata/settings.js';
import type { Bus } from '../../../src/rpc/bus.js';
import { openBus } from '../../../src/rpc/connect.js';
import { RpcTimeout } from '../../../src/rpc/errors.js';
import { startMetadataAgent, type RunningMetadataAgent } from '../../../src/server/metadataAgent.js';
import { createTestDatabase, type TestDatabase } from '../../db/databases.js';
import { asProject, startTestApi, type TestApi } from '../../helpers/testApi.js';
import { createTestVhost, recordingLogger, sleep, type TestVhost } from '../../rpc/helpers.js';

const SECRET = 'metadata-test-secret';
const PROJECT = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const INSTANCE = '5f0c8e3a-1111-4c1e-9d2b-0a1b2c3d4e5f';

interface NovaSeen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** Nova's metadata API as a test double: 403 on a bad signature, as Nova does; else a document naming who asked. */
class FakeNova {
  readonly seen: NovaSeen[] = [];
  private server: Server | undefined;
  port = 0;

  async start(port = 0): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
        const id = String(req.headers['x-instance-id']);
        const expected = createHmac('sha256', SECRET).update(id).digest('hex');
        if (req.headers['x-instance-id-signature'] !== expected) {
          res.writeHead(403, { 'content-type': 'text/plain' }).end('Invalid proxy request signature.');
          return;
        }
        if (id.startsWith('deleted-')) {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('no such instance');
          return;
        }
        if (req.url?.startsWith('/openstack/latest/meta_data.json')) {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ uuid: id, project_id: req.headers['x-tenant-id'] }));
          return;
        }
        res.writeHead(200, { 'content-type': 'text/plain' }).end(id);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

interface Answer {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: string;
}

/** What haproxy would send: the VM's own headers plus X-Forwarded-For and the network id. */
function viaSocket(socketPath: string, path: string, headers: Record<string, string>, method = 'GET', body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ socketPath, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], body: Buffer.concat(chunks).toString() }));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** The agent's bus, counting get_ports calls. */
function countingBus(bus: Bus): { bus: Bus; calls: () => number } {
  let calls = 0;
  const counted = new Proxy(bus, {
    get(target, key, receiver) {
      if (key === 'call') {
        return (...args: Parameters<Bus['call']>) => {
          if (args[1] === 'get_ports') calls++;
          return target.call(...args);
        };
      }
      const value: unknown = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { bus: counted, calls: () => calls };
}

describe('metadata agent', () => {
  let vhost: TestVhost;
  let database: TestDatabase;
  let api: TestApi;
  let agentBus: Bus;
  let counter: ReturnType<typeof countingBus>;
  let dir: string;
  const nova = new FakeNova();
  const running: RunningMetadataAgent[] = [];
  let networkId = '';
  let vmIp = '';

  const settings = (overrides: Partial<MetadataAgentSettings> = {}): MetadataAgentSettings => ({
    host: 'md-host-1',
    availabilityZone: 'nova',
    socketPath: join(dir, 'metadata_proxy'),
    socketMode: 0o644,
    backlog: 128,
    workers: 0,
    nova: { protocol: 'http', host: '127.0.0.1', port: nova.port, sharedSecret: SECRET, insecure: false, timeoutMs: 5_000 },
    lookupCacheMs: 5_000,
    reportIntervalMs: 0,
    logAgentHeartbeats: false,
    ...overrides,
  });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nucleon-md-'));
    vhost = await createTestVhost();
    database = await createTestDatabase('sqlite');
    api = await startTestApi(database.url, { DEFAULT: { transport_url: vhost.url } });
    agentBus = await openBus(vhost.url, { retryIntervalMs: 200, retryBackoffMs: 100, intervalMaxMs: 1000 }, recordingLogger());
    counter = countingBus(agentBus);
    await nova.start();

    const owner = asProject(PROJECT);
    const network = (await api.request('POST', '/v2.0/networks', { network: { name: 'md-net' } }, owner)).body.network;
    networkId = network.id;
    await api.request('POST', '/v2.0/subnets', { subnet: { network_id: networkId, cidr: '10.77.0.0/24', ip_version: 4 } }, owner);
    const port = (await api.request('POST', '/v2.0/ports', { port: { network_id: networkId, device_id: INSTANCE, device_owner: 'compute:nova' } }, owner)).body.port;
    vmIp = port.fixed_ips[0].ip_address;
    running.push(await startMetadataAgent(settings(), counter.bus, pino({ level: 'silent' })));
  });

  after(async () => {
    for (const agent of running) await agent.stop().catch(() => undefined);
    await nova.stop();
    await agentBus?.close();
    await api?.close();
    await database?.drop();
    await vhost?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const fromVm = (headers: Record<string, string> = {}): Record<string, string> => ({
    'X-Forwarded-For': vmIp,
    'X-Neutron-Network-ID': networkId,
    ...headers,
  });

  test('serves the socket with mode 0644', async () => {
    const info = await stat(join(dir, 'metadata_proxy'));
    assert.ok(info.isSocket());
    assert.equal(info.mode & 0o777, 0o644);
  });

  test("a VM's request reaches Nova signed, as its instance and project, and Nova's answer comes back", async () => {
    nova.seen.length = 0;
    const answer = await viaSocket(running[0]!.socketPath, '/openstack/latest/meta_data.json?x=1', fromVm());
    assert.equal(answer.status, 200);
    assert.equal(answer.contentType, 'application/json');
    assert.deepEqual(JSON.parse(answer.body), { uuid: INSTANCE, project_id: PROJECT });
    const [seen] = nova.seen;
    assert.equal(seen?.url, '/openstack/latest/meta_data.json?x=1');
    assert.equal(seen.headers['x-instance-id'], INSTANCE);
    assert.equal(seen.headers['x-tenant-id'], PROJECT);
    assert.equal(seen.headers['x-forwarded-for'], vmIp);
    assert.equal(seen.headers['x-instance-id-signature'], createHmac('sha256', SECRET).update(INSTANCE).digest('hex'));
    // Nothing of the proxy's own headers goes to Nova.
    assert.equal(seen.headers['x-neutron-network-id'], undefined);
  });

  test('identity headers a VM sends itself are neither trusted nor passed on; its own X-Forwarded-For entry is ignored', async () => {
    nova.seen.length = 0;
    const answer = await viaSocket(
      running[0]!.socketPath,
      '/latest/meta-data/instance-id',
      fromVm({
        'X-Instance-ID': 'someone-else',
        'X-Tenant-ID': 'another-project',
        'X-Instance-ID-Signature': createHmac('sha256', SECRET).update('someone-else').digest('hex'),
        'X-Auth-Token': 'vm-token',
        // haproxy appends the real address after whatever the VM sent
        'X-Forwarded-For': `10.77.0.250, ${vmIp}`,
      }),
    );
    assert.equal(answer.status, 200);
    assert.equal(answer.body, INSTANCE);
    const [seen] = nova.seen;
    assert.equal(seen?.headers['x-instance-id'], INSTANCE);
    assert.equal(seen.headers['x-tenant-id'], PROJECT);
    assert.equal(seen.headers['x-forwarded-for'], vmIp);
    assert.equal(seen.headers['x-auth-token'], undefined);
  });

  test('an absolute-form request target reaches Nova, not the host it names', async () => {
    nova.seen.length = 0;
    const answer = await viaSocket(running[0]!.socketPath, 'http://127.0.0.1:1/latest/meta-data/instance-id?a=b', fromVm());
    assert.equal(answer.status, 200);
    assert.equal(answer.body, INSTANCE);
    assert.equal(nova.seen[0]?.url, '/latest/meta-data/instance-id?a=b');
  });

  test('a POST body (the password) reaches Nova', async () => {
    nova.seen.length = 0;
    const answer = await viaSocket(running[0]!.socketPath, '/openstack/2013-04-04/password', fromVm(), 'POST', 'secret-password');
    assert.equal(answer.status, 200);
    assert.equal(nova.seen[0]?.method, 'POST');
    assert.equal(nova.seen[0].body, 'secret-password');
  });

  test('unknown address, both a network and a router id, a router without interfaces: 404, and Nova is not asked', async () => {
    nova.seen.length = 0;
    const socket = running[0]!.socketPath;
    const unknown = await viaSocket(socket, '/latest/meta-data/', fromVm({ 'X-Forwarded-For': '10.77.0.99' }));
    assert.equal(unknown.status, 404);
    assert.match(unknown.body, /^404 Not Found/);
    assert.equal((await viaSocket(socket, '/latest/meta-data/', fromVm({ 'X-Neutron-Router-ID': 'r-1' }))).status, 404);
    assert.equal((await viaSocket(socket, '/latest/meta-data/', { 'X-Forwarded-For': vmIp, 'X-Neutron-Router-ID': 'no-such-router' })).status, 404);
    assert.equal((await viaSocket(socket, '/latest/meta-data/', { 'X-Forwarded-For': vmIp })).status, 400);
    assert.equal(nova.seen.length, 0);
  });

  test('a burst of requests from one VM costs one get_ports call', async () => {
    // A VM not looked up before: the first lookup of its address is the burst's.
    const port = (await api.request('POST', '/v2.0/ports', { port: { network_id: networkId, device_id: 'burst-vm' } }, asProject(PROJECT))).body.port;
    const headers = fromVm({ 'X-Forwarded-For': port.fixed_ips[0].ip_address });
    const before = counter.calls();
    const answers = await Promise.all(Array.from({ length: 50 }, () => viaSocket(running[0]!.socketPath, '/latest/meta-data/instance-id', headers)));
    assert.ok(answers.every((a) => a.status === 200 && a.body === 'burst-vm'));
    assert.equal(counter.calls() - before, 1);
  });

  test("Nova does not know the instance remembered: the port is looked up afresh (its device changed within the cache's lifetime)", async () => {
    const owner = asProject(PROJECT);
    const port = (await api.request('POST', '/v2.0/ports', { port: { network_id: networkId, device_id: 'deleted-vm' } }, owner)).body.port;
    const headers = fromVm({ 'X-Forwarded-For': port.fixed_ips[0].ip_address });
    assert.equal((await viaSocket(running[0]!.socketPath, '/latest/meta-data/instance-id', headers)).status, 404);
    await api.request('PUT', `/v2.0/ports/${port.id}`, { port: { device_id: 'rebuilt-vm' } }, owner);
    const before = counter.calls();
    const answer = await viaSocket(running[0]!.socketPath, '/latest/meta-data/instance-id', headers);
    assert.equal(answer.status, 200);
    assert.equal(answer.body, 'rebuilt-vm');
    assert.equal(counter.calls() - before, 1); // the kept answer, then one fresh lookup
  });

  test('Nova down: a 503 that says so, the agent keeps running, the next request works once Nova is back', async () => {
    const port = nova.port;
    await nova.stop();
    const down = await viaSocket(running[0]!.socketPath, '/latest/meta-data/instance-id', fromVm());
    assert.equal(down.status, 503);
    assert.match(down.body, /remote metadata server is temporarily unavailable/);
    await nova.start(port);
    const back = await viaSocket(running[0]!.socketPath, '/latest/meta-data/instance-id', fromVm());
    assert.equal(back.status, 200);
    assert.equal(back.body, INSTANCE);
  });

  test('the server does not answer the lookup: a 503 that says so', async () => {
    // A bus on which every call times out, as when no server consumes q-plugin.
    const timingOut = new Proxy(agentBus, {
      get: (target, key) => (key === 'call' ? () => Promise.reject(new RpcTimeout('q-plugin', 'get_ports', 1)) : Reflect.get(target, key)),
    });
    const agent = await startMetadataAgent(settings({ socketPath: join(dir, 'no-server') }), timingOut, pino({ level: 'silent' }));
    running.push(agent);
    const answer = await viaSocket(agent.socketPath, '/latest/meta-data/instance-id', fromVm());
    assert.equal(answer.status, 503);
    assert.match(answer.body, /Neutron server did not answer the instance lookup/);
  });

  test('a wrong shared secret: Nova answers 403 and the VM gets it', async () => {
    const agent = await startMetadataAgent(
      settings({ socketPath: join(dir, 'wrong-secret'), nova: { ...settings().nova!, sharedSecret: 'not-the-secret' } }),
      agentBus,
      pino({ level: 'silent' }),
    );
    running.push(agent);
    assert.equal((await viaSocket(agent.socketPath, '/latest/meta-data/instance-id', fromVm())).status, 403);
  });

  test('no Nova configured: 404 with a JSON body saying no metadata service is configured', async () => {
    const { nova: _unused, ...withoutNova } = settings({ socketPath: join(dir, 'no-nova') });
    const agent = await startMetadataAgent(withoutNova, agentBus, pino({ level: 'silent' }));
    running.push(agent);
    const answer = await viaSocket(agent.socketPath, '/latest/meta-data/instance-id', fromVm());
    assert.equal(answer.status, 404);
    assert.equal(answer.contentType, 'application/json');
    const body = JSON.parse(answer.body) as { error: string; message: string };
    assert.equal(body.error, 'no_metadata_service');
    assert.match(body.message, /No metadata service is configured/);
  });

  test('a stale socket file is replaced at start; stop removes the socket', async () => {
    const path = join(dir, 'restart');
    const first = await startMetadataAgent(settings({ socketPath: path }), agentBus, pino({ level: 'silent' }));
    // An agent killed with -9 leaves its socket file: simulate by starting over it.
    const second = await startMetadataAgent(settings({ socketPath: path }), agentBus, pino({ level: 'silent' }));
    assert.equal((await viaSocket(path, '/latest/meta-data/instance-id', fromVm())).status, 200);
    await second.stop();
    await first.stop();
    await assert.rejects(stat(path));
  });

  test('reports itself as a Metadata agent', async () => {
    const agent = await startMetadataAgent(settings({ socketPath: join(dir, 'reporting'), reportIntervalMs: 60_000 }), agentBus, pino({ level: 'silent' }));
    running.push(agent);
    let listed: Record<string, unknown>[] = [];
    for (let i = 0; i < 100 && listed.length === 0; i++) {
      listed = (await api.request('GET', '/v2.0/agents?agent_type=Metadata+agent')).body.agents;
      if (listed.length === 0) await sleep(50);
    }
    assert.equal(listed.length, 1);
    const [reported] = listed;
    assert.equal(reported?.binary, 'neutron-metadata-agent');
    assert.equal(reported.host, 'md-host-1');
    assert.equal(reported.topic, 'N/A');
    assert.equal(reported.alive, true);
    assert.deepEqual(reported.configurations, {
      metadata_proxy_socket: join(dir, 'reporting'),
      nova_metadata_host: '127.0.0.1',
      nova_metadata_port: nova.port,
      log_agent_heartbeats: false,
    });
  });
});
