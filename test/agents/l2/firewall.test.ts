/**
 * The Linux bridge firewall's planner without root: the nftables text a set
 * of ports and groups gives (ruleset.ts), the server's answer read into it
 * (fromServer.ts), and which script a pass runs (firewall.ts). The kernel
 * runs it in test/e2e/agents.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { firewallScript, zonesOf } from '../../../src/agents/l2/firewall/firewall.js';
import { firewallInput } from '../../../src/agents/l2/firewall/fromServer.js';
import type { FilteredPort, FirewallInput, FirewallRule } from '../../../src/agents/l2/firewall/model.js';
import { assignZones, buildRuleset, linkLocalOf } from '../../../src/agents/l2/firewall/ruleset.js';
import type { SecurityGroupInfo } from '../../../src/rpc/contract/index.js';

const WEB = '0c6bd6a1-6d5e-4c7b-9a39-5d1b2a3c4d5e';
const DEFAULT = '7e2f3c4d-1a2b-4c5d-8e9f-0a1b2c3d4e5f';
const OFFICE = 'aa11bb22-cc33-4d44-8e55-ff6677889900';

const port = (over: Partial<FilteredPort> = {}): FilteredPort => ({
  device: 'tap11111111-11',
  bridge: 'brq5f8c1a2b-3d',
  mac: 'fa:16:3e:00:00:01',
  fixedIps: ['10.0.0.5'],
  allowedAddressPairs: [],
  securityGroups: [WEB],
  ...over,
});

const input = (rules: FirewallRule[], over: Partial<FirewallInput> = {}): FirewallInput => ({
  ports: [port()],
  groups: new Map([[WEB, rules]]),
  members: new Map(),
  statelessGroups: new Set(),
  zones: new Map(),
  ...over,
});

/** The rules of a chain, as the ruleset writes them. */
function chainOf(tables: string, name: string): string[] {
  const match = tables.match(new RegExp(`\\tchain ${name} \\{\\n([\\s\\S]*?)\\n\\t\\}`));
  assert.ok(match, `chain ${name} in\n${tables}`);
  return match[1]!.split('\n').map((line) => line.trim());
}

