/**
 * Address scopes over HTTP on every backend: the first resource served by
 * StoredCollection from its declaration alone (plus one rule of its own: a
 * shared scope cannot be unshared).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { testDialects } from '../db/databases.js';
import { suiteApi } from '../helpers/suiteApi.js';
import { asProject } from '../helpers/testApi.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions, not by types
type Json = Record<string, any>;

for (const dialect of testDialects()) {
  describe(`address scopes on ${dialect}`, () => {
    const api = suiteApi(dialect);

    const p1 = asProject('p1');
    const p2 = asProject('p2');
    const create = async (scope: Json, headers = p1) => api.request('POST', '/v2.0/address-scopes', { address_scope: scope }, headers);
    const neutronError = (response: { body: Json }) => response.body.NeutronError as { type: string; message: string };

    test('members create and see their own scopes; admins share them; others see only shared ones', async () => {
      const extensions = ((await api.request('GET', '/v2.0/extensions')).body.extensions as Json[]).map((e) => e.alias);
      assert.ok(extensions.includes('address-scope'));

      const own = await create({ name: 'own', ip_version: 4 });
      assert.equal(own.status, 201, JSON.stringify(own.body));
      assert.deepEqual(Object.keys(own.body.address_scope).sort(), ['id', 'ip_version', 'name', 'project_id', 'shared', 'tenant_id']);
      assert.deepEqual({ ...own.body.address_scope, id: undefined }, {
        id: undefined, name: 'own', ip_version: 4, shared: false, tenant_id: 'p1', project_id: 'p1',
      });

      const refused = await create({ name: 's', ip_version: 6, shared: true });
      assert.equal(refused.status, 403);
      assert.equal(neutronError(refused).type, 'PolicyNotAuthorized');

      const shared = await create({ name: 'shared', ip_version: 6, shared: true, tenant_id: 'admin-project' }, {});
      assert.equal(shared.status, 201, JSON.stringify(shared.body));

      const seenByP2 = (await api.request('GET', '/v2.0/address-scopes', undefined, p2)).body.address_scopes as Json[];
      assert.deepEqual(seenByP2.map((s) => s.name), ['shared']);
      const hidden = await api.request('GET', `/v2.0/address-scopes/${own.body.address_scope.id}`, undefined, p2);
      assert.equal(hidden.status, 404);
      assert.deepEqual(neutronError(hidden), {
        type: 'AddressScopeNotFound',
        message: `Address scope ${own.body.address_scope.id} could not be found`,
        detail: '',
      });

      const v4 = (await api.request('GET', '/v2.0/address-scopes?ip_version=4&fields=name', undefined, p1)).body.address_scopes;
      assert.deepEqual(v4, [{ name: 'own' }]);
      const sharedOnly = (await api.request('GET', '/v2.0/address-scopes?shared=true&sort_key=name&sort_dir=asc', undefined, p1)).body.address_scopes as Json[];
      assert.deepEqual(sharedOnly.map((s) => s.name), ['shared']);
    });

    test('validation: ip_version is required, 4 or 6, and cannot change', async () => {
      assert.equal((await create({ name: 'x' })).status, 400);
      const five = await create({ name: 'x', ip_version: 5 });
      assert.equal(five.status, 400);
      assert.equal(neutronError(five).type, 'HTTPBadRequest');
      const scope = (await create({ name: 'x', ip_version: '4' })).body.address_scope as Json;
      assert.equal(scope.ip_version, 4);
      const change = await api.request('PUT', `/v2.0/address-scopes/${scope.id}`, { address_scope: { ip_version: 6 } }, p1);
      assert.equal(change.status, 400);
    });

    test('updates: the owner renames; others get 404 on a shared scope, as upstream; a shared scope cannot be unshared', async () => {
      const scope = (await create({ name: 'before', ip_version: 4 })).body.address_scope as Json;
      const renamed = await api.request('PUT', `/v2.0/address-scopes/${scope.id}`, { address_scope: { name: 'after' } }, p1);
      assert.equal(renamed.status, 200);
      assert.equal(renamed.body.address_scope.name, 'after');

      const shared = (await create({ name: 'sh', ip_version: 4, shared: true, tenant_id: 'admin-project' }, {})).body.address_scope as Json;
      const byOther = await api.request('PUT', `/v2.0/address-scopes/${shared.id}`, { address_scope: { name: 'mine' } }, p2);
      assert.equal(byOther.status, 404);
      const unshare = await api.request('PUT', `/v2.0/address-scopes/${shared.id}`, { address_scope: { shared: false } }, {});
      assert.equal(unshare.status, 400);
      assert.deepEqual(neutronError(unshare), {
        type: 'AddressScopeUpdateError',
        message: `Unable to update address scope ${shared.id} : Shared address scope can't be unshared`,
        detail: '',
      });
    });

    test('delete: the owner deletes; then it is gone', async () => {
      const scope = (await create({ name: 'gone', ip_version: 6 })).body.address_scope as Json;
      assert.equal((await api.request('DELETE', `/v2.0/address-scopes/${scope.id}`, undefined, p2)).status, 404);
      assert.equal((await api.request('DELETE', `/v2.0/address-scopes/${scope.id}`, undefined, p1)).status, 204);
      const again = await api.request('DELETE', `/v2.0/address-scopes/${scope.id}`, undefined, p1);
      assert.equal(again.status, 404);
      assert.equal(neutronError(again).type, 'AddressScopeNotFound');
    });
  });
}
