/** The evaluator: each check against targets and credentials, and the three-valued logic for values still to load. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { type Credentials, type Environment, evaluate, type Lookup, type Verdict } from '../../../src/api/policy/evaluate.js';
import { parseRule, type Rule } from '../../../src/api/policy/rule.js';

const member: Credentials = { project_id: 'p1', tenant_id: 'p1', user_id: 'u1', roles: ['member', 'reader'], is_admin: false };

interface Setup {
  readonly target?: Record<string, unknown>;
  readonly credentials?: Credentials;
  readonly rules?: Record<string, string>;
  /** Keys the environment has not loaded yet. */
  readonly unresolved?: readonly string[];
}

function env(setup: Setup = {}): Environment {
  const target = setup.target ?? {};
  const rules = new Map(Object.entries(setup.rules ?? {}).map(([name, text]): [string, Rule] => [name, parseRule(text)]));
  const lookup = (key: string): Lookup =>
    setup.unresolved?.includes(key)
      ? { kind: 'unresolved', key }
      : Object.hasOwn(target, key)
        ? { kind: 'value', value: target[key] }
        : { kind: 'missing' };
  return {
    rule: (name) => rules.get(name),
    lookup,
    field: (_collection, attr) => lookup(attr),
    credentials: setup.credentials ?? member,
  };
}

const verdictOf = (rule: string, setup?: Setup): Verdict => evaluate(parseRule(rule), env(setup));
const allows = (rule: string, setup?: Setup): boolean => verdictOf(rule, setup).kind === 'allow';

describe('evaluate: checks', () => {
  it('@, ! and the empty rule', () => {
    assert.ok(allows('@'));
    assert.ok(allows(''));
    assert.ok(!allows('!'));
  });

  it('role: any of the caller roles, case-insensitive, and formatted from the target', () => {
    assert.ok(allows('role:member'));
    assert.ok(allows('role:MEMBER'));
    assert.ok(!allows('role:admin'));
    assert.ok(allows('role:reader', { credentials: { ...member, roles: ['Reader'] } }));
    assert.ok(allows('role:%(needed)s', { target: { needed: 'member' } }));
    assert.ok(!allows('role:%(needed)s'), 'a missing target key denies');
  });

  it("owner: the caller's project equals the target's field, compared as Python str()", () => {
    assert.ok(allows('project_id:%(project_id)s', { target: { project_id: 'p1' } }));
    assert.ok(!allows('project_id:%(project_id)s', { target: { project_id: 'p2' } }));
    assert.ok(!allows('project_id:%(project_id)s'), 'missing in the target');
    assert.ok(allows('tenant_id:%(tenant_id)s', { target: { tenant_id: 'p1' } }));
    assert.ok(!allows('project_id:%(project_id)s', { target: { project_id: 'p1' }, credentials: { roles: [] } }), 'no project in the credentials');
    assert.ok(allows('project_id:%(network:project_id)s', { target: { 'network:project_id': 'p1' } }));
  });

  it('generic: credential paths (lists match any element) and Python literals', () => {
    assert.ok(allows('is_admin:True', { credentials: { ...member, is_admin: true } }));
    assert.ok(!allows('is_admin:True'));
    assert.ok(allows('is_admin:False'));
    assert.ok(allows('user_id:%(user_id)s', { target: { user_id: 'u1' } }));
    assert.ok(!allows('user_id:%(user_id)s', { target: { user_id: 'u2' } }));
    const nested: Credentials = { ...member, token: { groups: [{ name: 'ops' }, { name: 'dev' }] } };
    assert.ok(allows('token.groups.name:dev', { credentials: nested }));
    assert.ok(!allows('token.groups.name:qa', { credentials: nested }));
    assert.ok(!allows('token.nothing.name:dev', { credentials: nested }));
    assert.ok(allows('roles:reader'), 'a list credential: any element');
    assert.ok(allows('True:%(shared)s', { target: { shared: true } }));
    assert.ok(!allows('True:%(shared)s', { target: { shared: false } }));
    assert.ok(allows('None:%(gateway)s', { target: { gateway: null } }));
    assert.ok(allows('42:%(n)s', { target: { n: 42 } }));
    assert.ok(allows("'blue':%(color)s", { target: { color: 'blue' } }));
    assert.ok(allows('user_id:u%(n)s-%%', { target: { n: 1 }, credentials: { ...member, user_id: 'u1-%' } }));
  });

  it('field: converted by the value type; =~ matches strings from their start', () => {
    assert.ok(allows('field:networks:shared=True', { target: { shared: true } }));
    assert.ok(allows('field:networks:shared=true', { target: { shared: true } }));
    assert.ok(!allows('field:networks:shared=True', { target: { shared: false } }));
    assert.ok(allows('field:networks:shared=False', { target: { shared: false } }));
    assert.ok(!allows('field:networks:shared=maybe', { target: { shared: true } }));
    assert.ok(!allows('field:networks:shared=True'), 'missing');
    assert.ok(!allows('field:networks:shared=True', { target: { shared: null } }), 'null never matches');
    assert.ok(allows('field:networks:mtu=1500', { target: { mtu: 1500 } }));
    assert.ok(!allows('field:networks:mtu=', { target: { mtu: 0 } }));
    assert.ok(allows('field:networks:name=blue', { target: { name: 'blue' } }));
    assert.ok(!allows('field:networks:name=1500', { target: { name: '1500.0' } }), 'strings compare as text');
    assert.ok(allows('field:port:device_owner=~^network:', { target: { device_owner: 'network:dhcp' } }));
    assert.ok(allows('field:port:device_owner=~network:', { target: { device_owner: 'network:dhcp' } }));
    assert.ok(!allows('field:port:device_owner=~dhcp', { target: { device_owner: 'network:dhcp' } }), 're.match anchors at the start');
    assert.ok(!allows('field:port:device_owner=~^network:', { target: { device_owner: 5 } }));
  });

  it('rule: refers to another rule; an unknown one denies (the environment supplies any default)', () => {
    const rules = { admin_only: 'role:admin', owner: 'project_id:%(project_id)s', admin_or_owner: 'rule:admin_only or rule:owner' };
    assert.ok(allows('rule:admin_or_owner', { rules, target: { project_id: 'p1' } }));
    assert.ok(!allows('rule:admin_or_owner', { rules, target: { project_id: 'p2' } }));
    assert.ok(!allows('rule:nothing', { rules }));
  });
});

