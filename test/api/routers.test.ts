/**
 * Routers over HTTP on every backend (service_plugins = router): the
 * extensions, CRUD with an external gateway, interfaces by subnet and by
 * port, extra routes, and Neutron's errors for each rule (type and message).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createTestDatabase, testDialects, type TestDatabase } from '../db/databases.js';
import { asProject, type TestApi, startTestApi } from '../helpers/testApi.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions, not by types
type Json = Record<string, any>;

const ROUTER_ALIASES = [
  'router',
  'ext-gw-mode',
  'extraroute',
  'extraroute-atomic',
  'l3-port-ip-change-not-allowed',
  'router-admin-state-down-before-update',
  'dvr',
  'l3-ha',
  'router_availability_zone',
  'l3-flavors',
];

for (const dialect of testDialects()) {
  describe(`routers on ${dialect}`, () => {
    let database: TestDatabase;
    let api: TestApi;

    before(async () => {
      database = await createTestDatabase(dialect);
      api = await startTestApi(database.url, { DEFAULT: { service_plugins: ['neutron.services.l3_router.l3_router_plugin.L3RouterPlugin'] } });
    });
    after(async () => {
      await api?.close();
      await database?.drop();
    });

    const admin = {};
    const p1 = asProject('p1');
    const p2 = asProject('p2');
    const error = (response: { body: Json }) => {
      const { type, message } = response.body.NeutronError as Json;
      return { type, message };
    };
    const ok = <T extends { status: number; body: Json }>(response: T, status = 200): T => {
      assert.equal(response.status, status, JSON.stringify(response.body));
      return response;
    };

    const network = async (body: Json, headers: Json = p1) =>
      ok(await api.request('POST', '/v2.0/networks', { network: { name: 'n', ...body } }, headers), 201).body.network as Json;
    const subnet = async (networkId: string, cidr: string, body: Json = {}, headers: Json = p1) =>
      ok(
        await api.request('POST', '/v2.0/subnets', { subnet: { network_id: networkId, cidr, ip_version: cidr.includes(':') ? 6 : 4, ...body } }, headers),
        201,
      ).body.subnet as Json;
    const router = async (body: Json = {}, headers: Json = p1) =>
      ok(await api.request('POST', '/v2.0/routers', { router: { name: 'r', ...body } }, headers), 201).body.router as Json;
    const action = (id: string, name: string, body: Json, headers: Json = p1) => api.request('PUT', `/v2.0/routers/${id}/${name}`, body, headers);
    const external = async (cidr = '172.24.4.0/24') => {
      const net = await network({ name: 'public', 'router:external': true, tenant_id: 'admin' }, admin);
      const sub = await subnet(net.id, cidr, { tenant_id: 'admin' }, admin);
      return { net, sub };
    };

    test("the router extensions are listed with Neutron's aliases, names and dates", async () => {
      const extensions = (await api.request('GET', '/v2.0/extensions')).body.extensions as Json[];
      const byAlias = new Map(extensions.map((e) => [e.alias, e]));
      for (const alias of ROUTER_ALIASES) assert.ok(byAlias.has(alias), alias);
      assert.deepEqual(byAlias.get('router'), {
        alias: 'router',
        name: 'Neutron L3 Router',
        description: "Routers: forward between a project's networks and reach an external network through a NAT gateway.",
        updated: '2012-07-20T10:00:00-00:00',
        links: [],
      });
      assert.deepEqual(byAlias.get('extraroute-atomic')?.updated, '2019-07-10T00:00:00+00:00');
      assert.deepEqual(byAlias.get('ext-gw-mode')?.name, 'Neutron L3 Configurable external gateway mode');
    });

    test('create, show, list, update and delete; the quota counts routers', async () => {
      const created = await router({ name: 'r1', description: 'd' });
      assert.deepEqual(
        { ...created, id: undefined, created_at: undefined, updated_at: undefined },
        {
          id: undefined,
          name: 'r1',
          description: 'd',
          admin_state_up: true,
          status: 'ACTIVE',
          tenant_id: 'p1',
          project_id: 'p1',
          external_gateway_info: null,
          routes: [],
          tags: [],
          // router_availability_zone's; dvr's and l3-ha's are the admin's only.
          availability_zone_hints: [],
          availability_zones: [],
          // l3-flavors': null without a flavor.
          flavor_id: null,
          revision_number: 0,
          created_at: undefined,
          updated_at: undefined,
        },
      );
      assert.equal(ok(await api.request('GET', `/v2.0/routers/${created.id}`, undefined, p1)).body.router.name, 'r1');
      const hidden = await api.request('GET', `/v2.0/routers/${created.id}`, undefined, p2);
      assert.equal(hidden.status, 404);
      assert.deepEqual(error(hidden), { type: 'RouterNotFound', message: `Router ${created.id} could not be found` });
      const names = (ok(await api.request('GET', '/v2.0/routers?name=r1', undefined, p1)).body.routers as Json[]).map((r) => r.name);
      assert.deepEqual(names, ['r1']);
      assert.deepEqual(ok(await api.request('GET', '/v2.0/routers', undefined, p2)).body.routers, []);

      const updated = ok(await api.request('PUT', `/v2.0/routers/${created.id}`, { router: { name: 'r2', admin_state_up: false } }, p1)).body.router;
      assert.equal(updated.name, 'r2');
      assert.equal(updated.admin_state_up, false);
      assert.equal(updated.revision_number, 1);
      const status = await api.request('PUT', `/v2.0/routers/${created.id}`, { router: { status: 'DOWN' } }, p1);
      assert.equal(status.status, 400);

      ok(await api.request('PUT', '/v2.0/quotas/p3', { quota: { router: 1 } }, admin));
      await router({}, asProject('p3'));
      const over = await api.request('POST', '/v2.0/routers', { router: { name: 'x' } }, asProject('p3'));
      assert.equal(over.status, 409);
      assert.equal(error(over).type, 'OverQuota');

      ok(await api.request('DELETE', `/v2.0/routers/${created.id}`, undefined, p1), 204);
      assert.equal((await api.request('GET', `/v2.0/routers/${created.id}`, undefined, p1)).status, 404);
    });

    test('external gateway: an external network, a gateway port, enable_snat for admins only', async () => {
      const { net, sub } = await external('172.24.5.0/24');
      const internal = await network({});
      const refused = await api.request('POST', '/v2.0/routers', { router: { external_gateway_info: { network_id: internal.id } } }, p1);
      assert.equal(refused.status, 400);
      assert.deepEqual(error(refused), { type: 'BadRequest', message: `Bad router request: Network ${internal.id} is not an external network.` });
      // Another project's network exists for p1 only once it is external (or shared) to it.
      const theirs = await network({ name: 'theirs' }, admin);
      await subnet(theirs.id, '172.24.9.0/24', {}, admin);
      const unseen = await api.request('POST', '/v2.0/routers', { router: { external_gateway_info: { network_id: theirs.id } } }, p1);
      assert.deepEqual([unseen.status, error(unseen).type], [404, 'NetworkNotFound']);
      const rbac = ok(
        await api.request('POST', '/v2.0/rbac-policies', { rbac_policy: { object_type: 'network', object_id: theirs.id, action: 'access_as_external', target_tenant: '*' } }, admin),
        201,
      ).body.rbac_policy as Json;
      const viaRbac = await router({ external_gateway_info: { network_id: theirs.id } });
      ok(await api.request('DELETE', `/v2.0/routers/${viaRbac.id}`, undefined, p1), 204);
      ok(await api.request('DELETE', `/v2.0/rbac-policies/${rbac.id}`, undefined, admin), 204);
      const gone = await api.request('POST', '/v2.0/routers', { router: { external_gateway_info: { network_id: theirs.id } } }, p1);
      assert.deepEqual([gone.status, error(gone).type], [404, 'NetworkNotFound']);

      const r = await router({ external_gateway_info: { network_id: net.id } });
      const gw = r.external_gateway_info as Json;
      assert.equal(gw.network_id, net.id);
      assert.equal(gw.enable_snat, true);
      assert.equal(gw.external_fixed_ips.length, 1);
      assert.equal(gw.external_fixed_ips[0].subnet_id, sub.id);

      const ports = ok(await api.request('GET', `/v2.0/ports?device_id=${r.id}`, undefined, admin)).body.ports as Json[];
      assert.equal(ports.length, 1);
      assert.equal(ports[0]!.device_owner, 'network:router_gateway');
      assert.equal(ports[0]!.tenant_id, '');
      assert.equal(ports[0]!.status, 'DOWN');
      const direct = await api.request('DELETE', `/v2.0/ports/${ports[0]!.id}`, undefined, admin);
      assert.equal(direct.status, 409);
      assert.deepEqual(error(direct), {
        type: 'ServicePortInUse',
        message: `Port ${ports[0]!.id} cannot be deleted directly via the port API: has device owner network:router_gateway.`,
      });

      const snat = await api.request('PUT', `/v2.0/routers/${r.id}`, { router: { external_gateway_info: { network_id: net.id, enable_snat: false } } }, p1);
      assert.equal(snat.status, 403);
      assert.equal(error(snat).type, 'PolicyNotAuthorized');
      const bySnatAdmin = ok(await api.request('PUT', `/v2.0/routers/${r.id}`, { router: { external_gateway_info: { network_id: net.id, enable_snat: false } } }, admin));
      assert.equal(bySnatAdmin.body.router.external_gateway_info.enable_snat, false);
      assert.equal(bySnatAdmin.body.router.external_gateway_info.external_fixed_ips[0].ip_address, gw.external_fixed_ips[0].ip_address);

      const fixed = ok(
        await api.request(
          'PUT',
          `/v2.0/routers/${r.id}`,
          { router: { external_gateway_info: { network_id: net.id, external_fixed_ips: [{ subnet_id: sub.id, ip_address: '172.24.5.50' }] } } },
          admin,
        ),
      ).body.router;
      assert.deepEqual(fixed.external_gateway_info.external_fixed_ips, [{ subnet_id: sub.id, ip_address: '172.24.5.50' }]);
      assert.equal(fixed.external_gateway_info.enable_snat, true);
      const onGateway = await api.request(
        'PUT',
        `/v2.0/routers/${r.id}`,
        { router: { external_gateway_info: { network_id: net.id, external_fixed_ips: [{ ip_address: '172.24.5.1' }] } } },
        admin,
      );
      assert.deepEqual(error(onGateway), { type: 'BadRequest', message: 'Bad router request: External IP 172.24.5.1 is the same as the gateway IP.' });

      const cleared = ok(await api.request('PUT', `/v2.0/routers/${r.id}`, { router: { external_gateway_info: null } }, p1)).body.router;
      assert.equal(cleared.external_gateway_info, null);
      assert.deepEqual(ok(await api.request('GET', `/v2.0/ports?device_id=${r.id}`, undefined, admin)).body.ports, []);
      const missing = await api.request('PUT', `/v2.0/routers/${r.id}`, { router: { external_gateway_info: { network_id: '6a1ea1e8-52ef-4d37-b0a6-7f2c4a4f0000' } } }, p1);
      assert.equal(missing.status, 404);
      assert.equal(error(missing).type, 'NetworkNotFound');

      // {} says "no gateway" as null does (dict_or_nodata): on create, and on update it removes one.
      const empty = await router({ external_gateway_info: {} });
      assert.equal(empty.external_gateway_info, null);
      ok(await api.request('PUT', `/v2.0/routers/${r.id}`, { router: { external_gateway_info: { network_id: net.id } } }, p1));
      const emptied = ok(await api.request('PUT', `/v2.0/routers/${r.id}`, { router: { external_gateway_info: {} } }, p1)).body.router;
      assert.equal(emptied.external_gateway_info, null);
      assert.deepEqual(ok(await api.request('GET', `/v2.0/ports?device_id=${r.id}`, undefined, admin)).body.ports, []);

      // Deleting a router deletes its gateway port.
      const other = await router({ external_gateway_info: { network_id: net.id } });
      ok(await api.request('DELETE', `/v2.0/routers/${other.id}`, undefined, p1), 204);
      assert.deepEqual(ok(await api.request('GET', `/v2.0/ports?device_id=${other.id}`, undefined, admin)).body.ports, []);
    });

    test('interfaces by subnet: the gateway address, no duplicate or overlapping subnet, RouterInUse, removal', async () => {
      const net = await network({});
      const sub = await subnet(net.id, '10.1.0.0/24');
      const r = await router();
      const added = ok(await action(r.id, 'add_router_interface', { subnet_id: sub.id })).body;
      assert.deepEqual(Object.keys(added).sort(), ['id', 'network_id', 'port_id', 'project_id', 'subnet_id', 'subnet_ids', 'tenant_id']);
      assert.equal(added.id, r.id);
      assert.equal(added.subnet_id, sub.id);
      assert.deepEqual(added.subnet_ids, [sub.id]);
      assert.equal(added.tenant_id, 'p1');
      const port = ok(await api.request('GET', `/v2.0/ports/${added.port_id}`, undefined, p1)).body.port;
      assert.equal(port.device_owner, 'network:router_interface');
      assert.equal(port.device_id, r.id);
      assert.deepEqual(port.fixed_ips, [{ subnet_id: sub.id, ip_address: '10.1.0.1' }]);

      const again = await action(r.id, 'add_router_interface', { subnet_id: sub.id });
      assert.deepEqual(error(again), { type: 'BadRequest', message: `Bad router request: Router already has a port on subnet ${sub.id}.` });
      const net2 = await network({});
      const overlapping = await subnet(net2.id, '10.1.0.0/16');
      const overlap = await action(r.id, 'add_router_interface', { subnet_id: overlapping.id });
      assert.deepEqual(error(overlap), {
        type: 'BadRequest',
        message: `Bad router request: Cidr 10.1.0.0/16 of subnet ${overlapping.id} overlaps with cidr 10.1.0.0/24 of subnet ${sub.id}.`,
      });
      const noGateway = await subnet(net2.id, '10.9.0.0/24', { gateway_ip: null });
      assert.deepEqual(error(await action(r.id, 'add_router_interface', { subnet_id: noGateway.id })), {
        type: 'BadRequest',
        message: 'Bad router request: Subnet for router interface must have a gateway IP.',
      });
      assert.deepEqual(error(await action(r.id, 'add_router_interface', {})), {
        type: 'BadRequest',
        message: 'Bad router request: Either subnet_id or port_id must be specified.',
      });
      assert.deepEqual(error(await action(r.id, 'add_router_interface', { subnet_id: sub.id, port_id: added.port_id })), {
        type: 'BadRequest',
        message: 'Bad router request: Cannot specify both subnet-id and port-id.',
      });
      const foreign = await action(r.id, 'add_router_interface', { subnet_id: sub.id }, p2);
      assert.equal(foreign.status, 404);
      assert.equal(error(foreign).type, 'RouterNotFound');

      const inUse = await api.request('DELETE', `/v2.0/routers/${r.id}`, undefined, p1);
      assert.equal(inUse.status, 409);
      assert.deepEqual(error(inUse), { type: 'RouterInUse', message: `Router ${r.id} has ports still attached: ${added.port_id}` });
      const direct = await api.request('DELETE', `/v2.0/ports/${added.port_id}`, undefined, p1);
      assert.deepEqual(error(direct), {
        type: 'ServicePortInUse',
        message: `Port ${added.port_id} cannot be deleted directly via the port API: has device owner network:router_interface.`,
      });
      const renumber = await api.request('PUT', `/v2.0/ports/${added.port_id}`, { port: { fixed_ips: [{ subnet_id: sub.id, ip_address: '10.1.0.9' }] } }, p1);
      assert.deepEqual(error(renumber), { type: 'IPAddressChangeNotAllowed', message: `IP updates for port ${added.port_id} are not allowed` });
      const subnetDelete = await api.request('DELETE', `/v2.0/subnets/${sub.id}`, undefined, p1);
      assert.equal(subnetDelete.status, 409);

      const notThere = await action(r.id, 'remove_router_interface', { subnet_id: noGateway.id });
      assert.equal(notThere.status, 404);
      assert.deepEqual(error(notThere), { type: 'RouterInterfaceNotFoundForSubnet', message: `Router ${r.id} has no interface on subnet ${noGateway.id}` });
      const wrongPort = await action(r.id, 'remove_router_interface', { port_id: '6a1ea1e8-52ef-4d37-b0a6-7f2c4a4f0000' });
      assert.deepEqual(error(wrongPort), {
        type: 'RouterInterfaceNotFound',
        message: `Router ${r.id} does not have an interface with id 6a1ea1e8-52ef-4d37-b0a6-7f2c4a4f0000`,
      });
      const mismatch = await action(r.id, 'remove_router_interface', { port_id: added.port_id, subnet_id: noGateway.id });
      assert.deepEqual(error(mismatch), {
        type: 'SubnetMismatchForPort',
        message: `Subnet on port ${added.port_id} does not match the requested subnet ${noGateway.id}.`,
      });
      const removed = ok(await action(r.id, 'remove_router_interface', { subnet_id: sub.id })).body;
      assert.deepEqual({ port_id: removed.port_id, subnet_ids: removed.subnet_ids }, { port_id: added.port_id, subnet_ids: [sub.id] });
      assert.equal((await api.request('GET', `/v2.0/ports/${added.port_id}`, undefined, p1)).status, 404);
      ok(await api.request('DELETE', `/v2.0/routers/${r.id}`, undefined, p1), 204);
    });

    test('interfaces by port: free ports with addresses only; removal by port deletes it', async () => {
      const net = await network({});
      const sub = await subnet(net.id, '10.2.0.0/24');
      const r = await router();
      const port = ok(await api.request('POST', '/v2.0/ports', { port: { network_id: net.id } }, p1), 201).body.port;
      const added = ok(await action(r.id, 'add_router_interface', { port_id: port.id })).body;
      assert.deepEqual({ port_id: added.port_id, subnet_ids: added.subnet_ids }, { port_id: port.id, subnet_ids: [sub.id] });
      const attached = ok(await api.request('GET', `/v2.0/ports/${port.id}`, undefined, p1)).body.port;
      assert.deepEqual([attached.device_owner, attached.device_id], ['network:router_interface', r.id]);

      const r2 = await router();
      const inUse = await action(r2.id, 'add_router_interface', { port_id: port.id });
      assert.equal(inUse.status, 409);
      assert.deepEqual(error(inUse), {
        type: 'PortInUse',
        message: `Unable to complete operation on port ${port.id} for network ${net.id}. Port already has an attached device ${r.id}.`,
      });
      const bare = ok(await api.request('POST', '/v2.0/ports', { port: { network_id: net.id, fixed_ips: [] } }, p1), 201).body.port;
      assert.deepEqual(error(await action(r2.id, 'add_router_interface', { port_id: bare.id })), {
        type: 'BadRequest',
        message: 'Bad router request: Router port must have at least one fixed IP.',
      });
      const missing = await action(r2.id, 'add_router_interface', { port_id: '6a1ea1e8-52ef-4d37-b0a6-7f2c4a4f0000' });
      assert.equal(missing.status, 404);
      assert.equal(error(missing).type, 'PortNotFound');

      ok(await action(r.id, 'remove_router_interface', { port_id: port.id }));
      assert.equal((await api.request('GET', `/v2.0/ports/${port.id}`, undefined, p1)).status, 404);
    });

    test('extra routes: nexthops on attached subnets, atomic add and remove, an interface a route needs stays', async () => {
      const net = await network({});
      const sub = await subnet(net.id, '10.3.0.0/24');
      const r = await router();
      const route = { destination: '192.168.0.0/24', nexthop: '10.3.0.10' };
      const unreachable = await api.request('PUT', `/v2.0/routers/${r.id}`, { router: { routes: [route] } }, p1);
      assert.equal(unreachable.status, 400);
      assert.deepEqual(error(unreachable), {
        type: 'InvalidRoutes',
        message: "Invalid format for routes: [{'destination': '192.168.0.0/24', 'nexthop': '10.3.0.10'}], the nexthop is not connected with router",
      });
      ok(await action(r.id, 'add_router_interface', { subnet_id: sub.id }));
      const own = await api.request('PUT', `/v2.0/routers/${r.id}`, { router: { routes: [{ destination: '192.168.0.0/24', nexthop: '10.3.0.1' }] } }, p1);
      assert.deepEqual(error(own), {
        type: 'InvalidRoutes',
        message: "Invalid format for routes: [{'destination': '192.168.0.0/24', 'nexthop': '10.3.0.1'}], the nexthop is used by router",
      });
      const set = ok(await api.request('PUT', `/v2.0/routers/${r.id}`, { router: { routes: [route] } }, p1)).body.router;
      assert.deepEqual(set.routes, [route]);

      const route2 = { destination: '192.168.1.0/24', nexthop: '10.3.0.11' };
      const added = ok(await action(r.id, 'add_extraroutes', { router: { routes: [route, route2] } })).body;
      assert.deepEqual(added.router.routes, [route, route2]);
      const removed = ok(await action(r.id, 'remove_extraroutes', { router: { routes: [route, { destination: '1.0.0.0/8', nexthop: '10.3.0.12' }] } })).body;
      assert.deepEqual(removed.router.routes, [route2]);

      const needed = await action(r.id, 'remove_router_interface', { subnet_id: sub.id });
      assert.equal(needed.status, 409);
      assert.deepEqual(error(needed), {
        type: 'RouterInterfaceInUseByRoute',
        message: `Router interface for subnet ${sub.id} on router ${r.id} cannot be deleted, as it is required by one or more routes.`,
      });
      const cleared = ok(await api.request('PUT', `/v2.0/routers/${r.id}`, { router: { routes: null } }, p1)).body.router;
      assert.deepEqual(cleared.routes, []);
      ok(await action(r.id, 'remove_router_interface', { subnet_id: sub.id }));
    });
  });
}

describe('without the router service plugin', () => {
  test('no router extension and no /v2.0/routers', async () => {
    const [dialect] = testDialects();
    const database = await createTestDatabase(dialect!);
    const api = await startTestApi(database.url);
    try {
      const aliases = ((await api.request('GET', '/v2.0/extensions')).body.extensions as Json[]).map((e) => e.alias);
      for (const alias of ROUTER_ALIASES) assert.ok(!aliases.includes(alias), alias);
      // Neutron's flavors plugin is a default service plugin: loaded without the router plugin too.
      for (const alias of ['flavors', 'service-type']) assert.ok(aliases.includes(alias), alias);
      assert.equal((await api.request('GET', '/v2.0/routers')).status, 404);
    } finally {
      await api.close();
      await database.drop();
    }
  });

  test('an unknown service plugin stops the server naming section, option and value', async () => {
    const [dialect] = testDialects();
    const database = await createTestDatabase(dialect!);
    try {
      await assert.rejects(startTestApi(database.url, { DEFAULT: { service_plugins: ['router', 'vpnaas'] } }), /DEFAULT.*service_plugins.*vpnaas/);
    } finally {
      await database.drop();
    }
  });
});
