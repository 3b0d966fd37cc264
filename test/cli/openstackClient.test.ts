/**
 * The unmodified `openstack` command (Debian's python3-openstackclient, which
 * .ci/run installs) against `nucleon all-in-one`, with noauth: networks,
 * subnets and ports, then routers and floating IPs:
 *
 *   openstack --os-auth-type none --os-endpoint http://127.0.0.1:9696 network list
 *
 * (`OS_AUTH_TYPE=none OS_ENDPOINT=http://127.0.0.1:9696 openstack ...` is the
 * same.) openstacksdk asks GET / for the versions document and follows its
 * v2.0 link, so the endpoint is the server's root URL.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

import { freePort } from '../helpers/testApi.js';
import { described, type Finished, run } from './runCommand.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const OPENSTACK = '/usr/bin/openstack';

let dir: string;
let base: string;
let stopServer: (() => Promise<void>) | undefined;

/** Runs `openstack --os-auth-type none --os-endpoint <base> ...args` with no other OpenStack settings around it. */
function openstack(...args: string[]): Promise<Finished> {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('OS_')) env[key] = value;
  env['HOME'] = dir; // no ~/.config/openstack/clouds.yaml
  return run(OPENSTACK, ['--os-auth-type', 'none', '--os-endpoint', base, ...args], env, 30_000);
}

const show = (args: string[], r: Finished) => described('openstack', args, r);

/** What `-f json` prints for the resources, as far as the tests look. */
interface Network {
  id: string;
  name: string;
  status: string;
  admin_state_up: boolean;
  project_id: string;
  subnets: string[];
}
interface Subnet {
  id: string;
  name: string;
  network_id: string;
  cidr: string;
  ip_version: number;
  gateway_ip: string;
  enable_dhcp: boolean;
  allocation_pools: { start: string; end: string }[];
  dns_nameservers: string[];
}
interface FixedIp {
  subnet_id: string;
  ip_address: string;
}
interface Port {
  id: string;
  name: string;
  network_id: string;
  mac_address: string;
  fixed_ips: FixedIp[];
}
/** A row of `openstack port list -f json`. */
interface PortRow {
  ID: string;
  Name: string;
  'MAC Address': string;
  'Fixed IP Addresses': FixedIp[];
  Status: string;
}

/** Runs a command that must succeed; returns its stdout. */
async function ok(...args: string[]): Promise<string> {
  const result = await openstack(...args);
  assert.equal(result.code, 0, show(args, result));
  return result.stdout;
}

/** Runs a `-f json` command that must succeed; returns what it printed. */
async function okJson<T>(...args: string[]): Promise<T> {
  return JSON.parse(await ok(...args, '-f', 'json')) as T;
}

/** GET on the API itself, to check what the CLI did. */
async function get(path: string): Promise<{ status: number; body: Record<string, { name?: string } | undefined> }> {
  const response = await fetch(`${base}${path}`);
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, { name?: string }>) : {} };
}

