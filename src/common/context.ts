/** Who is calling: built by api/ (keystone or noauth) and passed to plugins. */
export interface RequestContext {
  readonly projectId: string;
  /** The project's name, when a Keystone token says it. */
  readonly projectName?: string;
  readonly userId: string;
  /** The user's name, when a Keystone token says it. */
  readonly userName?: string;
  /** Lower case; from Keystone, with the implied roles (admin > member > reader) included. */
  readonly roles: readonly string[];
  readonly isAdmin: boolean;
  readonly requestId: string;
}

export function adminContext(requestId = 'req-internal'): RequestContext {
  return { projectId: '', userId: '', roles: ['admin'], isAdmin: true, requestId };
}
