/**
 * openstacksdk (Debian's python3-openstacksdk, which .ci/run installs; run
 * with /usr/bin/python3, which has Debian's modules) against a Nucleon
 * server behind Keystone, found through the catalog (keystoneCloud.ts):
 * openstacksdk_scenario.py creates, lists, updates and deletes a network, a
 * subnet and a port as the demo user, and this test checks what it saw
 * against the API.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

import { type KeystoneCloud, startKeystoneCloud } from './keystoneCloud.js';
import { described, run } from './runCommand.js';

const PYTHON = '/usr/bin/python3';
const SCENARIO = join(fileURLToPath(new URL('.', import.meta.url)), 'openstacksdk_scenario.py');

interface Conflict {
  status: number;
  message: string;
}

/** What openstacksdk_scenario.py prints. */
interface Seen {
  endpoint: string;
  network: { id: string; name: string; description: string; project_id: string; is_admin_state_up: boolean; status: string; mtu: number };
  subnet: { id: string; network_id: string; cidr: string; gateway_ip: string; dns_nameservers: string[]; allocation_pools: { start: string; end: string }[] };
  port: { id: string; network_id: string; mac_address: string; fixed_ips: { subnet_id: string; ip_address: string }[]; project_id: string };
  networks: string[];
  networks_by_name: string[];
  subnets_of_network: string[];
  ports_of_network: [string, string[]][];
  found: string;
  updated_port_name: string;
  port_revision: number;
  delete_in_use: Conflict | string;
  duplicate_address: Conflict | string;
  after_delete: { networks: string[]; ports: string[]; get_network: string | null };
}

let cloud: KeystoneCloud;

before(async () => {
  assert.ok(existsSync(PYTHON), `${PYTHON} is missing`);
  const probe = await run(PYTHON, ['-c', 'import openstack'], process.env);
  assert.equal(probe.code, 0, `${PYTHON} cannot import openstack: install python3-openstacksdk (as .ci/run does)\n${probe.stderr}`);
  cloud = await startKeystoneCloud();
});

after(async () => {
  await cloud?.close();
});

describe('openstacksdk against nucleon-server behind Keystone', () => {
  it('creates, lists, updates and deletes a network, a subnet and a port, and gets Neutron\'s conflicts', async () => {
    const result = await run(PYTHON, [SCENARIO], cloud.env('demo'));
    assert.equal(result.code, 0, described(PYTHON, [SCENARIO], result));
    const seen = JSON.parse(result.stdout) as Seen;
    const demo = cloud.keystone.projectId('demo');

    assert.equal(seen.endpoint.replace(/\/(v2\.0\/?)?$/, ''), cloud.api.url, 'the network endpoint came from the catalog');

    assert.equal(seen.network.name, 'sdk-net');
    assert.equal(seen.network.description, 'made by openstacksdk');
    assert.equal(seen.network.project_id, demo);
    assert.deepEqual([seen.network.is_admin_state_up, seen.network.status, seen.network.mtu], [true, 'ACTIVE', 1500]);

    assert.equal(seen.subnet.network_id, seen.network.id);
    assert.deepEqual([seen.subnet.cidr, seen.subnet.gateway_ip], ['10.9.0.0/24', '10.9.0.1']);
    assert.deepEqual(seen.subnet.dns_nameservers, ['192.0.2.53']);
    assert.deepEqual(seen.subnet.allocation_pools, [{ start: '10.9.0.2', end: '10.9.0.254' }]);

    assert.equal(seen.port.network_id, seen.network.id);
    assert.equal(seen.port.project_id, demo);
    assert.deepEqual(seen.port.fixed_ips, [{ subnet_id: seen.subnet.id, ip_address: '10.9.0.10' }]);
    assert.match(seen.port.mac_address, /^fa:16:3e(:[0-9a-f]{2}){3}$/);

    assert.deepEqual(seen.networks, ['sdk-net']);
    assert.deepEqual(seen.networks_by_name, [seen.network.id]);
    assert.deepEqual(seen.subnets_of_network, ['10.9.0.0/24']);
    assert.deepEqual(seen.ports_of_network, [['sdk-port', ['10.9.0.10']]]);
    assert.equal(seen.found, seen.network.id);
    assert.equal(seen.updated_port_name, 'sdk-port-2');
    assert.equal(seen.port_revision, 1);

    assert.equal(typeof seen.delete_in_use, 'object', 'deleting a subnet in use fails');
    const inUse = seen.delete_in_use as Conflict;
    assert.equal(inUse.status, 409);
    assert.match(inUse.message, /One or more ports have an IP allocation from this subnet/);
    assert.equal(typeof seen.duplicate_address, 'object', 'an address in use is refused');
    const duplicate = seen.duplicate_address as Conflict;
    assert.equal(duplicate.status, 409);
    assert.match(duplicate.message, /The IP address 10\.9\.0\.10 is in use/);

    assert.deepEqual(seen.after_delete, { networks: [], ports: [], get_network: null });
    const token = (await cloud.keystone.login('demo')).token;
    const gone = await cloud.api.request('GET', `/v2.0/networks/${seen.network.id}`, undefined, { 'x-auth-token': token });
    assert.equal(gone.status, 404);
  });

  it('another project does not see the demo project\'s networks through the SDK', async () => {
    const made = await cloud.api.request('POST', '/v2.0/networks', { network: { name: 'demo-only' } }, { 'x-auth-token': (await cloud.keystone.login('demo')).token });
    assert.equal(made.status, 201);
    const script = 'import json, openstack; c = openstack.connect(); print(json.dumps([n.name for n in c.network.networks()]))';
    const asAlt = await run(PYTHON, ['-c', script], cloud.env('alt_demo'));
    assert.equal(asAlt.code, 0, described(PYTHON, ['-c', script], asAlt));
    assert.deepEqual(JSON.parse(asAlt.stdout), []);
    const asDemo = await run(PYTHON, ['-c', script], cloud.env('demo'));
    assert.deepEqual(JSON.parse(asDemo.stdout), ['demo-only']);
  });
});
