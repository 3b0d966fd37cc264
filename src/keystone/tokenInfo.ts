/**
 * What a Keystone v3 token says (the body of `GET /v3/auth/tokens`), parsed
 * from JSON: its user, its scope, its roles (Keystone has already added the
 * implied ones: admin > member > reader) and when it expires.
 */

export type TokenScope =
  | { readonly kind: 'project'; readonly id: string; readonly name: string | undefined; readonly domainId: string | undefined }
  | { readonly kind: 'domain'; readonly id: string; readonly name: string | undefined }
  | { readonly kind: 'system' }
  | { readonly kind: 'unscoped' };

export interface TokenInfo {
  readonly userId: string;
  readonly userName: string | undefined;
  readonly scope: TokenScope;
  /** Role names in lower case (oslo.policy compares them without case). */
  readonly roles: readonly string[];
  /** Milliseconds since the epoch. */
  readonly expiresAt: number;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const stringIn = (object: Json, key: string): string | undefined => {
  const value = object[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
};

/** The `token` of a validation or authentication response; undefined when it is not one Keystone would send. */
export function parseToken(body: unknown): TokenInfo | undefined {
  if (!isObject(body) || !isObject(body['token'])) return undefined;
  const token = body['token'];
  const user = token['user'];
  const expires = stringIn(token, 'expires_at');
  if (!isObject(user) || expires === undefined) return undefined;
  const userId = stringIn(user, 'id');
  const expiresAt = Date.parse(expires);
  if (userId === undefined || Number.isNaN(expiresAt)) return undefined;

  const roles = Array.isArray(token['roles'])
    ? token['roles'].flatMap((role) => {
        const name = isObject(role) ? stringIn(role, 'name') : undefined;
        return name === undefined ? [] : [name.toLowerCase()];
      })
    : [];
  return { userId, userName: stringIn(user, 'name'), scope: scopeOf(token), roles: [...new Set(roles)], expiresAt };
}

function scopeOf(token: Json): TokenScope {
  const project = token['project'];
  if (isObject(project)) {
    const id = stringIn(project, 'id');
    const domain = project['domain'];
    if (id !== undefined) {
      return { kind: 'project', id, name: stringIn(project, 'name'), domainId: isObject(domain) ? stringIn(domain, 'id') : undefined };
    }
  }
  const system = token['system'];
  if (isObject(system) && system['all'] === true) return { kind: 'system' };
  const domain = token['domain'];
  if (isObject(domain)) {
    const id = stringIn(domain, 'id');
    if (id !== undefined) return { kind: 'domain', id, name: stringIn(domain, 'name') };
  }
  return { kind: 'unscoped' };
}
