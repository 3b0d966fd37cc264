/**
 * The L3 agent on an Open vSwitch host (interface_driver openvswitch): two
 * simulated hosts running OVS with the userspace datapath (ovsLab.ts), an
 * Open vSwitch agent on each (VXLAN tenant networks, l2population,
 * physnet1 on br-eth), the L3 agent on h1 with its taps in h1's namespace,
 * a real API server with the router service plugin. The router's taps join
 * br-int named as their ports, so h1's OVS agent wires them like any VIF:
 * a VM on h1 and a VM on h2, on two VXLAN networks, ping and talk TCP
 * through the router; a tap taken off br-int is plugged again by the next
 * pass; the gateway port goes through br-int too, out on a flat
 * external network on physnet1, where a "gateway" namespace on the shared
 * physical segment sees the VMs' traffic SNATed to the router's gateway
 * address and reaches a VM on its floating IP. A router interface removed
 * takes its tap's port off br-int.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';

import { pino } from 'pino';

import { L3Agent } from '../../../src/agents/l3/l3Agent.js';
import type { L3AgentSettings } from '../../../src/agents/l3/settings.js';
import { IpRoute } from '../../../src/host/ip.js';
import { type RunningOvsAgent, startOpenvswitchAgent } from '../../../src/server/openvswitchAgent.js';
import type { TestDatabase } from '../../db/databases.js';
import { eventually } from '../../helpers/eventually.js';
import { kernelSkip } from '../../helpers/kernel.js';
import { labPrefix, type LabApi, sh, startLabApi } from '../lab.js';
import { createOvsLab, labOvsAgentSettings, OVS_PROGRAMS, type OvsLab, tcpLine } from './ovsLab.js';

const skip = await kernelSkip([...OVS_PROGRAMS, 'nft', 'conntrack', 'arping', 'sysctl']);
const log = pino({ level: process.env['NUCLEON_TEST_LOG'] ?? 'silent' });

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API bodies are checked by assertions, not by types
type Json = Record<string, any>;

interface Vm {
  readonly portId: string;
  readonly ip: string;
  readonly vm: string;
}

describe('the L3 agent on Open vSwitch (interface_driver openvswitch, userspace datapath)', { skip, timeout: 90_000 }, () => {
  const prefix = labPrefix('ovr');
  const n = 10 + (process.pid % 200);
  let lab: OvsLab;
  let api: LabApi;
  let database: TestDatabase;
  const agents: RunningOvsAgent[] = [];
  let l3: L3Agent | undefined;
  let vmCount = 0;
  let routerId = '';
  let a: Vm;
  let b: Vm;
  const gatewayNs = `${prefix}gw`;
  const outside = `10.247.${n}.1`;

  const host = (i: number) => lab.hosts[i - 1]!;
  const ok = async (method: string, path: string, body?: Json, status = method === 'POST' ? 201 : 200): Promise<Json> => {
    const response = await api.request(method, path, body);
    assert.equal(response.status, status, `${method} ${path}: ${JSON.stringify(response.body)}`);
    return response.body as Json;
  };
  const ping = (from: string, to: string) => sh('ip', 'netns', 'exec', from, 'ping', '-n', '-c', '1', '-W', '1', to);
  const brIntPort = async (i: number, name: string) => (await host(i).ovs.bridges()).find((bridge) => bridge.name === 'br-int')?.ports.find((port) => port.name === name);
  const routerNs = () => `${prefix}qr-${routerId}`;

  /** A tenant network, its subnet (gateway .1), and a VM on host `i` whose default route is that gateway. */
  async function networkWithVm(name: string, third: number, i: number): Promise<{ subnetId: string; vm: Vm }> {
    const network = (await ok('POST', '/v2.0/networks', { network: { name } })).network;
    const subnet = (await ok('POST', '/v2.0/subnets', { subnet: { network_id: network.id, cidr: `10.246.${third}.0/24`, ip_version: 4, gateway_ip: `10.246.${third}.1` } })).subnet;
    const port = (await ok('POST', '/v2.0/ports', { port: { network_id: network.id, 'binding:host_id': `h${i}`, device_owner: 'compute:nova', device_id: `${name}-vm` } })).port;
    const ip = port.fixed_ips[0].ip_address as string;
    vmCount++;
    const vm = await lab.addVm(`v${vmCount}`, host(i), { id: port.id, mac: port.mac_address }, `${ip}/24`, network.mtu, port['binding:vif_details'].ovs_hybrid_plug === true);
    await sh('ip', '-n', vm, 'route', 'add', 'default', 'via', `10.246.${third}.1`);
    return { subnetId: subnet.id, vm: { portId: port.id, ip, vm } };
  }

  before(async () => {
    lab = await createOvsLab(prefix, 2);
    ({ api, database } = await startLabApi({
      DEFAULT: { service_plugins: ['router'] },
      ml2: { type_drivers: ['flat', 'vxlan'], tenant_network_types: ['vxlan'], mechanism_drivers: ['openvswitch', 'l2population'] },
      ml2_type_vxlan: { vni_ranges: ['1000:1100'] },
      ml2_type_flat: { flat_networks: ['physnet1'] },
    }));
    for (const i of [1, 2]) agents.push(await startOpenvswitchAgent(labOvsAgentSettings(host(i), `h${i}`), await api.agentBus(), log, { netns: host(i).ns }));
    const settings: L3AgentSettings = {
      host: 'h1',
      interfaceDriver: 'openvswitch',
      ovs: { bridge: 'br-int', connection: `unix:${host(1).dir}/db.sock` },
      handleInternalOnlyRouters: true,
      namespacePrefix: `${prefix}qr-`,
      metadataStateDir: `/tmp/${prefix}/md`,
      periodicIntervalMs: 2_000,
      settleMs: 50,
      reportIntervalMs: 2_000,
      availabilityZone: 'nova',
      logAgentHeartbeats: false,
    };
    l3 = new L3Agent(settings, await api.agentBus(), log, new IpRoute(host(1).ns));
    await l3.start();
    await eventually('the agents registered', async () => {
      const list = (await ok('GET', '/v2.0/agents')).agents as Json[];
      return list.filter((agent) => agent.alive).length === 3;
    });
  });

  after(async () => {
    await l3?.stop().catch(() => undefined);
    for (const agent of agents) await agent.stop().catch(() => undefined);
    await api?.close().catch(() => undefined);
    await database?.drop().catch(() => undefined);
    // The router namespaces and the gateway namespace carry the prefix: the lab's teardown deletes them.
    await lab?.teardown();
  });

  it('routes between two VXLAN networks: the router ports are OVS ports on br-int, wired by the OVS agent, and VMs on two hosts ping across', async () => {
    const left = await networkWithVm('ovr-left', 1, 1);
    const right = await networkWithVm('ovr-right', 2, 2);
    a = left.vm;
    b = right.vm;
    routerId = (await ok('POST', '/v2.0/routers', { router: { name: 'ovr' } })).router.id;
    const interfaces: string[] = [];
    for (const subnetId of [left.subnetId, right.subnetId]) interfaces.push((await ok('PUT', `/v2.0/routers/${routerId}/add_router_interface`, { subnet_id: subnetId })).port_id);
    for (const portId of interfaces) {
      await eventually(`router port ${portId} ACTIVE`, async () => (await ok('GET', `/v2.0/ports/${portId}`)).port.status === 'ACTIVE', 15_000);
      const port = await brIntPort(1, `tap${portId.slice(0, 11)}`);
      assert.equal(port?.interfaces[0]?.externalIds['iface-id'], portId);
      assert.ok(port.tag !== undefined && port.tag > 0 && port.tag < 4095, `the router port is in a local VLAN (${port.tag})`);
    }
    for (const vm of [a, b]) await eventually(`port ${vm.portId} ACTIVE`, async () => (await ok('GET', `/v2.0/ports/${vm.portId}`)).port.status === 'ACTIVE');
    await eventually('a (h1) pings b (h2) through the router', () => ping(a.vm, b.ip), 10_000);
    await ping(b.vm, a.ip);
    assert.match(await tcpLine(a.vm, b.vm, b.ip, 7002, 'hello through the router'), /hello through the router/);
  });

  it('a tap taken off br-int is plugged again by the next pass', async () => {
    const portId = (await ok('GET', `/v2.0/ports?device_id=${routerId}&device_owner=network:router_interface`)).ports[0].id as string;
    const tap = `tap${portId.slice(0, 11)}`;
    await host(1).ovs.vsctl([['del-port', 'br-int', tap]]);
    await l3!.sync();
    assert.equal((await brIntPort(1, tap))?.interfaces[0]?.externalIds['iface-id'], portId);
    await eventually('a pings b again', () => ping(a.vm, b.ip), 10_000);
  });

  it('the gateway goes through br-int to a flat external network on physnet1: SNAT out, the floating IP in', async () => {
    // The outside: a namespace on the shared physical segment (untagged, as a flat network is), the external subnet's gateway.
    await sh('ip', 'netns', 'add', gatewayNs);
    await sh('ip', 'link', 'add', 'gw0', 'netns', lab.physNs, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', gatewayNs);
    await sh('ip', '-n', lab.physNs, 'link', 'set', 'gw0', 'master', 'phys', 'up');
    await sh('ip', '-n', gatewayNs, 'link', 'set', 'eth0', 'up');
    await sh('ip', '-n', gatewayNs, 'addr', 'add', `${outside}/24`, 'dev', 'eth0');
    const ext = (
      await ok('POST', '/v2.0/networks', {
        network: { name: 'ovr-public', 'router:external': true, 'provider:network_type': 'flat', 'provider:physical_network': 'physnet1' },
      })
    ).network;
    await ok('POST', '/v2.0/subnets', { subnet: { network_id: ext.id, cidr: `10.247.${n}.0/24`, ip_version: 4, gateway_ip: outside, enable_dhcp: false } });
    const router = (await ok('PUT', `/v2.0/routers/${routerId}`, { router: { external_gateway_info: { network_id: ext.id } } })).router;
    const gatewayAddress = router.external_gateway_info.external_fixed_ips[0].ip_address as string;
    const gatewayPort = ((await ok('GET', `/v2.0/ports?device_id=${routerId}&device_owner=network:router_gateway`)).ports as Json[])[0]!;
    await eventually('the gateway port ACTIVE', async () => (await ok('GET', `/v2.0/ports/${gatewayPort.id}`)).port.status === 'ACTIVE', 15_000);
    assert.equal((await brIntPort(1, `tap${String(gatewayPort.id).slice(0, 11)}`))?.interfaces[0]?.externalIds['iface-id'], gatewayPort.id);

    // b (on h2) reaches the outside, which has no route back to the tenant networks: only SNAT to the gateway address answers.
    await eventually('b pings the outside through SNAT', () => ping(b.vm, outside), 10_000);
    const capture = spawn('ip', ['netns', 'exec', gatewayNs, 'tcpdump', '-n', '-l', '-c', '1', '-i', 'eth0', 'icmp[icmptype] = icmp-echo'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let captured = '';
    let listening = false;
    capture.stdout.on('data', (chunk: Buffer) => (captured += chunk.toString()));
    capture.stderr.on('data', (chunk: Buffer) => (listening ||= chunk.toString().includes('listening on')));
    try {
      await eventually('tcpdump listening', () => listening, 5_000);
      await ping(b.vm, outside);
      await eventually('the outside saw the gateway address', () => captured.includes(`${gatewayAddress} > ${outside}`), 3_000);
    } finally {
      capture.kill();
    }

    // The default group lets in only its members: ICMP from anywhere, for the outside's ping.
    const group = ((await ok('GET', '/v2.0/security-groups?name=default')).security_groups as Json[])[0]!;
    await ok('POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: group.id, direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp' } });
    const fip = (await ok('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: ext.id, port_id: a.portId } })).floatingip;
    await eventually('the outside pings a on its floating IP', () => ping(gatewayNs, fip.floating_ip_address), 10_000);
    await eventually('the floating IP ACTIVE', async () => (await ok('GET', `/v2.0/floatingips/${fip.id}`)).floatingip.status === 'ACTIVE');
  });

  it("a router interface removed: its device goes and its tap's port leaves br-int", async () => {
    const subnetId = (await ok('GET', `/v2.0/ports/${b.portId}`)).port.fixed_ips[0].subnet_id as string;
    const removed = (await ok('PUT', `/v2.0/routers/${routerId}/remove_router_interface`, { subnet_id: subnetId })).port_id as string;
    await eventually('the tap off br-int', async () => (await brIntPort(1, `tap${removed.slice(0, 11)}`)) === undefined);
    assert.ok(!(await new IpRoute(routerNs()).links()).some((link) => link.ifname === `qr-${removed.slice(0, 11)}`));
    await assert.rejects(ping(a.vm, b.ip));
  });
});
