/**
 * `[oslo_policy] enforce_new_defaults` over HTTP, as oslo.policy does it
 * with Zed's defaults: false (the default) ORs each rule with the
 * deprecated form Neutron declares for it, true enforces the new rules
 * alone; a rule a policy file sets is the file's either way. A bad value
 * stops the server naming the file, the section and the option.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { pino } from 'pino';

import { ConfigError } from '../../src/common/errors.js';
import { loadConfig } from '../../src/config/load.js';
import { startApiServer } from '../../src/server/apiServer.js';
import { serverOptionGroups } from '../../src/server/config.js';
import { createTestDatabase, type TestDatabase, testDialects } from '../db/databases.js';
import { freePort, type Headers, startTestApi, type TestApi } from '../helpers/testApi.js';
import { suiteApi } from '../helpers/suiteApi.js';

/** noauth with the member role alone: Keystone would imply reader, noauth implies nothing. */
const memberOnly = (project: string): Headers => ({ 'x-project-id': project, 'x-roles': 'member' });
const readerOnly = (project: string): Headers => ({ 'x-project-id': project, 'x-roles': 'reader' });

const dir = mkdtempSync(join(tmpdir(), 'nucleon-policy-deprecated-'));
after(() => rmSync(dir, { recursive: true, force: true }));

for (const dialect of testDialects()) {
  describe(`enforce_new_defaults = false (the default) on ${dialect}`, () => {
    const api = suiteApi(dialect);

    test('a member without the reader role lists, shows and changes the network it created (rule:admin_or_owner)', async () => {
      const created = await api.request('POST', '/v2.0/networks', { network: { name: 'm1' } }, memberOnly('p1'));
      assert.equal(created.status, 201);
      const id = created.body.network.id as string;
      const listed = await api.request('GET', '/v2.0/networks', undefined, memberOnly('p1'));
      assert.equal(listed.status, 200);
      assert.deepEqual(
        listed.body.networks.map((n: { id: string }) => n.id),
        [id],
      );
      const shown = await api.request('GET', `/v2.0/networks/${id}`, undefined, memberOnly('p1'));
      assert.deepEqual([shown.status, shown.body.network.name], [200, 'm1']);
      const renamed = await api.request('PUT', `/v2.0/networks/${id}`, { network: { name: 'm2' } }, memberOnly('p1'));
      assert.deepEqual([renamed.status, renamed.body.network.name], [200, 'm2']);
      // Still not another project's.
      const other = await api.request('GET', `/v2.0/networks/${id}`, undefined, memberOnly('p2'));
      assert.deepEqual([other.status, other.body.NeutronError.type], [404, 'NetworkNotFound']);
    });

    test('creates that were anyone\u2019s (rule:regular_user) are again: a reader creates a network', async () => {
      const created = await api.request('POST', '/v2.0/networks', { network: { name: 'r1' } }, readerOnly('p3'));
      assert.equal(created.status, 201);
    });

    test('rules whose deprecated form is the same stay: shared is still the admin\u2019s', async () => {
      const refused = await api.request('POST', '/v2.0/networks', { network: { name: 's', shared: true } }, memberOnly('p1'));
      assert.deepEqual([refused.status, refused.body.NeutronError.type], [403, 'PolicyNotAuthorized']);
      assert.equal(refused.body.NeutronError.message, '(rule:create_network:shared) is disallowed by policy');
    });
  });

  describe(`enforce_new_defaults = true on ${dialect}`, () => {
    const api = suiteApi(dialect, { oslo_policy: { enforce_new_defaults: true } });

    test('a member without the reader role creates a network but does not see it (the reader rules alone)', async () => {
      const created = await api.request('POST', '/v2.0/networks', { network: { name: 'm1' } }, memberOnly('p1'));
      assert.equal(created.status, 201);
      const id = created.body.network.id as string;
      const listed = await api.request('GET', '/v2.0/networks', undefined, memberOnly('p1'));
      assert.deepEqual([listed.status, listed.body.networks], [200, []]);
      const shown = await api.request('GET', `/v2.0/networks/${id}`, undefined, memberOnly('p1'));
      assert.deepEqual([shown.status, shown.body.NeutronError.type], [404, 'NetworkNotFound']);
    });

    test('a reader creates nothing: 403 naming the rule', async () => {
      const refused = await api.request('POST', '/v2.0/networks', { network: { name: 'r1' } }, readerOnly('p3'));
      assert.deepEqual([refused.status, refused.body.NeutronError.type], [403, 'PolicyNotAuthorized']);
      assert.equal(refused.body.NeutronError.message, '(rule:create_network) is disallowed by policy');
    });
  });
}

describe('enforce_new_defaults with a policy file, and bad values', () => {
  let database: TestDatabase;
  let api: TestApi | undefined;
  before(async () => {
    database = await createTestDatabase('sqlite');
  });
  after(async () => {
    await api?.close();
    await database?.drop();
  });

  test('a rule the policy file sets is not OR\u2019ed with the deprecated form', async () => {
    const policy = join(dir, 'policy.yaml');
    writeFileSync(policy, '"get_network": "role:reader and project_id:%(project_id)s"\n');
    api = await startTestApi(database.url, { oslo_policy: { policy_file: policy } });
    const created = await api.request('POST', '/v2.0/networks', { network: { name: 'f1' } }, memberOnly('p1'));
    assert.equal(created.status, 201);
    const shown = await api.request('GET', `/v2.0/networks/${created.body.network.id}`, undefined, memberOnly('p1'));
    assert.deepEqual([shown.status, shown.body.NeutronError.type], [404, 'NetworkNotFound']);
    // update_network is not in the file: its deprecated rule:admin_or_owner still applies.
    const renamed = await api.request('PUT', `/v2.0/networks/${created.body.network.id}`, { network: { name: 'f2' } }, memberOnly('p1'));
    assert.equal(renamed.status, 200);
  });

  for (const option of ['enforce_new_defaults', 'enforce_scope']) {
    test(`[oslo_policy] ${option} = maybe stops the server naming the file, section and option`, async () => {
      const conf = join(dir, `${option}.conf`);
      writeFileSync(conf, `[database]\nconnection = ${database.url}\n\n[oslo_policy]\n${option} = maybe\n`);
      assert.throws(
        () => loadConfig({ files: [conf], groups: serverOptionGroups }),
        (err: unknown) =>
          err instanceof ConfigError &&
          err.file === conf &&
          err.message.startsWith(`${conf}: [oslo_policy] ${option}: 'maybe' is not a boolean (use true/false, yes/no, on/off or 1/0)`),
      );
    });
  }

  test('enforce_scope = true is accepted (and changes nothing)', async () => {
    const conf = join(dir, 'scope.conf');
    const port = await freePort();
    writeFileSync(conf, `[DEFAULT]\nbind_host = 127.0.0.1\nbind_port = ${port}\nauth_strategy = noauth\n[database]\nconnection = ${database.url}\n[oslo_policy]\nenforce_scope = true\n`);
    const loaded = loadConfig({ files: [conf], groups: serverOptionGroups });
    assert.equal(loaded.config.oslo_policy.enforce_scope, true);
    const server = await startApiServer(loaded, pino({ level: 'silent' }), { migrate: true });
    await server.close();
  });
});
