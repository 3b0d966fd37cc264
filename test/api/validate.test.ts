import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { convertAttribute, convertFilterValue, convertValue, InvalidValue } from '../../src/api/validate.js';
import type { AttrDecl, AttrType } from '../../src/resources/types.js';
import { assertNeutronError, invalidAttr, invalidInput } from './fixtures.js';

const uuid = { kind: 'uuid' } as const;
const str255 = { kind: 'string', maxLength: 255 } as const;
const name = { kind: 'string', maxLength: 255, name: true } as const;
const bool = { kind: 'boolean' } as const;
const int = { kind: 'integer', min: 68, max: 9000 } as const;
const mac = { kind: 'mac' } as const;
const ip = { kind: 'ip' } as const;
const ip4 = { kind: 'ip', version: 4 } as const;
const ipOrCidr = { kind: 'ip-or-cidr' } as const;
const cidr = { kind: 'cidr' } as const;
const ipVersion = { kind: 'enum', values: [4, 6] } as const;
const direction = { kind: 'enum', values: ['ingress', 'egress'] } as const;
const dict = { kind: 'dict' } as const;
const dnsName = { kind: 'dns-name' } as const;
const dnsDomain = { kind: 'dns-name', fqdn: true } as const;
const ips = { kind: 'list', of: ip, unique: true, maxItems: 3 } as const;
const pool = {
  kind: 'object',
  fields: {
    start: { type: ip, required: true },
    end: { type: ip, required: true },
    note: { type: str255, nullable: true },
  },
} as const satisfies AttrType;
const pools = { kind: 'list', of: pool } as const satisfies AttrType;

