/**
 * /v2.0/quotas (the quotas and quota_details extensions), as
 * neutron/extensions/quotasv2.py and quotasv2_detail.py serve it:
 *
 *   GET    /v2.0/quotas                        projects with limits of their own (get_quota)
 *   POST   /v2.0/quotas                        501
 *   GET    /v2.0/quotas/project (or /tenant)   the caller's project id
 *   GET    /v2.0/quotas/{project_id}           the limits that apply (own project, else get_quota)
 *   PUT    /v2.0/quotas/{project_id}           set limits (admin); `"check_limit": true` refuses limits below usage
 *   DELETE /v2.0/quotas/{project_id}           back to the defaults (admin)
 *   GET    /v2.0/quotas/{project_id}/default   the configured defaults (own project, else get_quota)
 *   GET    /v2.0/quotas/{project_id}/details   limit, used, reserved (own project, else admin)
 *
 * The rules are Neutron's (get_quota, update_quota, delete_quota; a policy
 * file may change them), checked as upstream's validate_policy does: on the
 * caller's own project, whichever project the request names. So by default
 * get_quota lets admins and callers with the manager role read any
 * project's quotas. Details of another project are for admins only, whatever
 * the rules say (AdminRequired), as upstream.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';

import type { RequestContext } from '../common/context.js';
import { PolicyNotAuthorized } from '../common/errors.js';
import { AdminRequired, QuotaCreateNotSupported, QuotaMissingTenant } from '../plugins/quotas/errors.js';
import type { QuotaService } from '../plugins/quotas/quotaService.js';
import { isQuotaResource } from '../plugins/quotas/storage.js';
import { quotaSet, type QuotaResource } from '../resources/extensions/quotas.js';
import { checkUpdate } from './body.js';
import { type ContextOf, pathParam, type PolicyOf, route } from './collectionRoutes.js';
import { isJsonObject } from './pyFormat.js';

/** Upstream's validate_policy: the rule, on a target that is the caller's own project. */
async function enforce(policyOf: PolicyOf, ctx: RequestContext, rule: 'get_quota' | 'update_quota' | 'delete_quota'): Promise<void> {
  if (!(await policyOf(ctx).check(rule, { project_id: ctx.projectId, tenant_id: ctx.projectId }))) throw new PolicyNotAuthorized(rule);
}

/**
 * Takes `force` and `check_limit` out of `{"quota": {...}}` before the body
 * is checked, as upstream does. A limit below what the project uses is
 * refused only when the client asks with `"check_limit": true` (the
 * quota-check-limit behaviour; tempest's quota tests lower limits below usage
 * and expect success), and `"force": true` skips the check even then. Only
 * JSON `true` counts.
 */
function takeFlags(body: unknown): { body: unknown; force: boolean } {
  if (!isJsonObject(body) || !isJsonObject(body.quota)) return { body, force: true };
  const { force, check_limit: checkLimit, ...limits } = body.quota;
  return { body: { ...body, quota: limits }, force: checkLimit !== true || force === true };
}

export function registerQuotaRoutes(app: FastifyInstance, quotas: QuotaService, contextOf: ContextOf, policyOf: PolicyOf): void {
  /** get_quota, unless the caller asks about its own project. */
  const checkGetQuota = async (request: FastifyRequest, projectId: string): Promise<void> => {
    const ctx = contextOf(request);
    if (projectId !== ctx.projectId) await enforce(policyOf, ctx, 'get_quota');
  };

  route(app, '/v2.0/quotas', {
    GET: async (request) => {
      await enforce(policyOf, contextOf(request), 'get_quota');
      return { quotas: await quotas.projectsWithOverrides() };
    },
    POST: async () => {
      throw new QuotaCreateNotSupported();
    },
  });

  // The "whoami" collection actions (python-neutronclient's quota commands use them).
  for (const key of ['project', 'tenant'] as const) {
    route(app, `/v2.0/quotas/${key}`, {
      GET: async (request) => {
        const ctx = contextOf(request);
        if (ctx.projectId === '') throw new QuotaMissingTenant();
        return { [key]: { [`${key}_id`]: ctx.projectId } };
      },
    });
  }

  route(app, '/v2.0/quotas/:id', {
    GET: async (request) => {
      const projectId = pathParam(request, 'id');
      await checkGetQuota(request, projectId);
      return { quota: await quotas.limitsOf(projectId) };
    },
    PUT: async (request) => {
      const ctx = contextOf(request);
      await enforce(policyOf, ctx, 'update_quota');
      const { body, force } = takeFlags(request.body);
      const checked = checkUpdate(quotaSet, body, ctx);
      const changes = new Map<QuotaResource, number>();
      for (const [resource, limit] of Object.entries(checked)) {
        if (isQuotaResource(resource) && typeof limit === 'number') changes.set(resource, limit);
      }
      return { quota: await quotas.update(pathParam(request, 'id'), changes, force) };
    },
    DELETE: async (request, reply) => {
      await enforce(policyOf, contextOf(request), 'delete_quota');
      await quotas.reset(pathParam(request, 'id'));
      return reply.code(204).send();
    },
  });

  route(app, '/v2.0/quotas/:id/default', {
    GET: async (request) => {
      await checkGetQuota(request, pathParam(request, 'id'));
      return { quota: quotas.defaults() };
    },
  });

  route(app, '/v2.0/quotas/:id/details', {
    GET: async (request) => {
      const ctx = contextOf(request);
      const projectId = pathParam(request, 'id');
      if (projectId !== ctx.projectId && !ctx.isAdmin) {
        throw new AdminRequired('Only admin is authorized to access quotas for another project');
      }
      return { quota: await quotas.details(projectId) };
    },
  });
}