describe('evaluate: logic', () => {
  const cases: [string, boolean][] = [
    ['not role:admin', true],
    ['not role:member', false],
    ['role:member and role:reader', true],
    ['role:member and role:admin', false],
    ['role:admin or role:reader', true],
    ['role:admin or role:service', false],
    // not > and > or
    ['role:admin and role:member or role:reader', true],
    ['role:admin and (role:member or role:reader)', false],
    ['role:reader or role:member and role:admin', true],
    ['(role:reader or role:member) and role:admin', false],
    ['not role:admin and role:member', true],
    ['not (role:admin or role:member)', false],
    ['not role:admin or role:nothing', true],
  ];
  for (const [rule, allowed] of cases) it(`${rule} -> ${allowed}`, () => assert.equal(allows(rule), allowed));
});

describe('evaluate: values still to load', () => {
  const waiting: Setup = { target: { project_id: 'p1' }, unresolved: ['network:project_id'] };
  const net = 'project_id:%(network:project_id)s';

  it('a check that needs an unloaded value is unknown, naming it', () => {
    assert.deepEqual(verdictOf(net, waiting), { kind: 'unknown', key: 'network:project_id' });
    assert.deepEqual(verdictOf(`role:%(network:project_id)s`, waiting), { kind: 'unknown', key: 'network:project_id' });
    assert.deepEqual(verdictOf(`not ${net}`, waiting), { kind: 'unknown', key: 'network:project_id' });
  });
  it('or: decided without it when another branch allows; unknown when none allows', () => {
    assert.deepEqual(verdictOf(`${net} or project_id:%(project_id)s`, waiting), { kind: 'allow' });
    assert.deepEqual(verdictOf(`${net} or role:admin`, waiting), { kind: 'unknown', key: 'network:project_id' });
  });
  it('and: decided without it when another part denies; unknown when all others allow', () => {
    assert.deepEqual(verdictOf(`role:admin and ${net}`, waiting), { kind: 'deny' });
    assert.deepEqual(verdictOf(`${net} and role:admin`, waiting), { kind: 'deny' });
    assert.deepEqual(verdictOf(`role:member and ${net}`, waiting), { kind: 'unknown', key: 'network:project_id' });
  });
  it('field checks can wait too', () => {
    assert.deepEqual(verdictOf('field:networks:shared=True', { unresolved: ['shared'] }), { kind: 'unknown', key: 'shared' });
  });
  it('a cycle of rule: references is caught rather than overflowing the stack', () => {
    assert.throws(() => verdictOf('rule:a', { rules: { a: 'rule:b', b: 'rule:a' } }), /cycle/);
  });
});
