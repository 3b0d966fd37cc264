/**
 * The legacy `neutron` command (Debian's python3-neutronclient, which .ci/run
 * installs; deprecated upstream, but what older books and scripts use)
 * against a Nucleon server behind Keystone, found through the catalog as a
 * cloud's users find it (keystoneCloud.ts): networks, subnets, ports,
 * security groups, routers and floating IPs with the commands it still has.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';

import type { KeystoneUser } from '../helpers/keystone.js';
import { type KeystoneCloud, startKeystoneCloud } from './keystoneCloud.js';
import { described, type Finished, run } from './runCommand.js';

const NEUTRON = '/usr/bin/neutron';

let cloud: KeystoneCloud;

/** Runs `neutron ...args` as `user` (default demo) with that user's openrc environment. */
function neutron(args: readonly string[], user: KeystoneUser = 'demo'): Promise<Finished> {
  return run(NEUTRON, args, cloud.env(user));
}

/** A command that must succeed; returns its stdout. */
async function ok(args: readonly string[], user?: KeystoneUser): Promise<string> {
  const result = await neutron(args, user);
  assert.equal(result.code, 0, described('neutron', args, result));
  return result.stdout;
}

/** A `-f json` command that must succeed; returns what it printed. */
async function okJson<T>(args: readonly string[], user?: KeystoneUser): Promise<T> {
  return JSON.parse(await ok([...args, '-f', 'json'], user)) as T;
}

/** A command that must fail; returns its stderr. */
async function fails(args: readonly string[], user?: KeystoneUser): Promise<string> {
  const result = await neutron(args, user);
  assert.equal(result.code, 1, described('neutron', args, result));
  return result.stderr;
}

interface FixedIp {
  subnet_id: string;
  ip_address: string;
}
interface Network {
  id: string;
  name: string;
  status: string;
  project_id: string;
  tenant_id: string;
  subnets: string[];
  'router:external': boolean;
}
interface Subnet {
  id: string;
  name: string;
  network_id: string;
  cidr: string;
  gateway_ip: string;
  allocation_pools: { start: string; end: string }[];
  dns_nameservers: string[];
}
interface Port {
  id: string;
  name: string;
  network_id: string;
  mac_address: string;
  fixed_ips: FixedIp[];
  project_id: string;
}

before(async () => {
  assert.ok(existsSync(NEUTRON), `${NEUTRON} is missing: install python3-neutronclient (apt-get install python3-neutronclient, as .ci/run does)`);
  cloud = await startKeystoneCloud({ DEFAULT: { service_plugins: ['router'] } });
});

after(async () => {
  await cloud?.close();
});

