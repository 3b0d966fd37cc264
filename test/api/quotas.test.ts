/**
 * Quotas over HTTP against a real server, on every database backend: the
 * /v2.0/quotas API (defaults, overrides, details, validation, who may do
 * what) and enforcement on create (single, bulk, admins creating for other
 * projects, implicit default security groups, many clients at once, two
 * servers on one database).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { createTestDatabase, testDialects, type TestDatabase } from '../db/databases.js';
import { asProject, type Headers, type TestApi, startTestApi } from '../helpers/testApi.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions, not by types
type Json = Record<string, any>;

/** [quotas] for these tests: some options changed, so the test sees they are read. */
const QUOTAS = { quota_subnet: 7, quota_security_group: 4, quota_floatingip: 3 };

const DEFAULTS = {
  network: 100,
  subnet: 7,
  subnetpool: -1,
  port: 500,
  router: 10,
  floatingip: 3,
  security_group: 4,
  security_group_rule: 100,
  rbac_policy: 10,
};

let projectCounter = 0;
/** A project no test has used yet. */
const newProject = () => `qproj${process.pid}x${++projectCounter}`;

const asManager = (project: string): Headers => ({ 'x-project-id': project, 'x-roles': 'manager,member,reader' });

for (const dialect of testDialects()) {
  describe(`quotas on ${dialect}`, () => {
    let database: TestDatabase;
    let api: TestApi;

    before(async () => {
      database = await createTestDatabase(dialect);
      api = await startTestApi(database.url, { quotas: QUOTAS });
    });
    after(async () => {
      await api?.close();
      await database?.drop();
    });

    const call = async (method: string, path: string, body: unknown, status: number, headers: Headers = {}): Promise<Json> => {
      const response = await api.request(method, path, body, headers);
      assert.equal(response.status, status, `${method} ${path} ${JSON.stringify(body)} -> ${JSON.stringify(response.body)}`);
      return response.body as Json;
    };
    const expectError = async (method: string, path: string, body: unknown, status: number, type: string, headers: Headers = {}) =>
      (await call(method, path, body, status, headers)).NeutronError as { type: string; message: string; detail: string };
    const errorOf = async (method: string, path: string, body: unknown, status: number, type: string, headers: Headers = {}) => {
      const error = await expectError(method, path, body, status, type, headers);
      assert.equal(error.type, type, JSON.stringify(error));
      return error.message;
    };
    const setQuota = async (project: string, quota: Json) => (await call('PUT', `/v2.0/quotas/${project}`, { quota }, 200)).quota as Json;
    const network = async (project: string, headers: Headers = asProject(project)) =>
      (await call('POST', '/v2.0/networks', { network: { name: 'n' } }, 201, headers)).network as Json;
    const count = async (collection: string, project: string): Promise<number> => {
      const key = collection.replaceAll('-', '_');
      return ((await call('GET', `/v2.0/${collection}?project_id=${project}&fields=id`, undefined, 200))[key] as Json[]).length;
    };

    test('the quotas, quota_details and quota-check-limit extensions are listed', async () => {
      const { extensions } = await call('GET', '/v2.0/extensions', undefined, 200);
      const byAlias = new Map((extensions as Json[]).map((e) => [e.alias, e]));
      assert.equal(byAlias.get('quotas')?.name, 'Quota management support');
      assert.equal(byAlias.get('quotas')?.updated, '2012-07-29T10:00:00-00:00');
      assert.equal(byAlias.get('quota_details')?.name, 'Quota details management support');
      assert.equal(byAlias.get('quota_details')?.updated, '2017-02-10T10:00:00-00:00');
      assert.deepEqual((await call('GET', '/v2.0/extensions/quota_details', undefined, 200)).extension, byAlias.get('quota_details'));
      assert.deepEqual(byAlias.get('quota-check-limit'), {
        alias: 'quota-check-limit',
        name: 'Quota engine limit check',
        description: 'Support for checking the resource usage before applying a new quota limit',
        updated: '2021-09-08T16:00:00-00:00',
        links: [],
      });
    });

    test('defaults come from [quotas]; own project, managers and admins may read them, others get 403', async () => {
      const project = newProject();
      assert.deepEqual((await call('GET', `/v2.0/quotas/${project}`, undefined, 200)).quota, DEFAULTS);
      assert.deepEqual((await call('GET', `/v2.0/quotas/${project}`, undefined, 200, asProject(project))).quota, DEFAULTS);
      assert.deepEqual((await call('GET', `/v2.0/quotas/${project}/default`, undefined, 200, asProject(project))).quota, DEFAULTS);
      assert.deepEqual((await call('GET', `/v2.0/quotas/${project}.json`, undefined, 200)).quota, DEFAULTS);
      const other = newProject();
      for (const path of [`/v2.0/quotas/${other}`, `/v2.0/quotas/${other}/default`, '/v2.0/quotas']) {
        const message = await errorOf('GET', path, undefined, 403, 'PolicyNotAuthorized', asProject(project));
        assert.equal(message, '(rule:get_quota) is disallowed by policy');
        await call('GET', path, undefined, 200, asManager(project));
      }
    });

    test('GET /v2.0/quotas/project (and /tenant) names the caller; POST /v2.0/quotas is 501; other methods 405', async () => {
      assert.deepEqual(await call('GET', '/v2.0/quotas/project', undefined, 200, asProject('me')), { project: { project_id: 'me' } });
      assert.deepEqual(await call('GET', '/v2.0/quotas/tenant', undefined, 200, asProject('me')), { tenant: { tenant_id: 'me' } });
      assert.deepEqual(await call('GET', '/v2.0/quotas/project', undefined, 200), { project: { project_id: 'fake_project_id' } });
      const notImplemented = await expectError('POST', '/v2.0/quotas', { quota: { network: 1 } }, 501, 'HTTPNotImplemented');
      assert.deepEqual(notImplemented, { type: 'HTTPNotImplemented', message: 'POST requests are not supported on this resource.', detail: '' });
      await errorOf('PUT', '/v2.0/quotas', { quota: {} }, 405, 'HTTPMethodNotAllowed');
      await errorOf('POST', `/v2.0/quotas/${newProject()}`, { quota: {} }, 405, 'HTTPMethodNotAllowed');
      await errorOf('PUT', `/v2.0/quotas/${newProject()}/details`, { quota: {} }, 405, 'HTTPMethodNotAllowed');
    });

    test('PUT sets limits (admin only) and returns them all; GET /v2.0/quotas lists projects with limits of their own; DELETE restores the defaults', async () => {
      const project = newProject();
      const body = { quota: { network: 20, port: '30', router: -1 } };
      assert.equal((await errorOf('PUT', `/v2.0/quotas/${project}`, body, 403, 'PolicyNotAuthorized', asProject(project))), '(rule:update_quota) is disallowed by policy');
      const expected = { ...DEFAULTS, network: 20, port: 30, router: -1 };
      assert.deepEqual((await call('PUT', `/v2.0/quotas/${project}`, body, 200)).quota, expected);
      assert.deepEqual((await call('GET', `/v2.0/quotas/${project}`, undefined, 200, asProject(project))).quota, expected);
      // Another change keeps the earlier ones.
      assert.deepEqual(await setQuota(project, { network: 21 }), { ...expected, network: 21 });
      assert.deepEqual(await setQuota(project, {}), { ...expected, network: 21 });

      const listed = (await call('GET', '/v2.0/quotas', undefined, 200)).quotas as Json[];
      assert.deepEqual(
        listed.find((q) => q.project_id === project),
        { ...expected, network: 21, project_id: project, tenant_id: project },
      );
      assert.equal(listed.find((q) => q.project_id === 'never-set'), undefined);

      await errorOf('DELETE', `/v2.0/quotas/${project}`, undefined, 403, 'PolicyNotAuthorized', asProject(project));
      await call('DELETE', `/v2.0/quotas/${project}`, undefined, 204);
      assert.deepEqual((await call('GET', `/v2.0/quotas/${project}`, undefined, 200)).quota, DEFAULTS);
      assert.equal(((await call('GET', '/v2.0/quotas', undefined, 200)).quotas as Json[]).find((q) => q.project_id === project), undefined);
      // Nothing left to delete: upstream's TenantQuotaNotFound.
      const message = await errorOf('DELETE', `/v2.0/quotas/${project}`, undefined, 404, 'TenantQuotaNotFound');
      assert.equal(message, `Quota for project ${project} could not be found.`);
    });

    test("PUT validation: integers from -1 to 2^31-1, known resources only, Neutron's messages", async () => {
      const project = newProject();
      const path = `/v2.0/quotas/${project}`;
      const cases: [unknown, string, string][] = [
        [{ quota: { network: -2 } }, 'HTTPBadRequest', "Invalid input for network. Reason: '-2' is too small - must be at least '-1'."],
        [{ quota: { port: 2 ** 31 } }, 'HTTPBadRequest', "Invalid input for port. Reason: '2147483648' is too large - must be no larger than '2147483647'."],
        [{ quota: { network: 'abc' } }, 'InvalidInput', "Invalid input for operation: 'abc' is not an integer."],
        [{ quota: { network: 1.5 } }, 'InvalidInput', "Invalid input for operation: '1.5' is not an integer."],
        [{ quota: { network: null } }, 'InvalidInput', "Invalid input for operation: 'None' is not an integer."],
        [{ quota: { banana: 3 } }, 'HTTPBadRequest', "Unrecognized attribute(s) 'banana'"],
        [{ quota: { router_route: 3 } }, 'HTTPBadRequest', "Unrecognized attribute(s) 'router_route'"],
        [{ network: 3 }, 'HTTPBadRequest', "Unable to find 'quota' in request body"],
        [{ quota: 3 }, 'HTTPBadRequest', "Object 'quota' contains invalid data"],
      ];
      for (const [body, type, message] of cases) assert.equal(await errorOf('PUT', path, body, 400, type), message, JSON.stringify(body));
      await errorOf('PUT', path, undefined, 400, 'HTTPBadRequest');
      // Nothing was stored by the failed requests.
      assert.deepEqual((await call('GET', path, undefined, 200)).quota, DEFAULTS);
      assert.equal((await setQuota(project, { network: 2 ** 31 - 1, subnet: '-1', check_limit: true })).network, 2 ** 31 - 1);
    });

    test('details: limit, used and reserved of every resource; own project or admin', async () => {
      const project = newProject();
      const net = await network(project);
      await network(project);
      const subnet = await call('POST', '/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.1.0.0/24', ip_version: 4 } }, 201, asProject(project));
      assert.ok(subnet.subnet.id);
      await call('POST', '/v2.0/ports', { port: { network_id: net.id } }, 201, asProject(project));
      await setQuota(project, { port: 50 });
      const { quota } = await call('GET', `/v2.0/quotas/${project}/details`, undefined, 200, asProject(project));
      const used = {
        network: await count('networks', project),
        subnet: await count('subnets', project),
        subnetpool: 0,
        port: await count('ports', project),
        router: 0,
        floatingip: 0,
        security_group: await count('security-groups', project),
        security_group_rule: await count('security-group-rules', project),
        rbac_policy: 0,
      };
      assert.equal(used.network, 2);
      assert.equal(used.subnet, 1);
      assert.equal(used.security_group, 1); // the default group
      assert.equal(used.security_group_rule, 4); // its rules
      const limits: Json = { ...DEFAULTS, port: 50 };
      assert.deepEqual(quota, Object.fromEntries(Object.entries(used).map(([r, u]) => [r, { limit: limits[r], used: u, reserved: 0 }])));
      await call('GET', `/v2.0/quotas/${project}/details`, undefined, 200);
      const message = await errorOf('GET', `/v2.0/quotas/${project}/details`, undefined, 403, 'AdminRequired', asProject(newProject()));
      assert.equal(message, 'User does not have admin privileges: Only admin is authorized to access quotas for another project.');
    });

    test('a limit below the current usage is refused when "check_limit": true asks, unless "force": true; -1 always goes', async () => {
      const project = newProject();
      for (let i = 0; i < 3; i++) await network(project);
      const check = { check_limit: true };
      const message = await errorOf('PUT', `/v2.0/quotas/${project}`, { quota: { subnet: 5, network: 2, ...check } }, 400, 'HTTPBadRequest');
      assert.equal(message, 'Quota limit 2 for network must be greater than or equal to already used 3');
      assert.deepEqual((await call('GET', `/v2.0/quotas/${project}`, undefined, 200)).quota, DEFAULTS, 'nothing changed');
      // force and check_limit must be JSON true.
      await errorOf('PUT', `/v2.0/quotas/${project}`, { quota: { network: 2, force: 'true', ...check } }, 400, 'HTTPBadRequest');
      assert.equal((await setQuota(project, { network: 3, ...check })).network, 3, 'equal to the usage is fine');
      assert.equal((await setQuota(project, { network: 2, force: true, ...check })).network, 2);
      const over = await errorOf('POST', '/v2.0/networks', { network: {} }, 409, 'OverQuota', asProject(project));
      assert.equal(over, "Quota exceeded for resources: ['network'].");
      assert.equal((await setQuota(project, { network: -1 })).network, -1);
      await network(project);
      assert.equal((await setQuota(project, { network: 0 })).network, 0, 'without check_limit a limit below usage is taken, as tempest expects');
      assert.equal((await setQuota(project, { network: 1, check_limit: 'yes' })).network, 1);
    });

    test('a new security group must fit its egress rules in the rule quota', async () => {
      const project = newProject();
      // The project's default group (made on first use) brings four rules; a new group adds two.
      await setQuota(project, { security_group_rule: 5 });
      const over = await errorOf('POST', '/v2.0/security-groups', { security_group: { name: 'sg' } }, 409, 'OverQuota', asProject(project));
      assert.equal(over, "Quota exceeded for resources: ['security_group_rule'].");
      await setQuota(project, { security_group_rule: 6 });
      assert.equal((await call('POST', '/v2.0/security-groups', { security_group: { name: 'sg' } }, 201, asProject(project))).security_group.name, 'sg');
    });

    test('OverQuota on single and bulk creates: a bulk that would exceed creates nothing', async () => {
      const project = newProject();
      await setQuota(project, { network: 3 });
      await network(project);
      const bulk = (n: number) => ({ networks: Array.from({ length: n }, (_, i) => ({ name: `b${i}` })) });
      const message = await errorOf('POST', '/v2.0/networks', bulk(3), 409, 'OverQuota', asProject(project));
      assert.equal(message, "Quota exceeded for resources: ['network'].");
      assert.equal(await count('networks', project), 1);
      assert.equal(((await call('POST', '/v2.0/networks', bulk(2), 201, asProject(project))).networks as Json[]).length, 2);
      assert.equal(await count('networks', project), 3);
      await errorOf('POST', '/v2.0/networks', { network: {} }, 409, 'OverQuota', asProject(project));
      // Deleting one makes room again.
      const [first] = (await call('GET', `/v2.0/networks?project_id=${project}`, undefined, 200)).networks as Json[];
      await call('DELETE', `/v2.0/networks/${first!.id}`, undefined, 204);
      await network(project);
      assert.equal(await count('networks', project), 3);
    });

    test('an admin creating for another project counts against that project', async () => {
      const project = newProject();
      await setQuota(project, { network: 1 });
      const created = (await call('POST', '/v2.0/networks', { network: { project_id: project } }, 201)).network;
      assert.equal(created.project_id, project);
      await errorOf('POST', '/v2.0/networks', { network: { project_id: project } }, 409, 'OverQuota');
      // The admin's own project is not affected.
      await call('POST', '/v2.0/networks', { network: {} }, 201);
      // A bulk for two projects: the one over its limit fails the whole request.
      const other = newProject();
      const mixed = { networks: [{ project_id: other }, { project_id: project }] };
      await errorOf('POST', '/v2.0/networks', mixed, 409, 'OverQuota');
      assert.equal(await count('networks', other), 0);
    });

    test('subnets, ports, security groups and rules are limited too; network-owned ports are not', async () => {
      const project = newProject();
      const headers = asProject(project);
      const net = await network(project);
      await setQuota(project, { subnet: 1, port: 1 });
      const subnet = (cidr: string) => ({ subnet: { network_id: net.id, cidr, ip_version: 4 } });
      await call('POST', '/v2.0/subnets', subnet('10.2.0.0/24'), 201, headers);
      assert.equal(await errorOf('POST', '/v2.0/subnets', subnet('10.3.0.0/24'), 409, 'OverQuota', headers), "Quota exceeded for resources: ['subnet'].");
      await call('POST', '/v2.0/ports', { port: { network_id: net.id } }, 201, headers);
      assert.equal(
        await errorOf('POST', '/v2.0/ports', { ports: [{ network_id: net.id }] }, 409, 'OverQuota', headers),
        "Quota exceeded for resources: ['port'].",
      );
      // A DHCP port (created by an admin, as the DHCP agent's requests are) is the network's own.
      await call('POST', '/v2.0/ports', { port: { network_id: net.id, project_id: project, device_owner: 'network:dhcp' } }, 201);
      assert.equal(await count('ports', project), 2);

      // Security groups: the default group counts (4 allowed, it is one of them).
      assert.equal(await count('security-groups', project), 1);
      for (let i = 0; i < 3; i++) await call('POST', '/v2.0/security-groups', { security_group: { name: `g${i}` } }, 201, headers);
      const sgOver = await errorOf('POST', '/v2.0/security-groups', { security_group: { name: 'g4' } }, 409, 'OverQuota', headers);
      assert.equal(sgOver, "Quota exceeded for resources: ['security_group'].");
      await errorOf('POST', '/v2.0/security-groups', { security_groups: [{ name: 'x' }, { name: 'y' }] }, 409, 'OverQuota', headers);
      assert.equal(await count('security-groups', project), 4);

      // Rules: each new group brought its two egress rules, unchecked but counted.
      const rules = await count('security-group-rules', project);
      assert.equal(rules, 4 + 3 * 2);
      await setQuota(project, { security_group_rule: rules + 1 });
      const [group] = (await call('GET', `/v2.0/security-groups?project_id=${project}&name=g0`, undefined, 200, headers)).security_groups as Json[];
      const rule = (port: number) => ({ security_group_id: group!.id, direction: 'ingress', protocol: 'tcp', port_range_min: port, port_range_max: port });
      await call('POST', '/v2.0/security-group-rules', { security_group_rule: rule(22) }, 201, headers);
      const ruleOver = await errorOf('POST', '/v2.0/security-group-rules', { security_group_rule: rule(80) }, 409, 'OverQuota', headers);
      assert.equal(ruleOver, "Quota exceeded for resources: ['security_group_rule'].");
      await setQuota(project, { security_group_rule: rules + 2 });
      await errorOf('POST', '/v2.0/security-group-rules', { security_group_rules: [rule(80), rule(443)] }, 409, 'OverQuota', headers);
      assert.equal(await count('security-group-rules', project), rules + 1, 'the bulk created nothing');
      await call('POST', '/v2.0/security-group-rules', { security_group_rules: [rule(80)] }, 201, headers);
    });

    test('default security groups and their rules are created whatever the quotas say', async () => {
      const project = newProject();
      await setQuota(project, { security_group: 0, security_group_rule: 0 });
      const net = await network(project);
      await call('POST', '/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.4.0.0/24', ip_version: 4 } }, 201, asProject(project));
      const { port } = await call('POST', '/v2.0/ports', { port: { network_id: net.id } }, 201, asProject(project));
      assert.equal((port.security_groups as string[]).length, 1);
      assert.equal(await count('security-groups', project), 1);
      assert.equal(await count('security-group-rules', project), 4);
      await errorOf('POST', '/v2.0/security-groups', { security_group: { name: 'more' } }, 409, 'OverQuota', asProject(project));
      // Listing groups creates another project's default group, quota or not.
      const fresh = newProject();
      await setQuota(fresh, { security_group: 0 });
      assert.equal(((await call('GET', '/v2.0/security-groups', undefined, 200, asProject(fresh))).security_groups as Json[]).length, 1);
    });

    test('a policy file changes who may read and set quotas', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'nucleon-quota-policy-'));
      const policyFile = join(dir, 'policy.yaml');
      await writeFile(policyFile, '"get_quota": "rule:admin_only"\n"update_quota": "role:manager"\n');
      const server = await startTestApi(database.url, { quotas: QUOTAS, oslo_policy: { policy_file: policyFile } });
      try {
        const project = newProject();
        const other = newProject();
        const denied = await server.request('GET', `/v2.0/quotas/${other}`, undefined, asManager(project));
        assert.equal(denied.status, 403, JSON.stringify(denied.body));
        assert.equal(denied.body.NeutronError.message, '(rule:get_quota) is disallowed by policy');
        // Their own project needs no rule; a manager may now set quotas.
        assert.equal((await server.request('GET', `/v2.0/quotas/${project}`, undefined, asManager(project))).status, 200);
        const put = await server.request('PUT', `/v2.0/quotas/${other}`, { quota: { network: 7 } }, asManager(project));
        assert.equal(put.status, 200, JSON.stringify(put.body));
        assert.equal(put.body.quota.network, 7);
      } finally {
        await server.close();
        await rm(dir, { recursive: true, force: true });
      }
    });

    /** `clients` creates at once through the given servers (round robin); returns status counts and what went wrong. */
    const race = async (servers: readonly TestApi[], clients: number, request: (i: number) => [string, string, unknown, Headers]) => {
      const responses = await Promise.all(
        Array.from({ length: clients }, (_, i) => {
          const [method, path, body, headers] = request(i);
          return servers[i % servers.length]!.request(method, path, body, headers);
        }),
      );
      const created = responses.filter((r) => r.status === 201).length;
      const overQuota = responses.filter((r) => r.status === 409 && r.body?.NeutronError?.type === 'OverQuota').length;
      const other = responses.filter((r) => r.status !== 201 && !(r.status === 409 && r.body?.NeutronError?.type === 'OverQuota'));
      return { created, overQuota, other: other.map((r) => ({ status: r.status, body: r.body as unknown })) };
    };

    test('20 concurrent creates with a quota of 10 create exactly 10; the others are clean 409s', async () => {
      const project = newProject();
      await setQuota(project, { network: 10 });
      const result = await race([api], 20, () => ['POST', '/v2.0/networks', { network: { name: 'race' } }, asProject(project)]);
      assert.deepEqual(result.other, []);
      assert.equal(result.created, 10);
      assert.equal(result.overQuota, 10);
      assert.equal(await count('networks', project), 10);
    });

    test('two servers on one database: concurrent creates and bulk creates stop exactly at the limit', async () => {
      const second = await startTestApi(database.url, { quotas: QUOTAS });
      try {
        const project = newProject();
        await setQuota(project, { network: 10 });
        const single = await race([api, second], 20, () => ['POST', '/v2.0/networks', { network: { name: 'two' } }, asProject(project)]);
        assert.deepEqual(single.other, []);
        assert.equal(single.created, 10);
        assert.equal(single.overQuota, 10);
        assert.equal(await count('networks', project), 10);

        // Bulks of 3 against a limit of 10: three succeed whole (9), every other one fails whole.
        const bulkProject = newProject();
        await setQuota(bulkProject, { network: 10 });
        const bulk = { networks: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] };
        const bulks = await race([api, second], 8, () => ['POST', '/v2.0/networks', bulk, asProject(bulkProject)]);
        assert.deepEqual(bulks.other, []);
        assert.equal(bulks.created, 3);
        assert.equal(bulks.overQuota, 5);
        assert.equal(await count('networks', bulkProject), 9);

        // Ports on one network, through both servers.
        const portProject = newProject();
        const net = await network(portProject);
        await call('POST', '/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.5.0.0/24', ip_version: 4 } }, 201, asProject(portProject));
        await setQuota(portProject, { port: 10 });
        const ports = await race([api, second], 20, () => ['POST', '/v2.0/ports', { port: { network_id: net.id } }, asProject(portProject)]);
        assert.deepEqual(ports.other, []);
        assert.equal(ports.created, 10);
        assert.equal(await count('ports', portProject), 10);
      } finally {
        await second.close();
      }
    });
  });
}
