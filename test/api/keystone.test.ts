/**
 * auth_strategy = keystone against a real Keystone (scripts/keystone-setup.sh:
 * Debian's keystone under uwsgi on 127.0.0.1:5000) with real tokens, and the
 * authenticator's deadlines and cache bounds against a fake Keystone.
 *
 * The API server talks to Keystone through a counting proxy, so the tests
 * see how many validations reach Keystone and can make Keystone fail.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { pino } from 'pino';

import { createKeystoneAuth, UNAUTHORIZED_MESSAGE, UNAVAILABLE_MESSAGE } from '../../src/api/keystone/authenticator.js';
import type { KeystoneSettings } from '../../src/api/keystone/settings.js';
import { NeutronError } from '../../src/common/errors.js';
import type { NeutronOverrides } from '../../src/server/config.js';
import { createTestDatabase, type TestDatabase } from '../db/databases.js';
import { ensureKeystone, type Keystone, keystoneOverrides, type KeystoneProxy, type Login, startKeystoneProxy } from '../helpers/keystone.js';
import { freePort, type Headers, startTestApi, type TestApi } from '../helpers/testApi.js';

const OPENSTACK = '/usr/bin/openstack';
const as = (login: Login): Headers => ({ 'x-auth-token': login.token });
const ids = (list: { id: string }[]) => list.map((item) => item.id);

/** The 401 every unauthenticated /v2.0 request gets. */
function assertUnauthorized(response: { status: number; headers: Headers; body: unknown }, keystone: Keystone): void {
  assert.equal(response.status, 401, JSON.stringify(response.body));
  assert.equal(response.headers['www-authenticate'], `Keystone uri="${keystone.authUrl}"`);
  assert.deepEqual(response.body, { NeutronError: { type: 'HTTPUnauthorized', message: UNAUTHORIZED_MESSAGE, detail: '' } });
}

