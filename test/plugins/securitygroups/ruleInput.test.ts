import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  checkRule,
  convertEthertype,
  convertIpPrefix,
  convertPort,
  convertProtocol,
  normalizedCidr,
  type RuleAttributes,
  ruleKey,
} from '../../../src/plugins/securitygroups/ruleInput.js';
import { expectNeutronError } from '../ipam/expectError.js';

const GROUP = '6f0c2c5e-0000-4000-8000-000000000001';
const OTHER = '6f0c2c5e-0000-4000-8000-000000000002';

const rule = (extra: Partial<RuleAttributes> = {}): RuleAttributes => ({
  security_group_id: GROUP,
  direction: 'ingress',
  ethertype: 'IPv4',
  protocol: null,
  port_range_min: null,
  port_range_max: null,
  remote_ip_prefix: null,
  remote_group_id: null,
  remote_address_group_id: null,
  ...extra,
});

describe('convertProtocol', () => {
  const accepted: [unknown, string | null][] = [
    [null, null],
    ['any', null],
    ['ANY', null],
    ['tcp', 'tcp'],
    ['TCP', 'tcp'],
    ['icmpv6', 'icmpv6'],
    ['ipv6-icmp', 'ipv6-icmp'],
    ['vrrp', 'vrrp'],
    [6, '6'],
    ['6', '6'],
    [' 17 ', '17'],
    [0, '0'],
    [255, '255'],
  ];
  for (const [input, expected] of accepted) {
    it(`${JSON.stringify(input)} -> ${JSON.stringify(expected)}`, () => assert.equal(convertProtocol(input), expected));
  }
  for (const input of ['bogus', 256, -1, '300', 6.5, true, [], {}, '']) {
    it(`refuses ${JSON.stringify(input)}`, () =>
      expectNeutronError(() => convertProtocol(input), {
        status: 400,
        type: 'SecurityGroupRuleInvalidProtocol',
        message: /^Security group rule protocol .* not supported\. Only protocol values \(None, 'any', 'ah', 'dccp', .* 'vrrp'\) and integer representations \[0 to 255\] are supported\.$/,
      }));
  }
});

describe('convertPort', () => {
  const accepted: [unknown, number | null][] = [
    [null, null],
    [0, 0],
    [22, 22],
    ['22', 22],
    [65535, 65535],
  ];
  for (const [input, expected] of accepted) {
    it(`${JSON.stringify(input)} -> ${JSON.stringify(expected)}`, () => assert.equal(convertPort(input), expected));
  }
  for (const [input, shown] of [[65536, '65536'], [-1, '-1'], ['x', 'x'], [1.5, '1.5'], [true, 'True']] as const) {
    it(`refuses ${JSON.stringify(input)}`, () =>
      expectNeutronError(() => convertPort(input), { status: 400, type: 'SecurityGroupInvalidPortValue', message: `Invalid value for port ${shown}` }));
  }
});

describe('convertEthertype', () => {
  for (const [input, expected] of [['IPv4', 'IPv4'], ['ipv4', 'IPv4'], ['IPV6', 'IPv6']] as const) {
    it(`${input} -> ${expected}`, () => assert.equal(convertEthertype(input), expected));
  }
  for (const [input, shown] of [['IPv5', 'IPv5'], [null, 'None'], [4, '4']] as const) {
    it(`refuses ${JSON.stringify(input)}`, () =>
      expectNeutronError(() => convertEthertype(input), {
        status: 400,
        type: 'SecurityGroupRuleInvalidEtherType',
        message: `Security group rule for ethertype '${shown}' not supported. Allowed values are ['IPv4', 'IPv6'].`,
      }));
  }
});

describe('convertIpPrefix and normalizedCidr', () => {
  const cases: [unknown, string | null, string | null][] = [
    [null, null, null],
    ['', null, null],
    ['10.0.0.1', '10.0.0.1/32', '10.0.0.1/32'],
    ['10.0.0.5/24', '10.0.0.5/24', '10.0.0.0/24'],
    ['0.0.0.0/0', '0.0.0.0/0', '0.0.0.0/0'],
    ['10.1.2.3/255.255.0.0', '10.1.2.3/16', '10.1.0.0/16'],
    ['2001:DB8::1/64', '2001:db8::1/64', '2001:db8::/64'],
    ['2001:db8:0:0::1', '2001:db8::1/128', '2001:db8::1/128'],
    ['::/0', '::/0', '::/0'],
  ];
  for (const [input, converted, normalized] of cases) {
    it(`${JSON.stringify(input)} -> ${converted} (${normalized})`, () => {
      const out = convertIpPrefix(input);
      assert.equal(out, converted);
      if (out !== null) assert.equal(normalizedCidr(out), normalized);
    });
  }
  for (const input of ['nonsense', '10.0.0.0/33', '10.0.0/8', '010.0.0.1/32', '2001:db8::/129', '10.0.0.0/255.0.255.0', 5, {}]) {
    it(`refuses ${JSON.stringify(input)}`, () =>
      expectNeutronError(() => convertIpPrefix(input), { status: 400, type: 'InvalidCIDR', message: /^Invalid CIDR .* given as IP prefix\.$/ }));
  }
});

