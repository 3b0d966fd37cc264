/**
 * The dvr, l3-ha and router_availability_zone attributes of routers over
 * HTTP on every backend: who may set and see them, the conversions and
 * their admin-state rule, the projects' HA networks, availability zone
 * hints against the L3 agents' zones, and the [DEFAULT] options behind
 * them (Neutron's types and messages).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { openDatabase, type OpenDatabase } from '../../src/db/connect.js';
import { AgentService } from '../../src/plugins/agents/agentService.js';
import { parseAgentState } from '../../src/plugins/agents/stateReports.js';
import { createTestDatabase, testDialects, type TestDatabase } from '../db/databases.js';
import { suiteApi } from '../helpers/suiteApi.js';
import { asProject, type TestApi, startTestApi } from '../helpers/testApi.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions, not by types
type Json = Record<string, any>;

const ROUTER_PLUGIN = { service_plugins: ['router'] };
const ML2 = { ml2: { tenant_network_types: ['vxlan'] }, ml2_type_vxlan: { vni_ranges: ['1:1000'] } };

const admin = {};
const p1 = asProject('p1');

const ok = <T extends { status: number; body: Json }>(response: T, status = 200): T => {
  assert.equal(response.status, status, JSON.stringify(response.body));
  return response;
};
const error = (response: { body: Json }) => {
  const { type, message } = response.body.NeutronError as Json;
  return { type, message };
};

/** The API's router calls, as one caller or another. */
function routerCalls(api: TestApi) {
  const create = async (body: Json, headers: Json = admin) =>
    ok(await api.request('POST', '/v2.0/routers', { router: { name: 'r', ...body } }, headers), 201).body.router as Json;
  const update = (id: string, body: Json, headers: Json = admin) => api.request('PUT', `/v2.0/routers/${id}`, { router: body }, headers);
  const show = async (id: string, headers: Json = admin) => ok(await api.request('GET', `/v2.0/routers/${id}`, undefined, headers)).body.router as Json;
  return { create, update, show };
}