describe('auth_strategy = keystone with a real Keystone', () => {
  let keystone: Keystone;
  let proxy: KeystoneProxy;
  let database: TestDatabase;
  let api: TestApi;
  let admin: Login;
  let demo: Login;
  let altDemo: Login;
  let reader: Login;
  const closers: (() => Promise<void>)[] = [];

  before(async () => {
    keystone = await ensureKeystone();
    [admin, demo, altDemo, reader] = await Promise.all([
      keystone.login('admin'),
      keystone.login('demo'),
      keystone.login('alt_demo'),
      keystone.login('reader'),
    ]);
    proxy = await startKeystoneProxy(keystone.authUrl);
    database = await createTestDatabase('sqlite');
    api = await startTestApi(database.url, keystoneOverrides(keystone, proxy.authUrl));
  });
  after(async () => {
    for (const close of closers.reverse()) await close();
    await api?.close();
    await proxy?.close();
    await database?.drop();
  });

  const createNetwork = async (login: Login, body: Record<string, unknown> = {}) => {
    const response = await api.request('POST', '/v2.0/networks', { network: { name: 'n', ...body } }, as(login));
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return response.body.network as { id: string; project_id: string; tenant_id: string };
  };

  test('GET / needs no token; everything under /v2.0 does: 401 with WWW-Authenticate', async () => {
    const root = await api.request('GET', '/');
    assert.equal(root.status, 200);
    assert.equal(root.body.versions[0].id, 'v2.0');
    for (const path of ['/v2.0', '/v2.0/extensions', '/v2.0/networks', '/v2.0/ports/x', '/v2.0/nothing-here']) {
      assertUnauthorized(await api.request('GET', path), keystone);
    }
    assertUnauthorized(await api.request('POST', '/v2.0/networks', { network: {} }), keystone);
  });

  test('a token Keystone does not know is a 401, and so is one that cannot be a token', async () => {
    assertUnauthorized(await api.request('GET', '/v2.0/networks', undefined, { 'x-auth-token': 'garbage' }), keystone);
    assertUnauthorized(await api.request('GET', '/v2.0/networks', undefined, { 'x-auth-token': `${demo.token}x` }), keystone);
    assertUnauthorized(await api.request('GET', '/v2.0/networks', undefined, { 'x-auth-token': 'a b' }), keystone);
    assertUnauthorized(await api.request('GET', '/v2.0/networks', undefined, { 'x-auth-token': 'x'.repeat(9000) }), keystone);
  });

  test("the project comes from the token: demo's network is demo's; alt_demo cannot see it, demo's reader can", async () => {
    const network = await createNetwork(demo);
    assert.equal(network.project_id, keystone.projectId('demo'));
    assert.equal(network.project_id, demo.projectId);
    assert.equal(network.tenant_id, demo.projectId);

    assert.equal((await api.request('GET', `/v2.0/networks/${network.id}`, undefined, as(demo))).status, 200);
    assert.equal((await api.request('GET', `/v2.0/networks/${network.id}`, undefined, as(reader))).status, 200);
    const hidden = await api.request('GET', `/v2.0/networks/${network.id}`, undefined, as(altDemo));
    assert.equal(hidden.status, 404);
    assert.equal(hidden.body.NeutronError.type, 'NetworkNotFound');
    assert.ok(!ids((await api.request('GET', '/v2.0/networks', undefined, as(altDemo))).body.networks).includes(network.id));
    const deleted = await api.request('DELETE', `/v2.0/networks/${network.id}`, undefined, as(altDemo));
    assert.equal(deleted.status, 404);

    const own = await createNetwork(altDemo);
    assert.equal(own.project_id, keystone.projectId('alt_demo'));
    assert.deepEqual(ids((await api.request('GET', '/v2.0/networks', undefined, as(altDemo))).body.networks), [own.id]);
  });

  test("admin sees every project's networks and may create one in another project", async () => {
    const mine = await createNetwork(demo);
    const theirs = await createNetwork(altDemo);
    const listed = ids((await api.request('GET', '/v2.0/networks', undefined, as(admin))).body.networks);
    assert.ok(listed.includes(mine.id) && listed.includes(theirs.id));
    const forDemo = await createNetwork(admin, { project_id: keystone.projectId('demo') });
    assert.equal(forDemo.project_id, keystone.projectId('demo'));
    const ownProject = await createNetwork(admin);
    assert.equal(ownProject.project_id, keystone.projectId('admin'));
    // A member may not name another project.
    const refused = await api.request('POST', '/v2.0/networks', { network: { project_id: keystone.projectId('alt_demo') } }, as(demo));
    assert.equal(refused.status, 400);
  });

  test('noauth headers a caller could forge are ignored', async () => {
    const forged = { ...as(demo), 'x-project-id': keystone.projectId('alt_demo'), 'x-roles': 'admin', 'x-user-id': 'someone' };
    const theirs = await createNetwork(altDemo);
    const listed = ids((await api.request('GET', '/v2.0/networks', undefined, forged)).body.networks);
    assert.ok(!listed.includes(theirs.id));
    const created = await api.request('POST', '/v2.0/networks', { network: { name: 'forged' } }, forged);
    assert.equal(created.status, 201);
    assert.equal(created.body.network.project_id, keystone.projectId('demo'));
    // No token at all, only the headers noauth would trust.
    assertUnauthorized(await api.request('GET', '/v2.0/networks', undefined, { 'x-project-id': 'p', 'x-roles': 'admin' }), keystone);
  });

  test('a system-scoped admin token is an admin without a project; an unscoped token is a 403', async () => {
    const system = await keystone.login('admin', 'system');
    assert.equal(system.projectId, undefined);
    const theirs = await createNetwork(altDemo);
    const listed = await api.request('GET', '/v2.0/networks', undefined, as(system));
    assert.equal(listed.status, 200);
    assert.ok(ids(listed.body.networks).includes(theirs.id));
    const noProject = await api.request('POST', '/v2.0/networks', { network: {} }, as(system));
    assert.equal(noProject.status, 400);
    const named = await api.request('POST', '/v2.0/networks', { network: { project_id: keystone.projectId('demo') } }, as(system));
    assert.equal(named.status, 201);

    const unscoped = await keystone.login('demo', 'unscoped');
    const refused = await api.request('GET', '/v2.0/networks', undefined, as(unscoped));
    assert.equal(refused.status, 403);
    assert.equal(refused.body.NeutronError.type, 'HTTPForbidden');
  });

  test('N requests with one token cost one validation; concurrent first requests share it', async (t) => {
    const fresh = await keystone.login('demo');
    const before = proxy.validations;
    const concurrent = await Promise.all(Array.from({ length: 8 }, () => api.request('GET', '/v2.0/networks', undefined, as(fresh))));
    assert.deepEqual(
      concurrent.map((r) => r.status),
      Array(8).fill(200),
    );
    assert.equal(proxy.validations - before, 1, 'eight concurrent first requests, one validation');

    const timed = async (login: Login) => {
      const started = process.hrtime.bigint();
      const response = await api.request('GET', '/v2.0/networks?limit=1', undefined, as(login));
      assert.equal(response.status, 200);
      return Number(process.hrtime.bigint() - started) / 1e6;
    };
    const cached: number[] = [];
    for (let i = 0; i < 20; i++) cached.push(await timed(fresh));
    assert.equal(proxy.validations - before, 1, 'twenty more requests, no validation');

    const uncached: number[] = [];
    for (let i = 0; i < 3; i++) uncached.push(await timed(await keystone.login('alt_demo')));
    assert.equal(proxy.validations - before, 4);
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
    t.diagnostic(`GET /v2.0/networks?limit=1: uncached token ${median(uncached).toFixed(1)} ms (median of 3), cached ${median(cached).toFixed(1)} ms (median of 20)`);
  });

  test('a token revoked in Keystone stops working once its cache entry expires (token_cache_time = 1)', async () => {
    const short = await startTestApi(database.url, keystoneOverrides(keystone, keystone.authUrl, 1));
    closers.push(() => short.close());
    const doomed = await keystone.login('demo');
    assert.equal((await short.request('GET', '/v2.0/networks', undefined, as(doomed))).status, 200);
    await keystone.revoke(doomed.token);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assertUnauthorized(await short.request('GET', '/v2.0/networks', undefined, as(doomed)), keystone);
    // The rejection is cached too, and stays a 401.
    assertUnauthorized(await short.request('GET', '/v2.0/networks', undefined, as(doomed)), keystone);
  });

  test("a service token Keystone refuses is replaced: revoke the server's own token", async () => {
    const service = proxy.lastServiceToken;
    assert.ok(service, 'the server has validated tokens through the proxy');
    await keystone.revoke(service);
    const logins = proxy.logins;
    const fresh = await keystone.login('reader');
    const response = await api.request('GET', '/v2.0/networks', undefined, as(fresh));
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(proxy.logins - logins, 1, 'one new service login');
    assert.notEqual(proxy.lastServiceToken, service);
  });

  test('Keystone answering 503: a new token gets a 503 quickly, cached tokens keep working, nothing bad is cached', async () => {
    await api.request('GET', '/v2.0/networks', undefined, as(demo)); // cached
    const fresh = await keystone.login('demo');
    proxy.mode = 'fail';
    try {
      const started = Date.now();
      const response = await api.request('GET', '/v2.0/networks', undefined, as(fresh));
      assert.ok(Date.now() - started < 2000);
      assert.equal(response.status, 503);
      assert.equal(response.body.NeutronError.type, 'HTTPServiceUnavailable');
      assert.equal(response.body.NeutronError.message, UNAVAILABLE_MESSAGE);
      assert.equal(response.headers['www-authenticate'], undefined);
      assert.equal((await api.request('GET', '/v2.0/networks', undefined, as(demo))).status, 200);
    } finally {
      proxy.mode = 'pass';
    }
    assert.equal((await api.request('GET', '/v2.0/networks', undefined, as(fresh))).status, 200);
  });

  test('Keystone unreachable (auth_url on a closed port): 503 within a second without retries, never a 500 or a hang', async () => {
    const closed = await freePort();
    const overrides = keystoneOverrides(keystone, `http://127.0.0.1:${closed}`);
    const orphan = await startTestApi(database.url, { ...overrides, keystone_authtoken: { ...overrides.keystone_authtoken, http_request_max_retries: 0 } });
    closers.push(() => orphan.close());
    for (let i = 0; i < 2; i++) {
      const started = Date.now();
      const response = await orphan.request('GET', '/v2.0/networks', undefined, as(demo));
      assert.ok(Date.now() - started < 1000, `${Date.now() - started} ms`);
      assert.equal(response.status, 503);
      assert.equal(response.body.NeutronError.message, UNAVAILABLE_MESSAGE);
      assert.match(response.body.NeutronError.detail, /connection refused/);
    }
    assertUnauthorized(await orphan.request('GET', '/v2.0/networks'), keystone);
    assert.equal((await orphan.request('GET', '/')).status, 200);
    // http_request_max_retries = 3 (the default): refused connections tried again after 0.5, 1 and 2 s, as keystoneauth's connect_retries.
    const retrying = await startTestApi(database.url, overrides);
    closers.push(() => retrying.close());
    const started = Date.now();
    const response = await retrying.request('GET', '/v2.0/networks', undefined, as(demo));
    const ms = Date.now() - started;
    assert.equal(response.status, 503);
    assert.ok(ms >= 3400 && ms < 6000, `${ms} ms`);
  });

  test('auth_strategy = keystone without the [keystone_authtoken] options it needs stops the server, naming the option', async () => {
    const complete = keystoneOverrides(keystone);
    type Section = NonNullable<NeutronOverrides['keystone_authtoken']>;
    const without = (option: keyof Section): NeutronOverrides => {
      const { [option]: _dropped, ...rest } = complete.keystone_authtoken ?? {};
      return { ...complete, keystone_authtoken: rest };
    };
    const needed = ['auth_url', 'auth_type', 'username', 'password', 'project_name', 'user_domain_name', 'project_domain_name'] as const;
    for (const option of needed) {
      await assert.rejects(startTestApi(database.url, without(option)), new RegExp(`\\[keystone_authtoken\\] ${option}: is required but not set`));
    }
    await assert.rejects(
      startTestApi(database.url, { ...complete, keystone_authtoken: { ...complete.keystone_authtoken, auth_type: 'token' } }),
      /\[keystone_authtoken\] auth_type: 'token' is not supported; set auth_type = password/,
    );
    // Domains by id instead of by name are enough.
    const { user_domain_name: _u, project_domain_name: _p, ...byName } = complete.keystone_authtoken ?? {};
    const server = await startTestApi(database.url, {
      ...complete,
      keystone_authtoken: { ...byName, user_domain_id: 'default', project_domain_id: 'default' },
    });
    try {
      assert.equal((await server.request('GET', '/v2.0/networks', undefined, as(reader))).status, 200);
    } finally {
      await server.close();
    }
  });

  test('the openstack CLI logs in to Keystone and finds the server in the catalog: network, port, subnet, security group and rule commands', async () => {
    assert.ok(existsSync(OPENSTACK), `${OPENSTACK} is missing (python3-openstackclient)`);
    // A region of the test's own, so that the catalog other users of this Keystone see is unchanged.
    const region = `nucleon-test-${randomBytes(4).toString('hex')}`;
    const services = await keystone.admin('GET', '/services?type=network');
    const serviceId = (services.body as { services: { id: string }[] }).services[0]?.id;
    assert.ok(serviceId, 'the setup script created the network service');
    assert.equal((await keystone.admin('POST', '/regions', { region: { id: region } })).status, 201);
    const endpoints: string[] = [];
    const home = await mkdtemp(join(tmpdir(), 'nucleon-keystone-cli-'));
    try {
      for (const iface of ['public', 'internal', 'admin']) {
        const created = await keystone.admin('POST', '/endpoints', { endpoint: { service_id: serviceId, interface: iface, region_id: region, url: api.url } });
        assert.equal(created.status, 201);
        endpoints.push((created.body as { endpoint: { id: string } }).endpoint.id);
      }
      const env: NodeJS.ProcessEnv = {};
      for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('OS_')) env[key] = value;
      Object.assign(env, {
        HOME: home,
        OS_AUTH_URL: keystone.url,
        OS_IDENTITY_API_VERSION: '3',
        OS_USERNAME: 'demo',
        OS_PASSWORD: keystone.password('demo'),
        OS_PROJECT_NAME: keystone.projectName('demo'),
        OS_USER_DOMAIN_NAME: 'Default',
        OS_PROJECT_DOMAIN_NAME: 'Default',
        OS_REGION_NAME: region,
        OS_INTERFACE: 'public',
      });
      const openstack = async <T>(...args: string[]): Promise<T> => {
        const result = await run(OPENSTACK, [...args, '-f', 'json'], env);
        const { code, stdout, stderr } = result;
        assert.equal(code, 0, `openstack ${args.join(' ')}: exit ${code}\n${stderr}`);
        return JSON.parse(stdout) as T;
      };
      const name = `cli-${region}`;
      const network = await openstack<{ id: string; name: string; project_id: string }>('network', 'create', name);
      assert.equal(network.name, name);
      assert.equal(network.project_id, keystone.projectId('demo'));
      const listed = await openstack<{ ID: string; Name: string }[]>('network', 'list');
      assert.ok(listed.some((row) => row.ID === network.id && row.Name === name));
      const visible = ids((await api.request('GET', '/v2.0/networks', undefined, as(demo))).body.networks);
      assert.deepEqual(listed.map((row) => row.ID).sort(), visible.sort(), "the CLI lists exactly demo's view");
      const port = await openstack<{ id: string; network_id: string; project_id: string }>('port', 'create', '--network', network.id, `${name}-port`);
      assert.equal(port.network_id, network.id);
      assert.equal(port.project_id, keystone.projectId('demo'));
      // What the CLI made is visible to alt_demo's token as nothing at all.
      assert.equal((await api.request('GET', `/v2.0/ports/${port.id}`, undefined, as(altDemo))).status, 404);
      const subnet = await openstack<{ id: string; cidr: string }>('subnet', 'create', '--network', network.id, '--subnet-range', '10.77.0.0/24', `${name}-subnet`);
      assert.equal(subnet.cidr, '10.77.0.0/24');
      const group = await openstack<{ id: string; name: string }>('security', 'group', 'create', `${name}-sg`);
      assert.equal(group.name, `${name}-sg`);
      const rule = await openstack<{ id: string; port_range_min: number }>(
        'security', 'group', 'rule', 'create', '--protocol', 'tcp', '--dst-port', '22', group.id,
      );
      assert.equal(rule.port_range_min, 22);
      const rules = await openstack<{ ID: string }[]>('security', 'group', 'rule', 'list', group.id);
      assert.ok(rules.some((row) => row.ID === rule.id));
    } finally {
      for (const id of endpoints) await keystone.admin('DELETE', `/endpoints/${id}`);
      await keystone.admin('DELETE', `/regions/${region}`);
      await rm(home, { recursive: true, force: true });
    }
  });
});

