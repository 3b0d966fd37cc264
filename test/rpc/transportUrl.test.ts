import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidTransportUrl } from '../../src/rpc/errors.js';
import { describeHost, parseTransportUrl, redactTransportUrl, type TransportUrl } from '../../src/rpc/transportUrl.js';

const guest = { username: 'guest', password: 'guest' };

const cases: Array<[string, TransportUrl]> = [
  ['memory://', { kind: 'memory' }],
  ['memory:///', { kind: 'memory' }],
  [
    // the install guide's form
    'rabbit://openstack:RABBIT_PASS@controller',
    {
      kind: 'rabbit',
      hosts: [{ hostname: 'controller', port: 5672, username: 'openstack', password: 'RABBIT_PASS' }],
      virtualHost: '/',
      tls: false,
      query: {},
    },
  ],
  [
    'rabbit://openstack:RABBIT_PASS@controller:5672/',
    {
      kind: 'rabbit',
      hosts: [{ hostname: 'controller', port: 5672, username: 'openstack', password: 'RABBIT_PASS' }],
      virtualHost: '/',
      tls: false,
      query: {},
    },
  ],
  [
    'rabbit://user:pass@host:5673/openstack',
    {
      kind: 'rabbit',
      hosts: [{ hostname: 'host', port: 5673, username: 'user', password: 'pass' }],
      virtualHost: 'openstack',
      tls: false,
      query: {},
    },
  ],
  [
    // several brokers, each with its credentials
    'rabbit://u1:p1@h1:5672,u2:p2@h2:5673,u3:p3@h3/nova',
    {
      kind: 'rabbit',
      hosts: [
        { hostname: 'h1', port: 5672, username: 'u1', password: 'p1' },
        { hostname: 'h2', port: 5673, username: 'u2', password: 'p2' },
        { hostname: 'h3', port: 5672, username: 'u3', password: 'p3' },
      ],
      virtualHost: 'nova',
      tls: false,
      query: {},
    },
  ],
  [
    // percent-encoding in user, password and vhost; '@' and ':' inside the password
    'rabbit://open%20stack:p%40ss%3Aw0rd%2F@controller/%2Fneutron%20vhost',
    {
      kind: 'rabbit',
      hosts: [{ hostname: 'controller', port: 5672, username: 'open stack', password: 'p@ss:w0rd/' }],
      virtualHost: '/neutron vhost',
      tls: false,
      query: {},
    },
  ],
  [
    // an unencoded '@' and ':' in the password: split on the last '@', the first ':', as oslo does
    'rabbit://user:p@ss:word@controller/',
    {
      kind: 'rabbit',
      hosts: [{ hostname: 'controller', port: 5672, username: 'user', password: 'p@ss:word' }],
      virtualHost: '/',
      tls: false,
      query: {},
    },
  ],
  [
    'rabbit://guest:guest@localhost/%2F',
    { kind: 'rabbit', hosts: [{ hostname: 'localhost', port: 5672, ...guest }], virtualHost: '/', tls: false, query: {} },
  ],
  [
    // no credentials: RabbitMQ's defaults; no host at all: localhost
    'rabbit://',
    { kind: 'rabbit', hosts: [{ hostname: 'localhost', port: 5672, ...guest }], virtualHost: '/', tls: false, query: {} },
  ],
  [
    'rabbit://h1,h2:5700/',
    {
      kind: 'rabbit',
      hosts: [
        { hostname: 'h1', port: 5672, ...guest },
        { hostname: 'h2', port: 5700, ...guest },
      ],
      virtualHost: '/',
      tls: false,
      query: {},
    },
  ],
  [
    'rabbit://user@host/',
    {
      kind: 'rabbit',
      hosts: [{ hostname: 'host', port: 5672, username: 'user', password: 'guest' }],
      virtualHost: '/',
      tls: false,
      query: {},
    },
  ],
  [
    'rabbit://u:p@[fd00::1]:5672,u:p@[fd00::2]/',
    {
      kind: 'rabbit',
      hosts: [
        { hostname: 'fd00::1', port: 5672, username: 'u', password: 'p' },
        { hostname: 'fd00::2', port: 5672, username: 'u', password: 'p' },
      ],
      virtualHost: '/',
      tls: false,
      query: {},
    },
  ],
  [
    // TLS: default port 5671; other query parameters kept
    'rabbit://u:p@host/?ssl=1&heartbeat=30',
    {
      kind: 'rabbit',
      hosts: [{ hostname: 'host', port: 5671, username: 'u', password: 'p' }],
      virtualHost: '/',
      tls: true,
      query: { heartbeat: '30' },
    },
  ],
  [
    'AMQP://u:p@host:5672/v?ssl=false',
    {
      kind: 'rabbit',
      hosts: [{ hostname: 'host', port: 5672, username: 'u', password: 'p' }],
      virtualHost: 'v',
      tls: false,
      query: {},
    },
  ],
];

describe('parseTransportUrl', () => {
  for (const [url, expected] of cases) {
    it(url, () => {
      assert.deepEqual(parseTransportUrl(url), expected);
    });
  }

  const bad: Array<[string, RegExp]> = [
    ['kafka://controller', /unsupported scheme 'kafka'/],
    ['controller:5672', /expected <scheme>:\/\//],
    ['rabbit://u:secret@host:notaport/', /invalid port 'notaport'/],
    ['rabbit://u:secret@host:70000/', /invalid port '70000'/],
    ['rabbit://u:secret@[fd00::1/', /unterminated IPv6/],
    ['rabbit://u:secret@host/?ssl=maybe', /ssl=maybe is not a boolean/],
    ['memory://somewhere', /memory:\/\/ takes no host/],
  ];
  for (const [url, message] of bad) {
    it(`refuses ${url}`, () => {
      assert.throws(
        () => parseTransportUrl(url),
        (err: unknown) => {
          assert.ok(err instanceof InvalidTransportUrl);
          assert.match(err.message, message);
          assert.doesNotMatch(err.message, /secret/, 'the password never appears in a message');
          return true;
        },
      );
    });
  }
});

describe('redactTransportUrl / describeHost', () => {
  it('replaces every password', () => {
    assert.equal(
      redactTransportUrl('rabbit://u1:p1@h1:5672,u2:p@2@h2,h3/vhost?ssl=1'),
      'rabbit://u1:***@h1:5672,u2:***@h2,h3/vhost?ssl=1',
    );
    assert.equal(redactTransportUrl('rabbit://user@host/'), 'rabbit://user@host/');
    assert.equal(redactTransportUrl('memory://'), 'memory://');
  });

  it('describes a host without its password', () => {
    assert.equal(describeHost({ hostname: 'fd00::1', port: 5672, username: 'u', password: 'p' }), 'u@[fd00::1]:5672');
    assert.equal(describeHost({ hostname: 'controller', port: 5671, username: 'openstack', password: 'x' }), 'openstack@controller:5671');
  });
});
