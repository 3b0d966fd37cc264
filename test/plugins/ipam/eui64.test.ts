import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { eui64Address, isEui64Address } from '../../../src/plugins/ipam/eui64.js';
import { expectNeutronError } from './expectError.js';

describe('eui64Address', () => {
  const vectors: [string, string, string][] = [
    ['2001:db8::/64', 'fa:16:3e:33:44:55', '2001:db8::f816:3eff:fe33:4455'],
    ['2001:db8::/64', '00:01:02:03:04:05', '2001:db8::201:2ff:fe03:405'],
    // the universal/local bit is flipped, so a locally administered MAC loses it
    ['2001:db8::/64', '02:00:00:00:00:01', '2001:db8::ff:fe00:1'],
    ['fe80::/64', 'FA-16-3E-AA-BB-CC', 'fe80::f816:3eff:feaa:bbcc'],
    ['2607:f0d0:1002:51::/64', 'fa163e000001', '2607:f0d0:1002:51:f816:3eff:fe00:1'],
    // host bits of the prefix are dropped first
    ['2001:db8::1234/64', 'fa:16:3e:33:44:55', '2001:db8::f816:3eff:fe33:4455'],
  ];
  for (const [prefix, mac, expected] of vectors) {
    it(`${prefix} + ${mac} = ${expected}`, () => {
      assert.equal(eui64Address(prefix, mac), expected);
      assert.equal(isEui64Address(expected), true);
    });
  }

  it('refuses an IPv4 prefix and malformed input', () => {
    expectNeutronError(() => eui64Address('10.0.0.0/24', 'fa:16:3e:33:44:55'), {
      status: 400,
      type: 'InvalidInput',
      message: 'Invalid input for operation: Unable to generate IP address by EUI64 for IPv4 prefix.',
    });
    expectNeutronError(() => eui64Address('2001:db8::/64', 'not-a-mac'), { status: 400, type: 'InvalidInput', message: /Bad prefix or mac format/ });
    expectNeutronError(() => eui64Address('nonsense', 'fa:16:3e:33:44:55'), { status: 400, type: 'InvalidInput', message: /Bad prefix or mac format/ });
  });
});

describe('isEui64Address', () => {
  const cases: [string, boolean][] = [
    ['2001:db8::f816:3eff:fe33:4455', true],
    ['2001:db8::1', false],
    ['2001:db8::ff:fe00:0', true],
    ['10.0.0.1', false],
    ['garbage', false],
  ];
  for (const [ip, expected] of cases) {
    it(`${ip}: ${expected}`, () => assert.equal(isEui64Address(ip), expected));
  }
});
