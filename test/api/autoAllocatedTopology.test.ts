/**
 * auto-allocated-topology (get-me-a-network) over HTTP on every backend
 * (service_plugins = router): the failures before a default external
 * network and default subnet pools exist, the is_default rules, the
 * default external network's '*' access_as_external entry, then a
 * project's topology made on GET (network, a subnet per default pool,
 * router with its gateway and interfaces), the same one on the next GET
 * and on concurrent ones (also through two servers), dry-run, DELETE, and
 * a build failing midway.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createTestDatabase, testDialects, type TestDatabase } from '../db/databases.js';
import { suiteApi } from '../helpers/suiteApi.js';
import { asProject, startTestApi, type TestApi } from '../helpers/testApi.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions, not by types
type Json = Record<string, any>;

const TOPOLOGY = '/v2.0/auto-allocated-topology';

for (const dialect of testDialects()) {
  describe(`auto-allocated topology on ${dialect}`, () => {
    const api = suiteApi(dialect, { DEFAULT: { service_plugins: ['router'] } });
    const admin = {};
    const error = (response: { body: Json }) => {
      const { type, message } = response.body.NeutronError as Json;
      return { type, message };
    };
    const ok = <T extends { status: number; body: Json }>(response: T, status = 200): T => {
      assert.equal(response.status, status, JSON.stringify(response.body));
      return response;
    };
    const post = async (collection: string, member: string, body: Json, headers: Json = admin) =>
      ok(await api.request('POST', `/v2.0/${collection}`, { [member]: body }, headers), 201).body[member] as Json;
    const put = (collection: string, id: string, body: Json, headers: Json = admin) =>
      api.request('PUT', `/v2.0/${collection}/${id}`, { [collection.slice(0, -1)]: body }, headers);
    const list = async (path: string, key: string, headers: Json = admin) => ok(await api.request('GET', path, undefined, headers)).body[key] as Json[];
    /** What the project has of the topology's resources, by their names (as tempest counts them). */
    const made = async (project: string) => {
      const named = (items: Json[]) => items.filter((i) => String(i.name).startsWith('auto_allocated_') && i.tenant_id === project).length;
      return [
        named(await list('/v2.0/networks', 'networks')),
        named(await list('/v2.0/subnets', 'subnets')),
        named(await list('/v2.0/routers', 'routers')),
      ];
    };
    const failure = (reason: string) => ({ type: 'AutoAllocationFailure', message: `Deployment error: ${reason}.` });
    let publicNet: Json;

    test('the extension is listed', async () => {
      const extensions = ok(await api.request('GET', '/v2.0/extensions')).body.extensions as Json[];
      const extension = extensions.find((e) => e.alias === 'auto-allocated-topology');
      assert.deepEqual(
        { ...extension, links: undefined },
        {
          alias: 'auto-allocated-topology',
          name: 'Auto Allocated Topology Services',
          description: 'Auto Allocated Topology Services.',
          updated: '2016-01-01T00:00:00-00:00',
          links: undefined,
        },
      );
    });

    test('without a default external network: AutoAllocationFailure, for GET and dry-run', async () => {
      await post('networks', 'network', { name: 'not-default', 'router:external': true });
      for (const query of ['', '?fields=dry-run']) {
        const response = await api.request('GET', `${TOPOLOGY}/p1${query}`, undefined, asProject('p1'));
        assert.equal(response.status, 409);
        assert.deepEqual(error(response), failure('No default router:external network'));
      }
    });

    test('is_default: admins only, one external network at a time, kept by updates that leave it out, shown on external networks only', async () => {
      const refused = await api.request('POST', '/v2.0/networks', { network: { name: 'x', is_default: true } }, asProject('p1'));
      assert.equal(refused.status, 403);
      publicNet = await post('networks', 'network', { name: 'public', 'router:external': true, is_default: true });
      assert.equal(publicNet.is_default, true);
      await post('subnets', 'subnet', { network_id: publicNet.id, cidr: '172.31.0.0/24', ip_version: 4 });
      const second = await api.request('POST', '/v2.0/networks', { network: { name: 'public2', 'router:external': true, is_default: true } });
      assert.equal(second.status, 409);
      assert.deepEqual(error(second), { type: 'DefaultExternalNetworkExists', message: `A default external network already exists: ${publicNet.id}.` });

      // An update without is_default keeps it (tempest's resource_setup relies on it).
      const updated = ok(await put('networks', publicNet.id, { description: 'gman' })).body.network;
      assert.equal(updated.is_default, true);

      // Internal networks neither keep nor show it.
      const internal = await post('networks', 'network', { name: 'internal', is_default: true });
      assert.equal('is_default' in internal, false);
      assert.equal('is_default' in ok(await api.request('GET', `/v2.0/networks/${internal.id}`)).body.network, false);
      const defaults = await list('/v2.0/networks?is_default=true', 'networks');
      assert.deepEqual(defaults.map((n) => n.id), [publicNet.id]);

      // An external network that turns internal loses it: not default afterwards when external again.
      const other = await post('networks', 'network', { name: 'public3', 'router:external': true });
      assert.equal(other.is_default, false);
      ok(await put('networks', publicNet.id, { is_default: false }));
      assert.equal(ok(await put('networks', other.id, { is_default: true })).body.network.is_default, true);
      assert.equal('is_default' in ok(await put('networks', other.id, { 'router:external': false })).body.network, false);
      assert.equal(ok(await put('networks', other.id, { 'router:external': true })).body.network.is_default, false);
      assert.equal(ok(await put('networks', publicNet.id, { is_default: true })).body.network.is_default, true);
    });

    test("the default external network's '*' access_as_external entry cannot go", async () => {
      const query = `/v2.0/rbac-policies?object_id=${publicNet.id}&action=access_as_external&target_tenant=*`;
      const [entry] = await list(query, 'rbac_policies');
      assert.ok(entry);
      const expected = {
        type: 'RbacPolicyInUse',
        message: `RBAC policy on object ${publicNet.id} cannot be removed because other objects depend on it.\nDetails: Default external networks must be shared to everyone.`,
      };
      const deleted = await api.request('DELETE', `/v2.0/rbac-policies/${entry.id}`);
      assert.equal(deleted.status, 409);
      assert.deepEqual(error(deleted), expected);
      const moved = await api.request('PUT', `/v2.0/rbac-policies/${entry.id}`, { rbac_policy: { target_tenant: '0b5f3c3e4a2d4e6f8a9b1c2d3e4f5a6b' } });
      assert.equal(moved.status, 409);
      assert.deepEqual(error(moved), expected);
      // Not the default one any more: the entry may go (and the network turns internal).
      const other = await post('networks', 'network', { name: 'ext-other', 'router:external': true });
      const [otherEntry] = await list(`/v2.0/rbac-policies?object_id=${other.id}&action=access_as_external`, 'rbac_policies');
      ok(await api.request('DELETE', `/v2.0/rbac-policies/${otherEntry!.id}`), 204);
    });

    test('without default subnet pools: dry-run and GET fail, and nothing is left behind', async () => {
      const dry = await api.request('GET', `${TOPOLOGY}/p1?fields=dry-run`, undefined, asProject('p1'));
      assert.equal(dry.status, 409);
      assert.deepEqual(error(dry), failure('No default subnetpools defined'));
      const get = await api.request('GET', `${TOPOLOGY}/p1`, undefined, asProject('p1'));
      assert.equal(get.status, 409);
      assert.deepEqual(error(get), failure('Unable to provide project private network'));
      assert.deepEqual(await made('p1'), [0, 0, 0]);
    });

    test('a pool with no room left fails the build midway: AutoAllocationFailure, and the network made goes', async () => {
      const tiny = await post('subnetpools', 'subnetpool', { name: 'tiny', prefixes: ['10.99.0.0/24'], default_prefixlen: 24, is_default: true, shared: true });
      ok(await api.request('GET', `${TOPOLOGY}/p3`, undefined, asProject('p3')));
      const full = await api.request('GET', `${TOPOLOGY}/p4`, undefined, asProject('p4'));
      assert.equal(full.status, 409);
      assert.deepEqual(error(full), failure('Unable to provide project private network'));
      assert.deepEqual(await made('p4'), [0, 0, 0]);
      ok(await api.request('DELETE', `${TOPOLOGY}/p3`, undefined, asProject('p3')), 204);
      ok(await api.request('PUT', `/v2.0/subnetpools/${tiny.id}`, { subnetpool: { is_default: false } }));
    });

    test('dry-run passes once default pools exist, and makes nothing', async () => {
      await post('subnetpools', 'subnetpool', { name: 'v4', prefixes: ['10.100.0.0/16'], default_prefixlen: 26, is_default: true, shared: true });
      await post('subnetpools', 'subnetpool', { name: 'v6', prefixes: ['fd00:100::/48'], default_prefixlen: 64, is_default: true, shared: true });
      const dry = ok(await api.request('GET', `${TOPOLOGY}/p1?fields=dry-run`, undefined, asProject('p1'))).body;
      assert.deepEqual(dry, { auto_allocated_topology: { id: 'dry-run=pass', tenant_id: 'p1', project_id: 'p1' } });
      assert.deepEqual(await made('p1'), [0, 0, 0]);
      const unknown = await api.request('GET', `${TOPOLOGY}/p1?fields=id`, undefined, asProject('p1'));
      assert.equal(unknown.status, 400);
      assert.deepEqual(error(unknown), { type: 'BadRequest', message: 'Bad auto_allocate request: Unrecognized field.' });
    });

    test("GET makes the project's topology once: network, a subnet per default pool, a router with gateway and interfaces", async () => {
      const p1 = asProject('p1');
      const topology = ok(await api.request('GET', `${TOPOLOGY}/p1`, undefined, p1)).body.auto_allocated_topology as Json;
      assert.deepEqual({ ...topology, id: undefined }, { id: undefined, tenant_id: 'p1', project_id: 'p1' });
      const network = ok(await api.request('GET', `/v2.0/networks/${topology.id}`, undefined, p1)).body.network as Json;
      assert.equal(network.name, 'auto_allocated_network');
      assert.equal(network.admin_state_up, true);
      assert.equal(network.tenant_id, 'p1');
      const subnets = await list(`/v2.0/subnets?network_id=${network.id}`, 'subnets', p1);
      assert.deepEqual(subnets.map((s) => [s.name, s.ip_version]).sort(), [['auto_allocated_subnet_v4', 4], ['auto_allocated_subnet_v6', 6]]);
      assert.ok(subnets.every((s) => s.subnetpool_id !== null));
      assert.equal(subnets.find((s) => s.ip_version === 4)?.cidr.endsWith('/26'), true);
      const [router] = await list('/v2.0/routers?name=auto_allocated_router', 'routers', p1);
      assert.equal(router?.admin_state_up, true);
      assert.equal(router?.external_gateway_info.network_id, publicNet.id);
      const interfaces = await list(`/v2.0/ports?device_id=${router!.id}&device_owner=network:router_interface`, 'ports', p1);
      assert.deepEqual(interfaces.map((p) => p.fixed_ips[0].subnet_id).sort(), subnets.map((s) => s.id).sort());
      assert.deepEqual(await made('p1'), [1, 2, 1]);

      // The same one afterwards: again, for `None` (the caller's project), and for an admin asking for p1.
      for (const [path, headers] of [[`${TOPOLOGY}/p1`, p1], [`${TOPOLOGY}/None`, p1], [`${TOPOLOGY}/p1.json`, p1], [`${TOPOLOGY}/p1`, admin]] as const) {
        assert.equal(ok(await api.request('GET', path, undefined, headers)).body.auto_allocated_topology.id, topology.id, path);
      }
      assert.deepEqual(await made('p1'), [1, 2, 1]);

      const other = await api.request('GET', `${TOPOLOGY}/p1`, undefined, asProject('p2'));
      assert.equal(other.status, 403);
      assert.deepEqual(error(other), { type: 'NotAuthorized', message: 'Not authorized.' });
    });

    test('concurrent GETs of one project make one topology', async () => {
      const p2 = asProject('p2');
      const answers = await Promise.all(Array.from({ length: 4 }, () => api.request('GET', `${TOPOLOGY}/p2`, undefined, p2)));
      const ids = new Set(answers.map((a) => ok(a).body.auto_allocated_topology.id as string));
      assert.equal(ids.size, 1);
      assert.deepEqual(await made('p2'), [1, 2, 1]);
    });

    test('DELETE takes it all away; the next GET makes a new one', async () => {
      const p1 = asProject('p1');
      const before = ok(await api.request('GET', `${TOPOLOGY}/p1`, undefined, p1)).body.auto_allocated_topology.id as string;
      ok(await api.request('DELETE', `${TOPOLOGY}/p1`, undefined, p1), 204);
      assert.deepEqual(await made('p1'), [0, 0, 0]);
      assert.equal((await api.request('GET', `/v2.0/networks/${before}`)).status, 404);
      // Nothing to delete is no error.
      ok(await api.request('DELETE', `${TOPOLOGY}/p1`, undefined, p1), 204);
      const again = ok(await api.request('GET', `${TOPOLOGY}/p1`, undefined, p1)).body.auto_allocated_topology.id as string;
      assert.notEqual(again, before);
      ok(await api.request('DELETE', `${TOPOLOGY}/None`, undefined, p1), 204);
      assert.deepEqual(await made('p1'), [0, 0, 0]);
    });

    test('a failure making the router (over quota) is answered as is, and what was made goes', async () => {
      ok(await api.request('PUT', '/v2.0/quotas/p5', { quota: { router: 0 } }));
      const response = await api.request('GET', `${TOPOLOGY}/p5`, undefined, asProject('p5'));
      assert.equal(response.status, 409);
      assert.equal(error(response).type, 'OverQuota');
      assert.deepEqual(await made('p5'), [0, 0, 0]);
    });
  });
}

