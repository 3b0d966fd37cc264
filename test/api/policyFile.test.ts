/**
 * Policy over HTTP, on SQLite: Neutron's default rules as clients meet them,
 * a policy.yaml next to neutron.conf that changes them, and the one-line
 * errors of a bad or missing policy file.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { pino } from 'pino';

import { loadConfig } from '../../src/config/load.js';
import { type RunningApi, startApiServer } from '../../src/server/apiServer.js';
import { serverOptionGroups } from '../../src/server/config.js';
import { createTestDatabase, type TestDatabase } from '../db/databases.js';
import { asProject, freePort, type Headers, httpRequest, startTestApi, type TestApi } from '../helpers/testApi.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const asReader = (project: string): Headers => ({ 'x-project-id': project, 'x-roles': 'reader' });
/** The service role (Nova) in the port's project: the plugins show non-admins only their project's ports. */
const asService = (project: string): Headers => ({ 'x-project-id': project, 'x-roles': 'service' });
const disallowed = (rule: string) => ({ type: 'PolicyNotAuthorized', message: `(rule:${rule}) is disallowed by policy`, detail: '' });

const dir = mkdtempSync(join(tmpdir(), 'nucleon-policy-http-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('default policy over HTTP', () => {
  let database: TestDatabase;
  let api: TestApi;
  before(async () => {
    database = await createTestDatabase('sqlite');
    // The new defaults alone: readers, members and the service role as they are meant to be (without enforce_new_defaults
    // a rule's deprecated form is OR'ed in: test/api/policyDeprecatedRules.test.ts).
    api = await startTestApi(database.url, { oslo_policy: { enforce_new_defaults: true } });
  });
  after(async () => {
    await api?.close();
    await database?.drop();
  });

  test('readers read their project but create nothing; other projects get 404s', async () => {
    const refused = await api.request('POST', '/v2.0/networks', { network: { name: 'r' } }, asReader('pa'));
    assert.equal(refused.status, 403);
    assert.deepEqual(refused.body.NeutronError, disallowed('create_network'));

    const network = (await api.request('POST', '/v2.0/networks', { network: { name: 'a' } }, asProject('pa'))).body.network;
    assert.equal((await api.request('GET', `/v2.0/networks/${network.id}`, undefined, asReader('pa'))).status, 200);
    const listed = await api.request('GET', '/v2.0/networks', undefined, asReader('pa'));
    assert.deepEqual(listed.body.networks.map((n: { id: string }) => n.id), [network.id]);
    const updateByReader = await api.request('PUT', `/v2.0/networks/${network.id}`, { network: { name: 'x' } }, asReader('pa'));
    assert.deepEqual([updateByReader.status, updateByReader.body.NeutronError], [403, disallowed('update_network')]);
    const tagByReader = await api.request('PUT', `/v2.0/networks/${network.id}/tags/blue`, undefined, asReader('pa'));
    assert.deepEqual([tagByReader.status, tagByReader.body.NeutronError], [403, disallowed('update_network:tags')]);

    const other = await api.request('GET', `/v2.0/networks/${network.id}`, undefined, asProject('pb'));
    assert.equal(other.status, 404);
    assert.equal(other.body.NeutronError.type, 'NetworkNotFound');
    assert.equal((await api.request('DELETE', `/v2.0/networks/${network.id}`, undefined, asProject('pb'))).status, 404);
    const portElsewhere = await api.request('POST', '/v2.0/ports', { port: { network_id: network.id } }, asProject('pb'));
    assert.deepEqual([portElsewhere.status, portElsewhere.body.NeutronError.type], [404, 'NetworkNotFound']);
    const subnetByReader = await api.request('POST', '/v2.0/subnets', { subnet: { network_id: network.id, cidr: '10.1.0.0/24', ip_version: 4 } }, asReader('pa'));
    assert.deepEqual([subnetByReader.status, subnetByReader.body.NeutronError], [403, disallowed('create_subnet')]);
  });

  test('admin-only attributes: 403 naming the attribute rule; binding:* for admins and the service role', async () => {
    const shared = await api.request('POST', '/v2.0/networks', { network: { name: 's', shared: true } }, asProject('pc'));
    assert.deepEqual([shared.status, shared.body.NeutronError], [403, disallowed('create_network:shared')]);
    const network = (await api.request('POST', '/v2.0/networks', { network: { name: 'c', shared: false } }, asProject('pc'))).body.network;
    const share = await api.request('PUT', `/v2.0/networks/${network.id}`, { network: { shared: true } }, asProject('pc'));
    assert.deepEqual([share.status, share.body.NeutronError], [403, disallowed('update_network:shared')]);

    const port = (await api.request('POST', '/v2.0/ports', { port: { network_id: network.id } }, asProject('pc'))).body.port;
    assert.ok(!('binding:host_id' in port), 'members do not see bindings');
    const bind = await api.request('PUT', `/v2.0/ports/${port.id}`, { port: { 'binding:host_id': 'compute1' } }, asProject('pc'));
    assert.deepEqual([bind.status, bind.body.NeutronError], [403, disallowed('update_port:binding:host_id')]);
    const byService = await api.request('PUT', `/v2.0/ports/${port.id}`, { port: { 'binding:host_id': 'compute1' } }, asService('pc'));
    assert.equal(byService.status, 200, JSON.stringify(byService.body));
    assert.equal(byService.body.port['binding:host_id'], 'compute1');
    assert.equal((await api.request('GET', `/v2.0/ports/${port.id}`, undefined, asService('pc'))).body.port['binding:host_id'], 'compute1');
  });
});

