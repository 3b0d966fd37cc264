/**
 * Neutron's defaults as enforced per request: who may create, read, change
 * and delete what, attribute rules, 403 against NotFound, hidden attributes,
 * parents loaded only when a rule needs them; and the rule set itself
 * (overrides, the `default` fallback, cycles, is_admin).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { PolicyCycleError, PolicyEnforcer, attributeRuleNames } from '../../../src/api/policy/enforcer.js';
import { RequestPolicy } from '../../../src/api/policy/requestPolicy.js';
import { parseRule } from '../../../src/api/policy/rule.js';
import type { RequestContext } from '../../../src/common/context.js';
import { NeutronError } from '../../../src/common/errors.js';
import { composeApi } from '../../../src/resources/compose.js';
import { coreExtensions, coreResources } from '../../../src/resources/index.js';
import { port as portResource } from '../../../src/resources/port.js';
import { subnet as subnetResource } from '../../../src/resources/subnet.js';
import type { ResourceDecl } from '../../../src/resources/types.js';
import { widgets } from '../fixtures.js';

const api = composeApi(coreResources, coreExtensions);
const decl = (collection: string): ResourceDecl => {
  const resource = api.resources.get(collection);
  if (!resource) throw new Error(collection);
  return resource;
};
const networks = decl('networks');
const subnets = decl('subnets');
const ports = decl('ports');
const groups = decl('security-groups');
const rules = decl('security-group-rules');

const context = (projectId: string, roles: string[]): RequestContext => ({
  projectId,
  userId: `user-${projectId}`,
  roles,
  isAdmin: roles.includes('admin'),
  requestId: 'req-test',
});
const admin = context('admin-project', ['admin', 'member', 'reader']);
const member = context('p1', ['member', 'reader']);
const reader = context('p1', ['reader']);
const other = context('p2', ['member', 'reader']);
const service = context('service', ['service']);
const nobody = context('p1', []);

type Obj = Record<string, unknown>;
const network = (id: string, project: string, extra: Obj = {}): Obj => ({
  id,
  project_id: project,
  tenant_id: project,
  shared: false,
  'router:external': false,
  ...extra,
});
const store: Record<string, Obj> = {
  own: network('own', 'p1'),
  private2: network('private2', 'p2'),
  shared2: network('shared2', 'p2', { shared: true }),
  external2: network('external2', 'p2', { 'router:external': true }),
  group1: { id: 'group1', project_id: 'p1', tenant_id: 'p1', shared: false },
  group2: { id: 'group2', project_id: 'p2', tenant_id: 'p2', shared: false },
};

// The new defaults alone ([oslo_policy] enforce_new_defaults = true); the deprecated forms are tested below.
const enforcer = PolicyEnforcer.create({ resources: api.resources.values(), enforceNewDefaults: true });
const legacy = PolicyEnforcer.create({ resources: api.resources.values() });

/** A request policy over `store`, counting the parents it loads. */
function policyFor(ctx: RequestContext, e: PolicyEnforcer = enforcer) {
  const loads: string[] = [];
  const policy = new RequestPolicy(e, ctx, async (collection, id) => {
    loads.push(`${collection}/${id}`);
    return store[id];
  });
  return { policy, loads };
}

const check = (ctx: RequestContext, name: string, target: Obj) => policyFor(ctx).policy.check(name, target);

/** Resolves to 'ok', or to `<status> <type> <message>` of the NeutronError. */
async function outcome(action: Promise<void>): Promise<string> {
  try {
    await action;
    return 'ok';
  } catch (err) {
    if (!(err instanceof NeutronError)) throw err;
    return `${err.status} ${err.type} ${err.message}`;
  }
}
const refused = (rule: string) => `403 PolicyNotAuthorized (rule:${rule}) is disallowed by policy`;

