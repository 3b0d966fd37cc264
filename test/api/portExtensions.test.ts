/**
 * port-device-profile, port-numa-affinity-policy and port-mac-override over
 * HTTP on every backend: listed as neutron-lib names them, the attributes'
 * defaults, who may change them and when, Neutron's 400s for bad values,
 * and the MAC a direct-physical port takes when it is bound.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createTestDatabase, testDialects, type TestDatabase } from '../db/databases.js';
import { asProject, type TestApi, startTestApi } from '../helpers/testApi.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions, not by types
type Json = Record<string, any>;

const p1 = asProject('p1');

for (const dialect of testDialects()) {
  describe(`port device profile and NUMA affinity policy on ${dialect}`, () => {
    let database: TestDatabase;
    let api: TestApi;
    let networkId: string;

    before(async () => {
      database = await createTestDatabase(dialect);
      api = await startTestApi(database.url);
      const created = await api.request('POST', '/v2.0/networks', { network: { name: 'n' } }, p1);
      assert.equal(created.status, 201, JSON.stringify(created.body));
      networkId = created.body.network.id;
    });
    after(async () => {
      await api?.close();
      await database?.drop();
    });

    const createPort = (body: Json) => api.request('POST', '/v2.0/ports', { port: { network_id: networkId, ...body } }, p1);
    const updatePort = (id: string, body: Json) => api.request('PUT', `/v2.0/ports/${id}`, { port: body }, p1);
    const created = async (body: Json): Promise<Json> => {
      const response = await createPort(body);
      assert.equal(response.status, 201, JSON.stringify(response.body));
      return response.body.port;
    };
    const refusal = (response: { status: number; body: Json }) => [response.status, response.body.NeutronError?.type, response.body.NeutronError?.message];

    test("both extensions are listed with neutron-lib's names, descriptions and dates", async () => {
      const extensions = new Map(((await api.request('GET', '/v2.0/extensions')).body.extensions as Json[]).map((e) => [e.alias, e]));
      assert.deepEqual(extensions.get('port-device-profile'), {
        alias: 'port-device-profile',
        name: 'Port device profile',
        description: 'Expose the port device profile (Cyborg)',
        updated: '2020-12-17T10:00:00-00:00',
        links: [],
      });
      assert.deepEqual(extensions.get('port-numa-affinity-policy'), {
        alias: 'port-numa-affinity-policy',
        name: 'Port NUMA affinity policy',
        description: 'Expose the port NUMA affinity policy',
        updated: '2020-07-08T10:00:00-00:00',
        links: [],
      });
    });

    test('a port without them shows both as null; given on create, they are kept and shown', async () => {
      const plain = await created({});
      assert.equal(plain.device_profile, null);
      assert.equal(plain.numa_affinity_policy, null);
      const port = await created({ device_profile: 'gpu-profile', numa_affinity_policy: 'required' });
      assert.equal(port.device_profile, 'gpu-profile');
      assert.equal(port.numa_affinity_policy, 'required');
      const shown = (await api.request('GET', `/v2.0/ports/${port.id}`, undefined, p1)).body.port;
      assert.deepEqual([shown.device_profile, shown.numa_affinity_policy], ['gpu-profile', 'required']);
      const listed = (await api.request('GET', `/v2.0/ports?fields=id&fields=device_profile&fields=numa_affinity_policy`, undefined, p1)).body.ports as Json[];
      assert.deepEqual(listed.find((p) => p.id === port.id), { id: port.id, device_profile: 'gpu-profile', numa_affinity_policy: 'required' });
      const nulls = await created({ device_profile: null, numa_affinity_policy: null });
      assert.deepEqual([nulls.device_profile, nulls.numa_affinity_policy], [null, null]);
    });

    test('numa_affinity_policy changes on update, back to null too; device_profile is set on create only', async () => {
      const port = await created({ device_profile: 'dp1' });
      for (const policy of ['preferred', 'legacy', null, 'required']) {
        const updated = await updatePort(port.id, { numa_affinity_policy: policy });
        assert.equal(updated.status, 200, JSON.stringify(updated.body));
        assert.equal(updated.body.port.numa_affinity_policy, policy);
        assert.equal(updated.body.port.device_profile, 'dp1');
      }
      assert.equal((await api.request('GET', `/v2.0/ports/${port.id}`, undefined, p1)).body.port.numa_affinity_policy, 'required');
      assert.deepEqual(refusal(await updatePort(port.id, { device_profile: 'dp2' })), [
        400,
        'HTTPBadRequest',
        'Cannot update read-only attribute device_profile',
      ]);
    });

    test("bad values get Neutron's 400 and create nothing", async () => {
      const before = ((await api.request('GET', '/v2.0/ports?fields=id', undefined, p1)).body.ports as Json[]).length;
      assert.deepEqual(refusal(await createPort({ numa_affinity_policy: 'socket' })), [
        400,
        'HTTPBadRequest',
        'Invalid input for numa_affinity_policy. Reason: socket is not in valid_values.',
      ]);
      assert.deepEqual(refusal(await createPort({ numa_affinity_policy: 1 })), [
        400,
        'HTTPBadRequest',
        'Invalid input for numa_affinity_policy. Reason: 1 is not in valid_values.',
      ]);
      assert.deepEqual(refusal(await createPort({ device_profile: 5 })), [
        400,
        'HTTPBadRequest',
        "Invalid input for device_profile. Reason: '5' is not a valid string.",
      ]);
      assert.deepEqual(refusal(await createPort({ device_profile: 'x'.repeat(256) })), [
        400,
        'HTTPBadRequest',
        `Invalid input for device_profile. Reason: '${'x'.repeat(256)}' exceeds maximum length of 255.`,
      ]);
      const port = await created({ device_profile: 'x'.repeat(255) });
      assert.deepEqual(refusal(await updatePort(port.id, { numa_affinity_policy: 'nearest' })), [
        400,
        'HTTPBadRequest',
        'Invalid input for numa_affinity_policy. Reason: nearest is not in valid_values.',
      ]);
      assert.equal(((await api.request('GET', '/v2.0/ports?fields=id', undefined, p1)).body.ports as Json[]).length, before + 1);
    });

    test("port-mac-override: binding a direct-physical port gives it the profile's device_mac_address, else a fresh MAC", async () => {
      const extension = (await api.request('GET', '/v2.0/extensions/port-mac-override')).body.extension;
      assert.deepEqual(extension, {
        alias: 'port-mac-override',
        name: 'Neutron Port MAC address override',
        description: 'Allow overriding the MAC address of a direct-physical Port via the active binding profile',
        updated: '2022-03-18T10:00:00-00:00',
        links: [],
      });
      const admin = {};
      const adminPort = async (body: Json) => {
        const response = await api.request('POST', '/v2.0/ports', { port: { network_id: networkId, ...body } }, admin);
        assert.equal(response.status, 201, JSON.stringify(response.body));
        return response.body.port as Json;
      };
      const adminUpdate = (id: string, body: Json) => api.request('PUT', `/v2.0/ports/${id}`, { port: body }, admin);
      const physical = { 'binding:vnic_type': 'direct-physical', 'binding:host_id': 'compute1' };

      // Created bound: the device's MAC, whatever mac_address said.
      const created = await adminPort({ ...physical, mac_address: 'fa:16:3e:00:00:aa', 'binding:profile': { device_mac_address: 'AA:BB:CC:00:00:01' } });
      assert.equal(created.mac_address, 'aa:bb:cc:00:00:01');
      // Without a device MAC: a fresh one from base_mac, not the one asked for.
      const fresh = await adminPort({ ...physical, mac_address: 'fa:16:3e:00:00:ab' });
      assert.notEqual(fresh.mac_address, 'fa:16:3e:00:00:ab');
      assert.match(fresh.mac_address, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
      // Not bound (no host), or not direct-physical: the MAC stays as asked.
      assert.equal((await adminPort({ 'binding:vnic_type': 'direct-physical', mac_address: 'fa:16:3e:00:00:ac', 'binding:profile': { device_mac_address: 'aa:bb:cc:00:00:02' } })).mac_address, 'fa:16:3e:00:00:ac');
      assert.equal((await adminPort({ 'binding:host_id': 'compute1', mac_address: 'fa:16:3e:00:00:ad', 'binding:profile': { device_mac_address: 'aa:bb:cc:00:00:03' } })).mac_address, 'fa:16:3e:00:00:ad');

      // Bound later, or to another device (a new profile): the device's MAC.
      const later = await adminPort({ 'binding:vnic_type': 'direct-physical', 'binding:profile': { device_mac_address: 'aa:bb:cc:00:00:04' } });
      const bound = await adminUpdate(later.id, { 'binding:host_id': 'compute1' });
      assert.equal(bound.status, 200, JSON.stringify(bound.body));
      assert.equal(bound.body.port.mac_address, 'aa:bb:cc:00:00:04');
      const moved = await adminUpdate(later.id, { 'binding:profile': { device_mac_address: 'aa:bb:cc:00:00:05' } });
      assert.equal(moved.status, 200, JSON.stringify(moved.body));
      assert.equal(moved.body.port.mac_address, 'aa:bb:cc:00:00:05');

      // A device MAC another port of the network has, or one that is no MAC: refused, nothing changes.
      const taken = await adminUpdate(later.id, { 'binding:profile': { device_mac_address: 'aa:bb:cc:00:00:01' } });
      assert.deepEqual([taken.status, taken.body.NeutronError.type], [409, 'MacAddressInUse']);
      assert.deepEqual(refusal(await adminUpdate(later.id, { 'binding:profile': { device_mac_address: 'nope' } })), [
        400,
        'InvalidInput',
        "Invalid input for operation: 'nope' is not a valid MAC address.",
      ]);
      assert.equal((await api.request('GET', `/v2.0/ports/${later.id}`, undefined, admin)).body.port.mac_address, 'aa:bb:cc:00:00:05');
    });

    test('neither is a list filter (filter validation refuses them)', async () => {
      for (const key of ['device_profile', 'numa_affinity_policy']) {
        assert.deepEqual(refusal(await api.request('GET', `/v2.0/ports?${key}=x`, undefined, p1)), [
          400,
          'HTTPBadRequest',
          `['${key}'] is invalid attribute for filtering`,
        ]);
      }
    });
  });
}
