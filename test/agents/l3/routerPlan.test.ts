/**
 * The per-router diff without root: the exact steps (devices, addresses,
 * routes, sysctls, the nft table, the Open vSwitch plugs) a pass plans for
 * what it observes, and none when everything is in place.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { fipStatusUpdate } from '../../../src/agents/l3/fipStatus.js';
import { parseRouter, type Router } from '../../../src/agents/l3/model.js';
import { floatingMappings, renderNatTable } from '../../../src/agents/l3/natTable.js';
import { leftoverNamespaces } from '../../../src/agents/l3/observe.js';
import { describeStep } from '../../../src/agents/l3/plan.js';
import { hostedRouters } from '../../../src/agents/l3/routerPass.js';
import { routerPlan, teardownPlan, type HostSnapshot, type ObservedRouter, type RouterPlanSettings } from '../../../src/agents/l3/routerPlan.js';

const ROUTER = 'aaaaaaaa-1111-2222-3333-444444444444';
const GW_PORT = 'bbbbbbbb-0001-0000-0000-000000000000';
const IF_PORT = 'cccccccc-0001-0000-0000-000000000000';
const FIP = 'ffffffff-0001-0000-0000-000000000000';
const NS = `qrouter-${ROUTER}`;

const settings: RouterPlanSettings = { hostNetns: 'hostns', namespacePrefix: 'qrouter-', metadataStateDir: '/s/md' };

/** What the server sends for a router with a gateway, one interface and one floating IP. */
const syncRouter = (overrides: Record<string, unknown> = {}) => ({
  id: ROUTER,
  admin_state_up: true,
  external_gateway_info: { network_id: 'ext-net', enable_snat: true },
  routes: [],
  gw_port: {
    id: GW_PORT,
    network_id: 'ext-net',
    mac_address: 'fa:16:3e:00:00:0a',
    fixed_ips: [{ subnet_id: 'ext-sub', ip_address: '10.252.0.10', prefixlen: 24 }],
    subnets: [{ id: 'ext-sub', cidr: '10.252.0.0/24', gateway_ip: '10.252.0.1' }],
    mtu: 1500,
  },
  _interfaces: [
    {
      id: IF_PORT,
      network_id: 'net1',
      mac_address: 'fa:16:3e:00:00:01',
      fixed_ips: [{ subnet_id: 'sub1', ip_address: '10.251.0.1', prefixlen: 24 }],
      subnets: [{ id: 'sub1', cidr: '10.251.0.0/24', gateway_ip: '10.251.0.1' }],
      mtu: 1450,
    },
  ],
  _floatingips: [
    { id: FIP, floating_ip_address: '10.252.0.20', floating_network_id: 'ext-net', fixed_ip_address: '10.251.0.12', port_id: 'vm2-port', router_id: ROUTER, status: 'DOWN' },
  ],
  ...overrides,
});

const router = parseRouter(syncRouter());

const nothing: ObservedRouter = { namespaceExists: false, links: [], cidrs: new Map(), routes: [], sysctlsInPlace: false, natTable: undefined, metadataProxy: 'absent' };
const emptyHost: HostSnapshot = { namespaces: new Set(), hostLinks: new Set() };

const EXPECTED_TABLE = `table ip neutron-l3-agent {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		ip daddr 10.252.0.20 dnat to 10.251.0.12
	}

	chain output {
		type nat hook output priority -100; policy accept;
		ip daddr 10.252.0.20 dnat to 10.251.0.12
	}

	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		iifname != "qg-bbbbbbbb-00" oifname != "qg-bbbbbbbb-00" ct status ! dnat accept
		ip saddr 10.251.0.12 snat to 10.252.0.20
		iifname != "qg-bbbbbbbb-00" ct status dnat snat to 10.252.0.10
		oifname "qg-bbbbbbbb-00" snat to 10.252.0.10
	}
}
`;

