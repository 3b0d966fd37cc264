/**
 * The systemd units in etc/systemd/ (docs/install.md installs them): one per
 * long-running binary, each starting a bin package.json installs, with the
 * --config-file arguments of the install guide, every file one the sample
 * files cover, and systemd-analyze finding nothing wrong with them.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

import { sampleFiles } from '../../src/config/sampleFiles.js';
import { skipOrFail } from '../helpers/kernel.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const UNITS = join(REPO, 'etc/systemd');
const BIN_DIR = '/usr/local/bin';
const SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze';

const bins = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin;

/** The binaries that run as services: the server and every agent. */
const services = Object.keys(bins).filter((name) => name === 'nucleon-server' || /^nucleon-[a-z0-9-]+-agent$/.test(name)).sort();

/** Each service's own file after neutron.conf, where the install guide puts it. */
const OWN_FILE: Readonly<Record<string, string>> = {
  'nucleon-server': '/etc/neutron/plugins/ml2/ml2_conf.ini',
  'nucleon-linuxbridge-agent': '/etc/neutron/plugins/ml2/linuxbridge_agent.ini',
  'nucleon-openvswitch-agent': '/etc/neutron/plugins/ml2/openvswitch_agent.ini',
  'nucleon-dhcp-agent': '/etc/neutron/dhcp_agent.ini',
  'nucleon-metadata-agent': '/etc/neutron/metadata_agent.ini',
  'nucleon-l3-agent': '/etc/neutron/l3_agent.ini',
};

/** Upstream's units run everything as neutron; Nucleon's agents that touch the kernel have no rootwrap and run as root. */
const USER: Readonly<Record<string, string>> = {
  'nucleon-server': 'neutron',
  'nucleon-metadata-agent': 'neutron',
};

/** `Key=value` lines of a unit file, by key (a key may repeat). */
function directives(text: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (match?.[1] !== undefined && match[2] !== undefined) found.set(match[1], [...(found.get(match[1]) ?? []), match[2]]);
  }
  return found;
}

const unitText = (name: string): string => readFileSync(join(UNITS, `${name}.service`), 'utf8');

describe('systemd units (etc/systemd/*.service)', () => {
  it('there is one unit per service binary of package.json, and no other', () => {
    assert.ok(services.includes('nucleon-server') && services.includes('nucleon-dhcp-agent'), services.join(', '));
    const units = readdirSync(UNITS).filter((name) => name.endsWith('.service')).map((name) => name.replace(/\.service$/, '')).sort();
    assert.deepEqual(units, services, 'a service binary without a unit, or a unit without a binary');
  });

  for (const service of services) {
    it(`${service}.service starts ${BIN_DIR}/${service} with neutron.conf and ${basename(OWN_FILE[service] ?? '?')}`, () => {
      const unit = directives(unitText(service));
      const [execStart, ...more] = unit.get('ExecStart') ?? [];
      assert.ok(execStart !== undefined && more.length === 0, 'one ExecStart');
      const [program, ...args] = execStart.split(/\s+/);
      assert.equal(program, `${BIN_DIR}/${service}`);
      assert.ok(existsSync(join(REPO, bins[service] ?? '')), `package.json's bin ${bins[service]} exists`);

      const configFiles: string[] = [];
      for (let i = 0; i < args.length; i += 2) {
        assert.equal(args[i], '--config-file', `only --config-file arguments: ${execStart}`);
        configFiles.push(args[i + 1] ?? '');
      }
      const ownFile = OWN_FILE[service];
      assert.ok(ownFile, `${service}: add where its own file goes to OWN_FILE`);
      assert.deepEqual(configFiles, ['/etc/neutron/neutron.conf', ownFile]);
      for (const file of configFiles) {
        const sample = sampleFiles.find((s) => s.name === `${basename(file)}.sample`);
        assert.ok(sample, `${file}: no etc/${basename(file)}.sample covers it`);
        if (file !== '/etc/neutron/neutron.conf') assert.ok(sample.description.includes(file), `etc/${sample.name} says where it goes: ${file}`);
      }

      assert.deepEqual(unit.get('User'), [USER[service] ?? 'root']);
      assert.deepEqual(unit.get('WantedBy'), ['multi-user.target']);
      assert.deepEqual(unit.get('Restart'), ['on-failure']);
    });
  }

  it('the DHCP and L3 agents leave dnsmasq and haproxy running when they stop (KillMode=process, as upstream)', () => {
    for (const service of services.filter((name) => name === 'nucleon-dhcp-agent' || name === 'nucleon-l3-agent')) {
      assert.deepEqual(directives(unitText(service)).get('KillMode'), ['process'], service);
    }
  });

  it('docs/install.md installs and enables every unit', () => {
    const guide = readFileSync(join(REPO, 'docs/install.md'), 'utf8');
    for (const service of services) assert.match(guide, new RegExp(`${service}(\\.service)?\\b`), `${service} in docs/install.md`);
    assert.match(guide, /etc\/systemd\/nucleon-\*\.service/);
  });

  it('systemd-analyze verify finds nothing wrong (ExecStart pointed at the repository bin)', async (t) => {
    if (!existsSync(SYSTEMD_ANALYZE)) {
      skipOrFail(t, `${SYSTEMD_ANALYZE} is missing (Debian's systemd package)`);
      return;
    }
    const dir = await mkdtemp(join(tmpdir(), 'nucleon-units-'));
    try {
      for (const service of services) {
        const text = unitText(service).replace(`${BIN_DIR}/${service}`, join(REPO, bins[service] ?? ''));
        await writeFile(join(dir, `${service}.service`), text);
      }
      const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
        const child = spawn(SYSTEMD_ANALYZE, ['verify', ...services.map((s) => join(dir, `${s}.service`))], { stdio: ['ignore', 'pipe', 'pipe'] });
        let text = '';
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        child.once('error', reject);
        child.once('close', (status) => resolve({ code: status, output: text }));
      });
      assert.equal(code, 0, output);
      assert.equal(output.trim(), '', output);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