describe('enforce_new_defaults = false (the default): each rule OR its deprecated form', () => {
  const legacyCheck = (ctx: RequestContext, name: string, target: Obj) => policyFor(ctx, legacy).policy.check(name, target);
  const memberOnly = context('p1', ['member']);
  it('a member without the reader role reads what it owns (rule:admin_or_owner), as Zed does', async () => {
    assert.ok(!(await check(memberOnly, 'get_network', store.own!)));
    assert.ok(await legacyCheck(memberOnly, 'get_network', store.own!));
    assert.ok(await legacyCheck(nobody, 'get_network', store.own!));
    assert.ok(!(await legacyCheck(memberOnly, 'get_network', store.private2!)));
  });
  it("creates that were anyone's (rule:regular_user) are again", async () => {
    assert.ok(!(await check(reader, 'create_network', { project_id: 'p1' })));
    assert.ok(await legacyCheck(reader, 'create_network', { project_id: 'p1' }));
  });
  it('rules whose deprecated form is the same, or that have none, do not change', async () => {
    assert.ok(!(await legacyCheck(member, 'create_network:shared', { project_id: 'p1', shared: true })));
    assert.ok(!(await legacyCheck(reader, 'update_network', store.private2!)));
  });
  it("a rule the policy file overrides is the file's alone", async () => {
    const e = PolicyEnforcer.create({
      resources: api.resources.values(),
      overrides: { source: 'policy.yaml', rules: new Map([['get_network', parseRule('role:reader and project_id:%(project_id)s')]]) },
    });
    assert.ok(!(await policyFor(memberOnly, e).policy.check('get_network', store.own!)));
    assert.ok(await policyFor(memberOnly, e).policy.check('update_network', store.own!));
  });
  it('a rule the file still sets under its former name (get_networks_tags) sets the renamed one, unless the file sets that too', async () => {
    const file = (pairs: [string, string][]) =>
      PolicyEnforcer.create({ resources: api.resources.values(), overrides: { source: 'policy.yaml', rules: new Map(pairs.map(([n, r]) => [n, parseRule(r)])) } });
    const renamed = file([['get_networks_tags', 'rule:admin_only']]);
    assert.ok(await legacyCheck(member, 'get_network:tags', store.own!));
    assert.ok(!(await policyFor(member, renamed).policy.check('get_network:tags', store.own!)));
    const both = file([['get_networks_tags', 'rule:admin_only'], ['get_network:tags', 'rule:owner']]);
    assert.ok(await policyFor(member, both).policy.check('get_network:tags', store.own!));
    // Set to its deprecated default, the former name changes nothing.
    const same = file([['get_networks_tags', '(rule:admin_only) or (role:reader and project_id:%(project_id)s)']]);
    assert.ok(await policyFor(nobody, same).policy.check('get_network:tags', store.shared2!));
  });
});

describe('defaults: networks', () => {
  it('admins create anywhere, members in their own project, readers and others not at all', async () => {
    assert.ok(await check(admin, 'create_network', { project_id: 'p9' }));
    assert.ok(await check(member, 'create_network', { project_id: 'p1' }));
    assert.ok(!(await check(member, 'create_network', { project_id: 'p2' })));
    assert.ok(!(await check(reader, 'create_network', { project_id: 'p1' })));
    assert.ok(!(await check(service, 'create_network', { project_id: 'service' })));
    assert.ok(!(await check(nobody, 'create_network', { project_id: 'p1' })));
  });
  it('readers read their own project, everyone shared and external networks, nobody others', async () => {
    assert.ok(await check(reader, 'get_network', store.own!));
    assert.ok(!(await check(nobody, 'get_network', store.own!)));
    assert.ok(!(await check(member, 'get_network', store.private2!)));
    assert.ok(await check(member, 'get_network', store.shared2!));
    assert.ok(await check(nobody, 'get_network', store.external2!));
    assert.ok(await check(service, 'get_network', store.private2!));
    assert.ok(await check(admin, 'get_network', store.private2!));
  });
  it('shared, router:external and provider attributes are the admin`s', async () => {
    for (const name of ['create_network:shared', 'create_network:router:external', 'create_network:provider:network_type', 'update_network:shared']) {
      assert.ok(!(await check(member, name, store.own!)), name);
      assert.ok(await check(admin, name, store.own!), name);
    }
    assert.ok(await check(member, 'create_network:port_security_enabled', store.own!));
  });
});

