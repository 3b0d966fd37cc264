/** The oslo.policy rule language: checks, precedence, tokenizing and the errors for malformed rules. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { declaredRules, type DefaultRule, defaultRule } from '../../../src/api/policy/declaredRules.js';
import { neutronDefaultRules } from '../../../src/api/policy/neutronDefaults.js';
import { formatRule, parseRule, referencedRules, type Rule, RuleSyntaxError } from '../../../src/api/policy/rule.js';
import { composeApi } from '../../../src/resources/compose.js';
import { coreExtensions, coreResources } from '../../../src/resources/index.js';

const shown = (text: string) => formatRule(parseRule(text));

describe('parseRule: checks', () => {
  const cases: [string, Rule][] = [
    ['', { op: 'always' }],
    ['@', { op: 'always' }],
    ['!', { op: 'never' }],
    ['rule:admin_only', { op: 'rule', name: 'admin_only' }],
    ['rule:create_network:shared', { op: 'rule', name: 'create_network:shared' }],
    ['role:admin', { op: 'role', role: [{ text: 'admin' }] }],
    ['role:%(role_name)s', { op: 'role', role: [{ key: 'role_name' }] }],
    ['project_id:%(project_id)s', { op: 'owner', credential: 'project_id', field: 'project_id' }],
    ['tenant_id:%(tenant_id)s', { op: 'owner', credential: 'tenant_id', field: 'tenant_id' }],
    ['project_id:%(network:project_id)s', { op: 'owner', credential: 'project_id', field: 'network:project_id' }],
    [
      'field:networks:shared=True',
      { op: 'field', collection: 'networks', attr: 'shared', value: { kind: 'equals', text: 'True' } },
    ],
    [
      'field:networks:router:external=True',
      { op: 'field', collection: 'networks', attr: 'router:external', value: { kind: 'equals', text: 'True' } },
    ],
    ['is_admin:True', { op: 'generic', left: { kind: 'credential', path: ['is_admin'] }, match: [{ text: 'True' }] }],
    [
      'user_id:%(user_id)s',
      { op: 'generic', left: { kind: 'credential', path: ['user_id'] }, match: [{ key: 'user_id' }] },
    ],
    [
      'token.user.name:%(owner)s',
      { op: 'generic', left: { kind: 'credential', path: ['token', 'user', 'name'] }, match: [{ key: 'owner' }] },
    ],
    ['True:%(shared)s', { op: 'generic', left: { kind: 'literal', text: 'True' }, match: [{ key: 'shared' }] }],
    ["'Member':%(role.name)s", { op: 'generic', left: { kind: 'literal', text: 'Member' }, match: [{ key: 'role.name' }] }],
    ['42:%(count)s', { op: 'generic', left: { kind: 'literal', text: '42' }, match: [{ key: 'count' }] }],
    [
      'user_id:u-%(id)s%%',
      { op: 'generic', left: { kind: 'credential', path: ['user_id'] }, match: [{ text: 'u-' }, { key: 'id' }, { text: '%' }] },
    ],
  ];
  for (const [text, expected] of cases) {
    it(JSON.stringify(text), () => assert.deepEqual(parseRule(text), expected));
  }

  it('a field check with =~ compiles an anchored regular expression', () => {
    const rule = parseRule('field:port:device_owner=~^network:');
    assert.equal(rule.op, 'field');
    if (rule.op !== 'field' || rule.value.kind !== 'regex') return assert.fail('not a regex field check');
    assert.equal(rule.attr, 'device_owner');
    assert.ok(rule.value.regex.test('network:dhcp'));
    assert.ok(!rule.value.regex.test('compute:nova'));
    assert.ok(parseRule('field:port:device_owner=~network').op === 'field');
  });
});

describe('parseRule: operators and precedence (not > and > or)', () => {
  const cases: [string, string][] = [
    ['role:a or role:b and role:c', '(role:a or (role:b and role:c))'],
    ['role:a and role:b or role:c', '((role:a and role:b) or role:c)'],
    ['role:a and role:b and role:c or role:d or role:e', '((role:a and role:b and role:c) or role:d or role:e)'],
    ['not role:a and role:b', '(not role:a and role:b)'],
    ['not role:a or role:b', '(not role:a or role:b)'],
    ['role:a and not role:b', '(role:a and not role:b)'],
    ['not not role:a', 'not not role:a'],
    ['not (role:a or role:b)', 'not (role:a or role:b)'],
    ['(role:a or role:b) and role:c', '((role:a or role:b) and role:c)'],
    ['((role:a))', 'role:a'],
    ['(role:a)', 'role:a'],
    ['role:a AND role:b OR NOT role:c', '((role:a and role:b) or not role:c)'],
    ['  role:a\tor\n role:b  ', '(role:a or role:b)'],
    // Parentheses stick to checks, and %(...)s keeps its own.
    ['(role:a or project_id:%(project_id)s) and role:b', '((role:a or project_id:%(project_id)s) and role:b)'],
    ['(rule:admin_only) or (role:member and project_id:%(project_id)s)', '(rule:admin_only or (role:member and project_id:%(project_id)s))'],
    ['@ or !', '(@ or !)'],
  ];
  for (const [text, expected] of cases) {
    it(`${text} -> ${expected}`, () => assert.equal(shown(text), expected));
  }

  it('referencedRules lists rule: references', () => {
    assert.deepEqual(referencedRules(parseRule('rule:a or (role:x and not rule:b) or rule:a')), ['a', 'b', 'a']);
  });
});

describe('parseRule: malformed rules are errors naming the problem', () => {
  const cases: [string, RegExp][] = [
    ['   ', /only whitespace/],
    ['admin', /'admin' is not a check \(expected <kind>:<match>, '@' or '!'\)/],
    ['role:a or', /expected a check after 'or', found the end of the rule/],
    ['and role:a', /expected a check at the start, found 'and'/],
    ['role:a and or role:b', /expected a check after 'and', found 'or'/],
    ['role:a role:b', /expected 'and' or 'or' before 'role:b'/],
    ['(role:a or role:b', /expected '\)' to close '\(', found the end of the rule/],
    ['role:a)', /unbalanced '\)'/],
    ['()', /expected a check after '\(', found '\)'/],
    ['not', /expected a check after 'not', found the end of the rule/],
    ['rule:', /names no rule/],
    ['role:', /names no role/],
    [':x', /has no kind before ':'/],
    ['project_id:abc', /project_id check compares with one target field, written %\(<field>\)s/],
    ['project_id:%(a)s%(b)s', /one target field/],
    ['tenant_id:%(x)d', /one target field/],
    ['field:networks', /field:<collection>:<attribute>=<value>/],
    ['field:networks:shared', /field:<collection>:<attribute>=<value>/],
    ['field:port:device_owner=~(', /invalid regular expression/],
    ['user_id:%(x)d', /only %\(<field>\)s and %% may follow '%'/],
    ['user_id:50%', /only %\(<field>\)s and %% may follow '%'/],
    ['http://policy.example.com/check', /http checks \(a remote policy server\) are not supported/],
    ['"quoted"', /is a quoted string, not a check/],
  ];
  for (const [text, reason] of cases) {
    it(JSON.stringify(text), () =>
      assert.throws(
        () => parseRule(text),
        (err: unknown) => err instanceof RuleSyntaxError && reason.test(err.reason),
      ),
    );
  }
});

describe("Neutron's default rules", () => {
  // The base rules, and each resource's rules from its declaration.
  const declared: Record<string, DefaultRule> = {
    ...Object.fromEntries(Object.entries(neutronDefaultRules).map(([name, decl]) => [name, defaultRule(decl)])),
    ...Object.fromEntries(declaredRules(composeApi(coreResources, coreExtensions).resources.values())),
  };
  const defaults: Record<string, string> = Object.fromEntries(Object.entries(declared).map(([name, rule]) => [name, rule.rule]));
  it('all parse, with their deprecated forms', () => {
    for (const [name, rule] of Object.entries(declared)) {
      assert.doesNotThrow(() => parseRule(rule.rule), name);
      if (rule.deprecated !== undefined) assert.doesNotThrow(() => parseRule(rule.deprecated ?? ''), `${name} (deprecated)`);
    }
  });
  it('keep their names and shapes', () => {
    assert.equal(shown(defaults['create_network'] ?? ''), '(rule:admin_only or (role:member and project_id:%(project_id)s))');
    assert.equal(
      shown(defaults['create_port'] ?? ''),
      '(rule:admin_only or rule:service_api or (role:member and rule:network_owner) or rule:shared)',
    );
    assert.equal(defaults['create_network:shared'], 'rule:admin_only');
    assert.equal(defaults['default'], 'rule:admin_or_owner');
    // neutron/conf/policies/network.py: deprecated_rule=policy.DeprecatedRule('create_network', RULE_ANY)
    assert.equal(declared['create_network']?.deprecated, 'rule:regular_user');
    assert.equal(declared['update_network']?.deprecated, 'rule:admin_or_owner');
    assert.equal(declared['create_network:shared']?.deprecated, undefined);
  });
});
