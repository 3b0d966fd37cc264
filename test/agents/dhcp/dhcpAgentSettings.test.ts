/** dhcp_agent.ini + neutron.conf to the DHCP agent's settings: Neutron's defaults, the book's file, errors naming file, section and option. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { ConfigError } from '../../../src/common/errors.js';
import { loadAgentConfig } from '../../../src/server/agentProcess.js';
import { dhcpAgentGroups, dhcpAgentSettings } from '../../../src/server/dhcpAgent.js';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nucleon-dhcpcfg-'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function settingsFrom(ini: string) {
  const file = join(dir, `dhcp_agent-${Math.random().toString(36).slice(2)}.ini`);
  await writeFile(file, ini);
  const { loaded } = loadAgentConfig('nucleon-dhcp-agent', ['--config-file', file], dhcpAgentGroups);
  return { settings: dhcpAgentSettings(loaded), file };
}

test("Neutron's defaults: files under $state_path/dhcp, 5 s resync, no metadata, 86400 s leases, openstacklocal", async () => {
  const { settings } = await settingsFrom('[DEFAULT]\nstate_path = /var/lib/nt\nhost = node-1\n');
  assert.equal(settings.dhcpConfs, '/var/lib/nt/dhcp');
  assert.equal(settings.resyncIntervalMs, 5_000);
  assert.equal(settings.metadataProxySocket, '/var/lib/nt/metadata_proxy');
  assert.deepEqual(settings.metadata, { enableIsolatedMetadata: false, forceMetadata: false, enableMetadataNetwork: false });
  assert.deepEqual(settings.command, {
    leaseDuration: 86400,
    dnsServers: [],
    localResolv: false,
    leaseMax: 2 ** 24,
    configFile: '',
    dnsDomain: 'openstacklocal',
    broadcastReply: false,
  });
  assert.equal(settings.dhcpDriver, 'neutron.agent.linux.dhcp.Dnsmasq');
  assert.equal(settings.reportIntervalMs, 30_000);
});

test("the install guide's dhcp_agent.ini", async () => {
  const { settings } = await settingsFrom(
    [
      '[DEFAULT]',
      'interface_driver = linuxbridge',
      'dhcp_driver = neutron.agent.linux.dhcp.Dnsmasq',
      'enable_isolated_metadata = true',
      'dnsmasq_dns_servers = 8.8.8.8, 8.8.4.4',
      'dhcp_lease_duration = -1',
      'dns_domain = example.org',
      'dnsmasq_base_log_dir = /var/log/neutron/dnsmasq',
    ].join('\n'),
  );
  assert.equal(settings.metadata.enableIsolatedMetadata, true);
  assert.equal(settings.files.enableIsolatedMetadata, true);
  assert.deepEqual(settings.command.dnsServers, ['8.8.8.8', '8.8.4.4']);
  assert.equal(settings.command.leaseDuration, -1);
  assert.equal(settings.command.dnsDomain, 'example.org');
  assert.equal(settings.command.baseLogDir, '/var/log/neutron/dnsmasq');
});

test('openvswitch and the class paths are accepted as interface drivers', async () => {
  for (const driver of ['openvswitch', 'neutron.agent.linux.interface.BridgeInterfaceDriver', 'neutron.agent.linux.interface.OVSInterfaceDriver']) {
    await settingsFrom(`[DEFAULT]\ninterface_driver = ${driver}\n`);
  }
});

test('bad values stop the agent naming the file, section and option', async () => {
  const file = join(dir, 'bad-driver.ini');
  await writeFile(file, '[DEFAULT]\ninterface_driver = macvtap\n');
  const { loaded } = loadAgentConfig('nucleon-dhcp-agent', ['--config-file', file], dhcpAgentGroups);
  assert.throws(
    () => dhcpAgentSettings(loaded),
    (err: unknown) => err instanceof ConfigError && err.message.includes(file) && err.message.includes('[DEFAULT] interface_driver') && err.message.includes('macvtap'),
  );
  await assert.rejects(
    settingsFrom('[DEFAULT]\ndhcp_driver = neutron.agent.linux.dhcp.Kea\n'),
    (err: unknown) => err instanceof ConfigError && err.message.includes('[DEFAULT] dhcp_driver'),
  );
  await assert.rejects(
    settingsFrom('[DEFAULT]\nresync_interval = 0\n'),
    (err: unknown) => err instanceof ConfigError && err.message.includes('resync_interval'),
  );
  await assert.rejects(
    settingsFrom('[DEFAULT]\nenable_isolated_metadata = perhaps\n'),
    (err: unknown) => err instanceof ConfigError && err.message.includes('enable_isolated_metadata'),
  );
});

test('interface_driver openvswitch plugs into [ovs] integration_bridge through [ovs] ovsdb_connection (Open vSwitch\'s defaults otherwise)', async () => {
  assert.deepEqual((await settingsFrom('[DEFAULT]\ninterface_driver = openvswitch\n')).settings.ovs, { bridge: 'br-int', connection: 'unix:/var/run/openvswitch/db.sock' });
  const { settings } = await settingsFrom('[DEFAULT]\ninterface_driver = neutron.agent.linux.interface.OVSInterfaceDriver\n[ovs]\nintegration_bridge = br-x\novsdb_connection = tcp:127.0.0.1:6640\n');
  assert.deepEqual(settings.ovs, { bridge: 'br-x', connection: 'tcp:127.0.0.1:6640' });
  assert.equal((await settingsFrom('[DEFAULT]\ninterface_driver = linuxbridge\n')).settings.ovs, undefined);
});
