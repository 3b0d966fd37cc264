/**
 * The Open vSwitch agent's pure parts: openvswitch_agent.ini to settings (and
 * the errors that stop it), local VLAN assignment, the desired switch, its
 * flows, and the plans against what OVS has.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import type { BoundDevice } from '../../../src/agents/l2/deviceDetails.js';
import { FdbTable } from '../../../src/agents/l2/fdbTable.js';
import { desiredSwitch, type SwitchInput } from '../../../src/agents/ovs/desiredSwitch.js';
import { desiredFlows } from '../../../src/agents/ovs/flows.js';
import { assignLocalVlans } from '../../../src/agents/ovs/localVlans.js';
import { DEAD_VLAN, intPatchName, phyPatchName, tunnelPortName } from '../../../src/agents/ovs/names.js';
import { planFlows, planSwitch } from '../../../src/agents/ovs/plan.js';
import type { OvsAgentSettings } from '../../../src/agents/ovs/settings.js';
import { ConfigError } from '../../../src/common/errors.js';
import type { OvsBridge } from '../../../src/host/ovs.js';
import { loadAgentConfig } from '../../../src/server/agentProcess.js';
import { openvswitchAgentGroups, openvswitchAgentSettings } from '../../../src/server/openvswitchAgent.js';

const dir = mkdtempSync(join(tmpdir(), 'nucleon-ovs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
const settingsOf = (ini: string) => {
  const file = join(dir, `ovs${files++}.ini`);
  writeFileSync(file, ini);
  return () => openvswitchAgentSettings(loadAgentConfig('nucleon-openvswitch-agent', ['--config-file', file], openvswitchAgentGroups).loaded);
};

const SETTINGS: OvsAgentSettings = {
  host: 'h1',
  ovsdbConnection: 'unix:/run/ovs/db.sock',
  datapathType: 'netdev',
  integrationBridge: 'br-int',
  tunnelBridge: 'br-tun',
  intPeerPatchPort: 'patch-tun',
  tunPeerPatchPort: 'patch-int',
  bridgeMappings: { physnet1: 'br-eth' },
  tunnels: { localIp: '10.0.0.1', types: ['vxlan', 'gre'], vxlanUdpPort: 4789, l2Population: true, arpResponder: true },
  pollingIntervalMs: 2000,
  reportIntervalMs: 30000,
  availabilityZone: 'nova',
  logHeartbeats: false,
  firewall: 'noop',
};

const port = (id: string, networkId: string, networkType: string, segmentationId: number | null, physicalNetwork: string | null = null): BoundDevice => ({
  kind: 'bound',
  device: id,
  portId: id,
  networkId,
  macAddress: `fa:16:3e:00:00:${id.slice(-2)}`,
  adminStateUp: true,
  networkType,
  segmentationId,
  physicalNetwork,
  mtu: 1450,
  fixedIps: [],
});

describe('openvswitch_agent.ini', () => {
  it('gives Neutron\'s defaults and reads tunnels and mappings', () => {
    const settings = settingsOf('[ovs]\nlocal_ip = 10.0.0.1\nbridge_mappings = physnet1:br-eth\ndatapath_type = netdev\n[agent]\ntunnel_types = vxlan, GRE\nl2_population = true\n')();
    assert.equal(settings.integrationBridge, 'br-int');
    assert.equal(settings.tunnelBridge, 'br-tun');
    assert.equal(settings.ovsdbConnection, 'unix:/var/run/openvswitch/db.sock');
    assert.deepEqual(settings.tunnels?.types, ['vxlan', 'gre']);
    assert.deepEqual(settings.bridgeMappings, { physnet1: 'br-eth' });
    assert.equal(settings.datapathType, 'netdev');
    assert.equal(settings.firewall, 'noop');
    assert.equal(settingsOf('[securitygroup]\nfirewall_driver = iptables_hybrid\n')().firewall, 'stateful');
    assert.equal(settingsOf('[securitygroup]\nfirewall_driver = iptables_hybrid\nenable_security_group = false\n')().firewall, 'noop');
  });

  for (const [ini, option, reason] of [
    ['[agent]\ntunnel_types = vxlan\n', 'local_ip', /valid local_ip must be provided/],
    ['[ovs]\nlocal_ip = 10.0.0.1\n[agent]\ntunnel_types = stt\n', 'tunnel_types', /'stt' is not a tunnel type/],
    ['[ovs]\nlocal_ip = fe80::1\n[agent]\ntunnel_types = vxlan\n', 'local_ip', /not an IPv4 address/],
    ['[ovs]\nbridge_mappings = physnet1:br-int\n', 'bridge_mappings', /mapped twice or is the integration/],
    ['[ovs]\novsdb_connection = /run/db.sock\n', 'ovsdb_connection', /not unix:PATH/],
    ['[ovs]\nlocal_ip = 10.0.0.1\n[agent]\ntunnel_types = vxlan\narp_responder = true\n', 'arp_responder', /needs l2_population/],
    ['[securitygroup]\nfirewall_driver = openvswitch\n', 'firewall_driver', /not built into the Open vSwitch agent/],
    ['[securitygroup]\nfirewall_driver = iptables\n', 'firewall_driver', /only with iptables_hybrid/],
    ['[ovs]\ndatapath_type = dpdk\n', 'datapath_type', /dpdk/],
  ] as const) {
    it(`refuses ${ini.trim().split('\n').pop()} naming ${option}`, () => {
      assert.throws(settingsOf(ini), (err: unknown) => err instanceof ConfigError && err.option === option && reason.test(err.message));
    });
  }
});

describe('local VLANs', () => {
  it('keeps a network\'s VLAN, takes back what the ports record, and gives the lowest free one', () => {
    const assigned = assignLocalVlans(['a', 'b', 'c', 'd'], new Map([['a', 7]]), new Map([['b', 3], ['c', 7]]));
    assert.deepEqual(Object.fromEntries(assigned), { a: 7, b: 3, c: 1, d: 2 });
  });

  it('frees the VLAN of a network without ports', () => {
    assert.deepEqual(Object.fromEntries(assignLocalVlans(['b'], new Map([['a', 1], ['b', 2]]), new Map())), { b: 2 });
  });
});

describe('desired switch and flows', () => {
  const fdb = new FdbTable('10.0.0.1');
  fdb.add('net-vx', [
    { vtep: '10.0.0.2', mac: '00:00:00:00:00:00', ip: '0.0.0.0' },
    { vtep: '10.0.0.2', mac: 'FA:16:3E:00:00:99', ip: '192.168.0.9' },
    { vtep: '10.0.0.1', mac: 'fa:16:3e:00:00:01', ip: '192.168.0.1' },
  ]);
  const input: SwitchInput = {
    settings: SETTINGS,
    vifs: [
      { name: 'tap-vx', portId: 'p-vx01', details: port('p-vx01', 'net-vx', 'vxlan', 1001) },
      { name: 'tap-vl', portId: 'p-vl02', details: port('p-vl02', 'net-vl', 'vlan', 142, 'physnet1') },
      { name: 'tap-gn', portId: 'p-gn03', details: port('p-gn03', 'net-gn', 'geneve', 3001) },
      { name: 'tap-un', portId: 'p-un04', details: undefined },
    ],
    existingBridges: new Set(['br-int', 'br-eth']),
    localVlans: new Map([['net-vx', 1], ['net-vl', 2], ['net-gn', 3]]),
    fdbOf: (networkId) => fdb.forNetwork(networkId),
    endpoints: new Map(),
  };
  const desired = desiredSwitch(input);

  it('tags wired ports with their local VLAN and records the wiring; the rest sit in the dead VLAN', () => {
    const tags = Object.fromEntries(desired.vifs.map((v) => [v.name, v.tag]));
    assert.deepEqual(tags, { 'tap-gn': DEAD_VLAN, 'tap-un': DEAD_VLAN, 'tap-vl': 2, 'tap-vx': 1 });
    assert.deepEqual(desired.vifs.find((v) => v.name === 'tap-vl')?.otherConfig, {
      net_uuid: 'net-vl',
      network_type: 'vlan',
      physical_network: 'physnet1',
      segmentation_id: '142',
      tag: '2',
    });
    assert.deepEqual(desired.unwirable, [{ device: 'p-gn03', reason: 'geneve is not in this host\'s tunnel_types' }]);
  });

  it('opens tunnel ports only to the endpoints l2population named (never to itself), and patches', () => {
    assert.deepEqual(desired.tunnels.map((t) => t.name), [tunnelPortName('vxlan', '10.0.0.2')]);
    assert.equal(tunnelPortName('vxlan', '10.0.0.2'), 'vxlan-0a000002');
    const names = desired.ports.map((p) => `${p.bridge}/${p.name}`);
    assert.deepEqual(names, ['br-int/patch-tun', 'br-tun/patch-int', 'br-tun/vxlan-0a000002', `br-int/${intPatchName('br-eth')}`, `br-eth/${phyPatchName('br-eth')}`]);
    // neutron's get_interface_name: prefix, the name cut to fit, 6 hex of its SHA-1.
    assert.match(intPatchName('br-physical-net1'), /^int-br-ph[0-9a-f]{6}$/);
    assert.equal(intPatchName('br-physical-net1').length, 15);
  });

  it('without l2population: a tunnel port to every known endpoint of each type', () => {
    const plain = desiredSwitch({
      ...input,
      settings: { ...SETTINGS, tunnels: { ...SETTINGS.tunnels!, l2Population: false, arpResponder: false } },
      endpoints: new Map([['vxlan', new Set(['10.0.0.1', '10.0.0.3'])], ['gre', new Set(['10.0.0.3'])]]),
    });
    assert.deepEqual(plain.tunnels.map((t) => t.name), ['gre-0a000003', 'vxlan-0a000003']);
  });

  const ofports = new Map([['br-int/patch-tun', 1], ['br-int/int-br-eth', 2], ['br-tun/patch-int', 1], ['br-tun/vxlan-0a000002', 5], ['br-eth/phy-br-eth', 3]]);
  const tables = desiredFlows({ settings: SETTINGS, desired, ofport: (bridge, name) => ofports.get(`${bridge}/${name}`), fdbOf: input.fdbOf! });
  const flowsOf = (bridge: string) => tables.find((t) => t.bridge === bridge)!.flows;

  it('translates VLAN 142 <-> local VLAN 2 on br-int and the physical bridge', () => {
    assert.ok(flowsOf('br-int').includes('table=0,priority=3,in_port=2,dl_vlan=142 actions=set_field:4098->vlan_vid,goto_table:60'));
    assert.ok(flowsOf('br-eth').includes('table=0,priority=4,in_port=3,dl_vlan=2 actions=set_field:4238->vlan_vid,NORMAL'));
    assert.ok(flowsOf('br-eth').includes('table=0,priority=2,in_port=3 actions=drop'));
  });

  it('maps VNI 1001 <-> local VLAN 1 in br-tun, unicast and ARP answers from l2population, flooding to its endpoints only', () => {
    const tun = flowsOf('br-tun');
    assert.ok(tun.includes('table=4,priority=1,tun_id=0x3e9 actions=push_vlan:0x8100,set_field:4097->vlan_vid,resubmit(,10)'));
    assert.ok(tun.includes('table=20,priority=2,dl_vlan=1,dl_dst=fa:16:3e:00:00:99 actions=pop_vlan,set_field:0x3e9->tun_id,output:5'));
    assert.ok(tun.includes('table=22,priority=1,dl_vlan=1 actions=pop_vlan,set_field:0x3e9->tun_id,output:5'));
    assert.ok(tun.some((f) => f.startsWith('table=21,priority=1,arp,dl_vlan=1,arp_tpa=192.168.0.9 ')));
    // The local port's own entry is not a remote one.
    assert.ok(!tun.some((f) => f.includes('fa:16:3e:00:00:01')));
  });

  it('leaves out flows whose ports have no OpenFlow number yet, and says which', () => {
    const waiting = desiredFlows({ settings: SETTINGS, desired, ofport: () => undefined });
    assert.deepEqual(waiting.find((t) => t.bridge === 'br-tun')!.waitingFor, ['patch-int', 'vxlan-0a000002']);
    assert.ok(!waiting.find((t) => t.bridge === 'br-tun')!.flows.some((f) => f.includes('in_port')));
  });

  it('plans bridges, ports and tags from nothing, and nothing once OVS matches', () => {
    const empty: OvsBridge[] = [{ name: 'br-eth', datapathType: 'netdev', failMode: 'secure', protocols: ['OpenFlow10', 'OpenFlow13', 'OpenFlow14'], ports: [] }];
    const fresh = planSwitch(desired, empty, SETTINGS, false).map((c) => c.join(' '));
    assert.ok(fresh.includes('--may-exist add-br br-int'));
    assert.ok(fresh.includes('set bridge br-int datapath_type=netdev fail_mode=secure protocols=OpenFlow10,OpenFlow13,OpenFlow14'));
    assert.ok(fresh.includes('set interface vxlan-0a000002 type=vxlan options:df_default=true options:egress_pkt_mark=0 options:in_key=flow options:local_ip=10.0.0.1 options:out_key=flow options:remote_ip=10.0.0.2'));

    const bridge = (name: string, ports: OvsBridge['ports']): OvsBridge => ({ name, datapathType: 'netdev', failMode: 'secure', protocols: ['OpenFlow10', 'OpenFlow13', 'OpenFlow14'], ports });
    const iface = (name: string, type: string, options: Record<string, string>) => ({ name, type, ofport: 1, options, externalIds: {} });
    const matching: OvsBridge[] = [
      bridge('br-int', [
        ...desired.ports.filter((p) => p.bridge === 'br-int').map((p) => ({ name: p.name, tag: undefined, otherConfig: {}, interfaces: [iface(p.name, p.type, p.options)] })),
        ...desired.vifs.map((v) => ({ name: v.name, tag: v.tag, otherConfig: v.otherConfig, interfaces: [iface(v.name, '', {})] })),
      ]),
      bridge('br-tun', [
        ...desired.ports.filter((p) => p.bridge === 'br-tun').map((p) => ({ name: p.name, tag: undefined, otherConfig: {}, interfaces: [iface(p.name, p.type, p.options)] })),
        { name: 'vxlan-0a000009', tag: undefined, otherConfig: {}, interfaces: [iface('vxlan-0a000009', 'vxlan', {})] },
      ]),
      bridge('br-eth', desired.ports.filter((p) => p.bridge === 'br-eth').map((p) => ({ name: p.name, tag: undefined, otherConfig: {}, interfaces: [iface(p.name, p.type, p.options)] }))),
    ];
    // A stale tunnel port goes, unless a restarted agent still waits for its entries.
    assert.deepEqual(planSwitch(desired, matching, SETTINGS, false), [['--if-exists', 'del-port', 'br-tun', 'vxlan-0a000009']]);
    assert.deepEqual(planSwitch(desired, matching, SETTINGS, true), []);
  });

  it('acts on flow differences: deletes by match and priority, never a learned flow, only adds while keeping', () => {
    const differences = [
      { sign: '-' as const, flow: 'table=20 priority=1,dl_vlan=1,dl_dst=fa:16:3e:00:00:05 cookie=0x1 hard_timeout=300 actions=output:5' },
      { sign: '-' as const, flow: 'table=22 priority=1,dl_vlan=9 actions=pop_vlan,output:7' },
      { sign: '+' as const, flow: 'table=4 priority=1,tun_id=0x3e9 actions=push_vlan:0x8100,set_field:4097->vlan_vid,resubmit(,10)' },
    ];
    assert.deepEqual(planFlows('br-tun', differences, false).lines, [
      'delete_strict table=22,priority=1,dl_vlan=9',
      'add table=4 priority=1,tun_id=0x3e9 actions=push_vlan:0x8100,set_field:4097->vlan_vid,resubmit(,10)',
    ]);
    assert.deepEqual(planFlows('br-tun', differences, true).lines, ['add table=4 priority=1,tun_id=0x3e9 actions=push_vlan:0x8100,set_field:4097->vlan_vid,resubmit(,10)']);
  });
});
