import assert from 'node:assert/strict';
import { test } from 'node:test';

import { haproxyConfig } from '../../../src/agents/metadata/haproxyConfig.js';

const base = { bindAddress: '169.254.169.254', bindPort: 80, socketPath: '/var/lib/nucleon/metadata_proxy', pidFile: '/var/lib/nucleon/md/n1.pid' };

test("a network's proxy: Neutron's global and defaults, the listener deletes the router header and sets the network's", () => {
  const text = haproxyConfig({ ...base, owner: { kind: 'network', id: 'n1' } });
  assert.equal(
    text,
    [
      'global',
      '    maxconn     1024',
      '    pidfile     /var/lib/nucleon/md/n1.pid',
      '    daemon',
      '',
      'defaults',
      '    mode http',
      '    option http-server-close',
      '    option forwardfor',
      '    retries                 3',
      '    timeout http-request    30s',
      '    timeout connect         30s',
      '    timeout client          32s',
      '    timeout server          32s',
      '    timeout http-keep-alive 30s',
      '',
      'listen listener',
      '    bind 169.254.169.254:80',
      '    server metadata /var/lib/nucleon/metadata_proxy',
      '    http-request del-header X-Neutron-Router-ID',
      '    http-request set-header X-Neutron-Network-ID n1',
      '',
    ].join('\n'),
  );
});

test("a router's proxy sets the router header and deletes the network's", () => {
  const text = haproxyConfig({ ...base, bindAddress: '0.0.0.0', bindPort: 9697, owner: { kind: 'router', id: 'r1' } });
  assert.match(text, /\n {4}bind 0\.0\.0\.0:9697\n/);
  assert.match(text, /\n {4}http-request del-header X-Neutron-Network-ID\n {4}http-request set-header X-Neutron-Router-ID r1\n/);
});

test('values that would inject haproxy directives are refused', () => {
  assert.throws(() => haproxyConfig({ ...base, owner: { kind: 'network', id: 'n1\n    server evil 1.2.3.4:80' } }), /owner id/);
  assert.throws(() => haproxyConfig({ ...base, socketPath: '/tmp/a b', owner: { kind: 'network', id: 'n1' } }), /socket path/);
  assert.throws(() => haproxyConfig({ ...base, bindPort: 0, owner: { kind: 'network', id: 'n1' } }), /not a TCP port/);
});