/** Runs a command; resolves with its exit code and output (SIGKILL after 60 s). */
function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

// ---------------------------------------------------------------------------
// The authenticator against a fake Keystone: deadlines, cache bounds, renewal.

const silent = pino({ level: 'silent' });
const settings: KeystoneSettings = {
  identityUrl: 'http://keystone.invalid:5000/v3',
  wwwAuthenticateUri: 'http://keystone.invalid:5000',
  credentials: { user: { name: 'neutron', domain: { name: 'Default' } }, password: 'neutron', project: { name: 'service', domain: { name: 'Default' } } },
  tokenCacheSeconds: 300,
  notes: [],
};
const request = (token?: string) => ({ headers: token === undefined ? {} : { 'x-auth-token': token }, log: silent });
const iso = (ms: number) => new Date(ms).toISOString();

/** A Keystone in a function: logins get `service-N` tokens, `valid-*` tokens validate, others are 404s. */
function fakeKeystone(options: { clock: () => number; serviceLifetimeMs?: number; userExpiresAt?: () => number }) {
  const calls = { logins: 0, validations: 0 };
  const refused = new Set<string>();
  const state = { loginsFail: false };
  const fetch: typeof globalThis.fetch = async (_input, init) => {
    const headers = new Headers(init?.headers);
    if (init?.method === 'POST') {
      calls.logins += 1;
      if (state.loginsFail) return new Response('{}', { status: 500 });
      const expires = iso(options.clock() + (options.serviceLifetimeMs ?? 3_600_000));
      return new Response(JSON.stringify({ token: { user: { id: 'neutron-id' }, expires_at: expires, roles: [{ name: 'admin' }] } }), {
        status: 201,
        headers: { 'x-subject-token': `service-${calls.logins}` },
      });
    }
    calls.validations += 1;
    if (refused.has(headers.get('x-auth-token') ?? '')) return new Response('{}', { status: 401 });
    const subject = headers.get('x-subject-token') ?? '';
    if (!subject.startsWith('valid')) return new Response('{"error": {"code": 404}}', { status: 404 });
    const expires = iso(options.userExpiresAt?.() ?? options.clock() + 3_600_000);
    const body = {
      token: {
        user: { id: 'u1', name: 'demo' },
        project: { id: 'p1', name: 'demo', domain: { id: 'default' } },
        roles: [{ name: 'member' }, { name: 'Reader' }],
        expires_at: expires,
      },
    };
    return new Response(JSON.stringify(body), { status: 200 });
  };
  return { fetch, calls, state, refuse: (token: string) => refused.add(token) };
}