/** The host after the first pass's plan was applied. */
function inPlace(r: Router = router, table = renderNatTable({}, r)): { observed: ObservedRouter; snapshot: HostSnapshot } {
  return {
    observed: {
      namespaceExists: true,
      links: [
        { ifname: 'lo', ifindex: 1, mtu: 65536, flags: ['LOOPBACK', 'UP'] },
        { ifname: 'qr-cccccccc-00', ifindex: 2, mtu: 1450, address: 'fa:16:3e:00:00:01', flags: ['UP'] },
        { ifname: 'qg-bbbbbbbb-00', ifindex: 3, mtu: 1500, address: 'fa:16:3e:00:00:0a', flags: ['UP'] },
      ],
      cidrs: new Map([
        ['lo', []],
        ['qr-cccccccc-00', ['10.251.0.1/24']],
        ['qg-bbbbbbbb-00', ['10.252.0.10/24', ...r.floatingIps.map((f) => `${f.floatingAddress}/32`)]],
      ]),
      routes: [
        { dst: 'default', gateway: '10.252.0.1', dev: 'qg-bbbbbbbb-00' },
        { dst: '10.251.0.0/24', dev: 'qr-cccccccc-00', protocol: 'kernel' },
        { dst: '10.252.0.0/24', dev: 'qg-bbbbbbbb-00', protocol: 'kernel' },
      ],
      sysctlsInPlace: true,
      natTable: table,
      metadataProxy: 'absent',
    },
    snapshot: { namespaces: new Set([NS]), hostLinks: new Set(['tapcccccccc-00', 'tapbbbbbbbb-00']) },
  };
}

