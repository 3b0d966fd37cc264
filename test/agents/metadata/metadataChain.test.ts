/**
 * The whole metadata chain for real: a "VM" namespace with its port's
 * address asks http://169.254.169.254 (routed via the DHCP port's address,
 * as option 121 tells a VM); haproxy from ensureMetadataProxy in the
 * "qdhcp" namespace forwards to the agent's Unix socket; the agent asks the
 * server (RabbitMQ) which instance that is and forwards, signed, to a Nova
 * test double that checks the signature and says who asked.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { pino } from 'pino';

import { ensureMetadataProxy, stopMetadataProxy, type MetadataProxySpec } from '../../../src/agents/metadata/proxyProcess.js';
import { addNamespace, deleteNamespace, execInNamespace, IpRoute, namespacePids } from '../../../src/host/ip.js';
import type { Bus } from '../../../src/rpc/bus.js';
import { openBus } from '../../../src/rpc/connect.js';
import { startMetadataAgent, type RunningMetadataAgent } from '../../../src/server/metadataAgent.js';
import { createTestDatabase, type TestDatabase } from '../../db/databases.js';
import { kernelSkip } from '../../helpers/kernel.js';
import { asProject, startTestApi, type TestApi } from '../../helpers/testApi.js';
import { createTestVhost, recordingLogger, type TestVhost } from '../../rpc/helpers.js';

const skip = await kernelSkip(['ip', 'haproxy', 'curl', 'rabbitmqctl']);

const SECRET = 'chain-secret';
const PROJECT = 'c0ffee00c0ffee00c0ffee00c0ffee00';
const INSTANCE = '0b7e2a3c-2222-4d5e-8f90-a1b2c3d4e5f6';
const VM_IP = '10.79.0.10';
const DHCP_IP = '10.79.0.2';

const tag = `mdc${process.pid % 100000}`;
const qdhcp = `${tag}-qdhcp`;
const vm = `${tag}-vm`;

let dir = '';
let vhost: TestVhost | undefined;
let database: TestDatabase | undefined;
let api: TestApi | undefined;
let bus: Bus | undefined;
let agent: RunningMetadataAgent | undefined;
let novaServer: Server | undefined;
let spec: MetadataProxySpec | undefined;
const novaSaw: IncomingHttpHeaders[] = [];

before(async () => {
  if (skip) return;
  dir = await mkdtemp(join(tmpdir(), 'nucleon-mdchain-'));
  vhost = await createTestVhost();
  database = await createTestDatabase('sqlite');
  api = await startTestApi(database.url, { DEFAULT: { transport_url: vhost.url } });
  bus = await openBus(vhost.url, { retryIntervalMs: 200, retryBackoffMs: 100, intervalMaxMs: 1000 }, recordingLogger());

  novaServer = createServer((req, res) => {
    novaSaw.push(req.headers);
    const id = String(req.headers['x-instance-id']);
    const ok = req.headers['x-instance-id-signature'] === createHmac('sha256', SECRET).update(id).digest('hex');
    res.writeHead(ok ? 200 : 403, { 'content-type': 'text/plain' }).end(ok ? id : 'Invalid proxy request signature.');
  });
  await new Promise<void>((resolve) => novaServer!.listen(0, '127.0.0.1', resolve));

  const owner = asProject(PROJECT);
  const network = (await api.request('POST', '/v2.0/networks', { network: { name: 'chain-net' } }, owner)).body.network;
  const subnet = (await api.request('POST', '/v2.0/subnets', { subnet: { network_id: network.id, cidr: '10.79.0.0/24', ip_version: 4 } }, owner)).body.subnet;
  await api.request('POST', '/v2.0/ports', { port: { network_id: network.id, device_id: INSTANCE, device_owner: 'compute:nova', fixed_ips: [{ subnet_id: subnet.id, ip_address: VM_IP }] } }, owner);

  agent = await startMetadataAgent(
    {
      host: 'chain-host',
      availabilityZone: 'nova',
      socketPath: join(dir, 'metadata_proxy'),
      socketMode: 0o644,
      backlog: 128,
      workers: 0,
      nova: { protocol: 'http', host: '127.0.0.1', port: (novaServer.address() as AddressInfo).port, sharedSecret: SECRET, insecure: false, timeoutMs: 5_000 },
      lookupCacheMs: 5_000,
      reportIntervalMs: 0,
      logAgentHeartbeats: false,
    },
    bus,
    pino({ level: 'silent' }),
  );

  // The qdhcp namespace: the DHCP port's address and 169.254.169.254, as the DHCP agent sets it up.
  await addNamespace(qdhcp);
  await addNamespace(vm);
  await new IpRoute(qdhcp).batch([
    `link add ${tag}d type veth peer name ${tag}v netns ${vm}`,
    `address add ${DHCP_IP}/24 dev ${tag}d`,
    `address add 169.254.169.254/32 dev ${tag}d`,
    `link set ${tag}d up`,
  ]);
  await new IpRoute(vm).batch([`address add ${VM_IP}/24 dev ${tag}v`, `link set ${tag}v up`, `route add 169.254.169.254/32 via ${DHCP_IP}`]);
  spec = { netns: qdhcp, owner: { kind: 'network', id: network.id }, bindAddress: '169.254.169.254', bindPort: 80, socketPath: agent.socketPath, stateDir: join(dir, 'ns-metadata-proxy') };
  assert.equal(await ensureMetadataProxy(spec), 'started');
});

after(async () => {
  if (skip) return;
  if (spec) await stopMetadataProxy(spec).catch(() => undefined);
  for (const ns of [qdhcp, vm]) {
    for (const pid of await namespacePids(ns).catch(() => [])) process.kill(pid, 'SIGKILL');
    await deleteNamespace(ns).catch(() => undefined);
  }
  await agent?.stop().catch(() => undefined);
  if (novaServer) {
    novaServer.closeAllConnections();
    await new Promise<void>((resolve) => novaServer!.close(() => resolve()));
  }
  await bus?.close();
  await api?.close();
  await database?.drop();
  await vhost?.drop();
  await rm(dir, { recursive: true, force: true });
});

const curl = (path: string, headers: readonly string[] = []): Promise<string> =>
  execInNamespace(vm, 'curl', ['--noproxy', '*', '-sS', '--max-time', '10', '-w', '\n%{http_code}', ...headers.flatMap((h) => ['-H', h]), `http://169.254.169.254${path}`]);

test('a VM gets its own instance id from 169.254.169.254 through haproxy, the agent and Nova', { skip }, async () => {
  novaSaw.length = 0;
  assert.equal(await curl('/latest/meta-data/instance-id'), `${INSTANCE}\n200`);
  assert.equal(novaSaw[0]?.['x-forwarded-for'], VM_IP);
  assert.equal(novaSaw[0]['x-tenant-id'], PROJECT);
});

test('a VM that claims a router and another instance still gets only its own data', { skip }, async () => {
  novaSaw.length = 0;
  const answer = await curl('/latest/meta-data/instance-id', [
    'X-Neutron-Router-ID: some-router',
    'X-Neutron-Network-ID: some-other-network',
    'X-Instance-ID: someone-else',
    `X-Forwarded-For: 10.79.0.99`,
  ]);
  assert.equal(answer, `${INSTANCE}\n200`);
  assert.equal(novaSaw[0]?.['x-instance-id'], INSTANCE);
  assert.equal(novaSaw[0]['x-forwarded-for'], VM_IP);
});

test('a VM cannot point the signed request at another host with its request target', { skip }, async () => {
  // Sent to 127.0.0.1:1 the request would fail (503); haproxy refuses `//host` itself (400), the agent keeps Nova's host for the rest.
  for (const target of ['//127.0.0.1:1/latest/meta-data/instance-id', 'http://127.0.0.1:1/latest/meta-data/instance-id']) {
    novaSaw.length = 0;
    const answer = await curl('/', ['--request-target', target]);
    const status = answer.slice(answer.lastIndexOf('\n') + 1);
    assert.ok(status === '400' || answer === `${INSTANCE}\n200`, `${target}: ${answer}`);
    assert.equal(novaSaw.length, status === '400' ? 0 : 1, target);
  }
});

test('stopping the proxy leaves no process in the namespace, and the VM gets no answer', { skip }, async () => {
  await stopMetadataProxy(spec!);
  assert.deepEqual(await namespacePids(qdhcp), []);
  await assert.rejects(curl('/latest/meta-data/instance-id'));
});