describe('checkRule', () => {
  const normalised: [string, Partial<RuleAttributes>, Partial<RuleAttributes>][] = [
    ['IPv6 ICMP by its IPv4 name', { ethertype: 'IPv6', protocol: 'icmp' }, { protocol: 'ipv6-icmp' }],
    ['IPv6 ICMP by its legacy name', { ethertype: 'IPv6', protocol: 'icmpv6' }, { protocol: 'ipv6-icmp' }],
    ['IPv6 ICMP by the IPv4 number', { ethertype: 'IPv6', protocol: '1' }, { protocol: '58' }],
    ['the whole port range as none', { protocol: 'tcp', port_range_min: 1, port_range_max: 65535 }, { port_range_min: null, port_range_max: null }],
    ['the whole range even for ICMP', { protocol: 'icmp', port_range_min: 1, port_range_max: 65535 }, { port_range_min: null, port_range_max: null }],
  ];
  for (const [name, input, expected] of normalised) {
    it(`normalises ${name}`, () => assert.deepEqual(checkRule(rule(input)), rule({ ...input, ...expected })));
  }

  const accepted: [string, Partial<RuleAttributes>][] = [
    ['a single TCP port', { protocol: 'tcp', port_range_min: 22, port_range_max: 22 }],
    ['a UDP range', { protocol: 'udp', port_range_min: 1000, port_range_max: 2000 }],
    ['a range by protocol number', { protocol: '132', port_range_min: 1, port_range_max: 2 }],
    ['udplite ports', { protocol: 'udplite', port_range_min: 5, port_range_max: 5 }],
    ['ICMP type and code', { protocol: 'icmp', port_range_min: 8, port_range_max: 0 }],
    ['ICMP type only', { protocol: 'icmp', port_range_min: 8 }],
    ['IPv6 ICMP on IPv6', { ethertype: 'IPv6', protocol: '58', port_range_min: 128, port_range_max: 0 }],
    ['an IPv4 prefix', { remote_ip_prefix: '10.0.0.0/8' }],
    ['an IPv6 prefix', { ethertype: 'IPv6', remote_ip_prefix: '2001:db8::/32' }],
    ['a remote group', { remote_group_id: OTHER }],
  ];
  for (const [name, input] of accepted) it(`accepts ${name}`, () => assert.deepEqual(checkRule(rule(input)), rule(input)));

  const refused: [string, Partial<RuleAttributes>, string, string | RegExp][] = [
    ['ports without protocol', { port_range_min: 22, port_range_max: 22 }, 'SecurityGroupProtocolRequiredWithPorts', 'Must also specify protocol if port range is given.'],
    ['port 0', { protocol: 'tcp', port_range_min: 0, port_range_max: 5 }, 'SecurityGroupInvalidPortValue', 'Invalid value for port 0'],
    ['max port 0', { protocol: 'udp', port_range_min: 5, port_range_max: 0 }, 'SecurityGroupInvalidPortValue', 'Invalid value for port 0'],
    ['min > max', { protocol: 'tcp', port_range_min: 30, port_range_max: 20 }, 'SecurityGroupInvalidPortRange', 'For TCP/UDP protocols, port_range_min must be <= port_range_max'],
    ['only a min for TCP', { protocol: 'tcp', port_range_min: 30 }, 'SecurityGroupInvalidPortRange', /port_range_min must be/],
    ['only a max for SCTP', { protocol: 'sctp', port_range_max: 30 }, 'SecurityGroupInvalidPortRange', /port_range_min must be/],
    ['ICMP type > 255', { protocol: 'icmp', port_range_min: 256 }, 'SecurityGroupInvalidIcmpValue', 'Invalid value for ICMP type (port_range_min) 256. It must be 0 to 255.'],
    ['ICMP code > 255', { protocol: 'icmp', port_range_min: 3, port_range_max: 256 }, 'SecurityGroupInvalidIcmpValue', 'Invalid value for ICMP code (port_range_max) 256. It must be 0 to 255.'],
    ['ICMP code without type', { protocol: 'icmp', port_range_max: 0 }, 'SecurityGroupMissingIcmpType', 'ICMP code (port-range-max) 0 is provided but ICMP type (port-range-min) is missing.'],
    ['ports for GRE', { protocol: 'gre', port_range_min: 1, port_range_max: 2 }, 'SecurityGroupInvalidProtocolForPort', 'Ports cannot be specified for protocol 47. Ports are only supported for DCCP, SCTP, TCP, UDP, UDPLITE.'],
    ['ports for protocol 0', { protocol: '0', port_range_min: 1, port_range_max: 2 }, 'SecurityGroupInvalidProtocolForPort', /protocol 0\./],
    ['an IPv6 prefix on IPv4', { remote_ip_prefix: '::/0' }, 'SecurityGroupRuleParameterConflict', 'Conflicting value ethertype IPv4 for CIDR ::/0'],
    ['an IPv4 prefix on IPv6', { ethertype: 'IPv6', remote_ip_prefix: '10.0.0.0/8' }, 'SecurityGroupRuleParameterConflict', 'Conflicting value ethertype IPv6 for CIDR 10.0.0.0/8'],
    ['ipv6-icmp on IPv4', { protocol: 'ipv6-icmp' }, 'SecurityGroupEthertypeConflictWithProtocol', 'Invalid ethertype IPv4 for protocol ipv6-icmp.'],
    ['icmpv6 on IPv4', { protocol: 'icmpv6' }, 'SecurityGroupEthertypeConflictWithProtocol', 'Invalid ethertype IPv4 for protocol icmpv6.'],
    ['protocol 41 on IPv4', { protocol: '41' }, 'SecurityGroupEthertypeConflictWithProtocol', 'Invalid ethertype IPv4 for protocol 41.'],
    ['prefix and remote group', { remote_ip_prefix: '10.0.0.0/8', remote_group_id: OTHER }, 'SecurityGroupMultipleRemoteEntites', 'Only one of remote_ip_prefix or remote_group_id or remote_address_group_id may be provided.'],
    ['remote group and address group', { remote_group_id: OTHER, remote_address_group_id: OTHER }, 'SecurityGroupMultipleRemoteEntites', /^Only one of/],
  ];
  for (const [name, input, type, message] of refused) {
    it(`refuses ${name}`, () => expectNeutronError(() => checkRule(rule(input)), { status: 400, type, message }));
  }
});