describe('router plan', () => {
  test('a new router: namespace, veth pairs, addresses, default route, sysctls, the NAT table, gratuitous ARP', () => {
    const steps = routerPlan(settings, router, nothing, emptyHost);
    assert.deepEqual(steps.slice(0, 4), [
      { kind: 'add-namespace', name: NS },
      {
        kind: 'ip',
        netns: 'hostns',
        lines: [
          `link add tapcccccccc-00 mtu 1450 type veth peer name qr-cccccccc-00 netns ${NS}`,
          'link set tapcccccccc-00 up',
          `link add tapbbbbbbbb-00 mtu 1500 type veth peer name qg-bbbbbbbb-00 netns ${NS}`,
          'link set tapbbbbbbbb-00 up',
        ],
      },
      {
        kind: 'ip',
        netns: NS,
        lines: [
          'link set qr-cccccccc-00 address fa:16:3e:00:00:01 mtu 1450 up',
          'addr add 10.251.0.1/24 dev qr-cccccccc-00',
          'link set qg-bbbbbbbb-00 address fa:16:3e:00:00:0a mtu 1500 up',
          'addr add 10.252.0.10/24 dev qg-bbbbbbbb-00',
          'addr add 10.252.0.20/32 dev qg-bbbbbbbb-00',
          'route replace default via 10.252.0.1 dev qg-bbbbbbbb-00',
        ],
      },
      { kind: 'sysctl', netns: NS, settings: ['net.ipv4.ip_forward=1', 'net.ipv4.conf.all.arp_ignore=1', 'net.ipv4.conf.all.arp_announce=2', 'net.ipv6.conf.all.forwarding=1'] },
    ]);
    assert.deepEqual(steps[4], { kind: 'nft', netns: NS, table: { family: 'ip', name: 'neutron-l3-agent' }, definition: EXPECTED_TABLE });
    assert.deepEqual(steps.slice(5), [
      { kind: 'announce', netns: NS, device: 'qg-bbbbbbbb-00', address: '10.252.0.10' },
      { kind: 'announce', netns: NS, device: 'qg-bbbbbbbb-00', address: '10.252.0.20' },
    ]);
  });

  test('everything in place: nothing to do', () => {
    const { observed, snapshot } = inPlace();
    assert.deepEqual(routerPlan(settings, router, observed, snapshot), []);
  });

  test('a removed floating IP: its address and rules go, its connections are flushed', () => {
    const { observed, snapshot } = inPlace();
    const without = parseRouter(syncRouter({ _floatingips: [] }));
    const steps = routerPlan(settings, without, observed, snapshot);
    assert.deepEqual(
      steps.map((s) => s.kind),
      ['ip', 'nft', 'flush-conntrack'],
    );
    assert.deepEqual(steps[0], { kind: 'ip', netns: NS, lines: ['addr del 10.252.0.20/32 dev qg-bbbbbbbb-00', 'route replace default via 10.252.0.1 dev qg-bbbbbbbb-00'] });
    assert.deepEqual(steps[2], { kind: 'flush-conntrack', netns: NS, address: '10.252.0.20' });
    assert.doesNotMatch((steps[1] as { definition: string }).definition, /10\.252\.0\.20/);
  });

  test('a floating IP moved to another fixed address: rules replaced, connections flushed, no address change', () => {
    const { observed, snapshot } = inPlace();
    const moved = parseRouter(
      syncRouter({
        _floatingips: [{ id: FIP, floating_ip_address: '10.252.0.20', floating_network_id: 'ext-net', fixed_ip_address: '10.251.0.13', port_id: 'p', router_id: ROUTER }],
      }),
    );
    assert.deepEqual(
      routerPlan(settings, moved, observed, snapshot).map((s) => s.kind),
      ['nft', 'flush-conntrack'],
    );
  });

  test("a table this host's nft lists in other words than ours, as it listed it after the agent wrote it, is in place", () => {
    const definition = renderNatTable({}, router);
    const otherWords = definition.replace('ct status ! dnat', 'ct status & dnat == 0');
    const { observed, snapshot } = inPlace(router, otherWords);
    assert.equal(routerPlan(settings, router, observed, snapshot)[0]?.kind, 'nft');
    assert.deepEqual(routerPlan(settings, router, observed, snapshot, { definition, listed: otherWords }), []);
    const changed = parseRouter(syncRouter({ external_gateway_info: { network_id: 'ext-net', enable_snat: false } }));
    assert.equal(routerPlan(settings, changed, observed, snapshot, { definition, listed: otherWords })[0]?.kind, 'nft', 'a new definition is written');
  });

  test('drift: a flushed table, a removed address, a sysctl reset, a lost tap', () => {
    const { observed, snapshot } = inPlace();
    const flushed = observed.natTable!.replace(/\t\tip daddr.*\n/g, '');
    const drifted: ObservedRouter = { ...observed, natTable: flushed, sysctlsInPlace: false, cidrs: new Map([...observed.cidrs, ['qr-cccccccc-00', []]]) };
    const steps = routerPlan(settings, router, drifted, snapshot);
    assert.deepEqual(steps.map(describeStep).flat().slice(0, 3), [
      `ip -n ${NS} addr add 10.251.0.1/24 dev qr-cccccccc-00`,
      `ip -n ${NS} route replace default via 10.252.0.1 dev qg-bbbbbbbb-00`,
      `ip netns exec ${NS} sysctl -w net.ipv4.ip_forward=1 net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 net.ipv6.conf.all.forwarding=1`,
    ]);
    assert.equal(steps[2]?.kind, 'nft');

    const tapGone = routerPlan(settings, router, observed, { ...snapshot, hostLinks: new Set(['tapbbbbbbbb-00']) });
    assert.deepEqual(tapGone[0], { kind: 'ip', netns: NS, lines: ['link del qr-cccccccc-00'] });
    assert.equal(tapGone[1]?.kind, 'ip');
  });

  test('a port removed from the router: its device goes; extra routes added and removed', () => {
    const { observed, snapshot } = inPlace();
    const withRoutes: ObservedRouter = { ...observed, routes: [...observed.routes, { dst: '10.9.0.0/24', gateway: '10.251.0.254', dev: 'qr-cccccccc-00' }] };
    const changed = parseRouter(syncRouter({ _interfaces: [], routes: [{ destination: '10.8.0.0/16', nexthop: '10.252.0.254' }] }));
    const steps = routerPlan(settings, changed, withRoutes, snapshot);
    assert.deepEqual(steps[0], { kind: 'ip', netns: NS, lines: ['route del 10.9.0.0/24 via 10.251.0.254', 'link del qr-cccccccc-00'] });
    assert.deepEqual(steps[1], { kind: 'ip', netns: NS, lines: ['route replace 10.8.0.0/16 via 10.252.0.254'] });
  });

  test('extra routes as the kernel lists them (a host route without /32, a network by its address) are in place', () => {
    const { observed, snapshot } = inPlace();
    const listed: ObservedRouter = {
      ...observed,
      routes: [...observed.routes, { dst: '10.7.0.5', gateway: '10.251.0.254', dev: 'qr-cccccccc-00' }, { dst: '10.8.0.0/16', gateway: '10.252.0.254', dev: 'qg-bbbbbbbb-00' }],
    };
    const withRoutes = parseRouter(
      syncRouter({
        routes: [
          { destination: '10.7.0.5/32', nexthop: '10.251.0.254' },
          { destination: '10.8.1.0/16', nexthop: '10.252.0.254' },
        ],
      }),
    );
    assert.deepEqual(routerPlan(settings, withRoutes, listed, snapshot), []);
  });

  test('IPv6 on the gateway: its address, and a default route of that family too', () => {
    const dualStack = parseRouter(
      syncRouter({
        gw_port: {
          ...syncRouter().gw_port,
          fixed_ips: [...syncRouter().gw_port.fixed_ips, { subnet_id: 'ext-v6', ip_address: '2001:db8::10', prefixlen: 64 }],
          subnets: [...syncRouter().gw_port.subnets, { id: 'ext-v6', cidr: '2001:db8::/64', gateway_ip: 'fe80::1' }],
        },
      }),
    );
    const lines = routerPlan(settings, dualStack, nothing, emptyHost).flatMap(describeStep);
    assert.ok(lines.includes(`ip -n ${NS} addr add 2001:db8::10/64 dev qg-bbbbbbbb-00`));
    assert.ok(lines.includes(`ip -n ${NS} route replace default via fe80::1 dev qg-bbbbbbbb-00`), lines.join('\n'));
    assert.ok(!lines.some((line) => line.includes('arping') && line.includes('2001:db8')), 'no ARP for IPv6');
  });

  test('enable_snat false keeps the floating IPs but not the general SNAT; no gateway: no NAT at all', () => {
    const noSnat = renderNatTable({}, parseRouter(syncRouter({ external_gateway_info: { network_id: 'ext-net', enable_snat: false } })));
    assert.doesNotMatch(noSnat, /oifname "qg-bbbbbbbb-00" snat/);
    assert.match(noSnat, /ip saddr 10.251.0.12 snat to 10.252.0.20/);
    const internal = renderNatTable({}, parseRouter(syncRouter({ external_gateway_info: null, gw_port: null })));
    assert.doesNotMatch(internal, /snat|dnat to/);
    assert.deepEqual([...floatingMappings(EXPECTED_TABLE)], [['10.252.0.20', '10.251.0.12']]);
  });

  test('metadata proxy: the redirect from qr- devices and the guard of its port', () => {
    const table = renderNatTable({ metadataPort: 9697 }, router);
    assert.match(table, /\t\tiifname "qr-\*" ip daddr 169.254.169.254 tcp dport 80 redirect to :9697\n/);
    assert.match(table, /chain input \{\n\t\ttype filter hook input priority filter; policy accept;\n\t\ttcp dport 9697 ct status dnat accept\n\t\ttcp dport 9697 drop\n\t\}/);
    const withProxy: RouterPlanSettings = { ...settings, metadataProxy: { port: 9697, socketPath: '/s/mp' } };
    const { observed, snapshot } = inPlace(router, table);
    assert.deepEqual(routerPlan(withProxy, router, { ...observed, metadataProxy: 'current' }, snapshot), []);
    assert.deepEqual(
      routerPlan(withProxy, router, { ...observed, metadataProxy: 'stale' }, snapshot).map((s) => s.kind),
      ['ensure-metadata-proxy'],
    );
    // Its namespace deleted under it: the old proxy holds the old namespace, so it is stopped before a new one starts.
    assert.deepEqual(
      routerPlan(withProxy, router, { ...nothing, metadataProxy: 'current' }, emptyHost).slice(-2).map((s) => s.kind),
      ['stop-metadata-proxy', 'ensure-metadata-proxy'],
    );
  });

  test('teardown: proxy, devices, namespace', () => {
    assert.deepEqual(
      teardownPlan(settings, { namespace: NS, routerId: ROUTER, links: [{ ifname: 'lo', ifindex: 1, mtu: 65536, flags: [] }, { ifname: 'qg-x', ifindex: 2, mtu: 1500, flags: [] }] }),
      [
        { kind: 'stop-metadata-proxy', spec: { stateDir: '/s/md', owner: { kind: 'router', id: ROUTER } } },
        { kind: 'ip', netns: NS, lines: ['link del qg-x'] },
        { kind: 'delete-namespace', name: NS },
      ],
    );
  });
});