describe('convertValue: accepted values and their conversion', () => {
  const U = '3b2a9f1e-5c4d-4e6f-8a7b-1c2d3e4f5a6b';
  const cases: [string, AttrType, unknown, unknown][] = [
    ['string', str255, 'x y', 'x y'],
    ['empty string', str255, '', ''],
    ['255 code points', str255, 'é'.repeat(255), 'é'.repeat(255)],
    ['name with inner spaces', name, 'my net 1', 'my net 1'],
    ['empty name', name, '', ''],
    ['unicode name', name, 'réseau', 'réseau'],
    ['uuid', uuid, U, U],
    ['uuid upper case -> lower', uuid, U.toUpperCase(), U],
    ['uuid without dashes', uuid, U.replaceAll('-', ''), U],
    ['uuid in braces', uuid, `{${U}}`, U],
    ['boolean true', bool, true, true],
    ['boolean false', bool, false, false],
    ...(['1', 't', 'true', 'on', 'y', 'yes', 'TRUE', 'Yes', ' On '].map((s) => [`bool '${s}'`, bool, s, true]) as [
      string,
      AttrType,
      unknown,
      unknown,
    ][]),
    ...(['0', 'f', 'false', 'off', 'n', 'no', 'False', 'NO'].map((s) => [`bool '${s}'`, bool, s, false]) as [
      string,
      AttrType,
      unknown,
      unknown,
    ][]),
    ['bool number 1', bool, 1, true],
    ['bool number 0', bool, 0, false],
    ['integer', int, 1500, 1500],
    ['integer string', int, '1500', 1500],
    ['integer string with spaces and sign', int, ' +1500 ', 1500],
    ['integer at min', int, 68, 68],
    ['integer at max', int, '9000', 9000],
    ['mac lower', mac, 'fa:16:3e:00:00:01', 'fa:16:3e:00:00:01'],
    ['mac upper -> lower', mac, 'FA:16:3E:AB:CD:EF', 'fa:16:3e:ab:cd:ef'],
    ['mac dashes', mac, 'FA-16-3E-AB-CD-EF', 'fa:16:3e:ab:cd:ef'],
    ['mac cisco', mac, 'fa16.3eab.cdef', 'fa:16:3e:ab:cd:ef'],
    ['mac bare', mac, 'fa163eabcdef', 'fa:16:3e:ab:cd:ef'],
    ['mac short groups', mac, 'a:b:c:d:e:f', '0a:0b:0c:0d:0e:0f'],
    ['multicast mac is accepted', mac, '01:00:5e:00:00:01', '01:00:5e:00:00:01'],
    ['ipv4', ip, '10.0.0.1', '10.0.0.1'],
    ['ipv6 canonicalised', ip, '2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['ipv4-mapped ipv6', ip, '::FFFF:10.0.0.1', '::ffff:10.0.0.1'],
    ['ipv4 of version 4', ip4, '192.168.0.1', '192.168.0.1'],
    ['ip-or-cidr ip', ipOrCidr, '10.0.0.1', '10.0.0.1'],
    ['ip-or-cidr cidr', ipOrCidr, '10.0.0.0/24', '10.0.0.0/24'],
    ['cidr', cidr, '10.0.0.0/24', '10.0.0.0/24'],
    ['cidr with host bits kept', cidr, '10.0.0.1/24', '10.0.0.1/24'],
    ['ipv6 cidr not canonicalised', cidr, '2001:DB8:0::/64', '2001:DB8:0::/64'],
    ['cidr /0', cidr, '0.0.0.0/0', '0.0.0.0/0'],
    ['enum number', ipVersion, 6, 6],
    ['enum number from string', ipVersion, '4', 4],
    ['enum string', direction, 'egress', 'egress'],
    ['dict', dict, { a: [1, { b: null }] }, { a: [1, { b: null }] }],
    ['empty dict', dict, {}, {}],
    ['dns name lower-cased', dnsName, 'My-Host', 'my-host'],
    ['dns name fqdn', dnsName, 'host.example.org.', 'host.example.org.'],
    ['empty dns name', dnsName, '', ''],
    ['dns domain', dnsDomain, 'Example.ORG.', 'example.org.'],
    ['list of ips', ips, ['10.0.0.1', '2001:DB8::1'], ['10.0.0.1', '2001:db8::1']],
    ['empty list', ips, [], []],
    ['objects', pools, [{ start: '10.0.0.2', end: '10.0.0.9' }], [{ start: '10.0.0.2', end: '10.0.0.9' }]],
    ['object nullable field', pools, [{ start: '10.0.0.2', end: '10.0.0.9', note: null }], [
      { start: '10.0.0.2', end: '10.0.0.9', note: null },
    ]],
  ];
  for (const [title, type, input, expected] of cases) {
    it(title, () => assert.deepEqual(convertValue(type, input), expected));
  }

  it('null when nullable', () => {
    assert.equal(convertValue(uuid, null, true), null);
    assert.equal(convertValue(ip, null, true), null);
  });

  it('returns copies, never the input', () => {
    const input = { a: [1, 2] };
    const out = convertValue(dict, input) as { a: number[] };
    assert.notEqual(out, input);
    assert.notEqual(out.a, input.a);
    const list = [{ start: '10.0.0.2', end: '10.0.0.9' }];
    const converted = convertValue(pools, list) as unknown[];
    assert.notEqual(converted, list);
    assert.notEqual(converted[0], list[0]);
  });
});

describe('convertAttribute: rejected values and the error clients see', () => {
  const decl = (type: AttrType, extra: Partial<AttrDecl> = {}): AttrDecl => ({ type, ...extra });
  const cases: [string, AttrType, unknown, ReturnType<typeof invalidAttr>][] = [
    ['string not a string', str255, 12, invalidAttr('a', "'12' is not a valid string")],
    ['string null', str255, null, invalidAttr('a', "'None' is not a valid string")],
    ['string too long', str255, 'x'.repeat(256), invalidAttr('a', `'${'x'.repeat(256)}' exceeds maximum length of 255`)],
    ['name leading space', name, ' net', invalidAttr('a', "' net' is not a valid string")],
    ['name trailing space', name, 'net ', invalidAttr('a', "'net ' is not a valid string")],
    ['name with tab', name, 'a\tb', invalidAttr('a', "'a\tb' is not a valid string")],
    ['name with newline', name, 'a\nb', invalidAttr('a', "'a\nb' is not a valid string")],
    ['name with emoji (upstream: BMP only)', name, 'net😀', invalidAttr('a', "'net😀' is not a valid string")],
    ['uuid', uuid, 'abc', invalidAttr('a', "'abc' is not a valid UUID")],
    ['uuid null', uuid, null, invalidAttr('a', "'None' is not a valid UUID")],
    ['uuid number', uuid, 5, invalidAttr('a', "'5' is not a valid UUID")],
    ['boolean junk', bool, 'maybe', invalidInput("'maybe' cannot be converted to boolean")],
    ['boolean null', bool, null, invalidInput("'None' cannot be converted to boolean")],
    ['boolean 2', bool, 2, invalidInput("'2' cannot be converted to boolean")],
    ['boolean list', bool, ['a'], invalidInput("'['a']' cannot be converted to boolean")],
    ['integer junk', int, 'abc', invalidInput("'abc' is not an integer")],
    ['integer fraction', int, 1500.5, invalidInput("'1500.5' is not an integer")],
    ['integer fraction string', int, '1.5', invalidInput("'1.5' is not an integer")],
    ['integer boolean', int, true, invalidInput("'True' is not an integer")],
    ['integer too small', int, 67, invalidAttr('a', "'67' is too small - must be at least '68'")],
    ['integer too large', int, '9001', invalidAttr('a', "'9001' is too large - must be no larger than '9000'")],
    ['mac junk', mac, 'zz:16:3e:00:00:01', invalidAttr('a', "'zz:16:3e:00:00:01' is not a valid MAC address")],
    ['mac too short', mac, 'fa:16:3e:00:01', invalidAttr('a', "'fa:16:3e:00:01' is not a valid MAC address")],
    ['mac zero', mac, '00-00-00-00-00-00', invalidAttr('a', "'00:00:00:00:00:00' is not a valid MAC address")],
    ['mac broadcast', mac, 'FF:FF:FF:FF:FF:FF', invalidAttr('a', "'ff:ff:ff:ff:ff:ff' is not a valid MAC address")],
    ['mac number', mac, 5, invalidAttr('a', "'5' is not a valid MAC address")],
    ['ip junk', ip, 'abc', invalidAttr('a', "'abc' is not a valid IP address")],
    ['ip three octets', ip, '10.0.1', invalidAttr('a', "'10.0.1' is not a valid IP address")],
    ['ip octet > 255', ip, '10.0.0.256', invalidAttr('a', "'10.0.0.256' is not a valid IP address")],
    [
      'ip leading zeros',
      ip,
      '010.000.0.01',
      invalidAttr('a', "'010.000.0.01' is not an accepted IP address, '10.0.0.1' is recommended"),
    ],
    ['ip with spaces', ip, ' 10.0.0.1', invalidAttr('a', "' 10.0.0.1' is not a valid IP address")],
    ['ipv6 zone', ip, 'fe80::1%eth0', invalidAttr('a', "'fe80::1%eth0' is not a valid IP address")],
    ['ip cidr', ip, '10.0.0.0/24', invalidAttr('a', "'10.0.0.0/24' is not a valid IP address")],
    ['ip of wrong version', ip4, '2001:db8::1', invalidAttr('a', "'2001:db8::1' is not a valid IPv4 address")],
    [
      'ip-or-cidr junk',
      ipOrCidr,
      'x',
      invalidAttr('a', "'x' is neither a valid IP address, nor is it a valid IP subnet"),
    ],
    ['cidr without prefix', cidr, '10.0.0.0', invalidAttr('a', "'10.0.0.0' is not a valid IP subnet")],
    ['cidr prefix too long', cidr, '10.0.0.0/33', invalidAttr('a', "'10.0.0.0/33' is not a valid IP subnet")],
    ['cidr v6 prefix too long', cidr, '2001:db8::/129', invalidAttr('a', "'2001:db8::/129' is not a valid IP subnet")],
    ['cidr short v4', cidr, '10.0/16', invalidAttr('a', "'10.0/16' is not a valid IP subnet")],
    ['cidr netmask', cidr, '10.0.0.0/255.255.255.0', invalidAttr('a', "'10.0.0.0/255.255.255.0' is not a valid IP subnet")],
    ['cidr prefix leading zero', cidr, '10.0.0.0/024', invalidAttr('a', "'10.0.0.0/024' is not a valid IP subnet")],
    ['enum number', ipVersion, 5, invalidAttr('a', '5 is not in valid_values')],
    ['enum number junk', ipVersion, 'four', invalidInput("'four' is not an integer")],
    ['enum string', direction, 'sideways', invalidAttr('a', 'sideways is not in valid_values')],
    ['enum null', direction, null, invalidAttr('a', 'None is not in valid_values')],
    ['dict not a dict', dict, ['a'], invalidAttr('a', "'['a']' is not a dictionary")],
    ['dict string', dict, 'x', invalidAttr('a', "'x' is not a dictionary")],
    ['list not a list', ips, '10.0.0.1', invalidAttr('a', "'10.0.0.1' is not a list")],
    ['list of dict', ips, { a: 1 }, invalidAttr('a', "'{'a': 1}' is not a list")],
    [
      'list duplicates',
      ips,
      ['10.0.0.1', '10.0.0.2', '10.0.0.1'],
      invalidAttr('a', "Duplicate items in the list: '10.0.0.1'"),
    ],
    [
      'list duplicates after conversion',
      ips,
      ['2001:db8::1', '2001:DB8::1'],
      invalidAttr('a', "Duplicate items in the list: '2001:db8::1'"),
    ],
    [
      'list too long',
      ips,
      ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'],
      invalidAttr('a', "'['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']' has more than 3 items"),
    ],
    ['list item, with its index', ips, ['10.0.0.1', 'x'], invalidAttr('a[1]', "'x' is not a valid IP address")],
    ['object not a dict', pools, ['x'], invalidAttr('a[0]', "'x' is not a dictionary")],
    [
      'object missing required key',
      pools,
      [{ start: '10.0.0.2' }],
      invalidAttr('a[0]', "Validation of dictionary's keys failed. Expected keys: {'end', 'start'} Provided keys: {'start'}"),
    ],
    [
      'object unknown keys',
      pools,
      [{ start: '10.0.0.2', end: '10.0.0.3', foo: 1, bar: 2 }],
      invalidAttr('a[0]', 'Unexpected keys supplied: foo, bar'),
    ],
    [
      'object field, with its path',
      pools,
      [{ start: '10.0.0.2', end: '10.0.0.3' }, { start: '10.0.0.4', end: 'nope' }],
      invalidAttr('a[1].end', "'nope' is not a valid IP address"),
    ],
    ['object field not nullable', pools, [{ start: null, end: '10.0.0.3' }], invalidAttr('a[0].start', "'None' is not a valid IP address")],
    ['dns name not a string', dnsName, 5, invalidInput('Input value 5 must be string type')],
    [
      'dns name bad character',
      dnsName,
      'my_host',
      invalidAttr(
        'a',
        "'my_host' not a valid PQDN or FQDN. Reason: Name 'my_host' must be 1-63 characters long, each of which can only be alphanumeric or a hyphen",
      ),
    ],
    [
      'dns name hyphen',
      dnsName,
      'host-.example',
      invalidAttr('a', "'host-.example' not a valid PQDN or FQDN. Reason: Name 'host-' must not start or end with a hyphen"),
    ],
    [
      'dns name empty label',
      dnsName,
      'a..b',
      invalidAttr('a', "'a..b' not a valid PQDN or FQDN. Reason: Encountered an empty component"),
    ],
    [
      'dns name label too long',
      dnsName,
      'a'.repeat(64),
      invalidAttr(
        'a',
        `'${'a'.repeat(64)}' not a valid PQDN or FQDN. Reason: Name '${'a'.repeat(64)}' must be 1-63 characters long, each of which can only be alphanumeric or a hyphen`,
      ),
    ],
    [
      'dns name numeric tld',
      dnsName,
      'host.123',
      invalidAttr('a', "'host.123' not a valid PQDN or FQDN. Reason: TLD '123' must not be all numeric"),
    ],
    [
      'dns name too long',
      dnsName,
      `${'a'.repeat(63)}.`.repeat(4) + 'abcd',
      invalidAttr(
        'a',
        `'${`${'a'.repeat(63)}.`.repeat(4)}abcd' not a valid PQDN or FQDN. Reason: '${`${'a'.repeat(63)}.`.repeat(4)}abcd' exceeds the 255 character FQDN limit`,
      ),
    ],
    ['dns domain without dot', dnsDomain, 'example.org', invalidAttr('a', "'example.org' is not a FQDN")],
  ];
  for (const [title, type, input, expected] of cases) {
    it(title, () => assertNeutronError(() => convertAttribute('a', decl(type), input), expected));
  }

  it('nullable decl accepts null, non-nullable refuses it', () => {
    assert.equal(convertAttribute('a', decl(ip, { nullable: true }), null), null);
    assertNeutronError(() => convertAttribute('a', decl(ip), null), invalidAttr('a', "'None' is not a valid IP address"));
  });

  it('convertValue throws InvalidValue with stage and path', () => {
    assert.throws(
      () => convertValue(pools, [{ start: '10.0.0.1', end: 'x' }]),
      (e: unknown) => e instanceof InvalidValue && e.stage === 'validate' && e.path === '[0].end',
    );
    assert.throws(() => convertValue(bool, 'x'), (e: unknown) => e instanceof InvalidValue && e.stage === 'convert');
  });
});

describe('convertFilterValue: converters only', () => {
  const cases: [string, AttrType, string, unknown][] = [
    ['boolean', bool, 'TRUE', true],
    ['boolean no', bool, 'no', false],
    ['integer', int, '10', 10],
    ['integer out of range is not validated', int, '1', 1],
    ['numeric enum', ipVersion, '4', 4],
    ['string enum stays raw', direction, 'up', 'up'],
    ['uuid canonicalised', uuid, '3B2A9F1E5C4D4E6F8A7B1C2D3E4F5A6B', '3b2a9f1e-5c4d-4e6f-8a7b-1c2d3e4f5a6b'],
    ['invalid uuid passes (matches nothing)', uuid, 'junk', 'junk'],
    ['mac lower-cased', mac, 'FA:16:3E:00:00:01', 'fa:16:3e:00:00:01'],
    ['invalid mac passes', mac, 'junk', 'junk'],
    ['ipv6 canonicalised', ip, '2001:DB8:0::1', '2001:db8::1'],
    ['string raw', name, ' x ', ' x '],
    ['list uses item type', ips, '2001:DB8::1', '2001:db8::1'],
  ];
  for (const [title, type, raw, expected] of cases) {
    it(title, () => assert.deepEqual(convertFilterValue(type, raw), expected));
  }
  it('converter failures are InvalidInput', () => {
    assertNeutronError(() => convertFilterValue(bool, 'maybe'), invalidInput("'maybe' cannot be converted to boolean"));
    assertNeutronError(() => convertFilterValue(int, 'x'), invalidInput("'x' is not an integer"));
  });
});
