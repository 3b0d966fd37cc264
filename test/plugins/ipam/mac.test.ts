import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ConfigError } from '../../../src/common/errors.js';
import { formatMac, generateMac, isMulticastMac, normaliseMac, parseMac, validateMacAddress } from '../../../src/plugins/ipam/mac.js';
import { expectNeutronError } from './expectError.js';

describe('MAC validation and normalisation', () => {
  const valid: [string, string][] = [
    ['fa:16:3e:00:00:01', 'fa:16:3e:00:00:01'],
    ['FA:16:3E:AB:CD:EF', 'fa:16:3e:ab:cd:ef'],
    ['fa-16-3e-00-00-01', 'fa:16:3e:00:00:01'],
    ['1:2:3:4:5:6', '01:02:03:04:05:06'],
    ['fa16.3e00.0001', 'fa:16:3e:00:00:01'],
    ['fa16:3e00:0001', 'fa:16:3e:00:00:01'],
    ['fa163e:000001', 'fa:16:3e:00:00:01'],
    ['fa163e-000001', 'fa:16:3e:00:00:01'],
    ['fa163e000001', 'fa:16:3e:00:00:01'],
    // neutron-lib does not refuse group (multicast) addresses
    ['01:00:5e:00:00:01', '01:00:5e:00:00:01'],
  ];
  for (const [text, canonical] of valid) {
    it(`accepts ${text} as ${canonical}`, () => {
      assert.equal(validateMacAddress(text), undefined);
      assert.equal(normaliseMac(text), canonical);
    });
  }

  const invalid = [
    '00:00:00:00:00:00',
    '0:0:0:0:0:0',
    'ff:ff:ff:ff:ff:ff',
    'FF-FF-FF-FF-FF-FF',
    'fa:16:3e:00:00',
    'fa:16:3e:00:00:01:02',
    'fa:16:3e:00:00:0g',
    'fa:16:3e:000:00:01',
    ' fa:16:3e:00:00:01',
    'fa:16:3e:00:00:01\n',
    '',
    'mac',
  ];
  for (const text of invalid) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      assert.equal(validateMacAddress(text), `'${text}' is not a valid MAC address`);
      expectNeutronError(() => normaliseMac(text), {
        status: 400,
        type: 'HTTPBadRequest',
        message: `Invalid input for mac_address. Reason: '${text}' is not a valid MAC address.`,
      });
    });
  }

  it('refuses non-strings', () => {
    assert.equal(validateMacAddress(null), "'null' is not a valid MAC address");
    assert.equal(validateMacAddress(42), "'42' is not a valid MAC address");
  });

  it('tells multicast MACs', () => {
    assert.equal(isMulticastMac(parseMac('01:00:5e:00:00:01') ?? 0n), true);
    assert.equal(isMulticastMac(parseMac('fa:16:3e:00:00:01') ?? 0n), false);
    assert.equal(formatMac(0xfa163e000001n), 'fa:16:3e:00:00:01');
  });
});

describe('generateMac', () => {
  it('keeps the first three octets of base_mac when the fourth is 00', () => {
    assert.equal(generateMac('fa:16:3e:00:00:00', () => 0), 'fa:16:3e:00:00:00');
    assert.equal(generateMac('fa:16:3e:00:00:00', () => 0.999999), 'fa:16:3e:ff:ff:ff');
    const bytes = [0x12 / 256, 0x34 / 256, 0x56 / 256];
    let i = 0;
    assert.equal(
      generateMac('fa:16:3e:00:00:00', () => bytes[i++] ?? 0),
      'fa:16:3e:12:34:56',
    );
  });

  it('keeps the fourth octet too when it is not 00', () => {
    assert.equal(generateMac('12:34:56:78:00:00', () => 0.999999), '12:34:56:78:ff:ff');
    assert.equal(generateMac('12:34:56:78:9a:bc', () => 0), '12:34:56:78:00:00');
  });

  it('generates valid MACs on the base prefix with Math.random', () => {
    for (let n = 0; n < 500; n++) {
      const mac = generateMac('FA:16:3E:00:00:00', Math.random);
      assert.match(mac, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
      assert.equal(normaliseMac(mac), mac);
    }
  });

  it('refuses a malformed base_mac as a configuration error', () => {
    assert.throws(() => generateMac('bad_mac', Math.random), ConfigError);
  });
});
