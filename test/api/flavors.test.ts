/**
 * Neutron's flavors service over HTTP on every backend: flavors, service
 * profiles and their bindings (admins write, readers see flavors), the
 * providers of /v2.0/service-providers, and routers' flavor_id with the
 * router plugin (the provider a flavor names must support what the router
 * asks for; a flavor routers use stays). What neutron-tempest-plugin's
 * test_flavors_extensions, admin/test_routers_flavors and
 * test_service_type_management send, and Neutron's answers.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { testDialects } from '../db/databases.js';
import { suiteApi } from '../helpers/suiteApi.js';
import { asProject, type TestApi } from '../helpers/testApi.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions, not by types
type Json = Record<string, any>;

const admin = {};
const p1 = asProject('p1');
const L3 = 'neutron.services.l3_router.service_providers';

function calls(api: TestApi) {
  const call = async (method: string, path: string, body: Json | undefined, status: number, headers: Json = admin): Promise<Json> => {
    const response = await api.request(method, path, body, headers);
    assert.equal(response.status, status, `${method} ${path}: ${JSON.stringify(response.body)}`);
    return response.body as Json;
  };
  const refusal = async (method: string, path: string, body: Json | undefined, status: number, headers: Json = admin) => {
    const { type, message } = (await call(method, path, body, status, headers)).NeutronError as Json;
    return { type, message } as { type: string; message: string };
  };
  const flavor = async (body: Json) => (await call('POST', '/v2.0/flavors', { flavor: body }, 201)).flavor as Json;
  const profile = async (body: Json) => (await call('POST', '/v2.0/service_profiles', { service_profile: body }, 201)).service_profile as Json;
  const bind = (flavorId: string, profileId: string) => call('POST', `/v2.0/flavors/${flavorId}/service_profiles`, { service_profile: { id: profileId } }, 201);
  return { call, refusal, flavor, profile, bind };
}

for (const dialect of testDialects()) {
  describe(`flavors on ${dialect}, without the router plugin`, () => {
    const api = suiteApi(dialect);

    test('flavors and service-type are listed without service_plugins, as Neutron loads its flavors plugin by default; no l3-flavors', async () => {
      const { call } = calls(api);
      const extensions = new Map(((await call('GET', '/v2.0/extensions', undefined, 200)).extensions as Json[]).map((e) => [e.alias, e]));
      assert.deepEqual([extensions.get('flavors')?.name, extensions.get('flavors')?.updated], ['Neutron Service Flavors', '2015-09-17T10:00:00-00:00']);
      assert.deepEqual([extensions.get('service-type')?.name, extensions.get('service-type')?.updated], ['Neutron Service Type Management', '2013-01-20T00:00:00-00:00']);
      assert.equal(extensions.has('l3-flavors'), false);
      // No service plugin with providers: an empty list, and no driver a profile could name.
      assert.deepEqual((await call('GET', '/v2.0/service-providers', undefined, 200, p1)).service_providers, []);
    });

    test('flavors: admins create, update and delete; readers list and show; the service type must be a loaded plugin', async () => {
      const { call, refusal, flavor } = calls(api);
      const created = await flavor({ name: 'Best flavor', description: 'flavor is created by tempest', service_type: 'FLAVORS' });
      assert.deepEqual({ ...created, id: undefined }, {
        id: undefined, name: 'Best flavor', description: 'flavor is created by tempest', service_type: 'FLAVORS', enabled: true, service_profiles: [],
      });
      const updated = (await call('PUT', `/v2.0/flavors/${created.id}`, { flavor: { enabled: false } }, 200)).flavor as Json;
      assert.equal(updated.enabled, false);
      assert.equal(((await call('GET', `/v2.0/flavors/${created.id}`, undefined, 200, p1)).flavor as Json).name, 'Best flavor');
      assert.equal(((await call('GET', `/v2.0/flavors?id=${created.id}`, undefined, 200, p1)).flavors as Json[]).length, 1);
      // tempest's test_list_flavors: an id that is no UUID finds nothing.
      assert.deepEqual((await call('GET', '/v2.0/flavors?id=33', undefined, 200)).flavors, []);

      assert.equal((await refusal('POST', '/v2.0/flavors', { flavor: { service_type: 'FLAVORS' } }, 403, p1)).type, 'PolicyNotAuthorized');
      assert.equal((await refusal('PUT', `/v2.0/flavors/${created.id}`, { flavor: { name: 'x' } }, 403, p1)).type, 'PolicyNotAuthorized');
      assert.equal((await refusal('DELETE', `/v2.0/flavors/${created.id}`, undefined, 403, p1)).type, 'PolicyNotAuthorized');
      // Routers are not loaded: L3_ROUTER_NAT is no service type here.
      assert.deepEqual(await refusal('POST', '/v2.0/flavors', { flavor: { service_type: 'L3_ROUTER_NAT' } }, 400), {
        type: 'InvalidServiceType', message: 'Invalid service type: L3_ROUTER_NAT.',
      });
      assert.equal((await refusal('POST', '/v2.0/flavors', { flavor: { name: 'no type' } }, 400)).type, 'HTTPBadRequest');
      assert.equal((await refusal('PUT', `/v2.0/flavors/${created.id}`, { flavor: { service_type: 'FLAVORS' } }, 400)).type, 'HTTPBadRequest');

      await call('DELETE', `/v2.0/flavors/${created.id}`, undefined, 204);
      assert.deepEqual((await call('GET', `/v2.0/flavors?id=${created.id}`, undefined, 200)).flavors, []);
      assert.deepEqual(await refusal('GET', `/v2.0/flavors/${created.id}`, undefined, 404), {
        type: 'FlavorNotFound', message: `Flavor ${created.id} could not be found.`,
      });
    });

    test('service profiles: admins only; a driver or metainfo; a bound profile can be neither changed nor deleted', async () => {
      const { call, refusal, flavor, profile, bind } = calls(api);
      const created = await profile({ description: 'service profile created by tempest', driver: '', metainfo: '{"data": "value"}' });
      assert.deepEqual({ ...created, id: undefined }, {
        id: undefined, description: 'service profile created by tempest', driver: '', metainfo: '{"data": "value"}', enabled: true,
      });
      assert.equal(((await call('PUT', `/v2.0/service_profiles/${created.id}`, { service_profile: { enabled: false } }, 200)).service_profile as Json).enabled, false);
      assert.equal(((await call('GET', `/v2.0/service_profiles?id=${created.id}`, undefined, 200)).service_profiles as Json[]).length, 1);
      assert.deepEqual((await call('GET', '/v2.0/service_profiles?id=33', undefined, 200)).service_profiles, []);
      assert.equal((await refusal('GET', `/v2.0/service_profiles/${created.id}`, undefined, 404, p1)).type, 'ServiceProfileNotFound');
      assert.deepEqual((await call('GET', '/v2.0/service_profiles', undefined, 200, p1)).service_profiles, []);
      assert.equal((await refusal('POST', '/v2.0/service_profiles', { service_profile: { metainfo: 'm' } }, 403, p1)).type, 'PolicyNotAuthorized');

      assert.deepEqual(await refusal('POST', '/v2.0/service_profiles', { service_profile: { description: 'empty' } }, 400), {
        type: 'ServiceProfileEmpty', message: 'Service Profile needs either a driver or metainfo.',
      });
      assert.deepEqual(await refusal('POST', '/v2.0/service_profiles', { service_profile: { driver: `${L3}.dvr.DvrDriver` } }, 404), {
        type: 'ServiceProfileDriverNotFound', message: `Service Profile driver ${L3}.dvr.DvrDriver could not be found.`,
      });

      // Bindings, under the flavor.
      const f = await flavor({ name: 'f', service_type: 'FLAVORS' });
      assert.deepEqual(await bind(f.id, created.id), { service_profile: { id: created.id } });
      assert.deepEqual(((await call('GET', `/v2.0/flavors/${f.id}`, undefined, 200)).flavor as Json).service_profiles, [created.id]);
      assert.deepEqual((await call('GET', `/v2.0/flavors/${f.id}/service_profiles`, undefined, 200)).service_profiles, [{ id: created.id }]);
      assert.deepEqual((await call('GET', `/v2.0/flavors/${f.id}/service_profiles/${created.id}`, undefined, 200)).service_profile, { id: created.id });
      assert.deepEqual(await refusal('POST', `/v2.0/flavors/${f.id}/service_profiles`, { service_profile: { id: created.id } }, 409), {
        type: 'FlavorServiceProfileBindingExists', message: `Service Profile ${created.id} is already associated with flavor ${f.id}.`,
      });
      const byMember = await refusal('POST', `/v2.0/flavors/${f.id}/service_profiles`, { service_profile: { id: created.id } }, 403, p1);
      assert.deepEqual(byMember, { type: 'PolicyNotAuthorized', message: '(rule:create_flavor_service_profile) is disallowed by policy' });
      // get_flavor_service_profile: readers of its project (a binding has none), or anyone by its deprecated rule:regular_user.
      assert.deepEqual((await call('GET', `/v2.0/flavors/${f.id}/service_profiles`, undefined, 200, p1)).service_profiles, [{ id: created.id }]);
      const unknown = '6f3c4b1e-0000-4000-8000-000000000009';
      assert.equal((await refusal('POST', `/v2.0/flavors/${f.id}/service_profiles`, { service_profile: { id: unknown } }, 404)).type, 'ServiceProfileNotFound');
      assert.equal((await refusal('POST', `/v2.0/flavors/${unknown}/service_profiles`, { service_profile: { id: created.id } }, 404)).type, 'FlavorNotFound');
      // The flavor's own service_profiles is accepted and, as upstream, changes nothing.
      await call('PUT', `/v2.0/flavors/${f.id}`, { flavor: { service_profiles: [] } }, 200);
      assert.deepEqual(((await call('GET', `/v2.0/flavors/${f.id}`, undefined, 200)).flavor as Json).service_profiles, [created.id]);

      const inUse = { type: 'ServiceProfileInUse', message: `Service Profile ${created.id} is used by some service instance.` };
      assert.deepEqual(await refusal('PUT', `/v2.0/service_profiles/${created.id}`, { service_profile: { description: 'd' } }, 409), inUse);
      assert.deepEqual(await refusal('DELETE', `/v2.0/service_profiles/${created.id}`, undefined, 409), inUse);

      await call('DELETE', `/v2.0/flavors/${f.id}/service_profiles/${created.id}`, undefined, 204);
      assert.deepEqual(await refusal('DELETE', `/v2.0/flavors/${f.id}/service_profiles/${created.id}`, undefined, 404), {
        type: 'FlavorServiceProfileBindingNotFound', message: `Service Profile ${created.id} is not associated with flavor ${f.id}.`,
      });
      // Deleting a flavor takes its bindings along.
      await bind(f.id, created.id);
      await call('DELETE', `/v2.0/flavors/${f.id}`, undefined, 204);
      await call('DELETE', `/v2.0/service_profiles/${created.id}`, undefined, 204);
      assert.deepEqual((await call('GET', `/v2.0/service_profiles?id=${created.id}`, undefined, 200)).service_profiles, []);
    });
  });

  describe(`router flavors on ${dialect}`, () => {
    const api = suiteApi(dialect, { DEFAULT: { service_plugins: ['router'] } });

    test("service-providers lists the L3 providers (Neutron's names and order, none default), their drivers not shown", async () => {
      const { call } = calls(api);
      const aliases = ((await call('GET', '/v2.0/extensions', undefined, 200)).extensions as Json[]).map((e) => e.alias);
      for (const alias of ['flavors', 'service-type', 'l3-flavors']) assert.ok(aliases.includes(alias), alias);
      assert.deepEqual((await call('GET', '/v2.0/service-providers', undefined, 200, p1)).service_providers, [
        { service_type: 'L3_ROUTER_NAT', name: 'dvrha', default: false },
        { service_type: 'L3_ROUTER_NAT', name: 'dvr', default: false },
        { service_type: 'L3_ROUTER_NAT', name: 'ha', default: false },
        { service_type: 'L3_ROUTER_NAT', name: 'single_node', default: false },
      ]);
      assert.equal((await call('POST', '/v2.0/service-providers', { service_provider: {} }, 405)).NeutronError.type, 'HTTPMethodNotAllowed');
    });

    test("a router's flavor names its provider: members create routers with it, a flag the provider refuses is 400, a flavor in use stays", async () => {
      const { call, refusal, flavor, profile, bind } = calls(api);
      const single = await profile({ driver: `${L3}.single_node.SingleNodeDriver` });
      const dvr = await profile({ driver: `${L3}.dvr.DvrDriver` });
      const economy = await flavor({ name: 'special_flavor', description: 'econonomy class', service_type: 'L3_ROUTER_NAT' });
      const comfort = await flavor({ name: 'better_special_flavor', description: 'econonomy comfort', service_type: 'L3_ROUTER_NAT' });
      await bind(economy.id, single.id);
      await bind(comfort.id, dvr.id);

      const router = async (body: Json, headers: Json = p1) => (await call('POST', '/v2.0/routers', { router: { name: 'name', ...body } }, 201, headers)).router as Json;
      assert.equal(((await call('GET', `/v2.0/flavors?id=${economy.id}`, undefined, 200, p1)).flavors as Json[])[0]?.name, 'special_flavor');
      const r1 = await router({ flavor_id: economy.id });
      assert.equal(r1.flavor_id, economy.id);
      assert.equal((await router({ flavor_id: comfort.id })).flavor_id, comfort.id);
      assert.equal(((await call('GET', `/v2.0/routers/${r1.id}`, undefined, 200, p1)).router as Json).flavor_id, economy.id);
      assert.equal((await router({})).flavor_id, null);
      assert.deepEqual(((await call('GET', `/v2.0/routers?sort_key=flavor_id&sort_dir=asc&fields=flavor_id`, undefined, 200, p1)).routers as Json[]).length, 3);

      assert.deepEqual(await refusal('DELETE', `/v2.0/flavors/${economy.id}`, undefined, 409), {
        type: 'FlavorInUse', message: `Flavor ${economy.id} is used by some service instance.`,
      });
      assert.deepEqual(await refusal('POST', '/v2.0/routers', { router: { name: 'name', flavor_id: economy.id, distributed: true } }, 400), {
        type: 'InvalidInput', message: 'Invalid input for operation: Provider single_node does not support distributed=True.',
      });
      assert.deepEqual(await refusal('POST', '/v2.0/routers', { router: { name: 'name', flavor_id: comfort.id, distributed: false } }, 400), {
        type: 'InvalidInput', message: 'Invalid input for operation: Provider dvr does not support distributed=False.',
      });
      // A flavored router keeps its provider: no HA for the single-node one.
      await call('PUT', `/v2.0/routers/${r1.id}`, { router: { admin_state_up: false } }, 200, admin);
      assert.deepEqual(await refusal('PUT', `/v2.0/routers/${r1.id}`, { router: { ha: true } }, 400, admin), {
        type: 'InvalidInput',
        message: "Invalid input for operation: Changing the 'ha' and 'distributed' attributes on a router associated with a flavor is not supported.",
      });
      assert.equal((await refusal('PUT', `/v2.0/routers/${r1.id}`, { router: { flavor_id: comfort.id } }, 400, admin)).type, 'HTTPBadRequest');

      const missing = '6f3c4b1e-0000-4000-8000-00000000000a';
      assert.deepEqual(await refusal('POST', '/v2.0/routers', { router: { name: 'name', flavor_id: missing } }, 404, p1), {
        type: 'FlavorNotFound', message: `Flavor ${missing} could not be found.`,
      });
      const unbound = await flavor({ name: 'unbound', service_type: 'L3_ROUTER_NAT' });
      assert.deepEqual(await refusal('POST', '/v2.0/routers', { router: { name: 'name', flavor_id: unbound.id } }, 404, p1), {
        type: 'FlavorServiceProfileBindingNotFound', message: `Service Profile  is not associated with flavor ${unbound.id}.`,
      });
      const metainfoOnly = await profile({ metainfo: 'm', enabled: false });
      await bind(unbound.id, metainfoOnly.id);
      assert.deepEqual(await refusal('POST', '/v2.0/routers', { router: { name: 'name', flavor_id: unbound.id } }, 503, p1), {
        type: 'ServiceProfileDisabled', message: 'Service Profile is not enabled.',
      });

      // As the upstream test class cleans up: the profiles unbound first, then the routers updated
      // (routes: null) and deleted, which must not ask the flavor for a provider again.
      await call('DELETE', `/v2.0/flavors/${economy.id}/service_profiles/${single.id}`, undefined, 204, admin);
      await call('PUT', `/v2.0/routers/${r1.id}`, { router: { routes: null } }, 200, admin);
      // Once its routers are gone, the flavor goes (its bindings with it).
      for (const r of (await call('GET', '/v2.0/routers', undefined, 200)).routers as Json[]) await call('DELETE', `/v2.0/routers/${r.id}`, undefined, 204);
      await call('DELETE', `/v2.0/flavors/${economy.id}`, undefined, 204);
    });
  });
}
