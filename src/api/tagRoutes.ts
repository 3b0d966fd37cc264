/** /v2.0/{collection}/{id}/tags[/{tag}] for every taggable collection (standard-attr-tag, tag-creation). */
import type { FastifyInstance, FastifyRequest } from 'fastify';

import type { RequestContext } from '../common/context.js';
import { BadRequest, PolicyNotAuthorized } from '../common/errors.js';
import type { Collection } from '../plugins/collection.js';
import type { TagService } from '../plugins/core/tags.js';
import type { ResourceDecl } from '../resources/types.js';
import { type ContextOf, pathParam, route } from './collectionRoutes.js';

type TaggedTable = Parameters<TagService['replace']>[0];

function tagsInBody(body: unknown): unknown[] {
  const tags = (body as { tags?: unknown } | null | undefined)?.tags;
  if (!Array.isArray(tags)) throw new BadRequest("Invalid input for tags. Reason: the body must be {\"tags\": [...]}.");
  return tags;
}

export function registerTags(
  app: FastifyInstance,
  resource: ResourceDecl & { collection: TaggedTable },
  collection: Collection,
  tags: TagService,
  contextOf: ContextOf,
): void {
  const base = `/v2.0/${resource.collection}/:id/tags`;
  const table = resource.collection;

  /** The resource must be visible (else its NotFound); changing tags needs ownership (else 403). */
  const target = async (request: FastifyRequest, write: boolean): Promise<{ ctx: RequestContext; id: string }> => {
    const ctx = contextOf(request);
    const id = pathParam(request, 'id');
    const object = await collection.show(ctx, id);
    if (write && !ctx.isAdmin && object.project_id !== ctx.projectId) {
      throw new PolicyNotAuthorized(`update_${resource.member}_tags`);
    }
    return { ctx, id };
  };

  route(app, base, {
    GET: async (request) => ({ tags: await tags.list((await target(request, false)).id) }),
    PUT: async (request) => {
      const { id } = await target(request, true);
      return { tags: await tags.replace(table, id, tagsInBody(request.body)) };
    },
    POST: async (request) => {
      const { id } = await target(request, true);
      return { tags: await tags.add(table, id, tagsInBody(request.body)) };
    },
    DELETE: async (request, reply) => {
      const { id } = await target(request, true);
      await tags.clear(table, id);
      return reply.code(204).send();
    },
  });

  route(app, `${base}/:tag`, {
    GET: async (request, reply) => {
      const { id } = await target(request, false);
      await tags.check(resource.collection, id, pathParam(request, 'tag'));
      return reply.code(204).send();
    },
    PUT: async (request, reply) => {
      const { id } = await target(request, true);
      await tags.add(table, id, [pathParam(request, 'tag')]);
      return reply.code(201).send();
    },
    DELETE: async (request, reply) => {
      const { id } = await target(request, true);
      await tags.remove(resource.collection, table, id, pathParam(request, 'tag'));
      return reply.code(204).send();
    },
  });
}
