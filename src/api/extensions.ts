/** GET /v2.0/extensions and /v2.0/extensions/{alias}: exactly what this server implements. */
import type { FastifyInstance } from 'fastify';

import { ExtensionNotFound, NotFound } from '../common/errors.js';
import type { ExtensionDecl } from '../resources/types.js';
import { pathParam, route } from './collectionRoutes.js';

const describe = (e: ExtensionDecl) => ({
  name: e.name,
  alias: e.alias,
  description: e.description,
  updated: e.updated,
  links: [],
});

export function registerExtensions(app: FastifyInstance, extensions: readonly ExtensionDecl[]): void {
  const listed = extensions.map(describe);
  const byAlias = new Map(listed.map((e) => [e.alias, e]));
  // Neutron answers other methods on extensions with 404, not 405.
  const notFound = async () => {
    throw new NotFound();
  };
  const others = { POST: notFound, PUT: notFound, DELETE: notFound, PATCH: notFound };
  route(app, '/v2.0/extensions', { ...others, GET: async () => ({ extensions: listed }) });
  route(app, '/v2.0/extensions/:id', {
    ...others,
    GET: async (request) => {
      const alias = pathParam(request, 'id');
      const extension = byAlias.get(alias);
      if (!extension) throw new ExtensionNotFound(alias);
      return { extension };
    },
  });
}