describe('a policy.yaml next to neutron.conf', () => {
  let database: TestDatabase;
  let server: RunningApi;
  const request = (method: string, path: string, body?: unknown, headers?: Headers) =>
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions
    httpRequest<any>(server.url, method, path, body, headers);

  before(async () => {
    database = await createTestDatabase('sqlite');
    const port = await freePort();
    const conf = write(
      'neutron.conf',
      `[DEFAULT]\nbind_host = 127.0.0.1\nbind_port = ${port}\nauth_strategy = noauth\n\n[database]\nconnection = ${database.url}\n`,
    );
    write(
      'policy.yaml',
      [
        '# Only admins create networks; project members may share their own; only admins see MTUs.',
        '"create_network": "rule:admin_only"',
        '"update_network:shared": "rule:admin_only or (role:member and rule:owner)"',
        'get_network:mtu: rule:admin_only',
      ].join('\n'),
    );
    server = await startApiServer(loadConfig({ files: [conf], groups: serverOptionGroups }), pino({ level: 'silent' }), { migrate: true });
  });
  after(async () => {
    await server?.close();
    await database?.drop();
  });

  test('create_network is admin-only: members get 403 naming the rule', async () => {
    const refused = await request('POST', '/v2.0/networks', { network: { name: 'n' } }, asProject('p1'));
    assert.equal(refused.status, 403);
    assert.deepEqual(refused.body, { NeutronError: disallowed('create_network') });
    assert.equal((await request('POST', '/v2.0/networks', { network: { name: 'n', tenant_id: 'p1' } })).status, 201);
  });

  test('get_network:mtu hides the MTU from members, in shows, lists and fields=', async () => {
    const network = (await request('POST', '/v2.0/networks', { network: { name: 'mtu', tenant_id: 'p2' } })).body.network;
    assert.equal(network.mtu, 1500);
    const shown = (await request('GET', `/v2.0/networks/${network.id}`, undefined, asProject('p2'))).body.network;
    assert.ok(!('mtu' in shown));
    assert.equal(shown.name, 'mtu');
    const listed = (await request('GET', '/v2.0/networks', undefined, asProject('p2'))).body.networks;
    assert.ok(listed.length > 0 && listed.every((n: object) => !('mtu' in n)));
    const fields = (await request('GET', `/v2.0/networks/${network.id}?fields=id&fields=mtu`, undefined, asProject('p2'))).body.network;
    assert.deepEqual(fields, { id: network.id });
    assert.equal((await request('GET', `/v2.0/networks/${network.id}`)).body.network.mtu, 1500);
  });

  test('members share their own networks; other projects then see but may not change them (404 for an update, as upstream)', async () => {
    const network = (await request('POST', '/v2.0/networks', { network: { name: 'share-me', tenant_id: 'p3' } })).body.network;
    const shared = await request('PUT', `/v2.0/networks/${network.id}`, { network: { shared: true } }, asProject('p3'));
    assert.equal(shared.status, 200, JSON.stringify(shared.body));
    assert.equal(shared.body.network.shared, true);
    const seen = (await request('GET', '/v2.0/networks?shared=true', undefined, asProject('p4'))).body.networks;
    assert.ok(seen.some((n: { id: string }) => n.id === network.id));
    const unshare = await request('PUT', `/v2.0/networks/${network.id}`, { network: { shared: false } }, asProject('p4'));
    assert.deepEqual([unshare.status, unshare.body.NeutronError.type], [404, 'NetworkNotFound']);
    const remove = await request('DELETE', `/v2.0/networks/${network.id}`, undefined, asProject('p4'));
    assert.deepEqual([remove.status, remove.body.NeutronError], [403, disallowed('delete_network')]);
  });
});

describe('policy files that stop the server', () => {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase('sqlite');
  });
  after(async () => {
    await database?.drop();
  });

  test('a malformed rule: one line naming the file and the rule', async () => {
    const path = write('bad.yaml', 'create_network: "role:admin or"\n');
    await assert.rejects(
      startTestApi(database.url, { oslo_policy: { policy_file: path } }),
      { message: `${path}: create_network: expected a check after 'or', found the end of the rule in "role:admin or"` },
    );
  });

  test('a policy file the operator named must exist; the default one need not', async () => {
    const missing = join(dir, 'missing.yaml');
    await assert.rejects(startTestApi(database.url, { oslo_policy: { policy_file: missing } }), {
      message: `<defaults>: [oslo_policy] policy_file: '${missing}' does not exist`,
    });
  });

  test('nucleon-server prints the error on one line and exits 1, before opening the database', async () => {
    const bad = write('bad-server.yaml', '"get_port": "rule:admin_only or ("\n');
    const conf = write(
      'bad-server.conf',
      `[DEFAULT]\nauth_strategy = noauth\n[database]\nconnection = sqlite:///${join(dir, 'never', 'x.db')}\n[oslo_policy]\npolicy_file = bad-server.yaml\n`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'src/cli/server.ts'), '--config-file', conf], { cwd: REPO });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 1);
    assert.equal(stderr, `nucleon-server: ${bad}: get_port: expected a check after '(', found the end of the rule in "rule:admin_only or ("\n`);
  });
});
