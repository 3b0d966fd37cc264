/** Who is calling: built by api/ (keystone or noauth) and passed to plugins. */
export interface RequestContext {
  readonly projectId: string;
  readonly userId: string;
  readonly roles: readonly string[];
  readonly isAdmin: boolean;
  readonly requestId: string;
}

export function adminContext(requestId = 'req-internal'): RequestContext {
  return { projectId: '', userId: '', roles: ['admin'], isAdmin: true, requestId };
}
