/** /v2.0/{collection}/{id}/tags[/{tag}] for every taggable collection (standard-attr-tag, tag-creation). */
import type { FastifyInstance, FastifyRequest } from 'fastify';

import type { RequestContext } from '../common/context.js';
import { BadRequest } from '../common/errors.js';
import type { Collection } from '../plugins/collection.js';
import type { TagService } from '../plugins/core/tags.js';
import type { ResourceDecl } from '../resources/types.js';
import { type ContextOf, type PolicyOf, pathParam, resourceNotFound, route } from './collectionRoutes.js';
import { nulRefused } from './request.js';
import type { TagOperation } from './policy/requestPolicy.js';

function tagsInBody(body: unknown): unknown[] {
  const tags = (body as { tags?: unknown } | null | undefined)?.tags;
  if (!Array.isArray(tags)) throw new BadRequest("Invalid input for tags. Reason: the body must be {\"tags\": [...]}.");
  return tags;
}

export function registerTags(
  app: FastifyInstance,
  resource: ResourceDecl,
  collection: Collection,
  tags: TagService,
  contextOf: ContextOf,
  policyOf: PolicyOf,
): void {
  const base = `/v2.0/${resource.collection}/:id/tags`;
  const name = resource.collection;

  /**
   * The resource must be visible (else its NotFound), and the caller pass
   * `<get|create|update|delete>_<member>:tags` on it (else 403, or the
   * NotFound when its policy does not let it see the resource either).
   */
  const target = async (request: FastifyRequest, operation: TagOperation): Promise<{ ctx: RequestContext; id: string }> => {
    const ctx = contextOf(request);
    const id = pathParam(request, 'id', resourceNotFound(resource));
    const object = await collection.show(ctx, id);
    await policyOf(ctx).authorizeTags(resource, operation, object);
    return { ctx, id };
  };

  route(app, base, {
    GET: async (request) => ({ tags: await tags.list((await target(request, 'get')).id) }),
    PUT: async (request) => {
      const { id } = await target(request, 'update');
      return { tags: await tags.replace(name, id, tagsInBody(request.body)) };
    },
    POST: async (request) => {
      const { id } = await target(request, 'create');
      return { tags: await tags.add(name, id, tagsInBody(request.body)) };
    },
    DELETE: async (request, reply) => {
      const { id } = await target(request, 'delete');
      await tags.clear(name, id);
      return reply.code(204).send();
    },
  });

  route(app, `${base}/:tag`, {
    GET: async (request, reply) => {
      const { id } = await target(request, 'get');
      await tags.check(resource.collection, id, pathParam(request, 'tag', nulRefused));
      return reply.code(204).send();
    },
    PUT: async (request, reply) => {
      const { id } = await target(request, 'update');
      await tags.add(name, id, [pathParam(request, 'tag', nulRefused)]);
      return reply.code(201).send();
    },
    DELETE: async (request, reply) => {
      const { id } = await target(request, 'delete');
      await tags.remove(name, id, pathParam(request, 'tag', nulRefused));
      return reply.code(204).send();
    },
  });
}