describe('Linux bridge firewall: the ruleset', () => {
  it('translates rules as Neutron means them: protocols by name or number, port ranges, ICMP type and code, prefixes by direction', () => {
    const rules: FirewallRule[] = [
      { direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 22, port_range_max: 22, source_ip_prefix: '192.0.2.0/24' },
      { direction: 'ingress', ethertype: 'IPv4', protocol: '17', port_range_min: 1000, port_range_max: 2000 },
      { direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', port_range_min: 8, port_range_max: 0 },
      { direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp' },
      { direction: 'ingress', ethertype: 'IPv6', protocol: 'icmp', port_range_min: 128 },
      { direction: 'ingress', ethertype: 'IPv4', protocol: 'gre' },
      { direction: 'ingress', ethertype: 'IPv4', protocol: 'any', source_ip_prefix: '0.0.0.0/0' },
      { direction: 'egress', ethertype: 'IPv6', dest_ip_prefix: '2001:db8::/32' },
    ];
    const { tables } = buildRuleset(input(rules));
    assert.deepEqual(chainOf(tables, `sg-${WEB}-ingress`), [
      'meta nfproto ipv4 ip saddr 192.0.2.0/24 meta l4proto 6 th dport 22 accept',
      'meta nfproto ipv4 meta l4proto 17 th dport 1000-2000 accept',
      'meta nfproto ipv4 icmp type 8 icmp code 0 accept',
      'meta nfproto ipv4 meta l4proto icmp accept',
      'meta nfproto ipv6 icmpv6 type 128 accept',
      'meta nfproto ipv4 meta l4proto 47 accept',
      'meta nfproto ipv4 accept',
    ]);
    assert.deepEqual(chainOf(tables, `sg-${WEB}-egress`), ['meta nfproto ipv6 ip6 daddr 2001:db8::/32 accept']);
  });

  it('a port checks its groups in turn after Neutron\'s default allowances; replies pass by conntrack, original packets meet the rules', () => {
    const { tables } = buildRuleset(input([], { ports: [port({ securityGroups: [WEB, DEFAULT] })], groups: new Map([[WEB, []], [DEFAULT, []]]) }));
    const ingress = chainOf(tables, 'tap11111111-11-ingress');
    assert.deepEqual(ingress.slice(0, 3), ['ct state invalid drop', 'ct state related accept', 'ct direction reply ct state established accept']);
    assert.ok(ingress.includes('meta nfproto ipv4 udp sport 67 udp dport 68 accept'), 'DHCP replies reach the port');
    assert.deepEqual(ingress.slice(-3), [`jump sg-${WEB}-ingress`, `jump sg-${DEFAULT}-ingress`, 'drop']);
    assert.deepEqual(chainOf(tables, 'tap11111111-11-egress').slice(-3), [`jump sg-${WEB}-egress`, `jump sg-${DEFAULT}-egress`, 'drop']);
  });

  it('a stateless group has no conntrack allowance', () => {
    const { tables } = buildRuleset(input([{ direction: 'ingress', ethertype: 'IPv4', stateful: false }], { statelessGroups: new Set([WEB]) }));
    assert.ok(!chainOf(tables, 'tap11111111-11-ingress').some((line) => line.startsWith('ct ')));
  });

  it('remote groups and address groups are sets by IP version, their members apart from the rules', () => {
    const rules: FirewallRule[] = [
      { direction: 'ingress', ethertype: 'IPv4', remote_group_id: WEB },
      { direction: 'ingress', ethertype: 'IPv6', remote_group_id: WEB },
      { direction: 'egress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 443, port_range_max: 443, remote_address_group_id: OFFICE },
    ];
    const members = new Map([
      [WEB, { v4: ['10.0.0.7', '10.0.0.5', '10.0.0.7'], v6: ['fd00::5'] }],
      [OFFICE, { v4: ['198.51.100.0/24'], v6: [] }],
    ]);
    const ruleset = buildRuleset(input(rules, { members }));
    assert.deepEqual(chainOf(ruleset.tables, `sg-${WEB}-ingress`), [
      `meta nfproto ipv4 ip saddr @sg-${WEB}-v4 accept`,
      `meta nfproto ipv6 ip6 saddr @sg-${WEB}-v6 accept`,
    ]);
    assert.deepEqual(chainOf(ruleset.tables, `sg-${WEB}-egress`), [`meta nfproto ipv4 ip daddr @ag-${OFFICE}-v4 meta l4proto 6 th dport 443 accept`]);
    assert.deepEqual(Object.fromEntries(ruleset.elements), {
      [`sg-${WEB}-v4`]: ['10.0.0.5', '10.0.0.7'],
      [`sg-${WEB}-v6`]: ['fd00::5'],
      [`ag-${OFFICE}-v4`]: ['198.51.100.0/24'],
    });
    // A member joining changes the elements, not the tables.
    const joined = buildRuleset(input(rules, { members: new Map([...members, [WEB, { v4: ['10.0.0.5', '10.0.0.7', '10.0.0.9'], v6: ['fd00::5'] }]]) }));
    assert.equal(joined.tables, ruleset.tables);
    assert.deepEqual(joined.elements.get(`sg-${WEB}-v4`), ['10.0.0.5', '10.0.0.7', '10.0.0.9']);
  });

  it('a port may send only from its MACs and addresses, its allowed address pairs and its link-local address, and never as a DHCP server or router', () => {
    const { tables } = buildRuleset(
      input([], { ports: [port({ fixedIps: ['10.0.0.5', 'fd00::5'], allowedAddressPairs: [{ ip: '10.0.9.0/24', mac: 'fa:16:3e:00:00:99' }] })] }),
    );
    assert.deepEqual(chainOf(tables, 'tap11111111-11-spoof'), [
      'ether saddr != { fa:16:3e:00:00:01, fa:16:3e:00:00:99 } drop',
      'arp saddr ip != { 10.0.0.5, 10.0.9.0/24 } drop',
      'ip saddr 0.0.0.0 ip daddr 255.255.255.255 udp sport 68 udp dport 67 return',
      'ether type ip udp sport 67 udp dport 68 drop',
      'ip saddr != { 10.0.0.5, 10.0.9.0/24 } drop',
      'ip6 saddr :: icmpv6 type { nd-neighbor-solicit, mld-listener-report, mld2-listener-report } return',
      'ip6 saddr != { fd00::5, fe80::f816:3eff:fe00:1, fe80::f816:3eff:fe00:99 } drop',
      'ether type ip6 udp sport 547 udp dport 546 drop',
      'icmpv6 type nd-router-advert drop',
    ]);
    assert.equal(linkLocalOf('fa:16:3e:12:34:56'), 'fe80::f816:3eff:fe12:3456');
  });

  it('marks packets by port: source in the low 16 bits, destination in the high 16 bits, and dispatches on them', () => {
    const { tables } = buildRuleset(input([], { ports: [port({ device: 'tapbbb' }), port({ device: 'tapaaa' })] }));
    assert.deepEqual(chainOf(tables, 'prerouting').slice(1), [
      'meta mark set iifname map { "tapaaa" : 0x00000001, "tapbbb" : 0x00000002 }',
      'iifname vmap { "tapaaa" : jump tapaaa-spoof, "tapbbb" : jump tapbbb-spoof }',
    ]);
    assert.deepEqual(chainOf(tables, 'tapbbb-to'), ['meta mark set meta mark | 0x00020000']);
    assert.deepEqual(chainOf(tables, 'ingress').slice(1), ['meta mark & 0xffff0000 vmap { 0x00010000 : jump tapaaa-ingress, 0x00020000 : jump tapbbb-ingress }']);
    assert.deepEqual(chainOf(tables, 'egress').slice(1), ['meta mark & 0x0000ffff vmap { 0x00000001 : jump tapaaa-egress, 0x00000002 : jump tapbbb-egress }']);
  });

  it('gives each bridge a conntrack zone and keeps the zones it had', () => {
    assert.deepEqual([...assignZones(['brqb', 'brqa', 'brqc'], new Map([['brqc', 1], ['brqgone', 2]]))], [['brqa', 2], ['brqb', 3], ['brqc', 1]]);
    const { tables } = buildRuleset(input([], { ports: [port({ bridge: 'brqx' })], zones: new Map([['brqx', 7]]) }));
    assert.deepEqual(chainOf(tables, 'zone-in').slice(1), ['ct zone set iifname map { "brqx" : 7 }']);
    assert.deepEqual([...zonesOf(tables)], [['brqx', 7]]);
    assert.deepEqual([...zonesOf(undefined)], []);
  });

  it('no filtered port: both tables, empty, still valid for nft (no empty maps)', () => {
    const { tables } = buildRuleset(input([], { ports: [] }));
    assert.doesNotMatch(tables, /\{ \}/);
    assert.deepEqual(chainOf(tables, 'ingress'), ['type filter hook forward priority filter; policy accept;']);
  });
});

describe('Linux bridge firewall: what a pass runs', () => {
  const rules: FirewallRule[] = [{ direction: 'ingress', ethertype: 'IPv4', remote_group_id: WEB }];
  const members = (v4: string[]) => new Map([[WEB, { v4, v6: [] }]]);
  const first = buildRuleset(input(rules, { members: members(['10.0.0.5']) }));
  const applied = { ruleset: first, listing: 'as listed' };

  it('replaces both tables when it does not know them, when they were changed by hand, or when rules changed', () => {
    for (const [script, why] of [
      [firewallScript(first, undefined, ''), 'first pass'],
      [firewallScript(first, applied, 'flushed'), 'drift'],
      [firewallScript(buildRuleset(input([], { members: members(['10.0.0.5']) })), applied, 'as listed'), 'rules'],
    ] as const) {
      assert.match(script, /^table bridge nucleon-sg\ndelete table bridge nucleon-sg\ntable inet nucleon-sg\ndelete table inet nucleon-sg\ntable bridge nucleon-sg \{/, why);
    }
    assert.match(firewallScript(first, undefined, ''), new RegExp(`add element inet nucleon-sg sg-${WEB}-v4 \\{ 10.0.0.5 \\}\\n$`));
  });

  it('changes only the sets whose members changed, and nothing when nothing did', () => {
    assert.equal(firewallScript(first, applied, 'as listed'), '');
    const joined = buildRuleset(input(rules, { members: members(['10.0.0.5', '10.0.0.6']) }));
    assert.equal(firewallScript(joined, applied, 'as listed'), `flush set inet nucleon-sg sg-${WEB}-v4\nadd element inet nucleon-sg sg-${WEB}-v4 { 10.0.0.5, 10.0.0.6 }\n`);
    const emptied = buildRuleset(input(rules, { members: members([]) }));
    assert.equal(firewallScript(emptied, applied, 'as listed'), `flush set inet nucleon-sg sg-${WEB}-v4\n`);
  });
});

describe('Linux bridge firewall: the server\'s answer', () => {
  it('filters ports with port security on a bridge of this host, members as [ip, mac] or bare addresses, stateless groups known', () => {
    const info: SecurityGroupInfo = {
      devices: {
        p1: { id: 'p1', device: 'tapp1', network_id: 'n1', mac_address: 'FA:16:3E:00:00:01', fixed_ips: ['10.0.0.5'], allowed_address_pairs: [{ ip_address: '10.0.0.100' }], port_security_enabled: true, security_groups: [WEB] },
        p2: { id: 'p2', device: 'tapp2', network_id: 'n1', mac_address: 'fa:16:3e:00:00:02', fixed_ips: [], allowed_address_pairs: [], port_security_enabled: false, security_groups: [] },
        p3: { id: 'p3', device: 'tapp3', network_id: 'elsewhere', mac_address: 'fa:16:3e:00:00:03', fixed_ips: [], allowed_address_pairs: [], port_security_enabled: true, security_groups: [WEB] },
      },
      security_groups: { [WEB]: [{ direction: 'ingress', ethertype: 'IPv4', remote_group_id: WEB, stateful: false }] },
      sg_member_ips: { [WEB]: { IPv4: [['10.0.0.5', null], '10.0.0.6', ['10.0.0.100', 'fa:16:3e:00:00:01']] } },
    };
    const read = firewallInput(info, (network) => (network === 'n1' ? 'brqn1' : undefined));
    assert.deepEqual(read.ports, [
      { device: 'tapp1', bridge: 'brqn1', mac: 'fa:16:3e:00:00:01', fixedIps: ['10.0.0.5'], allowedAddressPairs: [{ ip: '10.0.0.100', mac: 'fa:16:3e:00:00:01' }], securityGroups: [WEB] },
    ]);
    assert.deepEqual(read.members.get(WEB), { v4: ['10.0.0.5', '10.0.0.6', '10.0.0.100'], v6: [] });
    assert.deepEqual([...read.statelessGroups], [WEB]);
  });
});
