/**
 * The DHCP agents' RPC and notifications over real RabbitMQ, in a throwaway
 * vhost: a fake DHCP agent on its own connection reports state, gets its
 * networks scheduled and fetched (get_active_networks_info), manages its
 * DHCP port (create/update/release_dhcp_port) and hears the casts Neutron
 * sends on dhcp_agent.<host> (network_create_end, port_create_end, ...);
 * an agent that does not serve the network hears nothing about it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { dhcpDeviceId } from '../../src/plugins/agents/dhcpPorts.js';
import type { Bus, RpcArgs } from '../../src/rpc/bus.js';
import { openBus } from '../../src/rpc/connect.js';
import { DHCP_AGENT, PLUGIN, REPORTS } from '../../src/rpc/topics.js';
import { createTestDatabase, type TestDatabase } from '../db/databases.js';
import { type TestApi, startTestApi } from '../helpers/testApi.js';
import { createTestVhost, recordingLogger, sleep, type TestVhost, waitFor } from './helpers.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- payloads are checked by assertions, not by types
type Json = Record<string, any>;

interface Cast {
  readonly method: string;
  readonly payload: Json;
}

/** A DHCP agent as the server sees it: report_state, the q-plugin calls, and its dhcp_agent.<host> queue. */
class FakeDhcpAgent {
  readonly casts: Cast[] = [];
  private constructor(
    readonly host: string,
    private readonly bus: Bus,
  ) {}

  static async start(url: string, host: string): Promise<FakeDhcpAgent> {
    const bus = await openBus(url, { retryIntervalMs: 200, retryBackoffMs: 100, intervalMaxMs: 1000 }, recordingLogger());
    const agent = new FakeDhcpAgent(host, bus);
    const record = (method: string) => async (args: RpcArgs) => {
      agent.casts.push({ method, payload: args.payload as Json });
    };
    const methods = ['network_create_end', 'network_update_end', 'network_delete_end', 'subnet_create_end', 'subnet_update_end', 'subnet_delete_end', 'port_create_end', 'port_update_end', 'port_delete_end'];
    await bus.serve(DHCP_AGENT, { server: host, fanout: true }, Object.fromEntries(methods.map((m) => [m, record(m)])));
    return agent;
  }

  /** report_state as neutron-dhcp-agent sends it; the first one (start_flag) waits for the server to consume. */
  async report(start = false): Promise<unknown> {
    const agentState = {
      agent_type: 'DHCP agent',
      binary: 'neutron-dhcp-agent',
      host: this.host,
      topic: DHCP_AGENT,
      availability_zone: 'nova',
      configurations: { dhcp_driver: 'neutron.agent.linux.dhcp.Dnsmasq', dhcp_lease_duration: 86400, networks: 0, subnets: 0, ports: 0 },
      ...(start ? { start_flag: true } : {}),
    };
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        return await this.bus.call(REPORTS, 'report_state', { agent_state: { agent_state: agentState }, time: new Date().toISOString() }, { timeoutMs: 2000 });
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await sleep(200);
      }
    }
  }

  /** A DhcpPluginApi call on q-plugin. */
  call(method: string, args: RpcArgs): Promise<Json> {
    return this.bus.call(PLUGIN, method, { host: this.host, ...args }, { timeoutMs: 10_000 }) as Promise<Json>;
  }

  about(networkId: string, method?: string): Cast[] {
    return this.casts.filter(
      (c) =>
        (method === undefined || c.method === method) &&
        (c.payload.network?.id === networkId || c.payload.network_id === networkId || c.payload.subnet?.network_id === networkId || c.payload.port?.network_id === networkId),
    );
  }

  close(): Promise<void> {
    return this.bus.close();
  }
}

