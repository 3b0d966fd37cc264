import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/common/errors.js';
import { loadConfig } from '../../src/config/load.js';
import { neutronOptionGroups } from '../../src/config/neutronOptions.js';
import type { OptionGroup } from '../../src/config/types.js';

const dir = mkdtempSync(join(tmpdir(), 'nucleon-config-'));
let counter = 0;
/** Writes `text` to a fresh file and returns its path. */
function conf(text: string, name = `f${++counter}.conf`): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** A stand-in for a later part of the project declaring its own file's options (ML2). */
const ml2Options = [
  { section: 'ml2', name: 'type_drivers', type: { kind: 'list' }, default: ['local', 'flat', 'vlan', 'vxlan'], help: 'Type drivers.' },
  {
    section: 'ml2',
    name: 'project_network_types',
    type: { kind: 'list' },
    default: ['local'],
    help: 'Network types for project networks.',
    deprecatedNames: ['tenant_network_types'],
  },
  { section: 'ml2', name: 'mechanism_drivers', type: { kind: 'list' }, default: [], help: 'Mechanism drivers.' },
  { section: 'ml2', name: 'path_mtu', type: { kind: 'integer', min: 0 }, default: 0, help: 'Path MTU.' },
  { section: 'linux_bridge', name: 'physical_interface_mappings', type: { kind: 'dict' }, default: {}, help: 'physnet:iface.' },
  { section: 'ml2', name: 'ratio', type: { kind: 'float', min: 0, max: 1 }, help: 'A float, for tests.' },
] as const satisfies OptionGroup;

const groups = [...neutronOptionGroups, ml2Options] as const;

