/** [oslo_policy] policy_file: where it is looked for, how it is read, and the one-line errors that stop the server. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import {
  configFilesIn,
  loadPolicy,
  locatePolicyFile,
  type PolicyFileSetting,
  policyFileSetting,
  readPolicyFile,
} from '../../../src/api/policy/policyFile.js';
import { formatRule } from '../../../src/api/policy/rule.js';
import { ConfigError } from '../../../src/common/errors.js';
import type { RequestContext } from '../../../src/common/context.js';

const dir = mkdtempSync(join(tmpdir(), 'nucleon-policy-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

const optionError = (reason: string) => new ConfigError('/etc/neutron/neutron.conf', 'oslo_policy', 'policy_file', reason);
const setting = (value: string, explicit: boolean, searchDirs: string[] = [dir]): PolicyFileSetting => ({
  value,
  explicit,
  searchDirs,
  errorFor: optionError,
});
const member: RequestContext = { projectId: 'p1', userId: 'u', roles: ['member', 'reader'], isAdmin: false, requestId: 'r' };

describe('locatePolicyFile', () => {
  const exists = (paths: string[]) => (path: string) => paths.includes(path);
  it('a relative path is looked for in the directories of the configuration files, in order', () => {
    const s = setting('policy.yaml', false, ['/etc/neutron', '/etc/neutron/plugins/ml2']);
    assert.equal(locatePolicyFile(s, exists(['/etc/neutron/policy.yaml', '/etc/neutron/plugins/ml2/policy.yaml'])), '/etc/neutron/policy.yaml');
    assert.equal(locatePolicyFile(s, exists(['/etc/neutron/plugins/ml2/policy.yaml'])), '/etc/neutron/plugins/ml2/policy.yaml');
  });
  it('the default file may be absent, and is not looked for without configuration files', () => {
    assert.equal(locatePolicyFile(setting('policy.yaml', false, ['/etc/neutron']), exists([])), undefined);
    assert.equal(locatePolicyFile(setting('policy.yaml', false, []), () => true), undefined);
  });
  it('a file the operator named must exist: the error names the option and where it looked', () => {
    assert.throws(
      () => locatePolicyFile(setting('mine.yaml', true, ['/etc/neutron']), exists([])),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.message === "/etc/neutron/neutron.conf: [oslo_policy] policy_file: 'mine.yaml' does not exist (looked in /etc/neutron)",
    );
    assert.throws(() => locatePolicyFile(setting('/nowhere/policy.yaml', true), exists([])), /'\/nowhere\/policy.yaml' does not exist$/);
  });
  it('absolute paths are used as they are; explicit relative ones without config files are relative to the working directory', () => {
    assert.equal(locatePolicyFile(setting('/srv/p.json', true), exists(['/srv/p.json'])), '/srv/p.json');
    assert.equal(locatePolicyFile(setting('p.yaml', true, []), exists([join(process.cwd(), 'p.yaml')])), join(process.cwd(), 'p.yaml'));
  });
  it('policyFileSetting and configFilesIn: explicit unless the default, directories of the files named by the sources', () => {
    const sources = {
      DEFAULT: { debug: { kind: 'file', file: '/etc/neutron/neutron.conf', line: 3, name: 'debug' } as const, x: { kind: 'default' } as const },
      ml2: { type_drivers: { kind: 'file', file: '/etc/neutron/plugins/ml2/ml2_conf.ini', line: 2, name: 'type_drivers' } as const },
      database: { connection: { kind: 'override' } as const },
    };
    const files = configFilesIn(sources);
    assert.deepEqual(files, ['/etc/neutron/neutron.conf', '/etc/neutron/plugins/ml2/ml2_conf.ini']);
    const s = policyFileSetting('policy.yaml', { kind: 'default' }, files, optionError);
    assert.deepEqual([s.explicit, s.searchDirs], [false, ['/etc/neutron', '/etc/neutron/plugins/ml2']]);
    assert.equal(policyFileSetting('p', { kind: 'override' }, [], optionError).explicit, true);
  });
});

describe('readPolicyFile', () => {
  it('reads YAML and JSON maps of rule strings', () => {
    const yaml = readPolicyFile(file('a.yaml', '"create_network": "rule:admin_only"\nget_network:mtu: rule:admin_only\n'));
    assert.deepEqual([...yaml.rules.keys()], ['create_network', 'get_network:mtu']);
    assert.equal(formatRule(yaml.rules.get('create_network')!), 'rule:admin_only');
    const json = readPolicyFile(file('a.json', '{"create_network": "role:admin or role:netadmin", "regular_user": ""}'));
    assert.equal(formatRule(json.rules.get('create_network')!), '(role:admin or role:netadmin)');
    assert.equal(formatRule(json.rules.get('regular_user')!), '@');
  });
  const failures: [string, string, (path: string) => string][] = [
    ['bad.yaml', 'create_network: "role:admin or ("\n', (p) => `${p}: create_network: expected a check after '(', found the end of the rule in "role:admin or ("`],
    ['bad2.yaml', 'a: "@"\nb: role:admin and\n', (p) => `${p}: b: expected a check after 'and', found the end of the rule in "role:admin and"`],
    ['bad3.yaml', 'a: x\n  nested: y\n', (p) => `${p}: line 1: YAML reads ': ' or a final ':' in the value of 'a' as a mapping: quote it`],
    ['bad.json', '{"a": 1}', (p) => `${p}: a: the rule must be a string`],
    ['bad2.json', '{"a": ', (p) => `${p}: not valid JSON: Unexpected end of JSON input`],
  ];
  for (const [name, text, message] of failures) {
    it(`${name}: one line naming the file and the rule`, () => {
      const path = file(name, text);
      assert.throws(
        () => readPolicyFile(path),
        (err: unknown) => err instanceof ConfigError && err.message === message(path),
      );
    });
  }
  it('an unreadable file names itself', () => {
    assert.throws(() => readPolicyFile(join(dir, 'missing.yaml')), /missing\.yaml: cannot be read: ENOENT/);
  });
});

describe('loadPolicy', () => {
  it('defaults only when the default file is absent', () => {
    const policy = loadPolicy(setting('policy.yaml', false, [join(dir, 'none')]), []);
    assert.equal(policy.source, undefined);
    assert.ok(policy.checkSync('create_network', { project_id: 'p1' }, member));
  });
  it("the file's rules over the defaults", () => {
    const path = file('policy.yaml', 'create_network: rule:admin_only\n');
    const policy = loadPolicy(setting('policy.yaml', false), []);
    assert.equal(policy.source, path);
    assert.ok(!policy.checkSync('create_network', { project_id: 'p1' }, member));
  });
  it('a cycle of rule: references stops the server naming the file', () => {
    const path = file('cycle.yaml', 'admin_only: rule:context_is_admin\ncontext_is_admin: rule:admin_only\n');
    assert.throws(
      () => loadPolicy(setting(path, true), []),
      (err: unknown) => err instanceof ConfigError && err.message.startsWith(`${path}: rules refer to each other in a cycle: `),
    );
  });
});
