/**
 * The request context built from a validated Keystone token as
 * keystonemiddleware and Neutron do: the token's project, its user, its
 * roles, admin when the roles include admin.
 */
import type { RequestContext } from '../../common/context.js';
import { NeutronError } from '../../common/errors.js';
import type { TokenInfo } from '../../keystone/tokenInfo.js';

/**
 * The caller of a request that carried this token. Project-scoped tokens are
 * the normal case. A system-scoped token with the admin role is a cloud
 * admin (with no project of its own, so creating names `project_id`). Other
 * tokens (domain-scoped, unscoped, system without admin) are valid but
 * cannot own or see networks: 403, as re-authenticating would not help.
 */
export function contextFromToken(token: TokenInfo, requestId: string): RequestContext {
  const isAdmin = token.roles.includes('admin');
  const user = { userId: token.userId, ...(token.userName !== undefined ? { userName: token.userName } : {}) };
  switch (token.scope.kind) {
    case 'project':
      return {
        projectId: token.scope.id,
        ...(token.scope.name !== undefined ? { projectName: token.scope.name } : {}),
        ...user,
        roles: token.roles,
        isAdmin,
        requestId,
      };
    case 'system':
      if (isAdmin) return { projectId: '', ...user, roles: token.roles, isAdmin: true, requestId };
      throw new NeutronError(403, 'HTTPForbidden', 'A system-scoped token needs the admin role here; use a project-scoped token.');
    case 'domain':
      throw new NeutronError(403, 'HTTPForbidden', 'The token is scoped to a domain; Networking needs a project-scoped token.');
    case 'unscoped':
      throw new NeutronError(403, 'HTTPForbidden', 'The token is not scoped to a project; Networking needs a project-scoped token.');
    default: {
      const never: never = token.scope;
      throw new Error(`unknown token scope ${JSON.stringify(never)}`);
    }
  }
}
