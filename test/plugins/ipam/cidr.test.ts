import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  canonicalIp,
  formatIp,
  ipToBigint,
  ipVersionOf,
  parseIp,
  validateIpAddress,
} from '../../../src/plugins/ipam/address.js';
import {
  canonicalCidr,
  cidrContains,
  cidrFirst,
  cidrLast,
  cidrSize,
  cidrsOverlap,
  parseCidr,
  parseSubnetCidr,
  type Cidr,
} from '../../../src/plugins/ipam/cidr.js';
import { expectNeutronError } from './expectError.js';

function cidr(text: string): Cidr {
  const parsed = parseCidr(text);
  assert.ok(parsed, `${text} should parse`);
  return parsed;
}

function ip(text: string) {
  const parsed = parseIp(text);
  assert.ok(parsed, `${text} should parse`);
  return parsed;
}

describe('addresses', () => {
  const valid: [string, 4 | 6, string][] = [
    ['10.0.0.1', 4, '10.0.0.1'],
    ['0.0.0.0', 4, '0.0.0.0'],
    ['255.255.255.255', 4, '255.255.255.255'],
    ['2001:DB8:0:0:0:0:0:1', 6, '2001:db8::1'],
    ['2001:db8::', 6, '2001:db8::'],
    ['::', 6, '::'],
    ['fe80:0000::0001', 6, 'fe80::1'],
    // a single zero group is not compressed (RFC 5952, as inet_ntop and netaddr)
    ['2001:DB8:3:0:F816:3EFF:FE33:4455', 6, '2001:db8:3:0:f816:3eff:fe33:4455'],
  ];
  for (const [text, version, canonical] of valid) {
    it(`parses ${text} as IPv${version} ${canonical}`, () => {
      assert.equal(ipVersionOf(text), version);
      assert.equal(canonicalIp(text), canonical);
      assert.equal(formatIp(ipToBigint(text), version), canonical);
      assert.equal(validateIpAddress(text), undefined);
    });
  }

  const invalid = ['010.0.0.1', '10.0.0', '10.0.0.256', '1.2.3.4.5', ' 10.0.0.1', '10.0.0.1 ', 'fe80::1%eth0', '1::2::3', '', 'abc', '0x0a.0.0.1'];
  for (const text of invalid) {
    it(`rejects ${JSON.stringify(text)}`, () => {
      assert.equal(parseIp(text), null);
      assert.notEqual(validateIpAddress(text), undefined);
    });
  }

  it('words a leading-zero IPv4 address as neutron-lib does', () => {
    assert.equal(validateIpAddress('010.0.0.1'), "'010.0.0.1' is not an accepted IP address, '10.0.0.1' is recommended");
    assert.equal(validateIpAddress('10.0.0'), "'10.0.0' is not a valid IP address");
  });

  it('converts between text and bigint across the whole IPv6 range', () => {
    assert.equal(ipToBigint('::1'), 1n);
    assert.equal(ipToBigint('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'), (1n << 128n) - 1n);
    assert.equal(formatIp(1n << 64n, 6), '0:0:0:1::');
    assert.equal(formatIp(0x0a000001n, 4), '10.0.0.1');
    assert.throws(() => formatIp(1n << 32n, 4), RangeError);
  });
});

describe('CIDRs', () => {
  const canonical: [string, string][] = [
    ['10.0.0.5/24', '10.0.0.0/24'],
    ['10.0.0.0/255.255.255.0', '10.0.0.0/24'],
    ['10.0.0.1', '10.0.0.1/32'],
    ['2001:DB8::1/64', '2001:db8::/64'],
    ['2001:db8:0:0:1::/48', '2001:db8::/48'],
    ['192.168.1.77/0', '0.0.0.0/0'],
    ['::1', '::1/128'],
  ];
  for (const [text, expected] of canonical) {
    it(`canonicalises ${text} to ${expected}`, () => assert.equal(canonicalCidr(text), expected));
  }

  const malformed = ['10.0.0.0/33', '10.0.0.0/255.0.255.0', 'abc', '10.0.0.0/24/1', '::/129', '10.0.0.0/', '2001:db8::/ffff::', '10.0.0.0/-1'];
  for (const text of malformed) {
    it(`rejects ${text}`, () => assert.equal(parseCidr(text), null));
  }

  it('parses a subnet cidr for its ip_version with Neutron wording', () => {
    assert.deepEqual(parseSubnetCidr('10.0.0.5/24', 4), cidr('10.0.0.0/24'));
    expectNeutronError(() => parseSubnetCidr('10.0.0.0/33', 4), {
      status: 400,
      type: 'InvalidInput',
      message: 'Invalid input for operation: 10.0.0.0/33 is not in a CIDR format.',
    });
    expectNeutronError(() => parseSubnetCidr('10.0.0.5/24', 6), {
      status: 400,
      type: 'InvalidInput',
      message: "Invalid input for operation: cidr '10.0.0.0/24' does not match the ip_version '6'.",
    });
    expectNeutronError(() => parseSubnetCidr('2001:db8::/64', 4), { status: 400, type: 'InvalidInput', message: /ip_version '4'/ });
  });

  const bounds: [string, string, string, bigint][] = [
    ['10.0.0.0/24', '10.0.0.0', '10.0.0.255', 256n],
    ['10.0.0.0/30', '10.0.0.0', '10.0.0.3', 4n],
    ['10.0.0.0/31', '10.0.0.0', '10.0.0.1', 2n],
    ['10.0.0.7/32', '10.0.0.7', '10.0.0.7', 1n],
    ['2001:db8::/64', '2001:db8::', '2001:db8::ffff:ffff:ffff:ffff', 1n << 64n],
    ['::/0', '::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 1n << 128n],
  ];
  for (const [text, first, last, size] of bounds) {
    it(`${text} spans ${first} to ${last} (${size} addresses)`, () => {
      const c = cidr(text);
      assert.equal(formatIp(cidrFirst(c), c.version), first);
      assert.equal(formatIp(cidrLast(c), c.version), last);
      assert.equal(cidrSize(c), size);
    });
  }

  const contains: [string, string, boolean][] = [
    ['10.0.0.0/24', '10.0.0.0', true],
    ['10.0.0.0/24', '10.0.0.255', true],
    ['10.0.0.0/24', '10.0.1.0', false],
    ['10.0.0.0/24', '::a00:1', false],
    ['2001:db8::/64', '2001:db8::ffff:ffff:ffff:ffff', true],
    ['2001:db8::/64', '2001:db8:0:1::', false],
  ];
  for (const [net, address, expected] of contains) {
    it(`${net} ${expected ? 'contains' : 'does not contain'} ${address}`, () => {
      assert.equal(cidrContains(cidr(net), ip(address)), expected);
    });
  }

  const overlaps: [string, string, boolean][] = [
    ['10.0.0.0/24', '10.0.0.128/25', true],
    ['10.0.0.0/24', '10.0.1.0/24', false],
    ['10.0.0.0/23', '10.0.1.0/24', true],
    ['10.0.0.0/8', '11.0.0.0/8', false],
    ['2001:db8::/64', '2001:db8::/48', true],
    ['2001:db8::/64', '2001:db8:0:1::/64', false],
    ['0.0.0.0/0', '::/0', false],
  ];
  for (const [a, b, expected] of overlaps) {
    it(`${a} and ${b} ${expected ? 'overlap' : 'do not overlap'}`, () => {
      assert.equal(cidrsOverlap(cidr(a), cidr(b)), expected);
      assert.equal(cidrsOverlap(cidr(b), cidr(a)), expected);
    });
  }
});
