/**
 * Who logs in to Keystone and where: the keystoneauth `password` plugin's
 * options, shared by [keystone_authtoken] and [nova], checked once at
 * start-up. The section is passed in with the loader's way of reporting a
 * problem in it, so a missing option stops the server naming it.
 */

/** A user, project or domain in a Keystone auth request: by id, or by name (within a domain). */
export type DomainRef = { readonly id: string } | { readonly name: string };
export type NamedRef = { readonly id: string } | { readonly name: string; readonly domain: DomainRef };

/** What the server authenticates itself with (the keystoneauth `password` plugin). */
export interface ServiceCredentials {
  readonly user: NamedRef;
  readonly password: string;
  readonly project: NamedRef;
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
