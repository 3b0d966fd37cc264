/**
 * `[keystone_authtoken]` as the install guide writes it, checked once at
 * start-up: where Keystone is, who the server logs in as, how long validated
 * tokens are cached. A missing option stops the server with a ConfigError
 * naming it (through the loaded configuration's `required` / `errorFor`).
 */
import type { NeutronConfig } from '../../config/neutronOptions.js';

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

/** A user, project or domain in a Keystone auth request: by id, or by name (within a domain). */
export type DomainRef = { readonly id: string } | { readonly name: string };
export type NamedRef = { readonly id: string } | { readonly name: string; readonly domain: DomainRef };

/** What the server authenticates itself with (the keystoneauth `password` plugin). */
export interface ServiceCredentials {
  readonly user: NamedRef;
  readonly password: string;
  readonly project: NamedRef;
}

export interface KeystoneSettings {
  /** The identity API, always ending in /v3: http://controller:5000/v3 */
  readonly identityUrl: string;
  /** Sent to clients in `WWW-Authenticate: Keystone uri="..."`. */
  readonly wwwAuthenticateUri: string;
  readonly credentials: ServiceCredentials;
  /** Seconds a validation result is kept; 0 or less: not cached. */
  readonly tokenCacheSeconds: number;
  /** Options that are accepted but have no effect here, one line each, for the log. */
  readonly notes: readonly string[];
}

const PASSWORD_PLUGINS = new Set(['password', 'v3password']);

/** The keystoneauth `password` plugin's options, which [keystone_authtoken] and [nova] share. */
export type PasswordAuthOption =
  | 'auth_type'
  | 'auth_url'
  | 'username'
  | 'password'
  | 'project_name'
  | 'user_domain_name'
  | 'user_domain_id'
  | 'project_domain_name'
  | 'project_domain_id';

/** A section with the password plugin's options, and the loader's way of reporting a problem in it. */
export interface PasswordAuthSource {
  readonly values: { readonly [O in PasswordAuthOption]?: string | undefined };
  required(option: PasswordAuthOption): string;
  errorFor(option: PasswordAuthOption, reason: string): Error;
}

/** Where Keystone is and who logs in (auth_type = password), from a section such as [keystone_authtoken] or [nova]. */
export function passwordAuthFrom(source: PasswordAuthSource): { readonly identityUrl: string; readonly credentials: ServiceCredentials } {
  const { values } = source;
  const authType = source.required('auth_type');
  if (!PASSWORD_PLUGINS.has(authType)) {
    throw source.errorFor('auth_type', `'${authType}' is not supported; set auth_type = password`);
  }
  const authUrl = source.required('auth_url');
  const password = source.required('password');

  const domain = (id: PasswordAuthOption, name: PasswordAuthOption): DomainRef => {
    const byId = values[id];
    if (typeof byId === 'string' && byId !== '') return { id: byId };
    return { name: source.required(name) };
  };
  // Names within domains, as the guide writes them; the domains may be given by id instead.
  // (user_id / project_id are not declared options yet.)
  const user: NamedRef = { name: source.required('username'), domain: domain('user_domain_id', 'user_domain_name') };
  const project: NamedRef = { name: source.required('project_name'), domain: domain('project_domain_id', 'project_domain_name') };
  return { identityUrl: identityApiUrl(authUrl), credentials: { user, password, project } };
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
    notes,
  };
}

/**
 * The v3 API under an auth_url as people write it: `http://controller:5000`,
 * `.../v3`, `.../v3/`, or the old `.../v2.0`, all give `http://controller:5000/v3`.
 */
export function identityApiUrl(authUrl: string): string {
  const url = new URL(authUrl);
  let path = url.pathname.replace(/\/+$/, '');
  if (path.endsWith('/v2.0')) path = path.slice(0, -'/v2.0'.length);
  if (!path.endsWith('/v3')) path = `${path}/v3`;
  url.pathname = path;
  url.search = '';
  url.hash = '';
  return url.toString();
}
