/**
 * Networks, discovery, extensions, tags, revisions, pagination and errors
 * over HTTP against a real server, on every database backend.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createTestDatabase, testDialects, type TestDatabase } from '../db/databases.js';
import { asProject, type TestApi, startTestApi } from '../helpers/testApi.js';

for (const dialect of testDialects()) {
  describe(`networks API on ${dialect}`, () => {
    let database: TestDatabase;
    let api: TestApi;

    before(async () => {
      database = await createTestDatabase(dialect);
      api = await startTestApi(database.url);
    });
    after(async () => {
      await api?.close();
      await database?.drop();
    });

    const createNetwork = async (body: Record<string, unknown> = {}, headers = {}) => {
      const response = await api.request('POST', '/v2.0/networks', { network: body }, headers);
      assert.equal(response.status, 201, JSON.stringify(response.body));
      return response.body.network;
    };

    test('GET / lists v2.0 and GET /v2.0 the core collections', async () => {
      const root = await api.request('GET', '/');
      assert.equal(root.status, 200);
      assert.deepEqual(root.body.versions[0].id, 'v2.0');
      assert.equal(root.body.versions[0].links[0].href, `${api.url}/v2.0/`);
      assert.match(root.headers['x-openstack-request-id'] ?? '', /^req-[0-9a-f-]{36}$/);
      const v2 = await api.request('GET', '/v2.0');
      assert.deepEqual(
        v2.body.resources.map((r: { collection: string }) => r.collection),
        ['networks', 'subnets', 'ports'],
      );
      assert.equal((await api.request('POST', '/')).status, 405);
    });

    test('extensions: list and show agree, unknown alias is 404', async () => {
      const list = await api.request('GET', '/v2.0/extensions');
      const aliases = list.body.extensions.map((e: { alias: string }) => e.alias);
      for (const alias of ['external-net', 'standard-attr-tag', 'pagination', 'binding', 'network-ip-availability', 'net-mtu', 'net-mtu-writable']) {
        assert.ok(aliases.includes(alias), alias);
      }
      assert.ok(!aliases.includes('router'), 'routers are not implemented and must not be advertised');
      const shown = await api.request('GET', '/v2.0/extensions/external-net');
      assert.deepEqual(shown.body.extension, list.body.extensions.find((e: { alias: string }) => e.alias === 'external-net'));
      const missing = await api.request('GET', '/v2.0/extensions/nope');
      assert.equal(missing.status, 404);
      assert.equal(missing.body.NeutronError.type, 'ExtensionNotFound');
    });

    test('create, show, update and delete a network with its standard attributes', async () => {
      const network = await createNetwork({ name: 'net1', description: 'first' });
      assert.equal(network.name, 'net1');
      assert.equal(network.status, 'ACTIVE');
      assert.equal(network.admin_state_up, true);
      assert.equal(network.shared, false);
      assert.equal(network['router:external'], false);
      assert.equal(network.mtu, 1500);
      assert.equal(network.revision_number, 0);
      assert.equal(network.project_id, 'fake_project_id');
      assert.equal(network.tenant_id, network.project_id);
      assert.deepEqual(network.subnets, []);
      assert.deepEqual(network.tags, []);
      assert.match(network.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

      const shown = await api.request('GET', `/v2.0/networks/${network.id}`);
      assert.deepEqual(shown.body.network, network);
      const json = await api.request('GET', `/v2.0/networks/${network.id}.json`);
      assert.equal(json.body.network.id, network.id);

      const updated = await api.request('PUT', `/v2.0/networks/${network.id}`, { network: { name: 'renamed', admin_state_up: false } });
      assert.equal(updated.status, 200);
      assert.equal(updated.body.network.name, 'renamed');
      assert.equal(updated.body.network.admin_state_up, false);
      assert.equal(updated.body.network.revision_number, 1);

      const deleted = await api.request('DELETE', `/v2.0/networks/${network.id}`);
      assert.equal(deleted.status, 204);
      const gone = await api.request('GET', `/v2.0/networks/${network.id}`);
      assert.equal(gone.status, 404);
      assert.equal(gone.body.NeutronError.type, 'NetworkNotFound');
      assert.match(gone.body.NeutronError.message, new RegExp(network.id));
    });

    test('bulk create is all or nothing', async () => {
      const ok = await api.request('POST', '/v2.0/networks', { networks: [{ name: 'b1' }, { name: 'b2' }] });
      assert.equal(ok.status, 201);
      assert.deepEqual(ok.body.networks.map((n: { name: string }) => n.name), ['b1', 'b2']);
      const bad = await api.request('POST', '/v2.0/networks', { networks: [{ name: 'b3' }, { name: 'b4', bogus: 1 }] });
      assert.equal(bad.status, 400);
      const listed = await api.request('GET', '/v2.0/networks?name=b3');
      assert.deepEqual(listed.body.networks, []);
      const empty = await api.request('POST', '/v2.0/networks', { networks: [] });
      assert.equal(empty.status, 400);
    });

    test('If-Match on the revision number', async () => {
      const network = await createNetwork({ name: 'rev' });
      const stale = await api.request('PUT', `/v2.0/networks/${network.id}`, { network: { name: 'x' } }, { 'if-match': 'revision_number=5' });
      assert.equal(stale.status, 412);
      assert.equal(stale.body.NeutronError.type, 'RevisionNumberConstraintFailed');
      const fresh = await api.request('PUT', `/v2.0/networks/${network.id}`, { network: { name: 'x' } }, { 'if-match': 'revision_number=0' });
      assert.equal(fresh.status, 200);
      const badTag = await api.request('DELETE', `/v2.0/networks/${network.id}`, undefined, { 'if-match': 'revision_number=abc' });
      assert.equal(badTag.status, 400);
      const negative = await api.request('PUT', `/v2.0/networks/${network.id}`, { network: { name: 'y' } }, { 'if-match': 'revision_number=-1' });
      assert.equal(negative.status, 412, 'a negative revision is a mismatch, not a syntax error');
      const staleDelete = await api.request('DELETE', `/v2.0/networks/${network.id}`, undefined, { 'if-match': 'revision_number=0' });
      assert.equal(staleDelete.status, 412);
      assert.equal((await api.request('DELETE', `/v2.0/networks/${network.id}`, undefined, { 'if-match': 'revision_number=1' })).status, 204);
    });

    test('tags sub-resource and tag filters', async () => {
      const a = await createNetwork({ name: 'tag-a' });
      const b = await createNetwork({ name: 'tag-b' });
      const put = await api.request('PUT', `/v2.0/networks/${a.id}/tags`, { tags: ['red', 'blue'] });
      assert.equal(put.status, 200);
      assert.deepEqual(put.body.tags.sort(), ['blue', 'red']);
      assert.equal((await api.request('PUT', `/v2.0/networks/${b.id}/tags/red`)).status, 201);
      assert.equal((await api.request('GET', `/v2.0/networks/${a.id}/tags/blue`)).status, 204);
      const missing = await api.request('GET', `/v2.0/networks/${b.id}/tags/blue`);
      assert.equal(missing.status, 404);
      assert.equal(missing.body.NeutronError.type, 'TagNotFound');

      const names = async (query: string) =>
        (await api.request('GET', `/v2.0/networks?${query}&fields=name`)).body.networks.map((n: { name: string }) => n.name).sort();
      assert.deepEqual(await names('tags=red'), ['tag-a', 'tag-b']);
      assert.deepEqual(await names('tags=red,blue'), ['tag-a']);
      assert.deepEqual(await names('tags-any=blue&name=tag-a&name=tag-b'), ['tag-a']);
      assert.deepEqual(await names('not-tags=blue&name=tag-a&name=tag-b'), ['tag-b']);

      const shown = await api.request('GET', `/v2.0/networks/${a.id}`);
      assert.deepEqual(shown.body.network.tags, ['blue', 'red']);
      assert.ok(shown.body.network.revision_number > a.revision_number, 'a tag change bumps the revision');
      assert.equal((await api.request('DELETE', `/v2.0/networks/${a.id}/tags/red`)).status, 204);
      assert.equal((await api.request('DELETE', `/v2.0/networks/${a.id}/tags/red`)).status, 404);
      assert.equal((await api.request('DELETE', `/v2.0/networks/${a.id}/tags`)).status, 204);
      assert.deepEqual((await api.request('GET', `/v2.0/networks/${a.id}/tags`)).body.tags, []);
      const tooLong = await api.request('PUT', `/v2.0/networks/${a.id}/tags`, { tags: ['x'.repeat(256)] });
      assert.equal(tooLong.status, 400);
    });

    test('sorting, pagination with links, fields and filters', async () => {
      const project = asProject('pager');
      for (const name of ['p3', 'p1', 'p4', 'p2', 'p5']) await createNetwork({ name }, project);
      const page1 = await api.request('GET', '/v2.0/networks?sort_key=name&sort_dir=asc&limit=2', undefined, project);
      assert.deepEqual(page1.body.networks.map((n: { name: string }) => n.name), ['p1', 'p2']);
      const next = page1.body.networks_links.find((l: { rel: string }) => l.rel === 'next');
      assert.ok(next, 'a full page links to the next one');
      const page2 = await api.request('GET', new URL(next.href).pathname + new URL(next.href).search, undefined, project);
      assert.deepEqual(page2.body.networks.map((n: { name: string }) => n.name), ['p3', 'p4']);
      const previous = page2.body.networks_links.find((l: { rel: string }) => l.rel === 'previous');
      const back = await api.request('GET', new URL(previous.href).pathname + new URL(previous.href).search, undefined, project);
      assert.deepEqual(back.body.networks.map((n: { name: string }) => n.name), ['p1', 'p2']);
      const desc = await api.request('GET', '/v2.0/networks?sort_key=name&sort_dir=desc', undefined, project);
      assert.deepEqual(desc.body.networks.map((n: { name: string }) => n.name), ['p5', 'p4', 'p3', 'p2', 'p1']);

      const fields = await api.request('GET', '/v2.0/networks?fields=id&fields=name&limit=1', undefined, project);
      assert.deepEqual(Object.keys(fields.body.networks[0]).sort(), ['id', 'name']);
      const unknownMarker = await api.request('GET', `/v2.0/networks?limit=1&marker=${crypto.randomUUID()}`, undefined, project);
      assert.equal(unknownMarker.status, 404);
      assert.equal(unknownMarker.body.NeutronError.type, 'NetworkNotFound');

      const badFilter = await api.request('GET', '/v2.0/networks?flavour=x');
      assert.equal(badFilter.status, 400);
      const badSort = await api.request('GET', '/v2.0/networks?sort_key=subnets');
      assert.equal(badSort.status, 400);
      const badLimit = await api.request('GET', '/v2.0/networks?limit=-1');
      assert.equal(badLimit.status, 400);
      const bools = await api.request('GET', '/v2.0/networks?admin_state_up=yes&name=p1', undefined, project);
      assert.equal(bools.body.networks.length, 1);
      const since = await api.request('GET', '/v2.0/networks?changed_since=2000-01-01T00:00:00Z&name=p1', undefined, project);
      assert.equal(since.body.networks.length, 1);
      const future = await api.request('GET', '/v2.0/networks?changed_since=2999-01-01T00:00:00Z&name=p1', undefined, project);
      assert.equal(future.body.networks.length, 0);
    });

    test('noauth projects: isolation, shared and external networks, admin-only attributes', async () => {
      const alice = asProject('alice');
      const bob = asProject('bob');
      const own = await createNetwork({ name: 'alice-private' }, alice);
      assert.equal(own.project_id, 'alice');
      const shared = await createNetwork({ name: 'shared', shared: true });
      const external = await createNetwork({ name: 'ext', 'router:external': true });

      const bobSees = (await api.request('GET', '/v2.0/networks', undefined, bob)).body.networks.map((n: { id: string }) => n.id);
      assert.ok(!bobSees.includes(own.id));
      assert.ok(bobSees.includes(shared.id));
      assert.ok(bobSees.includes(external.id));
      assert.equal((await api.request('GET', `/v2.0/networks/${own.id}`, undefined, bob)).status, 404);
      assert.equal((await api.request('DELETE', `/v2.0/networks/${own.id}`, undefined, bob)).status, 404);
      // Upstream decides a refused update on the network without its defaulted `shared`: bob is told it does not exist.
      assert.equal((await api.request('PUT', `/v2.0/networks/${shared.id}`, { network: { name: 'x' } }, bob)).status, 404);

      const forbidden = await api.request('POST', '/v2.0/networks', { network: { name: 'x', shared: true } }, bob);
      assert.equal(forbidden.status, 403);
      assert.equal(forbidden.body.NeutronError.type, 'PolicyNotAuthorized');
      const otherProject = await api.request('POST', '/v2.0/networks', { network: { name: 'x', project_id: 'alice' } }, bob);
      assert.equal(otherProject.status, 400);
      const adminForOther = await createNetwork({ name: 'for-bob', tenant_id: 'bob' });
      assert.equal(adminForOther.project_id, 'bob');
    });

    test('bad input is a 400 NeutronError, never a 500', async () => {
      const cases: [string, string, unknown][] = [
        ['POST', '/v2.0/networks', '{"network": '],
        ['POST', '/v2.0/networks', '[1, 2]'],
        ['POST', '/v2.0/networks', { network: 'x' }],
        ['POST', '/v2.0/networks', { network: { name: 5 } }],
        ['POST', '/v2.0/networks', { network: { name: 'x'.repeat(256) } }],
        ['POST', '/v2.0/networks', { network: { admin_state_up: 'maybe' } }],
        ['POST', '/v2.0/networks', { network: { id: crypto.randomUUID() } }],
        ['POST', '/v2.0/networks', { network: { status: 'DOWN' } }],
        ['POST', '/v2.0/networks', { nets: {} }],
        ['PUT', `/v2.0/networks/${crypto.randomUUID()}`, { network: { subnets: [] } }],
        ['POST', '/v2.0/subnets', { subnet: { network_id: 'not-a-uuid', cidr: '10.0.0.0/24', ip_version: 4 } }],
      ];
      for (const [method, path, body] of cases) {
        const response = await api.request(method, path, body);
        assert.equal(response.status, 400, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(response.body)}`);
        assert.equal(typeof response.body.NeutronError.message, 'string');
        assert.equal(response.body.NeutronError.detail, '');
      }
      const unknown = await api.request('GET', '/v2.0/flavours');
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.NeutronError.type, 'HTTPNotFound');
      assert.equal((await api.request('PATCH', '/v2.0/networks')).status, 405);
      assert.equal((await api.request('POST', `/v2.0/networks/${crypto.randomUUID()}`)).status, 405);
    });
  });
}