describe('RequestPolicy.authorizeCreate', () => {
  const port = (networkId: string, project = 'p1', extra: Obj = {}): Obj => ({
    network_id: networkId,
    project_id: project,
    tenant_id: project,
    ...extra,
  });
  const create = (ctx: RequestContext, item: Obj, explicit: string[] = Object.keys(item)) => {
    const { policy, loads } = policyFor(ctx);
    return { result: outcome(policy.authorizeCreate(ports, item, explicit)), loads };
  };

  it("a member creates ports on its network and picks MACs and addresses there; the network is loaded once", async () => {
    const { result, loads } = create(member, port('own', 'p1', { mac_address: 'fa:16:3e:00:00:01', fixed_ips: [{ ip_address: '10.0.0.5' }] }));
    assert.equal(await result, 'ok');
    assert.deepEqual(loads, ['networks/own']);
  });
  it("on another project's shared network: plain ports and subnets by id, not MACs, addresses or port security", async () => {
    assert.equal(await create(other, port('shared2', 'p2')).result, 'ok', 'own... p2 owns shared2');
    assert.equal(await create(member, port('shared2')).result, 'ok');
    assert.equal(await create(member, port('shared2', 'p1', { fixed_ips: [{ subnet_id: 's' }] })).result, 'ok');
    assert.equal(await create(member, port('shared2', 'p1', { mac_address: 'fa:16:3e:00:00:01' })).result, refused('create_port:mac_address'));
    assert.equal(
      await create(member, port('shared2', 'p1', { fixed_ips: [{ subnet_id: 's', ip_address: '10.0.0.9' }] })).result,
      refused('create_port:fixed_ips:ip_address'),
    );
    assert.equal(
      await create(member, port('shared2', 'p1', { port_security_enabled: false })).result,
      refused('create_port:port_security_enabled'),
    );
    assert.equal(await create(member, port('shared2', 'p1', { device_owner: 'network:dhcp' })).result, refused('create_port:device_owner'));
    assert.equal(await create(member, port('own', 'p1', { device_owner: 'network:dhcp' })).result, 'ok');
  });
  it("another project's private or external network, or none at all, is that network's NotFound", async () => {
    assert.equal(await create(member, port('private2')).result, '404 NetworkNotFound Network private2 could not be found.');
    assert.equal(await create(member, port('external2')).result, '404 NetworkNotFound Network external2 could not be found.');
    assert.equal(await create(member, port('missing')).result, '404 NetworkNotFound Network missing could not be found.');
  });
  it('readers may not create on their own network: 403', async () => {
    assert.equal(await create(reader, port('own')).result, refused('create_port'));
  });
  it('binding attributes are for admins and the service role', async () => {
    assert.equal(await create(member, port('own', 'p1', { 'binding:host_id': 'compute1' })).result, refused('create_port:binding:host_id'));
    assert.equal(await create(service, port('own', 'p1', { 'binding:host_id': 'compute1', 'binding:profile': {} })).result, 'ok');
    assert.equal(await create(admin, port('own', 'p1', { 'binding:host_id': 'compute1', 'binding:profile': {} })).result, 'ok');
  });
  it('subnets: only on networks the member owns', async () => {
    const subnet = (networkId: string): Obj => ({ network_id: networkId, project_id: 'p1', tenant_id: 'p1', cidr: '10.0.0.0/24' });
    const { policy } = policyFor(member);
    assert.equal(await outcome(policy.authorizeCreate(subnets, subnet('own'), [])), 'ok');
    assert.equal(await outcome(policy.authorizeCreate(subnets, subnet('shared2'), [])), refused('create_subnet'));
    assert.equal(await outcome(policy.authorizeCreate(subnets, subnet('private2'), [])), '404 NetworkNotFound Network private2 could not be found.');
  });
  it("security group rules: only in the member's groups; another project's group is its NotFound", async () => {
    const rule = (group: string): Obj => ({ security_group_id: group, project_id: 'p1', tenant_id: 'p1', direction: 'ingress' });
    const { policy } = policyFor(member);
    assert.equal(await outcome(policy.authorizeCreate(rules, rule('group1'), [])), 'ok');
    assert.equal(await outcome(policy.authorizeCreate(rules, rule('group2'), [])), '404 SecurityGroupNotFound Security group group2 does not exist');
    assert.equal(await outcome(policyFor(reader).policy.authorizeCreate(rules, rule('group1'), [])), refused('create_security_group_rule'));
  });
  it('resources without a parent are 403s', async () => {
    assert.equal(await outcome(policyFor(reader).policy.authorizeCreate(groups, { project_id: 'p1' }, [])), refused('create_security_group'));
  });
});

