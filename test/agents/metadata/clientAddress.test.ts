import assert from 'node:assert/strict';
import { test } from 'node:test';

import { clientAddressOf } from '../../../src/agents/metadata/clientAddress.js';

test("the last X-Forwarded-For entry is the client: haproxy appends it after the VM's own", () => {
  assert.deepEqual(clientAddressOf('10.0.0.5'), { ip: '10.0.0.5' });
  assert.deepEqual(clientAddressOf('10.0.0.99, 10.0.0.5'), { ip: '10.0.0.5' });
  assert.deepEqual(clientAddressOf('2001:db8::5'), { ip: '2001:db8::5' });
});

test('an IPv4-mapped IPv6 client (haproxy on v4 and v6) is looked up as IPv4', () => {
  assert.deepEqual(clientAddressOf('::ffff:10.0.0.5'), { ip: '10.0.0.5' });
});

test("an IPv6 link-local client is found by the MAC in its EUI-64 interface id", () => {
  assert.deepEqual(clientAddressOf('fe80::f816:3eff:fe12:3456'), { ip: 'fe80::f816:3eff:fe12:3456', mac: 'fa:16:3e:12:34:56' });
  // not EUI-64 (privacy address): no MAC to go by
  assert.deepEqual(clientAddressOf('fe80::1234:5678:9abc:def0'), { ip: 'fe80::1234:5678:9abc:def0' });
});

test('no header or no address: undefined', () => {
  assert.equal(clientAddressOf(undefined), undefined);
  assert.equal(clientAddressOf(''), undefined);
  assert.equal(clientAddressOf('10.0.0.5, not-an-ip'), undefined);
});
