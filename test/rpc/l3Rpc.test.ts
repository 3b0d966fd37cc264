/**
 * The L3 agents' RPC and notifications over real RabbitMQ, in a throwaway
 * vhost: fake L3 agents report state, get routers scheduled (least routers
 * first), read them with sync_routers (gateway port, interfaces, floating
 * IPs, subnets, prefix lengths, MTU; ports bound to their host), report
 * floating IP statuses, hear routers_updated / router_deleted /
 * router_added_to_agent / router_removed_from_agent on l3_agent.<host>,
 * and the l3_agent_scheduler routes move routers between them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { Bus, RpcArgs } from '../../src/rpc/bus.js';
import { openBus } from '../../src/rpc/connect.js';
import { L3_AGENT, L3PLUGIN, REPORTS } from '../../src/rpc/topics.js';
import { createTestDatabase, type TestDatabase } from '../db/databases.js';
import { eventually } from '../helpers/eventually.js';
import { type TestApi, startTestApi } from '../helpers/testApi.js';
import { createTestVhost, recordingLogger, sleep, type TestVhost, waitFor } from './helpers.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- payloads are checked by assertions, not by types
type Json = Record<string, any>;

/** An L3 agent as the server sees it: report_state, q-l3-plugin calls, and its l3_agent.<host> queue. */
class FakeL3Agent {
  readonly casts: { method: string; args: Json }[] = [];
  private constructor(
    readonly host: string,
    private readonly bus: Bus,
  ) {}

  static async start(url: string, host: string): Promise<FakeL3Agent> {
    const bus = await openBus(url, { retryIntervalMs: 200, retryBackoffMs: 100, intervalMaxMs: 1000 }, recordingLogger());
    const agent = new FakeL3Agent(host, bus);
    const record = (method: string) => async (args: RpcArgs) => {
      agent.casts.push({ method, args: args as Json });
    };
    const methods = ['routers_updated', 'router_deleted', 'router_added_to_agent', 'router_removed_from_agent', 'agent_updated'];
    await bus.serve(L3_AGENT, { server: host, fanout: true }, Object.fromEntries(methods.map((m) => [m, record(m)])));
    return agent;
  }

  async report(start = false): Promise<unknown> {
    const agentState = {
      agent_type: 'L3 agent',
      binary: 'neutron-l3-agent',
      host: this.host,
      topic: L3_AGENT,
      configurations: { agent_mode: 'legacy', routers: 0, handle_internal_only_routers: true },
      ...(start ? { start_flag: true } : {}),
    };
    return this.bus.call(REPORTS, 'report_state', { agent_state: { agent_state: agentState }, time: new Date().toISOString() }, { timeoutMs: 10_000 });
  }

  call(method: string, args: RpcArgs): Promise<Json> {
    return this.bus.call(L3PLUGIN, method, args, { timeoutMs: 10_000 }) as Promise<Json>;
  }

  heard(method: string, routerId: string): boolean {
    return this.casts.some(
      (c) =>
        c.method === method &&
        (c.args.routers?.includes(routerId) || c.args.router_id === routerId || c.args.payload?.router_id === routerId || c.args.payload?.includes?.(routerId)),
    );
  }

  close(): Promise<void> {
    return this.bus.close();
  }
}

