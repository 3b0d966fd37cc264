/**
 * The Linux bridge agent's plan, pure: port details and the namespace's
 * links (as `ip -json -details link` shows them) in, `ip`/`bridge` batch
 * lines out. VXLAN with and without l2population, flat, VLAN (a plan this
 * machine's kernel cannot run), local, MTUs, reuse on restart, drift in the
 * forwarding entries, stale bridges.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { BoundDevice } from '../../../src/agents/l2/deviceDetails.js';
import { desiredState } from '../../../src/agents/l2/desiredState.js';
import { FdbTable } from '../../../src/agents/l2/fdbTable.js';
import { vlanName } from '../../../src/agents/l2/names.js';
import { type ActualHost, planLines, planLinuxBridge, type PlanInput } from '../../../src/agents/l2/plan.js';
import type { LinuxBridgeAgentSettings } from '../../../src/agents/l2/settings.js';
import type { FdbEntry, Link } from '../../../src/host/ip.js';

const NET = '5f8c1a2b-3d4e-4f60-8a9b-0c1d2e3f4a5b';
const NET2 = '77777777-3d4e-4f60-8a9b-0c1d2e3f4a5b';
const BR = 'brq5f8c1a2b-3d';
const BR2 = 'brq77777777-3d';

const settings = (over: Partial<LinuxBridgeAgentSettings> = {}): LinuxBridgeAgentSettings => ({
  host: 'h1',
  interfaceMappings: { physnet1: 'eth1', physnet2: 'eth2' },
  bridgeMappings: { physnet3: 'br-ex' },
  vxlan: { localIp: '10.0.0.1', l2Population: true, arpResponder: false, group: '224.0.0.1', dstPort: 4789 },
  pollingIntervalMs: 2000,
  reportIntervalMs: 30000,
  availabilityZone: 'nova',
  logHeartbeats: false,
  firewall: 'noop',
  ...over,
});

const port = (id: string, over: Partial<BoundDevice> = {}): BoundDevice => ({
  kind: 'bound',
  device: `tap${id.slice(0, 11)}`,
  portId: id,
  networkId: NET,
  macAddress: 'fa:16:3e:00:00:11',
  adminStateUp: true,
  networkType: 'vxlan',
  segmentationId: 1001,
  physicalNetwork: null,
  mtu: 1450,
  fixedIps: ['10.1.0.11'],
  ...over,
});

const P1 = '11111111-aaaa-4bbb-8ccc-000000000001';
const P2 = '22222222-aaaa-4bbb-8ccc-000000000002';
const TAP1 = 'tap11111111-aa';
const TAP2 = 'tap22222222-aa';

const link = (ifname: string, over: Partial<Link> & { kind?: string; data?: Record<string, unknown> } = {}): Link => {
  const { kind, data, ...rest } = over;
  return {
    ifname,
    ifindex: 1,
    mtu: 1500,
    flags: ['BROADCAST', 'MULTICAST'],
    ...(kind === undefined ? {} : { linkinfo: { info_kind: kind, ...(data ? { info_data: data } : {}) } }),
    ...rest,
  };
};
const UP = ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'];
const vxlanData = { id: 1001, local: '10.0.0.1', link: 'eth0', port: 4789, learning: false, proxy: false };

const actual = (links: Link[], fdb: Record<string, FdbEntry[]> = {}): ActualHost => ({ links, fdb: new Map(Object.entries(fdb)), neighbours: new Map() });

function plan(ports: BoundDevice[], host: ActualHost, over: Partial<PlanInput> & { settings?: LinuxBridgeAgentSettings } = {}): string[] {
  const s = over.settings ?? settings();
  return planLines(
    planLinuxBridge({
      desired: desiredState(ports, s, 'eth0'),
      actual: host,
      released: new Set(),
      keepBridges: new Set(),
      ...over,
    }),
  );
}

describe('Linux bridge agent plan', () => {
  it('a first VXLAN port with l2population: bridge, unicast vxlan (nolearning, no group), tap, all at the network MTU', () => {
    assert.deepEqual(plan([port(P1)], actual([link('eth0', { flags: UP }), link(TAP1, { kind: 'veth' })])), [
      `ip link add ${BR} type bridge forward_delay 0 stp_state 0`,
      'ip link add vxlan-1001 type vxlan id 1001 local 10.0.0.1 dev eth0 dstport 4789 nolearning',
      `ip link set dev vxlan-1001 master ${BR} mtu 1450 up`,
      `ip link set dev ${TAP1} master ${BR} mtu 1450 up`,
      `ip link set dev ${BR} mtu 1450 up`,
    ]);
  });

  it('without l2population the VXLAN device floods to the multicast group and learns; ttl and tos as configured', () => {
    const s = settings({ vxlan: { localIp: '10.0.0.1', l2Population: false, arpResponder: false, group: '239.1.1.1', dstPort: 8472, ttl: 8, tos: 16 } });
    const lines = plan([port(P1)], actual([link(TAP1)]), { settings: s });
    assert.equal(lines[1], 'ip link add vxlan-1001 type vxlan id 1001 local 10.0.0.1 dev eth0 dstport 8472 group 239.1.1.1 ttl 8 tos 16');
  });

  it('a host that is already right gives an empty plan (a restarted agent changes nothing)', () => {
    const host = actual([
      link(BR, { kind: 'bridge', mtu: 1450, flags: UP }),
      link('vxlan-1001', { kind: 'vxlan', data: vxlanData, master: BR, mtu: 1450, flags: UP }),
      link(TAP1, { kind: 'veth', master: BR, mtu: 1450, flags: UP }),
    ]);
    assert.deepEqual(plan([port(P1)], host), []);
  });

  it('drift: a deleted bridge is recreated and everything re-enslaved; a tap at the wrong MTU is fixed', () => {
    const host = actual([
      link('vxlan-1001', { kind: 'vxlan', data: vxlanData, mtu: 1450, flags: UP }),
      link(TAP1, { kind: 'veth', mtu: 1500, flags: UP }),
    ]);
    assert.deepEqual(plan([port(P1)], host), [
      `ip link add ${BR} type bridge forward_delay 0 stp_state 0`,
      `ip link set dev vxlan-1001 master ${BR}`,
      `ip link set dev ${TAP1} master ${BR} mtu 1450`,
      `ip link set dev ${BR} mtu 1450 up`,
    ]);
  });

  it('a VXLAN device with the wrong VTEP or port is recreated', () => {
    const host = actual([
      link(BR, { kind: 'bridge', mtu: 1450, flags: UP }),
      link('vxlan-1001', { kind: 'vxlan', data: { ...vxlanData, port: 8472 }, master: BR, mtu: 1450, flags: UP }),
      link(TAP1, { kind: 'veth', master: BR, mtu: 1450, flags: UP }),
    ]);
    assert.deepEqual(plan([port(P1)], host), [
      'ip link del dev vxlan-1001',
      'ip link add vxlan-1001 type vxlan id 1001 local 10.0.0.1 dev eth0 dstport 4789 nolearning',
      `ip link set dev vxlan-1001 master ${BR} mtu 1450 up`,
    ]);
  });

  it('flat: the mapped interface itself joins the bridge, its MTU left alone; a bridge mapping is used as the bridge', () => {
    const flat = port(P1, { networkType: 'flat', segmentationId: null, physicalNetwork: 'physnet1', mtu: 1500 });
    assert.deepEqual(plan([flat], actual([link('eth1', { mtu: 9000, flags: UP }), link(TAP1, { mtu: 1500 })])), [
      `ip link add ${BR} type bridge forward_delay 0 stp_state 0`,
      `ip link set dev eth1 master ${BR}`,
      `ip link set dev ${TAP1} master ${BR} up`,
      `ip link set dev ${BR} mtu 1500 up`,
    ]);
    const mapped = port(P1, { networkType: 'flat', segmentationId: null, physicalNetwork: 'physnet3', mtu: 1500 });
    assert.deepEqual(plan([mapped], actual([link('br-ex', { kind: 'bridge', flags: UP }), link(TAP1, { mtu: 1500 })])), [
      `ip link set dev ${TAP1} master br-ex up`,
    ]);
  });

  it('vlan: an 802.1q sub-interface of the mapped interface (this kernel has no 802.1q: only the plan is tested)', () => {
    const vlan = port(P1, { networkType: 'vlan', segmentationId: 100, physicalNetwork: 'physnet2', mtu: 1500 });
    assert.deepEqual(plan([vlan], actual([link('eth2', { flags: UP }), link(TAP1)])), [
      `ip link add ${BR} type bridge forward_delay 0 stp_state 0`,
      'ip link add link eth2 name eth2.100 type vlan id 100',
      `ip link set dev eth2.100 master ${BR} mtu 1500 up`,
      `ip link set dev ${TAP1} master ${BR} up`,
      `ip link set dev ${BR} mtu 1500 up`,
    ]);
  });

  it('vlan sub-interface names longer than 15 characters keep their start and a hash, as Neutron', () => {
    assert.equal(vlanName('eth2', 100), 'eth2.100');
    const long = vlanName('enp0s31f6long', 4000);
    assert.equal(long.length, 15);
    assert.match(long, /^enp0[0-9a-f]{6}\.4000$/);
  });

  it('local: a bridge with no uplink; an administratively down port stays in it, set down', () => {
    const local = port(P1, { networkType: 'local', segmentationId: null, mtu: 1500 });
    const down = port(P2, { networkType: 'local', segmentationId: null, mtu: 1500, adminStateUp: false });
    assert.deepEqual(plan([local, down], actual([link(TAP1), link(TAP2, { flags: UP })])), [
      `ip link add ${BR} type bridge forward_delay 0 stp_state 0`,
      `ip link set dev ${TAP1} master ${BR} up`,
      `ip link set dev ${TAP2} master ${BR} down`,
      `ip link set dev ${BR} mtu 1500 up`,
    ]);
  });

  it('a network that cannot be wired here is reported, not planned', () => {
    const state = desiredState([port(P1, { networkType: 'vlan', segmentationId: 5, physicalNetwork: 'nowhere' })], settings(), 'eth0');
    assert.equal(state.networks.size, 0);
    assert.match(state.unwirable[0]!.reason, /'nowhere' is not in physical_interface_mappings/);
    const noVxlan = desiredState([port(P1)], settings({ vxlan: undefined } as never), 'eth0');
    assert.match(noVxlan.unwirable[0]!.reason, /VXLAN is disabled/);
  });

  it('a bridge whose network has no tap left goes, with its VXLAN device; mapped interfaces are only released', () => {
    const host = actual([
      link(BR2, { kind: 'bridge', flags: UP }),
      link('vxlan-2002', { kind: 'vxlan', master: BR2 }),
      link('eth1', { master: BR2 }),
      link('br-other', { kind: 'bridge' }),
    ]);
    assert.deepEqual(plan([], host), ['ip link del dev vxlan-2002', 'ip link set dev eth1 nomaster', `ip link del dev ${BR2}`]);
    assert.deepEqual(plan([], host, { keepBridges: new Set([BR2]) }), []);
  });

  it('released taps (deleted ports) leave their bridge', () => {
    const host = actual([link(BR, { kind: 'bridge', flags: UP }), link(TAP1, { master: BR })]);
    assert.deepEqual(plan([], host, { released: new Set([TAP1]) }), [`ip link set dev ${TAP1} nomaster`, `ip link del dev ${BR}`]);
  });

  describe('l2population forwarding entries', () => {
    const upToDate = [
      link(BR, { kind: 'bridge', mtu: 1450, flags: UP }),
      link('vxlan-1001', { kind: 'vxlan', data: vxlanData, master: BR, mtu: 1450, flags: UP }),
      link(TAP1, { kind: 'veth', master: BR, mtu: 1450, flags: UP }),
    ];
    const table = () => {
      const t = new FdbTable('10.0.0.1');
      t.add(NET, [
        { vtep: '10.0.0.2', mac: '00:00:00:00:00:00', ip: '0.0.0.0' },
        { vtep: '10.0.0.2', mac: 'FA:16:3E:00:00:12', ip: '10.1.0.12' },
        { vtep: '10.0.0.3', mac: '00:00:00:00:00:00', ip: '0.0.0.0' },
        // This host's own entries are not remote.
        { vtep: '10.0.0.1', mac: 'fa:16:3e:00:00:11', ip: '10.1.0.11' },
      ]);
      return t;
    };

    it('missing entries are added: one all-zeros entry per VTEP (append), per-MAC entries (replace)', () => {
      const t = table();
      const lines = plan([port(P1)], actual(upToDate, { 'vxlan-1001': [] }), { fdbOf: (id) => t.forNetwork(id) });
      assert.deepEqual(lines, [
        'bridge fdb append 00:00:00:00:00:00 dev vxlan-1001 dst 10.0.0.2',
        'bridge fdb append 00:00:00:00:00:00 dev vxlan-1001 dst 10.0.0.3',
        'bridge fdb replace fa:16:3e:00:00:12 dev vxlan-1001 dst 10.0.0.2',
      ]);
    });

    it('drift: only the entry someone deleted comes back; the bridge\'s own entries are ignored', () => {
      const t = table();
      const present: FdbEntry[] = [
        { mac: 'aa:bb:cc:dd:ee:ff', master: BR, state: 'permanent' },
        { mac: '00:00:00:00:00:00', dst: '10.0.0.2', state: 'permanent' },
        { mac: 'fa:16:3e:00:00:12', dst: '10.0.0.2', state: 'permanent' },
      ];
      const lines = plan([port(P1)], actual(upToDate, { 'vxlan-1001': present }), { fdbOf: (id) => t.forNetwork(id) });
      assert.deepEqual(lines, ['bridge fdb append 00:00:00:00:00:00 dev vxlan-1001 dst 10.0.0.3']);
    });

    it('entries the server removed are deleted; a MAC that moved is replaced; entries nobody mentioned stay', () => {
      const t = table();
      t.remove(NET, [{ vtep: '10.0.0.3', mac: '00:00:00:00:00:00', ip: '0.0.0.0' }]);
      t.remove(NET, [{ vtep: '10.0.0.2', mac: 'fa:16:3e:00:00:12', ip: '10.1.0.12' }]);
      t.add(NET, [{ vtep: '10.0.0.3', mac: 'fa:16:3e:00:00:12', ip: '10.1.0.12' }]);
      const present: FdbEntry[] = [
        { mac: '00:00:00:00:00:00', dst: '10.0.0.2' },
        { mac: '00:00:00:00:00:00', dst: '10.0.0.3' },
        { mac: 'fa:16:3e:00:00:12', dst: '10.0.0.2' },
        { mac: 'fa:16:3e:00:00:99', dst: '10.0.0.9' },
      ];
      const lines = plan([port(P1)], actual(upToDate, { 'vxlan-1001': present }), { fdbOf: (id) => t.forNetwork(id) });
      assert.deepEqual(lines, ['bridge fdb del 00:00:00:00:00:00 dev vxlan-1001 dst 10.0.0.3', 'bridge fdb replace fa:16:3e:00:00:12 dev vxlan-1001 dst 10.0.0.3']);
    });

    it('with arp_responder: proxy on the VXLAN device and permanent neighbour entries', () => {
      const t = table();
      const s = settings({ vxlan: { localIp: '10.0.0.1', l2Population: true, arpResponder: true, group: '224.0.0.1', dstPort: 4789 } });
      const lines = plan([port(P1)], actual([link(TAP1)]), { settings: s, fdbOf: (id) => t.forNetwork(id), neighbourEntries: true });
      assert.ok(lines.includes('ip link add vxlan-1001 type vxlan id 1001 local 10.0.0.1 dev eth0 dstport 4789 nolearning proxy'));
      assert.ok(lines.includes('ip neigh replace 10.1.0.12 lladdr fa:16:3e:00:00:12 dev vxlan-1001 nud permanent'));
      assert.ok(lines.includes('bridge fdb replace fa:16:3e:00:00:12 dev vxlan-1001 dst 10.0.0.2'));
    });

    it('a VXLAN device created in this pass gets every entry (its old ones went with it)', () => {
      const t = table();
      const stale = [{ mac: '00:00:00:00:00:00', dst: '10.0.0.2' }];
      const host = actual([link(TAP1), link('vxlan-1001', { kind: 'vxlan', data: { ...vxlanData, local: '10.0.0.7' } })], { 'vxlan-1001': stale });
      const lines = plan([port(P1)], host, { fdbOf: (id) => t.forNetwork(id) });
      assert.equal(lines.filter((l) => l.startsWith('bridge')).length, 3);
    });
  });

  it('two networks: each its own group, bridges sorted', () => {
    const lines = plan([port(P2, { networkId: NET2, segmentationId: 2002 }), port(P1)], actual([link(TAP1), link(TAP2)]));
    assert.equal(lines[0], `ip link add ${BR} type bridge forward_delay 0 stp_state 0`);
    assert.ok(lines.includes(`ip link add ${BR2} type bridge forward_delay 0 stp_state 0`));
  });
});
