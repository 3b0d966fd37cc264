/**
 * Nova notifications, from neutron.conf: [nova] says how to reach Nova
 * (through Keystone), notify_nova_on_port_status_changes /
 * notify_nova_on_port_data_changes which events to send,
 * send_events_interval and http_retries how. Without [nova] auth_url,
 * username and password (the all-in-one default) or with both notify
 * options off, there are no notifications, said once the server is up.
 */
import { passwordAuthFrom } from '../keystone/credentials.js';
import { IdentityClient } from '../keystone/identityClient.js';
import { ServiceToken } from '../keystone/serviceToken.js';
import { NovaClient } from '../plugins/notifiers/novaClient.js';
import { NovaNotifier } from '../plugins/notifiers/novaNotifier.js';
import type { LoadedNeutronConfig } from './config.js';
import type { Logger } from './logger.js';

/** Deadline of each call to Keystone or Nova when [nova] timeout is unset. */
const DEFAULT_TIMEOUT_SECONDS = 10;

export interface NovaNotifications {
  /** Undefined when notifications are off. Not subscribed yet: `install` it on the core events. */
  readonly notifier: NovaNotifier | undefined;
  /**
   * Logs whether notifications are on, and why not. Called once the server
   * is up: a server that fails to start says only why on stderr.
   */
  announce(): void;
}

/**
 * The notifications the configuration asks for. A [nova] section with
 * credentials but a missing or bad option stops the server here, naming it.
 */
export function novaNotifierFrom(loaded: LoadedNeutronConfig, log: Logger): NovaNotifications {
  const { DEFAULT: defaults, nova } = loaded.config;
  const statusChanges = defaults.notify_nova_on_port_status_changes;
  const dataChanges = defaults.notify_nova_on_port_data_changes;
  if (!statusChanges && !dataChanges) {
    return {
      notifier: undefined,
      announce: () => log.info('Nova notifications are off: notify_nova_on_port_status_changes and notify_nova_on_port_data_changes are false'),
    };
  }
  const missing = (['auth_url', 'username', 'password'] as const).filter((option) => !nova[option]);
  if (missing.length > 0) {
    return {
      notifier: undefined,
      announce: () => log.info({ missing: missing.map((option) => `[nova] ${option}`) }, 'Nova notifications are off: [nova] has no Keystone credentials'),
    };
  }
  const { identityUrl, credentials } = passwordAuthFrom({
    values: nova,
    required: (option) => loaded.required('nova', option),
    errorFor: (option, reason) => loaded.errorFor('nova', option, reason),
  });
  const timeoutMs = (nova.timeout ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
  const identity = new IdentityClient({ identityUrl, timeoutMs, credentialsSection: 'nova' });
  const client = new NovaClient({
    token: new ServiceToken(identity, credentials, Date.now, { catalog: true }),
    endpointType: nova.endpoint_type,
    region: nova.region_name,
    timeoutMs,
  });
  const notifier = new NovaNotifier({
    client,
    intervalMs: defaults.send_events_interval * 1000,
    retries: defaults.http_retries,
    statusChanges,
    dataChanges,
    log,
  });
  return {
    notifier,
    announce: () =>
      log.info(
        { keystone: identityUrl, endpoint_type: nova.endpoint_type, region: nova.region_name ?? null, statusChanges, dataChanges },
        'Nova notifications are on',
      ),
  };
}
