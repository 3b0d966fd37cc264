/**
 * subnet-service-types over HTTP on every backend: subnets' `service_types`
 * (admin only, Neutron's refusals and messages, stored and shown, rewritten
 * on update with a new revision), and which subnet a port takes its address
 * from: one of its device owner's type first, else one without types, else
 * Neutron's 409.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createTestDatabase, testDialects, type TestDatabase } from '../db/databases.js';
import { asProject, type TestApi, startTestApi } from '../helpers/testApi.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions, not by types
type Json = Record<string, any>;

const ok = <T extends { status: number; body: Json }>(response: T, status = 200): T => {
  assert.equal(response.status, status, JSON.stringify(response.body));
  return response;
};

for (const dialect of testDialects()) {
  describe(`subnet service types on ${dialect}`, () => {
    let database: TestDatabase;
    let api: TestApi;
    const network = async () => ok(await api.request('POST', '/v2.0/networks', { network: { name: 'n' } }), 201).body.network.id as string;
    const subnet = (networkId: string, cidr: string, extra: Json = {}, headers: Json = {}) =>
      api.request('POST', '/v2.0/subnets', { subnet: { network_id: networkId, ip_version: 4, cidr, ...extra } }, headers);
    const portIn = async (networkId: string, deviceOwner: string) =>
      api.request('POST', '/v2.0/ports', { port: { network_id: networkId, device_owner: deviceOwner } });

    before(async () => {
      database = await createTestDatabase(dialect);
      api = await startTestApi(database.url);
    });
    after(async () => {
      await api?.close();
      await database?.drop();
    });

    test('is listed, stored, shown and rewritten on update with a new revision', async () => {
      const aliases = (ok(await api.request('GET', '/v2.0/extensions')).body.extensions as Json[]).map((e) => e.alias);
      assert.ok(aliases.includes('subnet-service-types'));
      const net = await network();
      const created = ok(await subnet(net, '10.50.0.0/24', { service_types: ['network:router_gateway', 'compute:nova'] }), 201).body.subnet;
      assert.deepEqual(created.service_types, ['network:router_gateway', 'compute:nova']);
      assert.deepEqual(ok(await api.request('GET', `/v2.0/subnets/${created.id}`)).body.subnet.service_types.sort(), ['compute:nova', 'network:router_gateway']);
      const plain = ok(await subnet(net, '10.51.0.0/24'), 201).body.subnet;
      assert.deepEqual(plain.service_types, []);

      const updated = ok(await api.request('PUT', `/v2.0/subnets/${created.id}`, { subnet: { service_types: ['network:floatingip_agent_gateway'] } })).body.subnet;
      assert.deepEqual(updated.service_types, ['network:floatingip_agent_gateway']);
      assert.ok(updated.revision_number > created.revision_number);
      const cleared = ok(await api.request('PUT', `/v2.0/subnets/${created.id}`, { subnet: { service_types: [] } })).body.subnet;
      assert.deepEqual(cleared.service_types, []);
    });

    test('refuses what is not a device owner; a project member may set them, as upstream never checks the admin-only rules', async () => {
      const net = await network();
      const refused = async (serviceTypes: unknown, type: string, message: string) => {
        const answer = await subnet(net, '10.52.0.0/24', { service_types: serviceTypes });
        assert.equal(answer.status, 400, JSON.stringify(answer.body));
        assert.deepEqual(answer.body.NeutronError.type, type);
        assert.equal(answer.body.NeutronError.message, message);
      };
      await refused(['foo:bar'], 'InvalidSubnetServiceType', 'Subnet service type foo:bar does not correspond to a valid device owner.');
      await refused(['network:dhcp', 'baremetal:none'], 'InvalidSubnetServiceType', 'Subnet service type baremetal:none does not correspond to a valid device owner.');
      // neutron-lib adds "compute:" to its prefixes character by character: what starts with one of them passes there, and here.
      assert.deepEqual(ok(await subnet(net, '10.54.0.0/24', { service_types: ['test:type_1', 'compute:nova', 'neutron:x'] }), 201).body.subnet.service_types, [
        'test:type_1',
        'compute:nova',
        'neutron:x',
      ]);
      await refused([7], 'InvalidInputSubnetServiceType', 'Subnet service type 7 is not a string.');
      await refused([`compute:${'x'.repeat(300)}`], 'InvalidInput', `Invalid input for operation: Subnet service type compute:${'x'.repeat(24)}... is longer than 255 characters.`);
      const projectNet = ok(await api.request('POST', '/v2.0/networks', { network: { name: 'p' } }, asProject('p1')), 201).body.network.id as string;
      const own = ok(await subnet(projectNet, '10.53.0.0/24', { service_types: ['compute:nova'] }, asProject('p1')), 201).body.subnet;
      assert.deepEqual(own.service_types, ['compute:nova']);
      ok(await api.request('PUT', `/v2.0/subnets/${own.id}`, { subnet: { service_types: [] } }, asProject('p1')));
    });

    test('a port takes its address from a subnet of its owner\'s type first, else from one without types, else 409', async () => {
      const net = await network();
      const typed = ok(await subnet(net, '10.60.0.0/24', { service_types: ['compute:nova'] }), 201).body.subnet.id as string;
      const untyped = ok(await subnet(net, '10.61.0.0/24'), 201).body.subnet.id as string;
      const subnetsOf = (port: Json) => (port.fixed_ips as Json[]).map((ip) => ip.subnet_id);
      assert.deepEqual(subnetsOf(ok(await portIn(net, 'compute:nova'), 201).body.port), [typed]);
      assert.deepEqual(subnetsOf(ok(await portIn(net, 'network:router_interface'), 201).body.port), [untyped]);

      const onlyTyped = await network();
      ok(await subnet(onlyTyped, '10.62.0.0/24', { service_types: ['network:router_gateway'] }), 201);
      const refused = await portIn(onlyTyped, 'compute:nova');
      assert.equal(refused.status, 409, JSON.stringify(refused.body));
      assert.equal(refused.body.NeutronError.type, 'IpAddressGenerationFailureNoMatchingSubnet');
    });
  });
}
