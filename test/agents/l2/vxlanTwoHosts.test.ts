/**
 * The Linux bridge agent for real: two simulated compute hosts (network
 * namespaces) over a veth underlay, one agent each (hosts h1/h2,
 * l2_population on), a real API server on SQLite, all on one in-process
 * bus. Ports bound to h1/h2 get taps with a VM namespace behind them; the
 * agents build brq bridges and vxlan-<vni> devices with unicast forwarding
 * entries, the ports go ACTIVE, vm1 pings vm2 across VXLAN. Then drift
 * (a deleted bridge, a deleted forwarding entry) is repaired by the
 * periodic pass, an agent restart keeps a running ping going without a
 * lost packet, and deleting a port takes its tap out and its entries off
 * the other host.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { pino } from 'pino';

import type { LinuxBridgeAgentSettings } from '../../../src/agents/l2/settings.js';
import { IpRoute } from '../../../src/host/ip.js';
import { bridgeName, tapName } from '../../../src/agents/l2/names.js';
import { type RunningLinuxBridgeAgent, startLinuxBridgeAgent } from '../../../src/server/linuxbridgeAgent.js';
import type { TestDatabase } from '../../db/databases.js';
import { kernelSkip } from '../../helpers/kernel.js';
import { createLab, LAB_PROGRAMS, type Lab, labPrefix, type LabApi, sh, startLabApi, startPing } from '../lab.js';
import { eventually } from '../../helpers/eventually.js';

const skip = await kernelSkip(LAB_PROGRAMS);
const log = pino({ level: process.env['NUCLEON_TEST_LOG'] ?? 'silent' });
const POLL_MS = 700;

describe('Linux bridge agents on two hosts over VXLAN', { skip }, () => {
  let lab: Lab;
  let api: LabApi;
  let database: TestDatabase;
  const agents = new Map<string, RunningLinuxBridgeAgent>();
  let networkId = '';
  let vni = 0;
  const ports: { id: string; mac: string; ip: string; vm: string }[] = [];

  const settings = (i: number): LinuxBridgeAgentSettings => ({
    host: `h${i}`,
    interfaceMappings: {},
    bridgeMappings: {},
    vxlan: { localIp: lab.underlayIp(i), l2Population: true, arpResponder: false, group: '224.0.0.1', dstPort: 4789 },
    pollingIntervalMs: POLL_MS,
    reportIntervalMs: 5_000,
    availabilityZone: 'nova',
    logHeartbeats: false,
    firewall: 'noop',
  });

  const startAgent = async (i: number) => {
    const agent = await startLinuxBridgeAgent(settings(i), await api.agentBus(), log, new IpRoute(lab.hostNs(i)));
    agents.set(`h${i}`, agent);
    return agent;
  };

  const portStatus = async (id: string) => (await api.request('GET', `/v2.0/ports/${id}`)).body.port.status as string;
  const links = async (ns: string) => new IpRoute(ns).links();
  const fdb = async (ns: string) => (await new IpRoute(ns).fdb(`vxlan-${vni}`)).filter((e) => e.dst !== undefined).map((e) => `${e.mac} ${e.dst}`).sort();
  const ping = async (vm: string, address: string) => sh('ip', 'netns', 'exec', vm, 'ping', '-n', '-c', '1', '-W', '1', address);

  before(async () => {
    lab = await createLab(labPrefix('l2v'), 2);
    ({ api, database } = await startLabApi({
      ml2: { tenant_network_types: ['vxlan'], mechanism_drivers: ['linuxbridge', 'l2population'] },
      ml2_type_vxlan: { vni_ranges: ['1000:1100'] },
    }));
    await startAgent(1);
    await startAgent(2);
    await eventually('both agents registered', async () => {
      const list = (await api.request('GET', '/v2.0/agents?agent_type=Linux%20bridge%20agent')).body.agents as { host: string; alive: boolean }[];
      return list.filter((a) => a.alive).length === 2;
    });
  });

  after(async () => {
    for (const agent of agents.values()) await agent.stop().catch(() => undefined);
    await api?.close().catch(() => undefined);
    await database?.drop().catch(() => undefined);
    await lab?.teardown();
  });

  it('wires ports on both hosts: brq bridge, vxlan-<vni> with unicast entries, taps at the network MTU; ports go ACTIVE; vm1 pings vm2', async () => {
    const network = (await api.request('POST', '/v2.0/networks', { network: { name: 'l2-vxlan' } })).body.network;
    networkId = network.id;
    vni = network['provider:segmentation_id'];
    assert.equal(network['provider:network_type'], 'vxlan');
    assert.equal(network.mtu, 1450);
    await api.request('POST', '/v2.0/subnets', { subnet: { network_id: networkId, cidr: '10.241.0.0/24', ip_version: 4 } });
    for (const i of [1, 2]) {
      const res = await api.request('POST', '/v2.0/ports', {
        port: { network_id: networkId, 'binding:host_id': `h${i}`, device_owner: 'compute:nova', device_id: `vm${i}` },
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const port = res.body.port;
      assert.equal(port['binding:vif_type'], 'bridge');
      const ip = port.fixed_ips[0].ip_address as string;
      const vm = await lab.addVm(`v${i}`, lab.hostNs(i), tapName(port.id), port.mac_address, `${ip}/24`, 1450);
      ports.push({ id: port.id, mac: port.mac_address, ip, vm });
    }
    for (const port of ports) await eventually(`port ${port.id} ACTIVE`, async () => (await portStatus(port.id)) === 'ACTIVE');

    for (const i of [1, 2]) {
      const byName = new Map((await links(lab.hostNs(i))).map((l) => [l.ifname, l]));
      const bridge = byName.get(bridgeName(networkId));
      assert.ok(bridge, `bridge on h${i}`);
      assert.equal(bridge.mtu, 1450);
      const vxlan = byName.get(`vxlan-${vni}`);
      assert.equal(vxlan?.master, bridge.ifname);
      assert.equal(vxlan?.mtu, 1450);
      assert.equal(vxlan?.linkinfo?.info_data?.learning, false);
      assert.equal(vxlan?.linkinfo?.info_data?.local, lab.underlayIp(i));
      assert.equal(vxlan?.linkinfo?.info_data?.port, 4789);
      const tap = byName.get(tapName(ports[i - 1]!.id));
      assert.equal(tap?.master, bridge.ifname);
      assert.equal(tap?.mtu, 1450);
      assert.ok(tap?.flags.includes('UP'));
    }
    // Each host floods to the other VTEP only, and knows the other VM's MAC behind it.
    await eventually('forwarding entries on h1', async () =>
      JSON.stringify(await fdb(lab.hostNs(1))) === JSON.stringify([`00:00:00:00:00:00 ${lab.underlayIp(2)}`, `${ports[1]!.mac} ${lab.underlayIp(2)}`].sort()),
    );
    await eventually('forwarding entries on h2', async () =>
      JSON.stringify(await fdb(lab.hostNs(2))) === JSON.stringify([`00:00:00:00:00:00 ${lab.underlayIp(1)}`, `${ports[0]!.mac} ${lab.underlayIp(1)}`].sort()),
    );
    await eventually('vm1 pings vm2 across VXLAN', () => ping(ports[0]!.vm, ports[1]!.ip), 5_000);
  });

  it('repairs drift within one resync: a deleted bridge, a deleted forwarding entry', async () => {
    const h1 = lab.hostNs(1);
    await sh('ip', '-n', h1, 'link', 'del', bridgeName(networkId));
    await eventually('bridge rebuilt', async () => {
      const byName = new Map((await links(h1)).map((l) => [l.ifname, l]));
      return byName.get(tapName(ports[0]!.id))?.master === bridgeName(networkId) && byName.get(`vxlan-${vni}`)?.master === bridgeName(networkId);
    }, 2 * POLL_MS + 3_000);
    await eventually('vm1 pings vm2 again', () => ping(ports[0]!.vm, ports[1]!.ip), 5_000);

    await sh('bridge', '-n', h1, 'fdb', 'del', ports[1]!.mac, 'dev', `vxlan-${vni}`, 'dst', lab.underlayIp(2));
    assert.ok(!(await fdb(h1)).includes(`${ports[1]!.mac} ${lab.underlayIp(2)}`));
    // No link event for an FDB change: the periodic pass must find it.
    await eventually('forwarding entry restored', async () => (await fdb(h1)).includes(`${ports[1]!.mac} ${lab.underlayIp(2)}`), 2 * POLL_MS + 3_000);
  });

  it('an agent restart keeps a running ping going: nothing is deleted or recreated', async () => {
    const h1 = lab.hostNs(1);
    const before = new Map((await links(h1)).map((l) => [l.ifname, l.ifindex]));
    const running = startPing(ports[0]!.vm, ports[1]!.ip, 60, 0.05);
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      await agents.get('h1')!.stop();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const restarted = await startAgent(1);
      await restarted.sync();
      await restarted.sync();
      const result = await running.result();
      assert.equal(result.sent, 60, result.output);
      assert.equal(result.received, 60, `packets lost across the restart: ${result.output}`);
    } finally {
      running.child.kill();
    }
    const afterRestart = new Map((await links(h1)).map((l) => [l.ifname, l.ifindex]));
    for (const name of [bridgeName(networkId), `vxlan-${vni}`, tapName(ports[0]!.id)]) {
      assert.equal(afterRestart.get(name), before.get(name), `${name} was recreated`);
    }
    assert.equal(await portStatus(ports[0]!.id), 'ACTIVE');
    // The restarted agent asked for every entry again (refresh_tunnels): it repairs them like the one before it.
    await sh('bridge', '-n', h1, 'fdb', 'del', '00:00:00:00:00:00', 'dev', `vxlan-${vni}`, 'dst', lab.underlayIp(2));
    await eventually('flooding entry restored by the restarted agent', async () => (await fdb(h1)).includes(`00:00:00:00:00:00 ${lab.underlayIp(2)}`), 2 * POLL_MS + 3_000);
  });

  it('a deleted port leaves its bridge (which goes with its last tap) and its entries leave the other host', async () => {
    const gone = ports[1]!;
    const res = await api.request('DELETE', `/v2.0/ports/${gone.id}`);
    assert.equal(res.status, 204);
    await eventually('h2 bridge removed', async () => !(await links(lab.hostNs(2))).some((l) => l.ifname === bridgeName(networkId) || l.ifname === `vxlan-${vni}`));
    const tap = (await links(lab.hostNs(2))).find((l) => l.ifname === tapName(gone.id));
    assert.equal(tap?.master, undefined);
    await eventually('h1 forgot vm2 and the flooding to h2', async () => (await fdb(lab.hostNs(1))).length === 0);
  });

  it('a tap that disappears puts its port DOWN', async () => {
    const port = ports[0]!;
    await sh('ip', '-n', lab.hostNs(1), 'link', 'del', tapName(port.id));
    await eventually('port DOWN', async () => (await portStatus(port.id)) === 'DOWN');
    await eventually('h1 bridge removed', async () => !(await links(lab.hostNs(1))).some((l) => l.ifname === bridgeName(networkId)));
  });
});
