/**
 * The Linux bridge firewall's planner without root: the nftables text a set
 * of ports and groups gives (ruleset.ts), the server's answer read into it
 * (fromServer.ts), and which script a pass runs (firewall.ts). The kernel
 * runs it in test/e2e/agents.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { firewallScript, sortElements, zonesOf } from '../../../src/agents/l2/firewall/firewall.js';
import { firewallInput } from '../../../src/agents/l2/firewall/fromServer.js';
import type { FilteredPort, FirewallInput, FirewallRule } from '../../../src/agents/l2/firewall/model.js';
import { assignZones, buildRuleset, linkLocalOf, type Ruleset } from '../../../src/agents/l2/firewall/ruleset.js';
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
    const { tables } = buildRuleset(input([], { ports: [port({ securityGroups: [DEFAULT, WEB] })], groups: new Map([[WEB, []], [DEFAULT, []]]) }));
    const ingress = chainOf(tables, 'profile-1-ingress');
    assert.deepEqual(ingress.slice(0, 3), ['ct state invalid drop', 'ct state related accept', 'ct direction reply ct state established accept']);
    assert.ok(ingress.includes('meta nfproto ipv4 udp sport 67 udp dport 68 accept'), 'DHCP replies reach the port');
    assert.deepEqual(ingress.slice(-3), [`jump sg-${WEB}-ingress`, `jump sg-${DEFAULT}-ingress`, 'drop']);
    assert.deepEqual(chainOf(tables, 'profile-1-egress').slice(-3), [`jump sg-${WEB}-egress`, `jump sg-${DEFAULT}-egress`, 'drop']);
  });

  it('a rule or address it cannot read allows nothing and costs nothing else: unknown protocols, bad prefixes, bad members are left out', () => {
    const rules: FirewallRule[] = [
      { direction: 'ingress', ethertype: 'IPv4', protocol: 'warp' },
      { direction: 'ingress', ethertype: 'IPv4', protocol: '300' },
      { direction: 'ingress', ethertype: 'IPv4', source_ip_prefix: '10.0.0.0/33' },
      { direction: 'ingress', ethertype: 'IPv4', source_ip_prefix: 'fd00::/64' },
      { direction: 'ingress', ethertype: 'IPv4', source_ip_prefix: '10.1.2.3/16', protocol: 'tcp' },
      { direction: 'ingress', ethertype: 'IPv4', remote_group_id: WEB },
    ];
    const ruleset = buildRuleset(input(rules, { members: new Map([[WEB, { v4: ['10.0.0.7', 'nonsense', 'fd00::1'], v6: [] }]]) }));
    assert.deepEqual(chainOf(ruleset.tables, `sg-${WEB}-ingress`), ['meta nfproto ipv4 ip saddr 10.1.0.0/16 meta l4proto 6 accept', `meta nfproto ipv4 ip saddr @sg-${WEB}-v4 accept`]);
    assert.deepEqual(ruleset.holders.get(`inet sg-${WEB}-v4`)?.elements, ['10.0.0.7']);
    const odd = buildRuleset(input([], { ports: [port({ fixedIps: ['10.0.0.5', 'bogus'], allowedAddressPairs: [{ ip: '10.0.9.7/24', mac: 'not-a-mac' }] })] }));
    assert.deepEqual(odd.holders.get('bridge port_v4')?.elements, ['"tap11111111-11" . 10.0.0.5', '"tap11111111-11" . 10.0.9.0/24']);
    assert.deepEqual(odd.holders.get('bridge port_macs')?.elements, ['"tap11111111-11" . fa:16:3e:00:00:01']);
  });

  it('a stateless group has no conntrack allowance', () => {
    const { tables } = buildRuleset(input([{ direction: 'ingress', ethertype: 'IPv4', stateful: false }], { statelessGroups: new Set([WEB]) }));
    assert.ok(!chainOf(tables, 'profile-1-ingress').some((line) => line.startsWith('ct ')));
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
    const memberSets = (holders: Ruleset['holders']) => Object.fromEntries([...holders.values()].filter((h) => h.family === 'inet').map((h) => [h.name, h.elements]));
    assert.deepEqual(memberSets(ruleset.holders), {
      [`sg-${WEB}-v4`]: ['10.0.0.5', '10.0.0.7'],
      [`sg-${WEB}-v6`]: ['fd00::5'],
      [`ag-${OFFICE}-v4`]: ['198.51.100.0/24'],
    });
    // A member joining changes the elements, not the tables.
    const joined = buildRuleset(input(rules, { members: new Map([...members, [WEB, { v4: ['10.0.0.5', '10.0.0.7', '10.0.0.9'], v6: ['fd00::5'] }]]) }));
    assert.equal(joined.tables, ruleset.tables);
    assert.deepEqual(memberSets(joined.holders)[`sg-${WEB}-v4`], ['10.0.0.5', '10.0.0.7', '10.0.0.9']);
  });

  it('a port may send only from its MACs and addresses, its allowed address pairs and its link-local address, and never as a DHCP server or router', () => {
    const { tables, holders } = buildRuleset(
      input([], { ports: [port({ fixedIps: ['10.0.0.5', 'fd00::5'], allowedAddressPairs: [{ ip: '10.0.9.0/24', mac: 'fa:16:3e:00:00:99' }] })] }),
    );
    const tap = '"tap11111111-11"';
    assert.deepEqual(holders.get('bridge port_macs')?.elements, [`${tap} . fa:16:3e:00:00:01`, `${tap} . fa:16:3e:00:00:99`]);
    assert.deepEqual(holders.get('bridge port_v4')?.elements, [`${tap} . 10.0.0.5`, `${tap} . 10.0.9.0/24`]);
    assert.deepEqual(holders.get('bridge port_v6')?.elements, [`${tap} . fd00::5`, `${tap} . fe80::f816:3eff:fe00:1`, `${tap} . fe80::f816:3eff:fe00:99`]);
    assert.deepEqual(chainOf(tables, 'prerouting').slice(1), [
      'iifname != @ports accept',
      'meta mark set iifname map @port_profile',
      'iifname . ether saddr != @port_macs drop',
      'iifname . arp saddr ip != @port_v4 drop',
      'ip saddr 0.0.0.0 ip daddr 255.255.255.255 udp sport 68 udp dport 67 accept',
      'ether type ip udp sport 67 udp dport 68 drop',
      'iifname . ip saddr != @port_v4 drop',
      'ip6 saddr :: icmpv6 type { nd-neighbor-solicit, mld-listener-report, mld2-listener-report } accept',
      'iifname . ip6 saddr != @port_v6 drop',
      'ether type ip6 udp sport 547 udp dport 546 drop',
      'icmpv6 type nd-router-advert drop',
    ]);
    assert.equal(linkLocalOf('fa:16:3e:12:34:56'), 'fe80::f816:3eff:fe12:3456');
  });

  it('ports with the same groups share a profile: its id marks their packets, source in the low 16 bits, destination in the high 16 bits', () => {
    const { tables, holders } = buildRuleset(
      input([], { ports: [port({ device: 'tapc', securityGroups: [DEFAULT] }), port({ device: 'tapb' }), port({ device: 'tapa' })], groups: new Map([[WEB, []], [DEFAULT, []]]) }),
    );
    // Profiles in a stable order: WEB's id sorts first.
    assert.deepEqual(holders.get('bridge port_profile')?.elements, ['"tapa" : 0x00000001', '"tapb" : 0x00000001', '"tapc" : 0x00000002']);
    assert.deepEqual(holders.get('bridge port_to')?.elements, ['"tapa" : jump to-1', '"tapb" : jump to-1', '"tapc" : jump to-2']);
    assert.deepEqual(chainOf(tables, 'to-2'), ['meta mark set meta mark | 0x00020000']);
    assert.deepEqual(chainOf(tables, 'ingress').slice(1), ['meta mark & 0xffff0000 vmap { 0x00010000 : jump profile-1-ingress, 0x00020000 : jump profile-2-ingress }']);
    assert.deepEqual(chainOf(tables, 'egress').slice(1), ['meta mark & 0x0000ffff vmap { 0x00000001 : jump profile-1-egress, 0x00000002 : jump profile-2-egress }']);
    // A third port like the first two changes elements only.
    const more = buildRuleset(input([], { ports: [port({ device: 'tapc', securityGroups: [DEFAULT] }), port({ device: 'tapb' }), port({ device: 'tapa' }), port({ device: 'tapd' })], groups: new Map([[WEB, []], [DEFAULT, []]]) }));
    assert.equal(more.tables, tables);
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

  it('replaces both tables when it does not know them, when they were changed by hand, or when their chains or sets change', () => {
    for (const [script, why] of [
      [firewallScript(first, undefined, ''), 'first pass'],
      [firewallScript(first, applied, 'flushed'), 'drift'],
      [firewallScript(buildRuleset(input([], { members: members(['10.0.0.5']) })), applied, 'as listed'), 'rules'],
    ] as const) {
      assert.match(script, /^table bridge nucleon-sg\ndelete table bridge nucleon-sg\ntable inet nucleon-sg\ndelete table inet nucleon-sg\ntable bridge nucleon-sg \{/, why);
    }
    assert.match(firewallScript(first, undefined, ''), new RegExp(`\\nadd element inet nucleon-sg sg-${WEB}-v4 \\{ 10.0.0.5 \\}\\n`));
    assert.match(firewallScript(first, undefined, ''), /\nadd element bridge nucleon-sg port_v4 \{ "tap11111111-11" \. 10.0.0.5 \}\n/);
  });

  it('rewrites only the chain of a group whose rules changed', () => {
    const more = buildRuleset(input([...rules, { direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 22, port_range_max: 22 }], { members: members(['10.0.0.5']) }));
    assert.equal(
      firewallScript(more, applied, 'as listed'),
      `flush chain inet nucleon-sg sg-${WEB}-ingress\n` +
        `add rule inet nucleon-sg sg-${WEB}-ingress meta nfproto ipv4 ip saddr @sg-${WEB}-v4 accept\n` +
        `add rule inet nucleon-sg sg-${WEB}-ingress meta nfproto ipv4 meta l4proto 6 th dport 22 accept\n`,
    );
  });

  it('changes only the sets and maps whose elements changed (members, ports), and nothing when nothing did', () => {
    assert.equal(firewallScript(first, applied, 'as listed'), '');
    const joined = buildRuleset(input(rules, { members: members(['10.0.0.5', '10.0.0.6']) }));
    assert.equal(firewallScript(joined, applied, 'as listed'), `flush set inet nucleon-sg sg-${WEB}-v4\nadd element inet nucleon-sg sg-${WEB}-v4 { 10.0.0.5, 10.0.0.6 }\n`);
    const emptied = buildRuleset(input(rules, { members: members([]) }));
    assert.equal(firewallScript(emptied, applied, 'as listed'), `flush set inet nucleon-sg sg-${WEB}-v4\n`);
    const another = buildRuleset(input(rules, { members: members(['10.0.0.5']), ports: [port(), port({ device: 'tap22222222-22', fixedIps: ['10.0.0.6'], mac: 'fa:16:3e:00:00:02' })] }));
    assert.deepEqual(
      firewallScript(another, applied, 'as listed').split('\n').filter((line) => line.startsWith('flush')),
      ['flush set bridge nucleon-sg ports', 'flush map bridge nucleon-sg port_profile', 'flush map bridge nucleon-sg port_to', 'flush set bridge nucleon-sg port_macs', 'flush set bridge nucleon-sg port_v4', 'flush set bridge nucleon-sg port_v6'],
    );
  });
});

describe('Linux bridge firewall: comparing listings', () => {
  it('puts the elements nft lists in hash order in one order, whatever the line breaks', () => {
    const listed = '\tset ports {\n\t\ttype ifname\n\t\telements = { "tapb",\n\t\t\t     "tapa" }\n\t}\n\tmap port_to {\n\t\telements = { "tapb" : jump to-2, "tapa" : jump to-1 }\n\t}';
    assert.equal(
      sortElements(listed),
      '\tset ports {\n\t\ttype ifname\n\t\telements = { "tapa", "tapb" }\n\t}\n\tmap port_to {\n\t\telements = { "tapa" : jump to-1, "tapb" : jump to-2 }\n\t}',
    );
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
