/** metadata_agent.ini to settings: Neutron's defaults, the all-in-one's optional Nova, and errors that name file, section and option. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { ConfigError } from '../../../src/common/errors.js';
import { metadataAgentOptions } from '../../../src/config/metadataAgentOptions.js';
import { loadAgentConfig } from '../../../src/server/agentProcess.js';
import { describeMetadataAgent, metadataAgentSettings } from '../../../src/server/metadataAgent.js';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nucleon-mdcfg-'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function settingsFrom(ini: string, options: { novaOnlyWhenSet?: boolean } = {}) {
  const file = join(dir, `metadata_agent-${Math.random().toString(36).slice(2)}.ini`);
  await writeFile(file, ini);
  const { loaded } = loadAgentConfig('nucleon-metadata-agent', ['--config-file', file], [metadataAgentOptions]);
  return { settings: metadataAgentSettings(loaded, options), file };
}

test("Neutron's defaults: Nova at http://127.0.0.1:8775, the socket under state_path, mode 0644, backlog 4096", async () => {
  const { settings } = await settingsFrom('[DEFAULT]\nstate_path = /var/lib/nucleon-test\nhost = node-1\n');
  assert.equal(settings.socketPath, '/var/lib/nucleon-test/metadata_proxy');
  assert.equal(settings.socketMode, 0o644);
  assert.equal(settings.backlog, 4096);
  assert.equal(settings.host, 'node-1');
  assert.equal(settings.reportIntervalMs, 30_000);
  assert.deepEqual(settings.nova, { protocol: 'http', host: '127.0.0.1', port: 8775, sharedSecret: '', insecure: false, timeoutMs: 60_000 });
});

test('the install guide file: host, secret, socket mode; the deprecated nova_metadata_ip still works', async () => {
  const { settings } = await settingsFrom(
    '[DEFAULT]\nnova_metadata_ip = controller\nmetadata_proxy_shared_secret = METADATA_SECRET\nmetadata_proxy_socket_mode = all\n[agent]\nreport_interval = 5\n',
  );
  assert.equal(settings.nova?.host, 'controller');
  assert.equal(settings.nova?.sharedSecret, 'METADATA_SECRET');
  assert.equal(settings.socketMode, 0o666);
  assert.equal(settings.reportIntervalMs, 5_000);
  assert.match(describeMetadataAgent(settings).join('\n'), /forward to http:\/\/controller:8775/);
});

test('the all-in-one (novaOnlyWhenSet): no Nova unless nova_metadata_host is set', async () => {
  assert.equal((await settingsFrom('[DEFAULT]\n', { novaOnlyWhenSet: true })).settings.nova, undefined);
  assert.match(describeMetadataAgent((await settingsFrom('[DEFAULT]\n', { novaOnlyWhenSet: true })).settings).join('\n'), /no Nova metadata API configured/);
  assert.equal((await settingsFrom('[DEFAULT]\nnova_metadata_host = 10.0.0.5\n', { novaOnlyWhenSet: true })).settings.nova?.host, '10.0.0.5');
});

test('bad values stop the agent naming the file, the section and the option', async () => {
  const cases: [string, string, RegExp][] = [
    ['nova_metadata_protocol = ftp', 'nova_metadata_protocol', /not one of http, https/],
    ['nova_metadata_port = 0', 'nova_metadata_port', /less than the minimum|1\.\.65535|minimum/],
    ['nova_metadata_host = http://nova/', 'nova_metadata_host', /not a host name or IP address/],
    ['metadata_proxy_socket_mode = world', 'metadata_proxy_socket_mode', /not one of/],
    ['metadata_backlog = 0', 'metadata_backlog', /minimum/],
    ['nova_metadata_protocol = https\nnova_client_cert = /etc/nova/client.pem', 'nova_client_cert', /needs nova_client_priv_key/],
    ['nova_metadata_protocol = https\nauth_ca_cert = /nonexistent/ca.pem', 'auth_ca_cert', /cannot read \/nonexistent\/ca\.pem/],
  ];
  for (const [line, option, reason] of cases) {
    const file = join(dir, `bad-${option}.ini`);
    await writeFile(file, `[DEFAULT]\n${line}\n`);
    assert.throws(
      () => metadataAgentSettings(loadAgentConfig('nucleon-metadata-agent', ['--config-file', file], [metadataAgentOptions]).loaded),
      (err: unknown) => err instanceof ConfigError && err.file === file && err.section === 'DEFAULT' && err.option === option && reason.test(err.reason),
      `${line} -> ${option}`,
    );
  }
});
