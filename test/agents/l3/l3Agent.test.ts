/**
 * The L3 agent as a whole on the in-process bus, against a fake L3 plugin
 * that answers with SyncRouter literals (the server's side is tested with the
 * server): its state report, a first full pass that builds the router and
 * reports the floating IP ACTIVE once, a routers_updated cast that costs a
 * fetch of that router only, DOWN when a floating IP goes, a router removed
 * from the agent torn down, and --dry-run's plan changing nothing. Router
 * namespaces carry the test's prefix (the agent removes router namespaces
 * it does not know; the machine has others). The dataplane itself is proven
 * over TCP in routerDataplane.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { pino } from 'pino';

import { L3Agent } from '../../../src/agents/l3/l3Agent.js';
import type { L3AgentSettings } from '../../../src/agents/l3/settings.js';
import { IpRoute, listNamespaces } from '../../../src/host/ip.js';
import type { Bus, ServeHandle } from '../../../src/rpc/bus.js';
import { openBus } from '../../../src/rpc/connect.js';
import { clientOf, l3AgentApi, l3PluginApi, reportsApi, serveContract, type AgentState, type SyncRouter } from '../../../src/rpc/contract/index.js';
import { MemoryBroker } from '../../../src/rpc/memoryTransport.js';
import { eventually } from '../../helpers/eventually.js';
import { kernelSkip } from '../../helpers/kernel.js';
import { deleteNamespaces, LAB_PROGRAMS, labPrefix, sh } from '../lab.js';

const skip = await kernelSkip([...LAB_PROGRAMS, 'nft', 'conntrack', 'arping', 'sysctl']);
const log = pino({ level: process.env['NUCLEON_TEST_LOG'] ?? 'silent' });

const ROUTER = '7a3e0000-0000-4000-8000-000000000001';
const FIP = 'f1a00000-0001-4000-8000-000000000000';

describe('L3 agent over RPC', { skip, timeout: 60_000 }, () => {
  const prefix = labPrefix('l3a');
  const hostNs = `${prefix}h`;
  const agentHost = `${prefix}-node`;
  const settings: L3AgentSettings = {
    host: agentHost,
    interfaceDriver: 'linuxbridge',
    handleInternalOnlyRouters: true,
    namespacePrefix: `${prefix}qr-`,
    metadataStateDir: `/tmp/${prefix}-md`,
    periodicIntervalMs: 60_000,
    settleMs: 20,
    reportIntervalMs: 60_000,
    availabilityZone: 'nova',
    logAgentHeartbeats: false,
  };
  const routerNs = `${settings.namespacePrefix}${ROUTER}`;
  const broker = new MemoryBroker();
  const buses: Bus[] = [];
  const serving: ServeHandle[] = [];
  let agent: L3Agent | undefined;
  let server: Bus;

  // The fake server's state and what it was told.
  let routers: SyncRouter[] = [];
  const syncCalls: (string[] | null)[] = [];
  const statusUpdates: { router_id: string; fip_statuses: Record<string, string> }[] = [];
  const reports: AgentState[] = [];
  let failSyncs = 0;

  const router = (withFip: boolean, fipStatus = 'DOWN'): SyncRouter => ({
    id: ROUTER,
    admin_state_up: true,
    external_gateway_info: { network_id: 'ext', enable_snat: true },
    gw_port: {
      id: '9a000000-0001-4000-8000-000000000000',
      network_id: 'ext',
      mac_address: 'fa:16:3e:00:0f:0a',
      fixed_ips: [{ subnet_id: 'ext-sub', ip_address: '10.234.0.10', prefixlen: 24 }],
      subnets: [{ id: 'ext-sub', cidr: '10.234.0.0/24', gateway_ip: '10.234.0.1' }],
      mtu: 1500,
    },
    _interfaces: [
      {
        id: '1b000000-0001-4000-8000-000000000000',
        network_id: 'net1',
        mac_address: 'fa:16:3e:00:0f:01',
        fixed_ips: [{ subnet_id: 'sub1', ip_address: '10.233.0.1', prefixlen: 24 }],
        subnets: [{ id: 'sub1', cidr: '10.233.0.0/24', gateway_ip: '10.233.0.1' }],
        mtu: 1450,
      },
    ],
    _floatingips: withFip
      ? [{ id: FIP, floating_ip_address: '10.234.0.20', floating_network_id: 'ext', fixed_ip_address: '10.233.0.12', port_id: 'vm', router_id: ROUTER, status: fipStatus }]
      : [],
  });

  const newBus = async () => {
    const bus = await openBus('memory://', { memoryBroker: broker }, log);
    buses.push(bus);
    return bus;
  };

  const addresses = async () => (await new IpRoute(routerNs).addresses()).flatMap((entry) => entry.addr_info.map((info) => `${info.local}/${info.prefixlen}`));

  before(async () => {
    await deleteNamespaces(prefix);
    await sh('ip', 'netns', 'add', hostNs);
    server = await newBus();
    serving.push(
      await serveContract(
        server,
        l3PluginApi,
        {
          get_router_ids: async () => routers.map((r) => r.id),
          sync_routers: async ({ router_ids: ids }) => {
            syncCalls.push(ids ?? null);
            if (failSyncs > 0) {
              failSyncs--;
              throw new Error('the database went away');
            }
            return routers.filter((r) => !ids || ids.includes(r.id));
          },
          update_floatingip_statuses: async (args) => {
            statusUpdates.push(args);
            // The server now shows them.
            routers = routers.map((r) => (r.id !== args.router_id ? r : { ...r, _floatingips: (r._floatingips ?? []).map((f) => { const status = args.fip_statuses[f.id]; return status === undefined ? f : { ...f, status }; }) }));
            return null;
          },
          get_service_plugin_list: async () => ['router'],
          get_external_network_id: async () => null,
          get_host_ha_router_count: async () => 0,
        },
        { log },
      ),
      await serveContract(server, reportsApi, {
        report_state: async ({ agent_state: { agent_state: state } }) => {
          reports.push(state);
          return 'new' as const;
        },
      }, { log }),
    );
  });

  after(async () => {
    await agent?.stop();
    for (const handle of serving) await handle.stop();
    for (const bus of buses) await bus.close();
    await deleteNamespaces(prefix);
    await sh('rm', '-rf', settings.metadataStateDir);
  });

  it('--dry-run plans the router and changes nothing', async () => {
    routers = [router(true)];
    const plan = await new L3Agent(settings, await newBus(), log, new IpRoute(hostNs)).plan();
    assert.equal(plan[0], `ip netns add ${routerNs}`);
    assert.ok(plan.includes(`ip -n ${routerNs} addr add 10.234.0.20/32 dev qg-9a000000-00`), plan.join('\n'));
    assert.ok(plan.some((line) => line.includes('ip daddr 10.234.0.20 dnat to 10.233.0.12')));
    assert.ok(!(await listNamespaces()).includes(routerNs));
    assert.deepEqual(statusUpdates, []);
    assert.deepEqual(syncCalls, [null], 'sync_routers without get_router_ids, which would schedule routers');
  });

  it('reports its state as an L3 agent, builds the router and reports the floating IP ACTIVE once', async () => {
    syncCalls.length = 0;
    agent = new L3Agent(settings, await newBus(), log, new IpRoute(hostNs));
    await agent.start();
    await agent.sync();
    const report = await eventually('a state report', () => reports[0]);
    assert.equal(report.agent_type, 'L3 agent');
    assert.equal(report.binary, 'neutron-l3-agent');
    assert.equal(report.topic, 'l3_agent');
    assert.equal(report.start_flag, true);
    assert.deepEqual(Object.keys(report.configurations ?? {}).sort(), [
      'agent_mode',
      'ex_gw_ports',
      'floating_ips',
      'gateway_external_network_id',
      'handle_internal_only_routers',
      'interface_driver',
      'interfaces',
      'log_agent_heartbeats',
      'routers',
    ]);
    assert.deepEqual(agent.hostedCounts, { routers: 1, ex_gw_ports: 1, interfaces: 1, floating_ips: 1 });
    assert.ok((await addresses()).includes('10.234.0.20/32'));
    assert.deepEqual(statusUpdates, [{ router_id: ROUTER, fip_statuses: { [FIP]: 'ACTIVE' } }]);
    assert.deepEqual(syncCalls, [[ROUTER]]);
    // Passes from the cache send nothing more.
    await agent.sync();
    assert.equal(statusUpdates.length, 1);
  });

  it('a restarted agent observes first and changes nothing: same table, same devices, no status sent again', async () => {
    /** The table's handle changes when it is deleted and added again; the devices' indexes when they are recreated. */
    const fingerprint = async () => {
      const listed = JSON.parse(await sh('ip', 'netns', 'exec', routerNs, 'nft', '-j', 'list', 'table', 'ip', 'neutron-l3-agent')) as { nftables: { table?: { handle: number } }[] };
      const links = await new IpRoute(routerNs).links();
      return { table: listed.nftables.find((entry) => entry.table)?.table?.handle, links: links.map((link) => `${link.ifname}:${link.ifindex}`) };
    };
    const before = await fingerprint();
    const updates = statusUpdates.length;
    await agent!.stop();
    agent = new L3Agent(settings, await newBus(), log, new IpRoute(hostNs));
    await agent.start();
    await agent.sync();
    assert.deepEqual(await fingerprint(), before);
    assert.equal(statusUpdates.length, updates);
    assert.deepEqual(agent.hostedCounts, { routers: 1, ex_gw_ports: 1, interfaces: 1, floating_ips: 1 });
  });

  it('routers_updated fetches and changes that router only; a floating IP gone is reported DOWN', async () => {
    syncCalls.length = 0;
    routers = [router(false)];
    // A router namespace nobody hosts: a pass for the named router leaves it, the next pass over everything removes it.
    const stray = `${settings.namespacePrefix}00000000-0000-4000-8000-00000000beef`;
    await sh('ip', 'netns', 'add', stray);
    const passes = agent!.passes;
    await clientOf(server, l3AgentApi).cast('routers_updated', { routers: [ROUTER] }, { server: agentHost });
    await eventually('a pass after the cast', () => agent!.passes > passes);
    assert.ok((await listNamespaces()).includes(stray));
    await agent!.sync();
    assert.ok(!(await listNamespaces()).includes(stray));
    assert.deepEqual(syncCalls, [[ROUTER]]);
    assert.equal(agent!.fetches.named >= 1, true);
    assert.ok(!(await addresses()).includes('10.234.0.20/32'));
    assert.deepEqual(statusUpdates.at(-1), { router_id: ROUTER, fip_statuses: { [FIP]: 'DOWN' } });
  });

  it('router_removed_from_agent: its namespace goes', async () => {
    routers = [];
    await clientOf(server, l3AgentApi).cast('router_removed_from_agent', { payload: { router_id: ROUTER } }, { server: agentHost });
    await eventually('the namespace gone', async () => !(await listNamespaces()).includes(routerNs));
    await agent!.sync();
    assert.deepEqual(agent!.hostedCounts, { routers: 0, ex_gw_ports: 0, interfaces: 0, floating_ips: 0 });
  });

  it('a sync_routers that fails is retried soon, without waiting for the periodic pass', async () => {
    routers = [router(false)];
    failSyncs = 1;
    const started = Date.now();
    await clientOf(server, l3AgentApi).cast('router_added_to_agent', { payload: [ROUTER] }, { server: agentHost });
    await eventually('the router built after the retry', async () => (await listNamespaces()).includes(routerNs), 5_000);
    assert.equal(failSyncs, 0);
    assert.ok(Date.now() - started < settings.periodicIntervalMs);
  });
});