describe('keystone authenticator against a fake Keystone', () => {
  test('the context: project, names and roles from the token, never admin without the admin role', async () => {
    let now = 1_000_000;
    const keystone = fakeKeystone({ clock: () => now });
    const auth = createKeystoneAuth(settings, silent, { fetch: keystone.fetch, now: () => now });
    const context = await auth.authenticate(request('valid-1'), 'req-1');
    assert.deepEqual(context, {
      projectId: 'p1',
      projectName: 'demo',
      userId: 'u1',
      userName: 'demo',
      roles: ['member', 'reader'],
      isAdmin: false,
      requestId: 'req-1',
    });
    now += 1;
    await assert.rejects(auth.authenticate(request(), 'r'), (e: unknown) => e instanceof NeutronError && e.status === 401);
    await assert.rejects(auth.authenticate(request('bogus'), 'r'), (e: unknown) => e instanceof NeutronError && e.status === 401);
  });

  test('a cache entry lives token_cache_time, and never beyond the token expires_at', async () => {
    let now = 1_000_000;
    let expiresAt = now + 60_000;
    const keystone = fakeKeystone({ clock: () => now, userExpiresAt: () => expiresAt });
    const auth = createKeystoneAuth(settings, silent, { fetch: keystone.fetch, now: () => now });

    await auth.authenticate(request('valid-a'), 'r');
    await auth.authenticate(request('valid-a'), 'r');
    assert.equal(keystone.calls.validations, 1);
    now += 59_000;
    await auth.authenticate(request('valid-a'), 'r');
    assert.equal(keystone.calls.validations, 1, 'still cached just before expires_at');
    now += 1_000; // the token's expires_at: the entry is gone, Keystone is asked again
    expiresAt = now + 3_600_000;
    await auth.authenticate(request('valid-a'), 'r');
    assert.equal(keystone.calls.validations, 2);
    now += 299_000;
    await auth.authenticate(request('valid-a'), 'r');
    assert.equal(keystone.calls.validations, 2, 'cached for token_cache_time');
    now += 1_000;
    await auth.authenticate(request('valid-a'), 'r');
    assert.equal(keystone.calls.validations, 3, 'token_cache_time is over');
    assert.equal(auth.stats.validations, 3);
    assert.equal(auth.stats.cacheHits, 3);

    const uncached = createKeystoneAuth({ ...settings, tokenCacheSeconds: -1 }, silent, { fetch: keystone.fetch, now: () => now });
    await uncached.authenticate(request('valid-a'), 'r');
    await uncached.authenticate(request('valid-a'), 'r');
    assert.equal(uncached.stats.validations, 2, 'token_cache_time = -1: no cache');
  });

  test('the service token is renewed two minutes before it expires, and at once when Keystone refuses it', async () => {
    let now = 1_000_000;
    const keystone = fakeKeystone({ clock: () => now, serviceLifetimeMs: 3_600_000 });
    const auth = createKeystoneAuth({ ...settings, tokenCacheSeconds: 0 }, silent, { fetch: keystone.fetch, now: () => now });
    await Promise.all([auth.authenticate(request('valid-1'), 'r'), auth.authenticate(request('valid-2'), 'r')]);
    assert.equal(keystone.calls.logins, 1, 'concurrent first requests share one login');
    now += 3_600_000 - 121_000;
    await auth.authenticate(request('valid-1'), 'r');
    assert.equal(keystone.calls.logins, 1);
    now += 2_000;
    await auth.authenticate(request('valid-1'), 'r');
    assert.equal(keystone.calls.logins, 2, 'renewed inside the two-minute margin');

    keystone.refuse('service-2');
    await auth.authenticate(request('valid-1'), 'r');
    assert.equal(keystone.calls.logins, 3, 'a refused service token is replaced');
    assert.equal(auth.stats.logins, 3);
  });

  test('when renewing the service token fails, the one that has not expired yet still serves', async () => {
    let now = 1_000_000;
    const keystone = fakeKeystone({ clock: () => now });
    const auth = createKeystoneAuth({ ...settings, tokenCacheSeconds: 0 }, silent, { fetch: keystone.fetch, now: () => now });
    await auth.authenticate(request('valid-1'), 'r');
    keystone.state.loginsFail = true;
    now += 3_600_000 - 60_000;
    await auth.authenticate(request('valid-1'), 'r');
    assert.equal(keystone.calls.logins, 2, 'a renewal was tried');
    now += 60_000;
    await assert.rejects(auth.authenticate(request('valid-1'), 'r'), (e: unknown) => e instanceof NeutronError && e.status === 503);
    keystone.state.loginsFail = false;
    await auth.authenticate(request('valid-1'), 'r');
  });

  test('a Keystone that accepts connections and never answers: 503 after the deadline, not a hang', async () => {
    const hanging = await startKeystoneProxy('http://127.0.0.1:9');
    hanging.mode = 'hang';
    try {
      const auth = createKeystoneAuth({ ...settings, identityUrl: `${hanging.authUrl}/v3` }, silent, { timeoutMs: 300 });
      const started = Date.now();
      await assert.rejects(auth.authenticate(request('valid-1'), 'r'), (error: unknown) => {
        assert.ok(error instanceof NeutronError);
        assert.equal(error.status, 503);
        assert.equal(error.detail, 'Keystone did not answer within 0.3 s');
        return true;
      });
      assert.ok(Date.now() - started < 1500, `${Date.now() - started} ms`);
    } finally {
      await hanging.close();
    }
  });

  test('Keystone forbidding the service user to validate, or answering 500: 503', async () => {
    for (const status of [403, 500]) {
      const fetch: typeof globalThis.fetch = async (_input, init) =>
        init?.method === 'POST'
          ? new Response(JSON.stringify({ token: { user: { id: 'n' }, expires_at: iso(Date.now() + 3_600_000) } }), { status: 201, headers: { 'x-subject-token': 's' } })
          : new Response('{}', { status });
      const auth = createKeystoneAuth(settings, silent, { fetch });
      await assert.rejects(auth.authenticate(request('valid-1'), 'r'), (e: unknown) => e instanceof NeutronError && e.status === 503);
    }
  });
});