describe('router plan with interface_driver openvswitch', () => {
  const ovs = { bridge: 'br-int', connection: 'unix:/run/ovs/db.sock' };
  const withOvs: RouterPlanSettings = { ...settings, ovs };
  const plugged = new Map([
    ['tapcccccccc-00', IF_PORT],
    ['tapbbbbbbbb-00', GW_PORT],
  ]);
  const plugOf = (device: string, portId: string, mac: string) => ({ kind: 'ovs-plug', ...ovs, device, portId, mac });

  test('a new router: each tap joins br-int named as its port, right after the taps are made, the gateway too', () => {
    const steps = routerPlan(withOvs, router, nothing, { ...emptyHost, ovsPorts: new Map() });
    assert.deepEqual(
      steps.slice(0, 5).map((s) => s.kind),
      ['add-namespace', 'ip', 'ovs-plug', 'ovs-plug', 'ip'],
    );
    assert.equal((steps[1] as { netns: string }).netns, 'hostns');
    assert.deepEqual(steps[2], plugOf('tapcccccccc-00', IF_PORT, 'fa:16:3e:00:00:01'));
    assert.deepEqual(steps[3], plugOf('tapbbbbbbbb-00', GW_PORT, 'fa:16:3e:00:00:0a'));
    assert.deepEqual(describeStep(steps[2]!), [
      `ovs-vsctl --db=unix:/run/ovs/db.sock -- --may-exist add-port br-int tapcccccccc-00 -- set interface tapcccccccc-00 external_ids:iface-id=${IF_PORT} ` +
        'external_ids:attached-mac=fa:16:3e:00:00:01 external_ids:iface-status=active',
    ]);
  });

  test('everything in place and plugged: nothing to do', () => {
    const { observed, snapshot } = inPlace();
    assert.deepEqual(routerPlan(withOvs, router, observed, { ...snapshot, ovsPorts: plugged }), []);
  });

  test('a tap found unplugged, or plugged as another port, is plugged again and nothing else changes', () => {
    const { observed, snapshot } = inPlace();
    const unplugged = new Map([['tapbbbbbbbb-00', GW_PORT]]);
    assert.deepEqual(routerPlan(withOvs, router, observed, { ...snapshot, ovsPorts: unplugged }), [plugOf('tapcccccccc-00', IF_PORT, 'fa:16:3e:00:00:01')]);
    const renamed = new Map([...plugged, ['tapbbbbbbbb-00', '']]);
    assert.deepEqual(routerPlan(withOvs, router, observed, { ...snapshot, ovsPorts: renamed }), [plugOf('tapbbbbbbbb-00', GW_PORT, 'fa:16:3e:00:00:0a')]);
  });

  test('a lost tap is made again and plugged again, though br-int still lists its port', () => {
    const { observed, snapshot } = inPlace();
    const steps = routerPlan(withOvs, router, observed, { ...snapshot, hostLinks: new Set(['tapbbbbbbbb-00']), ovsPorts: plugged });
    assert.deepEqual(
      steps.map((s) => s.kind),
      ['ip', 'ip', 'ovs-plug', 'ip'],
    );
    assert.deepEqual(steps[2], plugOf('tapcccccccc-00', IF_PORT, 'fa:16:3e:00:00:01'));
  });

  test('linuxbridge plans no Open vSwitch step, whatever br-int holds', () => {
    const { observed, snapshot } = inPlace();
    assert.deepEqual(routerPlan(settings, router, observed, { ...snapshot, ovsPorts: new Map() }), []);
    assert.ok(!routerPlan(settings, router, nothing, emptyHost).some((s) => s.kind === 'ovs-plug'));
  });

  test("a port removed from the router: its device goes, then its tap's port leaves br-int", () => {
    const { observed, snapshot } = inPlace();
    const steps = routerPlan(withOvs, parseRouter(syncRouter({ _interfaces: [] })), observed, { ...snapshot, ovsPorts: plugged });
    assert.deepEqual(steps.slice(0, 2), [
      { kind: 'ip', netns: NS, lines: ['link del qr-cccccccc-00'] },
      { kind: 'ovs-unplug', ...ovs, device: 'tapcccccccc-00' },
    ]);
    assert.deepEqual(describeStep(steps[1]!), ['ovs-vsctl --db=unix:/run/ovs/db.sock -- --if-exists del-port br-int tapcccccccc-00']);
  });

  test("teardown: the router devices' taps leave br-int before the namespace goes", () => {
    const links = [
      { ifname: 'lo', ifindex: 1, mtu: 65536, flags: [] },
      { ifname: 'qr-cccccccc-00', ifindex: 2, mtu: 1450, flags: [] },
      { ifname: 'qg-bbbbbbbb-00', ifindex: 3, mtu: 1500, flags: [] },
    ];
    assert.deepEqual(
      teardownPlan(withOvs, { namespace: NS, routerId: ROUTER, links }).map((s) => (s.kind === 'ovs-unplug' ? `${s.kind} ${s.device}` : s.kind)),
      ['stop-metadata-proxy', 'ip', 'ovs-unplug tapcccccccc-00', 'ovs-unplug tapbbbbbbbb-00', 'delete-namespace'],
    );
  });
});

