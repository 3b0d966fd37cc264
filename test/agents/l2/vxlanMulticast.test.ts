/**
 * VXLAN without l2population (Neutron's default): the agents create
 * vxlan-<vni> with the multicast group and learning on, no forwarding
 * entries from the server, and two VMs on two hosts reach each other by
 * flooding through the group and learning.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { pino } from 'pino';

import { tapName } from '../../../src/agents/l2/names.js';
import { IpRoute } from '../../../src/host/ip.js';
import { type RunningLinuxBridgeAgent, startLinuxBridgeAgent } from '../../../src/server/linuxbridgeAgent.js';
import type { TestDatabase } from '../../db/databases.js';
import { kernelSkip } from '../../helpers/kernel.js';
import { createLab, LAB_PROGRAMS, type Lab, labPrefix, type LabApi, sh, startLabApi } from '../lab.js';
import { eventually } from '../../helpers/eventually.js';

const skip = await kernelSkip(LAB_PROGRAMS);
const log = pino({ level: process.env['NUCLEON_TEST_LOG'] ?? 'silent' });
const GROUP = '239.1.1.1';

describe('Linux bridge agents over multicast VXLAN (no l2population)', { skip }, () => {
  let lab: Lab;
  let api: LabApi;
  let database: TestDatabase;
  const agents: RunningLinuxBridgeAgent[] = [];

  before(async () => {
    lab = await createLab(labPrefix('l2m'), 2);
    // No IGMP querier on the test underlay: flood multicast instead of relying on snooping.
    await sh('ip', '-n', `${lab.prefix}ul`, 'link', 'set', 'ulbr', 'type', 'bridge', 'mcast_snooping', '0');
    ({ api, database } = await startLabApi({
      ml2: { tenant_network_types: ['vxlan'], mechanism_drivers: ['linuxbridge'] },
      ml2_type_vxlan: { vni_ranges: ['2000:2100'] },
    }));
    for (const i of [1, 2]) {
      const settings = {
        host: `h${i}`,
        interfaceMappings: {},
        bridgeMappings: {},
        vxlan: { localIp: lab.underlayIp(i), l2Population: false, arpResponder: false, group: GROUP, dstPort: 4789, ttl: 1 },
        pollingIntervalMs: 1_000,
        reportIntervalMs: 5_000,
        availabilityZone: 'nova',
        logHeartbeats: false,
        firewall: 'noop' as const,
      };
      agents.push(await startLinuxBridgeAgent(settings, await api.agentBus(), log, new IpRoute(lab.hostNs(i))));
    }
    await eventually('both agents registered', async () => ((await api.request('GET', '/v2.0/agents')).body.agents as unknown[]).length === 2);
  });

  after(async () => {
    for (const agent of agents) await agent.stop().catch(() => undefined);
    await api?.close().catch(() => undefined);
    await database?.drop().catch(() => undefined);
    await lab?.teardown();
  });

  it('group and learning on the VXLAN devices, no FDB from the server, vm1 pings vm2', async () => {
    const network = (await api.request('POST', '/v2.0/networks', { network: { name: 'mcast' } })).body.network;
    const vni = network['provider:segmentation_id'] as number;
    await api.request('POST', '/v2.0/subnets', { subnet: { network_id: network.id, cidr: '10.238.0.0/24', ip_version: 4 } });
    const vms: { id: string; ip: string; vm: string }[] = [];
    for (const i of [1, 2]) {
      const port = (await api.request('POST', '/v2.0/ports', { port: { network_id: network.id, 'binding:host_id': `h${i}`, device_owner: 'compute:nova' } })).body.port;
      const ip = port.fixed_ips[0].ip_address as string;
      vms.push({ id: port.id, ip, vm: await lab.addVm(`v${i}`, lab.hostNs(i), tapName(port.id), port.mac_address, `${ip}/24`, 1450) });
    }
    for (const vm of vms) await eventually(`${vm.id} ACTIVE`, async () => (await api.request('GET', `/v2.0/ports/${vm.id}`)).body.port.status === 'ACTIVE');
    const vxlan = (await new IpRoute(lab.hostNs(1)).links()).find((l) => l.ifname === `vxlan-${vni}`);
    assert.equal(vxlan?.linkinfo?.info_data?.group, GROUP);
    assert.equal(vxlan?.linkinfo?.info_data?.learning, true);
    await eventually('vm1 pings vm2 through the multicast group', () => sh('ip', 'netns', 'exec', vms[0]!.vm, 'ping', '-n', '-c', '1', '-W', '1', vms[1]!.ip), 8_000);
    // Learnt, not programmed: the remote VM's MAC is behind host 2's VTEP.
    const learnt = await new IpRoute(lab.hostNs(1)).fdb(`vxlan-${vni}`);
    assert.ok(learnt.some((e) => e.dst === lab.underlayIp(2) && e.mac !== '00:00:00:00:00:00'), JSON.stringify(learnt));
  });
});
