import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/common/errors.js';
import { parseIni } from '../../src/config/iniParser.js';

const F = '/etc/neutron/neutron.conf';
const entries = (text: string) => parseIni(text, F).entries.map(({ section, name, value }) => [section, name, value]);

describe('parseIni', () => {
  const cases: { name: string; text: string; want: string[][] }[] = [
    {
      name: 'plain assignments with = and :',
      text: '[DEFAULT]\nbind_port = 9696\nbind_host: 0.0.0.0\n',
      want: [
        ['DEFAULT', 'bind_port', '9696'],
        ['DEFAULT', 'bind_host', '0.0.0.0'],
      ],
    },
    {
      name: 'the first of = and : splits, so URLs and host:port stay whole',
      text: '[x]\nurl = rabbit://u:p@h:5672/\nservers = a:11211,b:11211\n',
      want: [
        ['x', 'url', 'rabbit://u:p@h:5672/'],
        ['x', 'servers', 'a:11211,b:11211'],
      ],
    },
    {
      name: '# and ; comment lines are skipped, an inline # is part of the value (as in oslo)',
      text: '# top\n[DEFAULT]\n; semi\n#debug = true\nlock_path = /x # not a comment\n',
      want: [['DEFAULT', 'lock_path', '/x # not a comment']],
    },
    {
      name: 'indented lines continue the previous value, joined by newlines',
      text: '[DEFAULT]\nservice_plugins = router,\n  segments,\n\ttrunk\ndebug = true\n',
      want: [
        ['DEFAULT', 'service_plugins', 'router,\nsegments,\ntrunk'],
        ['DEFAULT', 'debug', 'true'],
      ],
    },
    {
      name: 'a blank line ends a multi-line value',
      text: '[a]\nk = v\n\n[b]\nk2 = v2\n',
      want: [
        ['a', 'k', 'v'],
        ['b', 'k2', 'v2'],
      ],
    },
    {
      name: 'one pair of matching quotes is stripped',
      text: `[a]\nq1 = "x y"\nq2 = 'z'\nq3 = "mixed'\nq4 = ""\n`,
      want: [
        ['a', 'q1', 'x y'],
        ['a', 'q2', 'z'],
        ['a', 'q3', `"mixed'`],
        ['a', 'q4', ''],
      ],
    },
    {
      name: '[DEFAULT] is exact, other sections are lower-cased',
      text: '[QUOTAS]\nquota_port = 1\n[AGENT]\nreport_interval = 5\n[default]\nx = 1\n',
      want: [
        ['quotas', 'quota_port', '1'],
        ['agent', 'report_interval', '5'],
        ['default', 'x', '1'],
      ],
    },
    {
      name: 'repeated keys are all kept in order (resolution takes the last)',
      text: '[DEFAULT]\ndebug = false\ndebug = true\n',
      want: [
        ['DEFAULT', 'debug', 'false'],
        ['DEFAULT', 'debug', 'true'],
      ],
    },
    {
      name: 'CRLF line ends, a BOM and an empty value',
      text: '\uFEFF[DEFAULT]\r\nlog_dir =\r\ndebug = true\r\n',
      want: [
        ['DEFAULT', 'log_dir', ''],
        ['DEFAULT', 'debug', 'true'],
      ],
    },
    {
      name: 'an indented comment with no value before it is ignored',
      text: '[a]\n\n  # note\nk = v\n',
      want: [['a', 'k', 'v']],
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(entries(c.text), c.want));
  }

  it('records line numbers of the first line of each value', () => {
    const parsed = parseIni('[a]\n\nk = v\n  more\nj = w\n', F);
    assert.deepEqual(
      parsed.entries.map((e) => e.line),
      [3, 5],
    );
  });

  const errors: { name: string; text: string; message: RegExp }[] = [
    { name: 'unclosed section', text: '[DEFAULT\nx = 1\n', message: /^\/etc\/neutron\/neutron\.conf: line 1: .*closing/ },
    { name: 'option before any section', text: 'debug = true\n', message: /: line 1: option 'debug' appears before any \[section\]/ },
    { name: 'line without = or :', text: '[DEFAULT]\ngarbage\n', message: /\[DEFAULT\] line 2: expected 'name = value', got 'garbage'/ },
    { name: 'empty name', text: '[DEFAULT]\n= 3\n', message: /\[DEFAULT\] line 2: empty option name/ },
    { name: 'orphan continuation', text: '[DEFAULT]\n\n  stray\n', message: /\[DEFAULT\] line 3: unexpected continuation line 'stray'/ },
    { name: 'empty section name', text: '[]\n', message: /line 1: empty section name/ },
  ];
  for (const c of errors) {
    it(`syntax error: ${c.name}`, () => {
      assert.throws(
        () => parseIni(c.text, F),
        (e: unknown) => e instanceof ConfigError && e.file === F && c.message.test(e.message),
      );
    });
  }
});
