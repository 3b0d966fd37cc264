/**
 * Project isolation with real Keystone tokens, for every resource type: a
 * member of another project can neither list, show, update nor delete
 * project A's resources, nor put a port on A's private network; a reader
 * cannot write; an admin can do all of it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createTestDatabase, type TestDatabase } from '../db/databases.js';
import { ensureKeystone, type Keystone, keystoneOverrides } from '../helpers/keystone.js';
import { type Headers, startTestApi, type TestApi } from '../helpers/testApi.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions, not by types
type Json = Record<string, any>;

interface Resource {
  readonly collection: string;
  readonly member: string;
  readonly id: string;
  /** A harmless change for PUT, or undefined where the resource has no update. */
  readonly update: Json | undefined;
}

describe('isolation matrix with Keystone tokens', () => {
  let keystone: Keystone;
  let database: TestDatabase;
  let api: TestApi;
  const as: Record<'admin' | 'demo' | 'alt_demo' | 'reader', Headers> = { admin: {}, demo: {}, alt_demo: {}, reader: {} };
  const resources: Resource[] = [];
  let privateNetwork = '';

  before(async () => {
    keystone = await ensureKeystone();
    database = await createTestDatabase('sqlite');
    // The new defaults alone (a reader creates nothing); the deprecated forms are test/api/policyDeprecatedRules.test.ts's.
    api = await startTestApi(database.url, { ...keystoneOverrides(keystone), oslo_policy: { enforce_new_defaults: true } });
    for (const user of ['admin', 'demo', 'alt_demo', 'reader'] as const) {
      as[user] = { 'x-auth-token': (await keystone.login(user)).token };
    }
    const create = async (collection: string, member: string, body: Json, update: Json | undefined) => {
      const response = await api.request('POST', `/v2.0/${collection}`, { [member]: body }, as.demo);
      assert.equal(response.status, 201, `${collection}: ${JSON.stringify(response.body)}`);
      const object = response.body[member] as Json;
      resources.push({ collection, member, id: object.id, update });
      return object;
    };
    const network = await create('networks', 'network', { name: 'demo-private' }, { name: 'renamed' });
    privateNetwork = network.id;
    await create('subnets', 'subnet', { network_id: network.id, cidr: '10.50.0.0/24', ip_version: 4 }, { name: 'renamed' });
    await create('ports', 'port', { network_id: network.id }, { name: 'renamed' });
    const group = await create('security-groups', 'security_group', { name: 'demo-sg' }, { name: 'renamed' });
    await create(
      'security-group-rules',
      'security_group_rule',
      { security_group_id: group.id, direction: 'ingress', protocol: 'tcp', port_range_min: 22, port_range_max: 22 },
      undefined,
    );
  });
  after(async () => {
    await api?.close();
    await database?.drop();
  });

  const listIds = async (collection: string, who: Headers) => {
    const response = await api.request('GET', `/v2.0/${collection}`, undefined, who);
    assert.equal(response.status, 200, `${collection}: ${JSON.stringify(response.body)}`);
    const key = collection.replace(/-/g, '_');
    return (response.body[key] as Json[]).map((o) => o.id as string);
  };

  test('another project sees nothing of them and changes nothing (404, never 403 that would reveal them)', async () => {
    for (const r of resources) {
      assert.ok(!(await listIds(r.collection, as.alt_demo)).includes(r.id), `${r.collection} list`);
      assert.equal((await api.request('GET', `/v2.0/${r.collection}/${r.id}`, undefined, as.alt_demo)).status, 404, `${r.collection} show`);
      if (r.update) {
        const put = await api.request('PUT', `/v2.0/${r.collection}/${r.id}`, { [r.member]: r.update }, as.alt_demo);
        assert.equal(put.status, 404, `${r.collection} update: ${JSON.stringify(put.body)}`);
      }
      assert.equal((await api.request('DELETE', `/v2.0/${r.collection}/${r.id}`, undefined, as.alt_demo)).status, 404, `${r.collection} delete`);
    }
    const port = await api.request('POST', '/v2.0/ports', { port: { network_id: privateNetwork } }, as.alt_demo);
    assert.equal(port.status, 404, 'no port on another project\'s private network');
    const subnet = await api.request('POST', '/v2.0/subnets', { subnet: { network_id: privateNetwork, cidr: '10.51.0.0/24', ip_version: 4 } }, as.alt_demo);
    assert.equal(subnet.status, 404);
  });

  test('a reader of the project reads but cannot write', async () => {
    for (const r of resources) {
      assert.ok((await listIds(r.collection, as.reader)).includes(r.id), `${r.collection} list`);
      assert.equal((await api.request('GET', `/v2.0/${r.collection}/${r.id}`, undefined, as.reader)).status, 200, `${r.collection} show`);
      if (r.update) {
        const put = await api.request('PUT', `/v2.0/${r.collection}/${r.id}`, { [r.member]: r.update }, as.reader);
        assert.equal(put.status, 403, `${r.collection} update`);
      }
      assert.equal((await api.request('DELETE', `/v2.0/${r.collection}/${r.id}`, undefined, as.reader)).status, 403, `${r.collection} delete`);
    }
    const created = await api.request('POST', '/v2.0/networks', { network: { name: 'reader-net' } }, as.reader);
    assert.equal(created.status, 403);
    assert.equal(created.body.NeutronError.type, 'PolicyNotAuthorized');
  });

  test('an admin sees, changes and deletes them all', async () => {
    for (const r of resources) {
      assert.ok((await listIds(r.collection, as.admin)).includes(r.id), `${r.collection} list`);
      assert.equal((await api.request('GET', `/v2.0/${r.collection}/${r.id}`, undefined, as.admin)).status, 200, `${r.collection} show`);
      if (r.update) {
        const put = await api.request('PUT', `/v2.0/${r.collection}/${r.id}`, { [r.member]: r.update }, as.admin);
        assert.equal(put.status, 200, `${r.collection} update: ${JSON.stringify(put.body)}`);
      }
    }
    // Children first: rule, port, subnet, group, network.
    for (const r of [...resources].reverse().sort((a, b) => order(a) - order(b))) {
      const deleted = await api.request('DELETE', `/v2.0/${r.collection}/${r.id}`, undefined, as.admin);
      assert.equal(deleted.status, 204, `${r.collection} delete: ${JSON.stringify(deleted.body)}`);
    }
  });
});

const ORDER = ['security-group-rules', 'ports', 'subnets', 'security-groups', 'networks'];
const order = (r: Resource) => ORDER.indexOf(r.collection);
