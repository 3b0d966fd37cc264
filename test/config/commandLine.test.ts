import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/common/errors.js';
import { configFilesOf, parseCommandLine } from '../../src/config/commandLine.js';

describe('parseCommandLine', () => {
  const cases: { argv: string[]; want: ReturnType<typeof parseCommandLine> }[] = [
    { argv: [], want: { configSources: [], positional: [], unknownFlags: [] } },
    {
      argv: ['--config-file', '/etc/neutron/neutron.conf', '--config-file=/etc/neutron/plugins/ml2/ml2_conf.ini'],
      want: {
        configSources: [
          { kind: 'file', path: '/etc/neutron/neutron.conf' },
          { kind: 'file', path: '/etc/neutron/plugins/ml2/ml2_conf.ini' },
        ],
        positional: [],
        unknownFlags: [],
      },
    },
    {
      argv: ['upgrade', '--config-dir', '/etc/neutron/conf.d', 'head', '--debug', '--config-file', 'a.conf', '--x=1'],
      want: {
        configSources: [
          { kind: 'dir', path: '/etc/neutron/conf.d' },
          { kind: 'file', path: 'a.conf' },
        ],
        positional: ['upgrade', 'head'],
        unknownFlags: ['--debug', '--x=1'],
      },
    },
    {
      argv: ['--config-file', 'a.conf', '--', '--config-file', 'b.conf', '-'],
      want: {
        configSources: [{ kind: 'file', path: 'a.conf' }],
        positional: ['--config-file', 'b.conf', '-'],
        unknownFlags: [],
      },
    },
  ];
  for (const c of cases) {
    it(JSON.stringify(c.argv), () => assert.deepEqual(parseCommandLine(c.argv), c.want));
  }

  for (const argv of [['--config-file'], ['--config-dir='], ['--config-file=']]) {
    it(`rejects ${JSON.stringify(argv)}`, () => {
      assert.throws(
        () => parseCommandLine(argv),
        (e: unknown) => e instanceof ConfigError && /requires a value/.test(e.message),
      );
    });
  }

  it('does not mutate its input', () => {
    const argv = Object.freeze(['--config-file', 'a', 'run']);
    assert.deepEqual(parseCommandLine(argv).positional, ['run']);
  });
});

describe('configFilesOf', () => {
  it('expands a directory to its sorted *.conf files at its place in the order', () => {
    const listing: Record<string, string[]> = { '/etc/neutron/conf.d': ['20-b.conf', 'README', '10-a.conf', 'x.conf.bak'] };
    const files = configFilesOf(
      [
        { kind: 'file', path: '/etc/neutron/neutron.conf' },
        { kind: 'dir', path: '/etc/neutron/conf.d' },
        { kind: 'file', path: '/etc/neutron/last.conf' },
      ],
      (d) => listing[d] ?? [],
    );
    assert.deepEqual(files, [
      '/etc/neutron/neutron.conf',
      '/etc/neutron/conf.d/10-a.conf',
      '/etc/neutron/conf.d/20-b.conf',
      '/etc/neutron/last.conf',
    ]);
  });

  it('reads a real directory and reports a missing one as a ConfigError', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nucleon-confdir-'));
    mkdirSync(join(dir, 'conf.d'));
    writeFileSync(join(dir, 'conf.d', 'b.conf'), '');
    writeFileSync(join(dir, 'conf.d', 'a.conf'), '');
    writeFileSync(join(dir, 'conf.d', 'notes.txt'), '');
    const parsed = parseCommandLine(['--config-dir', join(dir, 'conf.d')]);
    assert.deepEqual(configFilesOf(parsed.configSources), [join(dir, 'conf.d', 'a.conf'), join(dir, 'conf.d', 'b.conf')]);

    const missing = join(dir, 'nope');
    assert.throws(
      () => configFilesOf([{ kind: 'dir', path: missing }]),
      (e: unknown) => e instanceof ConfigError && e.message === `${missing}: no such directory`,
    );
  });
});
