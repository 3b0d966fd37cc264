/**
 * linuxbridge_agent.ini to the agent's settings: defaults, mappings, VXLAN,
 * and the errors that stop the agent naming file, section and option
 * (enable_vxlan without local_ip as Neutron's agent refuses it).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';

import { ConfigError } from '../../../src/common/errors.js';
import { dhcpAgentOptions } from '../../../src/config/dhcpAgentOptions.js';
import { linuxbridgeAgentOptions } from '../../../src/config/linuxbridgeAgentOptions.js';
import { loadConfig } from '../../../src/config/load.js';
import { securityGroupOptions } from '../../../src/config/securityGroupOptions.js';
import { agentBaseGroups, loadAgentConfig } from '../../../src/server/agentProcess.js';
import { linuxbridgeAgentGroups, linuxBridgeAgentSettings } from '../../../src/server/linuxbridgeAgent.js';

const dir = mkdtempSync(join(tmpdir(), 'nucleon-lb-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function settingsOf(ini: string) {
  const file = join(dir, `lb${files++}.ini`);
  writeFileSync(file, ini);
  return { file, settings: () => linuxBridgeAgentSettings(loadAgentConfig('nucleon-linuxbridge-agent', ['--config-file', file], linuxbridgeAgentGroups).loaded) };
}

function refused(ini: string, option: string, reason: RegExp): void {
  const { file, settings } = settingsOf(ini);
  assert.throws(settings, (err: unknown) => {
    assert.ok(err instanceof ConfigError, String(err));
    assert.equal(err.option, option);
    assert.match(err.reason, reason);
    if (err.file !== undefined) assert.equal(err.file, file);
    return true;
  });
}

describe('Linux bridge agent settings', () => {
  it('reads mappings, VXLAN and intervals', () => {
    const { settings } = settingsOf(
      [
        '[DEFAULT]',
        'host = compute1',
        '[linux_bridge]',
        'physical_interface_mappings = provider:eth1, physnet2:eth2',
        'bridge_mappings = ext:br-ex',
        '[vxlan]',
        'local_ip = 192.0.2.10',
        'l2_population = true',
        'arp_responder = true',
        'ttl = 16',
        'udp_dstport = 8472',
        '[agent]',
        'polling_interval = 3',
        'report_interval = 10',
      ].join('\n'),
    );
    assert.deepEqual(settings(), {
      host: 'compute1',
      interfaceMappings: { provider: 'eth1', physnet2: 'eth2' },
      bridgeMappings: { ext: 'br-ex' },
      vxlan: { localIp: '192.0.2.10', l2Population: true, arpResponder: true, ttl: 16, group: '224.0.0.1', dstPort: 8472 },
      pollingIntervalMs: 3000,
      reportIntervalMs: 10000,
      availabilityZone: 'nova',
      logHeartbeats: false,
      firewall: 'noop',
    });
  });

  it('a configuration loaded with more option groups (the all-in-one) fits too', () => {
    const file = join(dir, 'allinone.ini');
    writeFileSync(file, '[vxlan]\nlocal_ip = 127.0.0.1\nl2_population = true\n');
    const loaded = loadConfig({ files: [file], groups: [...agentBaseGroups, linuxbridgeAgentOptions, securityGroupOptions, dhcpAgentOptions] });
    assert.equal(linuxBridgeAgentSettings(loaded).vxlan?.localIp, '127.0.0.1');
  });

  it('VXLAN off needs no local_ip', () => {
    const { settings } = settingsOf('[vxlan]\nenable_vxlan = false\n');
    assert.equal(settings().vxlan, undefined);
    assert.equal(settings().pollingIntervalMs, 2000);
  });

  it('[securitygroup] firewall_driver: Neutron\'s names filter statefully, noop and enable_security_group = false do not', () => {
    const firewall = (lines: string) => settingsOf(`[vxlan]\nenable_vxlan = false\n[securitygroup]\n${lines}\n`).settings().firewall;
    assert.equal(firewall(''), 'noop');
    assert.equal(firewall('firewall_driver = iptables'), 'stateful');
    assert.equal(firewall('firewall_driver = neutron.agent.linux.iptables_firewall.IptablesFirewallDriver'), 'stateful');
    assert.equal(firewall('firewall_driver = iptables_hybrid'), 'stateful');
    assert.equal(firewall('firewall_driver = nftables'), 'stateful');
    assert.equal(firewall('firewall_driver = iptables\nenable_security_group = false'), 'noop');
  });

  it('refuses bad values, naming the option', () => {
    refused('[vxlan]\nenable_vxlan = false\n[securitygroup]\nfirewall_driver = pf\n', 'firewall_driver', /'pf' is not a firewall driver \(noop, iptables, iptables_hybrid, nftables, openvswitch\)/);
    refused('[vxlan]\nenable_vxlan = false\n[securitygroup]\nfirewall_driver = openvswitch\n', 'firewall_driver', /filters with Open vSwitch flows/);
    refused('[vxlan]\nenable_vxlan = true\n', 'local_ip', /VXLAN is enabled, a valid local_ip must be provided/);
    refused('[vxlan]\nlocal_ip = 10.0.0.300\n', 'local_ip', /not an IP address/);
    refused('[vxlan]\nlocal_ip = 10.0.0.1\nvxlan_group = 10.0.0.2\n', 'vxlan_group', /not a multicast address/);
    refused('[vxlan]\nlocal_ip = 10.0.0.1\narp_responder = true\n', 'arp_responder', /needs l2_population/);
    refused('[vxlan]\nlocal_ip = 10.0.0.1\nudp_dstport = 70000\n', 'udp_dstport', /./);
    refused('[vxlan]\nlocal_ip = 10.0.0.1\n[agent]\npolling_interval = 0\n', 'polling_interval', /minimum 1/);
    refused('[vxlan]\nenable_vxlan = false\n[linux_bridge]\nphysical_interface_mappings = a:eth1,b:eth1\n', 'physical_interface_mappings', /more than one/);
    refused('[vxlan]\nenable_vxlan = false\n[linux_bridge]\nphysical_interface_mappings = a:eth1\nbridge_mappings = a:br0\n', 'bridge_mappings', /also in/);
  });

  it('the command stops with one line naming the file, before it looks for the broker', async () => {
    const { file } = settingsOf('[DEFAULT]\ntransport_url = rabbit://guest:guest@192.0.2.1:5672/\n[vxlan]\nlocal_ip = nope\n');
    const run = promisify(execFile);
    const result = await run(process.execPath, ['--import', 'tsx', 'src/cli/linuxbridgeAgent.ts', '--config-file', file], { timeout: 20_000 }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    assert.equal(result.code, 1);
    assert.equal(result.stderr, `nucleon-linuxbridge-agent: ${file}: [vxlan] local_ip: 'nope' is not an IP address\n`);
  });
});