describe('DHCP agents over RabbitMQ', () => {
  let vhost: TestVhost;
  let database: TestDatabase;
  let api: TestApi;
  const agents: FakeDhcpAgent[] = [];

  before(async () => {
    vhost = await createTestVhost();
    database = await createTestDatabase('sqlite');
    api = await startTestApi(database.url, { DEFAULT: { transport_url: vhost.url, agent_down_time: 30 } });
  });
  after(async () => {
    for (const agent of agents) await agent.close();
    await api?.close();
    await database?.drop();
    await vhost?.drop();
  });

  test('a DHCP agent gets its networks on its first report, fetches them, manages its port and hears about ports', async () => {
    // A network that needs DHCP before any agent exists.
    const network = (await api.request('POST', '/v2.0/networks', { network: { name: 'rpc-net' } })).body.network as Json;
    const subnet = (await api.request('POST', '/v2.0/subnets', { subnet: { network_id: network.id, cidr: '10.9.0.0/24', ip_version: 4 } }))
      .body.subnet as Json;
    const plain = (await api.request('POST', '/v2.0/subnets', { subnet: { network_id: network.id, cidr: '10.9.1.0/24', ip_version: 4, enable_dhcp: false } }))
      .body.subnet as Json;
    assert.deepEqual((await api.request('GET', `/v2.0/networks/${network.id}/dhcp-agents`)).body.agents, []);

    const agent = await FakeDhcpAgent.start(vhost.url, 'dhcp-host-1');
    agents.push(agent);
    assert.equal(await agent.report(true), 'new');
    // network_auto_schedule on the first report, before the agent asks.
    const hosting = (await api.request('GET', `/v2.0/networks/${network.id}/dhcp-agents`)).body.agents as Json[];
    assert.deepEqual(
      hosting.map((a) => a.host),
      ['dhcp-host-1'],
    );

    const active = (await agent.call('get_active_networks_info', {})) as unknown as Json[];
    assert.equal(active.length, 1);
    const [info] = active;
    assert.equal(info!.id, network.id);
    assert.equal(info!.mtu, network.mtu);
    assert.equal(info!.admin_state_up, true);
    assert.deepEqual(info!.non_local_subnets, []);
    // Only DHCP subnets, as full objects; no ports yet.
    assert.deepEqual(info!.subnets, [(await api.request('GET', `/v2.0/subnets/${subnet.id}`)).body.subnet]);
    assert.deepEqual(info!.ports, []);
    const everything = (await agent.call('get_active_networks_info', { enable_dhcp_filter: false })) as unknown as Json[];
    assert.equal(everything[0]!.subnets.length, 2);

    // The agent's DHCP port, as neutron-dhcp-agent asks for it.
    const deviceId = dhcpDeviceId(network.id, agent.host);
    const dhcpPort = await agent.call('create_dhcp_port', {
      port: { port: { name: '', admin_state_up: true, device_id: deviceId, network_id: network.id, tenant_id: network.tenant_id, fixed_ips: [{ subnet_id: subnet.id }] } },
    });
    assert.equal(dhcpPort.device_owner, 'network:dhcp');
    assert.equal(dhcpPort['binding:host_id'], agent.host);
    assert.equal(dhcpPort.device_id, deviceId);
    assert.equal(dhcpPort.fixed_ips[0].subnet_id, subnet.id);
    const updated = await agent.call('update_dhcp_port', { port_id: dhcpPort.id, port: { port: { network_id: network.id, name: 'dhcp-port' } } });
    assert.equal(updated.name, 'dhcp-port');
    assert.equal(updated.id, dhcpPort.id);
    // Another host's agent may not touch it.
    assert.equal(await agent.call('update_dhcp_port', { host: 'elsewhere', port_id: dhcpPort.id, port: { port: { network_id: network.id, name: 'x' } } }), null);

    const info2 = await agent.call('get_network_info', { network_id: network.id });
    assert.deepEqual(
      info2.subnets.map((s: Json) => s.id),
      [subnet.id, plain.id].sort(),
    );
    assert.deepEqual(
      info2.ports.map((p: Json) => p.id),
      [dhcpPort.id],
    );
    assert.equal(await agent.call('get_network_info', { network_id: '00000000-0000-0000-0000-000000000000' }), null);
    assert.equal(await agent.call('dhcp_ready_on_ports', { port_ids: [dhcpPort.id] }), null);

    // A second DHCP agent arrives; the network already has its one agent.
    const other = await FakeDhcpAgent.start(vhost.url, 'dhcp-host-2');
    agents.push(other);
    assert.equal(await other.report(true), 'new');
    assert.deepEqual((await other.call('get_active_networks_info', {})) as unknown, []);

    // A port on the network: port_create_end to the agent that serves it (the only one, so at high priority).
    const port = (await api.request('POST', '/v2.0/ports', { port: { network_id: network.id, name: 'vm-port' } })).body.port as Json;
    await waitFor('port_create_end', () => agent.about(network.id, 'port_create_end').some((c) => c.payload.port.id === port.id), 10_000);
    const created = agent.about(network.id, 'port_create_end').find((c) => c.payload.port.id === port.id)!;
    assert.equal(created.payload.priority, 5);
    assert.deepEqual(created.payload.port, (await api.request('GET', `/v2.0/ports/${port.id}`)).body.port);

    // A rename changes nothing dnsmasq serves: no port_update_end, as Neutron; a new MAC does.
    await api.request('PUT', `/v2.0/ports/${port.id}`, { port: { name: 'renamed' } });
    await api.request('PUT', `/v2.0/ports/${port.id}`, { port: { mac_address: 'fa:16:3e:0a:0b:0c' } });
    await waitFor('port_update_end', () => agent.about(network.id, 'port_update_end').some((c) => c.payload.port.mac_address === 'fa:16:3e:0a:0b:0c'), 10_000);
    assert.deepEqual(
      agent.about(network.id, 'port_update_end').map((c) => c.payload.port.mac_address),
      ['fa:16:3e:0a:0b:0c'],
      'the rename alone was not sent',
    );
    await api.request('DELETE', `/v2.0/ports/${port.id}`);
    await waitFor('port_delete_end', () => agent.about(network.id, 'port_delete_end').some((c) => c.payload.port_id === port.id), 10_000);
    const deleted = agent.about(network.id, 'port_delete_end').find((c) => c.payload.port_id === port.id)!;
    assert.deepEqual(deleted.payload, { port_id: port.id, network_id: network.id, fixed_ips: port.fixed_ips, priority: 6 });

    // Releasing the DHCP port deletes it.
    assert.equal(await agent.call('release_dhcp_port', { network_id: network.id, device_id: deviceId }), null);
    assert.equal((await api.request('GET', `/v2.0/ports/${dhcpPort.id}`)).status, 404);

    // Deleting the network tells the agent that served it.
    await api.request('DELETE', `/v2.0/networks/${network.id}`);
    await waitFor('network_delete_end', () => agent.about(network.id, 'network_delete_end').length > 0, 10_000);
    assert.deepEqual(agent.about(network.id, 'network_delete_end')[0]!.payload, { network_id: network.id, priority: 2 });

    // The agent that does not serve the network heard nothing of it.
    await sleep(300);
    assert.deepEqual(other.about(network.id), []);
  });

  test('a network scheduled on subnet create is announced to its agent before its subnet', async () => {
    const [agent] = agents;
    // Keep only the first agent eligible, so that the choice is known.
    const [second] = (await api.request('GET', '/v2.0/agents?host=dhcp-host-2')).body.agents as Json[];
    await api.request('PUT', `/v2.0/agents/${second!.id}`, { agent: { admin_state_up: false } });
    const network = (await api.request('POST', '/v2.0/networks', { network: { name: 'rpc-net-2' } })).body.network as Json;
    const subnet = (await api.request('POST', '/v2.0/subnets', { subnet: { network_id: network.id, cidr: '10.9.2.0/24', ip_version: 4 } })).body
      .subnet as Json;
    await waitFor('subnet_create_end', () => agent!.about(network.id, 'subnet_create_end').length > 0, 10_000);
    const methods = agent!.about(network.id).map((c) => c.method);
    assert.deepEqual(methods.slice(0, 2), ['network_create_end', 'subnet_create_end']);
    assert.deepEqual(agent!.about(network.id, 'network_create_end')[0]!.payload, { network: { id: network.id }, priority: 0 });
    assert.equal(agent!.about(network.id, 'subnet_create_end')[0]!.payload.subnet.id, subnet.id);
  });
});
