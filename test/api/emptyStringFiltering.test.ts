/**
 * empty-string-filtering over HTTP on every backend: an empty filter value
 * asks for the empty string (it used to be ignored), on stored columns,
 * tags and the availability zones; values that cannot be empty get
 * Neutron's 400.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createTestDatabase, testDialects, type TestDatabase } from '../db/databases.js';
import { asProject, type TestApi, startTestApi } from '../helpers/testApi.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions, not by types
type Json = Record<string, any>;

const p1 = asProject('p1');

for (const dialect of testDialects()) {
  describe(`empty-string filtering on ${dialect}`, () => {
    let database: TestDatabase;
    let api: TestApi;
    const ids = new Map<string, string>();

    before(async () => {
      database = await createTestDatabase(dialect);
      api = await startTestApi(database.url);
      for (const [name, description] of [['', 'blank'], ['x', ''], ['y', 'why']] as const) {
        const created = await api.request('POST', '/v2.0/networks', { network: { name, description } }, p1);
        assert.equal(created.status, 201, JSON.stringify(created.body));
        ids.set(name, created.body.network.id);
      }
      assert.equal((await api.request('PUT', `/v2.0/networks/${ids.get('y')}/tags/red`, undefined, p1)).status, 201);
    });
    after(async () => {
      await api?.close();
      await database?.drop();
    });

    const names = async (query: string): Promise<string[]> => {
      const response = await api.request('GET', `/v2.0/networks?${query}`, undefined, p1);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return (response.body.networks as Json[]).map((n) => n.name as string).sort();
    };
    const refusal = async (path: string) => {
      const response = await api.request('GET', path, undefined, p1);
      return [response.status, response.body.NeutronError?.type, response.body.NeutronError?.message];
    };

    test("the extension is listed with neutron-lib's name and date", async () => {
      const extensions = new Map(((await api.request('GET', '/v2.0/extensions')).body.extensions as Json[]).map((e) => [e.alias, e]));
      assert.deepEqual(extensions.get('empty-string-filtering'), {
        alias: 'empty-string-filtering',
        name: 'Empty String Filtering Extension',
        description: 'Allow filtering by attributes with empty string value',
        updated: '2018-05-01T10:00:00-00:00',
        links: [],
      });
    });

    test('?name= matches empty names only; with another value, either', async () => {
      assert.deepEqual(await names('name='), ['']);
      assert.deepEqual(await names('name=&name=y'), ['', 'y']);
      assert.deepEqual(await names('description='), ['x']);
      assert.deepEqual(await names('name=&description='), []);
      assert.deepEqual(await names('fields=name&fields=&marker='), ['', 'x', 'y'], 'paging and field keys are not filters');
    });

    test('an empty tag is a tag to match; an empty not-tags excludes nothing', async () => {
      assert.deepEqual(await names('tags='), []);
      assert.deepEqual(await names('tags-any=red,'), ['y']);
      assert.deepEqual(await names('not-tags='), ['', 'x', 'y']);
    });

    test("an empty value that cannot be converted is Neutron's 400", async () => {
      assert.deepEqual(await refusal('/v2.0/networks?admin_state_up='), [400, 'InvalidInput', "Invalid input for operation: '' cannot be converted to boolean."]);
      assert.deepEqual(await refusal('/v2.0/networks?shared='), [400, 'InvalidInput', "Invalid input for operation: '' cannot be converted to boolean."]);
      assert.deepEqual(await refusal('/v2.0/networks?mtu='), [400, 'InvalidInput', "Invalid input for operation: '' is not an integer."]);
      assert.deepEqual(await refusal('/v2.0/networks?changed_since='), [
        400,
        'InvalidInput',
        'Invalid input for operation: The input changed_since must be in the following format: YYYY-MM-DDTHH:MM:SSZ.',
      ]);
    });

    test('network IP availabilities: ?network_name= asks for networks named ""', async () => {
      const listed = async (query: string) =>
        ((await api.request('GET', `/v2.0/network-ip-availabilities?${query}`)).body.network_ip_availabilities as Json[]).map((n) => n.network_id as string);
      assert.deepEqual(await listed('network_name='), [ids.get('')]);
      assert.deepEqual((await listed('network_name=&network_name=x')).sort(), [ids.get(''), ids.get('x')].sort());
    });

    test('availability zones: ?name= asks for a zone named "" (there is none)', async () => {
      const zones = await api.request('GET', '/v2.0/availability_zones?name=', undefined, p1);
      assert.deepEqual([zones.status, zones.body.availability_zones], [200, []]);
    });
  });
}
