/**
 * subnet_onboard over HTTP on every backend: PUT
 * /v2.0/subnetpools/{id}/onboard_network_subnets moves a network's subnets
 * of the pool's IP version into the pool, their CIDRs added to its
 * prefixes, with Neutron's refusals (db_base_plugin_v2's
 * onboard_network_subnets, tests/unit/extensions/test_subnet_onboard.py).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { testDialects } from '../db/databases.js';
import { suiteApi } from '../helpers/suiteApi.js';
import { asProject, type Headers } from '../helpers/testApi.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions, not by types
type Json = Record<string, any>;

const ADMIN: Headers = {};

for (const dialect of testDialects()) {
  describe(`subnet onboarding on ${dialect}`, () => {
    const api = suiteApi(dialect);
    const p1 = asProject('p1');
    const p2 = asProject('p2');

    const created = async (path: string, member: string, values: Json, headers = p1): Promise<Json> => {
      const response = await api.request('POST', `/v2.0/${path}`, { [member]: values }, headers);
      assert.equal(response.status, 201, JSON.stringify(response.body));
      return response.body[member] as Json;
    };
    const pool = (values: Json, headers = p1) => created('subnetpools', 'subnetpool', { name: 'pool', ...values }, headers);
    const network = (headers = p1, values: Json = {}) => created('networks', 'network', { name: 'n', ...values }, headers);
    const subnet = (values: Json, headers = p1) => created('subnets', 'subnet', { ip_version: 4, ...values }, headers);
    const shown = async (path: string, member: string, id: string): Promise<Json> => (await api.request('GET', `/v2.0/${path}/${id}`, undefined, ADMIN)).body[member] as Json;
    const onboard = (poolId: string, body: unknown, headers = p1) => api.request('PUT', `/v2.0/subnetpools/${poolId}/onboard_network_subnets`, body, headers);
    const refused = async (response: Promise<{ status: number; body: Json }>, status: number, type: string, message?: string) => {
      const r = await response;
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.equal(r.body.NeutronError.type, type, JSON.stringify(r.body));
      if (message !== undefined) assert.equal(r.body.NeutronError.message, message);
    };

    test('the extension is listed', async () => {
      const aliases = ((await api.request('GET', '/v2.0/extensions')).body.extensions as Json[]).map((e) => e.alias);
      assert.ok(aliases.includes('subnet_onboard'));
      const one = await api.request('GET', '/v2.0/extensions/subnet_onboard');
      assert.equal(one.status, 200);
      assert.equal(one.body.extension.name, 'Subnet Onboard');
    });

    test("a network's subnets of the pool's version move in, their CIDRs become prefixes; the answer lists them", async () => {
      const scope = await created('address-scopes', 'address_scope', { name: 's', ip_version: 4 });
      const p = await pool({ prefixes: ['10.30.0.0/16'], address_scope_id: scope.id });
      const net = await network();
      const a = await subnet({ network_id: net.id, cidr: '192.168.10.0/24' });
      const b = await subnet({ network_id: net.id, cidr: '10.30.7.0/24' });
      const v6 = await subnet({ network_id: net.id, cidr: '2001:db8:1::/64', ip_version: 6 });
      assert.equal((await shown('networks', 'network', net.id)).ipv4_address_scope, null);

      const response = await onboard(p.id, { network_id: net.id });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      const answered = response.body as unknown as Json[];
      assert.ok(Array.isArray(answered));
      assert.deepEqual(
        [...answered].sort((x, y) => String(x.cidr).localeCompare(String(y.cidr))),
        [
          { id: b.id, cidr: '10.30.7.0/24' },
          { id: a.id, cidr: '192.168.10.0/24' },
        ],
      );
      const after = await shown('subnetpools', 'subnetpool', p.id);
      assert.deepEqual(after.prefixes, ['10.30.0.0/16', '192.168.10.0/24']);
      assert.equal(after.revision_number, p.revision_number + 1);
      for (const moved of [a, b]) {
        const now = await shown('subnets', 'subnet', moved.id);
        assert.equal(now.subnetpool_id, p.id);
        assert.equal(now.revision_number, moved.revision_number + 1);
      }
      assert.equal((await shown('subnets', 'subnet', v6.id)).subnetpool_id, null, 'the other version stays');
      const scopes = await shown('networks', 'network', net.id);
      assert.deepEqual([scopes.ipv4_address_scope, scopes.ipv6_address_scope], [scope.id, null]);

      // Onboarded, they are the pool's allocations: the pool cannot go, and a second onboarding of them conflicts.
      await refused(api.request('DELETE', `/v2.0/subnetpools/${p.id}`, undefined, p1), 400, 'SubnetPoolDeleteError');
      const again = await onboard(p.id, { network_id: net.id });
      assert.equal(again.status, 400, JSON.stringify(again.body));
      assert.equal(again.body.NeutronError.type, 'IllegalSubnetPoolUpdate');
      const conflicts = [`${b.id}: 10.30.7.0/24`, `${a.id}: 192.168.10.0/24`].map(
        (subnet) => `Illegal subnetpool update : Onboarding subnet ${subnet} conflicts with allocated prefixes in subnet pool ${p.id}.`,
      );
      assert.ok(conflicts.includes(again.body.NeutronError.message), again.body.NeutronError.message);
    });

    test('a network with nothing to onboard, or only subnets of the other IP version: an empty list, nothing changes', async () => {
      const p4 = await pool({ prefixes: ['10.31.0.0/16'] });
      const p6 = await pool({ prefixes: ['2001:db8:31::/48'] });
      const empty = await network();
      const onboarded = await onboard(p4.id, { network_id: empty.id });
      assert.equal(onboarded.status, 200, JSON.stringify(onboarded.body));
      assert.deepEqual(onboarded.body, []);

      const net = await network();
      const v4 = await subnet({ network_id: net.id, cidr: '172.16.31.0/24' });
      const mismatch = await onboard(p6.id, { network_id: net.id });
      assert.equal(mismatch.status, 200, JSON.stringify(mismatch.body));
      assert.deepEqual(mismatch.body, []);
      assert.equal((await shown('subnets', 'subnet', v4.id)).subnetpool_id, null);
      assert.deepEqual((await shown('subnetpools', 'subnetpool', p6.id)).prefixes, ['2001:db8:31::/48']);
    });

    test("a subnet overlapping the pool's allocations is refused, and nothing moves", async () => {
      const p = await pool({ prefixes: ['10.40.0.0/16'] });
      await subnet({ network_id: (await network()).id, subnetpool_id: p.id, cidr: '10.40.0.0/24' });
      const net = await network();
      const free = await subnet({ network_id: net.id, cidr: '172.16.40.0/24' });
      const overlapping = await subnet({ network_id: net.id, cidr: '10.40.0.0/25' });
      await refused(
        onboard(p.id, { network_id: net.id }),
        400,
        'IllegalSubnetPoolUpdate',
        `Illegal subnetpool update : Onboarding subnet ${overlapping.id}: 10.40.0.0/25 conflicts with allocated prefixes in subnet pool ${p.id}.`,
      );
      assert.equal((await shown('subnets', 'subnet', free.id)).subnetpool_id, null);
      assert.deepEqual((await shown('subnetpools', 'subnetpool', p.id)).prefixes, ['10.40.0.0/16']);
    });

    test("address scopes: prefixes another pool of the scope has conflict (409); a pool in another project's shared scope is refused", async () => {
      const scope = await created('address-scopes', 'address_scope', { name: 'conflict', ip_version: 4 });
      await pool({ prefixes: ['10.50.0.0/16'], address_scope_id: scope.id });
      const target = await pool({ prefixes: ['10.60.0.0/16'], address_scope_id: scope.id });
      const net = await network();
      const inOther = await subnet({ network_id: net.id, cidr: '10.50.1.0/24' });
      await refused(
        onboard(target.id, { network_id: net.id }),
        409,
        'AddressScopePrefixConflict',
        'Failed to associate address scope: subnetpools within an address scope must have unique prefixes.',
      );
      assert.equal((await shown('subnets', 'subnet', inOther.id)).subnetpool_id, null);
      assert.deepEqual((await shown('subnetpools', 'subnetpool', target.id)).prefixes, ['10.60.0.0/16']);

      const shared = await created('address-scopes', 'address_scope', { name: 'shared', ip_version: 4, shared: true, tenant_id: 'admin-project' }, ADMIN);
      const inShared = await pool({ prefixes: ['10.70.0.0/16'], address_scope_id: shared.id });
      const own = await network();
      await subnet({ network_id: own.id, cidr: '172.16.70.0/24' });
      await refused(
        onboard(inShared.id, { network_id: own.id }),
        400,
        'IllegalSubnetPoolUpdate',
        `Illegal subnetpool update : subnetpool ${inShared.id} cannot be updated when associated with shared address scope ${shared.id}.`,
      );
    });

    test('concurrent onboardings into one pool: both prefixes kept; of two same CIDRs one moves in, the other conflicts', async () => {
      const p = await pool({ prefixes: ['10.90.0.0/16'] });
      const [n1, n2, n3, n4] = [await network(), await network(), await network(), await network()];
      await subnet({ network_id: n1.id, cidr: '172.16.91.0/24' });
      await subnet({ network_id: n2.id, cidr: '172.16.92.0/24' });
      const both = await Promise.all([onboard(p.id, { network_id: n1.id }), onboard(p.id, { network_id: n2.id })]);
      assert.deepEqual(
        both.map((r) => r.status),
        [200, 200],
        JSON.stringify(both.map((r) => r.body)),
      );
      assert.deepEqual((await shown('subnetpools', 'subnetpool', p.id)).prefixes, ['10.90.0.0/16', '172.16.91.0/24', '172.16.92.0/24']);

      await subnet({ network_id: n3.id, cidr: '172.16.93.0/24' });
      await subnet({ network_id: n4.id, cidr: '172.16.93.0/24' });
      const race = await Promise.all([onboard(p.id, { network_id: n3.id }), onboard(p.id, { network_id: n4.id })]);
      assert.deepEqual(
        race.map((r) => r.status).sort(),
        [200, 400],
        JSON.stringify(race.map((r) => r.body)),
      );
      const inPool = (await api.request('GET', `/v2.0/subnets?subnetpool_id=${p.id}&cidr=172.16.93.0/24`, undefined, ADMIN)).body.subnets as Json[];
      assert.equal(inPool.length, 1);
    });

    test('refusals: no network_id, an unknown or unseen network, a network of another project, a pool the caller may not change', async () => {
      const p = await pool({ prefixes: ['10.80.0.0/16'] });
      for (const body of [{}, { network_id: null }]) {
        await refused(onboard(p.id, body), 400, 'InvalidInput', 'Invalid input for operation: network_id must be specified..');
      }
      const unknown = '2b7d0a41-53b6-4c44-9d38-1ef2f5c0e6a1';
      await refused(onboard(p.id, { network_id: unknown }), 404, 'NetworkNotFound', `Network ${unknown} could not be found.`);
      const hidden = await network(p2);
      await refused(onboard(p.id, { network_id: hidden.id }), 404, 'NetworkNotFound', `Network ${hidden.id} could not be found.`);

      // Shared with p1, but p2's: p1 sees it and may not move its subnets.
      const sharedNet = await network(ADMIN, { shared: true, tenant_id: 'p2' });
      const theirs = await subnet({ network_id: sharedNet.id, cidr: '172.16.80.0/24', tenant_id: 'p2' }, ADMIN);
      await refused(onboard(p.id, { network_id: sharedNet.id }), 403, 'NotAuthorized', 'Not authorized.');
      assert.equal((await shown('subnets', 'subnet', theirs.id)).subnetpool_id, null);

      // Another project's pool: unseen (404); seen because shared, the policy refuses (403).
      await refused(onboard(p.id, { network_id: hidden.id }, p2), 404, 'SubnetPoolNotFound');
      const sharedPool = await pool({ prefixes: ['10.81.0.0/16'], shared: true, tenant_id: 'p1' }, ADMIN);
      await refused(onboard(sharedPool.id, { network_id: hidden.id }, p2), 403, 'PolicyNotAuthorized');

      // An admin may onboard any project's network.
      const byAdmin = await onboard(p.id, { network_id: sharedNet.id }, ADMIN);
      assert.equal(byAdmin.status, 200, JSON.stringify(byAdmin.body));
      assert.deepEqual(byAdmin.body, [{ id: theirs.id, cidr: '172.16.80.0/24' }]);
    });
  });
}