describe('RequestPolicy: reads, updates, deletes, tags, hidden attributes', () => {
  const own = { id: 'port1', network_id: 'own', project_id: 'p1', tenant_id: 'p1', device_owner: '' };
  const foreignOnOwn = { id: 'port2', network_id: 'own', project_id: 'p2', tenant_id: 'p2', device_owner: '' };
  const foreign = { id: 'port3', network_id: 'private2', project_id: 'p2', tenant_id: 'p2', device_owner: '' };

  it('lists: own ports need no network lookup; ports of others on an owned network one per network', async () => {
    const { policy, loads } = policyFor(member);
    assert.deepEqual(await policy.visible(ports, [own, own, own]), [own, own, own]);
    assert.deepEqual(loads, []);
    assert.deepEqual(await policy.visible(ports, [own, foreignOnOwn, foreign, foreignOnOwn]), [own, foreignOnOwn, foreignOnOwn]);
    assert.deepEqual(loads.sort(), ['networks/own', 'networks/private2']);
  });
  it('show: refused is the resource NotFound', async () => {
    const { policy } = policyFor(member);
    assert.equal(await outcome(policy.authorizeShow(ports, foreign)), '404 PortNotFound Port port3 could not be found.');
    assert.equal(await outcome(policy.authorizeShow(networks, store.private2!)), '404 NetworkNotFound Network private2 could not be found.');
    assert.equal(await outcome(policy.authorizeShow(networks, store.shared2!)), 'ok');
  });
  it('update and delete: 403 when the caller may see the object, its NotFound when not (for an update, without its defaulted attributes)', async () => {
    const { policy } = policyFor(member);
    assert.equal(await outcome(policy.authorizeUpdate(networks, store.own!, { name: 'x' })), 'ok');
    assert.equal(await outcome(policy.authorizeUpdate(networks, store.own!, { shared: true })), refused('update_network:shared'));
    // Upstream asks whether the caller sees the network without `shared` (it has a default): not.
    assert.equal(await outcome(policy.authorizeUpdate(networks, store.shared2!, { name: 'x' })), '404 NetworkNotFound Network shared2 could not be found.');
    assert.equal(await outcome(policy.authorizeUpdate(networks, store.private2!, { name: 'x' })), '404 NetworkNotFound Network private2 could not be found.');
    assert.equal(await outcome(policy.authorizeDelete(networks, store.shared2!)), refused('delete_network'));
    assert.equal(await outcome(policy.authorizeDelete(networks, store.own!)), 'ok');
    // The network owner sees others' ports on it but may not change them; it may delete them.
    assert.equal(await outcome(policy.authorizeUpdate(ports, foreignOnOwn, { name: 'x' })), refused('update_port'));
    assert.equal(await outcome(policy.authorizeDelete(ports, foreignOnOwn)), 'ok');
    // Update rules see the object with the changes applied: fixed_ips needs the port's network.
    assert.equal(await outcome(policy.authorizeUpdate(ports, own, { fixed_ips: [{ ip_address: '10.0.0.7' }] })), 'ok');
    assert.equal(await outcome(policyFor(reader).policy.authorizeUpdate(ports, own, { name: 'x' })), refused('update_port'));
  });
  it('tags: readers read, members write, in their project; shared networks are readable', async () => {
    const { policy } = policyFor(member);
    assert.equal(await outcome(policy.authorizeTags(networks, 'get', store.shared2!)), 'ok');
    assert.equal(await outcome(policy.authorizeTags(networks, 'update', store.shared2!)), refused('update_network:tags'));
    assert.equal(await outcome(policy.authorizeTags(networks, 'create', store.own!)), 'ok');
    assert.equal(await outcome(policyFor(reader).policy.authorizeTags(networks, 'delete', store.own!)), refused('delete_network:tags'));
  });
  it('hidden attributes: binding:* for all but admins and the service role, provider:* for non-admins', async () => {
    const binding = ['binding:host_id', 'binding:profile', 'binding:vif_details', 'binding:vif_type'];
    assert.deepEqual([...(await policyFor(member).policy.hiddenAttributes(ports, own))].sort(), binding);
    // The service role (Nova) reads bindings; without the reader role it does not read tags (get_port:tags).
    assert.deepEqual([...(await policyFor(service).policy.hiddenAttributes(ports, own))], ['tags']);
    assert.deepEqual([...(await policyFor(admin).policy.hiddenAttributes(ports, own))], []);
    const hidden = await policyFor(member).policy.hiddenAttributes(networks, store.own);
    assert.deepEqual([...hidden].sort(), ['provider:network_type', 'provider:physical_network', 'provider:segmentation_id', 'segments']);
  });
});