describe('the neutron CLI against nucleon-server behind Keystone', () => {
  const ids: { network?: string; subnet?: string; port?: string; group?: string; router?: string; fip?: string } = {};

  it('neutron net-create n1, net-list, net-show: the network is the demo project\'s', async () => {
    const network = await okJson<Network>(['net-create', 'n1']);
    assert.equal(network.name, 'n1');
    assert.equal(network.status, 'ACTIVE');
    assert.equal(network.project_id, cloud.keystone.projectId('demo'));
    assert.equal(network.tenant_id, network.project_id);
    ids.network = network.id;
    const listed = await okJson<{ id: string; name: string }[]>(['net-list']);
    assert.deepEqual(listed.map((row) => [row.id, row.name]), [[network.id, 'n1']]);
    assert.equal((await okJson<Network>(['net-show', 'n1'])).id, network.id);
  });

  it('neutron subnet-create n1 10.0.0.0/24 --name s1 --dns-nameserver 192.0.2.53', async () => {
    const subnet = await okJson<Subnet>(['subnet-create', 'n1', '10.0.0.0/24', '--name', 's1', '--dns-nameserver', '192.0.2.53']);
    assert.equal(subnet.network_id, ids.network);
    assert.equal(subnet.cidr, '10.0.0.0/24');
    assert.equal(subnet.gateway_ip, '10.0.0.1');
    assert.deepEqual(subnet.allocation_pools, [{ start: '10.0.0.2', end: '10.0.0.254' }]);
    assert.deepEqual(subnet.dns_nameservers, ['192.0.2.53']);
    ids.subnet = subnet.id;
    const listed = await okJson<{ id: string; cidr: string }[]>(['subnet-list']);
    assert.deepEqual(listed.map((row) => [row.id, row.cidr]), [[subnet.id, '10.0.0.0/24']]);
  });

  it('neutron port-create n1 --name p1 --fixed-ip subnet_id=s1,ip_address=10.0.0.10, port-list, port-update', async () => {
    const port = await okJson<Port>(['port-create', 'n1', '--name', 'p1', '--fixed-ip', 'subnet_id=s1,ip_address=10.0.0.10']);
    assert.equal(port.network_id, ids.network);
    assert.deepEqual(port.fixed_ips, [{ subnet_id: ids.subnet, ip_address: '10.0.0.10' }]);
    assert.match(port.mac_address, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
    ids.port = port.id;
    const listed = await okJson<{ id: string; fixed_ips: FixedIp[] }[]>(['port-list']);
    assert.deepEqual(listed.map((row) => [row.id, row.fixed_ips[0]?.ip_address]), [[port.id, '10.0.0.10']]);
    assert.match(await ok(['port-update', 'p1', '--name', 'p1b']), /Updated port: p1/);
    const shown = await okJson<Port>(['port-show', port.id]);
    assert.equal(shown.name, 'p1b');
    const { body } = await cloud.api.request('GET', `/v2.0/ports/${port.id}`, undefined, { 'x-auth-token': (await cloud.keystone.login('demo')).token });
    assert.equal(body.port.name, 'p1b', 'the API shows what the CLI changed');
  });

  it('another project sees none of it: neutron net-show as alt_demo fails', async () => {
    assert.match(await fails(['net-show', ids.network!], 'alt_demo'), /Unable to find network/);
    assert.deepEqual(await okJson<unknown[]>(['net-list'], 'alt_demo'), []);
  });

  it('neutron subnet-delete s1 while a port uses it fails with Neutron\'s message', async () => {
    assert.match(await fails(['subnet-delete', 's1']), /One or more ports have an IP allocation from this subnet/);
  });

  it('neutron security-group-create sg1, security-group-rule-create, security-group-rule-list', async () => {
    const group = await okJson<{ id: string; name: string }>(['security-group-create', 'sg1']);
    assert.equal(group.name, 'sg1');
    ids.group = group.id;
    const rule = await okJson<{ id: string; protocol: string; port_range_min: number; direction: string }>([
      'security-group-rule-create', '--protocol', 'tcp', '--port-range-min', '22', '--port-range-max', '22', 'sg1',
    ]);
    assert.deepEqual([rule.protocol, rule.port_range_min, rule.direction], ['tcp', 22, 'ingress']);
    const rules = await okJson<{ id: string }[]>(['security-group-rule-list']);
    assert.ok(rules.some((row) => row.id === rule.id));
    assert.match(await ok(['port-update', 'p1b', '--security-group', 'sg1']), /Updated port/);
  });

  it('neutron router-create, router-interface-add, router-gateway-set (an admin\'s external network), floatingip-create', async () => {
    const external = await okJson<Network>(['net-create', 'public', '--router:external'], 'admin');
    assert.equal(external['router:external'], true);
    await okJson<Subnet>(['subnet-create', 'public', '172.24.4.0/24', '--name', 'public-v4', '--disable-dhcp'], 'admin');

    ids.router = (await okJson<{ id: string }>(['router-create', 'r1'])).id;
    assert.match(await ok(['router-interface-add', 'r1', 's1']), /Added interface .* to router r1/);
    const routerPorts = await okJson<{ fixed_ips: FixedIp[] }[]>(['router-port-list', 'r1']);
    assert.deepEqual(routerPorts.map((row) => row.fixed_ips[0]?.ip_address), ['10.0.0.1']);
    assert.match(await ok(['router-gateway-set', 'r1', 'public']), /Set gateway for router r1/);

    const fip = await okJson<{ id: string; floating_ip_address: string; port_id: string; router_id: string }>([
      'floatingip-create', 'public', '--port-id', ids.port!,
    ]);
    assert.match(fip.floating_ip_address, /^172\.24\.4\./);
    assert.deepEqual([fip.port_id, fip.router_id], [ids.port, ids.router]);
    ids.fip = fip.id;
    const listed = await okJson<{ id: string; floating_ip_address: string }[]>(['floatingip-list']);
    assert.deepEqual(listed.map((row) => [row.id, row.floating_ip_address]), [[fip.id, fip.floating_ip_address]]);
    assert.match(await ok(['floatingip-disassociate', fip.id]), /Disassociated floating IP/);
    assert.equal((await okJson<{ port_id: string | null }>(['floatingip-show', fip.id])).port_id, null);
  });

  it('neutron floatingip-delete, router-gateway-clear, router-interface-delete, router-delete, port-delete, security-group-delete, subnet-delete, net-delete', async () => {
    assert.match(await ok(['floatingip-delete', ids.fip!]), /Deleted floatingip/);
    assert.match(await ok(['router-gateway-clear', 'r1']), /Removed gateway from router r1/);
    assert.match(await ok(['router-interface-delete', 'r1', 's1']), /Removed interface from router r1/);
    assert.match(await ok(['router-delete', 'r1']), /Deleted router/);
    assert.match(await ok(['port-delete', 'p1b']), /Deleted port/);
    assert.match(await ok(['security-group-delete', 'sg1']), /Deleted security_group/);
    assert.match(await ok(['subnet-delete', 's1']), /Deleted subnet/);
    assert.match(await ok(['net-delete', 'n1']), /Deleted network/);
    const left = await okJson<{ name: string }[]>(['net-list']);
    assert.deepEqual(left.map((row) => row.name), ['public'], 'demo still sees the external network, as in Neutron');
    assert.match(await ok(['net-delete', 'public'], 'admin'), /Deleted network/);
    assert.match(await fails(['net-show', 'n1']), /Unable to find network with name or id 'n1'/);
  });
});
