/**
 * The Open vSwitch agent for real: two simulated hosts running OVS with the
 * userspace datapath (ovsLab.ts), one agent each (l2_population on, tunnel
 * types vxlan, gre and geneve, physnet1 on br-eth), a real API server on
 * SQLite, one in-process bus. VMs on both hosts talk over VXLAN, GRE and
 * Geneve tenant networks and a VLAN provider network (the 802.1q tag is
 * seen on the shared segment); two networks with the same addresses stay
 * apart; drift (a deleted flow, tunnel port, bridge) is repaired; a
 * restarted agent loses no ping; deleting a port removes its tunnel flows
 * and, with the last port, the tunnel port on the other host.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';

import { pino } from 'pino';

import type { OvsAgentSettings } from '../../../src/agents/ovs/settings.js';
import { tunnelPortName } from '../../../src/agents/ovs/names.js';
import { loadConfig } from '../../../src/config/load.js';
import { IpRoute } from '../../../src/host/ip.js';
import { agentBaseGroups } from '../../../src/server/agentProcess.js';
import { dhcpAgentGroups, dhcpAgentSettings, startDhcpAgent } from '../../../src/server/dhcpAgent.js';
import { planOpenvswitchAgent, type RunningOvsAgent, startOpenvswitchAgent } from '../../../src/server/openvswitchAgent.js';
import type { TestDatabase } from '../../db/databases.js';
import { eventually } from '../../helpers/eventually.js';
import { kernelSkip } from '../../helpers/kernel.js';
import { labPrefix, type LabApi, sh, startLabApi, startPing } from '../lab.js';
import { createOvsLab, labOvsAgentSettings, OVS_PROGRAMS, type OvsLab, tcpLine } from './ovsLab.js';

const skip = await kernelSkip([...OVS_PROGRAMS, 'dnsmasq', 'udhcpc']);
const execFileAsync = promisify(execFile);
const log = pino({ level: process.env['NUCLEON_TEST_LOG'] ?? 'silent' });
const POLL_MS = 700;

interface Vm {
  readonly portId: string;
  readonly ip: string;
  readonly vm: string;
}

describe('Open vSwitch agents on two hosts (userspace datapath)', { skip }, () => {
  let lab: OvsLab;
  let api: LabApi;
  let database: TestDatabase;
  const agents = new Map<number, RunningOvsAgent>();
  let vmCount = 0;

  const settings = (i: number): OvsAgentSettings =>
    labOvsAgentSettings(host(i), `h${i}`, {
      pollingIntervalMs: POLL_MS,
      tunnels: { localIp: host(i).tunnelIp, types: ['vxlan', 'gre', 'geneve'], vxlanUdpPort: 4789, l2Population: true, arpResponder: true },
    });

  const startAgent = async (i: number) => {
    const agent = await startOpenvswitchAgent(settings(i), await api.agentBus(), log, { netns: host(i).ns });
    agents.set(i, agent);
    return agent;
  };

  const host = (i: number) => lab.hosts[i - 1]!;
  const portStatus = async (id: string) => (await api.request('GET', `/v2.0/ports/${id}`)).body.port.status as string;
  const ping = (vm: Vm, to: Vm) => sh('ip', 'netns', 'exec', vm.vm, 'ping', '-n', '-c', '1', '-W', '1', to.ip);
  const flows = (i: number, bridge: string) => host(i).ovs.dumpFlows(bridge);
  const tunBridgePorts = async (i: number) => (await host(i).ovs.bridges()).find((b) => b.name === 'br-tun')?.ports.map((p) => p.name).sort() ?? [];

  /** A network (provider attributes as admin), its subnet, and one VM per host on it. */
  async function networkWithVms(name: string, provider: Record<string, unknown>, cidr: string): Promise<{ id: string; segmentationId: number; vms: Vm[] }> {
    const res = await api.request('POST', '/v2.0/networks', { network: { name, ...provider } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const network = res.body.network;
    await api.request('POST', '/v2.0/subnets', { subnet: { network_id: network.id, cidr, ip_version: 4 } });
    const vms: Vm[] = [];
    for (const i of [1, 2]) {
      const created = await api.request('POST', '/v2.0/ports', {
        port: { network_id: network.id, 'binding:host_id': `h${i}`, device_owner: 'compute:nova', device_id: `${name}-vm${i}` },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const port = created.body.port;
      assert.equal(port['binding:vif_type'], 'ovs');
      assert.equal(port['binding:vif_details'].datapath_type, 'netdev');
      const ip = port.fixed_ips[0].ip_address as string;
      vmCount++;
      assert.equal(port['binding:vif_details'].ovs_hybrid_plug, true);
      const vm = await lab.addVm(`v${vmCount}`, host(i), { id: port.id, mac: port.mac_address }, `${ip}/24`, network.mtu, true);
      vms.push({ portId: port.id, ip, vm });
    }
    for (const vm of vms) await eventually(`port ${vm.portId} ACTIVE`, async () => (await portStatus(vm.portId)) === 'ACTIVE');
    return { id: network.id, segmentationId: network['provider:segmentation_id'], vms };
  }

  /** TCP from a to b: a listener on b answers one line. */
  const tcp = (a: Vm, b: Vm): Promise<string> => tcpLine(a.vm, b.vm, b.ip, 7001, 'hello over tcp');

  before(async () => {
    lab = await createOvsLab(labPrefix('ovs'), 2);
    ({ api, database } = await startLabApi({
      ml2: { type_drivers: ['local', 'flat', 'vlan', 'vxlan', 'gre', 'geneve'], tenant_network_types: ['vxlan'], mechanism_drivers: ['openvswitch', 'l2population'] },
      ml2_type_vxlan: { vni_ranges: ['1000:1100'] },
      ml2_type_gre: { tunnel_id_ranges: ['2000:2100'] },
      ml2_type_geneve: { vni_ranges: ['3000:3100'] },
      ml2_type_vlan: { network_vlan_ranges: ['physnet1:100:200'] },
    }));
    await startAgent(1);
    await startAgent(2);
    await eventually('both agents registered', async () => {
      const list = (await api.request('GET', '/v2.0/agents?agent_type=Open%20vSwitch%20agent')).body.agents as { host: string; alive: boolean }[];
      return list.filter((a) => a.alive).length === 2;
    });
  });

  after(async () => {
    for (const agent of agents.values()) await agent.stop().catch(() => undefined);
    await api?.close().catch(() => undefined);
    await database?.drop().catch(() => undefined);
    await lab?.teardown();
  });

  let vxlan: Awaited<ReturnType<typeof networkWithVms>>;

  it('VXLAN: br-int and br-tun as Neutron lays them out, ports ACTIVE, ping and TCP between hosts', async () => {
    vxlan = await networkWithVms('ovs-vxlan', {}, '10.245.1.0/24');
    const [vm1, vm2] = vxlan.vms as [Vm, Vm];
    await eventually('vm1 pings vm2 over VXLAN', () => ping(vm1, vm2), 8_000);
    assert.match(await tcp(vm1, vm2), /hello over tcp/);
    // l2population: exactly one tunnel port, to the other host; its MAC behind it in table 20; ARP answered in 21.
    assert.deepEqual(await tunBridgePorts(1), ['patch-int', tunnelPortName('vxlan', host(2).tunnelIp)]);
    const tun = await flows(1, 'br-tun');
    assert.match(tun, new RegExp(`table=4, priority=1,tun_id=0x${vxlan.segmentationId.toString(16)} `));
    assert.match(tun, /table=20, priority=2,dl_vlan=\d+,dl_dst=/);
    assert.match(tun, new RegExp(`table=21, priority=1,arp,dl_vlan=\\d+,arp_tpa=${vm2.ip.replace(/\./g, '\\.')} `));
    const tap = (await host(1).ovs.bridges()).find((b) => b.name === 'br-int')!.ports.find((p) => p.name === `qvo${vm1.portId.slice(0, 11)}`)!;
    assert.ok(tap.tag !== undefined && tap.tag > 0 && tap.tag < 4095, `local VLAN tag ${tap.tag}`);
    assert.equal(tap.otherConfig.net_uuid, vxlan.id);
    assert.equal(tap.otherConfig.segmentation_id, String(vxlan.segmentationId));
  });

  it('GRE and Geneve tenant networks carry ping and TCP', async () => {
    for (const type of ['gre', 'geneve'] as const) {
      const network = await networkWithVms(`ovs-${type}`, { 'provider:network_type': type }, type === 'gre' ? '10.245.2.0/24' : '10.245.3.0/24');
      const [vm1, vm2] = network.vms as [Vm, Vm];
      await eventually(`vm1 pings vm2 over ${type}`, () => ping(vm1, vm2), 8_000);
      assert.match(await tcp(vm1, vm2), /hello over tcp/);
      assert.ok((await tunBridgePorts(1)).includes(tunnelPortName(type, host(2).tunnelIp)));
    }
  });

  it('a VLAN provider network carries a real 802.1q tag between the hosts', async () => {
    const network = await networkWithVms('ovs-vlan', { 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 142 }, '10.245.4.0/24');
    const [vm1, vm2] = network.vms as [Vm, Vm];
    await eventually('vm1 pings vm2 over VLAN 142', () => ping(vm1, vm2), 8_000);
    // The shared segment sees the frames tagged 142 (a capture on the other host's uplink).
    const capture = spawn('ip', ['netns', 'exec', lab.physNs, 'tcpdump', '-e', '-n', '-c', '1', '-i', 'ph2', 'vlan 142 and icmp'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let captured = '';
    capture.stdout.on('data', (chunk: Buffer) => (captured += chunk.toString()));
    const done = new Promise((resolve) => capture.on('exit', resolve));
    await new Promise((resolve) => setTimeout(resolve, 500));
    await ping(vm1, vm2);
    await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 3_000))]);
    capture.kill();
    assert.match(captured, /vlan 142/);
    assert.match(await flows(1, 'br-eth'), /actions=set_field:4238->vlan_vid,NORMAL/);
  });

  it('iptables_hybrid enforces security groups on the wire: a group without ingress rules drops ping until one lets ICMP in', async () => {
    const group = (await api.request('POST', '/v2.0/security-groups', { security_group: { name: 'closed' } })).body.security_group;
    const created = await api.request('POST', '/v2.0/ports', {
      port: { network_id: vxlan.id, 'binding:host_id': 'h2', device_owner: 'compute:nova', device_id: 'closed-vm', security_groups: [group.id] },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const port = created.body.port;
    const ip = port.fixed_ips[0].ip_address as string;
    vmCount++;
    const closed: Vm = { portId: port.id, ip, vm: await lab.addVm(`v${vmCount}`, host(2), { id: port.id, mac: port.mac_address }, `${ip}/24`, 1450, true) };
    await eventually('closed port ACTIVE', async () => (await portStatus(closed.portId)) === 'ACTIVE');
    // Its own traffic out is allowed (egress rules), so it is wired; nothing comes in.
    await assert.rejects(ping(vxlan.vms[0]!, closed));
    const rule = await api.request('POST', '/v2.0/security-group-rules', {
      security_group_rule: { security_group_id: group.id, direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp' },
    });
    assert.equal(rule.status, 201, JSON.stringify(rule.body));
    await eventually('ICMP let in by the new rule', () => ping(vxlan.vms[0]!, closed), 8_000);
    assert.match(await sh('ip', 'netns', 'exec', host(2).ns, 'nft', 'list', 'ruleset'), new RegExp(`tap${closed.portId.slice(0, 11)}`));
  });

  it('DHCP through the Open vSwitch interface driver: a VM on the other host gets its address over VXLAN', async () => {
    const state = await mkdtemp(join(tmpdir(), 'nucleon-ovs-dhcp-'));
    // dnsmasq reads its files as nobody.
    await chmod(state, 0o755);
    const dhcp = await startDhcpAgent(
      dhcpAgentSettings(
        loadConfig({
          files: [],
          groups: [...agentBaseGroups, ...dhcpAgentGroups],
          overrides: {
            DEFAULT: { host: 'h1', state_path: state, interface_driver: 'openvswitch', resync_interval: 1, metadata_proxy_socket: join(state, 'metadata_proxy') },
            ovs: { integration_bridge: 'br-int', ovsdb_connection: `unix:${host(1).dir}/db.sock` },
            agent: { report_interval: 2 },
          },
        }),
      ),
      await api.agentBus(),
      log,
      new IpRoute(host(1).ns),
    );
    try {
      const network = (await api.request('POST', '/v2.0/networks', { network: { name: 'ovs-dhcp' } })).body.network;
      await api.request('POST', '/v2.0/subnets', { subnet: { network_id: network.id, cidr: '10.245.9.0/24', ip_version: 4 } });
      const created = await api.request('POST', '/v2.0/ports', { port: { network_id: network.id, 'binding:host_id': 'h2', device_owner: 'compute:nova', device_id: 'dhcp-vm' } });
      const port = created.body.port;
      vmCount++;
      const vm = await lab.addVm(`v${vmCount}`, host(2), { id: port.id, mac: port.mac_address }, '169.254.0.2/32', network.mtu, true);
      // The DHCP port: a tap on h1's br-int named as the port, wired by h1's agent.
      const dhcpPort = await eventually('the DHCP port ACTIVE', async () => {
        const ports = (await api.request('GET', `/v2.0/ports?network_id=${network.id}&device_owner=network:dhcp`)).body.ports as { id: string; status: string }[];
        return ports.find((p) => p.status === 'ACTIVE');
      }, 15_000);
      const brInt = (await host(1).ovs.bridges()).find((b) => b.name === 'br-int')!;
      const tap = brInt.ports.find((p) => p.name === `tap${dhcpPort.id.slice(0, 11)}`);
      assert.equal(tap?.interfaces[0]?.externalIds['iface-id'], dhcpPort.id);
      assert.ok(tap.tag !== undefined && tap.tag < 4095, `the DHCP port is in a local VLAN (${tap.tag})`);
      await sh('ip', '-n', vm, 'addr', 'flush', 'dev', 'eth0');
      await eventually('vm port ACTIVE', async () => (await portStatus(port.id)) === 'ACTIVE');
      const lease = await eventually('a lease over VXLAN', () =>
        execFileAsync('ip', ['netns', 'exec', vm, 'udhcpc', '-f', '-q', '-n', '-t', '3', '-T', '1', '-i', 'eth0', '-s', '/bin/true'], { timeout: 20_000 }).then((r) => r.stdout + r.stderr),
      15_000);
      assert.match(lease, new RegExp(`lease of ${(port.fixed_ips[0].ip_address as string).replace(/\./g, '\\.')} obtained`));
    } finally {
      await dhcp.stop();
      // A stopped agent leaves dnsmasq serving (as Neutron's), for every network it took: stop them, remove their namespaces.
      for (const served of await readdir(join(state, 'dhcp')).catch(() => [] as string[])) {
        const pid = Number(await readFile(join(state, 'dhcp', served, 'pid'), 'utf8').catch(() => ''));
        if (pid > 0) process.kill(pid, 'SIGTERM');
        await sh('ip', 'netns', 'delete', `qdhcp-${served}`).catch(() => undefined);
      }
      await rm(state, { recursive: true, force: true });
    }
  });

  it('two networks with the same addresses stay apart', async () => {
    const a = vxlan;
    const b = await networkWithVms('ovs-overlap', {}, '10.245.1.0/24');
    // b's VMs got the same addresses as a's (first free); each pings its own peer, and no reply crosses networks.
    await eventually('b pings its peer', () => ping(b.vms[0]!, b.vms[1]!), 8_000);
    await eventually('a still pings its peer', () => ping(a.vms[0]!, a.vms[1]!), 8_000);
    const arpA = await sh('ip', '-n', a.vms[0]!.vm, 'neigh', 'show');
    const bMacs = await Promise.all(b.vms.map(async (vm) => (await sh('ip', '-n', vm.vm, 'link', 'show', 'eth0')).match(/ether (\S+)/)![1]!));
    for (const mac of bMacs) assert.ok(!arpA.includes(mac), `network a learnt ${mac} of network b`);
  });

  it('repairs drift within one resync: a deleted flow, a deleted tunnel port, a deleted bridge', async () => {
    const [vm1, vm2] = vxlan.vms as [Vm, Vm];
    const tunnel = tunnelPortName('vxlan', host(2).tunnelIp);
    await sh('ovs-ofctl', '-O', 'OpenFlow14', 'del-flows', `unix:${host(1).dir}/br-tun.mgmt`, 'table=4');
    await eventually('table 4 restored', async () => /table=4, priority=1,tun_id=/.test(await flows(1, 'br-tun')), 2 * POLL_MS + 3_000);
    await host(1).ovs.vsctl([['del-port', 'br-tun', tunnel]]);
    await eventually('tunnel port restored', async () => (await tunBridgePorts(1)).includes(tunnel), 2 * POLL_MS + 3_000);
    await eventually('vm1 pings vm2 again', () => ping(vm1, vm2), 8_000);
    await host(1).ovs.vsctl([['del-br', 'br-tun']]);
    await eventually('br-tun rebuilt', async () => (await tunBridgePorts(1)).includes(tunnel), 2 * POLL_MS + 3_000);
    await eventually('vm1 pings vm2 after br-tun was rebuilt', () => ping(vm1, vm2), 8_000);
  });

  it('--dry-run prints the repair a pass would make and changes nothing', async () => {
    await agents.get(2)!.stop();
    try {
      assert.deepEqual(await planOpenvswitchAgent(settings(2), await api.agentBus(), log, { netns: host(2).ns }), []);
      await sh('ovs-ofctl', '-O', 'OpenFlow14', 'del-flows', `unix:${host(2).dir}/br-int.mgmt`, 'table=60');
      const plan = await planOpenvswitchAgent(settings(2), await api.agentBus(), log, { netns: host(2).ns });
      assert.deepEqual(plan, ['ovs-ofctl br-int add table=60 priority=3 actions=NORMAL']);
      assert.ok(!(await flows(2, 'br-int')).includes('table=60'), 'the dry run changed nothing');
    } finally {
      await startAgent(2);
      await agents.get(2)!.sync();
    }
    assert.ok((await flows(2, 'br-int')).includes('table=60'));
  });

  it('an agent restart keeps a running ping going and changes nothing', async () => {
    const [vm1, vm2] = vxlan.vms as [Vm, Vm];
    const running = startPing(vm1.vm, vm2.ip, 60, 0.05);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await agents.get(1)!.stop();
    const before = await flows(1, 'br-tun');
    const restarted = await startAgent(1);
    await restarted.sync();
    assert.equal(await flows(1, 'br-tun'), before);
    const result = await running.result();
    assert.equal(result.sent, 60, result.output);
    assert.equal(result.received, 60, result.output);
    await restarted.sync();
    assert.deepEqual(restarted.agent.lastPass?.plan.vsctl, []);
  });

  it('deleting the last port of a network on a host removes the other host\'s tunnel flows to it', async () => {
    const [vm1, vm2] = vxlan.vms as [Vm, Vm];
    const res = await api.request('DELETE', `/v2.0/ports/${vm2.portId}`);
    assert.equal(res.status, 204);
    const mac = (await sh('ip', '-n', vm2.vm, 'link', 'show', 'eth0')).match(/ether (\S+)/)![1]!;
    await eventually('h1 forgot vm2', async () => !(await flows(1, 'br-tun')).includes(`dl_dst=${mac}`), 2 * POLL_MS + 5_000);
    // The other host's port is untouched by it.
    assert.equal(await portStatus(vm1.portId), 'ACTIVE');
  });
});
