/**
 * Agents (heartbeats, alive, the admin API) and port binding by the
 * mechanism drivers, over HTTP against a real server on every backend.
 * Heartbeats are stored through the same AgentService the RPC endpoint uses,
 * on its own connection, as a separate server process would.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { openDatabase, type OpenDatabase } from '../../src/db/connect.js';
import { AgentService } from '../../src/plugins/agents/agentService.js';
import { parseAgentState } from '../../src/plugins/agents/stateReports.js';
import { linuxBridgeAgentState } from '../helpers/agentStates.js';
import { createTestDatabase, testDialects, type TestDatabase } from '../db/databases.js';
import { asProject, type TestApi, startTestApi } from '../helpers/testApi.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions, not by types
type Json = Record<string, any>;

const DOWN_TIME = 2;

const linuxBridge = (host: string) => linuxBridgeAgentState(host, { physnet1: 'eth1' });

const openVswitch = (host: string) =>
  parseAgentState({
    agent_type: 'Open vSwitch agent',
    binary: 'neutron-openvswitch-agent',
    host,
    topic: 'N/A',
    configurations: { bridge_mappings: { physnet1: 'br-ex' }, tunnel_types: [] },
  });

for (const dialect of testDialects()) {
  describe(`agents and port binding on ${dialect}`, () => {
    let database: TestDatabase;
    let api: TestApi;
    let agentDb: OpenDatabase;
    let heartbeats: AgentService;

    before(async () => {
      database = await createTestDatabase(dialect);
      api = await startTestApi(database.url, {
        DEFAULT: { agent_down_time: DOWN_TIME },
        ml2: { tenant_network_types: ['vxlan'], mechanism_drivers: ['openvswitch', 'linuxbridge', 'l2population'] },
        ml2_type_vxlan: { vni_ranges: ['1:100'] },
        ml2_type_flat: { flat_networks: ['physnet1'] },
      });
      agentDb = await openDatabase(database.url);
      heartbeats = new AgentService(agentDb.db, DOWN_TIME);
    });
    after(async () => {
      await api?.close();
      await agentDb?.close();
      await database?.drop();
    });

    const agentsByHost = async (query = '') =>
      new Map(((await api.request('GET', `/v2.0/agents${query}`)).body.agents as Json[]).map((a) => [`${a.host}/${a.agent_type}`, a]));

    test('heartbeats create agents; alive follows agent_down_time; admins update and delete', async () => {
      assert.equal(await heartbeats.reportState(linuxBridge('hb1')), 'new');
      assert.equal(await heartbeats.reportState(linuxBridge('hb1')), 'alive');
      const agent = (await agentsByHost()).get('hb1/Linux bridge agent');
      assert.ok(agent);
      assert.equal(agent.alive, true);
      assert.equal(agent.binary, 'neutron-linuxbridge-agent');
      assert.equal(agent.admin_state_up, true);
      assert.deepEqual(agent.configurations.interface_mappings, { physnet1: 'eth1' });
      assert.match(agent.heartbeat_timestamp, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      // agent-resources-synced: null, as no agent here reports resources to Placement; read-only.
      assert.equal(agent.resources_synced, null);

      await sleep(DOWN_TIME * 1000 + 1200);
      assert.equal((await api.request('GET', `/v2.0/agents/${agent.id}`)).body.agent.alive, false);
      assert.ok(!(await agentsByHost('?alive=true')).has('hb1/Linux bridge agent'));
      assert.equal(await heartbeats.reportState(linuxBridge('hb1')), 'revived');
      assert.equal((await api.request('GET', `/v2.0/agents/${agent.id}`)).body.agent.alive, true);

      const updated = await api.request('PUT', `/v2.0/agents/${agent.id}`, { agent: { admin_state_up: false, description: 'maintenance' } });
      assert.equal(updated.status, 200);
      assert.equal(updated.body.agent.admin_state_up, false);
      assert.equal(updated.body.agent.description, 'maintenance');
      assert.equal((await api.request('PUT', `/v2.0/agents/${agent.id}`, { agent: { host: 'x' } })).status, 400);
      const synced = await api.request('PUT', `/v2.0/agents/${agent.id}`, { agent: { resources_synced: true } });
      assert.deepEqual([synced.status, synced.body.NeutronError.message], [400, 'Cannot update read-only attribute resources_synced']);
      const asMember = await api.request('GET', '/v2.0/agents', undefined, asProject('p1'));
      assert.deepEqual([asMember.status, asMember.body.agents], [200, []], 'non-admins see no agents');
      assert.equal((await api.request('GET', `/v2.0/agents/${agent.id}`, undefined, asProject('p1'))).status, 404);
      assert.equal((await api.request('PUT', `/v2.0/agents/${agent.id}`, { agent: { description: 'x' } }, asProject('p1'))).status, 403);
      assert.equal((await api.request('POST', '/v2.0/agents', { agent: {} })).status, 405);
      assert.equal((await api.request('DELETE', `/v2.0/agents/${agent.id}`)).status, 204);
      const gone = await api.request('GET', `/v2.0/agents/${agent.id}`);
      assert.equal(gone.status, 404);
      assert.equal(gone.body.NeutronError.type, 'AgentNotFound');
      assert.throws(() => parseAgentState({ agent_type: 'x' }), /agent_state\.binary/);
    });

    test('availability zones come from DHCP agents', async () => {
      await heartbeats.reportState(
        parseAgentState({ agent_type: 'DHCP agent', binary: 'neutron-dhcp-agent', host: 'net1', topic: 'dhcp_agent', availability_zone: 'nova' }),
      );
      const zones = await api.request('GET', '/v2.0/availability_zones', undefined, asProject('p1'));
      assert.equal(zones.status, 200);
      assert.deepEqual(zones.body.availability_zones, [{ name: 'nova', resource: 'network', state: 'available' }]);
      const filtered = await api.request('GET', '/v2.0/availability_zones?resource=router');
      assert.deepEqual(filtered.body.availability_zones, []);
      assert.equal((await api.request('GET', '/v2.0/availability_zones?color=red')).status, 400);
    });

    test('ports bind with the first mechanism driver whose agent on the host reaches a segment', async () => {
      await heartbeats.reportState(linuxBridge('compute1'));
      await heartbeats.reportState(openVswitch('compute2'));
      const vxlan = (await api.request('POST', '/v2.0/networks', { network: { name: 'overlay' } })).body.network as Json;
      const flat = (
        await api.request('POST', '/v2.0/networks', {
          network: { name: 'flat', 'provider:network_type': 'flat', 'provider:physical_network': 'physnet1' },
        })
      ).body.network as Json;
      const port = async (network: Json, host?: string) => {
        const response = await api.request('POST', '/v2.0/ports', {
          port: { network_id: network.id, ...(host === undefined ? {} : { 'binding:host_id': host }) },
        });
        assert.equal(response.status, 201, JSON.stringify(response.body));
        return response.body.port as Json;
      };

      const unbound = await port(vxlan);
      assert.equal(unbound['binding:vif_type'], 'unbound');
      const bridge = await port(vxlan, 'compute1');
      assert.equal(bridge['binding:vif_type'], 'bridge');
      assert.deepEqual(bridge['binding:vif_details'], { port_filter: true, connectivity: 'l2' });
      assert.equal((await port(vxlan, 'compute2'))['binding:vif_type'], 'binding_failed', 'that OVS agent has no VXLAN');
      const ovs = await port(flat, 'compute2');
      assert.equal(ovs['binding:vif_type'], 'ovs', 'openvswitch comes first in mechanism_drivers');
      assert.equal(ovs['binding:vif_details'].bridge_name, 'br-int');
      assert.equal((await port(flat, 'nowhere'))['binding:vif_type'], 'binding_failed');

      // port-mac-address-regenerate: a bound port keeps its MAC, one no driver bound gets a new one.
      const kept = await api.request('PUT', `/v2.0/ports/${bridge.id}`, { port: { mac_address: null } });
      assert.equal(kept.status, 409, JSON.stringify(kept.body));
      assert.equal(kept.body.NeutronError.type, 'PortBound');
      assert.match(
        kept.body.NeutronError.message,
        new RegExp(`^Unable to complete operation on port ${bridge.id}, port is already bound, port type: bridge, old_mac ${bridge.mac_address}, new_mac fa:16:3e(:[0-9a-f]{2}){3}\\.$`),
      );
      const failed = await port(flat, 'elsewhere');
      const renewed = await api.request('PUT', `/v2.0/ports/${failed.id}`, { port: { mac_address: null } });
      assert.equal(renewed.status, 200, JSON.stringify(renewed.body));
      assert.notEqual(renewed.body.port.mac_address, failed.mac_address);

      const rebound = await api.request('PUT', `/v2.0/ports/${unbound.id}`, { port: { 'binding:host_id': 'compute1' } });
      assert.equal(rebound.body.port['binding:vif_type'], 'bridge');
      const cleared = await api.request('PUT', `/v2.0/ports/${unbound.id}`, { port: { 'binding:host_id': '' } });
      assert.equal(cleared.body.port['binding:vif_type'], 'unbound');
      const direct = await api.request('POST', '/v2.0/ports', {
        port: { network_id: vxlan.id, 'binding:host_id': 'compute1', 'binding:vnic_type': 'direct' },
      });
      assert.equal(direct.body.port['binding:vif_type'], 'binding_failed', 'agent drivers bind normal ports only');
    });
  });
}
