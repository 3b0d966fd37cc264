/**
 * Address groups over HTTP on every backend (address-group,
 * rbac-address-group, security-groups-remote-address-group): what
 * neutron-tempest-plugin's test_address_groups.py sends and asserts, with
 * Neutron's error types, plus the security group rules that name a group.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';

import { testDialects } from '../db/databases.js';
import { suiteApi } from '../helpers/suiteApi.js';
import { asProject } from '../helpers/testApi.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions, not by types
type Json = Record<string, any>;

const projectId = () => randomUUID().replaceAll('-', '');
const ADDRESSES = ['10.10.10.3/32', '192.168.0.10/24', '2001:db8::f00/64'];
const NORMALIZED = ['10.10.10.3/32', '192.168.0.0/24', '2001:db8::/64'];

for (const dialect of testDialects()) {
  describe(`address groups on ${dialect}`, () => {
    const api = suiteApi(dialect);
    const ADMIN = {};

    const call = async (method: string, path: string, body: Json | undefined, headers: Json, status: number): Promise<Json> => {
      const response = await api.request(method, path, body, headers);
      assert.equal(response.status, status, `${method} ${path}: ${JSON.stringify(response.body)}`);
      return response.body as Json;
    };
    const errorOf = async (method: string, path: string, body: Json | undefined, headers: Json, status: number): Promise<{ type: string; message: string }> =>
      (await call(method, path, body, headers, status)).NeutronError;
    const group = async (headers: Json, extra: Json = {}) =>
      (await call('POST', '/v2.0/address-groups', { address_group: { name: 'ag', ...extra } }, headers, 201)).address_group as Json;
    const show = async (id: string, headers: Json = ADMIN) => (await call('GET', `/v2.0/address-groups/${id}`, undefined, headers, 200)).address_group as Json;
    const action = (id: string, name: string, addresses: unknown[], headers: Json = ADMIN) =>
      api.request('PUT', `/v2.0/address-groups/${id}/${name}`, { addresses }, headers);
    const share = async (objectId: string, target: string, headers: Json = ADMIN) =>
      (await call('POST', '/v2.0/rbac-policies', { rbac_policy: { object_type: 'address_group', object_id: objectId, action: 'access_as_shared', target_tenant: target } }, headers, 201))
        .rbac_policy as Json;
    const rule = (headers: Json, securityGroupId: string, extra: Json) =>
      api.request('POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: securityGroupId, direction: 'ingress', protocol: 'tcp', ...extra } }, headers);
    const securityGroup = async (headers: Json) =>
      (await call('POST', '/v2.0/security-groups', { security_group: { name: 'sg' } }, headers, 201)).security_group as Json;

    test('lifecycle: addresses normalised, description and name kept through an update, gone after delete (404)', async () => {
      const aliases = ((await call('GET', '/v2.0/extensions', undefined, ADMIN, 200)).extensions as Json[]).map((e) => e.alias);
      for (const alias of ['address-group', 'rbac-address-group', 'security-groups-remote-address-group']) assert.ok(aliases.includes(alias), alias);

      const p1 = asProject(projectId());
      const ag = await group(p1, { description: 'Test AG description', addresses: ADDRESSES });
      assert.equal(ag.description, 'Test AG description');
      assert.deepEqual([...ag.addresses].sort(), [...NORMALIZED].sort());
      // Upstream keeps `shared` out of address groups (is_visible False).
      assert.equal('shared' in ag, false);
      assert.equal(typeof ag.revision_number, 'number');

      const updated = (await call('PUT', `/v2.0/address-groups/${ag.id}`, { address_group: { description: 'New AG description' } }, p1, 200)).address_group as Json;
      assert.equal(updated.description, 'New AG description');
      assert.equal(updated.name, 'ag');
      assert.deepEqual([...updated.addresses].sort(), [...NORMALIZED].sort());
      assert.equal((await errorOf('PUT', `/v2.0/address-groups/${ag.id}`, { address_group: { addresses: [] } }, p1, 400)).type, 'HTTPBadRequest');

      await call('DELETE', `/v2.0/address-groups/${ag.id}`, undefined, p1, 204);
      assert.deepEqual(await errorOf('GET', `/v2.0/address-groups/${ag.id}`, undefined, p1, 404), {
        type: 'AddressGroupNotFound',
        message: `Address group ${ag.id} could not be found.`,
        detail: '',
      });
      assert.deepEqual((await group(p1, { addresses: null })).addresses, []);
      assert.deepEqual((await group(p1, {})).addresses, []);
    });

    test('create refuses what is not a CIDR (400)', async () => {
      for (const bad of ['10.20.30.40', 'this is bad IP address']) {
        const error = await errorOf('POST', '/v2.0/address-groups', { address_group: { name: 'x', addresses: [bad] } }, ADMIN, 400);
        assert.equal(error.type, 'HTTPBadRequest');
        assert.match(error.message, new RegExp(`'${bad}' is not a valid IP subnet`));
      }
    });

    test('add_addresses / remove_addresses answer the group; adding one it has is 400, removing one it lacks 404, bad text 400', async () => {
      const ag = await group(ADMIN, { addresses: ADDRESSES });
      const added = await action(ag.id, 'add_addresses', ['10.20.30.40/32']);
      assert.equal(added.status, 200, JSON.stringify(added.body));
      assert.deepEqual([...(added.body as Json).address_group.addresses].sort(), [...NORMALIZED, '10.20.30.40/32'].sort());
      assert.equal('shared' in (added.body as Json).address_group, false);
      assert.ok((added.body as Json).address_group.revision_number > ag.revision_number);
      assert.deepEqual([...(await show(ag.id)).addresses].sort(), [...NORMALIZED, '10.20.30.40/32'].sort());

      const removed = await action(ag.id, 'remove_addresses', ['10.10.10.3/32']);
      assert.equal(removed.status, 200, JSON.stringify(removed.body));
      const expected = ['192.168.0.0/24', '2001:db8::/64', '10.20.30.40/32'].sort();
      assert.deepEqual([...(await show(ag.id)).addresses].sort(), expected);

      const exists = await action(ag.id, 'add_addresses', ['192.168.0.99/24']);
      assert.equal(exists.status, 400);
      assert.deepEqual((exists.body as Json).NeutronError, {
        type: 'AddressesAlreadyExist',
        message: `Addresses ['192.168.0.0/24'] already exist in the address group ${ag.id}.`,
        detail: '',
      });
      const missing = await action(ag.id, 'remove_addresses', ['10.200.200.200']);
      assert.equal(missing.status, 404);
      assert.deepEqual((missing.body as Json).NeutronError, {
        type: 'AddressesNotFound',
        message: `Addresses ['10.200.200.200/32'] not found in the address group ${ag.id}.`,
        detail: '',
      });
      for (const name of ['add_addresses', 'remove_addresses']) {
        const bad = await action(ag.id, name, ['this is bad IP address']);
        assert.equal(bad.status, 400);
        assert.equal((bad.body as Json).NeutronError.type, 'AddrFormatError');
      }
      assert.deepEqual([...(await show(ag.id)).addresses].sort(), expected);
      assert.equal((await action(randomUUID(), 'add_addresses', ['10.0.0.0/8'])).status, 404);
    });

    test('rbac: shared with one project it is visible to it alone, not changed by it (404 on update, as upstream), entries shown, moved and filtered', async () => {
      const p1 = projectId();
      const p2 = projectId();
      const ag = await group(ADMIN, { tenant_id: projectId() });
      await errorOf('GET', `/v2.0/address-groups/${ag.id}`, undefined, asProject(p1), 404);
      const policy = await share(ag.id, p1);
      assert.equal(policy.object_type, 'address_group');
      await show(ag.id, asProject(p1));
      await errorOf('GET', `/v2.0/address-groups/${ag.id}`, undefined, asProject(p2), 404);
      assert.equal('shared' in (await show(ag.id, asProject(p1))), false);
      assert.deepEqual(((await call('GET', '/v2.0/address-groups', undefined, asProject(p1), 200)).address_groups as Json[]).map((g) => g.id), [ag.id]);

      // test_regular_client_blocked_from_updating_shared_address_group: upstream decides on the group without `shared`
      await errorOf('PUT', `/v2.0/address-groups/${ag.id}`, { address_group: { name: 'new_name' } }, asProject(p1), 404);
      assert.equal((await action(ag.id, 'add_addresses', ['10.9.9.9/32'], asProject(p1))).status, 403);
      // test_regular_client_blocked_from_sharing_anothers_policy
      const refused = await errorOf('POST', '/v2.0/rbac-policies', { rbac_policy: { object_type: 'address_group', object_id: ag.id, action: 'access_as_shared', target_tenant: p2 } }, asProject(p1), 400);
      assert.equal(refused.type, 'InvalidInput');
      assert.deepEqual((await call('GET', '/v2.0/rbac-policies', undefined, asProject(p1), 200)).rbac_policies, []);

      // test_policy_target_update, test_rbac_policy_show, test_filter_rbac_policies
      const moved = (await call('PUT', `/v2.0/rbac-policies/${policy.id}`, { rbac_policy: { target_tenant: p2 } }, ADMIN, 200)).rbac_policy as Json;
      assert.deepEqual({ ...moved, target_tenant: undefined }, { ...policy, target_tenant: undefined });
      await errorOf('GET', `/v2.0/address-groups/${ag.id}`, undefined, asProject(p1), 404);
      const everyone = await share(ag.id, '*');
      assert.deepEqual((await call('GET', `/v2.0/rbac-policies/${everyone.id}`, undefined, ADMIN, 200)).rbac_policy, everyone);
      const byId = (await call('GET', `/v2.0/rbac-policies?id=${moved.id}`, undefined, ADMIN, 200)).rbac_policies as Json[];
      assert.deepEqual(byId.map((p) => p.id), [moved.id]);
      const fields = (await call('GET', '/v2.0/rbac-policies?object_type=address_group&fields=object_type&fields=object_id', undefined, ADMIN, 200)).rbac_policies as Json[];
      assert.deepEqual(Object.keys(fields[0]!).sort(), ['object_id', 'object_type']);
      const invalid = await errorOf('POST', '/v2.0/rbac-policies', { rbac_policy: { object_type: 'address_group', object_id: ag.id, action: 'access_as_external', target_tenant: p1 } }, ADMIN, 400);
      assert.equal(invalid.type, 'InvalidActionForType');
    });

    test('rules: remote_address_group_id alone, of a group the project sees; a group in use stays, and so does the entry its rules need', async () => {
      const owner = projectId();
      const p2 = projectId();
      const ag = await group(ADMIN, { tenant_id: owner, addresses: ['10.0.0.0/24'] });
      const sg = await securityGroup(asProject(p2));

      const unseen = await rule(asProject(p2), sg.id, { remote_address_group_id: ag.id });
      assert.equal(unseen.status, 404);
      assert.equal((unseen.body as Json).NeutronError.type, 'AddressGroupNotFound');
      for (const other of [{ remote_ip_prefix: '10.0.0.0/8' }, { remote_group_id: sg.id }]) {
        const both = await rule(ADMIN, sg.id, { remote_address_group_id: ag.id, ...other });
        assert.equal(both.status, 400);
        assert.equal((both.body as Json).NeutronError.type, 'SecurityGroupMultipleRemoteEntites');
      }

      const policy = await share(ag.id, p2);
      const created = await rule(asProject(p2), sg.id, { remote_address_group_id: ag.id });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const r = (created.body as Json).security_group_rule;
      assert.equal(r.remote_address_group_id, ag.id);
      assert.equal(r.remote_ip_prefix, null);
      const filtered = (await call('GET', `/v2.0/security-group-rules?remote_address_group_id=${ag.id}`, undefined, asProject(p2), 200)).security_group_rules as Json[];
      assert.deepEqual(filtered.map((x) => x.id), [r.id]);

      // test_secgrprule_presence_prevents_policy_rbac_policy_deletion
      const inUse = await errorOf('DELETE', `/v2.0/rbac-policies/${policy.id}`, undefined, ADMIN, 409);
      assert.equal(inUse.type, 'RbacPolicyInUse');
      // A '*' entry lets the project's rules stay without their own.
      const everyone = await share(ag.id, '*');
      await call('DELETE', `/v2.0/rbac-policies/${policy.id}`, undefined, ADMIN, 204);
      assert.equal((await errorOf('DELETE', `/v2.0/rbac-policies/${everyone.id}`, undefined, ADMIN, 409)).type, 'RbacPolicyInUse');

      assert.deepEqual(await errorOf('DELETE', `/v2.0/address-groups/${ag.id}`, undefined, ADMIN, 409), {
        type: 'AddressGroupInUse',
        message: `Address group ${ag.id} is in use on one or more security group rules.`,
        detail: '',
      });
      await call('DELETE', `/v2.0/security-group-rules/${r.id}`, undefined, asProject(p2), 204);
      await call('DELETE', `/v2.0/rbac-policies/${everyone.id}`, undefined, ADMIN, 204);
      await call('DELETE', `/v2.0/address-groups/${ag.id}`, undefined, ADMIN, 204);
      assert.deepEqual(((await call('GET', `/v2.0/rbac-policies?object_id=${ag.id}`, undefined, ADMIN, 200)).rbac_policies as Json[]), []);
    });
  });
}
