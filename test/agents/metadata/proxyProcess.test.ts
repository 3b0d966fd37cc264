/**
 * The metadata proxy for real: haproxy in a namespace, a client in a second
 * namespace across a veth, and an HTTP server on the Unix socket standing in
 * for the agent (it answers with the headers it received).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { ensureMetadataProxy, stopMetadataProxy, type MetadataProxySpec } from '../../../src/agents/metadata/proxyProcess.js';
import { runningPid } from '../../../src/host/daemon.js';
import { addNamespace, deleteNamespace, execInNamespace, IpRoute, namespacePids } from '../../../src/host/ip.js';
import { kernelSkip } from '../../helpers/kernel.js';

const skip = await kernelSkip(['ip', 'haproxy', 'curl']);

const tag = `mdp${process.pid % 100000}`;
const proxyNs = `${tag}-px`;
const vmNs = `${tag}-vm`;
let dir = '';
let agent: Server | undefined;
let spec: MetadataProxySpec;

before(async () => {
  if (skip) return;
  dir = await mkdtemp(join(tmpdir(), 'nucleon-mdproxy-'));
  const socketPath = join(dir, 'metadata_proxy');
  agent = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ url: req.url, headers: req.headers }));
  });
  await new Promise<void>((resolve) => agent!.listen(socketPath, resolve));
  await addNamespace(proxyNs);
  await addNamespace(vmNs);
  await new IpRoute(proxyNs).batch([
    `link add ${tag}a type veth peer name ${tag}b netns ${vmNs}`,
    `address add 169.254.169.254/16 dev ${tag}a`,
    `link set ${tag}a up`,
  ]);
  await new IpRoute(vmNs).batch([`address add 169.254.10.20/16 dev ${tag}b`, `link set ${tag}b up`]);
  spec = {
    netns: proxyNs,
    owner: { kind: 'network', id: 'net-under-test' },
    bindAddress: '169.254.169.254',
    bindPort: 80,
    socketPath,
    stateDir: join(dir, 'proxies'),
  };
});

after(async () => {
  if (skip) return;
  await stopMetadataProxy(spec).catch(() => undefined);
  for (const ns of [proxyNs, vmNs]) {
    for (const pid of await namespacePids(ns).catch(() => [])) process.kill(pid, 'SIGKILL');
    await deleteNamespace(ns).catch(() => undefined);
  }
  await new Promise<void>((resolve) => (agent ? agent.close(() => resolve()) : resolve()));
  await rm(dir, { recursive: true, force: true });
});

async function fetchFromVm(path: string, headers: readonly string[] = []): Promise<{ url: string; headers: Record<string, string> }> {
  const args = ['--noproxy', '*', '-sS', '--max-time', '5', ...headers.flatMap((h) => ['-H', h]), `http://169.254.169.254${path}`];
  return JSON.parse(await execInNamespace(vmNs, 'curl', args)) as { url: string; headers: Record<string, string> };
}

test('the proxy forwards a VM request to the socket with the network id and the VM address, and drops a spoofed router id', { skip }, async () => {
  assert.equal(await ensureMetadataProxy(spec), 'started');
  const seen = await fetchFromVm('/latest/meta-data/instance-id?x=1', ['X-Neutron-Router-ID: spoofed-router', 'X-Neutron-Network-ID: spoofed-net']);
  assert.equal(seen.url, '/latest/meta-data/instance-id?x=1');
  assert.equal(seen.headers['x-neutron-network-id'], 'net-under-test');
  assert.equal(seen.headers['x-neutron-router-id'], undefined);
  assert.equal(seen.headers['x-forwarded-for'], '169.254.10.20');
});

test('a second ensure adopts the running proxy; a changed config restarts it', { skip }, async () => {
  const pidFile = join(spec.stateDir, `${spec.owner.id}.pid`);
  const marker = join(spec.stateDir, `${spec.owner.id}.conf`);
  const first = await runningPid({ pidFile, marker });
  assert.ok(first !== undefined);
  assert.equal(await ensureMetadataProxy(spec), 'running');
  assert.equal(await runningPid({ pidFile, marker }), first);

  const moved = { ...spec, bindPort: 8080 };
  assert.equal(await ensureMetadataProxy(moved), 'started');
  const second = await runningPid({ pidFile, marker });
  assert.ok(second !== undefined && second !== first);
  assert.match(await readFile(marker, 'utf8'), /bind 169\.254\.169\.254:8080/);
  assert.equal(await ensureMetadataProxy(spec), 'started');
});

test('stopMetadataProxy leaves no haproxy in the namespace and no files', { skip }, async () => {
  await stopMetadataProxy(spec);
  assert.deepEqual(await namespacePids(proxyNs), []);
  await assert.rejects(readFile(join(spec.stateDir, `${spec.owner.id}.conf`), 'utf8'));
  await stopMetadataProxy(spec); // stopping twice is fine
});