describe('which routers and namespaces', () => {
  test('routers that are down are not hosted; internal-only ones only with handle_internal_only_routers', () => {
    const down = parseRouter(syncRouter({ id: 'down', admin_state_up: false }));
    const internalOnly = parseRouter(syncRouter({ id: 'internal', external_gateway_info: null, gw_port: null }));
    assert.deepEqual(hostedRouters([router, down, internalOnly], true).map((r) => r.id), [ROUTER, 'internal']);
    assert.deepEqual(hostedRouters([router, down, internalOnly], false).map((r) => r.id), [ROUTER]);
  });

  test("leftovers: router namespaces of routers not hosted, never a name that only shares the prefix", () => {
    const other = 'bbbbbbbb-1111-2222-3333-444444444444';
    const snapshot: HostSnapshot = { namespaces: new Set([NS, `qrouter-${other}`, 'qrouter-lab', 'qdhcp-x', 'lab-qrouter']), hostLinks: new Set() };
    assert.deepEqual(leftoverNamespaces(settings, snapshot, new Set([ROUTER])), [`qrouter-${other}`]);
  });
});

describe('floating IP statuses', () => {
  test('ACTIVE once in place, only when the server shows otherwise; DOWN when gone; ERROR on failure', () => {
    const first = fipStatusUpdate(router, true, new Set());
    assert.deepEqual(first.statuses, { [FIP]: 'ACTIVE' });
    const active = parseRouter(syncRouter({ _floatingips: [{ ...syncRouter()._floatingips[0]!, status: 'ACTIVE' }] }));
    assert.deepEqual(fipStatusUpdate(active, true, first.inPlace).statuses, {});
    assert.deepEqual(fipStatusUpdate(parseRouter(syncRouter({ _floatingips: [] })), true, first.inPlace).statuses, { [FIP]: 'DOWN' });
    assert.deepEqual(fipStatusUpdate(active, false, first.inPlace).statuses, { [FIP]: 'ERROR' });
  });
});
