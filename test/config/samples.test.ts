/**
 * The sample configuration files in etc/ against the option declarations:
 * every option declared in src/config/*Options.ts is in a sample (a new
 * option module must be added to src/config/sampleFiles.ts), and each
 * committed sample is exactly what nucleon-config-generator writes now (run
 * `npm run config:samples` after changing an option).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';

import { renderOption, renderSample } from '../../src/config/renderSample.js';
import { sampleFiles } from '../../src/config/sampleFiles.js';
import type { OptDecl } from '../../src/config/types.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const ETC = join(REPO, 'etc');
const CONFIG = join(REPO, 'src/config');
const REGENERATE = 'run `npm run config:samples` and commit etc/';

/** The files the install guide and the systemd units name. */
const EXPECTED_FILES = [
  'neutron.conf.sample',
  'ml2_conf.ini.sample',
  'linuxbridge_agent.ini.sample',
  'openvswitch_agent.ini.sample',
  'dhcp_agent.ini.sample',
  'metadata_agent.ini.sample',
  'l3_agent.ini.sample',
];

const isDecl = (value: unknown): value is OptDecl =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { section?: unknown }).section === 'string' &&
  typeof (value as { name?: unknown }).name === 'string' &&
  typeof (value as { type?: unknown }).type === 'object';

/** Every option declared by a src/config/*Options.ts module, with the module that declares it. */
async function declaredOptions(): Promise<{ module: string; decl: OptDecl }[]> {
  const found: { module: string; decl: OptDecl }[] = [];
  for (const module of readdirSync(CONFIG).filter((name) => /Options\.ts$/.test(name)).sort()) {
    const exports = (await import(pathToFileURL(join(CONFIG, module)).href)) as Record<string, unknown>;
    for (const value of Object.values(exports)) {
      if (Array.isArray(value) && value.length > 0 && value.every(isDecl)) for (const decl of value) found.push({ module, decl });
    }
  }
  return found;
}

/** `section\0name` of every option a sample file shows (`#name = ...` under `[section]`). */
function optionsIn(text: string): Set<string> {
  const options = new Set<string>();
  let section = '';
  for (const line of text.split('\n')) {
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header?.[1] !== undefined) section = header[1];
    const option = /^#([A-Za-z0-9_]+) = /.exec(`${line} `);
    if (option?.[1] !== undefined) options.add(`${section}\0${option[1]}`);
  }
  return options;
}

const committed = (name: string): string => {
  try {
    return readFileSync(join(ETC, name), 'utf8');
  } catch {
    return '';
  }
};

describe('sample configuration files (etc/*.sample)', () => {
  it('the map names the seven files of the install guide, and etc/ holds no other sample', () => {
    assert.deepEqual(sampleFiles.map((file) => file.name).sort(), [...EXPECTED_FILES].sort());
    const present = readdirSync(ETC).filter((name) => name.endsWith('.sample')).sort();
    assert.deepEqual(present, [...EXPECTED_FILES].sort(), `etc/ has a sample the generator does not write, or lacks one: ${REGENERATE}`);
  });

  for (const file of sampleFiles) {
    it(`etc/${file.name} is what the option declarations give now`, () => {
      const expected = renderSample(file, 'nucleon-config-generator');
      assert.ok(committed(file.name) === expected, `etc/${file.name} is stale: ${REGENERATE}`);
    });
  }

  it('every option declared in src/config/*Options.ts is in a sample file', async () => {
    const shown = new Set(sampleFiles.flatMap((file) => [...optionsIn(committed(file.name))]));
    const declared = await declaredOptions();
    assert.ok(declared.length > 150, `found only ${declared.length} declarations`);
    const missing = declared
      .filter(({ decl }) => !shown.has(`${decl.section}\0${decl.name}`))
      .map(({ module, decl }) => `[${decl.section}] ${decl.name} (src/config/${module})`);
    assert.deepEqual(missing, [], `options in no sample: add their group to src/config/sampleFiles.ts, then ${REGENERATE}`);
  });

  it('an option declared twice for one file (neutron.conf\'s debug in neutronOptions.ts and loggingOptions.ts) has one type and default there', () => {
    const shape = (decl: OptDecl) => JSON.stringify({ type: decl.type, default: typeof decl.default === 'function' ? 'computed' : decl.default });
    const conflicts: string[] = [];
    for (const file of sampleFiles) {
      const first = new Map<string, OptDecl>();
      for (const decl of file.groups.flat()) {
        const key = `[${decl.section}] ${decl.name}`;
        const earlier = first.get(key);
        if (earlier === undefined) first.set(key, decl);
        else if (shape(earlier) !== shape(decl)) conflicts.push(`${file.name}: ${key}: ${shape(earlier)} and ${shape(decl)}`);
      }
    }
    assert.deepEqual(conflicts, []);
  });

  it('an option is shown as oslo-config-generator shows it: help, type, range or choices, old names, the default', () => {
    assert.deepEqual(
      renderOption({
        section: 'DEFAULT',
        name: 'bind_port',
        type: { kind: 'port' },
        default: 9696,
        help: 'The port the API server listens on.',
        deprecatedNames: ['api_port'],
      }),
      [
        '# The port the API server listens on. (port value)',
        '# Minimum value: 1',
        '# Maximum value: 65535',
        '# Deprecated group/name - [DEFAULT]/api_port',
        '#bind_port = 9696',
      ],
    );
    assert.deepEqual(
      renderOption({ section: 'nova', name: 'endpoint_type', type: { kind: 'enum', choices: ['public', 'internal'] }, default: 'public', help: 'Which endpoint.' }),
      ['# Which endpoint. (string value)', '# Possible values:', '# public', '# internal', '#endpoint_type = public'],
    );
    assert.deepEqual(renderOption({ section: 'ml2', name: 'type_drivers', type: { kind: 'list' }, default: [], help: 'Drivers.' }), [
      '# Drivers. (list value)',
      '# Comma-separated',
      '#type_drivers =',
    ]);
    assert.deepEqual(renderOption({ section: 'database', name: 'connection', type: { kind: 'string' }, help: 'The URL.' }), [
      '# The URL. (string value)',
      '#connection = <None>',
    ]);
    const long = renderOption({ section: 'DEFAULT', name: 'x', type: { kind: 'boolean' }, default: true, help: 'word '.repeat(40) });
    assert.ok(long.every((line) => line.length <= 79), long.join('\n'));
    assert.throws(
      () => renderOption({ section: 'DEFAULT', name: 'host', type: { kind: 'string' }, default: () => 'h', help: 'Host.' }),
      /computed default needs a sampleDefault/,
    );
  });

  it('nucleon-config-generator --check agrees with the committed samples (what CI runs)', async () => {
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'src/cli/configGenerator.ts'), '--check', '--output-dir', ETC], {
        cwd: REPO,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let err = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
      child.once('error', reject);
      child.once('close', (status) => resolve({ code: status, stderr: err }));
    });
    assert.equal(code, 0, `${stderr}${REGENERATE}`);
  });
});
