/**
 * Subnet pools over HTTP on every backend (subnet_allocation,
 * default-subnetpools, subnetpool-prefix-ops, a pool's address scope):
 * CRUD with Neutron's validation, its errors' types and messages, and the
 * prefix operations.
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
  describe(`subnet pools on ${dialect}`, () => {
    const api = suiteApi(dialect);

    const p1 = asProject('p1');
    const p2 = asProject('p2');
    const neutronError = (response: { body: Json }) => response.body.NeutronError as { type: string; message: string };
    const createPool = (pool: Json, headers = p1) => api.request('POST', '/v2.0/subnetpools', { subnetpool: pool }, headers);
    const pool = async (values: Json, headers = p1): Promise<Json> => {
      const response = await createPool(values, headers);
      assert.equal(response.status, 201, JSON.stringify(response.body));
      return response.body.subnetpool as Json;
    };
    const updatePool = (id: string, changes: Json, headers = p1) => api.request('PUT', `/v2.0/subnetpools/${id}`, { subnetpool: changes }, headers);
    const scope = async (values: Json, headers = p1): Promise<Json> => {
      const response = await api.request('POST', '/v2.0/address-scopes', { address_scope: values }, headers);
      assert.equal(response.status, 201, JSON.stringify(response.body));
      return response.body.address_scope as Json;
    };
    /** The error's type and message. */
    const refused = async (response: Promise<{ status: number; body: Json }>, status: number, type: string, message?: string) => {
      const r = await response;
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.equal(neutronError(r).type, type);
      if (message !== undefined) assert.equal(neutronError(r).message, message);
    };

    test('the extensions are listed; a pool shows what Neutron shows, prefix lengths as strings', async () => {
      const aliases = ((await api.request('GET', '/v2.0/extensions')).body.extensions as Json[]).map((e) => e.alias);
      for (const alias of ['subnet_allocation', 'default-subnetpools', 'subnetpool-prefix-ops']) assert.ok(aliases.includes(alias), alias);

      const created = await pool({ name: 'first', prefixes: ['10.11.12.0/24'], min_prefixlen: '29', description: 'd1' });
      const { id, created_at, updated_at, ...rest } = created;
      assert.match(id, /^[0-9a-f-]{36}$/);
      assert.ok(created_at && updated_at);
      assert.deepEqual(rest, {
        name: 'first',
        tenant_id: 'p1',
        project_id: 'p1',
        prefixes: ['10.11.12.0/24'],
        ip_version: 4,
        default_prefixlen: '29',
        min_prefixlen: '29',
        max_prefixlen: '32',
        is_default: false,
        shared: false,
        address_scope_id: null,
        default_quota: null,
        description: 'd1',
        revision_number: 0,
        tags: [],
      });

      const shown = (await api.request('GET', `/v2.0/subnetpools/${id}`, undefined, p1)).body.subnetpool as Json;
      assert.deepEqual(shown, created);
      const listed = (await api.request('GET', '/v2.0/subnetpools?min_prefixlen=29&fields=name&fields=prefixes', undefined, p1)).body.subnetpools;
      assert.deepEqual(listed, [{ name: 'first', prefixes: ['10.11.12.0/24'] }]);

      const v6 = await pool({ name: 'six', prefixes: ['2001:db8::/48'] });
      assert.deepEqual([v6.ip_version, v6.min_prefixlen, v6.default_prefixlen, v6.max_prefixlen], [6, '64', '64', '128']);

      assert.equal((await api.request('DELETE', `/v2.0/subnetpools/${id}`, undefined, p1)).status, 204);
      assert.equal((await api.request('DELETE', `/v2.0/subnetpools/${v6.id}`, undefined, p1)).status, 204);
      await refused(api.request('GET', `/v2.0/subnetpools/${id}`, undefined, p1), 404, 'SubnetPoolNotFound', `Subnet pool ${id} could not be found.`);
    });

    test('prefixes are normalised and merged; one IP version; bounds checked', async () => {
      const merged = await pool({ name: 'm', prefixes: ['10.0.1.7/24', '10.0.0.0/24', '10.0.0.128/25', '192.168.0.0/16'] });
      assert.deepEqual(merged.prefixes, ['10.0.0.0/23', '192.168.0.0/16']);

      await refused(createPool({ name: 'x', prefixes: [] }), 400, 'EmptySubnetPoolPrefixList', 'Empty subnet pool prefix list.');
      await refused(
        createPool({ name: 'x', prefixes: ['10.0.0.0/8', '2001:db8::/32'] }),
        400,
        'PrefixVersionMismatch',
        'Cannot mix IPv4 and IPv6 prefixes in a subnet pool.',
      );
      const bounds: [Json, string][] = [
        [{ min_prefixlen: 24, max_prefixlen: 20 }, 'min_prefixlen=24, max_prefixlen=20'],
        [{ max_prefixlen: 33 }, 'max_prefixlen=33, ip_version_max=32'],
        [{ min_prefixlen: 16, default_prefixlen: 12 }, 'default_prefixlen=12, min_prefixlen=16'],
        [{ max_prefixlen: 16, default_prefixlen: 20 }, 'default_prefixlen=20, max_prefixlen=16'],
      ];
      for (const [values, message] of bounds) {
        await refused(createPool({ name: 'x', prefixes: ['10.0.0.0/8'], ...values }), 400, 'IllegalSubnetPoolPrefixBounds', `Illegal prefix bounds: ${message}.`);
      }
      await refused(
        createPool({ name: 'x', prefixes: ['10.0.0.0/8'], default_prefixlen: -1 }),
        400,
        'HTTPBadRequest',
        "Invalid input for default_prefixlen. Reason: '-1' should be non-negative.",
      );
      await refused(createPool({ name: ' ', prefixes: ['10.0.0.0/8'] }), 400, 'HTTPBadRequest', "Invalid input for name. Reason: ' ' Blank strings are not permitted.");
      await refused(createPool({ name: 'x', prefixes: ['10.0.0.0'] }), 400, 'HTTPBadRequest');
      await refused(createPool({ prefixes: ['10.0.0.0/8'] }), 400, 'HTTPBadRequest');
    });

    test('updates: prefixes only grow, bounds against the stored ones, shared is set once, project_id never', async () => {
      const p = await pool({ name: 'u', prefixes: ['10.11.12.0/24'], min_prefixlen: 29 });
      const renamed = await updatePool(p.id, { name: 'v', min_prefixlen: 28, max_prefixlen: 30 });
      assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
      assert.deepEqual(
        [renamed.body.subnetpool.name, renamed.body.subnetpool.min_prefixlen, renamed.body.subnetpool.max_prefixlen, renamed.body.subnetpool.revision_number],
        ['v', '28', '30', 1],
      );
      const appended = await updatePool(p.id, { prefixes: ['10.11.12.0/24', '10.11.15.0/24'] });
      assert.deepEqual(appended.body.subnetpool.prefixes, ['10.11.12.0/24', '10.11.15.0/24']);
      const extended = await updatePool(p.id, { prefixes: ['10.11.0.0/16'] });
      assert.deepEqual(extended.body.subnetpool.prefixes, ['10.11.0.0/16']);
      await refused(
        updatePool(p.id, { prefixes: ['10.11.12.0/26'] }),
        400,
        'IllegalSubnetPoolPrefixUpdate',
        'Illegal update to prefixes: Existing prefixes must be a subset of the new prefixes.',
      );
      await refused(
        updatePool(p.id, { default_prefixlen: 31 }),
        400,
        'IllegalSubnetPoolPrefixBounds',
        'Illegal prefix bounds: default_prefixlen=31, max_prefixlen=30.',
      );
      await refused(updatePool(p.id, { shared: true }, ADMIN), 400, 'HTTPBadRequest');
      await refused(updatePool(p.id, { project_id: 'p2' }, ADMIN), 400, 'HTTPBadRequest');
      await refused(updatePool(p.id, { name: 'theirs' }, p2), 404, 'SubnetPoolNotFound');
    });

    test('shared and is_default are for admins; one default pool per IP version', async () => {
      await refused(createPool({ name: 's', prefixes: ['10.20.0.0/16'], shared: true }), 403, 'PolicyNotAuthorized');
      await refused(createPool({ name: 'd', prefixes: ['10.20.0.0/16'], is_default: true }), 403, 'PolicyNotAuthorized');
      const shared = await pool({ name: 'shared', prefixes: ['10.20.0.0/16'], shared: true, tenant_id: 'admin-project' }, ADMIN);
      const seen = (await api.request('GET', `/v2.0/subnetpools/${shared.id}`, undefined, p2)).body.subnetpool as Json;
      assert.equal(seen.shared, true);
      const hidden = await pool({ name: 'admins', prefixes: ['10.21.0.0/16'], tenant_id: 'admin-project' }, ADMIN);
      await refused(api.request('GET', `/v2.0/subnetpools/${hidden.id}`, undefined, p2), 404, 'SubnetPoolNotFound');
      // Upstream decides a refused update on the pool without its defaulted `shared`.
      await refused(updatePool(shared.id, { name: 'mine' }, p2), 404, 'SubnetPoolNotFound');

      const default4 = await pool({ name: 'default4', prefixes: ['10.30.0.0/16'], is_default: true, tenant_id: 'admin-project' }, ADMIN);
      assert.equal(default4.is_default, true);
      const message =
        'Invalid input for operation: A default subnetpool for this IP family has already been set. Only one default may exist per IP family.';
      await refused(createPool({ name: 'default4b', prefixes: ['10.31.0.0/16'], is_default: true }, ADMIN), 400, 'InvalidInput', message);
      const other = await pool({ name: 'other4', prefixes: ['10.32.0.0/16'] }, ADMIN);
      await refused(updatePool(other.id, { is_default: true }, ADMIN), 400, 'InvalidInput', message);
      await refused(updatePool(other.id, { is_default: true }, p1), 404, 'SubnetPoolNotFound');
      const default6 = await pool({ name: 'default6', prefixes: ['2001:db8:1::/48'], is_default: true }, ADMIN);
      assert.equal((await updatePool(default4.id, { is_default: false }, ADMIN)).status, 200);
      assert.equal((await updatePool(other.id, { is_default: true }, ADMIN)).status, 200);
      assert.equal((await api.request('DELETE', `/v2.0/subnetpools/${default6.id}`, undefined, ADMIN)).status, 204);
    });

    test('add_prefixes and remove_prefixes', async () => {
      const p = await pool({ name: 'ops', prefixes: ['10.40.0.0/24'] });
      const added = await api.request('PUT', `/v2.0/subnetpools/${p.id}/add_prefixes`, { prefixes: ['10.40.1.0/24', '10.50.0.0/24'] }, p1);
      assert.equal(added.status, 200, JSON.stringify(added.body));
      assert.deepEqual(added.body, { prefixes: ['10.40.0.0/23', '10.50.0.0/24'] });
      const overlapping = await api.request('PUT', `/v2.0/subnetpools/${p.id}/add_prefixes`, { prefixes: ['10.40.0.0/16'] }, p1);
      assert.deepEqual(overlapping.body, { prefixes: ['10.40.0.0/16', '10.50.0.0/24'] });

      const removed = await api.request('PUT', `/v2.0/subnetpools/${p.id}/remove_prefixes`, { prefixes: ['10.40.128.0/17', '10.99.0.0/24'] }, p1);
      assert.equal(removed.status, 200, JSON.stringify(removed.body));
      assert.deepEqual(removed.body, { prefixes: ['10.40.0.0/17', '10.50.0.0/24'] });
      const none = await api.request('PUT', `/v2.0/subnetpools/${p.id}/remove_prefixes`, { prefixes: ['10.99.0.0/24'] }, p1);
      assert.deepEqual(none.body, { prefixes: ['10.40.0.0/17', '10.50.0.0/24'] });

      await refused(api.request('PUT', `/v2.0/subnetpools/${p.id}/add_prefixes`, { prefixes: [] }, p1), 400, 'HTTPBadRequest', 'Request body contains invalid data');
      await refused(api.request('PUT', `/v2.0/subnetpools/${p.id}/add_prefixes`, {}, p1), 400, 'HTTPBadRequest');
      await refused(api.request('PUT', `/v2.0/subnetpools/${p.id}/add_prefixes`, { prefixes: ['10.0.0.0/8'] }, p2), 404, 'SubnetPoolNotFound');
      const shown = (await api.request('GET', `/v2.0/subnetpools/${p.id}`, undefined, p1)).body.subnetpool as Json;
      assert.deepEqual(shown.prefixes, ['10.40.0.0/17', '10.50.0.0/24']);
      assert.equal(shown.revision_number, 3);
    });

    test('prefix actions at once never lose one another\'s prefixes', async () => {
      const p = await pool({ name: 'racing', prefixes: ['10.60.0.0/24'] });
      const adds = await Promise.all(
        Array.from({ length: 8 }, (_, i) => api.request('PUT', `/v2.0/subnetpools/${p.id}/add_prefixes`, { prefixes: [`10.61.${i * 2}.0/24`] }, p1)),
      );
      for (const added of adds) assert.equal(added.status, 200, JSON.stringify(added.body));
      const after = (await api.request('GET', `/v2.0/subnetpools/${p.id}`, undefined, p1)).body.subnetpool as Json;
      assert.deepEqual(after.prefixes, ['10.60.0.0/24', ...Array.from({ length: 8 }, (_, i) => `10.61.${i * 2}.0/24`)]);
      const removes = await Promise.all(
        [0, 2].map((third) => api.request('PUT', `/v2.0/subnetpools/${p.id}/remove_prefixes`, { prefixes: [`10.61.${third}.0/24`] }, p1)),
      );
      for (const removed of removes) assert.equal(removed.status, 200, JSON.stringify(removed.body));
      const left = (await api.request('GET', `/v2.0/subnetpools/${p.id}`, undefined, p1)).body.subnetpool as Json;
      assert.deepEqual(left.prefixes, ['10.60.0.0/24', ...Array.from({ length: 6 }, (_, i) => `10.61.${(i + 2) * 2}.0/24`)]);
    });

    test('address scopes: visible, same IP version, no overlap within a scope; a scope with pools stays', async () => {
      const s4 = await scope({ name: 's4', ip_version: 4 });
      const s6 = await scope({ name: 's6', ip_version: 6 });
      const theirs = await scope({ name: 'theirs', ip_version: 4 }, p2);
      const scoped = await pool({ name: 'scoped', prefixes: ['20.0.0.0/18', '30.0.0.0/18'], address_scope_id: s4.id });
      assert.equal(scoped.address_scope_id, s4.id);

      await refused(createPool({ name: 'x', prefixes: ['10.0.0.0/8'], address_scope_id: 'foo-addr-scope' }), 400, 'HTTPBadRequest');
      await refused(createPool({ name: 'x', prefixes: ['10.0.0.0/8'], address_scope_id: theirs.id }), 404, 'AddressScopeNotFound');
      await refused(
        createPool({ name: 'x', prefixes: ['40.0.0.0/18', '30.0.0.0/12'], address_scope_id: s4.id }),
        409,
        'AddressScopePrefixConflict',
        'Failed to associate address scope: subnetpools within an address scope must have unique prefixes.',
      );
      const plain = await pool({ name: 'plain', prefixes: ['50.0.0.0/18'] });
      await refused(
        updatePool(plain.id, { address_scope_id: s6.id }),
        400,
        'IllegalSubnetPoolIpVersionAssociationToAddressScope',
        `Illegal subnetpool association: subnetpool ${plain.id} cannot associate with address scope ${s6.id} because subnetpool ip_version is not 6.`,
      );
      assert.equal((await updatePool(plain.id, { address_scope_id: s4.id })).body.subnetpool.address_scope_id, s4.id);
      await refused(updatePool(plain.id, { prefixes: ['50.0.0.0/18', '20.0.0.0/12'] }), 409, 'AddressScopePrefixConflict');
      await refused(api.request('DELETE', `/v2.0/address-scopes/${s4.id}`, undefined, p1), 409, 'AddressScopeInUse');
      assert.equal((await updatePool(plain.id, { address_scope_id: null })).body.subnetpool.address_scope_id, null);

      // A pool in a shared scope of another project's: only admins change it.
      const sharedScope = await scope({ name: 'shared', ip_version: 4, shared: true, tenant_id: 'admin-project' }, ADMIN);
      assert.equal((await updatePool(plain.id, { address_scope_id: sharedScope.id }, ADMIN)).status, 200);
      await refused(
        updatePool(plain.id, { prefixes: ['50.0.0.0/18', '60.0.0.0/18'] }),
        400,
        'IllegalSubnetPoolUpdate',
        `Illegal subnetpool update : subnetpool ${plain.id} cannot be updated when associated with shared address scope ${sharedScope.id}.`,
      );
      assert.equal((await updatePool(plain.id, { prefixes: ['50.0.0.0/18', '60.0.0.0/18'] }, ADMIN)).status, 200);
    });

    const network = async (headers = p1): Promise<string> => {
      const response = await api.request('POST', '/v2.0/networks', { network: { name: 'n' } }, headers);
      assert.equal(response.status, 201, JSON.stringify(response.body));
      return String(response.body.network.id);
    };
    const createSubnet = (values: Json, headers = p1) => api.request('POST', '/v2.0/subnets', { subnet: { ip_version: 4, ...values } }, headers);
    const subnet = async (values: Json, headers = p1): Promise<Json> => {
      const response = await createSubnet(values, headers);
      assert.equal(response.status, 201, JSON.stringify(response.body));
      return response.body.subnet as Json;
    };

    test('subnets from a pool: by prefixlen, the default prefixlen, a cidr or a gateway; the first free block', async () => {
      const p = await pool({ name: 'alloc', prefixes: ['10.11.12.0/24'], min_prefixlen: 28, max_prefixlen: 30 });
      const net = await network();
      const a = await subnet({ network_id: net, subnetpool_id: p.id, prefixlen: 30 });
      assert.deepEqual([a.cidr, a.subnetpool_id, a.gateway_ip, a.allocation_pools], ['10.11.12.0/30', p.id, '10.11.12.1', [{ start: '10.11.12.2', end: '10.11.12.2' }]]);
      const b = await subnet({ network_id: await network(), subnetpool_id: p.id });
      assert.equal(b.cidr, '10.11.12.16/28', 'the default prefixlen (min_prefixlen), after the smaller free blocks that cannot hold it');
      const c = await subnet({ network_id: await network(), subnetpool_id: p.id, prefixlen: 30 });
      assert.equal(c.cidr, '10.11.12.4/30', 'smallest free blocks first');
      const d = await subnet({ network_id: await network(), subnetpool_id: p.id, cidr: '10.11.12.200/29', gateway_ip: null });
      assert.deepEqual([d.cidr, d.gateway_ip], ['10.11.12.200/29', null]);
      const e = await subnet({ network_id: await network(), subnetpool_id: p.id, gateway_ip: '10.11.12.97', prefixlen: 28 });
      assert.deepEqual([e.cidr, e.gateway_ip], ['10.11.12.96/28', '10.11.12.97']);
      const f = await subnet({ network_id: await network(), subnetpool_id: p.id, prefixlen: 29, gateway_ip: null });
      assert.deepEqual([f.cidr, f.gateway_ip], ['10.11.12.8/29', null]);
      const listed = (await api.request('GET', `/v2.0/subnets?subnetpool_id=${p.id}&fields=cidr`, undefined, p1)).body.subnets as Json[];
      assert.equal(listed.length, 6);

      await refused(
        createSubnet({ network_id: await network(), subnetpool_id: p.id, cidr: '10.11.12.0/29' }),
        409,
        'SubnetAllocationError',
        'Failed to allocate subnet: Cannot allocate requested subnet from the available set of prefixes.',
      );
      await refused(
        createSubnet({ network_id: await network(), subnetpool_id: p.id, prefixlen: 31 }),
        400,
        'MaxPrefixSubnetAllocationError',
        'Unable to allocate subnet with prefix length 31, maximum allowed prefix is 30.',
      );
      await refused(
        createSubnet({ network_id: await network(), subnetpool_id: p.id, prefixlen: 24 }),
        400,
        'MinPrefixSubnetAllocationError',
        'Unable to allocate subnet with prefix length 24, minimum allowed prefix is 28.',
      );
      await refused(
        createSubnet({ network_id: await network(), subnetpool_id: p.id, ip_version: 6 }),
        400,
        'BadRequest',
        'Bad subnets request: Cannot allocate IPv6 subnet from IPv4 subnet pool.',
      );
      await refused(
        createSubnet({ network_id: await network(), subnetpool_id: p.id, cidr: '10.0.0.0/24', prefixlen: 24 }),
        400,
        'BadRequest',
        'Bad subnets request: cidr and prefixlen must not be supplied together.',
      );
      await refused(
        createSubnet({ network_id: await network(), prefixlen: 24 }),
        400,
        'BadRequest',
        'Bad subnets request: a subnetpool must be specified in the absence of a cidr.',
      );
      await refused(
        createSubnet({ network_id: await network(), subnetpool_id: p.id, allocation_pools: [{ start: '10.11.12.2', end: '10.11.12.3' }] }),
        400,
        'BadRequest',
        'Bad subnets request: allocation_pools allowed only for specific subnet requests..',
      );
      const hidden = await pool({ name: 'admins', prefixes: ['172.16.0.0/16'], tenant_id: 'admin-project' }, ADMIN);
      await refused(createSubnet({ network_id: await network(), subnetpool_id: hidden.id }), 404, 'SubnetPoolNotFound');

      // Subnets of one version on a network come from one pool.
      const other = await pool({ name: 'other', prefixes: ['192.168.0.0/16'], min_prefixlen: 24 });
      await refused(
        createSubnet({ network_id: net, subnetpool_id: other.id }),
        400,
        'NetworkSubnetPoolAffinityError',
        'Subnets hosted on the same network must be allocated from the same subnet pool.',
      );
      await refused(createSubnet({ network_id: net, cidr: '172.31.0.0/24' }), 400, 'NetworkSubnetPoolAffinityError');
      assert.equal((await subnet({ network_id: net, subnetpool_id: p.id, prefixlen: 30 })).cidr, '10.11.12.192/30');

      // A pool that subnets come from stays; without them it goes.
      await refused(
        api.request('DELETE', `/v2.0/subnetpools/${p.id}`, undefined, p1),
        400,
        'SubnetPoolDeleteError',
        'Unable to delete subnet pool: Subnet pool has existing allocations.',
      );
      await refused(
        api.request('PUT', `/v2.0/subnetpools/${p.id}/remove_prefixes`, { prefixes: ['10.11.12.0/24'] }, p1),
        400,
        'IllegalSubnetPoolPrefixUpdate',
        'Illegal update to prefixes: One or more the prefixes to be removed is in use by a subnet.',
      );
      assert.equal((await api.request('DELETE', `/v2.0/subnets/${d.id}`, undefined, p1)).status, 204);
      assert.equal((await subnet({ network_id: await network(), subnetpool_id: p.id, cidr: '10.11.12.200/29' })).cidr, '10.11.12.200/29');

      const full = await pool({ name: 'full', prefixes: ['10.99.0.0/29'], min_prefixlen: 29 });
      await subnet({ network_id: await network(), subnetpool_id: full.id });
      await refused(
        createSubnet({ network_id: await network(), subnetpool_id: full.id }),
        409,
        'SubnetAllocationError',
        'Failed to allocate subnet: Insufficient prefix space to allocate subnet size /29.',
      );
    });

    test('use_default_subnetpool; a shared pool serves every project; default_quota in addresses per project', async () => {
      await refused(
        createSubnet({ network_id: await network(p2), use_default_subnetpool: true, ip_version: 6 }, p2),
        400,
        'BadRequest',
        'Bad subnets request: No default subnetpool found for IPv6.',
      );
      const default6 = await pool({ name: 'default6-shared', prefixes: ['2001:db8:100::/48'], is_default: true, shared: true, tenant_id: 'admin-project' }, ADMIN);
      const v6 = await subnet({ network_id: await network(p2), use_default_subnetpool: true, ip_version: 6 }, p2);
      assert.deepEqual([v6.cidr, v6.subnetpool_id, v6.gateway_ip], ['2001:db8:100::/64', default6.id, '2001:db8:100::1']);
      await refused(
        createSubnet({ network_id: await network(p2), use_default_subnetpool: true, subnetpool_id: default6.id, ip_version: 6 }, p2),
        400,
        'BadRequest',
        'Bad subnets request: subnetpool_id and use_default_subnetpool cannot both be specified.',
      );

      // 8 addresses each (/32s): two /30s per project.
      const quota = await pool({ name: 'quota', prefixes: ['10.70.0.0/24'], min_prefixlen: 28, max_prefixlen: 30, default_quota: 8, shared: true, tenant_id: 'admin-project' }, ADMIN);
      assert.equal(quota.default_quota, 8);
      await subnet({ network_id: await network(), subnetpool_id: quota.id, prefixlen: 30 });
      await subnet({ network_id: await network(), subnetpool_id: quota.id, prefixlen: 30 });
      await refused(
        createSubnet({ network_id: await network(), subnetpool_id: quota.id, prefixlen: 30 }),
        409,
        'SubnetPoolQuotaExceeded',
        'Per-project subnet pool prefix quota exceeded.',
      );
      await refused(createSubnet({ network_id: await network(p2), subnetpool_id: quota.id, prefixlen: 28 }, p2), 409, 'SubnetPoolQuotaExceeded');
      await subnet({ network_id: await network(p2), subnetpool_id: quota.id, prefixlen: 30 }, p2);
    });

    test('parallel creates from one pool never get overlapping blocks, and fill it exactly', async () => {
      const p = await pool({ name: 'busy', prefixes: ['10.80.0.0/24'], min_prefixlen: 28 });
      const networks = await Promise.all(Array.from({ length: 20 }, () => network()));
      const responses = await Promise.all(networks.map((id) => createSubnet({ network_id: id, subnetpool_id: p.id })));
      const created = responses.filter((r) => r.status === 201).map((r) => String(r.body.subnet.cidr));
      const refusals = responses.filter((r) => r.status !== 201);
      assert.equal(created.length, 16, JSON.stringify(refusals.map((r) => r.body)));
      assert.equal(new Set(created).size, 16, 'no block given twice');
      for (const r of refusals) assert.equal(neutronError(r).type, 'SubnetAllocationError');
    });

    test('subnetpool in /v2.0/quotas: [quotas] default_quota by default, enforced on create, used counted', async () => {
      const limits = (await api.request('GET', '/v2.0/quotas/pq/details', undefined, ADMIN)).body.quota as Json;
      assert.deepEqual(limits.subnetpool, { limit: -1, used: 0, reserved: 0 });
      assert.equal((await api.request('PUT', '/v2.0/quotas/pq', { quota: { subnetpool: 1 } }, ADMIN)).status, 200);
      const pq = asProject('pq');
      await pool({ name: 'one', prefixes: ['10.90.0.0/16'] }, pq);
      await refused(createPool({ name: 'two', prefixes: ['10.91.0.0/16'] }, pq), 409, 'OverQuota', "Quota exceeded for resources: ['subnetpool'].");
      const details = (await api.request('GET', '/v2.0/quotas/pq/details', undefined, pq)).body.quota as Json;
      assert.deepEqual(details.subnetpool, { limit: 1, used: 1, reserved: 0 });
    });

    test('tags on pools', async () => {
      const p = await pool({ name: 'tagged', prefixes: ['10.60.0.0/16'] });
      assert.equal((await api.request('PUT', `/v2.0/subnetpools/${p.id}/tags/red`, undefined, p1)).status, 201);
      const listed = (await api.request('GET', '/v2.0/subnetpools?tags=red', undefined, p1)).body.subnetpools as Json[];
      assert.deepEqual(listed.map((x) => x.name), ['tagged']);
    });
  });
}
