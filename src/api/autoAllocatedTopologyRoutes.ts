/**
 * The auto-allocated-topology extension's routes:
 *
 *   GET    /v2.0/auto-allocated-topology/{project_id}                 200 {"auto_allocated_topology": {...}}
 *   GET    /v2.0/auto-allocated-topology/{project_id}?fields=dry-run  200, id "dry-run=pass", or the failure
 *   DELETE /v2.0/auto-allocated-topology/{project_id}                 204
 *
 * Not the generic controller's: this GET creates the topology it shows,
 * `fields=dry-run` is a question to the plugin rather than a choice of
 * attributes, and the path names a project (or `None`, the caller's), not
 * an object to load before the policy check; there is no list, create or
 * update. The policy rules are still the declaration's.
 */
import type { FastifyInstance } from 'fastify';

import type { RequestContext } from '../common/context.js';
import { BadRequest, PolicyNotAuthorized } from '../common/errors.js';
import type { ApiObject } from '../plugins/collection.js';
import type { ResourceDecl } from '../resources/types.js';
import { type ContextOf, pathParam, type PolicyOf, route } from './collectionRoutes.js';
import { queryPairs } from './request.js';

/** What the routes need from the plugin (plugins/l3/autoAllocate.ts). */
export interface AutoAllocation {
  projectFor(ctx: RequestContext, requested: string): string;
  get(ctx: RequestContext, project: string, fields: readonly string[]): Promise<ApiObject>;
  delete(ctx: RequestContext, project: string): Promise<void>;
}

export function registerAutoAllocatedTopologyRoutes(
  app: FastifyInstance,
  plugin: AutoAllocation,
  resource: ResourceDecl,
  contextOf: ContextOf,
  policyOf: PolicyOf,
): void {
  /** The project the path names, once the caller may act on it. */
  const authorized = async (ctx: RequestContext, requested: string, action: string): Promise<string> => {
    const project = plugin.projectFor(ctx, requested);
    if (!(await policyOf(ctx).check(`${action}_${resource.member}`, { tenant_id: project, project_id: project }))) {
      throw new PolicyNotAuthorized(`${action}_${resource.member}`);
    }
    return project;
  };
  // Both spellings, as every other top-level collection (collectionRoutes.ts).
  for (const path of [resource.collection, resource.collection.replaceAll('-', '_')]) {
    route(app, `/v2.0/${path}/:project_id`, {
      GET: async (request) => {
        const ctx = contextOf(request);
        const project = await authorized(ctx, pathParam(request, 'project_id'), 'get');
        const fields = queryPairs(request.url)
          .filter(([key, value]) => key === 'fields' && value !== '')
          .map(([, value]) => value);
        return { [resource.member]: await plugin.get(ctx, project, fields) };
      },
      DELETE: async (request, reply) => {
        if (request.body !== undefined) throw new BadRequest('Request body is not supported for DELETE.');
        const ctx = contextOf(request);
        await plugin.delete(ctx, await authorized(ctx, pathParam(request, 'project_id'), 'delete'));
        return reply.code(204).send();
      },
    });
  }
}
