/**
 * address-scope's network attributes over HTTP on every backend: networks'
 * read-only ipv4_address_scope / ipv6_address_scope, the scope of the pool
 * their subnets of that version come from, or null, following subnets and
 * pools as neutron/db/address_scope_db.py computes them.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { testDialects } from '../db/databases.js';
import { suiteApi } from '../helpers/suiteApi.js';
import { asProject } from '../helpers/testApi.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions, not by types
type Json = Record<string, any>;

for (const dialect of testDialects()) {
  describe(`networks' address scopes on ${dialect}`, () => {
    const api = suiteApi(dialect);
    const p1 = asProject('p1');

    const created = async (path: string, member: string, values: Json): Promise<Json> => {
      const response = await api.request('POST', `/v2.0/${path}`, { [member]: values }, p1);
      assert.equal(response.status, 201, JSON.stringify(response.body));
      return response.body[member] as Json;
    };
    const scopesOf = async (networkId: string): Promise<[unknown, unknown]> => {
      const shown = (await api.request('GET', `/v2.0/networks/${networkId}`, undefined, p1)).body.network as Json;
      const listed = ((await api.request('GET', `/v2.0/networks?id=${networkId}`, undefined, p1)).body.networks as Json[])[0]!;
      assert.deepEqual([listed.ipv4_address_scope, listed.ipv6_address_scope], [shown.ipv4_address_scope, shown.ipv6_address_scope]);
      return [shown.ipv4_address_scope, shown.ipv6_address_scope];
    };

    test('null until a subnet comes from a scoped pool; follows subnets, and the pool changing scope', async () => {
      const network = await created('networks', 'network', { name: 'n' });
      assert.equal(network.ipv4_address_scope, null);
      assert.equal(network.ipv6_address_scope, null);
      assert.deepEqual(await scopesOf(network.id), [null, null]);

      const scope4 = await created('address-scopes', 'address_scope', { name: 's4', ip_version: 4 });
      const scope6 = await created('address-scopes', 'address_scope', { name: 's6', ip_version: 6 });
      const other4 = await created('address-scopes', 'address_scope', { name: 'o4', ip_version: 4 });
      const pool4 = await created('subnetpools', 'subnetpool', { name: 'p4', prefixes: ['10.20.0.0/16'], address_scope_id: scope4.id });
      const pool6 = await created('subnetpools', 'subnetpool', { name: 'p6', prefixes: ['2001:db8::/48'], address_scope_id: scope6.id });

      // A subnet with its own CIDR has no pool: no scope.
      const plain = await created('subnets', 'subnet', { network_id: network.id, cidr: '192.168.5.0/24', ip_version: 4 });
      assert.deepEqual(await scopesOf(network.id), [null, null]);
      assert.equal((await api.request('DELETE', `/v2.0/subnets/${plain.id}`, undefined, p1)).status, 204);

      const v4 = await created('subnets', 'subnet', { network_id: network.id, subnetpool_id: pool4.id, prefixlen: 24, ip_version: 4 });
      assert.deepEqual(await scopesOf(network.id), [scope4.id, null]);
      const v6 = await created('subnets', 'subnet', { network_id: network.id, subnetpool_id: pool6.id, prefixlen: 64, ip_version: 6 });
      assert.deepEqual(await scopesOf(network.id), [scope4.id, scope6.id]);

      // The pool's scope changes, the network's with it; unscoped, null.
      assert.equal((await api.request('PUT', `/v2.0/subnetpools/${pool4.id}`, { subnetpool: { address_scope_id: other4.id } }, p1)).status, 200);
      assert.deepEqual(await scopesOf(network.id), [other4.id, scope6.id]);
      assert.equal((await api.request('PUT', `/v2.0/subnetpools/${pool6.id}`, { subnetpool: { address_scope_id: null } }, p1)).status, 200);
      assert.deepEqual(await scopesOf(network.id), [other4.id, null]);

      assert.equal((await api.request('DELETE', `/v2.0/subnets/${v4.id}`, undefined, p1)).status, 204);
      assert.deepEqual(await scopesOf(network.id), [null, null]);
      assert.equal((await api.request('DELETE', `/v2.0/subnets/${v6.id}`, undefined, p1)).status, 204);

      // fields= picks them like any other attribute.
      const picked = await api.request('GET', `/v2.0/networks/${network.id}?fields=ipv4_address_scope`, undefined, p1);
      assert.deepEqual(picked.body, { network: { ipv4_address_scope: null } });
    });

    test('read-only: POST and PUT give the 400 of an attribute not allowed', async () => {
      const scope = await created('address-scopes', 'address_scope', { name: 'ro', ip_version: 4 });
      const post = await api.request('POST', '/v2.0/networks', { network: { name: 'x', ipv4_address_scope: scope.id } }, p1);
      assert.equal(post.status, 400, JSON.stringify(post.body));
      assert.deepEqual(post.body.NeutronError, { type: 'HTTPBadRequest', message: "Attribute 'ipv4_address_scope' not allowed in POST", detail: '' });
      const network = await created('networks', 'network', { name: 'y' });
      const put = await api.request('PUT', `/v2.0/networks/${network.id}`, { network: { ipv6_address_scope: null } }, p1);
      assert.equal(put.status, 400, JSON.stringify(put.body));
      assert.deepEqual(put.body.NeutronError, { type: 'HTTPBadRequest', message: 'Cannot update read-only attribute ipv6_address_scope', detail: '' });
    });
  });
}