before(async () => {
  assert.ok(existsSync(OPENSTACK), `${OPENSTACK} is missing: install python3-openstackclient (apt-get install python3-openstackclient, as .ci/run does)`);
  dir = await mkdtemp(join(tmpdir(), 'nucleon-openstack-'));
  const port = await freePort();
  const config = join(dir, 'neutron.conf');
  await writeFile(config, `[DEFAULT]\nbind_port = ${port}\n`);
  const env = { ...process.env };
  delete env['NUCLEON_DEBUG'];
  const server = spawn(process.execPath, [join(REPO, 'bin/nucleon.js'), 'all-in-one', '--api-only', '--state-dir', join(dir, 'state'), '--config-file', config], {
    cwd: REPO,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  server.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  server.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  let exited = false;
  const closed = new Promise<void>((resolve) =>
    server.once('close', () => {
      exited = true;
      resolve();
    }),
  );
  stopServer = async () => {
    if (!exited) {
      server.kill('SIGTERM');
      const timer = setTimeout(() => server.kill('SIGKILL'), 5000);
      await closed;
      clearTimeout(timer);
    }
  };
  const deadline = Date.now() + 20_000;
  while (!/^ready in \d+ ms$/m.test(output)) {
    if (exited) assert.fail(`nucleon all-in-one exited:\n${output}`);
    if (Date.now() > deadline) assert.fail(`nucleon all-in-one not ready after 20 s:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  base = `http://127.0.0.1:${port}`;
});

after(async () => {
  await stopServer?.();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('openstack CLI against nucleon all-in-one (noauth)', () => {
  const ids: { network?: string; subnet?: string; port?: string } = {};

  it('openstack network create n1', async () => {
    const network = await okJson<Network>('network', 'create', 'n1');
    assert.equal(network.name, 'n1');
    assert.equal(network.status, 'ACTIVE');
    assert.equal(network.admin_state_up, true);
    assert.equal(network.project_id, 'fake_project_id');
    assert.deepEqual(network.subnets, []);
    assert.match(network.id, /^[0-9a-f-]{36}$/);
    ids.network = network.id;
    assert.equal((await get(`/v2.0/networks/${network.id}`)).body['network']?.name, 'n1');
  });

  it('openstack subnet create --network n1 --subnet-range 10.0.0.0/24 s1', async () => {
    const subnet = await okJson<Subnet>('subnet', 'create', '--network', 'n1', '--subnet-range', '10.0.0.0/24', 's1');
    assert.equal(subnet.name, 's1');
    assert.equal(subnet.network_id, ids.network);
    assert.equal(subnet.cidr, '10.0.0.0/24');
    assert.equal(subnet.ip_version, 4);
    assert.equal(subnet.gateway_ip, '10.0.0.1');
    assert.equal(subnet.enable_dhcp, true);
    assert.deepEqual(subnet.allocation_pools, [{ start: '10.0.0.2', end: '10.0.0.254' }]);
    ids.subnet = subnet.id;
  });

  it('openstack port create --network n1 p1', async () => {
    const port = await okJson<Port>('port', 'create', '--network', 'n1', 'p1');
    assert.equal(port.name, 'p1');
    assert.equal(port.network_id, ids.network);
    assert.match(port.mac_address, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
    assert.equal(port.fixed_ips.length, 1);
    const [fixedIp] = port.fixed_ips;
    assert.ok(fixedIp);
    assert.equal(fixedIp.subnet_id, ids.subnet);
    assert.match(fixedIp.ip_address, /^10\.0\.0\.(\d+)$/);
    const last = Number(fixedIp.ip_address.split('.')[3]);
    assert.ok(last >= 2 && last <= 254, fixedIp.ip_address);
    ids.port = port.id;
  });

  it('openstack port list', async () => {
    const ports = await okJson<PortRow[]>('port', 'list');
    assert.equal(ports.length, 1);
    const [row] = ports;
    assert.ok(row);
    assert.equal(row.ID, ids.port);
    assert.equal(row.Name, 'p1');
    assert.match(row['MAC Address'], /^fa:16:3e/);
    assert.equal(row['Fixed IP Addresses'][0]?.subnet_id, ids.subnet);
  });

  it('openstack network show n1', async () => {
    const network = await okJson<Network>('network', 'show', 'n1');
    assert.equal(network.id, ids.network);
    assert.deepEqual(network.subnets, [ids.subnet]);
  });

  it('openstack subnet set --name s1b --dns-nameserver 192.0.2.53 s1', async () => {
    const output = await ok('subnet', 'set', '--name', 's1b', '--dns-nameserver', '192.0.2.53', 's1');
    assert.equal(output, '');
    const subnet = await okJson<Subnet>('subnet', 'show', 's1b');
    assert.equal(subnet.id, ids.subnet);
    assert.deepEqual(subnet.dns_nameservers, ['192.0.2.53']);
    assert.equal((await get(`/v2.0/subnets/${ids.subnet}`)).body['subnet']?.name, 's1b');
  });

  it('openstack subnet delete s1b while a port uses it fails with the 409 message', async () => {
    const args = ['subnet', 'delete', 's1b'];
    const result = await openstack(...args);
    assert.equal(result.code, 1, show(args, result));
    assert.match(result.stderr, /ConflictException: 409/);
    assert.match(result.stderr, /One or more ports have an IP allocation from this subnet/);
    assert.equal((await get(`/v2.0/subnets/${ids.subnet}`)).status, 200);
  });

  it('openstack port delete p1, subnet delete s1b, network delete n1', async () => {
    assert.equal(await ok('port', 'delete', 'p1'), '');
    assert.equal((await get(`/v2.0/ports/${ids.port}`)).status, 404);
    assert.equal(await ok('subnet', 'delete', 's1b'), '');
    assert.equal((await get(`/v2.0/subnets/${ids.subnet}`)).status, 404);
    assert.equal(await ok('network', 'delete', 'n1'), '');
    assert.equal((await get(`/v2.0/networks/${ids.network}`)).status, 404);

    const args = ['network', 'show', 'n1'];
    const gone = await openstack(...args);
    assert.equal(gone.code, 1, show(args, gone));
    assert.match(gone.stderr, /No Network found for n1/);
    assert.deepEqual(await okJson<unknown[]>('network', 'list'), []);
  });
});

describe('openstack router and floating ip commands against nucleon all-in-one (noauth)', () => {
  interface Router {
    id: string;
    external_gateway_info: { network_id: string; enable_snat: boolean; external_fixed_ips: FixedIp[] } | null;
    interfaces_info?: { port_id: string; subnet_id: string; ip_address: string }[];
  }
  interface FloatingIp {
    id: string;
    floating_ip_address: string;
    floating_network_id: string;
    port_id: string | null;
    fixed_ip_address: string | null;
    router_id: string | null;
    status: string;
  }
  const ids: { publicNet?: string; subnet?: string; port?: string; router?: string; fip?: string } = {};

  it('openstack network create --external public, subnet create --no-dhcp public-v4, and a tenant network n2 with s2', async () => {
    ids.publicNet = (await okJson<Network>('network', 'create', '--external', 'public')).id;
    await okJson<Subnet>('subnet', 'create', '--network', 'public', '--subnet-range', '172.24.4.0/24', '--no-dhcp', 'public-v4');
    await okJson<Network>('network', 'create', 'n2');
    ids.subnet = (await okJson<Subnet>('subnet', 'create', '--network', 'n2', '--subnet-range', '10.1.0.0/24', 's2')).id;
  });

  it('openstack router create r1, router set --external-gateway public r1, router add subnet r1 s2', async () => {
    ids.router = (await okJson<Router>('router', 'create', 'r1')).id;
    assert.equal(await ok('router', 'set', '--external-gateway', 'public', 'r1'), '');
    assert.equal(await ok('router', 'add', 'subnet', 'r1', 's2'), '');
    const router = await okJson<Router>('router', 'show', 'r1');
    assert.equal(router.external_gateway_info?.network_id, ids.publicNet);
    assert.equal(router.external_gateway_info?.enable_snat, true);
    assert.match(router.external_gateway_info?.external_fixed_ips[0]?.ip_address ?? '', /^172\.24\.4\./);
    assert.deepEqual(
      router.interfaces_info?.map((i) => [i.subnet_id, i.ip_address]),
      [[ids.subnet, '10.1.0.1']],
    );
  });

  it('openstack floating ip create --port p2 public, list, unset --port', async () => {
    ids.port = (await okJson<Port>('port', 'create', '--network', 'n2', 'p2')).id;
    const fip = await okJson<FloatingIp>('floating', 'ip', 'create', '--port', 'p2', 'public');
    ids.fip = fip.id;
    assert.match(fip.floating_ip_address, /^172\.24\.4\./);
    assert.deepEqual([fip.port_id, fip.router_id, fip.status], [ids.port, ids.router, 'DOWN']);
    const listed = await okJson<{ ID: string; 'Floating IP Address': string; Port: string }[]>('floating', 'ip', 'list');
    assert.deepEqual(
      listed.map((row) => [row.ID, row['Floating IP Address'], row.Port]),
      [[fip.id, fip.floating_ip_address, ids.port]],
    );
    const args = ['router', 'remove', 'subnet', 'r1', 's2'];
    const inUse = await openstack(...args);
    assert.equal(inUse.code, 1, show(args, inUse));
    assert.match(inUse.stderr, /cannot be deleted, as it is required by one or more floating IPs/);
    assert.equal(await ok('floating', 'ip', 'unset', '--port', fip.id), '');
    const unset = await okJson<FloatingIp>('floating', 'ip', 'show', fip.id);
    assert.deepEqual([unset.port_id, unset.fixed_ip_address, unset.router_id], [null, null, null]);
  });

  it('openstack floating ip delete, router remove subnet, router delete', async () => {
    assert.equal(await ok('floating', 'ip', 'delete', ids.fip!), '');
    assert.equal((await get(`/v2.0/floatingips/${ids.fip}`)).status, 404);
    assert.equal(await ok('router', 'remove', 'subnet', 'r1', 's2'), '');
    assert.equal(await ok('router', 'delete', 'r1'), '');
    assert.equal((await get(`/v2.0/routers/${ids.router}`)).status, 404);
  });
});
