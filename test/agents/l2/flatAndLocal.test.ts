/**
 * The Linux bridge agent on one simulated host for the network types that
 * need no tunnel: `local` (the all-in-one default: a bridge with no uplink)
 * and `flat` (the mapped host interface enslaved to the bridge, reaching a
 * machine outside). Also: admin_state_up false sets the tap down and the
 * port DOWN through a port_update fanout, a dry run prints the plan and
 * changes nothing on the host (ports already wired keep their status),
 * deleting a network releases the mapped interface.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { pino } from 'pino';

import { bridgeName, tapName } from '../../../src/agents/l2/names.js';
import type { LinuxBridgeAgentSettings } from '../../../src/agents/l2/settings.js';
import { IpRoute } from '../../../src/host/ip.js';
import { planLinuxBridgeAgent, type RunningLinuxBridgeAgent, startLinuxBridgeAgent } from '../../../src/server/linuxbridgeAgent.js';
import type { TestDatabase } from '../../db/databases.js';
import { kernelSkip } from '../../helpers/kernel.js';
import { createLab, LAB_PROGRAMS, type Lab, labPrefix, type LabApi, sh, startLabApi } from '../lab.js';
import { eventually } from '../../helpers/eventually.js';

const skip = await kernelSkip(LAB_PROGRAMS);
const log = pino({ level: process.env['NUCLEON_TEST_LOG'] ?? 'silent' });

describe('Linux bridge agent: local and flat networks on one host', { skip }, () => {
  let lab: Lab;
  let api: LabApi;
  let database: TestDatabase;
  let agent: RunningLinuxBridgeAgent | undefined;
  let settings: LinuxBridgeAgentSettings;
  let outside = '';
  let localPort = '';
  const host = () => new IpRoute(lab.hostNs(1));
  const linkOf = async (name: string) => (await host().links()).find((l) => l.ifname === name);
  const status = async (id: string) => (await api.request('GET', `/v2.0/ports/${id}`)).body.port.status as string;
  const ping = (vm: string, address: string) => sh('ip', 'netns', 'exec', vm, 'ping', '-n', '-c', '1', '-W', '1', address);

  async function plugPort(networkId: string, name: string) {
    const res = await api.request('POST', '/v2.0/ports', { port: { network_id: networkId, 'binding:host_id': 'h1', device_owner: 'compute:nova' } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const port = res.body.port;
    const ip = port.fixed_ips[0].ip_address as string;
    const vm = await lab.addVm(name, lab.hostNs(1), tapName(port.id), port.mac_address, `${ip}/24`, 1500);
    return { id: port.id as string, ip, vm };
  }

  before(async () => {
    lab = await createLab(labPrefix('l2f'), 1);
    // The flat physical network: interface ext1 on the host, its peer in a namespace that plays the outside world.
    outside = `${lab.prefix}out`;
    await sh('ip', 'netns', 'add', outside);
    await sh('ip', 'link', 'add', 'ext1', 'netns', lab.hostNs(1), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', outside);
    await sh('ip', '-n', outside, 'addr', 'add', '10.242.0.254/24', 'dev', 'eth0');
    await sh('ip', '-n', outside, 'link', 'set', 'eth0', 'up');
    ({ api, database } = await startLabApi({
      ml2: { tenant_network_types: ['local'], mechanism_drivers: ['linuxbridge'] },
    }));
    settings = {
      host: 'h1',
      interfaceMappings: { physnet1: 'ext1' },
      bridgeMappings: {},
      pollingIntervalMs: 1_000,
      reportIntervalMs: 5_000,
      availabilityZone: 'nova',
      logHeartbeats: false,
      firewall: 'noop',
    };
    agent = await startLinuxBridgeAgent(settings, await api.agentBus(), log, host());
    await eventually('agent registered', async () => ((await api.request('GET', '/v2.0/agents')).body.agents as unknown[]).length === 1);
  });

  after(async () => {
    await agent?.stop().catch(() => undefined);
    await api?.close().catch(() => undefined);
    await database?.drop().catch(() => undefined);
    await lab?.teardown();
  });

  it('local: a bridge with no uplink joins two VMs on this host; the ports go ACTIVE', async () => {
    const network = (await api.request('POST', '/v2.0/networks', { network: { name: 'local' } })).body.network;
    assert.equal(network['provider:network_type'], 'local');
    await api.request('POST', '/v2.0/subnets', { subnet: { network_id: network.id, cidr: '10.240.0.0/24', ip_version: 4 } });
    const a = await plugPort(network.id, 'va');
    const b = await plugPort(network.id, 'vb');
    localPort = a.id;
    for (const port of [a, b]) await eventually(`${port.id} ACTIVE`, async () => (await status(port.id)) === 'ACTIVE');
    const bridge = bridgeName(network.id);
    const enslaved = (await host().links()).filter((l) => l.master === bridge).map((l) => l.ifname).sort();
    assert.deepEqual(enslaved, [tapName(a.id), tapName(b.id)].sort());
    await eventually('va pings vb', () => ping(a.vm, b.ip), 5_000);

    // admin_state_up false: the server fans out port_update, the agent sets the tap down, the port goes DOWN.
    await api.request('PUT', `/v2.0/ports/${b.id}`, { port: { admin_state_up: false } });
    await eventually('tap down', async () => !(await linkOf(tapName(b.id)))?.flags.includes('UP'), 3_000);
    await eventually('port DOWN', async () => (await status(b.id)) === 'DOWN');
    await api.request('PUT', `/v2.0/ports/${b.id}`, { port: { admin_state_up: true } });
    await eventually('port ACTIVE again', async () => (await status(b.id)) === 'ACTIVE', 3_000);
    await eventually('va pings vb again', () => ping(a.vm, b.ip), 5_000);
  });

  it('flat: the mapped interface joins the network bridge and the VM reaches the outside', async () => {
    const res = await api.request('POST', '/v2.0/networks', {
      network: { name: 'flat', 'provider:network_type': 'flat', 'provider:physical_network': 'physnet1' },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const network = res.body.network;
    await api.request('POST', '/v2.0/subnets', { subnet: { network_id: network.id, cidr: '10.242.0.0/24', ip_version: 4 } });
    const port = await plugPort(network.id, 'vf');
    await eventually('flat port ACTIVE', async () => (await status(port.id)) === 'ACTIVE');
    assert.equal((await linkOf('ext1'))?.master, bridgeName(network.id));
    await eventually('the VM pings the outside', () => ping(port.vm, '10.242.0.254'), 5_000);

    // A dry run on a host that drifted prints the repair and applies nothing.
    await agent!.stop();
    agent = undefined;
    await sh('ip', '-n', lab.hostNs(1), 'link', 'del', bridgeName(network.id));
    const plan = await planLinuxBridgeAgent(settings, await api.agentBus(), log, host());
    assert.ok(plan.includes(`ip link add ${bridgeName(network.id)} type bridge forward_delay 0 stp_state 0`), plan.join('\n'));
    assert.ok(plan.includes(`ip link set dev ext1 master ${bridgeName(network.id)}`), plan.join('\n'));
    assert.equal(await linkOf(bridgeName(network.id)), undefined);
    // Looking ports up marks them BUILD; the dry run gives wired ones their status back, the unwired one stays BUILD.
    assert.equal(await status(localPort), 'ACTIVE');
    assert.equal(await status(port.id), 'BUILD');
    agent = await startLinuxBridgeAgent(settings, await api.agentBus(), log, host());
    await agent.sync();
    assert.equal((await linkOf('ext1'))?.master, bridgeName(network.id));
    await eventually('flat port ACTIVE again', async () => (await status(port.id)) === 'ACTIVE');

    // Port and network deleted: the bridge goes, ext1 is released, not deleted.
    assert.equal((await api.request('DELETE', `/v2.0/ports/${port.id}`)).status, 204);
    assert.equal((await api.request('DELETE', `/v2.0/networks/${network.id}`)).status, 204);
    await eventually('flat bridge removed', async () => (await linkOf(bridgeName(network.id))) === undefined, 3_000);
    const ext1 = await linkOf('ext1');
    assert.ok(ext1);
    assert.equal(ext1.master, undefined);
  });
});
