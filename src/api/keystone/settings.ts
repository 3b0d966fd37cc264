/**
 * `[keystone_authtoken]` as the install guide writes it, checked once at
 * start-up: where Keystone is, who the server logs in as, how long validated
 * tokens are cached. A missing option stops the server with a ConfigError
 * naming it (through the loaded configuration's `required` / `errorFor`).
 */
import type { NeutronConfig } from '../../config/neutronOptions.js';
import { passwordAuthFrom, type ServiceCredentials } from '../../keystone/credentials.js';

export type KeystoneAuthtokenConfig = NeutronConfig['keystone_authtoken'];
export type KeystoneOption = keyof KeystoneAuthtokenConfig & string;

/** The loaded `[keystone_authtoken]` section and the loader's way of reporting a problem in it. */
export interface KeystoneConfigSource {
  readonly values: KeystoneAuthtokenConfig;
  /** The value, or a ConfigError "[keystone_authtoken] <option> is required but not set". */
  required<O extends KeystoneOption>(option: O): NonNullable<KeystoneAuthtokenConfig[O]>;
  /** A ConfigError naming the option (and the file that set it). */
  errorFor(option: KeystoneOption, reason: string): Error;
}

export interface KeystoneSettings {
  /** The identity API, always ending in /v3: http://controller:5000/v3 */
  readonly identityUrl: string;
  /** Sent to clients in `WWW-Authenticate: Keystone uri="..."`. */
  readonly wwwAuthenticateUri: string;
  readonly credentials: ServiceCredentials;
  /** Seconds a validation result is kept; 0 or less: not cached. */
  readonly tokenCacheSeconds: number;
  /** http_connect_timeout in ms (unset: DEFAULT_TIMEOUT_MS): the deadline of each call to Keystone. */
  readonly timeoutMs?: number;
  /** http_request_max_retries: tries again after a failed connection (not after a timeout); default 0. */
  readonly connectRetries?: number;
  /** Options that are accepted but have no effect here, one line each, for the log. */
  readonly notes: readonly string[];
}

export function keystoneSettingsFrom(source: KeystoneConfigSource): KeystoneSettings {
  const { values } = source;
  const { identityUrl, credentials } = passwordAuthFrom({
    values,
    required: (option) => String(source.required(option)),
    errorFor: (option, reason) => source.errorFor(option, reason),
  });
  const authUrl = source.required('auth_url');

  const notes: string[] = [];
  if (values.memcached_servers && values.memcached_servers.length > 0) {
    notes.push('[keystone_authtoken] memcached_servers is not used: validated tokens are cached in each server process');
  }
  if (values.cafile) notes.push('[keystone_authtoken] cafile is not used: give Node.js the CA with NODE_EXTRA_CA_CERTS');
  if (values.insecure) notes.push('[keystone_authtoken] insecure is not used: TLS certificates are always verified');

  return {
    identityUrl,
    wwwAuthenticateUri: values.www_authenticate_uri ?? authUrl,
    credentials,
    tokenCacheSeconds: values.token_cache_time,
    ...(values.http_connect_timeout !== undefined ? { timeoutMs: values.http_connect_timeout * 1000 } : {}),
    connectRetries: values.http_request_max_retries,
    notes,
  };
}
