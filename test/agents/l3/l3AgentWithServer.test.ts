/**
 * The L3 agent against the real server (router service plugin, its L3
 * scheduler and q-l3-plugin, SQLite, the in-process bus): a user creates an
 * external network, a tenant network, a router with a gateway and an
 * interface, a VM port and a floating IP through the API, and the agent on
 * a simulated host (its taps in a namespace of the test's own) builds the
 * router from what sync_routers sends. The test plays the Linux bridge
 * agent: it puts each tap on its network's bridge. Proven over TCP: the VM
 * reaches the outside (which sees the gateway address), the outside reaches
 * the VM on its floating IP, whose status the API then shows ACTIVE;
 * disassociating it cuts it and the API shows DOWN; the router moved off the
 * agent takes its namespace along.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';

import { pino } from 'pino';

import { L3Agent } from '../../../src/agents/l3/l3Agent.js';
import { L3PluginApi } from '../../../src/agents/l3/pluginApi.js';
import type { L3AgentSettings } from '../../../src/agents/l3/settings.js';
import { IpRoute, listNamespaces } from '../../../src/host/ip.js';
import type { TestDatabase } from '../../db/databases.js';
import { eventually } from '../../helpers/eventually.js';
import { kernelSkip } from '../../helpers/kernel.js';
import { deleteNamespaces, LAB_PROGRAMS, labPrefix, type LabApi, sh, startLabApi } from '../lab.js';

const skip = await kernelSkip([...LAB_PROGRAMS, 'nft', 'conntrack', 'arping', 'sysctl', 'curl']);
const log = pino({ level: process.env['NUCLEON_TEST_LOG'] ?? 'silent' });

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API bodies are checked by assertions, not by types
type Json = Record<string, any>;

describe('L3 agent with the server', { skip, timeout: 60_000 }, () => {
  const prefix = labPrefix('l3s');
  const hostNs = `${prefix}h`;
  const extNs = `${prefix}ext`;
  const vmNs = `${prefix}vm`;
  const agentHost = `${prefix}-node`;
  const n = 10 + (process.pid % 200);
  const settings: L3AgentSettings = {
    host: agentHost,
    interfaceDriver: 'linuxbridge',
    handleInternalOnlyRouters: true,
    namespacePrefix: `${prefix}qr-`,
    metadataStateDir: `/tmp/${prefix}-md`,
    periodicIntervalMs: 2_000,
    settleMs: 50,
    reportIntervalMs: 2_000,
    availabilityZone: 'nova',
    logAgentHeartbeats: false,
  };
  let api: LabApi;
  let database: TestDatabase;
  let agent: L3Agent | undefined;
  const servers: ChildProcess[] = [];
  const bridgeOf = new Map<string, string>();
  let routerId = '';
  let fip: Json = {};
  let gatewayAddress = '';
  let vmAddress = '';

  const ok = async (method: string, path: string, body?: Json, status = method === 'POST' ? 201 : 200): Promise<Json> => {
    const response = await api.request(method, path, body);
    assert.equal(response.status, status, `${method} ${path}: ${JSON.stringify(response.body)}`);
    return response.body as Json;
  };

  const routerNs = () => `${settings.namespacePrefix}${routerId}`;

  /** The test as the Linux bridge agent: each router tap goes on its network's bridge. */
  const enslaveTaps = async () => {
    for (const link of await new IpRoute(hostNs).links()) {
      const bridge = bridgeOf.get(link.ifname);
      if (bridge && link.master !== bridge) await sh('ip', '-n', hostNs, 'link', 'set', link.ifname, 'master', bridge);
    }
  };

  const fetch = async (ns: string, address: string): Promise<string | undefined> => {
    try {
      return (await sh('ip', 'netns', 'exec', ns, 'curl', '--noproxy', '*', '-s', '--connect-timeout', '1', '-m', '2', `http://${address}:8080/`)).trim();
    } catch {
      return undefined;
    }
  };

  const serve = (ns: string, tag: string) => {
    servers.push(spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', `require('http').createServer((q,s)=>s.end('${tag} '+q.socket.remoteAddress)).listen(8080,'0.0.0.0')`], { stdio: 'ignore' }));
  };

  const plugHost = async (ns: string, veth: string, bridge: string, mac: string, cidr: string, gateway?: string) => {
    await sh('ip', 'netns', 'add', ns);
    await sh('ip', '-n', ns, 'link', 'set', 'lo', 'up');
    await sh('ip', 'link', 'add', veth, 'netns', hostNs, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
    await sh('ip', '-n', hostNs, 'link', 'set', veth, 'master', bridge, 'up');
    await sh('ip', '-n', ns, 'link', 'set', 'eth0', 'address', mac, 'up');
    await sh('ip', '-n', ns, 'addr', 'add', cidr, 'dev', 'eth0');
    if (gateway) await sh('ip', '-n', ns, 'route', 'add', 'default', 'via', gateway);
  };

  before(async () => {
    await deleteNamespaces(prefix);
    ({ api, database } = await startLabApi({ DEFAULT: { service_plugins: ['router'] } }));
    await sh('ip', 'netns', 'add', hostNs);
    await sh('ip', '-n', hostNs, 'link', 'set', 'lo', 'up');
    for (const bridge of ['brint', 'brext']) {
      await sh('ip', '-n', hostNs, 'link', 'add', bridge, 'type', 'bridge');
      await sh('ip', '-n', hostNs, 'link', 'set', bridge, 'up');
    }
    agent = new L3Agent(settings, await api.agentBus(), log, new IpRoute(hostNs));
    await agent.start();
    await eventually('the L3 agent registered', async () => {
      const agents = (await ok('GET', '/v2.0/agents?agent_type=L3%20agent')).agents as Json[];
      return agents.some((a) => a.host === agentHost && a.alive);
    });
  });

  after(async () => {
    await agent?.stop().catch(() => undefined);
    for (const server of servers) server.kill('SIGKILL');
    await api?.close().catch(() => undefined);
    await database?.drop().catch(() => undefined);
    await deleteNamespaces(prefix);
  });

  it('builds the router the API describes: SNAT out, the floating IP in, and its status ACTIVE', async () => {
    const ext = (await ok('POST', '/v2.0/networks', { network: { name: 'public', 'router:external': true } })).network;
    await ok('POST', '/v2.0/subnets', { subnet: { network_id: ext.id, cidr: `10.231.${n}.0/24`, ip_version: 4, gateway_ip: `10.231.${n}.1` } });
    const net = (await ok('POST', '/v2.0/networks', { network: { name: 'private' } })).network;
    const subnet = (await ok('POST', '/v2.0/subnets', { subnet: { network_id: net.id, cidr: `10.229.${n}.0/24`, ip_version: 4, gateway_ip: `10.229.${n}.1` } })).subnet;
    const router = (await ok('POST', '/v2.0/routers', { router: { name: 'r1', external_gateway_info: { network_id: ext.id } } })).router;
    routerId = router.id;
    gatewayAddress = router.external_gateway_info.external_fixed_ips[0].ip_address;
    const iface = await ok('PUT', `/v2.0/routers/${routerId}/add_router_interface`, { subnet_id: subnet.id });
    const vmPort = (await ok('POST', '/v2.0/ports', { port: { network_id: net.id, device_owner: 'compute:nova', device_id: 'vm1', mac_address: 'fa:16:3e:29:00:11' } })).port;
    vmAddress = vmPort.fixed_ips[0].ip_address;
    fip = (await ok('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: ext.id, port_id: vmPort.id } })).floatingip;

    const gatewayPort = ((await ok('GET', `/v2.0/ports?device_id=${routerId}&device_owner=network:router_gateway`)).ports as Json[])[0]!;
    bridgeOf.set(`tap${gatewayPort.id.slice(0, 11)}`, 'brext');
    bridgeOf.set(`tap${String(iface.port_id).slice(0, 11)}`, 'brint');
    await plugHost(extNs, 'vext', 'brext', 'fa:16:3e:31:00:01', `10.231.${n}.1/24`);
    await plugHost(vmNs, 'vvm', 'brint', vmPort.mac_address, `${vmAddress}/24`, `10.229.${n}.1`);
    serve(extNs, 'ext');
    serve(vmNs, 'vm');

    await eventually('the floating IP on the router', async () => {
      const addresses = await new IpRoute(routerNs()).addresses(`qg-${gatewayPort.id.slice(0, 11)}`);
      return addresses.some((entry) => entry.addr_info.some((info) => info.local === fip.floating_ip_address));
    });
    await enslaveTaps();
    assert.equal(await eventually('vm -> outside', () => fetch(vmNs, `10.231.${n}.1`)), `ext ${fip.floating_ip_address}`, 'the VM leaves with its floating IP');
    // The VM's web server may still be starting (a node process, on a loaded machine).
    assert.equal(await eventually('outside -> floating IP', () => fetch(extNs, fip.floating_ip_address)), `vm 10.231.${n}.1`);
    await eventually('the floating IP ACTIVE in the API', async () => (await ok('GET', `/v2.0/floatingips/${fip.id}`)).floatingip.status === 'ACTIVE');
    const reported = await eventually('the agent reporting what it hosts', async () => {
      const agents = (await ok('GET', `/v2.0/routers/${routerId}/l3-agents`)).agents as Json[];
      const configurations = agents[0]?.configurations as Json | undefined;
      return configurations?.floating_ips === 1 ? configurations : undefined;
    });
    assert.deepEqual(
      { routers: reported.routers, ex_gw_ports: reported.ex_gw_ports, interfaces: reported.interfaces, agent_mode: reported.agent_mode },
      { routers: 1, ex_gw_ports: 1, interfaces: 1, agent_mode: 'legacy' },
    );
  });

  it('sync_routers is fast enough to fetch on every periodic pass', async (t) => {
    const plugin = new L3PluginApi(await api.agentBus(), agentHost);
    const started = performance.now();
    const rounds = 20;
    for (let i = 0; i < rounds; i++) await plugin.syncRouters(await plugin.getRouterIds());
    const perSync = (performance.now() - started) / rounds;
    t.diagnostic(`get_router_ids + sync_routers of 1 router: ${perSync.toFixed(1)} ms`);
    assert.ok(perSync < 200, `${perSync} ms`);
  });

  it('disassociating the floating IP cuts it; the API shows it DOWN and the VM leaves with the gateway address', async () => {
    await ok('PUT', `/v2.0/floatingips/${fip.id}`, { floatingip: { port_id: null } });
    await eventually('the floating IP gone from the router', async () => {
      const addresses = await new IpRoute(routerNs()).addresses();
      return !addresses.some((entry) => entry.addr_info.some((info) => info.local === fip.floating_ip_address));
    });
    assert.equal(await fetch(extNs, fip.floating_ip_address), undefined);
    assert.equal(await fetch(vmNs, `10.231.${n}.1`), `ext ${gatewayAddress}`);
    await eventually('the floating IP DOWN in the API', async () => (await ok('GET', `/v2.0/floatingips/${fip.id}`)).floatingip.status === 'DOWN');
  });

  it('the router moved off the agent takes its namespace along', async () => {
    const agents = (await ok('GET', `/v2.0/routers/${routerId}/l3-agents`)).agents as Json[];
    await ok('DELETE', `/v2.0/agents/${agents[0]!.id}/l3-routers/${routerId}`, undefined, 204);
    await eventually('the namespace gone', async () => !(await listNamespaces()).includes(routerNs()));
  });
});
