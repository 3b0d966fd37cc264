/**
 * network_availability_zone and availability_zone_filter over HTTP on every
 * backend: networks' availability_zone_hints (checked against the DHCP
 * agents' zones, sorted, [DEFAULT] default_availability_zones when none,
 * set on create only) and availability_zones (the zones of the DHCP agents
 * hosting the network), and GET /v2.0/availability_zones filtered by name,
 * resource and state, with Neutron's types and messages.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { openDatabase, type OpenDatabase } from '../../src/db/connect.js';
import { AgentService } from '../../src/plugins/agents/agentService.js';
import { parseAgentState } from '../../src/plugins/agents/stateReports.js';
import { createTestDatabase, testDialects, type TestDatabase } from '../db/databases.js';
import { asProject, type TestApi, startTestApi } from '../helpers/testApi.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions, not by types
type Json = Record<string, any>;

const p1 = asProject('p1');

const dhcpAgent = (host: string, zone?: string) =>
  parseAgentState({
    agent_type: 'DHCP agent',
    binary: 'neutron-dhcp-agent',
    host,
    topic: 'dhcp_agent',
    ...(zone === undefined ? {} : { availability_zone: zone }),
  });

const refusal = (response: { status: number; body: Json }) => [response.status, response.body.NeutronError?.type, response.body.NeutronError?.message];

for (const dialect of testDialects()) {
  describe(`network availability zones on ${dialect}`, () => {
    let database: TestDatabase;
    let api: TestApi;
    let agentsDb: OpenDatabase;
    let heartbeats: AgentService;
    const agentIds = new Map<string, string>();

    before(async () => {
      database = await createTestDatabase(dialect);
      api = await startTestApi(database.url);
      // Heartbeats on a connection of their own, as the RPC server of another process would store them.
      agentsDb = await openDatabase(database.url);
      heartbeats = new AgentService(agentsDb.db, 75);
      for (const [host, zone] of [['d1', 'az1'], ['d2', 'az2'], ['d3', undefined]] as const) await heartbeats.reportState(dhcpAgent(host, zone));
      await heartbeats.reportState(parseAgentState({ agent_type: 'L3 agent', binary: 'neutron-l3-agent', host: 'l1', topic: 'l3_agent', availability_zone: 'az-l3' }));
      for (const agent of (await api.request('GET', '/v2.0/agents')).body.agents as Json[]) agentIds.set(agent.host, agent.id);
    });
    after(async () => {
      await api?.close();
      await agentsDb?.close();
      await database?.drop();
    });

    const createNetwork = (body: Json, headers: Json = p1) => api.request('POST', '/v2.0/networks', { network: { name: 'n', ...body } }, headers);
    const created = async (body: Json): Promise<Json> => {
      const response = await createNetwork(body);
      assert.equal(response.status, 201, JSON.stringify(response.body));
      return response.body.network;
    };
    const show = async (id: string): Promise<Json> => (await api.request('GET', `/v2.0/networks/${id}`, undefined, p1)).body.network;

    test("both extensions are listed with neutron-lib's names, descriptions and dates", async () => {
      const extensions = new Map(((await api.request('GET', '/v2.0/extensions')).body.extensions as Json[]).map((e) => [e.alias, e]));
      assert.deepEqual(extensions.get('network_availability_zone'), {
        alias: 'network_availability_zone',
        name: 'Network Availability Zone',
        description: 'Availability zone support for network.',
        updated: '2015-01-01T10:00:00-00:00',
        links: [],
      });
      assert.deepEqual(extensions.get('availability_zone_filter'), {
        alias: 'availability_zone_filter',
        name: 'Availability Zone Filter Extension',
        description: 'Add filter parameters to AvailabilityZone resource',
        updated: '2018-06-22T10:00:00-00:00',
        links: [],
      });
    });

    test('a network without hints has none, and no zones while no DHCP agent hosts it', async () => {
      const network = await created({});
      assert.deepEqual([network.availability_zone_hints, network.availability_zones], [[], []]);
      const shown = await show(network.id);
      assert.deepEqual([shown.availability_zone_hints, shown.availability_zones], [[], []]);
    });

    test('hints name zones of DHCP agents, are stored sorted and are shown on show and list', async () => {
      const network = await created({ availability_zone_hints: ['az2', 'az1'] });
      assert.deepEqual(network.availability_zone_hints, ['az1', 'az2']);
      assert.deepEqual((await show(network.id)).availability_zone_hints, ['az1', 'az2']);
      const listed = (await api.request('GET', '/v2.0/networks?fields=id&fields=availability_zone_hints', undefined, p1)).body.networks as Json[];
      assert.deepEqual(listed.find((n) => n.id === network.id), { id: network.id, availability_zone_hints: ['az1', 'az2'] });
      const sorted = (await api.request('GET', '/v2.0/networks?sort_key=availability_zone_hints&sort_dir=asc&fields=id', undefined, p1)).body.networks as Json[];
      assert.equal(sorted[0]?.id, network.id, 'availability_zone_hints is a sort key');
    });

    test('refusals: unknown zones, an L3 agent zone, duplicates, wrong types, too long, read-only', async () => {
      const count = async () => ((await api.request('GET', '/v2.0/networks?fields=id', undefined, p1)).body.networks as Json[]).length;
      const before = await count();
      assert.deepEqual(refusal(await createNetwork({ availability_zone_hints: ['az1', 'az9'] })), [404, 'AvailabilityZoneNotFound', 'AvailabilityZone az9 could not be found.']);
      assert.deepEqual(refusal(await createNetwork({ availability_zone_hints: ['az-l3'] })), [404, 'AvailabilityZoneNotFound', 'AvailabilityZone az-l3 could not be found.']);
      assert.deepEqual(refusal(await createNetwork({ availability_zone_hints: ['az1', 'az1'] })), [
        400,
        'HTTPBadRequest',
        "Invalid input for availability_zone_hints. Reason: Duplicate items in the list: 'az1'.",
      ]);
      assert.deepEqual(refusal(await createNetwork({ availability_zone_hints: 'az1' })), [
        400,
        'HTTPBadRequest',
        "Invalid input for availability_zone_hints. Reason: 'az1' is not a list.",
      ]);
      const long = Array.from({ length: 40 }, (_, i) => `zone-${i}`);
      assert.deepEqual(refusal(await createNetwork({ availability_zone_hints: long })), [
        400,
        'InvalidInput',
        'Invalid input for operation: Too many availability_zone_hints specified.',
      ]);
      assert.deepEqual(refusal(await createNetwork({ availability_zones: ['az1'] })), [
        400,
        'HTTPBadRequest',
        "Attribute 'availability_zones' not allowed in POST",
      ]);
      assert.equal(await count(), before, 'nothing was created');
      const network = await created({ availability_zone_hints: ['az1'] });
      for (const key of ['availability_zone_hints', 'availability_zones']) {
        assert.deepEqual(refusal(await api.request('PUT', `/v2.0/networks/${network.id}`, { network: { [key]: ['az2'] } }, p1)), [
          400,
          'HTTPBadRequest',
          `Cannot update read-only attribute ${key}`,
        ]);
      }
      assert.deepEqual(refusal(await api.request('GET', '/v2.0/networks?availability_zone_hints=az1', undefined, p1)), [
        400,
        'HTTPBadRequest',
        "['availability_zone_hints'] is invalid attribute for filtering",
      ]);
    });

    test('availability_zones: the zones of the DHCP agents hosting the network, sorted; agents without a zone add none', async () => {
      const network = await created({});
      for (const host of ['d2', 'd3', 'd1']) {
        const bound = await api.request('POST', `/v2.0/agents/${agentIds.get(host)}/dhcp-networks`, { network_id: network.id });
        assert.equal(bound.status, 201, JSON.stringify(bound.body));
      }
      assert.deepEqual((await show(network.id)).availability_zones, ['az1', 'az2']);
      const listed = (await api.request('GET', '/v2.0/networks?fields=id&fields=availability_zones', undefined, p1)).body.networks as Json[];
      assert.deepEqual(listed.find((n) => n.id === network.id), { id: network.id, availability_zones: ['az1', 'az2'] });
      assert.equal((await api.request('DELETE', `/v2.0/agents/${agentIds.get('d2')}/dhcp-networks/${network.id}`)).status, 204);
      assert.deepEqual((await show(network.id)).availability_zones, ['az1']);
    });

    test('a network with hints gets a DHCP agent of those zones only, and shows its zone', async () => {
      for (const [zone, host] of [['az1', 'd1'], ['az2', 'd2'], ['az2', 'd2'], ['az1', 'd1']] as const) {
        const network = await created({ availability_zone_hints: [zone] });
        const subnet = await api.request('POST', '/v2.0/subnets', { subnet: { network_id: network.id, cidr: '10.9.0.0/24', ip_version: 4 } }, p1);
        assert.equal(subnet.status, 201, JSON.stringify(subnet.body));
        const agents = (await api.request('GET', `/v2.0/networks/${network.id}/dhcp-agents`)).body.agents as Json[];
        assert.deepEqual(agents.map((a) => a.host), [host]);
        assert.deepEqual((await show(network.id)).availability_zones, [zone]);
      }
    });

    test('availability_zone_filter: /v2.0/availability_zones by name, resource and state', async () => {
      const zones = async (query: string) =>
        ((await api.request('GET', `/v2.0/availability_zones${query}`, undefined, p1)).body.availability_zones as Json[]).map((z) => `${z.name}/${z.resource}/${z.state}`).sort();
      assert.deepEqual(await zones(''), ['az-l3/router/available', 'az1/network/available', 'az2/network/available']);
      assert.deepEqual(await zones('?resource=network'), ['az1/network/available', 'az2/network/available']);
      assert.deepEqual(await zones('?name=az2&name=az-l3'), ['az-l3/router/available', 'az2/network/available']);
      assert.deepEqual(await zones('?name=az1&resource=router'), []);
      assert.deepEqual(await zones('?state=unavailable'), []);
      assert.deepEqual(await zones('?fields=name&limit=1&name=az1'), ['az1/undefined/undefined']);
      assert.deepEqual(refusal(await api.request('GET', '/v2.0/availability_zones?zone=az1&name=az1&color=red', undefined, p1)), [
        400,
        'HTTPBadRequest',
        "['zone', 'color'] is invalid attribute for filtering",
      ]);
    });

    describe('with [DEFAULT] default_availability_zones', () => {
      let withDefaults: TestApi;
      let unknownDefault: TestApi;
      before(async () => {
        withDefaults = await startTestApi(database.url, { DEFAULT: { default_availability_zones: ['az2'] } });
        unknownDefault = await startTestApi(database.url, { DEFAULT: { default_availability_zones: ['az7'] } });
      });
      after(async () => {
        await withDefaults?.close();
        await unknownDefault?.close();
      });

      test('a network created without hints gets them; given hints win; a default no DHCP agent reports is refused', async () => {
        const plain = await withDefaults.request('POST', '/v2.0/networks', { network: { name: 'd' } }, p1);
        assert.equal(plain.status, 201, JSON.stringify(plain.body));
        assert.deepEqual(plain.body.network.availability_zone_hints, ['az2']);
        const given = await withDefaults.request('POST', '/v2.0/networks', { network: { availability_zone_hints: ['az1'] } }, p1);
        assert.deepEqual(given.body.network.availability_zone_hints, ['az1']);
        assert.deepEqual(refusal(await unknownDefault.request('POST', '/v2.0/networks', { network: {} }, p1)), [
          404,
          'AvailabilityZoneNotFound',
          'AvailabilityZone az7 could not be found.',
        ]);
      });
    });
  });
}
