/**
 * Security groups and rules over HTTP against a real server, on every
 * database backend: CRUD, the lazily created default group, rule
 * validation with Neutron's error types, ports and their groups, tags.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createTestDatabase, testDialects, type TestDatabase } from '../db/databases.js';
import { asProject, type Headers, type TestApi, startTestApi } from '../helpers/testApi.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions, not by types
type Json = Record<string, any>;

let projectCounter = 0;
/** A project no test has used yet (so it has no default group). */
const newProject = () => `sgproj${process.pid}x${++projectCounter}`;

for (const dialect of testDialects()) {
  describe(`security groups API on ${dialect}`, () => {
    let database: TestDatabase;
    let api: TestApi;

    before(async () => {
      database = await createTestDatabase(dialect);
      api = await startTestApi(database.url);
    });
    after(async () => {
      await api?.close();
      await database?.drop();
    });

    const ok = async (method: string, path: string, body: unknown, headers: Headers, status: number): Promise<Json> => {
      const response = await api.request(method, path, body, headers);
      assert.equal(response.status, status, `${method} ${path} ${JSON.stringify(body)} -> ${JSON.stringify(response.body)}`);
      return response.body as Json;
    };
    const create = async (collection: string, member: string, body: Json, headers: Headers = {}): Promise<Json> =>
      (await ok('POST', `/v2.0/${collection}`, { [member]: body }, headers, 201))[member];
    const group = (body: Json, headers: Headers = {}) => create('security-groups', 'security_group', body, headers);
    const rule = (body: Json, headers: Headers = {}) => create('security-group-rules', 'security_group_rule', body, headers);
    const listGroups = async (query: string, headers: Headers = {}): Promise<Json[]> =>
      (await ok('GET', `/v2.0/security-groups${query}`, undefined, headers, 200)).security_groups;
    const expectError = async (method: string, path: string, body: unknown, status: number, type: string, headers: Headers = {}) => {
      const response = await api.request(method, path, body, headers);
      assert.equal(response.status, status, `${method} ${path} ${JSON.stringify(body)} -> ${JSON.stringify(response.body)}`);
      assert.equal(response.body.NeutronError.type, type, JSON.stringify(response.body));
      return response.body.NeutronError as { type: string; message: string };
    };
    /** A network with an IPv4 subnet, owned by `project`. */
    const networkOf = async (project: string, extra: Json = {}): Promise<Json> => {
      const net = await create('networks', 'network', { name: 'sg-net', ...extra }, asProject(project));
      await create('subnets', 'subnet', { network_id: net.id, cidr: '10.9.0.0/24', ip_version: 4 }, asProject(project));
      return net;
    };
    const defaultGroupOf = async (project: string): Promise<Json> => {
      const found = await listGroups(`?name=default&project_id=${project}`);
      assert.equal(found.length, 1, JSON.stringify(found));
      return found[0]!;
    };
    /** The rules of a group as comparable tuples, without ids. */
    const ruleShapes = (g: Json) =>
      (g.security_group_rules as Json[])
        .map((r) => `${r.direction} ${r.ethertype} ${r.protocol} ${r.remote_group_id === g.id ? 'self' : r.remote_group_id} ${r.remote_ip_prefix}`)
        .sort();

    test('extensions are advertised', async () => {
      const aliases = (await ok('GET', '/v2.0/extensions', undefined, {}, 200)).extensions.map((e: Json) => e.alias);
      for (const alias of ['security-group', 'stateful-security-group', 'port-security-groups-filtering']) assert.ok(aliases.includes(alias), alias);
      const shown = (await ok('GET', '/v2.0/extensions/security-group', undefined, {}, 200)).extension;
      assert.equal(shown.name, 'security-group');
      assert.equal(shown.updated, '2012-10-05T10:00:00-00:00');
    });

    test('the default group: created on first list, once, with Neutron rules and description', async () => {
      const project = newProject();
      const first = await listGroups('', asProject(project));
      assert.equal(first.length, 1);
      const def = first[0]!;
      assert.equal(def.name, 'default');
      assert.equal(def.description, 'Default security group');
      assert.equal(def.project_id, project);
      assert.equal(def.tenant_id, project);
      assert.equal(def.stateful, true);
      assert.equal(def.shared, false);
      assert.deepEqual(def.tags, []);
      assert.deepEqual(ruleShapes(def), ['egress IPv4 null null null', 'egress IPv6 null null null', 'ingress IPv4 null self null', 'ingress IPv6 null self null']);
      for (const r of def.security_group_rules) {
        assert.equal(r.belongs_to_default_sg, true);
        assert.equal(r.security_group_id, def.id);
        assert.equal(r.port_range_min, null);
        assert.equal(r.normalized_cidr, null);
        assert.equal(r.project_id, project);
      }
      const again = await listGroups('', asProject(project));
      assert.deepEqual(again.map((g) => g.id), [def.id]);
      // Another project sees neither it nor its rules; its own default is another group.
      const other = newProject();
      const others = await listGroups('', asProject(other));
      assert.equal(others.length, 1);
      assert.notEqual(others[0]!.id, def.id);
      await expectError('GET', `/v2.0/security-groups/${def.id}`, undefined, 404, 'SecurityGroupNotFound', asProject(other));
      const rules = (await ok('GET', '/v2.0/security-group-rules', undefined, asProject(other), 200)).security_group_rules as Json[];
      assert.ok(rules.every((r) => r.security_group_id === others[0]!.id));
      // A project may not make another project's default group appear; an admin may.
      const third = newProject();
      assert.deepEqual(await listGroups(`?project_id=${third}`, asProject(other)), []);
      assert.equal((await listGroups(`?project_id=${third}`)).length, 1);
    });

    test('20 concurrent first requests of a new project give exactly one default group', async () => {
      const shared = await create('networks', 'network', { name: 'race-shared', shared: true });
      await create('subnets', 'subnet', { network_id: shared.id, cidr: '10.77.0.0/24', ip_version: 4 });
      const racer = newProject();
      const h = asProject(racer);
      const requests = Array.from({ length: 20 }, (_, i) => {
        switch (i % 4) {
          case 0:
            return api.request('GET', '/v2.0/security-groups', undefined, h);
          case 1:
            return api.request('GET', '/v2.0/security-group-rules', undefined, h);
          case 2:
            return api.request('POST', '/v2.0/networks', { network: { name: `race${i}` } }, h);
          default:
            return api.request('POST', '/v2.0/ports', { port: { network_id: shared.id } }, h);
        }
      });
      const responses = await Promise.all(requests);
      for (const r of responses) assert.ok(r.status === 200 || r.status === 201, JSON.stringify(r.body));
      const groups = await listGroups(`?project_id=${racer}`);
      assert.equal(groups.length, 1);
      const def = groups[0]!;
      assert.equal(def.security_group_rules.length, 4);
      for (const [i, r] of responses.entries()) {
        if (i % 4 === 0) assert.deepEqual(r.body.security_groups.map((g: Json) => g.id), [def.id]);
        if (i % 4 === 3) assert.deepEqual(r.body.port.security_groups, [def.id]);
      }
    });

    test('a network create gives its project the default group; so does a port create', async () => {
      const project = newProject();
      await create('networks', 'network', { name: 'n' }, asProject(project));
      assert.equal((await listGroups(`?project_id=${project}&name=default`)).length, 1);
      // An admin creating a port for a project without a default group yet.
      const other = newProject();
      const net = await create('networks', 'network', { name: 'shared', shared: true });
      const port = await create('ports', 'port', { network_id: net.id, project_id: other });
      const def = await defaultGroupOf(other);
      assert.deepEqual(port.security_groups, [def.id]);
    });

    test('create, show, update, delete a group; new groups get the two egress rules', async () => {
      const project = newProject();
      const h = asProject(project);
      const g = await group({ name: 'web', description: 'web servers' }, h);
      assert.equal(g.name, 'web');
      assert.equal(g.description, 'web servers');
      assert.equal(g.stateful, true);
      assert.equal(g.shared, false);
      assert.equal(g.revision_number, 0);
      assert.match(g.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.deepEqual(ruleShapes(g), ['egress IPv4 null null null', 'egress IPv6 null null null']);
      assert.ok(g.security_group_rules.every((r: Json) => r.belongs_to_default_sg === false));
      // Creating it made the project's default group too.
      await defaultGroupOf(project);

      const shown = (await ok('GET', `/v2.0/security-groups/${g.id}`, undefined, h, 200)).security_group;
      assert.deepEqual(shown, g);
      const fields = (await ok('GET', `/v2.0/security-groups/${g.id}?fields=id&fields=security_group_rules`, undefined, h, 200)).security_group;
      assert.deepEqual(Object.keys(fields).sort(), ['id', 'security_group_rules']);

      const updated = (await ok('PUT', `/v2.0/security-groups/${g.id}`, { security_group: { name: 'web2', description: 'd2', stateful: false } }, h, 200))
        .security_group;
      assert.equal(updated.name, 'web2');
      assert.equal(updated.stateful, false);
      assert.equal(updated.revision_number, 1);
      await expectError('PUT', `/v2.0/security-groups/${g.id}`, { security_group: { shared: true } }, 400, 'HTTPBadRequest', h);

      const stateless = await listGroups('?stateful=false', h);
      assert.deepEqual(stateless.map((x) => x.id), [g.id]);
      assert.deepEqual(await listGroups('?shared=true', h), []);
      assert.equal((await listGroups('?shared=false', h)).length, 2);
      const sorted = await listGroups('?sort_key=name&sort_dir=asc', h);
      assert.deepEqual(sorted.map((x) => x.name), ['default', 'web2']);

      await ok('DELETE', `/v2.0/security-groups/${g.id}`, undefined, h, 204);
      await expectError('GET', `/v2.0/security-groups/${g.id}`, undefined, 404, 'SecurityGroupNotFound', h);
      const rules = (await ok('GET', `/v2.0/security-group-rules?security_group_id=${g.id}`, undefined, h, 200)).security_group_rules;
      assert.deepEqual(rules, []);
    });

    test('bulk group create is all or nothing', async () => {
      const h = asProject(newProject());
      const created = (await ok('POST', '/v2.0/security-groups', { security_groups: [{ name: 'a' }, { name: 'b' }] }, h, 201)).security_groups;
      assert.deepEqual(created.map((x: Json) => x.name), ['a', 'b']);
      await expectError('POST', '/v2.0/security-groups', { security_groups: [{ name: 'c' }, { name: 'default' }] }, 409, 'SecurityGroupDefaultAlreadyExists', h);
      assert.deepEqual((await listGroups('?name=c', h)).length, 0);
    });

    test('the name default: refused on create and rename; the default group cannot be renamed', async () => {
      const project = newProject();
      const h = asProject(project);
      for (const name of ['default', 'Default']) {
        const err = await expectError('POST', '/v2.0/security-groups', { security_group: { name } }, 409, 'SecurityGroupDefaultAlreadyExists', h);
        assert.equal(err.message, 'Default security group already exists.');
      }
      const g = await group({ name: 'x' }, h);
      await expectError('PUT', `/v2.0/security-groups/${g.id}`, { security_group: { name: 'DEFAULT' } }, 409, 'SecurityGroupDefaultAlreadyExists', h);
      const def = await defaultGroupOf(project);
      const err = await expectError('PUT', `/v2.0/security-groups/${def.id}`, { security_group: { name: 'mine' } }, 409, 'SecurityGroupCannotUpdateDefault', h);
      assert.equal(err.message, 'Updating default security group not allowed.');
      const described = (await ok('PUT', `/v2.0/security-groups/${def.id}`, { security_group: { description: 'ours' } }, h, 200)).security_group;
      assert.equal(described.description, 'ours');
    });

    test('deleting: in use 409, default only by an admin (and then a new one appears)', async () => {
      const project = newProject();
      const h = asProject(project);
      const net = await networkOf(project);
      const g = await group({ name: 'used' }, h);
      const port = await create('ports', 'port', { network_id: net.id, security_groups: [g.id] }, h);
      const inUse = await expectError('DELETE', `/v2.0/security-groups/${g.id}`, undefined, 409, 'SecurityGroupInUse', h);
      assert.equal(inUse.message, `Security Group ${g.id} in use.`);
      // Changing statefulness of a group in use is refused too.
      await expectError('PUT', `/v2.0/security-groups/${g.id}`, { security_group: { stateful: false } }, 409, 'SecurityGroupInUse', h);

      const def = await defaultGroupOf(project);
      await ok('DELETE', `/v2.0/ports/${port.id}`, undefined, h, 204);
      await ok('DELETE', `/v2.0/security-groups/${g.id}`, undefined, h, 204);
      const refused = await expectError('DELETE', `/v2.0/security-groups/${def.id}`, undefined, 409, 'SecurityGroupCannotRemoveDefault', h);
      assert.equal(refused.message, 'Insufficient rights for removing default security group.');
      await expectError('DELETE', `/v2.0/security-groups/${def.id}`, undefined, 404, 'SecurityGroupNotFound', asProject(newProject()));
      // tempest's cleanup: as admin, by project and name.
      const found = await listGroups(`?project_id=${project}&name=default`);
      await ok('DELETE', `/v2.0/security-groups/${found[0]!.id}`, undefined, {}, 204);
      const fresh = await defaultGroupOf(project);
      assert.notEqual(fresh.id, def.id);
    });

    test('rules: create, show, list, delete; the group revision follows', async () => {
      const project = newProject();
      const h = asProject(project);
      const g = await group({ name: 'r' }, h);
      const r = await rule(
        { security_group_id: g.id, direction: 'ingress', protocol: 'TCP', port_range_min: '22', port_range_max: 22, ethertype: 'ipv4', remote_ip_prefix: '10.0.0.5/24', description: 'ssh' },
        h,
      );
      assert.equal(r.protocol, 'tcp');
      assert.equal(r.ethertype, 'IPv4');
      assert.equal(r.port_range_min, 22);
      assert.equal(r.port_range_max, 22);
      assert.equal(r.remote_ip_prefix, '10.0.0.5/24');
      assert.equal(r.normalized_cidr, '10.0.0.0/24');
      assert.equal(r.remote_group_id, null);
      assert.equal(r.remote_address_group_id, null);
      assert.equal(r.belongs_to_default_sg, false);
      assert.equal(r.description, 'ssh');
      assert.equal(r.project_id, project);
      assert.equal(r.revision_number, 0);
      const shown = (await ok('GET', `/v2.0/security-group-rules/${r.id}`, undefined, h, 200)).security_group_rule;
      assert.deepEqual(shown, r);
      await expectError('GET', `/v2.0/security-group-rules/${r.id}`, undefined, 404, 'SecurityGroupRuleNotFound', asProject(newProject()));

      const afterCreate = (await ok('GET', `/v2.0/security-groups/${g.id}`, undefined, h, 200)).security_group;
      assert.equal(afterCreate.revision_number, g.revision_number + 1);
      assert.equal(afterCreate.security_group_rules.length, 3);

      const host = await rule({ security_group_id: g.id, direction: 'ingress', remote_ip_prefix: '192.168.1.7' }, h);
      assert.equal(host.remote_ip_prefix, '192.168.1.7/32');
      const v6 = await rule({ security_group_id: g.id, direction: 'ingress', ethertype: 'IPv6', protocol: 'icmp', remote_ip_prefix: '2001:DB8::1/64' }, h);
      assert.equal(v6.protocol, 'ipv6-icmp');
      assert.equal(v6.remote_ip_prefix, '2001:db8::1/64');
      assert.equal(v6.normalized_cidr, '2001:db8::/64');
      const all = await rule({ security_group_id: g.id, direction: 'ingress', protocol: 'udp', port_range_min: 1, port_range_max: 65535 }, h);
      assert.equal(all.port_range_min, null);
      assert.equal(all.port_range_max, null);
      const numbered = await rule({ security_group_id: g.id, direction: 'egress', protocol: 47 }, h);
      assert.equal(numbered.protocol, '47');
      const icmp = await rule({ security_group_id: g.id, direction: 'ingress', protocol: 'icmp', port_range_min: 8, port_range_max: 0 }, h);
      assert.equal(icmp.port_range_min, 8);
      assert.equal(icmp.port_range_max, 0);

      const list = (await ok('GET', `/v2.0/security-group-rules?security_group_id=${g.id}&protocol=TCP`, undefined, h, 200)).security_group_rules;
      assert.deepEqual(list.map((x: Json) => x.id), [r.id]);
      const ingress6 = (await ok('GET', `/v2.0/security-group-rules?security_group_id=${g.id}&ethertype=ipv6&direction=ingress`, undefined, h, 200))
        .security_group_rules;
      assert.deepEqual(ingress6.map((x: Json) => x.id), [v6.id]);
      const byCidr = (await ok('GET', `/v2.0/security-group-rules?normalized_cidr=10.0.0.0/24`, undefined, h, 200)).security_group_rules;
      assert.deepEqual(byCidr.map((x: Json) => x.id), [r.id]);
      const inDefault = (await ok('GET', '/v2.0/security-group-rules?belongs_to_default_sg=true', undefined, h, 200)).security_group_rules;
      assert.equal(inDefault.length, 4);
      assert.ok(inDefault.every((x: Json) => x.belongs_to_default_sg === true));

      await expectError('PUT', `/v2.0/security-group-rules/${r.id}`, { security_group_rule: { direction: 'egress' } }, 400, 'HTTPBadRequest', h);
      await expectError('PUT', `/v2.0/security-group-rules/${r.id}`, { security_group_rule: { description: 'x' } }, 405, 'HTTPMethodNotAllowed', h);

      const before = (await ok('GET', `/v2.0/security-groups/${g.id}`, undefined, h, 200)).security_group.revision_number;
      await ok('DELETE', `/v2.0/security-group-rules/${r.id}`, undefined, h, 204);
      await expectError('GET', `/v2.0/security-group-rules/${r.id}`, undefined, 404, 'SecurityGroupRuleNotFound', h);
      const afterDelete = (await ok('GET', `/v2.0/security-groups/${g.id}`, undefined, h, 200)).security_group;
      assert.equal(afterDelete.revision_number, before + 1);
    });

    test('rule validation: each error type and status', async () => {
      const project = newProject();
      const h = asProject(project);
      const g = await group({ name: 'v' }, h);
      const base = { security_group_id: g.id, direction: 'ingress' };
      const cases: [Json, number, string, RegExp?][] = [
        [{ protocol: 'bogus' }, 400, 'SecurityGroupRuleInvalidProtocol', /^Security group rule protocol bogus not supported\. Only protocol values \(None, 'any', 'ah', /],
        [{ protocol: 256 }, 400, 'SecurityGroupRuleInvalidProtocol'],
        [{ protocol: -1 }, 400, 'SecurityGroupRuleInvalidProtocol'],
        [{ protocol: 'tcp', port_range_min: 70000, port_range_max: 70000 }, 400, 'SecurityGroupInvalidPortValue', /^Invalid value for port 70000$/],
        [{ protocol: 'tcp', port_range_min: 'x', port_range_max: 1 }, 400, 'SecurityGroupInvalidPortValue'],
        [{ protocol: 'tcp', port_range_min: 0, port_range_max: 10 }, 400, 'SecurityGroupInvalidPortValue', /^Invalid value for port 0$/],
        [{ protocol: 'tcp', port_range_min: 30, port_range_max: 20 }, 400, 'SecurityGroupInvalidPortRange', /^For TCP\/UDP protocols, port_range_min must be <= port_range_max$/],
        [{ protocol: 'udp', port_range_min: 30 }, 400, 'SecurityGroupInvalidPortRange'],
        [{ port_range_min: 22, port_range_max: 22 }, 400, 'SecurityGroupProtocolRequiredWithPorts', /^Must also specify protocol if port range is given\.$/],
        [{ protocol: 'gre', port_range_min: 22, port_range_max: 22 }, 400, 'SecurityGroupInvalidProtocolForPort', /^Ports cannot be specified for protocol 47\. Ports are only supported for DCCP, SCTP, TCP, UDP, UDPLITE\.$/],
        [{ protocol: 'icmp', port_range_min: 256 }, 400, 'SecurityGroupInvalidIcmpValue', /^Invalid value for ICMP type \(port_range_min\) 256\. It must be 0 to 255\.$/],
        [{ protocol: 'icmp', port_range_min: 8, port_range_max: 300 }, 400, 'SecurityGroupInvalidIcmpValue', /code \(port_range_max\) 300/],
        [{ protocol: 'icmp', port_range_max: 0 }, 400, 'SecurityGroupMissingIcmpType'],
        [{ ethertype: 'IPv5' }, 400, 'SecurityGroupRuleInvalidEtherType', /^Security group rule for ethertype 'IPv5' not supported\. Allowed values are \['IPv4', 'IPv6'\]\.$/],
        [{ ethertype: 'IPv6', remote_ip_prefix: '10.0.0.0/8' }, 400, 'SecurityGroupRuleParameterConflict', /^Conflicting value ethertype IPv6 for CIDR 10\.0\.0\.0\/8$/],
        [{ remote_ip_prefix: '::/0' }, 400, 'SecurityGroupRuleParameterConflict'],
        [{ remote_ip_prefix: '10.0.0.0/33' }, 400, 'InvalidCIDR', /^Invalid CIDR 10\.0\.0\.0\/33 given as IP prefix\.$/],
        [{ remote_ip_prefix: 'nonsense' }, 400, 'InvalidCIDR'],
        [{ protocol: 'ipv6-icmp' }, 400, 'SecurityGroupEthertypeConflictWithProtocol', /^Invalid ethertype IPv4 for protocol ipv6-icmp\.$/],
        [{ protocol: '58', ethertype: 'IPv4' }, 400, 'SecurityGroupEthertypeConflictWithProtocol'],
        [{ remote_ip_prefix: '10.0.0.0/8', remote_group_id: g.id }, 400, 'SecurityGroupMultipleRemoteEntites'],
        [{ direction: 'sideways' }, 400, 'HTTPBadRequest', /^Invalid input for direction\. Reason: sideways is not in valid_values\.$/],
        [{ direction: undefined }, 400, 'HTTPBadRequest', /Required attribute 'direction' not specified/],
        [{ remote_group_id: '00000000-0000-4000-8000-000000000000' }, 404, 'SecurityGroupNotFound'],
        [{ remote_address_group_id: '00000000-0000-4000-8000-000000000000' }, 404, 'AddressGroupNotFound'],
        [{ security_group_id: '00000000-0000-4000-8000-000000000000' }, 404, 'SecurityGroupNotFound', /^Security group 00000000-0000-4000-8000-000000000000 does not exist$/],
        [{ security_group_id: 'not-a-uuid' }, 404, 'SecurityGroupNotFound'],
      ];
      for (const [extra, status, type, message] of cases) {
        const body = { ...base, ...extra };
        for (const key of Object.keys(body)) if ((body as Json)[key] === undefined) delete (body as Json)[key];
        const err = await expectError('POST', '/v2.0/security-group-rules', { security_group_rule: body }, status, type, h);
        if (message) assert.match(err.message, message, JSON.stringify(extra));
      }
      // Another project's group is not there for this one.
      const foreign = await group({ name: 'foreign' }, asProject(newProject()));
      await expectError('POST', '/v2.0/security-group-rules', { security_group_rule: { ...base, security_group_id: foreign.id } }, 404, 'SecurityGroupNotFound', h);
      await expectError('POST', '/v2.0/security-group-rules', { security_group_rule: { ...base, remote_group_id: foreign.id } }, 404, 'SecurityGroupNotFound', h);
      // Nothing was added.
      assert.equal((await ok('GET', `/v2.0/security-groups/${g.id}`, undefined, h, 200)).security_group.security_group_rules.length, 2);
    });

    test('identical rules: 409 naming the existing one; protocol names and numbers, any-address prefixes compare equal', async () => {
      const h = asProject(newProject());
      const g = await group({ name: 'dup' }, h);
      const first = await rule({ security_group_id: g.id, direction: 'ingress', protocol: 'tcp', port_range_min: 80, port_range_max: 80 }, h);
      for (const variant of [{ protocol: 'tcp' }, { protocol: '6' }, { protocol: 6, remote_ip_prefix: '0.0.0.0/0' }]) {
        const err = await expectError(
          'POST',
          '/v2.0/security-group-rules',
          { security_group_rule: { security_group_id: g.id, direction: 'ingress', port_range_min: 80, port_range_max: 80, ...variant } },
          409,
          'SecurityGroupRuleExists',
          h,
        );
        assert.equal(err.message, `Security group rule already exists. Rule id is ${first.id}.`);
      }
      // The egress rules every group starts with.
      await expectError('POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: g.id, direction: 'egress' } }, 409, 'SecurityGroupRuleExists', h);
      await expectError('POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: g.id, direction: 'egress', protocol: 'any' } }, 409, 'SecurityGroupRuleExists', h);
      // Bulk: one group, no duplicates within, all or nothing.
      const two = [
        { security_group_id: g.id, direction: 'ingress', protocol: 'udp', port_range_min: 53, port_range_max: 53 },
        { security_group_id: g.id, direction: 'ingress', protocol: 'udp', port_range_min: 53, port_range_max: 53 },
      ];
      await expectError('POST', '/v2.0/security-group-rules', { security_group_rules: two }, 409, 'DuplicateSecurityGroupRuleInPost', h);
      const other = await group({ name: 'other' }, h);
      await expectError(
        'POST',
        '/v2.0/security-group-rules',
        { security_group_rules: [two[0], { ...two[0], security_group_id: other.id }] },
        400,
        'SecurityGroupNotSingleGroupRules',
        h,
      );
      const bulk = (await ok('POST', '/v2.0/security-group-rules', { security_group_rules: [two[0], { ...two[0], ethertype: 'IPv6' }] }, h, 201))
        .security_group_rules;
      assert.deepEqual(bulk.map((x: Json) => x.ethertype), ['IPv4', 'IPv6']);
    });

    test('ports: the default group, [] for none, network:* owners none, explicit groups, filter', async () => {
      const project = newProject();
      const h = asProject(project);
      const net = await networkOf(project);
      const def = await defaultGroupOf(project);
      const plain = await create('ports', 'port', { network_id: net.id }, h);
      assert.deepEqual(plain.security_groups, [def.id]);
      const none = await create('ports', 'port', { network_id: net.id, security_groups: [] }, h);
      assert.deepEqual(none.security_groups, []);
      const nulled = await create('ports', 'port', { network_id: net.id, security_groups: null }, h);
      assert.deepEqual(nulled.security_groups, []);
      const dhcp = await create('ports', 'port', { network_id: net.id, device_owner: 'network:dhcp' }, h);
      assert.deepEqual(dhcp.security_groups, []);

      const a = await group({ name: 'a' }, h);
      const b = await group({ name: 'b' }, h);
      const both = await create('ports', 'port', { network_id: net.id, security_groups: [b.id, a.id] }, h);
      assert.deepEqual(both.security_groups, [a.id, b.id].sort());
      const shown = (await ok('GET', `/v2.0/ports/${both.id}`, undefined, h, 200)).port;
      assert.deepEqual(shown.security_groups, [a.id, b.id].sort());

      const withA = (await ok('GET', `/v2.0/ports?security_groups=${a.id}`, undefined, h, 200)).ports;
      assert.deepEqual(withA.map((p: Json) => p.id), [both.id]);
      const withDefaultOrB = (await ok('GET', `/v2.0/ports?security_groups=${def.id}&security_groups=${b.id}&sort_key=id&sort_dir=asc`, undefined, h, 200)).ports;
      assert.deepEqual(withDefaultOrB.map((p: Json) => p.id), [plain.id, both.id].sort());

      // Updating replaces the list; the revision moves.
      const updated = (await ok('PUT', `/v2.0/ports/${both.id}`, { port: { security_groups: [a.id] } }, h, 200)).port;
      assert.deepEqual(updated.security_groups, [a.id]);
      assert.equal(updated.revision_number, both.revision_number + 1);
      assert.deepEqual((await ok('GET', `/v2.0/ports/${both.id}`, undefined, h, 200)).port.security_groups, [a.id]);
      const renamed = (await ok('PUT', `/v2.0/ports/${both.id}`, { port: { name: 'kept' } }, h, 200)).port;
      assert.deepEqual(renamed.security_groups, [a.id]);
      const cleared = (await ok('PUT', `/v2.0/ports/${both.id}`, { port: { security_groups: [] } }, h, 200)).port;
      assert.deepEqual(cleared.security_groups, []);
      // Groups in use stay in use until the port goes.
      await ok('PUT', `/v2.0/ports/${both.id}`, { port: { security_groups: [b.id] } }, h, 200);
      await expectError('DELETE', `/v2.0/security-groups/${b.id}`, undefined, 409, 'SecurityGroupInUse', h);
      await ok('DELETE', `/v2.0/ports/${both.id}`, undefined, h, 204);
      await ok('DELETE', `/v2.0/security-groups/${b.id}`, undefined, h, 204);

      // Unknown and foreign groups are not found; the message names them.
      const missing = '00000000-0000-4000-8000-00000000abcd';
      const err = await expectError('POST', '/v2.0/ports', { port: { network_id: net.id, security_groups: [a.id, missing] } }, 404, 'SecurityGroupNotFound', h);
      assert.equal(err.message, `Security group ${missing} does not exist`);
      const foreign = await group({ name: 'foreign' }, asProject(newProject()));
      await expectError('POST', '/v2.0/ports', { port: { network_id: net.id, security_groups: [foreign.id] } }, 404, 'SecurityGroupNotFound', h);
      await expectError('PUT', `/v2.0/ports/${plain.id}`, { port: { security_groups: [foreign.id] } }, 404, 'SecurityGroupNotFound', h);
      await expectError('POST', '/v2.0/ports', { port: { network_id: net.id, security_groups: ['nope'] } }, 400, 'HTTPBadRequest', h);
      // Stateful and stateless groups do not mix on one port.
      const stateless = await group({ name: 'stateless', stateful: false }, h);
      await expectError('POST', '/v2.0/ports', { port: { network_id: net.id, security_groups: [a.id, stateless.id] } }, 409, 'SecurityGroupConflict', h);
      // Nothing half-created by the failures.
      const ports = (await ok('GET', `/v2.0/ports?network_id=${net.id}`, undefined, h, 200)).ports;
      assert.equal(ports.length, 4);
    });

    test('port security: no groups without it, and it cannot go while groups remain', async () => {
      const project = newProject();
      const h = asProject(project);
      const net = await networkOf(project);
      const a = await group({ name: 'a' }, h);
      const off = await create('ports', 'port', { network_id: net.id, port_security_enabled: false }, h);
      assert.deepEqual(off.security_groups, []);
      const refused = await expectError(
        'POST',
        '/v2.0/ports',
        { port: { network_id: net.id, port_security_enabled: false, security_groups: [a.id] } },
        400,
        'PortSecurityAndIPRequiredForSecurityGroups',
        h,
      );
      assert.equal(refused.message, 'Port security must be enabled and port must have an IP address in order to use security groups.');
      await expectError('PUT', `/v2.0/ports/${off.id}`, { port: { security_groups: [a.id] } }, 400, 'PortSecurityAndIPRequiredForSecurityGroups', h);

      const on = await create('ports', 'port', { network_id: net.id }, h);
      assert.equal(on.security_groups.length, 1);
      const err = await expectError('PUT', `/v2.0/ports/${on.id}`, { port: { port_security_enabled: false } }, 409, 'PortSecurityPortHasSecurityGroup', h);
      assert.equal(err.message, 'Port has security group associated. Cannot disable port security or IP address until security group is removed.');
      const disabled = (await ok('PUT', `/v2.0/ports/${on.id}`, { port: { port_security_enabled: false, security_groups: [] } }, h, 200)).port;
      assert.equal(disabled.port_security_enabled, false);
      assert.deepEqual(disabled.security_groups, []);
      const enabled = (await ok('PUT', `/v2.0/ports/${on.id}`, { port: { port_security_enabled: true, security_groups: [a.id] } }, h, 200)).port;
      assert.deepEqual(enabled.security_groups, [a.id]);

      // A network without port security: its ports get no default group.
      const insecure = await networkOf(project, { port_security_enabled: false });
      const inherited = await create('ports', 'port', { network_id: insecure.id }, h);
      assert.equal(inherited.port_security_enabled, false);
      assert.deepEqual(inherited.security_groups, []);
    });

    test('tags on security groups', async () => {
      const h = asProject(newProject());
      const g = await group({ name: 'tagged' }, h);
      const base = `/v2.0/security-groups/${g.id}/tags`;
      assert.deepEqual((await ok('PUT', base, { tags: ['red', 'blue'] }, h, 200)).tags, ['blue', 'red']);
      const afterTags = (await ok('GET', `/v2.0/security-groups/${g.id}`, undefined, h, 200)).security_group;
      assert.deepEqual(afterTags.tags, ['blue', 'red']);
      assert.equal(afterTags.revision_number, g.revision_number + 1);
      assert.equal((await api.request('PUT', `${base}/green`, undefined, h)).status, 201);
      assert.equal((await api.request('GET', `${base}/green`, undefined, h)).status, 204);
      await expectError('GET', `${base}/purple`, undefined, 404, 'TagNotFound', h);
      const filtered = await listGroups('?tags=red,green', h);
      assert.deepEqual(filtered.map((x) => x.id), [g.id]);
      assert.deepEqual(await listGroups('?tags=red,purple', h), []);
      assert.equal((await api.request('DELETE', base, undefined, h)).status, 204);
      assert.deepEqual((await ok('GET', base, undefined, h, 200)).tags, []);
      await expectError('GET', `/v2.0/security-groups/${g.id}/tags`, undefined, 404, 'SecurityGroupNotFound', asProject(newProject()));
    });
  });
}
