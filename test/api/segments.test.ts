/**
 * The `segment` extension over HTTP against a real server on every backend:
 * /v2.0/segments shows what ML2 stored for each network, admins rename,
 * add and delete segments, others see nothing.
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

for (const dialect of testDialects()) {
  describe(`segments on ${dialect}`, () => {
    let database: TestDatabase;
    let api: TestApi;
    let agentDb: OpenDatabase;

    before(async () => {
      database = await createTestDatabase(dialect);
      api = await startTestApi(database.url, {
        ml2: { tenant_network_types: ['vxlan'], mechanism_drivers: ['linuxbridge'] },
        ml2_type_vxlan: { vni_ranges: ['500:600'] },
        ml2_type_vlan: { network_vlan_ranges: ['physnet1:100:199'] },
      });
      agentDb = await openDatabase(database.url);
    });
    after(async () => {
      await api?.close();
      await agentDb?.close();
      await database?.drop();
    });

    const createNetwork = async (body: Json = {}) => {
      const response = await api.request('POST', '/v2.0/networks', { network: { name: 'n', ...body } });
      assert.equal(response.status, 201, JSON.stringify(response.body));
      return response.body.network as Json;
    };
    const segmentsOf = async (networkId: string) => (await api.request('GET', `/v2.0/segments?network_id=${networkId}`)).body.segments as Json[];

    test('every network has its segments listed; admins only', async () => {
      const extensions = ((await api.request('GET', '/v2.0/extensions')).body.extensions as Json[]).map((e) => e.alias);
      assert.ok(extensions.includes('segment') && extensions.includes('standard-attr-segment'));

      const network = await createNetwork();
      const [segment, ...more] = await segmentsOf(network.id);
      assert.equal(more.length, 0);
      assert.deepEqual(Object.keys(segment!).sort(), [
        'created_at', 'description', 'id', 'name', 'network_id', 'network_type', 'physical_network', 'revision_number',
        'segmentation_id', 'tags', 'updated_at',
      ]);
      assert.equal(segment!.network_type, 'vxlan');
      assert.equal(segment!.segmentation_id, network['provider:segmentation_id']);
      assert.equal(segment!.physical_network, null);
      assert.equal(segment!.name, null);
      assert.equal(segment!.description, '');
      assert.equal(segment!.revision_number, 0);
      // Stamped in the same transaction as its network, so at most a second apart (timestamps have seconds only).
      assert.ok(Math.abs(Date.parse(segment!.created_at) - Date.parse(network.created_at)) <= 1000, `${segment!.created_at} / ${network.created_at}`);
      assert.deepEqual(segment!.tags, []);

      const shown = await api.request('GET', `/v2.0/segments/${segment!.id}?fields=network_type&fields=segmentation_id`);
      assert.deepEqual(shown.body, { segment: { network_type: 'vxlan', segmentation_id: segment!.segmentation_id } });
      const missing = await api.request('GET', '/v2.0/segments/9d1a5dc4-3c8e-4d71-a3a5-7b0f2f9e4a11');
      assert.equal(missing.status, 404);
      assert.equal(missing.body.NeutronError.type, 'SegmentNotFound');

      const member = asProject('p1');
      assert.deepEqual((await api.request('GET', '/v2.0/segments', undefined, member)).body, { segments: [] });
      assert.equal((await api.request('GET', `/v2.0/segments/${segment!.id}`, undefined, member)).status, 404);
      assert.equal((await api.request('PUT', `/v2.0/segments/${segment!.id}`, { segment: { name: 'x' } }, member)).status, 404);
      assert.equal((await api.request('DELETE', `/v2.0/segments/${segment!.id}`, undefined, member)).status, 404);
      const post = await api.request('POST', '/v2.0/segments', { segment: { network_id: network.id, network_type: 'vxlan' } }, member);
      assert.equal(post.status, 403);

      const flat = await createNetwork({ 'provider:network_type': 'flat', 'provider:physical_network': 'physnet1' });
      const byType = (await api.request('GET', '/v2.0/segments?network_type=flat')).body.segments as Json[];
      assert.deepEqual(
        byType.map((s) => [s.network_id, s.physical_network, s.segmentation_id]),
        [[flat.id, 'physnet1', null]],
      );
      const sorted = (await api.request('GET', '/v2.0/segments?network_type=vxlan&sort_key=segmentation_id&sort_dir=desc')).body.segments as Json[];
      assert.ok(sorted.length >= 1);

      // Subnets show the segment they are tied to: none, routed networks are not implemented.
      const subnet = (await api.request('POST', '/v2.0/subnets', { subnet: { network_id: network.id, cidr: '10.9.0.0/24', ip_version: 4 } })).body
        .subnet as Json;
      assert.equal(subnet.segment_id, null);
      assert.equal((await api.request('GET', `/v2.0/subnets?segment_id=${segment!.id}`)).body.subnets.length, 0);
      const tied = await api.request('POST', '/v2.0/subnets', {
        subnet: { network_id: network.id, cidr: '10.8.0.0/24', ip_version: 4, segment_id: segment!.id },
      });
      assert.equal(tied.status, 400);
    });

    test('admins name and describe segments; each change is a revision', async () => {
      const network = await createNetwork();
      const [segment] = await segmentsOf(network.id);
      const renamed = await api.request('PUT', `/v2.0/segments/${segment!.id}`, { segment: { name: 'rack-1', description: 'first rack' } });
      assert.equal(renamed.status, 200);
      assert.equal(renamed.body.segment.name, 'rack-1');
      assert.equal(renamed.body.segment.description, 'first rack');
      assert.equal(renamed.body.segment.revision_number, 1);
      assert.deepEqual((await api.request('GET', '/v2.0/segments?name=rack-1')).body.segments.map((s: Json) => s.id), [segment!.id]);
      const stale = await api.request('PUT', `/v2.0/segments/${segment!.id}`, { segment: { name: null } }, { 'if-match': 'revision_number=0' });
      assert.equal(stale.status, 412);
      const cleared = await api.request('PUT', `/v2.0/segments/${segment!.id}`, { segment: { name: null } }, { 'if-match': 'revision_number=1' });
      assert.equal(cleared.body.segment.name, null);
      const readOnly = await api.request('PUT', `/v2.0/segments/${segment!.id}`, { segment: { segmentation_id: 7 } });
      assert.equal(readOnly.status, 400);
      assert.equal(readOnly.body.NeutronError.message, 'Cannot update read-only attribute segmentation_id');
    });

    test('admins add a segment to a network and delete one no port is bound to', async () => {
      const network = await createNetwork();
      const added = await api.request('POST', '/v2.0/segments', {
        segment: { network_id: network.id, network_type: 'vlan', physical_network: 'physnet1', segmentation_id: 150, name: 'vlan' },
      });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      assert.equal(added.body.segment.segmentation_id, 150);
      assert.equal(added.body.segment.name, 'vlan');
      const shown = (await api.request('GET', `/v2.0/networks/${network.id}`)).body.network as Json;
      assert.deepEqual(
        shown.segments.map((s: Json) => s['provider:network_type']),
        ['vxlan', 'vlan'],
      );
      assert.equal(shown.mtu, 1450);
      assert.ok(shown.revision_number > network.revision_number);

      const taken = await api.request('POST', '/v2.0/segments', {
        segment: { network_id: network.id, network_type: 'vlan', physical_network: 'physnet1', segmentation_id: 150 },
      });
      assert.equal(taken.status, 409);
      assert.equal(taken.body.NeutronError.type, 'VlanIdInUse');
      const bad = await api.request('POST', '/v2.0/segments', { segment: { network_id: network.id, network_type: 'banana' } });
      assert.equal(bad.status, 400);
      const noNetwork = await api.request('POST', '/v2.0/segments', {
        segment: { network_id: '9d1a5dc4-3c8e-4d71-a3a5-7b0f2f9e4a11', network_type: 'vxlan' },
      });
      assert.equal(noNetwork.status, 404);
      assert.equal((await api.request('POST', '/v2.0/segments', { segment: { network_type: 'vxlan' } })).status, 400);
      const pooled = await api.request('POST', '/v2.0/segments', { segment: { network_id: network.id, network_type: 'vlan', physical_network: 'physnet1' } });
      assert.equal(pooled.status, 201);
      assert.ok(pooled.body.segment.segmentation_id >= 100 && pooled.body.segment.segmentation_id <= 199);
      assert.equal((await api.request('DELETE', `/v2.0/segments/${pooled.body.segment.id}`)).status, 204);

      // A Linux bridge agent reaching physnet1 only: the port binds through the VLAN segment.
      const agents = new AgentService(agentDb.db, 75);
      await agents.reportState(
        parseAgentState({
          agent_type: 'Linux bridge agent',
          binary: 'neutron-linuxbridge-agent',
          host: 'rack1-host',
          topic: 'N/A',
          configurations: { interface_mappings: { physnet1: 'eth1' }, tunnel_types: [] },
        }),
      );
      const port = (await api.request('POST', '/v2.0/ports', { port: { network_id: network.id, 'binding:host_id': 'rack1-host' } })).body.port as Json;
      assert.equal(port['binding:vif_type'], 'bridge');
      const inUse = await api.request('DELETE', `/v2.0/segments/${added.body.segment.id}`);
      assert.equal(inUse.status, 409);
      assert.equal(inUse.body.NeutronError.type, 'SegmentInUse');
      assert.equal(inUse.body.NeutronError.message, `Segment '${added.body.segment.id}' cannot be deleted: The segment is still bound with 1 port(s).`);
      const vxlan = (await segmentsOf(network.id)).find((s) => s.network_type === 'vxlan');
      assert.equal((await api.request('DELETE', `/v2.0/segments/${vxlan!.id}`)).status, 204);

      assert.equal((await api.request('DELETE', `/v2.0/ports/${port.id}`)).status, 204);
      assert.equal((await api.request('DELETE', `/v2.0/segments/${added.body.segment.id}`)).status, 204);
      assert.deepEqual(await segmentsOf(network.id), []);
      const bare = (await api.request('GET', `/v2.0/networks/${network.id}`)).body.network as Json;
      assert.equal(bare['provider:network_type'], null);
      // Its VLAN is free again.
      const again = await api.request('POST', '/v2.0/segments', {
        segment: { network_id: network.id, network_type: 'vlan', physical_network: 'physnet1', segmentation_id: 150 },
      });
      assert.equal(again.status, 201);
      assert.equal((await api.request('DELETE', `/v2.0/networks/${network.id}`)).status, 204);
      assert.equal((await api.request('GET', `/v2.0/segments/${again.body.segment.id}`)).status, 404);
    });
  });
}
