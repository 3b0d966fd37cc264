/**
 * A list without a limit is read in batches of LIST_BATCH rows and written as
 * it is read. Against a real server on every database backend: 3000 ports
 * (several batches) come out byte for byte as the same list read in one
 * query (a single page of a larger limit, without its links), and as the
 * pages of a paginated walk joined, with fields, sorting, filters and a
 * project's view.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { LIST_BATCH } from '../../src/api/listBatches.js';
import { createTestDatabase, testDialects, type TestDatabase } from '../db/databases.js';
import { asProject, type Headers, type TestApi, startTestApi } from '../helpers/testApi.js';

const PORTS = 3000;
const BULK = 500;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions, not by types
type Json = Record<string, any>;

for (const dialect of testDialects()) {
  describe(`streamed lists on ${dialect}`, () => {
    let database: TestDatabase;
    let api: TestApi;
    let networkId: string;

    /** The body exactly as sent. */
    const text = async (path: string, headers: Headers = {}): Promise<string> => {
      const response = await fetch(`${api.url}${path}`, { headers });
      const body = await response.text();
      assert.equal(response.status, 200, `${path}: ${body.slice(0, 300)}`);
      return body;
    };

    /** The same list in one query: one page of a limit larger than the list, its links left out. */
    const inOneQuery = async (path: string, headers: Headers = {}): Promise<string> => {
      const page = JSON.parse(await text(`${path}${path.includes('?') ? '&' : '?'}limit=${10 * PORTS}`, headers)) as Json;
      return JSON.stringify({ ports: page.ports });
    };

    /** The pages of a walk by `next` links, joined. */
    const walked = async (path: string, limit: number, headers: Headers = {}): Promise<Json[]> => {
      const all: Json[] = [];
      let next: string | undefined = `${path}${path.includes('?') ? '&' : '?'}limit=${limit}`;
      while (next !== undefined) {
        const page = JSON.parse(await text(next, headers)) as Json;
        all.push(...(page.ports as Json[]));
        const href = (page.ports_links as Json[] | undefined)?.find((l) => l.rel === 'next')?.href as string | undefined;
        next = href === undefined ? undefined : href.slice(href.indexOf('/v2.0/'));
      }
      return all;
    };

    before(async () => {
      database = await createTestDatabase(dialect);
      api = await startTestApi(database.url);
      const network = await api.request('POST', '/v2.0/networks', { network: { name: 'streamed' } });
      assert.equal(network.status, 201);
      networkId = network.body.network.id;
      const project = network.body.network.project_id as string;
      assert.equal((await api.request('PUT', `/v2.0/quotas/${project}`, { quota: { port: -1 } })).status, 200);
      const subnet = await api.request('POST', '/v2.0/subnets', { subnet: { network_id: networkId, ip_version: 4, cidr: '10.40.0.0/20' } });
      assert.equal(subnet.status, 201);
      for (let made = 0; made < PORTS; made += BULK) {
        const ports = Array.from({ length: BULK }, (_, i) => ({ network_id: networkId, name: `p${(made + i) % 7}`, device_owner: (made + i) % 3 === 0 ? 'compute:nova' : '' }));
        const created = await api.request('POST', '/v2.0/ports', { ports });
        assert.equal(created.status, 201, JSON.stringify(created.body).slice(0, 300));
      }
      // A project's own network and ports, among the admin's.
      const p2 = asProject('p2');
      const own = await api.request('POST', '/v2.0/networks', { network: { name: 'p2' } }, p2);
      assert.equal(own.status, 201);
      await api.request('POST', '/v2.0/subnets', { subnet: { network_id: own.body.network.id, ip_version: 4, cidr: '10.50.0.0/24' } }, p2);
      for (let i = 0; i < 3; i++) assert.equal((await api.request('POST', '/v2.0/ports', { port: { network_id: own.body.network.id } }, p2)).status, 201);
    });
    after(async () => {
      await api?.close();
      await database?.drop();
    });

    test(`${PORTS} ports are more than two batches`, () => {
      assert.ok(PORTS > 2 * LIST_BATCH);
    });

    for (const query of ['', '?fields=id&fields=fixed_ips', '?sort_key=name&sort_dir=desc&sort_key=mac_address&sort_dir=asc', '?device_owner=compute:nova&fields=mac_address']) {
      test(`GET /v2.0/ports${query} is the list one query gives, and the pages of a walk joined`, async () => {
        const path = `/v2.0/ports${query}`;
        const streamed = await text(path);
        assert.equal(streamed, await inOneQuery(path));
        const ports = (JSON.parse(streamed) as Json).ports as Json[];
        assert.ok(ports.length >= PORTS / 3, `${ports.length} ports`);
        assert.deepEqual(await walked(path, 700), ports);
      });
    }

    test('a project sees its own ports only, streamed as in one query', async () => {
      const p2 = asProject('p2');
      const streamed = await text('/v2.0/ports', p2);
      assert.equal(streamed, await inOneQuery('/v2.0/ports', p2));
      assert.equal((JSON.parse(streamed) as Json).ports.length, 3);
    });

    test('a filter that matches nothing, and a list of one batch, are whole JSON', async () => {
      assert.equal(await text('/v2.0/ports?name=nobody'), '{"ports":[]}');
      const networks = await text('/v2.0/networks');
      assert.equal(networks, JSON.stringify({ networks: (JSON.parse(await text('/v2.0/networks?limit=100')) as Json).networks }));
    });
  });
}