describe('PolicyEnforcer: the rule set', () => {
  it("an unknown rule name gets the 'default' rule (admin or owner); has() tells them apart", async () => {
    assert.ok(!enforcer.has('create_widget'));
    assert.ok(await check(member, 'create_widget', { project_id: 'p1' }));
    assert.ok(!(await check(member, 'create_widget', { project_id: 'p2' })));
    assert.ok(await check(admin, 'create_widget', { project_id: 'p2' }));
  });
  it("declarations imply admin-only rules where Neutron's table has none", () => {
    const e = PolicyEnforcer.create({ resources: [widgets] });
    assert.ok(e.has('create_widget:shared') && e.has('update_widget:secret'));
    assert.ok(!e.checkSync('create_widget:shared', {}, member));
    assert.ok(e.checkSync('create_widget:shared', {}, admin));
    // Neutron's own rule wins over the declaration's: the service role may bind ports.
    assert.ok(enforcer.checkSync('create_port:binding:host_id', {}, service));
  });
  it('a policy file overrides defaults by name and may add rules', async () => {
    const overrides = new Map([
      ['create_network', parseRule('rule:admin_only')],
      ['create_network:shared', parseRule('rule:owner and role:member')],
      ['get_network:mtu', parseRule('rule:admin_only')],
      ['is_operator', parseRule('role:operator')],
    ]);
    const e = PolicyEnforcer.create({ resources: api.resources.values(), overrides: { source: 'policy.yaml', rules: overrides } });
    assert.equal(e.source, 'policy.yaml');
    assert.ok(!e.checkSync('create_network', { project_id: 'p1' }, member));
    assert.ok(e.checkSync('create_network:shared', { project_id: 'p1' }, member));
    assert.ok(e.has('get_network:mtu') && !e.checkSync('get_network:mtu', {}, member));
    assert.deepEqual(e.warnings, []);
  });
  it('warns about overrides that refer to undefined rules', () => {
    const overrides = new Map([['create_network', parseRule('rule:nope or rule:admin_only')]]);
    const e = PolicyEnforcer.create({ overrides: { source: 'p', rules: overrides } });
    assert.deepEqual(e.warnings, ["policy rule 'create_network' refers to undefined rule 'nope' (the 'default' rule applies)"]);
  });
  it('refuses cycles of rule: references, including through the default rule', () => {
    const cyclic = (pairs: [string, string][]) => () =>
      PolicyEnforcer.create({ overrides: { source: 'p', rules: new Map(pairs.map(([n, r]) => [n, parseRule(r)])) } });
    assert.throws(cyclic([['a', 'rule:b'], ['b', 'rule:a']]), (err: unknown) => err instanceof PolicyCycleError && /a -> b -> a|b -> a -> b/.test(err.message));
    assert.throws(cyclic([['admin_only', 'rule:admin_only']]), PolicyCycleError);
    assert.throws(cyclic([['default', 'rule:undefined_name']]), /default -> default/);
    assert.doesNotThrow(cyclic([['a', 'rule:b'], ['b', '@'], ['c', 'rule:a and rule:b']]));
  });
  it("is_admin comes from context_is_admin", () => {
    assert.equal(enforcer.withAdminFlag(member), member);
    assert.equal(enforcer.withAdminFlag(admin), admin);
    const e = PolicyEnforcer.create({ overrides: { source: 'p', rules: new Map([['context_is_admin', parseRule('role:cloud_admin')]]) } });
    assert.equal(e.withAdminFlag(admin).isAdmin, false);
    assert.equal(e.withAdminFlag(context('p1', ['cloud_admin'])).isAdmin, true);
  });
  it('attribute rules: the attributes set, then the keys of their list items, only where rules exist', () => {
    const item = { fixed_ips: [{ subnet_id: 's' }, { ip_address: '10.0.0.1', subnet_id: 's' }], name: 'x', mac_address: 'm' };
    assert.deepEqual(attributeRuleNames(enforcer, portResource, 'create_port', item, ['name', 'mac_address', 'fixed_ips']), [
      'create_port:mac_address',
      'create_port:fixed_ips',
      'create_port:fixed_ips:subnet_id',
      'create_port:fixed_ips:ip_address',
    ]);
  });
  it('attribute rules of attributes without enforce_policy upstream are never checked (subnets\' service_types)', () => {
    const subnets = { ...subnetResource, attributes: { ...subnetResource.attributes, service_types: { type: { kind: 'any' }, enforcePolicy: false } } } as const;
    assert.ok(enforcer.has('update_subnet:service_types'));
    assert.deepEqual(attributeRuleNames(enforcer, subnets, 'update_subnet', { service_types: ['compute:'], name: 'x' }, ['service_types', 'name']), []);
  });
});
