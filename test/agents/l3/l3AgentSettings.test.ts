/** l3_agent.ini + neutron.conf to the L3 agent's settings: Neutron's defaults, both interface drivers, and errors naming file, section and option. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { l3AgentSettings } from '../../../src/agents/l3/settings.js';
import { ConfigError } from '../../../src/common/errors.js';
import { l3AgentOptions } from '../../../src/config/l3AgentOptions.js';
import { loadAgentConfig } from '../../../src/server/agentProcess.js';
import { l3AgentGroups } from '../../../src/server/l3Agent.js';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nucleon-l3cfg-'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function settingsFrom(ini: string) {
  const file = join(dir, `l3_agent-${Math.random().toString(36).slice(2)}.ini`);
  await writeFile(file, ini);
  const { loaded } = loadAgentConfig('nucleon-l3-agent', ['--config-file', file], l3AgentGroups);
  return { settings: () => l3AgentSettings(loaded), file };
}

test("Neutron's defaults: legacy, internal-only routers handled, metadata proxy on 9697, 40 s periodic pass", async () => {
  const { settings } = await settingsFrom('[DEFAULT]\nstate_path = /var/lib/nt\nhost = net-1\n');
  assert.deepEqual(settings(), {
    host: 'net-1',
    interfaceDriver: 'linuxbridge',
    handleInternalOnlyRouters: true,
    namespacePrefix: 'qrouter-',
    metadataProxy: { port: 9697, socketPath: '/var/lib/nt/metadata_proxy' },
    metadataStateDir: '/var/lib/nt/ns-metadata-proxy',
    periodicIntervalMs: 40_000,
    settleMs: 100,
    reportIntervalMs: 30_000,
    availabilityZone: 'nova',
    logAgentHeartbeats: false,
  });
});

test("the install guide's l3_agent.ini, and the options it may change", async () => {
  const { settings } = await settingsFrom(
    [
      '[DEFAULT]',
      'interface_driver = neutron.agent.linux.interface.BridgeInterfaceDriver',
      'external_network_bridge =',
      'handle_internal_only_routers = false',
      'enable_metadata_proxy = false',
      'periodic_interval = 5',
      '[agent]',
      'report_interval = 10',
    ].join('\n'),
  );
  const s = settings();
  assert.equal(s.interfaceDriver, 'neutron.agent.linux.interface.BridgeInterfaceDriver');
  assert.equal(s.handleInternalOnlyRouters, false);
  assert.equal(s.metadataProxy, undefined);
  assert.equal(s.periodicIntervalMs, 5_000);
  assert.equal(s.reportIntervalMs, 10_000);
});

test('interface_driver openvswitch: the taps join [ovs] integration_bridge, with Open vSwitch defaults when [ovs] is silent', async () => {
  for (const driver of ['openvswitch', 'neutron.agent.linux.interface.OVSInterfaceDriver']) {
    const { settings } = await settingsFrom(`[DEFAULT]\ninterface_driver = ${driver}\n`);
    const s = settings();
    assert.equal(s.interfaceDriver, driver);
    assert.deepEqual(s.ovs, { bridge: 'br-int', connection: 'unix:/var/run/openvswitch/db.sock' });
  }
  const { settings } = await settingsFrom('[DEFAULT]\ninterface_driver = openvswitch\n[ovs]\nintegration_bridge = br-int2\novsdb_connection = tcp:127.0.0.1:6640\n');
  assert.deepEqual(settings().ovs, { bridge: 'br-int2', connection: 'tcp:127.0.0.1:6640' });
});

test('interface_driver linuxbridge ignores [ovs]: nothing is plugged into Open vSwitch', async () => {
  const { settings } = await settingsFrom('[DEFAULT]\ninterface_driver = linuxbridge\n[ovs]\nintegration_bridge = br-int2\n');
  assert.equal(settings().ovs, undefined);
});

test('a process that does not load [ovs] (the all-in-one) still gets the Open vSwitch defaults', async () => {
  const file = join(dir, 'l3_agent-noovs.ini');
  await writeFile(file, '[DEFAULT]\ninterface_driver = openvswitch\n');
  const { loaded } = loadAgentConfig('nucleon-l3-agent', ['--config-file', file], [l3AgentOptions]);
  assert.deepEqual(l3AgentSettings(loaded).ovs, { bridge: 'br-int', connection: 'unix:/var/run/openvswitch/db.sock' });
});

for (const [line, option, reason] of [
  ['interface_driver = macvtap', 'interface_driver', /unknown interface driver "macvtap"/],
  ['agent_mode = dvr', 'agent_mode', /dvr \(distributed routers\) is not implemented; use legacy/],
  ['agent_mode = dvr_snat', 'agent_mode', /dvr_snat/],
  ['external_network_bridge = br-ex', 'external_network_bridge', /deprecated and not supported \("br-ex"\)/],
] as const) {
  test(`refused: ${line}`, async () => {
    const { settings, file } = await settingsFrom(`[DEFAULT]\n${line}\n`);
    assert.throws(settings, (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.file, file);
      assert.equal(err.section, 'DEFAULT');
      assert.equal(err.option, option);
      assert.match(err.message, reason);
      return true;
    });
  });
}

test('an agent mode Neutron does not know stops the loader itself', async () => {
  await assert.rejects(settingsFrom('[DEFAULT]\nagent_mode = distributed\n'), ConfigError);
});