for (const dialect of testDialects()) {
  describe(`auto-allocated topology through two servers on ${dialect}`, () => {
    let database: TestDatabase | undefined;
    const servers: TestApi[] = [];
    before(async () => {
      database = await createTestDatabase(dialect);
      for (let i = 0; i < 2; i++) servers.push(await startTestApi(database.url, { DEFAULT: { service_plugins: ['router'] } }));
    });
    after(async () => {
      for (const server of servers) await server.close();
      await database?.drop();
    });

    test("concurrent GETs on two servers record one topology; the other server's is removed", async () => {
      const [one, two] = servers as [TestApi, TestApi];
      const created = async (path: string, body: Json) => {
        const response = await one.request('POST', path, body);
        assert.equal(response.status, 201, JSON.stringify(response.body));
        return response.body as Json;
      };
      const ext = (await created('/v2.0/networks', { network: { name: 'public', 'router:external': true, is_default: true } })).network as Json;
      await created('/v2.0/subnets', { subnet: { network_id: ext.id, cidr: '172.31.0.0/24', ip_version: 4 } });
      await created('/v2.0/subnetpools', { subnetpool: { name: 'v4', prefixes: ['10.100.0.0/16'], default_prefixlen: 26, is_default: true, shared: true } });
      const p1 = asProject('p1');
      const answers = await Promise.all([one, two, one, two].map((server) => server.request('GET', `${TOPOLOGY}/p1`, undefined, p1)));
      for (const answer of answers) assert.equal(answer.status, 200, JSON.stringify(answer.body));
      const ids = new Set(answers.map((a) => a.body.auto_allocated_topology.id as string));
      assert.equal(ids.size, 1);
      const networks = (await one.request('GET', '/v2.0/networks?name=auto_allocated_network')).body.networks as Json[];
      const routers = (await one.request('GET', '/v2.0/routers?name=auto_allocated_router')).body.routers as Json[];
      assert.deepEqual(networks.map((n) => n.id), [...ids]);
      assert.equal(routers.length, 1);
    });
  });
}
