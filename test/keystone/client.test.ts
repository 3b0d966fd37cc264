/**
 * The Keystone client's pure parts, without a Keystone: the service catalog
 * and finding an endpoint in it, token bodies, the v3 URL under an auth_url,
 * and the bounded cache of validated tokens.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { findEndpoint, parseCatalog } from '../../src/keystone/catalog.js';
import { identityApiUrl } from '../../src/keystone/credentials.js';
import { parseToken } from '../../src/keystone/tokenInfo.js';
import { IdentityClient, KeystoneUnavailable } from '../../src/keystone/identityClient.js';
import { TtlCache } from '../../src/keystone/ttlCache.js';

describe('the Keystone client', () => {
  test('the catalog: an endpoint by service type, interface (publicURL too) and region', () => {
    const body = {
      token: {
        catalog: [
          { type: 'network', name: 'neutron', endpoints: [{ interface: 'public', region_id: 'R1', url: 'http://neutron:9696' }] },
          {
            type: 'image',
            endpoints: [
              { interface: 'public', region: 'R1', url: 'http://glance-r1:9292' },
              { interface: 'internal', region_id: 'R1', url: 'http://glance-internal:9292' },
              { interface: 'public', region_id: 'R2', url: 'http://glance-r2:9292' },
              { interface: 'public', region_id: 'R3' },
              'not an endpoint',
            ],
          },
          { name: 'no type' },
        ],
      },
    };
    const catalog = parseCatalog(body);
    assert.deepEqual(catalog.map((service) => service.type), ['network', 'image']);
    const find = (iface: string, region?: string) => findEndpoint(catalog, { serviceType: 'image', interface: iface, region });
    assert.equal(find('public'), 'http://glance-r1:9292');
    assert.equal(find('publicURL', 'R2'), 'http://glance-r2:9292');
    assert.equal(find('internal', 'R1'), 'http://glance-internal:9292');
    assert.equal(find('admin'), undefined);
    assert.equal(find('internal', 'R2'), undefined);
    assert.equal(findEndpoint(catalog, { serviceType: 'compute', interface: 'public' }), undefined);
    assert.deepEqual(parseCatalog({ token: { user: { id: 'u' } } }), []);
    assert.deepEqual(parseCatalog('nonsense'), []);
  });

  test('a token body: user, scope, lower-case roles without repeats, expiry; anything else is not a token', () => {
    const token = parseToken({
      token: {
        user: { id: 'u1', name: 'demo' },
        project: { id: 'p1', name: 'demo', domain: { id: 'default' } },
        roles: [{ name: 'Member' }, { name: 'member' }, { id: 'no name' }],
        expires_at: '2030-01-01T00:00:00Z',
      },
    });
    assert.deepEqual(token, {
      userId: 'u1',
      userName: 'demo',
      scope: { kind: 'project', id: 'p1', name: 'demo', domainId: 'default' },
      roles: ['member'],
      expiresAt: Date.parse('2030-01-01T00:00:00Z'),
    });
    const scope = (extra: object) => parseToken({ token: { user: { id: 'u' }, expires_at: '2030-01-01T00:00:00Z', ...extra } })?.scope;
    assert.deepEqual(scope({ system: { all: true } }), { kind: 'system' });
    assert.deepEqual(scope({ domain: { id: 'd1' } }), { kind: 'domain', id: 'd1', name: undefined });
    assert.deepEqual(scope({}), { kind: 'unscoped' });
    assert.equal(parseToken({ token: { user: { id: 'u' }, expires_at: 'never' } }), undefined);
    assert.equal(parseToken({ token: { expires_at: '2030-01-01T00:00:00Z' } }), undefined);
    assert.equal(parseToken('nonsense'), undefined);
  });

  test('auth_url with or without /v3 (or the old /v2.0) names the v3 API', () => {
    for (const url of ['http://controller:5000', 'http://controller:5000/', 'http://controller:5000/v3', 'http://controller:5000/v3/', 'http://controller:5000/v2.0']) {
      assert.equal(identityApiUrl(url), 'http://controller:5000/v3', url);
    }
    assert.equal(identityApiUrl('https://cloud.example/identity'), 'https://cloud.example/identity/v3');
  });

  test('TtlCache keeps at most maxEntries, dropping the least recently used', () => {
    let now = 0;
    const cache = new TtlCache<string, number>(2, () => now);
    cache.set('a', 1, 100);
    cache.set('b', 2, 100);
    assert.equal(cache.get('a'), 1); // a is now the most recent
    cache.set('c', 3, 100);
    assert.equal(cache.get('b'), undefined);
    assert.equal(cache.get('a'), 1);
    assert.equal(cache.get('c'), 3);
    now = 100;
    assert.equal(cache.get('a'), undefined);
    assert.equal(cache.size, 1);
  });

  test('http_request_max_retries: a refused connection is tried again (0.5 s, then doubling); a timeout is not', async () => {
    const refused = () => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    const token = { token: { user: { id: 'u' }, expires_at: new Date(Date.now() + 3_600_000).toISOString(), roles: [] } };
    let calls = 0;
    const flaky: typeof fetch = async () => {
      calls += 1;
      if (calls <= 2) throw refused();
      return new Response(JSON.stringify(token), { status: 200 });
    };
    const client = new IdentityClient({ identityUrl: 'http://k/v3', timeoutMs: 1000, connectRetries: 3, connectRetryDelayMs: 10, fetch: flaky });
    assert.equal((await client.validate('s', 'u')).kind, 'valid');
    assert.equal(calls, 3);

    calls = 0;
    const down = new IdentityClient({ identityUrl: 'http://k/v3', timeoutMs: 1000, connectRetries: 2, connectRetryDelayMs: 10, fetch: async () => ((calls += 1), Promise.reject(refused())) });
    await assert.rejects(down.validate('s', 'u'), (err: unknown) => err instanceof KeystoneUnavailable && /connection refused/.test(err.message));
    assert.equal(calls, 3);

    calls = 0;
    const hanging: typeof fetch = (_url, init) => {
      calls += 1;
      return new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(new Error('aborted'))));
    };
    const slow = new IdentityClient({ identityUrl: 'http://k/v3', timeoutMs: 200, connectRetries: 3, fetch: hanging });
    const started = Date.now();
    const keepAlive = setTimeout(() => undefined, 5000); // AbortSignal.timeout's timer does not hold the event loop
    await assert.rejects(slow.validate('s', 'u'), /did not answer within 0.2 s/);
    clearTimeout(keepAlive);
    assert.equal(calls, 1);
    assert.ok(Date.now() - started < 1000);
  });
});