describe('L3 agents over RabbitMQ', () => {
  let vhost: TestVhost;
  let database: TestDatabase;
  let api: TestApi;
  let a1: FakeL3Agent;
  let a2: FakeL3Agent;

  const ok = async (method: string, path: string, body?: Json, status = method === 'POST' ? 201 : 200): Promise<Json> => {
    const response = await api.request(method, path, body);
    assert.equal(response.status, status, `${method} ${path}: ${JSON.stringify(response.body)}`);
    return response.body as Json;
  };

  before(async () => {
    vhost = await createTestVhost();
    database = await createTestDatabase('sqlite');
    api = await startTestApi(database.url, { DEFAULT: { transport_url: vhost.url, agent_down_time: 30, service_plugins: ['router'] } });
    a1 = await FakeL3Agent.start(vhost.url, 'l3-host-1');
    a2 = await FakeL3Agent.start(vhost.url, 'l3-host-2');
    assert.equal(await a1.report(true), 'new');
    assert.equal(await a2.report(true), 'new');
  });
  after(async () => {
    await a1?.close();
    await a2?.close();
    await api?.close();
    await database?.drop();
    await vhost?.drop();
  });

  test('routers are scheduled least-loaded first, synced whole, and their changes announced to their agent', async () => {
    const ext = (await ok('POST', '/v2.0/networks', { network: { name: 'public', 'router:external': true } })).network;
    await ok('POST', '/v2.0/subnets', { subnet: { network_id: ext.id, cidr: '172.31.0.0/24', ip_version: 4 } });
    const net = (await ok('POST', '/v2.0/networks', { network: { name: 'private' } })).network;
    const subnet = (await ok('POST', '/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.40.0.0/24', ip_version: 4 } })).subnet;
    const r1 = (await ok('POST', '/v2.0/routers', { router: { name: 'r1', external_gateway_info: { network_id: ext.id } } })).router;
    const r2 = (await ok('POST', '/v2.0/routers', { router: { name: 'r2' } })).router;
    // One router each: the second goes to the agent with fewer.
    const hostOf = async (id: string) => ((await ok('GET', `/v2.0/routers/${id}/l3-agents`)).agents as Json[]).map((a) => a.host);
    const [h1, h2] = [await hostOf(r1.id), await hostOf(r2.id)];
    assert.equal(h1.length, 1);
    assert.equal(h2.length, 1);
    assert.notEqual(h1[0], h2[0]);
    const [owner, other] = h1[0] === a1.host ? [a1, a2] : [a2, a1];
    assert.deepEqual(await owner.call('get_router_ids', { host: owner.host }), [r1.id]);
    assert.deepEqual(
      ((await ok('GET', `/v2.0/agents/${(await ok('GET', `/v2.0/agents?host=${owner.host}`)).agents[0].id}/l3-routers`)).routers as Json[]).map((r) => r.id),
      [r1.id],
    );

    await ok('PUT', `/v2.0/routers/${r1.id}/add_router_interface`, { subnet_id: subnet.id });
    await waitFor('routers_updated for the interface', () => owner.heard('routers_updated', r1.id), 10_000);
    const port = (await ok('POST', '/v2.0/ports', { port: { network_id: net.id } })).port;
    const fip = (await ok('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: ext.id, port_id: port.id } })).floatingip;

    const [synced] = (await owner.call('sync_routers', { host: owner.host, router_ids: [r1.id] })) as unknown as Json[];
    assert.equal(synced!.id, r1.id);
    assert.equal(synced!.enable_snat, true);
    assert.equal(synced!.gw_port.network_id, ext.id);
    assert.equal(synced!.gw_port.fixed_ips[0].prefixlen, 24);
    assert.deepEqual(synced!.gw_port.subnets.map((s: Json) => s.cidr), ['172.31.0.0/24']);
    assert.equal(synced!.gw_port['binding:host_id'], owner.host);
    assert.deepEqual(
      synced!._interfaces.map((p: Json) => [p.fixed_ips[0].ip_address, p.subnets[0].gateway_ip, p.mtu, p['binding:host_id']]),
      [['10.40.0.1', '10.40.0.1', net.mtu, owner.host]],
    );
    assert.deepEqual(synced!._floatingips, [
      {
        id: fip.id,
        floating_ip_address: fip.floating_ip_address,
        floating_network_id: ext.id,
        fixed_ip_address: port.fixed_ips[0].ip_address,
        port_id: port.id,
        router_id: r1.id,
        status: 'DOWN',
      },
    ]);
    // The other agent hosts r2 only.
    assert.deepEqual(((await other.call('sync_routers', { host: other.host })) as unknown as Json[]).map((r) => r.id), [r2.id]);
    // Neutron's agent asks how many HA routers it hosts when it starts: none here, then one.
    assert.equal(await owner.call('get_host_ha_router_count', { host: owner.host }), 0);
    await ok('PUT', `/v2.0/routers/${r1.id}`, { router: { admin_state_up: false } });
    await ok('PUT', `/v2.0/routers/${r1.id}`, { router: { ha: true } });
    assert.equal(await owner.call('get_host_ha_router_count', { host: owner.host }), 1);
    assert.equal(await other.call('get_host_ha_router_count', { host: other.host }), 0);
    await ok('PUT', `/v2.0/routers/${r1.id}`, { router: { ha: false } });
    await ok('PUT', `/v2.0/routers/${r1.id}`, { router: { admin_state_up: true } });

    assert.equal(await owner.call('update_floatingip_statuses', { router_id: r1.id, fip_statuses: { [fip.id]: 'ACTIVE' } }), null);
    assert.equal((await ok('GET', `/v2.0/floatingips/${fip.id}`)).floatingip.status, 'ACTIVE');
    // Disassociated: the agent's next report leaves it out, and it goes DOWN.
    owner.casts.length = 0;
    await ok('PUT', `/v2.0/floatingips/${fip.id}`, { floatingip: { port_id: null } });
    await waitFor('routers_updated for the floating IP', () => owner.heard('routers_updated', r1.id), 10_000);
    await owner.call('update_floatingip_statuses', { router_id: r1.id, fip_statuses: {} });
    assert.equal((await ok('GET', `/v2.0/floatingips/${fip.id}`)).floatingip.status, 'DOWN');

    // An admin moves r2 to the owner of r1: removed from one, added to the other.
    const agentId = async (agent: FakeL3Agent) => (await ok('GET', `/v2.0/agents?host=${agent.host}&agent_type=L3%20agent`)).agents[0].id as string;
    const conflict = await api.request('POST', `/v2.0/agents/${await agentId(owner)}/l3-routers`, { router_id: r2.id });
    assert.deepEqual([conflict.status, conflict.body.NeutronError.type], [409, 'RouterHostedByL3Agent']);
    await ok('DELETE', `/v2.0/agents/${await agentId(other)}/l3-routers/${r2.id}`, undefined, 204);
    await waitFor('router_removed_from_agent', () => other.heard('router_removed_from_agent', r2.id), 10_000);
    assert.deepEqual((await ok('GET', `/v2.0/routers/${r2.id}/l3-agents`)).agents, []);
    await ok('POST', `/v2.0/agents/${await agentId(owner)}/l3-routers`, { router_id: r2.id });
    await waitFor('router_added_to_agent', () => owner.heard('router_added_to_agent', r2.id), 10_000);
    assert.deepEqual(await hostOf(r2.id), [owner.host]);
    const notHosted = await api.request('DELETE', `/v2.0/agents/${await agentId(other)}/l3-routers/${r2.id}`);
    assert.deepEqual([notHosted.status, notHosted.body.NeutronError.type], [409, 'RouterNotHostedByL3Agent']);
    const notL3 = await api.request('POST', `/v2.0/agents/00000000-0000-0000-0000-000000000000/l3-routers`, { router_id: r2.id });
    assert.deepEqual([notL3.status, notL3.body.NeutronError.type], [404, 'InvalidL3Agent']);

    await ok('DELETE', `/v2.0/routers/${r2.id}`, undefined, 204);
    await waitFor('router_deleted', () => owner.heard('router_deleted', r2.id), 10_000);
    await sleep(200);
    assert.equal(other.heard('router_deleted', r2.id), false);
    const members = await api.request('GET', `/v2.0/agents/${await agentId(owner)}/l3-routers`, undefined, { 'X-Roles': 'member', 'X-Project-Id': 'p1' });
    assert.equal(members.status, 403);
  });
});

