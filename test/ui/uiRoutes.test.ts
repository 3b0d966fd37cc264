/**
 * /ui/ over HTTP: the page and its files with their content types and no
 * token, /ui/config.json, the Keystone login relay, 404 when [ui] enabled =
 * false, and nothing of it in /v2.0 or the OpenAPI document.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';

import { createTestDatabase, type TestDatabase } from '../db/databases.js';
import { ensureKeystone, keystoneOverrides } from '../helpers/keystone.js';
import { type TestApi, startTestApi } from '../helpers/testApi.js';
import { ensurePageBuilt } from './builtPage.js';

async function get(api: TestApi, path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${api.url}${path}`, { headers, redirect: 'manual' });
  return { status: response.status, type: response.headers.get('content-type') ?? '', location: response.headers.get('location'), text: await response.text() };
}

/** A loopback port with nothing listening: a Keystone that cannot be reached. */
async function deadPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 1));
    });
  });
}

describe('/ui/ under noauth', () => {
  let database: TestDatabase;
  let api: TestApi;
  before(async () => {
    await ensurePageBuilt();
    database = await createTestDatabase('sqlite');
    api = await startTestApi(database.url);
  });
  after(async () => {
    await api.close();
    await database.drop();
  });

  test('serves the page, its stylesheet, its module and cytoscape with their content types', async () => {
    const page = await get(api, '/ui/');
    assert.equal(page.status, 200);
    assert.match(page.type, /^text\/html; charset=utf-8/);
    assert.match(page.text, /<div id="graph"/);
    assert.match(page.text, /"cytoscape": "\/ui\/vendor\/cytoscape\.esm\.min\.mjs"/);

    const css = await get(api, '/ui/style.css');
    assert.equal(css.status, 200);
    assert.match(css.type, /^text\/css/);

    const script = await get(api, '/ui/app.js');
    assert.equal(script.status, 200);
    assert.match(script.type, /^text\/javascript/);
    assert.match(script.text, /from 'cytoscape'/);

    const cytoscape = await get(api, '/ui/vendor/cytoscape.esm.min.mjs');
    assert.equal(cytoscape.status, 200);
    assert.match(cytoscape.type, /^text\/javascript/);
    assert.ok(cytoscape.text.length > 100_000, 'the minified ES module build of cytoscape');
  });

  test('files travel gzipped to a browser that takes gzip, and a revalidation with their ETag is a 304', async () => {
    const plain = await fetch(`${api.url}/ui/vendor/cytoscape.esm.min.mjs`, { headers: { 'accept-encoding': 'identity' } });
    const size = (await plain.arrayBuffer()).byteLength;
    assert.equal(plain.headers.get('content-encoding'), null);
    const zipped = await fetch(`${api.url}/ui/vendor/cytoscape.esm.min.mjs`, { headers: { 'accept-encoding': 'gzip, deflate' } });
    assert.equal(zipped.headers.get('content-encoding'), 'gzip');
    assert.equal((await zipped.arrayBuffer()).byteLength, size, 'fetch unzips it to the same bytes');
    const etag = zipped.headers.get('etag');
    assert.ok(etag);
    const again = await fetch(`${api.url}/ui/vendor/cytoscape.esm.min.mjs`, { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
  });

  test('/ui sends the browser to /ui/, so that the page and its files share a base', async () => {
    const answer = await get(api, '/ui');
    assert.equal(answer.status, 302);
    assert.equal(answer.location, '/ui/');
  });

  test('/ui/config.json says how to log in', async () => {
    assert.deepEqual(JSON.parse((await get(api, '/ui/config.json')).text), { auth: 'noauth' });
  });

  test('an unknown file under /ui/ is a 404', async () => {
    assert.equal((await get(api, '/ui/../package.json')).status, 404);
    assert.equal((await get(api, '/ui/nothing.js')).status, 404);
  });

  test('is in neither /v2.0 nor the OpenAPI document', async () => {
    const resources = await api.request('GET', '/v2.0');
    assert.doesNotMatch(JSON.stringify(resources.body), /\/ui/);
    const openapi = await api.request<{ paths: Record<string, unknown> }>('GET', '/v2.0/openapi.json');
    assert.equal(openapi.status, 200);
    assert.deepEqual(Object.keys(openapi.body.paths).filter((path) => path.includes('ui')), []);
  });
});

describe('/ui/ with [ui] enabled = false', () => {
  let database: TestDatabase;
  let api: TestApi;
  before(async () => {
    database = await createTestDatabase('sqlite');
    api = await startTestApi(database.url, { ui: { enabled: false } });
  });
  after(async () => {
    await api.close();
    await database.drop();
  });

  test('answers 404 for the page and every file', async () => {
    for (const path of ['/ui/', '/ui', '/ui/style.css', '/ui/app.js', '/ui/vendor/cytoscape.esm.min.mjs', '/ui/config.json']) {
      const answer = await get(api, path);
      assert.equal(answer.status, 404, path);
    }
    assert.equal((await api.request('GET', '/v2.0/networks')).status, 200, 'the API is still served');
  });
});

describe('/ui/ under auth_strategy = keystone', () => {
  test('the files need no token; a login to a Keystone that cannot be reached is a 503 that says so', async () => {
    const database = await createTestDatabase('sqlite');
    const dead = `http://127.0.0.1:${await deadPort()}`;
    const api = await startTestApi(database.url, {
      DEFAULT: { auth_strategy: 'keystone' },
      keystone_authtoken: { www_authenticate_uri: dead, auth_url: dead, auth_type: 'password', username: 'neutron', password: 'x', project_name: 'service', user_domain_name: 'Default', project_domain_name: 'Default' },
    });
    try {
      assert.equal((await get(api, '/ui/')).status, 200);
      assert.equal((await get(api, '/ui/style.css')).status, 200);
      assert.deepEqual(JSON.parse((await get(api, '/ui/config.json')).text), { auth: 'keystone' });
      const login = await api.request('POST', '/ui/login', { username: 'demo', password: 'demo', project: 'demo', domain: 'Default' });
      assert.equal(login.status, 503);
      assert.equal(login.body.NeutronError.type, 'KeystoneLoginFailed');
      assert.match(login.body.NeutronError.message, /cannot be reached/);
      const missing = await api.request('POST', '/ui/login', { username: 'demo' });
      assert.equal(missing.status, 400);
      assert.match(missing.body.NeutronError.message, /needs password/);
    } finally {
      await api.close();
      await database.drop();
    }
  });

  test('logs in at the configured Keystone and the token it answers works on the API', async () => {
    const keystone = await ensureKeystone();
    const database = await createTestDatabase('sqlite');
    const api = await startTestApi(database.url, keystoneOverrides(keystone));
    try {
      const username = keystone.env['DEMO_USERNAME'] ?? 'demo';
      const form = { username, password: keystone.password('demo'), project: keystone.projectName('demo'), domain: 'Default' };
      const login = await api.request('POST', '/ui/login', form);
      assert.equal(login.status, 200, JSON.stringify(login.body));
      assert.equal(login.body.project.id, keystone.projectId('demo'));
      assert.ok(login.body.roles.includes('member'));
      const networks = await api.request('GET', '/v2.0/networks', undefined, { 'x-auth-token': login.body.token });
      assert.equal(networks.status, 200);

      const refused = await api.request('POST', '/ui/login', { ...form, password: 'wrong' });
      assert.equal(refused.status, 401);
      assert.match(refused.body.NeutronError.message, /^Keystone refused the login: /);
    } finally {
      await api.close();
      await database.drop();
    }
  });
});
