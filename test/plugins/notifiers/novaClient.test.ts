/**
 * The Nova client against a fake Keystone and a fake Nova (a fetch stand-in):
 * the compute endpoint from the token's catalog, the request novaclient
 * makes, a 401 answered by one fresh login, and what counts as unavailable.
 * (test/keystone/ tests the catalog itself.)
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { IdentityClient } from '../../../src/keystone/identityClient.js';
import { ServiceToken } from '../../../src/keystone/serviceToken.js';
import { computeApiUrl, NovaClient, type NovaEvent, NovaUnavailable } from '../../../src/plugins/notifiers/novaClient.js';

const catalogBody = {
  token: {
    expires_at: '2999-01-01T00:00:00Z',
    user: { id: 'u1', name: 'nova' },
    project: { id: 'p1', name: 'service' },
    roles: [{ name: 'admin' }],
    catalog: [
      { type: 'identity', name: 'keystone', endpoints: [{ interface: 'public', region_id: 'RegionOne', url: 'http://keystone:5000/v3' }] },
      {
        type: 'compute',
        name: 'nova',
        endpoints: [
          { interface: 'public', region_id: 'RegionOne', region: 'RegionOne', url: 'http://nova-one:8774/v2.1' },
          { interface: 'internal', region_id: 'RegionOne', url: 'http://nova-internal:8774/v2.1' },
          { interface: 'public', region_id: 'RegionTwo', url: 'http://nova-two:8774/' },
        ],
      },
    ],
  },
};

describe('the compute endpoint', () => {
  test('an endpoint without an API version gets /v2.1', () => {
    assert.equal(computeApiUrl('http://nova:8774/v2.1'), 'http://nova:8774/v2.1');
    assert.equal(computeApiUrl('http://nova:8774/v2.1/'), 'http://nova:8774/v2.1');
    assert.equal(computeApiUrl('http://nova:8774/v2/3fba89e7'), 'http://nova:8774/v2/3fba89e7');
    assert.equal(computeApiUrl('http://nova:8774'), 'http://nova:8774/v2.1');
    assert.equal(computeApiUrl('https://cloud.example/compute/'), 'https://cloud.example/compute/v2.1');
  });
});

interface Seen {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

/** A fetch that plays Keystone (tokens t1, t2, ...) and Nova (answers from `nova`, the last one repeating). */
function fakeCloud(nova: (() => Response)[], catalog: unknown = catalogBody) {
  const seen: Seen[] = [];
  let logins = 0;
  const fetchStub = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = String(input);
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    seen.push({ url, method: init?.method ?? 'GET', headers, body: init?.body ? JSON.parse(String(init.body)) : undefined });
    if (url.startsWith('http://keystone:5000/v3/auth/tokens')) {
      logins += 1;
      return new Response(JSON.stringify(catalog), { status: 201, headers: { 'x-subject-token': `t${logins}`, 'content-type': 'application/json' } });
    }
    const answer = nova.length > 1 ? nova.shift()! : nova[0]!;
    return answer();
  };
  const identity = new IdentityClient({ identityUrl: 'http://keystone:5000/v3', timeoutMs: 1000, fetch: fetchStub, credentialsSection: 'nova' });
  const token = new ServiceToken(identity, { user: { name: 'nova', domain: { name: 'Default' } }, password: 'pw', project: { name: 'service', domain: { name: 'Default' } } }, Date.now, {
    catalog: true,
  });
  const client = (region?: string, endpointType = 'public') => new NovaClient({ token, endpointType, region, timeoutMs: 1000, fetch: fetchStub });
  return { seen, client, logins: () => logins, novaCalls: () => seen.filter((s) => !s.url.startsWith('http://keystone')) };
}

const json = (status: number, body: unknown) => () => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const events: NovaEvent[] = [{ server_uuid: 's1', name: 'network-vif-plugged', status: 'completed', tag: 'p1' }];

describe('NovaClient', () => {
  test("posts the events to the catalog's compute endpoint with the token and microversion 2.1; the login asked for the catalog", async () => {
    const cloud = fakeCloud([json(200, { events: [{ ...events[0], code: 200 }] })]);
    const result = await cloud.client('RegionOne').createEvents(events);
    assert.deepEqual(result, { kind: 'accepted', status: 200, events: [{ ...events[0], code: 200 }] });
    const [login, post] = cloud.seen;
    assert.equal(login!.url, 'http://keystone:5000/v3/auth/tokens', 'no ?nocatalog');
    assert.deepEqual(login!.body, {
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'nova', domain: { name: 'Default' }, password: 'pw' } } },
        scope: { project: { name: 'service', domain: { name: 'Default' } } },
      },
    });
    assert.equal(post!.url, 'http://nova-one:8774/v2.1/os-server-external-events');
    assert.equal(post!.method, 'POST');
    assert.equal(post!.headers['x-auth-token'], 't1');
    assert.equal(post!.headers['x-openstack-nova-api-version'], '2.1');
    assert.equal(post!.headers['content-type'], 'application/json');
    assert.match(post!.headers['x-openstack-request-id'] ?? '', /^req-[0-9a-f-]{36}$/);
    assert.deepEqual(post!.body, { events });
    // The token is kept: a second batch logs in no more.
    await cloud.client('RegionOne').createEvents(events);
    assert.equal(cloud.logins(), 1);
  });

  test('the region and interface choose the endpoint; an unversioned one gets /v2.1', async () => {
    const cloud = fakeCloud([json(200, { events: [] })]);
    await cloud.client('RegionTwo').createEvents(events);
    await cloud.client('RegionOne', 'internal').createEvents(events);
    assert.deepEqual(
      cloud.novaCalls().map((c) => c.url),
      ['http://nova-two:8774/v2.1/os-server-external-events', 'http://nova-internal:8774/v2.1/os-server-external-events'],
    );
  });

  test('401: one fresh login and the same events again; a second 401 is a rejection', async () => {
    const cloud = fakeCloud([json(401, { error: 'expired' }), json(200, { events: [] })]);
    assert.equal((await cloud.client().createEvents(events)).kind, 'accepted');
    assert.equal(cloud.logins(), 2);
    assert.deepEqual(cloud.novaCalls().map((c) => c.headers['x-auth-token']), ['t1', 't2']);

    const refused = fakeCloud([json(401, { error: 'no' })]);
    const result = await refused.client().createEvents(events);
    assert.equal(result.kind, 'rejected');
    assert.equal(refused.novaCalls().length, 2);
  });

  test('404 is not-found, 5xx and no compute endpoint are NovaUnavailable (the missing endpoint drops the token)', async () => {
    assert.deepEqual(await fakeCloud([json(404, { itemNotFound: { code: 404 } })]).client().createEvents(events), { kind: 'not-found' });
    await assert.rejects(fakeCloud([json(503, { error: 'busy' })]).client().createEvents(events), NovaUnavailable);
    const noCompute = fakeCloud([json(200, { events: [] })], { token: { ...catalogBody.token, catalog: [] } });
    await assert.rejects(noCompute.client().createEvents(events), /catalog has no compute endpoint \(interface public\)/);
    await assert.rejects(noCompute.client('RegionOne').createEvents(events), /interface public, region RegionOne/);
    assert.equal(noCompute.logins(), 2, 'each attempt logs in again to see a fresh catalog');
    assert.equal(noCompute.novaCalls().length, 0);
  });
});