describe('L3 agent failover (allow_automatic_l3agent_failover)', () => {
  let vhost: TestVhost;
  let database: TestDatabase;
  let api: TestApi;
  let silent: FakeL3Agent;
  let alive: FakeL3Agent;
  let heartbeat: NodeJS.Timeout | undefined;

  before(async () => {
    vhost = await createTestVhost();
    database = await createTestDatabase('sqlite');
    api = await startTestApi(database.url, {
      DEFAULT: { transport_url: vhost.url, agent_down_time: 2, service_plugins: ['router'], allow_automatic_l3agent_failover: true },
    });
    silent = await FakeL3Agent.start(vhost.url, 'l3-silent');
    assert.equal(await silent.report(true), 'new');
  });
  after(async () => {
    clearInterval(heartbeat);
    await silent?.close();
    await alive?.close();
    await api?.close();
    await database?.drop();
    await vhost?.drop();
  });

  test("the routers of an agent silent for 2 x agent_down_time move to a live one, which hears of them", async () => {
    const router = (await api.request('POST', '/v2.0/routers', { router: { name: 'moving' } })).body.router as Json;
    const hosts = async () => ((await api.request('GET', `/v2.0/routers/${router.id}/l3-agents`)).body.agents as Json[]).map((a) => a.host);
    assert.deepEqual(await hosts(), ['l3-silent']);
    alive = await FakeL3Agent.start(vhost.url, 'l3-alive');
    assert.equal(await alive.report(true), 'new');
    heartbeat = setInterval(() => void alive.report().catch(() => undefined), 500);
    await eventually('the router on the live agent', async () => (await hosts()).join() === 'l3-alive', 15_000);
    await waitFor('routers_updated to the live agent', () => alive.heard('routers_updated', router.id), 5_000);
  });
});
