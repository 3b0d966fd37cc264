import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';

import { NovaMetadataClient, signInstanceId } from '../../../src/agents/metadata/novaMetadataClient.js';

const client = new NovaMetadataClient({ protocol: 'http', host: '10.0.0.5', port: 8775, sharedSecret: 's', insecure: false, timeoutMs: 1000 });

test('the signature is hex HMAC-SHA256 of the instance id under the shared secret', () => {
  assert.equal(signInstanceId('secret', 'i-1'), createHmac('sha256', 'secret').update('i-1').digest('hex'));
  assert.match(signInstanceId('', 'i-1'), /^[0-9a-f]{64}$/);
});

test("a VM's request target never moves the signed request to another host", () => {
  const cases: [string, string][] = [
    ['/latest/meta-data/instance-id?x=1', 'http://10.0.0.5:8775/latest/meta-data/instance-id?x=1'],
    ['//evil.example/steal', 'http://10.0.0.5:8775//evil.example/steal'],
    ['http://evil.example/latest/meta-data/?a=b', 'http://10.0.0.5:8775/latest/meta-data/?a=b'],
    ['@evil.example/x', 'http://10.0.0.5:8775/@evil.example/x'],
  ];
  for (const [target, expected] of cases) {
    const url = client.urlFor(target);
    assert.equal(url.host, '10.0.0.5:8775', target);
    assert.equal(url.href, expected);
  }
});

test('an IPv6 Nova host goes in brackets', () => {
  const v6 = new NovaMetadataClient({ protocol: 'https', host: 'fd00::5', port: 8775, sharedSecret: 's', insecure: true, timeoutMs: 1000 });
  assert.equal(v6.baseUrl, 'https://[fd00::5]:8775');
  assert.equal(v6.urlFor('/openstack').href, 'https://[fd00::5]:8775/openstack');
});
