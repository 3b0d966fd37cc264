/** [nova] and the notify_nova_* options at start-up: off without credentials (said once the server is up), a bad section names the option. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { ConfigError } from '../../src/common/errors.js';
import { NovaNotifier } from '../../src/plugins/notifiers/novaNotifier.js';
import { loadNeutronConfig } from '../../src/server/config.js';
import type { Logger } from '../../src/server/logger.js';
import { novaNotifierFrom } from '../../src/server/novaNotifier.js';

const dir = mkdtempSync(join(tmpdir(), 'nucleon-nova-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The install guide's [nova] section. */
const GUIDE = `[nova]
auth_url = http://controller:5000
auth_type = password
project_domain_name = Default
user_domain_name = Default
region_name = RegionOne
project_name = service
username = nova
password = NOVA_PASS
`;

function notifierFor(ini: string) {
  const file = join(dir, `neutron_${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(file, ini);
  const { loaded } = loadNeutronConfig(['--config-file', file]);
  const lines: { level: string; msg: string; obj: unknown }[] = [];
  const at = (level: string) => (objOrMsg: unknown, msg?: string) =>
    void lines.push(typeof objOrMsg === 'string' ? { level, msg: objOrMsg, obj: {} } : { level, msg: msg ?? '', obj: objOrMsg });
  const log = { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') } as unknown as Logger;
    const build = () => {
    const notifications = novaNotifierFrom(loaded, log);
    notifications.announce();
    return notifications.notifier;
  };
  return { file, lines, loaded, build };
}

describe('[nova] at start-up', () => {
  it("the install guide's section turns notifications on, with Neutron's defaults for the rest", async () => {
    const { build, lines, loaded } = notifierFor(GUIDE);
    const notifier = build();
    assert.ok(notifier instanceof NovaNotifier);
    await notifier.close();
    assert.deepEqual(lines.map((l) => [l.level, l.msg]), [['info', 'Nova notifications are on']]);
    assert.equal(loaded.config.DEFAULT.send_events_interval, 2);
    assert.equal(loaded.config.DEFAULT.http_retries, 3);
    assert.equal(loaded.config.nova.endpoint_type, 'public');
  });

  it('no [nova] credentials (the all-in-one default): off, said once at info', () => {
    for (const ini of ['', '[nova]\nregion_name = RegionOne\n', GUIDE.replace('password = NOVA_PASS\n', '')]) {
      const { build, lines } = notifierFor(ini);
      assert.equal(build(), undefined);
      assert.equal(lines.length, 1);
      assert.equal(lines[0]!.level, 'info');
      assert.match(lines[0]!.msg, /Nova notifications are off/);
    }
  });

  it('both notify_nova_* options false: off', () => {
    const { build, lines } = notifierFor(`[DEFAULT]\nnotify_nova_on_port_status_changes = false\nnotify_nova_on_port_data_changes = false\n${GUIDE}`);
    assert.equal(build(), undefined);
    assert.match(lines[0]!.msg, /notify_nova_on_port_status_changes and notify_nova_on_port_data_changes are false/);
  });

  it('credentials with a missing or unsupported option stop the server naming it', () => {
    const cases: [string, RegExp][] = [
      [GUIDE.replace('project_name = service\n', ''), /\[nova\] project_name: is required but not set/],
      [GUIDE.replace('user_domain_name = Default\n', ''), /\[nova\] user_domain_name: is required but not set/],
      [GUIDE.replace('auth_type = password', 'auth_type = token'), /\[nova\] auth_type: 'token' is not supported; set auth_type = password/],
    ];
    for (const [ini, message] of cases) {
      const { build, file } = notifierFor(ini);
      assert.throws(build, (err: unknown) => err instanceof ConfigError && message.test(err.message) && err.message.includes(file));
    }
    // Domains by id instead of by name are fine.
    const byId = notifierFor(GUIDE.replace('user_domain_name = Default', 'user_domain_id = default'));
    assert.ok(byId.build() instanceof NovaNotifier);
  });

  it('send_events_interval and http_retries are checked like every option', () => {
    assert.throws(() => notifierFor(`[DEFAULT]\nsend_events_interval = 0\n`), /send_events_interval/);
    assert.throws(() => notifierFor(`[DEFAULT]\nhttp_retries = -1\n`), /http_retries/);
  });
});
