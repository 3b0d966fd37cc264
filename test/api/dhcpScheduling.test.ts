/**
 * DHCP agent scheduling over HTTP against a real server on every backend:
 * networks get dhcp_agents_per_network agents once they have a DHCP subnet,
 * leave agents that stop reporting, and the admin-only dhcp_agent_scheduler
 * API with Neutron's statuses and error types. DHCP agents report through an
 * AgentService on the test's own connection, as another server would store
 * their heartbeats.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { openDatabase, type OpenDatabase } from '../../src/db/connect.js';
import { AgentService } from '../../src/plugins/agents/agentService.js';
import { chooseAgents, DhcpScheduler } from '../../src/plugins/agents/dhcpScheduler.js';
import { DEVICE_ID_RESERVED_DHCP_PORT, dhcpDeviceId, uuid5 } from '../../src/plugins/agents/dhcpPorts.js';
import { parseAgentState } from '../../src/plugins/agents/stateReports.js';
import { createTestDatabase, testDialects, type TestDatabase } from '../db/databases.js';
import { asProject, type TestApi, startTestApi } from '../helpers/testApi.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions, not by types
type Json = Record<string, any>;

const DOWN_TIME = 2;

const dhcpAgent = (host: string) =>
  parseAgentState({
    agent_type: 'DHCP agent',
    binary: 'neutron-dhcp-agent',
    host,
    topic: 'dhcp_agent',
    configurations: { dhcp_driver: 'neutron.agent.linux.dhcp.Dnsmasq', dhcp_lease_duration: 86400, networks: 0 },
    start_flag: true,
  });

describe('DHCP device ids and agent choice', () => {
  test("uuid5 is Python's, device ids are Neutron's", () => {
    assert.equal(uuid5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'python.org'), '886313e1-3b8a-5372-9b90-0c9aee199e5d');
    const net = '8d4c4f2a-1a57-4f33-9e59-8f0b0b0d2a11';
    assert.equal(dhcpDeviceId(net, 'python.org'), `dhcp${uuid5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'python')}-${net}`);
    assert.equal(dhcpDeviceId(net, 'compute1.example.org'), dhcpDeviceId(net, 'compute1'));
  });

  test('agents are chosen at random, without repeats, never more than there are', () => {
    const sequence = [0.9, 0.0, 0.5];
    assert.deepEqual(chooseAgents(['a', 'b', 'c'], 2, () => sequence.shift() ?? 0), ['c', 'a']);
    assert.deepEqual(chooseAgents(['a'], 3, Math.random), ['a']);
    assert.deepEqual(chooseAgents([], 1, Math.random), []);
  });
});

for (const dialect of testDialects()) {
  describe(`DHCP agent scheduling on ${dialect}`, () => {
    let database: TestDatabase;
    let agentDb: OpenDatabase;
    let heartbeats: AgentService;
    /** Hosts whose DHCP agents keep reporting. */
    const live = new Set<string>();
    let beating: NodeJS.Timeout;

    before(async () => {
      database = await createTestDatabase(dialect);
      agentDb = await openDatabase(database.url);
      heartbeats = new AgentService(agentDb.db, DOWN_TIME);
      beating = setInterval(() => {
        for (const host of live) void heartbeats.reportState({ ...dhcpAgent(host), start_flag: false });
      }, 400);
    });
    after(async () => {
      clearInterval(beating);
      await agentDb?.close();
      await database?.drop();
    });

    async function startAgent(host: string): Promise<string> {
      await heartbeats.reportState(dhcpAgent(host));
      live.add(host);
      const row = await agentDb.db.selectFrom('agents').select('id').where('host', '=', host).where('agent_type', '=', 'DHCP agent').executeTakeFirstOrThrow();
      return row.id;
    }

    /** The agent stops reporting, and did so long ago: dead for the failover check, and no longer starting up. */
    async function killAgent(host: string): Promise<void> {
      live.delete(host);
      await sleep(500); // a heartbeat in flight lands first
      const longAgo = new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      await agentDb.db.updateTable('agents').set({ heartbeat_timestamp: longAgo, started_at: longAgo }).where('host', '=', host).execute();
    }

    async function networkWithSubnet(api: TestApi, cidr: string, enableDhcp: boolean): Promise<string> {
      const network = await api.request('POST', '/v2.0/networks', { network: { name: `net-${cidr}` } });
      assert.equal(network.status, 201);
      const id = network.body.network.id as string;
      const subnet = await api.request('POST', '/v2.0/subnets', { subnet: { network_id: id, cidr, ip_version: 4, enable_dhcp: enableDhcp } });
      assert.equal(subnet.status, 201, JSON.stringify(subnet.body));
      return id;
    }

    const hostsOf = async (api: TestApi, networkId: string): Promise<string[]> => {
      const response = await api.request('GET', `/v2.0/networks/${networkId}/dhcp-agents`);
      assert.equal(response.status, 200);
      return (response.body.agents as Json[]).map((a) => a.host as string).sort();
    };

    describe('with dhcp_agents_per_network = 1', () => {
      let api: TestApi;
      before(async () => {
        api = await startTestApi(database.url, { DEFAULT: { agent_down_time: DOWN_TIME, dhcp_agents_per_network: 1 } });
      });
      after(async () => api?.close());

      test('a network gets its agent with its first DHCP subnet, not before, and only one', async () => {
        await startAgent('one-a');
        const plain = await networkWithSubnet(api, '10.1.0.0/24', false);
        assert.deepEqual(await hostsOf(api, plain), [], 'a subnet without DHCP asks for no agent');
        const port = await api.request('POST', '/v2.0/ports', { port: { network_id: plain } });
        assert.equal(port.status, 201);
        assert.deepEqual(await hostsOf(api, plain), [], 'nor does a port on it');
        const bare = await api.request('POST', '/v2.0/networks', { network: { name: 'bare' } });
        assert.deepEqual(await hostsOf(api, bare.body.network.id), []);

        const served = await networkWithSubnet(api, '10.1.1.0/24', true);
        assert.deepEqual(await hostsOf(api, served), ['one-a']);

        await startAgent('one-b');
        const second = await networkWithSubnet(api, '10.1.2.0/24', true);
        const hosts = await hostsOf(api, second);
        assert.equal(hosts.length, 1);
        assert.ok(['one-a', 'one-b'].includes(hosts[0]!));
        // A second DHCP subnet does not add agents.
        await api.request('POST', '/v2.0/subnets', { subnet: { network_id: second, cidr: '10.1.3.0/24', ip_version: 4 } });
        assert.deepEqual(await hostsOf(api, second), hosts);
      });

      test('the networks of an agent that stops reporting move to a live one', async () => {
        const movingId = await networkWithSubnet(api, '10.1.4.0/24', true);
        const [before] = await hostsOf(api, movingId);
        assert.ok(before);
        const survivor = before === 'one-a' ? 'one-b' : 'one-a';
        // Its DHCP port, as the agent would have created it.
        const dhcpPort = await api.request('POST', '/v2.0/ports', {
          port: { network_id: movingId, device_owner: 'network:dhcp', device_id: dhcpDeviceId(movingId, before) },
        });
        assert.equal(dhcpPort.status, 201);
        await killAgent(before);
        // The check runs every agent_down_time / 2 and moves bindings silent for 2 x agent_down_time.
        const deadline = Date.now() + 10_000;
        let hosts = await hostsOf(api, movingId);
        while (hosts[0] !== survivor && Date.now() < deadline) {
          await sleep(200);
          hosts = await hostsOf(api, movingId);
        }
        assert.deepEqual(hosts, [survivor]);
        const port = await api.request('GET', `/v2.0/ports/${dhcpPort.body.port.id}`);
        assert.equal(port.body.port.device_id, DEVICE_ID_RESERVED_DHCP_PORT, 'the dead agent’s port is kept for the next one');
        // The dead agent is left with nothing; the API lists it still, not alive.
        const deadId = (await api.request('GET', `/v2.0/agents?host=${before}`)).body.agents[0].id;
        assert.deepEqual((await api.request('GET', `/v2.0/agents/${deadId}/dhcp-networks`)).body.networks, []);
        live.add(before); // back for the next tests
        await heartbeats.reportState(dhcpAgent(before));
      });

      test('servers scheduling one network at once give it one agent', async () => {
        const id = await networkWithSubnet(api, '10.1.5.0/24', true);
        const [host] = await hostsOf(api, id);
        const [agent] = (await api.request('GET', `/v2.0/agents?host=${host}&agent_type=DHCP%20agent`)).body.agents as Json[];
        assert.equal((await api.request('DELETE', `/v2.0/agents/${agent!.id}/dhcp-networks/${id}`)).status, 204);
        assert.deepEqual(await hostsOf(api, id), []);
        // Three "servers", each with its own connection, twice each; both agents are alive.
        const connections = [agentDb, await openDatabase(database.url), await openDatabase(database.url)];
        try {
          const schedulers = connections.map((c) => new DhcpScheduler(c.db, { agentsPerNetwork: 1, downTime: DOWN_TIME }));
          const results = await Promise.all([...schedulers, ...schedulers].map((s) => s.scheduleNetwork(id)));
          assert.equal(results.flat().length, 1, 'one of them bound an agent, the others found it done');
        } finally {
          for (const c of connections.slice(1)) await c.close();
        }
        assert.equal((await hostsOf(api, id)).length, 1);
      });
    });

    describe('with dhcp_agents_per_network = 2', () => {
      let api: TestApi;
      let agentA: string;
      let agentB: string;
      before(async () => {
        api = await startTestApi(database.url, { DEFAULT: { agent_down_time: DOWN_TIME, dhcp_agents_per_network: 2 } });
        agentA = await startAgent('two-a');
        agentB = await startAgent('two-b');
        // The first describe's agents stay out of the way.
        for (const host of ['one-a', 'one-b']) {
          const [agent] = (await api.request('GET', `/v2.0/agents?host=${host}`)).body.agents as Json[];
          if (agent) await api.request('PUT', `/v2.0/agents/${agent.id}`, { agent: { admin_state_up: false } });
        }
      });
      after(async () => api?.close());

      test('a DHCP network gets two agents', async () => {
        const id = await networkWithSubnet(api, '10.2.0.0/24', true);
        assert.deepEqual(await hostsOf(api, id), ['two-a', 'two-b']);
        const listed = await api.request('GET', `/v2.0/networks/${id}/dhcp-agents`);
        const agent = (listed.body.agents as Json[]).find((a) => a.host === 'two-a')!;
        // Shown as the agents API shows it.
        assert.deepEqual(agent, (await api.request('GET', `/v2.0/agents/${agentA}`)).body.agent);
        assert.equal(agent.agent_type, 'DHCP agent');
        assert.equal(agent.alive, true);
      });

      test('admins add and remove networks by hand, with Neutron’s statuses and errors', async () => {
        const net = (await api.request('POST', '/v2.0/networks', { network: { name: 'by-hand' } })).body.network;
        assert.deepEqual(await hostsOf(api, net.id), []);

        const added = await api.request('POST', `/v2.0/agents/${agentA}/dhcp-networks`, { network_id: net.id });
        assert.equal(added.status, 201);
        assert.equal(added.body, null);
        const onAgent = await api.request('GET', `/v2.0/agents/${agentA}/dhcp-networks`);
        assert.equal(onAgent.status, 200);
        const shown = (onAgent.body.networks as Json[]).find((n) => n.id === net.id);
        assert.deepEqual(shown, (await api.request('GET', `/v2.0/networks/${net.id}`)).body.network);
        assert.deepEqual(await hostsOf(api, net.id), ['two-a']);

        const again = await api.request('POST', `/v2.0/agents/${agentA}/dhcp-networks`, { network_id: net.id });
        assert.equal(again.status, 409);
        assert.equal(again.body.NeutronError.type, 'NetworkHostedByDHCPAgent');
        assert.equal(again.body.NeutronError.message, `The network ${net.id} has been already hosted by the DHCP Agent ${agentA}.`);

        const unknownNet = await api.request('POST', `/v2.0/agents/${agentA}/dhcp-networks`, { network_id: '00000000-0000-0000-0000-000000000000' });
        assert.equal(unknownNet.status, 404);
        assert.equal(unknownNet.body.NeutronError.type, 'NetworkNotFound');
        const unknownAgent = await api.request('POST', '/v2.0/agents/00000000-0000-0000-0000-000000000000/dhcp-networks', { network_id: net.id });
        assert.equal(unknownAgent.status, 404);
        assert.equal(unknownAgent.body.NeutronError.type, 'AgentNotFound');
        const noBody = await api.request('POST', `/v2.0/agents/${agentA}/dhcp-networks`, {});
        assert.equal(noBody.status, 400);

        await heartbeats.reportState({ agent_type: 'Linux bridge agent', binary: 'neutron-linuxbridge-agent', host: 'two-a', topic: 'N/A' });
        const [l2] = (await api.request('GET', '/v2.0/agents?host=two-a&agent_type=Linux%20bridge%20agent')).body.agents as Json[];
        const notDhcp = await api.request('POST', `/v2.0/agents/${l2!.id}/dhcp-networks`, { network_id: net.id });
        assert.equal(notDhcp.status, 404);
        assert.equal(notDhcp.body.NeutronError.type, 'InvalidDHCPAgent');
        assert.equal(notDhcp.body.NeutronError.message, `Agent ${l2!.id} is not a valid DHCP Agent or has been disabled.`);
        assert.deepEqual((await api.request('GET', `/v2.0/agents/${l2!.id}/dhcp-networks`)).body, { networks: [] });
        const [disabled] = (await api.request('GET', '/v2.0/agents?host=one-a')).body.agents as Json[];
        const down = await api.request('POST', `/v2.0/agents/${disabled!.id}/dhcp-networks`, { network_id: net.id });
        assert.equal(down.status, 404);
        assert.equal(down.body.NeutronError.type, 'InvalidDHCPAgent');

        // Removing keeps the agent's DHCP port for the next one.
        const dhcpPort = await api.request('POST', '/v2.0/ports', {
          port: { network_id: net.id, device_owner: 'network:dhcp', device_id: dhcpDeviceId(net.id, 'two-a') },
        });
        // openstacksdk sends a body with DELETE.
        const removed = await api.request('DELETE', `/v2.0/agents/${agentA}/dhcp-networks/${net.id}`, { network_id: net.id });
        assert.equal(removed.status, 204);
        assert.equal(removed.body, undefined);
        assert.deepEqual(await hostsOf(api, net.id), []);
        assert.equal((await api.request('GET', `/v2.0/ports/${dhcpPort.body.port.id}`)).body.port.device_id, DEVICE_ID_RESERVED_DHCP_PORT);
        const notHosted = await api.request('DELETE', `/v2.0/agents/${agentA}/dhcp-networks/${net.id}`);
        assert.equal(notHosted.status, 409);
        assert.equal(notHosted.body.NeutronError.type, 'NetworkNotHostedByDhcpAgent');
        assert.equal(notHosted.body.NeutronError.message, `The network ${net.id} is not hosted by the DHCP Agent ${agentA}.`);
        const goneAgent = await api.request('DELETE', `/v2.0/agents/00000000-0000-0000-0000-000000000000/dhcp-networks/${net.id}`);
        assert.equal(goneAgent.status, 404);
        assert.equal(goneAgent.body.NeutronError.type, 'AgentNotFound');
        assert.equal((await api.request('GET', '/v2.0/agents/00000000-0000-0000-0000-000000000000/dhcp-networks')).status, 404);
        assert.deepEqual((await api.request('GET', '/v2.0/networks/00000000-0000-0000-0000-000000000000/dhcp-agents')).body, { agents: [] });

        // The binding goes with the network.
        await api.request('POST', `/v2.0/agents/${agentB}/dhcp-networks`, { network_id: net.id });
        assert.equal((await api.request('DELETE', `/v2.0/networks/${net.id}`)).status, 204);
        const left = (await api.request('GET', `/v2.0/agents/${agentB}/dhcp-networks`)).body.networks as Json[];
        assert.ok(!left.some((n) => n.id === net.id));
      });

      test('only admins see or change DHCP scheduling (403)', async () => {
        const user = asProject('p-dhcp');
        const own = (await api.request('POST', '/v2.0/networks', { network: { name: 'mine' } }, user)).body.network;
        const calls: [string, string, unknown?][] = [
          ['GET', `/v2.0/agents/${agentA}/dhcp-networks`],
          ['POST', `/v2.0/agents/${agentA}/dhcp-networks`, { network_id: own.id }],
          ['DELETE', `/v2.0/agents/${agentA}/dhcp-networks/${own.id}`],
          ['GET', `/v2.0/networks/${own.id}/dhcp-agents`],
        ];
        for (const [method, path, body] of calls) {
          const response = await api.request(method, path, body, user);
          assert.equal(response.status, 403, `${method} ${path}`);
          assert.equal(response.body.NeutronError.type, 'PolicyNotAuthorized');
        }
        assert.equal((await api.request('GET', '/v2.0/extensions/dhcp_agent_scheduler')).body.extension.name, 'DHCP Agent Scheduler');
      });
    });
  });
}
