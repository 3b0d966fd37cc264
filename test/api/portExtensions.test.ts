/**
 * port-device-profile and port-numa-affinity-policy over HTTP on every
 * backend: listed as neutron-lib names them, the attributes' defaults,
 * who may change them and when, and Neutron's 400s for bad values.
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
