/**
 * RBAC sharing of networks over HTTP on every backend (rbac-policies):
 * access_as_shared and access_as_external entries, the `shared` attribute
 * each caller sees derived from them, and the entries a project's ports
 * still need (after neutron-tempest-plugin's test_shared_network_extension
 * and test_external_network_extension).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { createTestDatabase, testDialects, type TestDatabase } from '../db/databases.js';
import { asProject, type TestApi, startTestApi } from '../helpers/testApi.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions, not by types
type Json = Record<string, any>;

const projectId = () => randomUUID().replaceAll('-', '');

for (const dialect of testDialects()) {
  describe(`rbac policies on ${dialect}`, () => {
    let database: TestDatabase;
    let api: TestApi;

    before(async () => {
      database = await createTestDatabase(dialect);
      api = await startTestApi(database.url, { DEFAULT: { service_plugins: ['router'] } });
    });
    after(async () => {
      await api?.close();
      await database?.drop();
    });

    const ADMIN = {};
    const call = async (method: string, path: string, body: Json | undefined, headers: Json, status: number): Promise<Json> => {
      const response = await api.request(method, path, body, headers);
      assert.equal(response.status, status, `${method} ${path}: ${JSON.stringify(response.body)}`);
      return response.body as Json;
    };
    const errorOf = async (method: string, path: string, body: Json | undefined, headers: Json, status: number): Promise<{ type: string; message: string }> =>
      (await call(method, path, body, headers, status)).NeutronError;
    const network = async (headers: Json, extra: Json = {}) =>
      (await call('POST', '/v2.0/networks', { network: { name: 'n', ...extra } }, headers, 201)).network as Json;
    const share = async (headers: Json, networkId: string, target: string, action = 'access_as_shared') =>
      (await call('POST', '/v2.0/rbac-policies', { rbac_policy: { object_type: 'network', object_id: networkId, action, target_tenant: target } }, headers, 201))
        .rbac_policy as Json;
    const ids = (objects: Json[]) => objects.map((o) => o.id);

    test('an owner shares its network with one project: it sees the network and its subnets, puts ports on it; the entry stays while they are there', async () => {
      const extensions = ((await call('GET', '/v2.0/extensions', undefined, ADMIN, 200)).extensions as Json[]).map((e) => e.alias);
      assert.ok(extensions.includes('rbac-policies'));
      const [p1, p2, p3] = [projectId(), projectId(), projectId()];
      const [h1, h2, h3] = [asProject(p1), asProject(p2), asProject(p3)];
      const net = await network(h1);
      const subnet = (await call('POST', '/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.0.0.0/24', ip_version: 4 } }, h1, 201)).subnet as Json;
      await errorOf('GET', `/v2.0/networks/${net.id}`, undefined, h2, 404);

      const policy = await share(h1, net.id, p2);
      assert.deepEqual({ ...policy, id: undefined }, {
        id: undefined, object_type: 'network', object_id: net.id, action: 'access_as_shared', target_tenant: p2, tenant_id: p1, project_id: p1,
      });
      const seen = (await call('GET', `/v2.0/networks/${net.id}`, undefined, h2, 200)).network as Json;
      assert.equal(seen.shared, true);
      // Shared with p2, not with everyone: the owner does not see it as shared.
      assert.equal(((await call('GET', `/v2.0/networks/${net.id}`, undefined, h1, 200)).network as Json).shared, false);
      assert.deepEqual(ids((await call('GET', '/v2.0/networks?shared=true', undefined, h2, 200)).networks), [net.id]);
      assert.deepEqual(ids((await call('GET', '/v2.0/networks?shared=true', undefined, h1, 200)).networks), []);
      assert.deepEqual(ids((await call('GET', '/v2.0/networks?shared=false', undefined, h1, 200)).networks), [net.id]);
      assert.deepEqual(ids((await call('GET', '/v2.0/subnets?shared=true', undefined, h2, 200)).subnets), [subnet.id]);
      await call('GET', `/v2.0/subnets/${subnet.id}`, undefined, h2, 200);
      await errorOf('GET', `/v2.0/networks/${net.id}`, undefined, h3, 404);
      await errorOf('GET', `/v2.0/subnets/${subnet.id}`, undefined, h3, 404);
      assert.deepEqual(ids((await call('GET', '/v2.0/networks', undefined, h3, 200)).networks), []);

      // The owner lists its entry; the target does not see the entry that shares the network with it.
      assert.deepEqual((await call('GET', '/v2.0/rbac-policies', undefined, h1, 200)).rbac_policies, [policy]);
      assert.deepEqual((await call('GET', '/v2.0/rbac-policies', undefined, h2, 200)).rbac_policies, []);
      assert.equal((await errorOf('GET', `/v2.0/rbac-policies/${policy.id}`, undefined, h2, 404)).type, 'RbacPolicyNotFound');

      const port = (await call('POST', '/v2.0/ports', { port: { network_id: net.id } }, h2, 201)).port as Json;
      await errorOf('POST', '/v2.0/ports', { port: { network_id: net.id } }, h3, 404);
      const inUse = await errorOf('DELETE', `/v2.0/rbac-policies/${policy.id}`, undefined, h1, 409);
      assert.equal(inUse.type, 'RbacPolicyInUse');
      assert.match(inUse.message, new RegExp(`^RBAC policy on object ${net.id} cannot be removed because other objects depend on it.`));
      // Moving the entry to another project is taking it from p2 too.
      assert.equal((await errorOf('PUT', `/v2.0/rbac-policies/${policy.id}`, { rbac_policy: { target_tenant: p3 } }, h1, 409)).type, 'RbacPolicyInUse');
      await call('DELETE', `/v2.0/ports/${port.id}`, undefined, h2, 204);
      const moved = (await call('PUT', `/v2.0/rbac-policies/${policy.id}`, { rbac_policy: { target_tenant: p3 } }, h1, 200)).rbac_policy as Json;
      assert.deepEqual(moved, { ...policy, target_tenant: p3 });
      await errorOf('GET', `/v2.0/networks/${net.id}`, undefined, h2, 404);
      await call('GET', `/v2.0/networks/${net.id}`, undefined, h3, 200);
      await call('DELETE', `/v2.0/rbac-policies/${policy.id}`, undefined, h1, 204);
      await errorOf('GET', `/v2.0/networks/${net.id}`, undefined, h3, 404);
      await errorOf('GET', `/v2.0/rbac-policies/${policy.id}`, undefined, h1, 404);
    });

    test('what an entry may say: a known object type and action, a UUID-like or * target (* for admins), one entry per target, on the caller\'s own network', async () => {
      const [p1, p2] = [projectId(), projectId()];
      const [h1, h2] = [asProject(p1), asProject(p2)];
      const net = await network(h1);
      const post = (body: Json, headers: Json, status: number) =>
        errorOf('POST', '/v2.0/rbac-policies', { rbac_policy: { object_type: 'network', object_id: net.id, action: 'access_as_shared', target_tenant: p2, ...body } }, headers, status);

      assert.equal((await post({ target_tenant: '*' }, h1, 403)).type, 'PolicyNotAuthorized');
      assert.equal((await post({ target_tenant: null }, h1, 400)).type, 'HTTPBadRequest');
      assert.deepEqual(await post({ target_tenant: 'x'.repeat(256) }, h1, 400).then((e) => e.type), 'HTTPBadRequest');
      assert.equal((await post({ target_tenant: 'not-a-project' }, h1, 400)).message,
        "Invalid input for operation: 'not-a-project' is not a valid target project ID; expected a UUID or '*'.");
      assert.equal((await post({ object_type: 'router' }, h1, 400)).message, "Invalid input for operation: 'router' is not a valid RBAC object type.");
      assert.deepEqual(await post({ action: 'access_as_owner' }, h1, 400), {
        type: 'InvalidActionForType',
        message: "Invalid action 'access_as_owner' for object type 'network'. Valid actions: ('access_as_shared', 'access_as_external')",
        detail: '',
      });
      assert.equal((await post({ object_id: randomUUID() }, h1, 400)).type, 'InvalidInput');

      const policy = await share(h1, net.id, p2);
      assert.equal((await post({ object_type: ' Network ' }, h1, 409)).type, 'DuplicateRbacPolicy');
      assert.equal((await post({ target_tenant: p1 }, h2, 400)).message,
        'Invalid input for operation: Only admins can manipulate policies on networks they do not own.');
      // A wildcard on update is refused too; only the target can change.
      assert.equal((await errorOf('PUT', `/v2.0/rbac-policies/${policy.id}`, { rbac_policy: { target_tenant: '*' } }, h1, 403)).type, 'PolicyNotAuthorized');
      assert.equal((await errorOf('PUT', `/v2.0/rbac-policies/${policy.id}`, { rbac_policy: { action: 'access_as_external' } }, h1, 400)).type, 'HTTPBadRequest');
      await errorOf('PUT', `/v2.0/rbac-policies/${policy.id}`, { rbac_policy: { target_tenant: p1 } }, h2, 404);
      await errorOf('DELETE', `/v2.0/rbac-policies/${policy.id}`, undefined, h2, 404);
      assert.deepEqual(await errorOf('GET', `/v2.0/rbac-policies/${randomUUID()}`, undefined, ADMIN, 404).then((e) => e.type), 'RbacPolicyNotFound');

      // Filters and fields.
      const self = await share(h1, net.id, p1);
      assert.deepEqual(ids((await call('GET', `/v2.0/rbac-policies?id=${self.id}`, undefined, h1, 200)).rbac_policies), [self.id]);
      assert.deepEqual(ids((await call('GET', `/v2.0/rbac-policies?target_tenant=${p2}`, undefined, h1, 200)).rbac_policies), [policy.id]);
      assert.deepEqual(ids((await call('GET', `/v2.0/rbac-policies?target_tenant=${p1}`, undefined, h1, 200)).rbac_policies), [self.id]);
      assert.equal((await call('GET', '/v2.0/rbac-policies?object_type=network', undefined, h1, 200)).rbac_policies.length, 2);
      assert.equal((await call('GET', '/v2.0/rbac-policies?object_type=qos_policy', undefined, h1, 200)).rbac_policies.length, 0);
      const fields = (await call('GET', '/v2.0/rbac-policies?fields=object_type&fields=object_id', undefined, h1, 200)).rbac_policies as Json[];
      assert.deepEqual(fields[0], { object_type: 'network', object_id: net.id });
      // Sharing with oneself holds nothing: it goes with the owner's port still there.
      await call('POST', '/v2.0/ports', { port: { network_id: net.id } }, h1, 201);
      await call('DELETE', `/v2.0/rbac-policies/${self.id}`, undefined, h1, 204);
    });

    test('shared=true is a * access_as_shared entry: created with the network, removed by shared=false unless other projects use the network', async () => {
      const [p1, p2] = [projectId(), projectId()];
      const [h1, h2] = [asProject(p1), asProject(p2)];
      const net = await network(ADMIN, { shared: true, tenant_id: p1 });
      assert.equal(net.shared, true);
      const entries = (await call('GET', `/v2.0/rbac-policies?object_id=${net.id}`, undefined, ADMIN, 200)).rbac_policies as Json[];
      assert.deepEqual(entries.map((e) => [e.target_tenant, e.action, e.project_id]), [['*', 'access_as_shared', p1]]);
      // The owner sees its own entry.
      assert.deepEqual(ids((await call('GET', '/v2.0/rbac-policies', undefined, h1, 200)).rbac_policies), [entries[0]!.id]);
      assert.equal(((await call('GET', `/v2.0/networks/${net.id}`, undefined, h2, 200)).network as Json).shared, true);
      assert.ok(ids((await call('GET', '/v2.0/networks?shared=true', undefined, ADMIN, 200)).networks).includes(net.id));
      assert.ok(!ids((await call('GET', '/v2.0/networks?shared=false', undefined, ADMIN, 200)).networks).includes(net.id));

      await call('POST', '/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.1.0.0/24', ip_version: 4 } }, h1, 201);
      const port = (await call('POST', '/v2.0/ports', { port: { network_id: net.id } }, h2, 201)).port as Json;
      const refused = await errorOf('PUT', `/v2.0/networks/${net.id}`, { network: { shared: false } }, ADMIN, 409);
      assert.deepEqual(refused, { type: 'InvalidSharedSetting', message: 'Unable to reconfigure sharing settings for network n. Multiple tenants are using it.', detail: '' });
      assert.equal((await errorOf('DELETE', `/v2.0/rbac-policies/${entries[0]!.id}`, undefined, ADMIN, 409)).type, 'RbacPolicyInUse');
      // An entry for p2 itself keeps its port there: then the * entry may go.
      const forP2 = await share(ADMIN, net.id, p2);
      const unshared = (await call('PUT', `/v2.0/networks/${net.id}`, { network: { shared: false } }, ADMIN, 200)).network as Json;
      assert.equal(unshared.shared, false);
      assert.deepEqual(ids((await call('GET', `/v2.0/rbac-policies?object_id=${net.id}`, undefined, ADMIN, 200)).rbac_policies), [forP2.id]);
      await call('DELETE', `/v2.0/ports/${port.id}`, undefined, h2, 204);
      await call('DELETE', `/v2.0/rbac-policies/${forP2.id}`, undefined, ADMIN, 204);

      // Every change of its entries is a change of the network.
      const before = ((await call('GET', `/v2.0/networks/${net.id}`, undefined, h1, 200)).network as Json).revision_number as number;
      const wildcard = await share(ADMIN, net.id, '*');
      const after = (await call('GET', `/v2.0/networks/${net.id}`, undefined, h1, 200)).network as Json;
      assert.ok(after.revision_number > before);
      assert.equal(after.shared, true);
      assert.deepEqual((await call('GET', `/v2.0/rbac-policies/${wildcard.id}`, undefined, ADMIN, 200)).rbac_policy, wildcard);
      // Bulk create with shared.
      const bulk = (await call('POST', '/v2.0/networks', { networks: [{ name: 'a', shared: true }, { name: 'b' }] }, ADMIN, 201)).networks as Json[];
      assert.deepEqual(bulk.map((n) => n.shared), [true, false]);
      // shared=true from a member is refused by policy, as before.
      assert.equal((await errorOf('POST', '/v2.0/networks', { network: { shared: true } }, h1, 403)).type, 'PolicyNotAuthorized');
    });

    test('access_as_external makes a network external to its target; the last such entry going makes it internal again', async () => {
      const [p1, p2] = [projectId(), projectId()];
      const [h1, h2] = [asProject(p1), asProject(p2)];
      const net = await network(ADMIN);
      const external = await share(ADMIN, net.id, p1, 'access_as_external');
      assert.equal(((await call('GET', `/v2.0/networks/${net.id}`, undefined, ADMIN, 200)).network as Json)['router:external'], true);
      const seen = (await call('GET', `/v2.0/networks/${net.id}`, undefined, h1, 200)).network as Json;
      assert.deepEqual([seen['router:external'], seen.shared], [true, false]);
      await errorOf('GET', `/v2.0/networks/${net.id}`, undefined, h2, 404);
      // External is not shared: no ports of p1 on it.
      await errorOf('POST', '/v2.0/ports', { port: { network_id: net.id } }, h1, 404);
      const toAll = await share(ADMIN, net.id, '*', 'access_as_external');
      await call('GET', `/v2.0/networks/${net.id}`, undefined, h2, 200);
      await call('DELETE', `/v2.0/rbac-policies/${toAll.id}`, undefined, ADMIN, 204);
      await errorOf('GET', `/v2.0/networks/${net.id}`, undefined, h2, 404);
      await call('DELETE', `/v2.0/rbac-policies/${external.id}`, undefined, ADMIN, 204);
      assert.equal(((await call('GET', `/v2.0/networks/${net.id}`, undefined, ADMIN, 200)).network as Json)['router:external'], false);
      await errorOf('GET', `/v2.0/networks/${net.id}`, undefined, h1, 404);

      // router:external=true is a * access_as_external entry; false removes every such entry.
      const ext = await network(ADMIN, { 'router:external': true });
      const entries = (await call('GET', `/v2.0/rbac-policies?object_id=${ext.id}`, undefined, ADMIN, 200)).rbac_policies as Json[];
      assert.deepEqual(entries.map((e) => [e.target_tenant, e.action]), [['*', 'access_as_external']]);
      assert.ok(ids((await call('GET', '/v2.0/networks?router:external=true', undefined, h2, 200)).networks).includes(ext.id));
      await share(ADMIN, ext.id, p1, 'access_as_external');
      await call('PUT', `/v2.0/networks/${ext.id}`, { network: { 'router:external': false } }, ADMIN, 200);
      assert.deepEqual((await call('GET', `/v2.0/rbac-policies?object_id=${ext.id}`, undefined, ADMIN, 200)).rbac_policies, []);
      await errorOf('GET', `/v2.0/networks/${ext.id}`, undefined, h1, 404);
    });

    test('an access_as_external entry stays while a project\'s router has its gateway on the network and no other entry lets it', async () => {
      const p2 = projectId();
      const h2 = asProject(p2);
      const net = await network(ADMIN);
      await call('POST', '/v2.0/subnets', { subnet: { network_id: net.id, cidr: '172.24.4.0/24', ip_version: 4, enable_dhcp: false } }, ADMIN, 201);
      const wildcard = await share(ADMIN, net.id, '*', 'access_as_external');
      const router = (await call('POST', '/v2.0/routers', { router: { name: 'r', external_gateway_info: { network_id: net.id } } }, h2, 201)).router as Json;
      const inUse = await errorOf('DELETE', `/v2.0/rbac-policies/${wildcard.id}`, undefined, ADMIN, 409);
      assert.deepEqual(inUse, {
        type: 'RbacPolicyInUse',
        message: `RBAC policy on object ${net.id} cannot be removed because other objects depend on it.\nDetails: There are routers attached to this network that depend on this policy for access.`,
        detail: '',
      });
      const own = await share(ADMIN, net.id, p2, 'access_as_external');
      await call('DELETE', `/v2.0/rbac-policies/${wildcard.id}`, undefined, ADMIN, 204);
      assert.equal((await errorOf('DELETE', `/v2.0/rbac-policies/${own.id}`, undefined, ADMIN, 409)).type, 'RbacPolicyInUse');
      assert.equal((await errorOf('PUT', `/v2.0/rbac-policies/${own.id}`, { rbac_policy: { target_tenant: projectId() } }, ADMIN, 409)).type, 'RbacPolicyInUse');
      const again = await share(ADMIN, net.id, '*', 'access_as_external');
      await call('DELETE', `/v2.0/rbac-policies/${own.id}`, undefined, ADMIN, 204);
      // The '*' entry may become p2's alone: p2's router keeps its access.
      const narrowed = (await call('PUT', `/v2.0/rbac-policies/${again.id}`, { rbac_policy: { target_tenant: p2 } }, ADMIN, 200)).rbac_policy as Json;
      assert.equal(narrowed.target_tenant, p2);
      await call('DELETE', `/v2.0/routers/${router.id}`, undefined, h2, 204);
      await call('DELETE', `/v2.0/rbac-policies/${again.id}`, undefined, ADMIN, 204);
      assert.equal(((await call('GET', `/v2.0/networks/${net.id}`, undefined, ADMIN, 200)).network as Json)['router:external'], false);
    });

    test('address scopes are shared through their own entries: shared derived per caller, an entry its target\'s subnet pools need stays', async () => {
      const [p1, p2, p3] = [projectId(), projectId(), projectId()];
      const [h1, h2, h3] = [asProject(p1), asProject(p2), asProject(p3)];
      const scope = (await call('POST', '/v2.0/address-scopes', { address_scope: { name: 's', ip_version: 4 } }, h1, 201)).address_scope as Json;
      await errorOf('GET', `/v2.0/address-scopes/${scope.id}`, undefined, h2, 404);
      const post = (body: Json, headers: Json, status: number) =>
        call('POST', '/v2.0/rbac-policies', { rbac_policy: { object_type: 'address_scope', object_id: scope.id, action: 'access_as_shared', target_tenant: p2, ...body } }, headers, status);
      assert.deepEqual((await post({ action: 'access_as_external' }, h1, 400)).NeutronError, {
        type: 'InvalidActionForType',
        message: "Invalid action 'access_as_external' for object type 'address_scope'. Valid actions: ('access_as_shared')",
        detail: '',
      });
      const entry = (await post({}, h1, 201)).rbac_policy as Json;
      assert.deepEqual({ ...entry, id: undefined }, {
        id: undefined, object_type: 'address_scope', object_id: scope.id, action: 'access_as_shared', target_tenant: p2, tenant_id: p1, project_id: p1,
      });
      assert.equal((await post({}, h1, 409)).NeutronError.type, 'DuplicateRbacPolicy');
      assert.equal((await post({ target_tenant: p3 }, h2, 400)).NeutronError.message, 'Invalid input for operation: Only admins can manipulate policies on objects they do not own.');
      assert.equal(((await call('GET', `/v2.0/address-scopes/${scope.id}`, undefined, h2, 200)).address_scope as Json).shared, true);
      assert.equal(((await call('GET', `/v2.0/address-scopes/${scope.id}`, undefined, h1, 200)).address_scope as Json).shared, false);
      assert.deepEqual(ids((await call('GET', '/v2.0/address-scopes?shared=true', undefined, h2, 200)).address_scopes), [scope.id]);
      await errorOf('GET', `/v2.0/address-scopes/${scope.id}`, undefined, h3, 404);
      assert.deepEqual((await call('GET', `/v2.0/rbac-policies/${entry.id}`, undefined, h1, 200)).rbac_policy, entry);
      assert.deepEqual(ids((await call('GET', '/v2.0/rbac-policies?object_type=address_scope', undefined, h1, 200)).rbac_policies), [entry.id]);

      const pool = (await call('POST', '/v2.0/subnetpools', { subnetpool: { name: 'p', prefixes: ['10.10.0.0/16'], address_scope_id: scope.id } }, h2, 201)).subnetpool as Json;
      const inUse = await errorOf('DELETE', `/v2.0/rbac-policies/${entry.id}`, undefined, h1, 409);
      assert.deepEqual(inUse, {
        type: 'RbacPolicyInUse',
        message: `RBAC policy on object ${scope.id} cannot be removed because other objects depend on it.\nDetails: project_id=${p2}`,
        detail: '',
      });
      assert.equal((await errorOf('PUT', `/v2.0/rbac-policies/${entry.id}`, { rbac_policy: { target_tenant: p3 } }, h1, 409)).type, 'RbacPolicyInUse');
      await call('DELETE', `/v2.0/subnetpools/${pool.id}`, undefined, h2, 204);
      const moved = (await call('PUT', `/v2.0/rbac-policies/${entry.id}`, { rbac_policy: { target_tenant: p3 } }, h1, 200)).rbac_policy as Json;
      assert.deepEqual(moved, { ...entry, target_tenant: p3 });
      await errorOf('GET', `/v2.0/address-scopes/${scope.id}`, undefined, h2, 404);
      await call('DELETE', `/v2.0/rbac-policies/${entry.id}`, undefined, h1, 204);
      await errorOf('GET', `/v2.0/address-scopes/${scope.id}`, undefined, h3, 404);

      // shared=true is a '*' entry in the name of who asks.
      const everyone = (await call('POST', '/v2.0/address-scopes', { address_scope: { name: 'all', ip_version: 6, shared: true, tenant_id: p1 } }, ADMIN, 201)).address_scope as Json;
      assert.equal(everyone.shared, true);
      const wildcard = (await call('GET', `/v2.0/rbac-policies?object_id=${everyone.id}`, undefined, ADMIN, 200)).rbac_policies as Json[];
      assert.deepEqual(wildcard.map((e) => [e.object_type, e.target_tenant, e.action]), [['address_scope', '*', 'access_as_shared']]);
      assert.equal(((await call('GET', `/v2.0/address-scopes/${everyone.id}`, undefined, h3, 200)).address_scope as Json).shared, true);
    });

    test('subnet pools are shared through their own entries: subnets of the target take blocks from them; a scope the target cannot see blocks the entry', async () => {
      const [p1, p2, p3] = [projectId(), projectId(), projectId()];
      const [h1, h2, h3] = [asProject(p1), asProject(p2), asProject(p3)];
      const pool = (await call('POST', '/v2.0/subnetpools', { subnetpool: { name: 'p', prefixes: ['10.50.0.0/16'] } }, h1, 201)).subnetpool as Json;
      await errorOf('GET', `/v2.0/subnetpools/${pool.id}`, undefined, h2, 404);
      const asNetwork = { object_type: 'network', object_id: pool.id, action: 'access_as_shared', target_tenant: p2 };
      assert.equal((await errorOf('POST', '/v2.0/rbac-policies', { rbac_policy: asNetwork }, h1, 400)).type, 'InvalidInput');
      const post = (body: Json, headers: Json, status: number) =>
        call('POST', '/v2.0/rbac-policies', { rbac_policy: { object_type: 'subnetpool', object_id: pool.id, action: 'access_as_shared', target_tenant: p2, ...body } }, headers, status);
      const shared = (await post({}, h1, 201)).rbac_policy as Json;
      assert.deepEqual([shared.object_type, shared.target_tenant], ['subnetpool', p2]);
      assert.equal(((await call('GET', `/v2.0/subnetpools/${pool.id}`, undefined, h2, 200)).subnetpool as Json).shared, true);
      assert.equal(((await call('GET', `/v2.0/subnetpools/${pool.id}`, undefined, h1, 200)).subnetpool as Json).shared, false);
      assert.deepEqual(ids((await call('GET', '/v2.0/subnetpools?shared=true', undefined, h2, 200)).subnetpools), [pool.id]);
      await errorOf('GET', `/v2.0/subnetpools/${pool.id}`, undefined, h3, 404);

      const net = await network(h2);
      const subnet = (await call('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, subnetpool_id: pool.id, prefixlen: 24 } }, h2, 201)).subnet as Json;
      assert.deepEqual(await errorOf('DELETE', `/v2.0/rbac-policies/${shared.id}`, undefined, h1, 409), {
        type: 'RbacPolicyInUse',
        message: `RBAC policy on object ${pool.id} cannot be removed because other objects depend on it.\nDetails: project_id=${p2}`,
        detail: '',
      });
      await call('DELETE', `/v2.0/subnets/${subnet.id}`, undefined, h2, 204);
      await call('DELETE', `/v2.0/rbac-policies/${shared.id}`, undefined, h1, 204);
      await errorOf('GET', `/v2.0/subnetpools/${pool.id}`, undefined, h2, 404);
      const fromHidden = await errorOf('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, subnetpool_id: pool.id, prefixlen: 24 } }, h2, 404);
      assert.equal(fromHidden.type, 'SubnetPoolNotFound');

      // A pool in an address scope is shared only with projects that see the scope.
      const scope = (await call('POST', '/v2.0/address-scopes', { address_scope: { name: 's', ip_version: 4 } }, h1, 201)).address_scope as Json;
      const scoped = (await call('POST', '/v2.0/subnetpools', { subnetpool: { name: 'q', prefixes: ['10.60.0.0/16'], address_scope_id: scope.id } }, h1, 201)).subnetpool as Json;
      const refused = (await call('POST', '/v2.0/rbac-policies', { rbac_policy: { object_type: 'subnetpool', object_id: scoped.id, action: 'access_as_shared', target_tenant: p3 } }, h1, 400)).NeutronError;
      assert.equal(refused.message, `Invalid input for operation: Failed to create RBAC policy on object ${scoped.id} because target project doesn't have access to associated address scope..`);
      await call('POST', '/v2.0/rbac-policies', { rbac_policy: { object_type: 'address_scope', object_id: scope.id, action: 'access_as_shared', target_tenant: p3 } }, h1, 201);
      await call('POST', '/v2.0/rbac-policies', { rbac_policy: { object_type: 'subnetpool', object_id: scoped.id, action: 'access_as_shared', target_tenant: p3 } }, h1, 201);
      await call('GET', `/v2.0/subnetpools/${scoped.id}`, undefined, h3, 200);

      // shared=true (admins) is a '*' entry.
      const everyone = (await call('POST', '/v2.0/subnetpools', { subnetpool: { name: 'all', prefixes: ['10.70.0.0/16'], shared: true, tenant_id: p1 } }, ADMIN, 201)).subnetpool as Json;
      assert.equal(everyone.shared, true);
      const wildcard = (await call('GET', `/v2.0/rbac-policies?object_id=${everyone.id}`, undefined, ADMIN, 200)).rbac_policies as Json[];
      assert.deepEqual(wildcard.map((e) => [e.object_type, e.target_tenant]), [['subnetpool', '*']]);
      assert.equal(((await call('GET', `/v2.0/subnetpools/${everyone.id}`, undefined, h3, 200)).subnetpool as Json).shared, true);
    });

    test('entries of several object types: a bulk create in the order asked, one list with limit and marker over them all', async () => {
      const p1 = projectId();
      const h1 = asProject(p1);
      const net = await network(h1);
      const scope = (await call('POST', '/v2.0/address-scopes', { address_scope: { name: 's', ip_version: 4 } }, h1, 201)).address_scope as Json;
      const [target1, target2] = [projectId(), projectId()];
      const entry = (type: string, id: string, target: string) => ({ object_type: type, object_id: id, action: 'access_as_shared', target_tenant: target });
      const bulk = (await call('POST', '/v2.0/rbac-policies', {
        rbac_policies: [entry('address_scope', scope.id, target1), entry('network', net.id, target1), entry('address_scope', scope.id, target2)],
      }, h1, 201)).rbac_policies as Json[];
      assert.deepEqual(bulk.map((e) => [e.object_type, e.target_tenant]), [['address_scope', target1], ['network', target1], ['address_scope', target2]]);
      // A failing entry undoes the others.
      await call('POST', '/v2.0/rbac-policies', { rbac_policies: [entry('network', net.id, projectId()), entry('address_scope', scope.id, target1)] }, h1, 409);
      assert.equal((await call('GET', '/v2.0/rbac-policies', undefined, h1, 200)).rbac_policies.length, 3);

      const first = await call('GET', '/v2.0/rbac-policies?limit=2', undefined, h1, 200);
      assert.equal(first.rbac_policies.length, 2);
      const next = await call('GET', `/v2.0/rbac-policies?limit=2&marker=${first.rbac_policies[1].id}`, undefined, h1, 200);
      assert.equal(next.rbac_policies.length, 1);
      assert.deepEqual(new Set([...ids(first.rbac_policies), ...ids(next.rbac_policies)]), new Set(ids(bulk)));
      assert.equal((await errorOf('GET', `/v2.0/rbac-policies?limit=1&marker=${randomUUID()}`, undefined, h1, 404)).type, 'RbacPolicyNotFound');
    });

    test('rbac_policy counts against its project\'s quota', async () => {
      const p1 = projectId();
      const h1 = asProject(p1);
      const quota = (await call('GET', `/v2.0/quotas/${p1}`, undefined, h1, 200)).quota as Json;
      assert.equal(quota.rbac_policy, 10);
      await call('PUT', `/v2.0/quotas/${p1}`, { quota: { rbac_policy: 2 } }, ADMIN, 200);
      const net = await network(h1);
      await share(h1, net.id, projectId());
      await share(h1, net.id, projectId());
      assert.equal((await errorOf('POST', '/v2.0/rbac-policies', { rbac_policy: { object_type: 'network', object_id: net.id, action: 'access_as_shared', target_tenant: projectId() } }, h1, 409)).type, 'OverQuota');
      const details = (await call('GET', `/v2.0/quotas/${p1}/details`, undefined, ADMIN, 200)).quota as Json;
      assert.deepEqual(details.rbac_policy, { limit: 2, used: 2, reserved: 0 });
      // Entries go with their network.
      await call('DELETE', `/v2.0/networks/${net.id}`, undefined, h1, 204);
      assert.deepEqual((await call('GET', '/v2.0/rbac-policies', undefined, h1, 200)).rbac_policies, []);
    });
  });
}