for (const dialect of testDialects()) {
  describe(`router attributes on ${dialect}`, () => {
    let database: TestDatabase;
    let api: TestApi;
    let heartbeats: AgentService;
    let agentsDb: OpenDatabase;

    before(async () => {
      database = await createTestDatabase(dialect);
      api = await startTestApi(database.url, { DEFAULT: ROUTER_PLUGIN, ...ML2 });
      // Heartbeats on a connection of their own, as the RPC server of another process would store them.
      agentsDb = await openDatabase(database.url);
      heartbeats = new AgentService(agentsDb.db, 75);
    });
    after(async () => {
      await api?.close();
      await agentsDb?.close();
      await database?.drop();
    });
    const calls = () => routerCalls(api);

    test("dvr, l3-ha and router_availability_zone are listed with Neutron's names and dates", async () => {
      const extensions = ok(await api.request('GET', '/v2.0/extensions')).body.extensions as Json[];
      const byAlias = new Map(extensions.map((e) => [e.alias, e]));
      assert.deepEqual(
        ['dvr', 'l3-ha', 'router_availability_zone', 'router-admin-state-down-before-update'].map((alias) => [byAlias.get(alias)?.name, byAlias.get(alias)?.updated]),
        [
          ['Distributed Virtual Router', '2014-06-1T10:00:00-00:00'],
          ['HA Router extension', '2014-04-26T00:00:00-00:00'],
          ['Router Availability Zone', '2015-01-01T10:00:00-00:00'],
          ["Enforce Router's Admin State Down Before Update Extension", '2019-07-02T15:56:00'],
        ],
      );
    });

    test('a new router is centralized and legacy by default; only admins see or set distributed and ha', async () => {
      const { create, show } = calls();
      const mine = await create({}, p1);
      assert.equal('distributed' in mine, false);
      assert.equal('ha' in mine, false);
      assert.deepEqual(mine.availability_zone_hints, []);
      assert.deepEqual(mine.availability_zones, []);
      const seen = await show(mine.id);
      assert.deepEqual([seen.distributed, seen.ha], [false, false]);
      assert.equal('ha' in (await show(mine.id, p1)), false);

      for (const attribute of ['distributed', 'ha']) {
        const refused = await api.request('POST', '/v2.0/routers', { router: { name: 'x', [attribute]: true } }, p1);
        assert.equal(refused.status, 403);
        assert.deepEqual(error(refused), { type: 'PolicyNotAuthorized', message: `(rule:create_router:${attribute}) is disallowed by policy` });
        const update = await api.request('PUT', `/v2.0/routers/${mine.id}`, { router: { [attribute]: true } }, p1);
        assert.equal(update.status, 403);
        assert.equal(error(update).message, `(rule:update_router:${attribute}) is disallowed by policy`);
      }
      const listed = ok(await api.request('GET', `/v2.0/routers?id=${mine.id}`, undefined, admin)).body.routers as Json[];
      assert.deepEqual([listed[0]!.distributed, listed[0]!.ha], [false, false]);

      const distributed = await create({ distributed: true, tenant_id: 'p1' });
      assert.deepEqual([distributed.distributed, distributed.ha], [true, false]);
      const centralized = await create({ distributed: false, ha: null });
      assert.deepEqual([centralized.distributed, centralized.ha], [false, false]);
      const bad = await api.request('POST', '/v2.0/routers', { router: { distributed: 'maybe' } }, admin);
      assert.equal(bad.status, 400);
    });

    test('distributed changes only while the router is down, before and after the update', async () => {
      const { create, update, show } = calls();
      const r = await create({ tenant_id: 'p1', distributed: false, ha: false });
      const up = await update(r.id, { distributed: true });
      assert.equal(up.status, 400);
      assert.deepEqual(error(up), {
        type: 'BadRequest',
        message:
          "Bad router request: Cannot change the 'distributed' attribute of active routers. Please set router admin_state_up to False prior to upgrade.",
      });
      // Taking it down in the same request is not enough: it was up.
      assert.equal((await update(r.id, { admin_state_up: false, distributed: true })).status, 400);
      assert.equal((await show(r.id)).admin_state_up, true);

      ok(await update(r.id, { admin_state_up: false }));
      assert.equal(ok(await update(r.id, { distributed: true })).body.router.distributed, true);
      // The same value is no change; null changes nothing.
      ok(await update(r.id, { distributed: true, admin_state_up: true }));
      ok(await update(r.id, { distributed: null }));
      assert.equal((await show(r.id)).distributed, true);
      assert.equal((await update(r.id, { distributed: false })).status, 400);
      // Bringing it up in the same request is not allowed either.
      ok(await update(r.id, { admin_state_up: false }));
      assert.equal((await update(r.id, { distributed: false, admin_state_up: true })).status, 400);
      const back = ok(await update(r.id, { distributed: false })).body.router;
      assert.deepEqual([back.distributed, back.ha, back.admin_state_up], [false, false, false]);
    });

    test('ha changes only while the router ends the update down; a member still cannot see it', async () => {
      const { create, update, show } = calls();
      const r = await create({ admin_state_up: true }, p1);
      const up = await update(r.id, { ha: true });
      assert.equal(up.status, 400);
      assert.deepEqual(error(up), {
        type: 'BadRequest',
        message: 'Bad router request: Cannot change HA attribute of active routers. Please set router admin_state_up to False prior to upgrade.',
      });
      // Down in the same request suffices for ha.
      const converted = ok(await update(r.id, { admin_state_up: false, ha: true })).body.router;
      assert.deepEqual([converted.ha, converted.distributed], [true, false]);
      assert.equal((await show(r.id)).ha, true);
      assert.equal('ha' in (await show(r.id, p1)), false);
      // HA and distributed together are allowed (DVR routers with HA SNAT).
      assert.equal(ok(await update(r.id, { distributed: true })).body.router.distributed, true);
      assert.equal(ok(await update(r.id, { ha: false })).body.router.ha, false);
    });

    test("a project's HA routers share its HA network, which stays until its last HA router goes", async () => {
      const { create, update } = calls();
      const haNetworks = async () =>
        ok(await api.request('GET', '/v2.0/networks?name=HA%20network%20tenant%20p7', undefined, admin)).body.networks as Json[];
      const first = await create({ tenant_id: 'p7', ha: true });
      const second = await create({ tenant_id: 'p7', ha: true });
      const [network, ...more] = await haNetworks();
      assert.equal(more.length, 0);
      assert.deepEqual(
        [network!.tenant_id, network!.shared, network!['provider:network_type'], network!.subnets.length],
        ['', false, 'vxlan', 1],
      );
      const subnet = ok(await api.request('GET', `/v2.0/subnets/${network!.subnets[0]}`, undefined, admin)).body.subnet as Json;
      assert.deepEqual(
        [subnet.name, subnet.cidr, subnet.enable_dhcp, subnet.gateway_ip, subnet.tenant_id],
        ['HA subnet tenant p7', '169.254.192.0/18', false, null, ''],
      );
      // The project's members do not see it.
      assert.deepEqual(ok(await api.request('GET', `/v2.0/networks?id=${network!.id}`, undefined, asProject('p7'))).body.networks, []);
      const segmentationId = network!['provider:segmentation_id'] as number;

      ok(await api.request('DELETE', `/v2.0/routers/${second.id}`, undefined, admin), 204);
      const kept = ok(await api.request('GET', `/v2.0/networks/${network!.id}`, undefined, admin)).body.network as Json;
      assert.equal(kept['provider:segmentation_id'], segmentationId);

      // A router leaving HA releases it as deleting does.
      ok(await update(first.id, { admin_state_up: false }));
      ok(await update(first.id, { ha: false }));
      assert.equal((await api.request('GET', `/v2.0/networks/${network!.id}`, undefined, admin)).status, 404);
      ok(await update(first.id, { ha: true }));
      const [again] = await haNetworks();
      assert.notEqual(again?.id, undefined);
      ok(await api.request('DELETE', `/v2.0/routers/${first.id}`, undefined, admin), 204);
      assert.deepEqual(await haNetworks(), []);
    });

    test('availability_zone_hints: zones of L3 agents only, set on create only', async () => {
      const { create, update } = calls();
      const unknown = await api.request('POST', '/v2.0/routers', { router: { availability_zone_hints: ['az9'] } }, p1);
      assert.equal(unknown.status, 404);
      assert.deepEqual(error(unknown), { type: 'AvailabilityZoneNotFound', message: 'AvailabilityZone az9 could not be found.' });
      // A DHCP agent's zone is a network's, not a router's.
      await heartbeats.reportState(parseAgentState({ agent_type: 'DHCP agent', binary: 'neutron-dhcp-agent', host: 'n1', topic: 'dhcp_agent', availability_zone: 'az-dhcp' }));
      assert.equal((await api.request('POST', '/v2.0/routers', { router: { availability_zone_hints: ['az-dhcp'] } }, p1)).status, 404);
      await heartbeats.reportState(parseAgentState({ agent_type: 'L3 agent', binary: 'neutron-l3-agent', host: 'n1', topic: 'l3_agent', availability_zone: 'az1' }));
      await heartbeats.reportState(parseAgentState({ agent_type: 'L3 agent', binary: 'neutron-l3-agent', host: 'n2', topic: 'l3_agent', availability_zone: 'az2' }));

      const r = await create({ availability_zone_hints: ['az2', 'az1'] }, p1);
      assert.deepEqual(r.availability_zone_hints, ['az2', 'az1']);
      assert.deepEqual(r.availability_zones, []);
      // availability_zones: the zones of the L3 agents hosting it, as a scheduler binds them.
      const l3Agents = await agentsDb.db.selectFrom('agents').select(['id', 'host']).where('agent_type', '=', 'L3 agent').orderBy('host').execute();
      // The scheduler gave it one agent when it was created; bind it to both.
      await agentsDb.db.deleteFrom('routerl3agentbindings').where('router_id', '=', r.id).execute();
      for (const agent of l3Agents) await agentsDb.db.insertInto('routerl3agentbindings').values({ router_id: r.id, l3_agent_id: agent.id }).execute();
      assert.deepEqual((await calls().show(r.id, p1)).availability_zones, ['az1', 'az2']);
      const readOnly = await update(r.id, { availability_zone_hints: [] }, p1);
      assert.equal(readOnly.status, 400);
      assert.equal(error(readOnly).message, 'Cannot update read-only attribute availability_zone_hints');
      assert.equal((await update(r.id, { availability_zones: ['az1'] }, p1)).status, 400);

      const duplicate = await api.request('POST', '/v2.0/routers', { router: { availability_zone_hints: ['az1', 'az1'] } }, p1);
      assert.equal(duplicate.status, 400);
      const tooMany = await api.request('POST', '/v2.0/routers', { router: { availability_zone_hints: Array.from({ length: 40 }, (_, i) => `zone-${i}`) } }, p1);
      assert.equal(tooMany.status, 400);
      assert.deepEqual(error(tooMany), { type: 'InvalidInput', message: 'Invalid input for operation: Too many availability_zone_hints specified.' });
    });
  });

  describe(`router attribute options on ${dialect}`, () => {
    const api = suiteApi(dialect, {
      DEFAULT: { ...ROUTER_PLUGIN, router_distributed: true, l3_ha: true, enable_dvr: false, l3_ha_net_cidr: '169.254.0.0/24', l3_ha_network_type: 'vlan' },
      ml2: { tenant_network_types: ['vxlan'] },
      ml2_type_vxlan: { vni_ranges: ['1:1000'] },
      ml2_type_vlan: { network_vlan_ranges: ['physnet1:100:200'] },
    });

    test('router_distributed and l3_ha decide what a request leaves unset; enable_dvr = false drops dvr', async () => {
      const aliases = (ok(await api.request('GET', '/v2.0/extensions')).body.extensions as Json[]).map((e) => e.alias);
      assert.equal(aliases.includes('dvr'), false);
      assert.equal(aliases.includes('router-admin-state-down-before-update'), false);
      assert.equal(aliases.includes('l3-ha'), true);
      const { create } = routerCalls(api);
      const r = await create({}, asProject('p5'));
      const seen = ok(await api.request('GET', `/v2.0/routers/${r.id}`, undefined, admin)).body.router as Json;
      // Without the dvr extension `distributed` is not an attribute, but the router is stored distributed all the same.
      assert.equal('distributed' in seen, false);
      assert.equal(seen.ha, true);
      const [network] = ok(await api.request('GET', '/v2.0/networks?name=HA%20network%20tenant%20p5', undefined, admin)).body.networks as Json[];
      assert.equal(network?.['provider:network_type'], 'vlan');
      const subnet = ok(await api.request('GET', `/v2.0/subnets?network_id=${network!.id}`, undefined, admin)).body.subnets as Json[];
      assert.equal(subnet[0]?.cidr, '169.254.0.0/24');
      assert.equal((await create({ ha: false })).ha, false);
    });
  });
}

describe('router options that stop the server', () => {
  test('an l3_ha_net_cidr that is not a network address, a negative max_l3_agents_per_router', async () => {
    const database = await createTestDatabase('sqlite');
    try {
      for (const [option, value, reason] of [
        ['l3_ha_net_cidr', '169.254.192.1/18', /l3_ha_net_cidr.*not a network address/],
        ['l3_ha_net_cidr', '169.254.192.0', /l3_ha_net_cidr/],
        ['max_l3_agents_per_router', -1, /max_l3_agents_per_router.*negative/],
      ] as const) {
        await assert.rejects(startTestApi(database.url, { DEFAULT: { ...ROUTER_PLUGIN, [option]: value } }), reason);
      }
    } finally {
      await database.drop();
    }
  });
});
