/**
 * auth_strategy = noauth, as Neutron does it: the caller names itself in
 * headers. No project header means an admin in `fake_project_id`; with one,
 * admin only when X-Roles says so.
 */
import type { IncomingHttpHeaders } from 'node:http';

import type { RequestContext } from '../common/context.js';

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

export function noauthContext(headers: IncomingHttpHeaders, requestId: string): RequestContext {
  const projectId = header(headers, 'x-project-id') ?? header(headers, 'x-tenant-id');
  const userId = header(headers, 'x-user-id') ?? '';
  if (!projectId) return { projectId: 'fake_project_id', userId, roles: ['admin'], isAdmin: true, requestId };
  const roles = (header(headers, 'x-roles') ?? '')
    .split(',')
    .map((r) => r.trim().toLowerCase())
    .filter(Boolean);
  return { projectId, userId, roles, isAdmin: roles.includes('admin'), requestId };
}
