/**
 * The server's notifications to the L2 agents (ML2's AgentNotifierApi):
 * port_update fans out when something an agent wires changed, never for a
 * status report alone; port_delete, network_update (MTU, admin_state_up) and
 * network_delete fan out too. Observed as an agent would, on the fanout
 * topics of an in-process bus shared with a real API server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { RpcArgs } from '../../../src/rpc/bus.js';
import { AGENT_NOTIFIER, PLUGIN, REPORTS } from '../../../src/rpc/topics.js';
import type { TestDatabase } from '../../db/databases.js';
import { type LabApi, startLabApi } from '../lab.js';
import { eventually } from '../../helpers/eventually.js';

interface Heard {
  readonly method: string;
  readonly args: RpcArgs;
}

describe('L2 agent notifications from the server', () => {
  let api: LabApi;
  let database: TestDatabase;
  const heard: Heard[] = [];
  const methods = (): string[] => heard.map((h) => h.method);

  before(async () => {
    ({ api, database } = await startLabApi({ ml2: { tenant_network_types: ['local'], mechanism_drivers: ['linuxbridge'] } }));
    const bus = await api.agentBus();
    const record = (method: string) => async (args: RpcArgs) => {
      heard.push({ method, args });
      return null;
    };
    await bus.serve(AGENT_NOTIFIER.portUpdate, { fanout: true }, { port_update: record('port_update') });
    await bus.serve(AGENT_NOTIFIER.portDelete, { fanout: true }, { port_delete: record('port_delete') });
    await bus.serve(AGENT_NOTIFIER.networkUpdate, { fanout: true }, { network_update: record('network_update') });
    await bus.serve(AGENT_NOTIFIER.networkDelete, { fanout: true }, { network_delete: record('network_delete') });
    await bus.call(REPORTS, 'report_state', {
      agent_state: { agent_state: {
        agent_type: 'Linux bridge agent',
        binary: 'neutron-linuxbridge-agent',
        host: 'h1',
        topic: 'N/A',
        start_flag: true,
        configurations: { interface_mappings: {}, bridge_mappings: {}, tunnel_types: [], tunneling_ip: '', l2_population: false, devices: 0 },
      } },
      time: new Date().toISOString(),
    });
  });

  after(async () => {
    await api?.close();
    await database?.drop();
  });

  it('port_update for admin_state_up and binding changes with the segment; none for status reports; port_delete, network_update, network_delete', async () => {
    const network = (await api.request('POST', '/v2.0/networks', { network: { name: 'n' } })).body.network;
    const port = (await api.request('POST', '/v2.0/ports', { port: { network_id: network.id } })).body.port;
    assert.deepEqual(methods(), [], 'a port create sends nothing');

    await api.request('PUT', `/v2.0/ports/${port.id}`, { port: { 'binding:host_id': 'h1' } });
    await eventually('port_update for the binding', async () => heard.length === 1);
    assert.equal(heard[0]!.method, 'port_update');
    assert.equal((heard[0]!.args.port as { id: string })['id'], port.id);
    assert.equal(heard[0]!.args.network_type, 'local');

    // The agent's own status reports do not come back to it.
    const bus = await api.agentBus();
    const device = `tap${String(port.id).slice(0, 11)}`;
    await bus.call(PLUGIN, 'get_devices_details_list_and_failed_devices', { devices: [device], agent_id: 'lb-h1', host: 'h1' });
    await bus.call(PLUGIN, 'update_device_list', { devices_up: [device], devices_down: [], agent_id: 'lb-h1', host: 'h1' });
    assert.equal((await api.request('GET', `/v2.0/ports/${port.id}`)).body.port.status, 'ACTIVE');
    await api.request('PUT', `/v2.0/ports/${port.id}`, { port: { name: 'renamed' } });

    await api.request('PUT', `/v2.0/ports/${port.id}`, { port: { admin_state_up: false } });
    await eventually('port_update for admin_state_up', async () => heard.length === 2);
    assert.deepEqual(methods(), ['port_update', 'port_update']);

    await api.request('DELETE', `/v2.0/ports/${port.id}`);
    await eventually('port_delete', async () => methods().includes('port_delete'));
    assert.deepEqual(heard.at(-1)!.args, { port_id: port.id });

    await api.request('PUT', `/v2.0/networks/${network.id}`, { network: { name: 'renamed' } });
    // (mtu is read-only here: no net-mtu-writable.)
    await api.request('PUT', `/v2.0/networks/${network.id}`, { network: { admin_state_up: false } });
    await eventually('network_update', async () => methods().includes('network_update'));
    assert.equal((heard.at(-1)!.args.network as { admin_state_up: boolean }).admin_state_up, false);

    await api.request('DELETE', `/v2.0/networks/${network.id}`);
    await eventually('network_delete', async () => methods().includes('network_delete'));
    assert.deepEqual(heard.at(-1)!.args, { network_id: network.id });
    assert.deepEqual(methods(), ['port_update', 'port_update', 'port_delete', 'network_update', 'network_delete']);
  });
});