// ---------------------------------------------------------------------------
// A slow Keystone: bounded calls, shared validations, every request answered within its deadlines.

/** Logins answer at once; validations never answer (until aborted); counts what is open. */
function slowKeystone() {
  const calls = { open: 0, most: 0, validations: 0 };
  const fetch: typeof globalThis.fetch = async (_url, init) => {
    if (init?.method === 'POST') {
      const expires = new Date(Date.now() + 3_600_000).toISOString();
      return new Response(JSON.stringify({ token: { user: { id: 'neutron' }, expires_at: expires, roles: [{ name: 'admin' }] } }), { status: 201, headers: { 'x-subject-token': 'service' } });
    }
    calls.validations += 1;
    calls.open += 1;
    calls.most = Math.max(calls.most, calls.open);
    return new Promise<Response>((_resolve, reject) =>
      init?.signal?.addEventListener('abort', () => {
        calls.open -= 1;
        reject(new Error('aborted'));
      }),
    );
  };
  return { fetch, calls };
}

describe('the Keystone authenticator with a slow Keystone', () => {
  test('at most maxConcurrentValidations calls open; same tokens share one; every request a 503 within the deadline', async () => {
    const keystone = slowKeystone();
    const auth = createKeystoneAuth(settings, silent, { fetch: keystone.fetch, timeoutMs: 300, maxConcurrentValidations: 3 });
    const keepAlive = setTimeout(() => undefined, 5000); // AbortSignal.timeout's timer does not hold the event loop
    const started = Date.now();
    const tokens = [...Array.from({ length: 10 }, (_, i) => `token-${i}`), 'token-0', 'token-0', 'token-1'];
    const results = await Promise.allSettled(tokens.map((t) => auth.authenticate(request(t), 'req')));
    clearTimeout(keepAlive);
    const elapsed = Date.now() - started;
    for (const result of results) {
      assert.equal(result.status, 'rejected');
      const error = (result as PromiseRejectedResult).reason as NeutronError;
      assert.ok(error instanceof NeutronError);
      assert.equal(error.status, 503);
      assert.equal(error.message, 'The Keystone service is temporarily unavailable.');
    }
    assert.equal(keystone.calls.most, 3, 'never more than 3 validations at Keystone');
    assert.equal(auth.stats.sharedValidations, 3);
    assert.ok(auth.stats.turnsRefused >= 1);
    // Three waves at most: those that got a turn late time out on their own deadline.
    assert.ok(elapsed < 1500, `all answered in ${elapsed} ms`);
  });
});
