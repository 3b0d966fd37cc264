/**
 * A mixed cloud at layer 2: one host on Open vSwitch (userspace datapath)
 * and one on the Linux bridge agent (kernel VXLAN) share a VXLAN network,
 * with l2population telling each about the other's ports. Their VMs ping
 * and talk TCP across, and each side's tunnels point at the other; the OVS
 * host's tunnel port to the Linux bridge host goes with the last port there
 * and comes back with a new one.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { pino } from 'pino';

import { tunnelPortName } from '../../../src/agents/ovs/names.js';
import { plugVif, tapName } from '../../../src/agents/plug/vif.js';
import { IpRoute } from '../../../src/host/ip.js';
import { type RunningLinuxBridgeAgent, startLinuxBridgeAgent } from '../../../src/server/linuxbridgeAgent.js';
import { type RunningOvsAgent, startOpenvswitchAgent } from '../../../src/server/openvswitchAgent.js';
import type { TestDatabase } from '../../db/databases.js';
import { eventually } from '../../helpers/eventually.js';
import { kernelSkip } from '../../helpers/kernel.js';
import { labPrefix, type LabApi, sh, startLabApi } from '../lab.js';
import { createOvsLab, labOvsAgentSettings, OVS_PROGRAMS, type OvsLab, tcpLine } from './ovsLab.js';

const skip = await kernelSkip([...OVS_PROGRAMS, 'bridge']);
const log = pino({ level: process.env['NUCLEON_TEST_LOG'] ?? 'silent' });

describe('a Linux bridge host and an Open vSwitch host on one VXLAN network', { skip }, () => {
  let lab: OvsLab;
  let api: LabApi;
  let database: TestDatabase;
  let ovsAgent: RunningOvsAgent | undefined;
  let lbAgent: RunningLinuxBridgeAgent | undefined;

  before(async () => {
    lab = await createOvsLab(labPrefix('mx'), 1, 1);
    ({ api, database } = await startLabApi({
      ml2: { tenant_network_types: ['vxlan'], mechanism_drivers: ['openvswitch', 'linuxbridge', 'l2population'] },
      ml2_type_vxlan: { vni_ranges: ['4000:4100'] },
    }));
    const ovsHost = lab.hosts[0]!;
    const lbHost = lab.kernelHosts[0]!;
    ovsAgent = await startOpenvswitchAgent(
      labOvsAgentSettings(ovsHost, 'ovs1', {
        bridgeMappings: {},
        tunnels: { localIp: ovsHost.tunnelIp, types: ['vxlan'], vxlanUdpPort: 4789, l2Population: true, arpResponder: false },
        firewall: 'noop',
      }),
      await api.agentBus(),
      log,
    );
    lbAgent = await startLinuxBridgeAgent(
      {
        host: 'lb1',
        interfaceMappings: {},
        bridgeMappings: {},
        vxlan: { localIp: lbHost.tunnelIp, l2Population: true, arpResponder: false, group: '224.0.0.1', dstPort: 4789 },
        pollingIntervalMs: 700,
        reportIntervalMs: 5_000,
        availabilityZone: 'nova',
        logHeartbeats: false,
        firewall: 'noop',
      },
      await api.agentBus(),
      log,
      new IpRoute(lbHost.ns),
    );
  });

  after(async () => {
    await ovsAgent?.stop().catch(() => undefined);
    await lbAgent?.stop().catch(() => undefined);
    await api?.close().catch(() => undefined);
    await database?.drop().catch(() => undefined);
    await lab?.teardown();
  });

  it('VMs on the two hosts ping and talk TCP over VXLAN; each host tunnels to the other while it has ports there', async () => {
    const network = (await api.request('POST', '/v2.0/networks', { network: { name: 'mixed' } })).body.network;
    await api.request('POST', '/v2.0/subnets', { subnet: { network_id: network.id, cidr: '10.246.0.0/24', ip_version: 4 } });
    const vms: { vm: string; ip: string; portId: string }[] = [];
    for (const host of ['ovs1', 'lb1']) {
      const port = (await api.request('POST', '/v2.0/ports', { port: { network_id: network.id, 'binding:host_id': host, device_owner: 'compute:nova', device_id: host } })).body.port;
      assert.equal(port['binding:vif_type'], host === 'ovs1' ? 'ovs' : 'bridge');
      const ip = port.fixed_ips[0].ip_address as string;
      const vm = `${lab.prefix}v-${host}`;
      const ovs = host === 'ovs1' ? { bridge: 'br-int', connection: `unix:${lab.hosts[0]!.dir}/db.sock`, hybrid: false } : undefined;
      await plugVif({ portId: port.id, macAddress: port.mac_address, mtu: 1450, netns: vm, ifname: 'eth0', ovs }, new IpRoute(host === 'ovs1' ? lab.hosts[0]!.ns : lab.kernelHosts[0]!.ns));
      await sh('ip', '-n', vm, 'link', 'set', 'eth0', 'mtu', '1450');
      await sh('ip', '-n', vm, 'addr', 'add', `${ip}/24`, 'dev', 'eth0');
      await sh('ip', 'netns', 'exec', vm, 'ethtool', '-K', 'eth0', 'tx', 'off');
      await sh('ip', 'netns', 'exec', host === 'ovs1' ? lab.hosts[0]!.ns : lab.kernelHosts[0]!.ns, 'ethtool', '-K', tapName(port.id), 'tx', 'off');
      vms.push({ vm, ip, portId: port.id });
    }
    for (const vm of vms) {
      await eventually(`port ${vm.portId} ACTIVE`, async () => (await api.request('GET', `/v2.0/ports/${vm.portId}`)).body.port.status === 'ACTIVE');
    }
    const [onOvs, onLb] = vms as [(typeof vms)[0], (typeof vms)[0]];
    await eventually('the OVS VM pings the Linux bridge VM', () => sh('ip', 'netns', 'exec', onOvs.vm, 'ping', '-n', '-c', '1', '-W', '1', onLb.ip), 10_000);
    assert.match(await tcpLine(onOvs.vm, onLb.vm, onLb.ip, 7002, 'across'), /across/);
    const brTun = (await lab.hosts[0]!.ovs.bridges()).find((b) => b.name === 'br-tun')!;
    assert.ok(brTun.ports.some((p) => p.name === tunnelPortName('vxlan', lab.kernelHosts[0]!.tunnelIp)));
    const fdb = await sh('bridge', '-n', lab.kernelHosts[0]!.ns, 'fdb', 'show', 'dev', `vxlan-${network['provider:segmentation_id']}`);
    assert.match(fdb, new RegExp(`00:00:00:00:00:00 dst ${lab.hosts[0]!.tunnelIp.replace(/\./g, '\\.')}`));

    // l2population as ports go and come: the Linux bridge host's only port deleted, the OVS host's tunnel port to it goes too.
    const tunnel = tunnelPortName('vxlan', lab.kernelHosts[0]!.tunnelIp);
    const tunnelPorts = async () => (await lab.hosts[0]!.ovs.bridges()).find((b) => b.name === 'br-tun')!.ports.map((p) => p.name);
    assert.equal((await api.request('DELETE', `/v2.0/ports/${onLb.portId}`)).status, 204);
    await eventually('the tunnel port to the Linux bridge host removed', async () => !(await tunnelPorts()).includes(tunnel), 12_000);
    const again = (await api.request('POST', '/v2.0/ports', { port: { network_id: network.id, 'binding:host_id': 'lb1', device_owner: 'compute:nova', device_id: 'lb1-again' } })).body.port;
    await plugVif({ portId: again.id, macAddress: again.mac_address, mtu: 1450, netns: `${lab.prefix}v-again`, ifname: 'eth0' }, new IpRoute(lab.kernelHosts[0]!.ns));
    await eventually('the tunnel port back with a new port there', async () => (await tunnelPorts()).includes(tunnel), 12_000);
  });
});
