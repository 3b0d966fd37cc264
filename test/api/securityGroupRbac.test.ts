/**
 * Sharing security groups through RBAC over HTTP on every backend
 * (rbac-security-groups, security-groups-shared-filtering): the target sees
 * the group and its rules and puts it on its ports, `shared` is derived per
 * caller and filters, only the owner changes the group, and an entry the
 * target's ports still need stays (after neutron-tempest-plugin's
 * RbacSharedSecurityGroupTest).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';

import { testDialects } from '../db/databases.js';
import { asProject, type Headers } from '../helpers/testApi.js';
import { suiteApi } from '../helpers/suiteApi.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions, not by types
type Json = Record<string, any>;

const projectId = () => randomUUID().replaceAll('-', '');
const ADMIN: Headers = {};

for (const dialect of testDialects()) {
  describe(`security group RBAC on ${dialect}`, () => {
    // The new defaults alone: under the deprecated rule:admin_or_owner the target would add rules to a group shared with it.
    const api = suiteApi(dialect, { oslo_policy: { enforce_new_defaults: true } });

    const call = async (method: string, path: string, body: Json | undefined, headers: Headers, status: number): Promise<Json> => {
      const response = await api.request(method, path, body, headers);
      assert.equal(response.status, status, `${method} ${path}: ${JSON.stringify(response.body)}`);
      return response.body as Json;
    };
    const errorOf = async (method: string, path: string, body: Json | undefined, headers: Headers, status: number) =>
      (await call(method, path, body, headers, status)).NeutronError as { type: string; message: string };
    const group = async (headers: Headers, name = 'shared-sg') =>
      (await call('POST', '/v2.0/security-groups', { security_group: { name } }, headers, 201)).security_group as Json;
    const share = async (headers: Headers, groupId: string, target: string) =>
      (
        await call(
          'POST',
          '/v2.0/rbac-policies',
          { rbac_policy: { object_type: 'security_group', object_id: groupId, action: 'access_as_shared', target_tenant: target } },
          headers,
          201,
        )
      ).rbac_policy as Json;
    const groupIds = async (query: string, headers: Headers) =>
      ((await call('GET', `/v2.0/security-groups${query}`, undefined, headers, 200)).security_groups as Json[]).map((g) => g.id);

    test('both extensions are listed with their upstream names and dates', async () => {
      const byAlias = new Map(((await call('GET', '/v2.0/extensions', undefined, ADMIN, 200)).extensions as Json[]).map((e) => [e.alias, e]));
      assert.equal(byAlias.get('rbac-security-groups')?.name, 'Add security_group type to network RBAC');
      assert.equal(byAlias.get('rbac-security-groups')?.updated, '2019-02-14T00:00:00-00:00');
      assert.equal(byAlias.get('security-groups-shared-filtering')?.name, 'Security group filtering on the shared field');
      assert.equal(byAlias.get('security-groups-shared-filtering')?.updated, '2021-10-05T09:00:00-00:00');
    });

    test('a group shared with a project: it sees the group and its rules, shared=True for it alone, uses it on its ports; the entry stays while they do', async () => {
      const [owner, target, other] = [projectId(), projectId(), projectId()];
      const sg = await group(asProject(owner));
      await errorOf('GET', `/v2.0/security-groups/${sg.id}`, undefined, asProject(target), 404);

      const entry = await share(asProject(owner), sg.id, target);
      assert.deepEqual(
        { ...entry, id: undefined },
        { id: undefined, object_type: 'security_group', object_id: sg.id, action: 'access_as_shared', target_tenant: target, tenant_id: owner, project_id: owner },
      );
      assert.deepEqual(await call('GET', `/v2.0/rbac-policies/${entry.id}`, undefined, ADMIN, 200), { rbac_policy: entry });

      const seen = (await call('GET', `/v2.0/security-groups/${sg.id}`, undefined, asProject(target), 200)).security_group as Json;
      assert.equal(seen.shared, true);
      assert.deepEqual(
        (seen.security_group_rules as Json[]).map((r) => r.id).sort(),
        (sg.security_group_rules as Json[]).map((r) => r.id).sort(),
      );
      assert.equal(((await call('GET', `/v2.0/security-groups/${sg.id}`, undefined, asProject(owner), 200)).security_group as Json).shared, false);
      assert.ok((await groupIds('', asProject(target))).includes(sg.id));
      assert.deepEqual(await groupIds('?shared=True', asProject(target)), [sg.id]);
      assert.ok(!(await groupIds('?shared=False', asProject(target))).includes(sg.id));
      assert.ok(!(await groupIds('', asProject(other))).includes(sg.id));
      await errorOf('GET', `/v2.0/security-groups/${sg.id}`, undefined, asProject(other), 404);
      // The entry is its creator's: the target does not list it.
      assert.deepEqual((await call('GET', '/v2.0/rbac-policies', undefined, asProject(target), 200)).rbac_policies, []);

      // Only the owner (or an admin) changes or deletes the group; `shared` is derived, never set.
      await errorOf('PUT', `/v2.0/security-groups/${sg.id}`, { security_group: { name: 'mine' } }, asProject(target), 403);
      await errorOf('DELETE', `/v2.0/security-groups/${sg.id}`, undefined, asProject(target), 403);
      await errorOf('PUT', `/v2.0/security-groups/${sg.id}`, { security_group: { shared: false } }, asProject(owner), 400);
      // Another project's share of it is refused: only the owner shares.
      const refused = await errorOf(
        'POST',
        '/v2.0/rbac-policies',
        { rbac_policy: { object_type: 'security_group', object_id: sg.id, action: 'access_as_shared', target_tenant: other } },
        asProject(target),
        400,
      );
      assert.equal(refused.message, 'Invalid input for operation: Only admins can manipulate policies on objects they do not own.');
      await errorOf('POST', '/v2.0/rbac-policies', { rbac_policy: { object_type: 'security_group', object_id: sg.id, action: 'access_as_external', target_tenant: other } }, asProject(owner), 400);

      // The target's own rules may name it as their remote group; rules in it are its owner's to add.
      const own = await group(asProject(target), 'own-sg');
      const remote = { security_group_rule: { security_group_id: own.id, direction: 'ingress', remote_group_id: sg.id } };
      await call('POST', '/v2.0/security-group-rules', remote, asProject(target), 201);
      const inShared = { security_group_rule: { security_group_id: sg.id, direction: 'ingress', protocol: 'tcp' } };
      assert.equal((await errorOf('POST', '/v2.0/security-group-rules', inShared, asProject(target), 403)).type, 'PolicyNotAuthorized');
      const others = await group(asProject(other), 'others-sg');
      const notShared = { security_group_rule: { security_group_id: others.id, direction: 'ingress', remote_group_id: sg.id } };
      assert.equal((await errorOf('POST', '/v2.0/security-group-rules', notShared, asProject(other), 404)).type, 'SecurityGroupNotFound');

      const net = (await call('POST', '/v2.0/networks', { network: { name: 'n' } }, asProject(target), 201)).network as Json;
      const port = (await call('POST', '/v2.0/ports', { port: { network_id: net.id, security_groups: [sg.id] } }, asProject(target), 201)).port as Json;
      assert.deepEqual(port.security_groups, [sg.id]);

      const inUse = await errorOf('DELETE', `/v2.0/rbac-policies/${entry.id}`, undefined, asProject(owner), 409);
      assert.equal(inUse.type, 'RbacPolicyInUse');
      assert.equal(inUse.message, `RBAC policy on object ${sg.id} cannot be removed because other objects depend on it.\nDetails: project_id=${target}`);
      // Moving the entry to another project takes the group from the ports too.
      assert.equal((await errorOf('PUT', `/v2.0/rbac-policies/${entry.id}`, { rbac_policy: { target_tenant: other } }, ADMIN, 409)).type, 'RbacPolicyInUse');
      // A '*' entry lets the project's entry go.
      const everyone = await share(ADMIN, sg.id, '*');
      await call('DELETE', `/v2.0/rbac-policies/${entry.id}`, undefined, asProject(owner), 204);
      assert.equal((await errorOf('DELETE', `/v2.0/rbac-policies/${everyone.id}`, undefined, ADMIN, 409)).type, 'RbacPolicyInUse');
      await call('DELETE', `/v2.0/ports/${port.id}`, undefined, asProject(target), 204);
      await call('DELETE', `/v2.0/rbac-policies/${everyone.id}`, undefined, ADMIN, 204);
      await errorOf('GET', `/v2.0/security-groups/${sg.id}`, undefined, asProject(target), 404);
    });

    test('an entry moves to another project; a group not shared with a port\'s project is not found for it; the group\'s entries go with it', async () => {
      const [owner, first, second] = [projectId(), projectId(), projectId()];
      const sg = await group(asProject(owner));
      const entry = await share(ADMIN, sg.id, first);
      const moved = (await call('PUT', `/v2.0/rbac-policies/${entry.id}`, { rbac_policy: { target_tenant: second } }, ADMIN, 200)).rbac_policy as Json;
      assert.deepEqual(moved, { ...entry, target_tenant: second });
      assert.ok(!(await groupIds('', asProject(first))).includes(sg.id));
      assert.ok((await groupIds('', asProject(second))).includes(sg.id));

      const net = (await call('POST', '/v2.0/networks', { network: { name: 'n' } }, asProject(first), 201)).network as Json;
      const notFound = await errorOf('POST', '/v2.0/ports', { port: { network_id: net.id, security_groups: [sg.id] } }, asProject(first), 404);
      assert.equal(notFound.type, 'SecurityGroupNotFound');

      await call('DELETE', `/v2.0/security-groups/${sg.id}`, undefined, asProject(owner), 204);
      await errorOf('GET', `/v2.0/rbac-policies/${entry.id}`, undefined, ADMIN, 404);
    });
  });
}
