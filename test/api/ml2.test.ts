/**
 * ML2 type drivers over HTTP against a real server on every backend:
 * provider validation, project segment allocation and release, MTU,
 * allocation under concurrency.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createTestDatabase, testDialects, type TestDatabase } from '../db/databases.js';
import { asProject, type TestApi, startTestApi } from '../helpers/testApi.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions, not by types
type Json = Record<string, any>;

const ML2 = {
  DEFAULT: { global_physnet_mtu: 1500 },
  ml2: { tenant_network_types: ['vxlan', 'vlan'], physical_network_mtus: ['physnet1:9000', 'jumbo:9000'] },
  ml2_type_flat: { flat_networks: ['flatnet', 'jumbo'] },
  ml2_type_vlan: { network_vlan_ranges: ['physnet1:100:101', 'provideronly'] },
  ml2_type_vxlan: { vni_ranges: ['1:40'] },
  ml2_type_gre: { tunnel_id_ranges: ['1:10'] },
  ml2_type_geneve: { vni_ranges: ['1:10'] },
} as const;

for (const dialect of testDialects()) {
  describe(`ML2 type drivers on ${dialect}`, () => {
    let database: TestDatabase;
    let api: TestApi;

    before(async () => {
      database = await createTestDatabase(dialect);
      api = await startTestApi(database.url, ML2);
    });
    after(async () => {
      await api?.close();
      await database?.drop();
    });

    const create = async (body: Json, status = 201, headers = {}) => {
      const response = await api.request('POST', '/v2.0/networks', { network: body }, headers);
      assert.equal(response.status, status, `${JSON.stringify(body)} -> ${JSON.stringify(response.body)}`);
      return response.body as Json;
    };
    const provider = (type: string, physnet?: string, id?: number): Json => ({
      'provider:network_type': type,
      ...(physnet === undefined ? {} : { 'provider:physical_network': physnet }),
      ...(id === undefined ? {} : { 'provider:segmentation_id': id }),
    });
    const deleteNetwork = async (id: string) => assert.equal((await api.request('DELETE', `/v2.0/networks/${id}`)).status, 204);

    test('provider networks of every type, with their MTUs', async () => {
      const cases: [Json, Json, number][] = [
        [provider('local'), provider('local'), 1500],
        [provider('flat', 'flatnet'), { ...provider('flat', 'flatnet'), 'provider:segmentation_id': null }, 1500],
        [provider('flat', 'jumbo'), { ...provider('flat', 'jumbo'), 'provider:segmentation_id': null }, 1500],
        [provider('vlan', 'physnet1', 3000), provider('vlan', 'physnet1', 3000), 1500],
        [provider('vlan', 'provideronly', 7), provider('vlan', 'provideronly', 7), 1500],
        [provider('vxlan', undefined, 5000), { ...provider('vxlan', undefined, 5000), 'provider:physical_network': null }, 1450],
        [provider('gre', undefined, 77), { ...provider('gre', undefined, 77), 'provider:physical_network': null }, 1458],
        [provider('geneve', undefined, 9), { ...provider('geneve', undefined, 9), 'provider:physical_network': null }, 1450],
      ];
      for (const [request, expected, mtu] of cases) {
        const { network } = await create(request);
        for (const [key, value] of Object.entries(expected)) assert.equal(network[key], value, `${JSON.stringify(request)} ${key}`);
        if (request['provider:network_type'] === 'local') {
          assert.equal(network['provider:physical_network'], null);
          assert.equal(network['provider:segmentation_id'], null);
        }
        assert.equal(network.mtu, mtu, JSON.stringify(request));
        await deleteNetwork(network.id);
      }
    });

    test('net-mtu-writable: mtu chosen on create and update, up to what the segments carry, and large enough for the subnets', async () => {
      const member = asProject('mtuproject');
      const network = async (body: Json, status = 201, headers: Json = member) => (await create(body, status, headers)) as Json;
      const put = async (id: string, mtu: number, status: number) => {
        const response = await api.request('PUT', `/v2.0/networks/${id}`, { network: { mtu } }, member);
        assert.equal(response.status, status, JSON.stringify(response.body));
        return response.body as Json;
      };
      // As tempest's NetworksMtuTestJSON: 68 on create, 1280 on update.
      const small = (await network({ name: 'small', mtu: 68 })).network;
      assert.equal(small.mtu, 68);
      assert.equal((await api.request('GET', `/v2.0/networks/${small.id}`, undefined, member)).body.network.mtu, 68);
      assert.equal((await put(small.id, 1280, 200)).network.mtu, 1280);
      // 0 is the largest the project's VXLAN segment carries; more is refused.
      assert.equal((await put(small.id, 0, 200)).network.mtu, 1450);
      const tooBig = (await put(small.id, 1451, 400)).NeutronError;
      assert.deepEqual([tooBig.type, tooBig.message], ['InvalidInput', 'Invalid input for operation: Requested MTU is too big, maximum is 1450.']);
      const refused = (await network({ name: 'big', mtu: 1500 }, 400)).NeutronError;
      assert.equal(refused.message, 'Invalid input for operation: Requested MTU is too big, maximum is 1450.');
      // physnet1 allows 9000, but global_physnet_mtu caps the VLAN at 1500.
      assert.equal((await network({ ...provider('vlan', 'physnet1', 3001), mtu: 1501 }, 400, {})).NeutronError.type, 'InvalidInput');
      const vlan = (await network({ ...provider('vlan', 'physnet1', 3001), mtu: 1500 }, 201, {})).network;
      assert.equal(vlan.mtu, 1500);
      await deleteNetwork(vlan.id);
      const negative = await network({ name: 'negative', mtu: -1 }, 400);
      assert.equal(negative.NeutronError.type, 'HTTPBadRequest');

      // Subnets: IPv4 needs 68, IPv6 1280 (NetworkMTUSubnetConflict), on the network's update and on the subnet's create.
      const subnet = async (ipVersion: number, cidr: string, status: number) =>
        (await api.request('POST', '/v2.0/subnets', { subnet: { network_id: small.id, ip_version: ipVersion, cidr } }, member)).status === status;
      assert.equal((await put(small.id, 1000, 200)).network.mtu, 1000);
      assert.ok(await subnet(4, '10.20.0.0/24', 201));
      const conflict = (await put(small.id, 67, 409)).NeutronError;
      assert.deepEqual([conflict.type, conflict.message], ['NetworkMTUSubnetConflict', `MTU of ${small.id} is not valid, subnet requires a minimum of 68`]);
      assert.ok(await subnet(6, 'fd00:20::/64', 409));
      assert.equal((await put(small.id, 1280, 200)).network.mtu, 1280);
      assert.ok(await subnet(6, 'fd00:20::/64', 201));
      assert.equal((await put(small.id, 1279, 409)).NeutronError.message, `MTU of ${small.id} is not valid, subnet requires a minimum of 1280`);
      // Its VNI goes back for the tests that count them.
      await deleteNetwork(small.id);
    });

    test("provider attribute errors are Neutron's", async () => {
      const errors: [Json, number, string, RegExp?][] = [
        [{ 'provider:physical_network': 'physnet1' }, 400, 'InvalidInput', /network_type required/],
        [provider('banana'), 400, 'InvalidInput', /network_type value 'banana' not supported/],
        [provider('flat'), 400, 'InvalidInput', /physical_network required/],
        [provider('flat', 'elsewhere'), 400, 'InvalidInput', /unknown for flat provider network/],
        [provider('flat', 'flatnet', 5), 400, 'InvalidInput', /prohibited/],
        [provider('local', 'physnet1'), 400, 'InvalidInput', /prohibited/],
        [provider('vlan', 'nowhere', 5), 400, 'InvalidInput', /unknown for VLAN provider network/],
        [provider('vlan', 'physnet1', 4095), 400, 'InvalidInput', /out of range/],
        [provider('vlan', undefined, 5), 400, 'InvalidInput', /requires/],
        [provider('vxlan', 'physnet1'), 400, 'InvalidInput', /physical_network specified for vxlan/],
        [provider('vxlan', undefined, 2 ** 24), 400, 'InvalidInput', /out of range/],
        [{ ...provider('local'), segments: [provider('local')] }, 400, 'InvalidInput'],
      ];
      for (const [request, status, type, message] of errors) {
        const response = await api.request('POST', '/v2.0/networks', { network: request });
        assert.equal(response.status, status, `${JSON.stringify(request)} -> ${JSON.stringify(response.body)}`);
        assert.equal(response.body.NeutronError.type, type, JSON.stringify(request));
        if (message) assert.match(response.body.NeutronError.message, message);
      }
      const member = await api.request('POST', '/v2.0/networks', { network: provider('local') }, asProject('p1'));
      assert.equal(member.status, 403, 'provider attributes are for admins');
    });

    test('ids in use are 409 until released', async () => {
      const { network: flat } = await create(provider('flat', 'flatnet'));
      const flatAgain = await create(provider('flat', 'flatnet'), 409);
      assert.equal(flatAgain.NeutronError.type, 'FlatNetworkInUse');
      const { network: vlan } = await create(provider('vlan', 'physnet1', 10));
      assert.equal((await create(provider('vlan', 'physnet1', 10), 409)).NeutronError.type, 'VlanIdInUse');
      const { network: tunnel } = await create(provider('gre', undefined, 5));
      assert.equal((await create(provider('gre', undefined, 5), 409)).NeutronError.type, 'TunnelIdInUse');
      for (const network of [flat, vlan, tunnel]) await deleteNetwork(network.id);
      for (const request of [provider('flat', 'flatnet'), provider('vlan', 'physnet1', 10), provider('gre', undefined, 5)]) {
        await deleteNetwork((await create(request)).network.id);
      }
    });

    test('project networks: vxlan first, then vlan, then 503 NoNetworkAvailable; deletes release', async () => {
      const member = asProject('alloc');
      const created: Json[] = [];
      for (let i = 0; i < 40; i++) created.push((await create({ name: `v${i}` }, 201, member)).network);
      const admin = async (id: string) => (await api.request('GET', `/v2.0/networks/${id}`)).body.network as Json;
      const vnis = new Set<number>();
      for (const network of created) {
        const shown = await admin(network.id);
        assert.equal(shown['provider:network_type'], 'vxlan');
        vnis.add(shown['provider:segmentation_id']);
        assert.ok(!('provider:network_type' in network), 'members do not see provider attributes');
        assert.equal(network.mtu, 1450);
      }
      assert.equal(vnis.size, 40);
      assert.ok([...vnis].every((v) => v >= 1 && v <= 40));
      const vlans = [(await create({ name: 'vl1' }, 201, member)).network, (await create({ name: 'vl2' }, 201, member)).network];
      for (const network of vlans) {
        const shown = await admin(network.id);
        assert.equal(shown['provider:network_type'], 'vlan');
        assert.equal(shown['provider:physical_network'], 'physnet1');
        assert.equal(network.mtu, 1500, 'physnet1 allows 9000 but global_physnet_mtu caps it');
      }
      const none = await create({ name: 'none' }, 503, member);
      assert.equal(none.NeutronError.type, 'NoNetworkAvailable');
      const freed = await admin(created[7]!.id);
      await deleteNetwork(freed.id);
      const reused = await admin((await create({ name: 'again' }, 201, member)).network.id);
      assert.equal(reused['provider:segmentation_id'], freed['provider:segmentation_id']);
      const filtered = await api.request('GET', '/v2.0/networks?provider:network_type=vlan&fields=name');
      assert.deepEqual(filtered.body.networks.map((n: Json) => n.name).sort(), ['vl1', 'vl2']);
      const all = (await api.request('GET', '/v2.0/networks?fields=id', undefined, member)).body.networks as Json[];
      for (const network of all) await deleteNetwork(network.id);
    });

    test('50 concurrent project networks on 40 VNIs across two servers: 40 distinct, 10 clean 503s', async () => {
      // Two more servers on the same database, with VXLAN as the only project network type.
      const vxlanOnly = { ...ML2, ml2: { ...ML2.ml2, tenant_network_types: ['vxlan'] } };
      const servers = [await startTestApi(database.url, vxlanOnly), await startTestApi(database.url, vxlanOnly)];
      try {
        const member = asProject('race');
        const responses = await Promise.all(
          Array.from({ length: 50 }, (_, i) => servers[i % 2]!.request('POST', '/v2.0/networks', { network: { name: `r${i}` } }, member)),
        );
        const statuses = responses.map((r) => r.status);
        assert.ok(!statuses.includes(500), JSON.stringify(responses.filter((r) => r.status === 500).map((r) => r.body)));
        assert.equal(statuses.filter((s) => s === 201).length, 40);
        assert.equal(statuses.filter((s) => s === 503).length, 10);
        for (const r of responses.filter((r) => r.status === 503)) assert.equal(r.body.NeutronError.type, 'NoNetworkAvailable');
        const created = responses.filter((r) => r.status === 201).map((r) => r.body.network.id as string);
        const shown = await Promise.all(created.map(async (id) => (await api.request('GET', `/v2.0/networks/${id}`)).body.network as Json));
        assert.ok(shown.every((n) => n['provider:network_type'] === 'vxlan'));
        assert.equal(new Set(shown.map((n) => n['provider:segmentation_id'])).size, 40, 'no VNI is given twice');
        for (const id of created) await deleteNetwork(id);
      } finally {
        for (const server of servers) await server.close();
      }
    });

    test('changing vni_ranges at restart keeps ids in use and allocates from the new ranges', async () => {
      const before = (await create({ 'provider:network_type': 'vxlan', 'provider:segmentation_id': 7 })).network;
      const restarted = await startTestApi(database.url, {
        ...ML2,
        ml2: { ...ML2.ml2, tenant_network_types: ['vxlan'] },
        ml2_type_vxlan: { vni_ranges: ['500:501'] },
      });
      try {
        const shown = (await restarted.request('GET', `/v2.0/networks/${before.id}`)).body.network as Json;
        assert.equal(shown['provider:segmentation_id'], 7, 'the id in use survives the new ranges');
        const fresh = (await restarted.request('POST', '/v2.0/networks', { network: { name: 'new-range' } })).body.network as Json;
        assert.ok([500, 501].includes(fresh['provider:segmentation_id']), String(fresh['provider:segmentation_id']));
        const clash = await restarted.request('POST', '/v2.0/networks', { network: provider('vxlan', undefined, 7) });
        assert.equal(clash.body.NeutronError.type, 'TunnelIdInUse');
        for (const id of [before.id, fresh.id]) assert.equal((await restarted.request('DELETE', `/v2.0/networks/${id}`)).status, 204);
        const reused = (await restarted.request('POST', '/v2.0/networks', { network: provider('vxlan', undefined, 7) })).body.network as Json;
        assert.equal(reused['provider:segmentation_id'], 7, 'released on delete, even outside the ranges');
        await restarted.request('DELETE', `/v2.0/networks/${reused.id}`);
      } finally {
        await restarted.close();
      }
    });

    test('multi-provider segments and unsupported updates', async () => {
      const { network } = await create({ segments: [provider('vlan', 'physnet1', 20), provider('vxlan', undefined, 900)] });
      assert.deepEqual(network.segments, [
        provider('vlan', 'physnet1', 20),
        { ...provider('vxlan', undefined, 900), 'provider:physical_network': null },
      ]);
      assert.ok(!('provider:network_type' in network));
      assert.equal(network.mtu, 1450, 'the smallest segment MTU');
      const update = await api.request('PUT', `/v2.0/networks/${network.id}`, { network: { 'provider:segmentation_id': 21 } });
      assert.equal(update.status, 400);
      const dup = await api.request('POST', '/v2.0/networks', { network: { segments: [provider('local'), provider('local')] } });
      assert.equal(dup.status, 400);
      await deleteNetwork(network.id);
    });
  });
}