describe('ruleKey', () => {
  const same: [string, Partial<RuleAttributes>, Partial<RuleAttributes>][] = [
    ['a protocol by name and by number', { protocol: 'tcp' }, { protocol: '6' }],
    ['no prefix and the IPv4 any-address', {}, { remote_ip_prefix: '0.0.0.0/0' }],
    ['no prefix and the IPv6 any-address', { ethertype: 'IPv6' }, { ethertype: 'IPv6', remote_ip_prefix: '::/0' }],
    ['IPv6 ICMP names', { ethertype: 'IPv6', protocol: 'icmp' }, { ethertype: 'IPv6', protocol: '58' }],
    ['ip and protocol 0', { protocol: 'ip' }, { protocol: '0' }],
  ];
  for (const [name, a, b] of same) it(`equal: ${name}`, () => assert.equal(ruleKey(rule(a)), ruleKey(rule(b))));
  const different: [string, Partial<RuleAttributes>, Partial<RuleAttributes>][] = [
    ['directions', {}, { direction: 'egress' }],
    ['ethertypes', {}, { ethertype: 'IPv6' }],
    ['any protocol and TCP', {}, { protocol: 'tcp' }],
    ['ports', { protocol: 'tcp', port_range_min: 22, port_range_max: 22 }, { protocol: 'tcp', port_range_min: 22, port_range_max: 23 }],
    ['prefixes with different host bits', { remote_ip_prefix: '10.0.0.1/24' }, { remote_ip_prefix: '10.0.0.0/24' }],
    ['groups', {}, { security_group_id: OTHER }],
    ['remote groups', {}, { remote_group_id: OTHER }],
    ['hopopt and protocol 0 (0 is ip upstream)', { protocol: 'hopopt' }, { protocol: '0' }],
  ];
  for (const [name, a, b] of different) it(`different: ${name}`, () => assert.notEqual(ruleKey(rule(a)), ruleKey(rule(b))));
});
