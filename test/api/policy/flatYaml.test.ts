/** The flat YAML subset of policy files: what is read, and what is refused with its line. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { FlatYamlError, parseFlatYaml } from '../../../src/api/policy/flatYaml.js';

const read = (text: string) => Object.fromEntries(parseFlatYaml(text).map((e) => [e.key, e.value]));

describe('parseFlatYaml: accepted', () => {
  it('the sample generator shape: quoted names and rules, comments, blank lines', () => {
    const text = [
      '# Create a network',
      '# POST  /networks',
      '#"create_network": "rule:admin_or_owner"',
      '',
      '"create_network": "rule:admin_only"',
      "'get_network:mtu': 'rule:admin_only'   # hide the MTU",
    ].join('\n');
    assert.deepEqual(read(text), { create_network: 'rule:admin_only', 'get_network:mtu': 'rule:admin_only' });
  });
  it("plain names may contain ':'; plain values end at ' #'", () => {
    assert.deepEqual(read('create_network:shared: rule:admin_only or role:netadmin # admins\n'), {
      'create_network:shared': 'rule:admin_only or role:netadmin',
    });
    assert.deepEqual(read('a: role:x#y'), { a: 'role:x#y' });
  });
  it('empty rules, escapes and quotes', () => {
    assert.deepEqual(read(`a: ""\nb: ''\nc: "say \\"hi\\" \\\\ \\u0041"\nd: 'it''s'`), { a: '', b: '', c: 'say "hi" \\ A', d: "it's" });
  });
  it('values continued on more indented lines, or starting on the next line, fold into one line', () => {
    const text = [
      '"get_port": "(rule:admin_only) or (rule:service_api) or',
      '    role:reader and project_id:%(project_id)s"',
      'update_port: rule:admin_only',
      '  or role:member',
      'delete_port:',
      '  "rule:admin_only"',
    ].join('\r\n');
    assert.deepEqual(read(text), {
      get_port: '(rule:admin_only) or (rule:service_api) or role:reader and project_id:%(project_id)s',
      update_port: 'rule:admin_only or role:member',
      delete_port: 'rule:admin_only',
    });
  });
  it('empty documents, a leading ---, {} and a byte order mark', () => {
    assert.deepEqual(read(''), {});
    assert.deepEqual(read('# all commented out\n#"a": "b"\n'), {});
    assert.deepEqual(read('---\na: "@"\n'), { a: '@' });
    assert.deepEqual(read('{}\n'), {});
    assert.deepEqual(read('\uFEFFa: "!"'), { a: '!' });
  });
  it('reports the line of each entry', () => {
    assert.deepEqual(
      parseFlatYaml('# c\n\na: "x"\nb: y').map((e) => e.line),
      [3, 4],
    );
  });
});

describe('parseFlatYaml: refused', () => {
  const cases: [string, number, RegExp][] = [
    ['a: x\n  b: y: z', 1, /contains|mapping/],
    ['a: "x"\n  b: y', 1, /unexpected text after the quoted value/],
    ['a:\n  b: c', 1, /mapping/],
    [' a: x', 1, /unexpected indentation/],
    ['- a', 1, /a list is not a policy file/],
    ['a: [x]', 1, /must be a string, not a list/],
    ['a: {x: y}', 1, /must be a string, not a mapping/],
    ['a: |\n  rule:x', 1, /block scalars/],
    ['a: !', 1, /'!' cannot start a plain YAML value: quote/],
    ['a: @', 1, /'@' cannot start a plain YAML value/],
    ['a: &x role:b', 1, /'&' cannot start/],
    ['a: true', 1, /as a non-string: quote it/],
    ['a: 1', 1, /as a non-string/],
    ['a: ~', 1, /as a non-string/],
    ['a: field:port:device_owner=~^network:', 1, /final ':'/],
    ['a:', 1, /has no value \(write "" for a rule that allows everyone\)/],
    ['a: x\nb: y\na: z', 3, /duplicate rule 'a' \(first on line 1\)/],
    ['a: "x', 1, /unterminated double-quoted string/],
    ["a: 'x", 1, /unterminated single-quoted string/],
    ['a: "\\q"', 1, /unsupported escape/],
    ['just text', 1, /expected "name": "rule"/],
    ['"a" b: x', 1, /expected ':' after the quoted name/],
    ['"a":x', 1, /expected a space after ':'/],
    ['[a, b]', 1, /a name cannot start with '\['/],
    ['a: x\n\t b', 2, /tabs are not allowed/],
  ];
  for (const [text, line, reason] of cases) {
    it(JSON.stringify(text), () =>
      assert.throws(
        () => parseFlatYaml(text),
        (err: unknown) => err instanceof FlatYamlError && err.line === line && reason.test(err.reason),
      ),
    );
  }
});