/** Runs `fn` expecting a ConfigError; returns it for more asserts. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  assert.fail('expected a ConfigError');
}

describe('loadConfig: defaults and types', () => {
  it('gives declared defaults with no files, typed', () => {
    const { config, warnings, sources } = loadConfig({ files: [], groups });
    assert.equal(config.DEFAULT.bind_port, 9696);
    assert.equal(config.DEFAULT.bind_host, '0.0.0.0');
    assert.deepEqual(config.DEFAULT.service_plugins, []);
    assert.equal(config.DEFAULT.allow_overlapping_ips, true);
    assert.equal(config.DEFAULT.auth_strategy, 'keystone');
    assert.equal(config.DEFAULT.transport_url, undefined);
    assert.equal(config.database.connection, undefined);
    assert.equal(config.quotas.quota_port, 500);
    assert.equal(config.agent.report_interval, 30);
    assert.deepEqual(config.ml2.type_drivers, ['local', 'flat', 'vlan', 'vxlan']);
    assert.deepEqual(config.linux_bridge.physical_interface_mappings, {});
    assert.deepEqual(warnings, []);
    assert.deepEqual(sources.DEFAULT.bind_port, { kind: 'default' });
  });

  it('interpolates defaults: [oslo_concurrency] lock_path follows [DEFAULT] state_path', () => {
    const file = conf('[DEFAULT]\nstate_path = /srv/neutron\n');
    const { config } = loadConfig({ files: [file], groups });
    assert.equal(config.oslo_concurrency.lock_path, '/srv/neutron/lock');
  });

  it('converts each type from a file', () => {
    const file = conf(
      [
        '[DEFAULT]',
        'bind_port = 9797',
        'debug = Yes',
        'allow_bulk = off',
        'service_plugins = router, segments,,',
        'base_mac = FA:16:3E:4F:00:00',
        'auth_strategy = noauth',
        'transport_url = memory://',
        'api_workers = 0',
        '[ml2]',
        'ratio = 0.25',
        '[linux_bridge]',
        'physical_interface_mappings = provider:eth1, physnet2:eth2',
      ].join('\n'),
    );
    const { config } = loadConfig({ files: [file], groups });
    assert.equal(config.DEFAULT.bind_port, 9797);
    assert.equal(config.DEFAULT.debug, true);
    assert.equal(config.DEFAULT.allow_bulk, false);
    assert.deepEqual(config.DEFAULT.service_plugins, ['router', 'segments']);
    assert.equal(config.DEFAULT.base_mac, 'fa:16:3e:4f:00:00');
    assert.equal(config.DEFAULT.auth_strategy, 'noauth');
    assert.equal(config.DEFAULT.transport_url, 'memory://');
    assert.equal(config.DEFAULT.api_workers, 0);
    assert.equal(config.ml2.ratio, 0.25);
    assert.deepEqual(config.linux_bridge.physical_interface_mappings, { provider: 'eth1', physnet2: 'eth2' });
  });

  it('reads an empty numeric value as unset (the default applies), an empty string as empty', () => {
    const file = conf('[DEFAULT]\nbind_port =\napi_workers =\ndns_domain =\n');
    const { config, sources } = loadConfig({ files: [file], groups });
    assert.equal(config.DEFAULT.bind_port, 9696);
    assert.deepEqual(sources.DEFAULT.bind_port, { kind: 'default' });
    assert.equal(config.DEFAULT.api_workers, undefined);
    assert.equal(config.DEFAULT.dns_domain, '');
  });

  it('computes the host default only when needed', () => {
    let calls = 0;
    const hostGroup = [
      { section: 'DEFAULT', name: 'host', type: { kind: 'string' }, default: () => `h${++calls}`, help: 'Host.' },
    ] as const satisfies OptionGroup;
    const set = conf('[DEFAULT]\nhost = network1\n');
    assert.equal(loadConfig({ files: [set], groups: [hostGroup] }).config.DEFAULT.host, 'network1');
    assert.equal(calls, 0);
    assert.equal(loadConfig({ files: [], groups: [hostGroup] }).config.DEFAULT.host, 'h1');
    assert.equal(calls, 1);
  });

  it('defaults [DEFAULT] host to a non-empty host name', () => {
    const { config } = loadConfig({ files: [], groups });
    assert.equal(typeof config.DEFAULT.host, 'string');
    assert.notEqual(config.DEFAULT.host, '');
  });
});

describe('loadConfig: merging', () => {
  it('merges several files in order, a later file wins, per option', () => {
    const a = conf('[DEFAULT]\nbind_port = 1111\ndebug = true\n[quotas]\nquota_port = 1\n');
    const b = conf('[DEFAULT]\nbind_port = 2222\n[QUOTAS]\nquota_network = 2\n');
    const { config, sources } = loadConfig({ files: [a, b], groups });
    assert.equal(config.DEFAULT.bind_port, 2222);
    assert.equal(config.DEFAULT.debug, true);
    assert.equal(config.quotas.quota_port, 1);
    assert.equal(config.quotas.quota_network, 2);
    assert.deepEqual(sources.DEFAULT.bind_port, { kind: 'file', file: b, line: 2, name: 'bind_port' });
    assert.deepEqual(sources.DEFAULT.debug, { kind: 'file', file: a, line: 3, name: 'debug' });
    const reversed = loadConfig({ files: [b, a], groups });
    assert.equal(reversed.config.DEFAULT.bind_port, 1111);
  });

  it('takes the last of a repeated key, and merges repeated sections, within one file', () => {
    const file = conf('[DEFAULT]\ndebug = true\n[database]\nmax_retries = 3\n[DEFAULT]\ndebug = false\ndebug = 1\n');
    const { config, sources } = loadConfig({ files: [file], groups });
    assert.equal(config.DEFAULT.debug, true);
    assert.equal(config.database.max_retries, 3);
    assert.deepEqual(sources.DEFAULT.debug, { kind: 'file', file, line: 7, name: 'debug' });
  });

  it('reads continuation lines and skips comments', () => {
    const file = conf(
      '# header\n[ml2]\n; a comment\nmechanism_drivers = linuxbridge,\n    l2population\n#mechanism_drivers = ovs\ntype_drivers = flat\n',
    );
    const { config } = loadConfig({ files: [file], groups });
    assert.deepEqual(config.ml2.mechanism_drivers, ['linuxbridge', 'l2population']);
    assert.deepEqual(config.ml2.type_drivers, ['flat']);
  });

  it('lets groups from other parts of the project load their own files with neutron.conf', () => {
    const neutron = conf('[DEFAULT]\ncore_plugin = ml2\n');
    const ml2 = conf('[ml2]\ntype_drivers = flat,vlan,vxlan\nmechanism_drivers = linuxbridge\n');
    const { config, warnings } = loadConfig({ files: [neutron, ml2], groups });
    assert.deepEqual(config.ml2.type_drivers, ['flat', 'vlan', 'vxlan']);
    assert.deepEqual(warnings, []);
  });
});

describe('loadConfig: deprecated names', () => {
  it('accepts a deprecated name with a warning', () => {
    const file = conf('[ml2]\ntenant_network_types = vxlan\n[keystone_authtoken]\nauth_uri = http://controller:5000\n');
    const { config, warnings, sources } = loadConfig({ files: [file], groups });
    assert.deepEqual(config.ml2.project_network_types, ['vxlan']);
    assert.equal(config.keystone_authtoken.www_authenticate_uri, 'http://controller:5000');
    assert.deepEqual(sources.ml2.project_network_types, { kind: 'file', file, line: 2, name: 'tenant_network_types' });
    assert.deepEqual(warnings, [
      `${file}: [ml2] tenant_network_types: deprecated name, use [ml2] project_network_types (line 2)`,
      `${file}: [keystone_authtoken] auth_uri: deprecated name, use [keystone_authtoken] www_authenticate_uri (line 4)`,
    ]);
  });

  it('prefers the current name within one file, whatever the order', () => {
    const file = conf('[ml2]\nproject_network_types = vlan\ntenant_network_types = vxlan\n');
    assert.deepEqual(loadConfig({ files: [file], groups }).config.ml2.project_network_types, ['vlan']);
  });

  it('lets a later file with the deprecated name win over an earlier file', () => {
    const a = conf('[ml2]\nproject_network_types = vlan\n');
    const b = conf('[ml2]\ntenant_network_types = vxlan\n');
    assert.deepEqual(loadConfig({ files: [a, b], groups }).config.ml2.project_network_types, ['vxlan']);
  });

  it('accepts a deprecated name in another section', () => {
    const file = conf('[DEFAULT]\nsql_connection = sqlite://\n');
    const { config, warnings } = loadConfig({ files: [file], groups });
    assert.equal(config.database.connection, 'sqlite://');
    assert.equal(warnings.length, 1);
  });

  it('names the deprecated spelling in an error about its value', () => {
    const file = conf('[ml2]\n[keystone_authtoken]\nauth_uri = controller:5000\n');
    const error = configError(() => loadConfig({ files: [file], groups }));
    assert.equal(error.option, 'auth_uri');
    assert.equal(error.file, file);
  });
});

describe('loadConfig: interpolation', () => {
  it('resolves $name and ${name}: same section first, then DEFAULT; $$ is a literal $', () => {
    const file = conf(
      [
        '[DEFAULT]',
        'state_path = /srv/n',
        'log_dir = ${state_path}/log',
        'host = ctl',
        '[nova]',
        'username = svc',
        'password = $username-$host-pa$$',
        '[oslo_concurrency]',
        'lock_path = $state_path/lock',
      ].join('\n'),
    );
    const { config } = loadConfig({ files: [file], groups });
    assert.equal(config.DEFAULT.log_dir, '/srv/n/log');
    assert.equal(config.nova.password, 'svc-ctl-pa$');
    assert.equal(config.oslo_concurrency.lock_path, '/srv/n/lock');
  });

  it('resolves ${section.name} and references across files, using the merged value', () => {
    const a = conf('[DEFAULT]\nstate_path = /a\n[nova]\nregion_name = R1\n');
    const b = conf('[DEFAULT]\nstate_path = /b\nlog_dir = $state_path/${nova.region_name}\n');
    assert.equal(loadConfig({ files: [a, b], groups }).config.DEFAULT.log_dir, '/b/R1');
  });

  it('interpolates before converting, so a number can come from a reference', () => {
    const file = conf('[DEFAULT]\nagent_down_time = $rpc_response_timeout\nrpc_response_timeout = 40\n');
    assert.equal(loadConfig({ files: [file], groups }).config.DEFAULT.agent_down_time, 40);
  });

  it('substitutes an unset option as empty', () => {
    const file = conf('[DEFAULT]\nlog_dir = /x$log_file\n');
    assert.equal(loadConfig({ files: [file], groups }).config.DEFAULT.log_dir, '/x');
  });

  it('fails on an unknown reference, naming file, section and option', () => {
    const file = conf('[database]\nconnection = mysql+pymysql://neutron:pa$word@controller/neutron\n');
    const error = configError(() => loadConfig({ files: [file], groups }));
    assert.equal(
      error.message,
      `${file}: [database] connection: 'mysql+pymysql://neutron:pa$word@controller/neutron' refers to $word, which is not a known option (write $$ for a literal $)`,
    );
  });

  it('fails on a reference cycle instead of looping', () => {
    const file = conf('[DEFAULT]\nlog_dir = $log_file\nlog_file = $log_dir\n');
    const error = configError(() => loadConfig({ files: [file], groups }));
    assert.match(error.message, /refers back to itself/);
    assert.equal(error.file, file);
  });
});

describe('loadConfig: warnings for unknown options and sections', () => {
  it('warns once per unknown option and per unknown section, and still loads', () => {
    const file = conf(
      [
        '[DEFAULT]',
        'bind_port = 9797',
        'no_such_option = 1',
        '[made_up]',
        'a = 1',
        'b = 2',
        '[cors]',
        '[database]',
        'connection = sqlite://',
      ].join('\n'),
    );
    const { config, warnings } = loadConfig({ files: [file], groups });
    assert.equal(config.DEFAULT.bind_port, 9797);
    assert.equal(config.database.connection, 'sqlite://');
    assert.deepEqual(warnings, [
      `${file}: [DEFAULT] no_such_option: unknown option, ignored (line 3)`,
      `${file}: [made_up]: unknown section, ignored (line 5)`,
    ]);
  });

  it('treats [default] (lower case) as an unknown section, as oslo does', () => {
    const file = conf('[default]\ndebug = true\n');
    const { config, warnings } = loadConfig({ files: [file], groups });
    assert.equal(config.DEFAULT.debug, false);
    assert.deepEqual(warnings, [`${file}: [default]: unknown section, ignored (line 2)`]);
  });
});

describe('loadConfig: bad values stop with a ConfigError naming file, section and option', () => {
  const cases: { name: string; text: string; section: string; option: string; message: string }[] = [
    {
      name: 'integer',
      text: '[DEFAULT]\nbind_port = abc\n',
      section: 'DEFAULT',
      option: 'bind_port',
      message: "[DEFAULT] bind_port: 'abc' is not an integer",
    },
    {
      name: 'port out of range',
      text: '[DEFAULT]\nbind_port = 70000\n',
      section: 'DEFAULT',
      option: 'bind_port',
      message: "[DEFAULT] bind_port: '70000' is greater than the maximum 65535",
    },
    {
      name: 'integer below its minimum',
      text: '[DEFAULT]\napi_workers = -1\n',
      section: 'DEFAULT',
      option: 'api_workers',
      message: "[DEFAULT] api_workers: '-1' is less than the minimum 0",
    },
    {
      name: 'boolean',
      text: '[DEFAULT]\ndebug = sure\n',
      section: 'DEFAULT',
      option: 'debug',
      message: "[DEFAULT] debug: 'sure' is not a boolean (use true/false, yes/no, on/off or 1/0)",
    },
    {
      name: 'float',
      text: '[AGENT]\nreport_interval = soon\n',
      section: 'agent',
      option: 'report_interval',
      message: "[agent] report_interval: 'soon' is not a number",
    },
    {
      name: 'mac',
      text: '[DEFAULT]\nbase_mac = fa:16:3e:00:00\n',
      section: 'DEFAULT',
      option: 'base_mac',
      message: "[DEFAULT] base_mac: 'fa:16:3e:00:00' is not a MAC address like fa:16:3e:00:00:00",
    },
    {
      name: 'enum',
      text: '[DEFAULT]\nauth_strategy = basic\n',
      section: 'DEFAULT',
      option: 'auth_strategy',
      message: "[DEFAULT] auth_strategy: 'basic' is not one of keystone, noauth",
    },
    {
      name: 'transport_url scheme',
      text: '[DEFAULT]\ntransport_url = kafka://controller\n',
      section: 'DEFAULT',
      option: 'transport_url',
      message:
        "[DEFAULT] transport_url: 'kafka://controller' has unsupported scheme 'kafka' (supported: rabbit, amqp, memory)",
    },
    {
      name: 'database URL scheme',
      text: '[database]\nconnection = oracle://neutron@controller/neutron\n',
      section: 'database',
      option: 'connection',
      message: "[database] connection: 'oracle://neutron@controller/neutron' has unsupported scheme 'oracle'",
    },
    {
      name: 'not a URL',
      text: '[keystone_authtoken]\nauth_url = controller:5000\n',
      section: 'keystone_authtoken',
      option: 'auth_url',
      message: "[keystone_authtoken] auth_url: 'controller:5000' is not a URL (expected scheme://...)",
    },
    {
      name: 'dict',
      text: '[linux_bridge]\nphysical_interface_mappings = provider\n',
      section: 'linux_bridge',
      option: 'physical_interface_mappings',
      message: "[linux_bridge] physical_interface_mappings: 'provider' is not a dict: item 'provider' is not 'key:value'",
    },
    {
      name: 'syntax',
      text: '[DEFAULT]\nbind_port 9696\n',
      section: 'DEFAULT',
      option: 'line 2',
      message: "[DEFAULT] line 2: expected 'name = value', got 'bind_port 9696'",
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const good = conf('[DEFAULT]\ndebug = true\n');
      const file = conf(c.text);
      const error = configError(() => loadConfig({ files: [good, file], groups }));
      assert.equal(error.file, file);
      assert.equal(error.section, c.section);
      assert.equal(error.option, c.option);
      assert.ok(error.message.startsWith(`${file}: ${c.message}`), error.message);
      assert.ok(!error.message.includes('\n'), 'one line');
    });
  }

  it('reports a missing file as a ConfigError', () => {
    const missing = join(dir, 'nope', 'neutron.conf');
    const error = configError(() => loadConfig({ files: [conf('[DEFAULT]\n'), missing], groups }));
    assert.equal(error.message, `${missing}: no such file`);
  });

  it('reports a directory given as a file', () => {
    const sub = join(dir, 'a-dir');
    mkdirSync(sub);
    const error = configError(() => loadConfig({ files: [sub], groups }));
    assert.equal(error.message, `${sub}: is a directory, not a file`);
  });
});

describe('loadConfig: overrides', () => {
  const overrides = {
    DEFAULT: { bind_host: '127.0.0.1', auth_strategy: 'noauth', bind_port: 19696, service_plugins: ['router'] },
    database: { connection: 'sqlite:///$state_path/nucleon.sqlite' },
  } as const;

  it('replace declared defaults', () => {
    const { config, sources } = loadConfig({ files: [], groups, overrides });
    assert.equal(config.DEFAULT.bind_host, '127.0.0.1');
    assert.equal(config.DEFAULT.auth_strategy, 'noauth');
    assert.equal(config.DEFAULT.bind_port, 19696);
    assert.deepEqual(config.DEFAULT.service_plugins, ['router']);
    assert.equal(config.database.connection, 'sqlite:////var/lib/neutron/nucleon.sqlite');
    assert.deepEqual(sources.DEFAULT.bind_host, { kind: 'override' });
  });

  it('lose to any file', () => {
    const file = conf('[DEFAULT]\nauth_strategy = keystone\nstate_path = /srv\n');
    const { config, sources } = loadConfig({ files: [file], groups, overrides });
    assert.equal(config.DEFAULT.auth_strategy, 'keystone');
    assert.equal(config.DEFAULT.bind_host, '127.0.0.1');
    assert.equal(config.database.connection, 'sqlite:////srv/nucleon.sqlite');
    assert.equal(sources.DEFAULT.auth_strategy.kind, 'file');
  });

  it('are validated like file values', () => {
    const error = configError(() =>
      loadConfig({ files: [], groups, overrides: { DEFAULT: { transport_url: 'kafka://x' } } }),
    );
    assert.equal(error.file, undefined);
    assert.match(error.message, /^<defaults>: \[DEFAULT\] transport_url: 'kafka:\/\/x' has unsupported scheme/);
  });
});

describe('loadConfig: errors built by callers', () => {
  it('errorFor names the file the value came from', () => {
    const file = conf('[DEFAULT]\nagent_down_time = 20\n');
    const loaded = loadConfig({ files: [file], groups });
    const error = loaded.errorFor('DEFAULT', 'agent_down_time', 'must be at least twice [agent] report_interval');
    assert.equal(error.message, `${file}: [DEFAULT] agent_down_time: must be at least twice [agent] report_interval`);
    assert.equal(loaded.errorFor('DEFAULT', 'bind_port', 'x').file, undefined);
  });

  it('required() returns a set value and fails on an unset one, naming the last file', () => {
    const a = conf('[database]\nconnection = postgresql://n:p@db/neutron\n');
    assert.equal(loadConfig({ files: [a], groups }).required('database', 'connection'), 'postgresql://n:p@db/neutron');
    const b = conf('[DEFAULT]\n');
    const error = configError(() => loadConfig({ files: [b], groups }).required('database', 'connection'));
    assert.equal(error.message, `${b}: [database] connection: is required but not set`);
  });
});
