/** The caller as oslo.policy's `creds` dict, from the request context. */
import type { RequestContext } from '../../common/context.js';
import type { Credentials } from './evaluate.js';

/**
 * `project_id` (and `tenant_id`), `user_id`, `roles` in lower case, `is_admin`,
 * and the names a Keystone token gave. An admin context always carries the
 * `admin` role, as Neutron's elevated contexts do.
 */
export function credentialsOf(ctx: RequestContext): Credentials {
  const roles = ctx.roles.map((role) => role.toLowerCase());
  if (ctx.isAdmin && !roles.includes('admin')) roles.push('admin');
  return {
    project_id: ctx.projectId,
    tenant_id: ctx.projectId,
    user_id: ctx.userId,
    roles,
    is_admin: ctx.isAdmin,
    ...(ctx.projectName === undefined ? {} : { project_name: ctx.projectName }),
    ...(ctx.userName === undefined ? {} : { user_name: ctx.userName }),
  };
}
