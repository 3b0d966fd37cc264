/**
 * The generic controller: list, show, create (single and bulk), update and
 * delete for any declared collection, with `.json` suffixes and 405 for
 * methods a path does not support. Every operation passes the request's
 * policy (api/policy/requestPolicy.ts): after body validation, before the
 * plugin; shows, updates and deletes load the object first.
 */

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import type { RequestContext } from '../common/context.js';
import { BadRequest, MethodNotAllowed, NeutronError, NotFound, notFoundError, PolicyNotAuthorized } from '../common/errors.js';
import type { ApiObject, Collection, NestedCollection } from '../plugins/collection.js';
import { beforeAnyCommit, DEFAULT_DB_RETRY, type DbRetryPolicy, withDbRetries } from '../db/retry.js';
import { MarkerNotFound } from '../plugins/core/listRows.js';
import { objectKey } from '../resources/policyRules.js';
import type { ResourceDecl } from '../resources/types.js';
import { bulkKeyOf, validateCreate, validateUpdate } from './body.js';
import { expectedRevision } from './ifMatch.js';
import { listBatches } from './listBatches.js';
import { ListSerialiser, listBody } from './listBody.js';
import { parseListQuery } from './listQuery.js';
import { paginationLinks } from './pagination.js';
import type { RequestPolicy } from './policy/requestPolicy.js';
import { presenter } from './present.js';
import { requestBaseUrl, queryPairs } from './request.js';

export interface ApiOptions {
  readonly paginationMaxLimit: number;
  readonly filterValidation: boolean;
  readonly allowBulk: boolean;
  readonly linkPrefix: string | undefined;
}

export type ContextOf = (request: FastifyRequest) => RequestContext;

/** The policy for one request's caller. */
export type PolicyOf = (ctx: RequestContext) => RequestPolicy;

const ALL_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;

type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

declare module 'fastify' {
  interface FastifyInstance {
    /** [database] db_* retries, for reads (buildApp decorates the app with them). */
    dbRetry?: DbRetryPolicy;
  }
}

/**
 * Registers `url` (and `url.json`) for every method; the ones without a handler answer 405.
 * A request whose database connection was lost runs again (db/retry.ts), as Neutron's API does with
 * retry_db_errors: a GET whenever, a write only while none of its transactions has committed (they retry
 * on their own), so a rerun repeats its reads, never a write.
 */
export function route(app: FastifyInstance, url: string, handlers: Partial<Record<string, Handler>>): void {
  const handler: Handler = async (request, reply) => {
    const method = request.method === 'HEAD' ? 'GET' : request.method;
    const h = handlers[method];
    if (!h) throw new MethodNotAllowed(request.method);
    const policy = app.dbRetry ?? DEFAULT_DB_RETRY;
    if (method === 'GET') return withDbRetries(() => h(request, reply), policy);
    return withDbRetries(() => h(request, reply), policy, { rerunnable: beforeAnyCommit });
  };
  app.route({ method: [...ALL_METHODS], url, handler });
  if (!url.endsWith('/:id') && !url.includes(':tag')) app.route({ method: [...ALL_METHODS], url: `${url}.json`, handler });
}

/**
 * Path ids may carry the `.json` suffix Neutron accepts. No id holds a NUL character (`%00`), and
 * PostgreSQL refuses one in a query: such an id is not looked up but answered `notFound` (default: HTTPNotFound).
 */
export const pathParam = (request: FastifyRequest, name: string, notFound: (value: string) => Error = () => new NotFound()): string => {
  const raw = (request.params as Record<string, string>)[name] ?? '';
  const value = raw.endsWith('.json') ? raw.slice(0, -5) : raw;
  if (value.includes('\u0000')) throw notFound(value);
  return value;
};

/** The resource's own NotFound for an id that cannot exist. */
export const resourceNotFound = (resource: ResourceDecl) => (id: string): Error =>
  resource.notFound ? new (notFoundError(resource.notFound))(id) : new NotFound();

/**
 * The object as the caller sees it, for the policy checks of an update or
 * delete; undefined when the caller may not see it, and the plugin then
 * answers for itself (its NotFound).
 */
async function visibleObject(collection: Collection, ctx: RequestContext, id: string): Promise<ApiObject | undefined> {
  try {
    return await collection.show(ctx, id);
  } catch (err) {
    if (err instanceof NeutronError && err.status === 404) return undefined;
    throw err;
  }
}

/**
 * Where a collection is served: `/v2.0/<path>`, or under its parent's
 * members, `/v2.0/<parent path>/:parent_id/<path>`.
 */
export function collectionUrl(resource: ResourceDecl, parents: ReadonlyMap<string, ResourceDecl>): string {
  const own = resource.path ?? resource.collection;
  if (resource.parent === undefined) return `/v2.0/${own}`;
  const parent = parents.get(resource.parent);
  if (parent === undefined) throw new Error(`${resource.collection}: parent collection ${resource.parent} is not loaded`);
  return `${collectionUrl(parent, parents)}/:parent_id/${own}`;
}

export function registerCollection(
  app: FastifyInstance,
  resource: ResourceDecl,
  plugin: Collection | NestedCollection,
  contextOf: ContextOf,
  options: ApiOptions,
  policyOf: PolicyOf,
  parents: ReadonlyMap<string, ResourceDecl> = new Map(),
): void {
  const { member } = resource;
  const base = collectionUrl(resource, parents);
  // Neutron finds a collection under either spelling (NeutronManager.get_controller_for_resource):
  // /v2.0/floatingip-pools as /v2.0/floatingip_pools, /v2.0/security_groups as /v2.0/security-groups.
  const own = resource.path ?? resource.collection;
  const respelled = own.includes('-') ? own.replaceAll('-', '_') : own.replaceAll('_', '-');
  const bases = resource.parent === undefined && respelled !== own ? [base, `/v2.0/${respelled}`] : [base];
  const serve = (suffix: string, handlers: Parameters<typeof route>[2]) => {
    for (const url of bases) route(app, `${url}${suffix}`, handlers);
  };
  const collectionFor = (request: FastifyRequest): Collection =>
    'within' in plugin ? plugin.within(pathParam(request, 'parent_id')) : plugin;
  // Body keys use underscores where the URL has hyphens: /v2.0/security-groups -> {"security_groups": [...]}.
  const plural = bulkKeyOf(resource);

  serve('', {
    GET: async (request, reply) => {
      const collection = collectionFor(request);
      const ctx = contextOf(request);
      const pairs = queryPairs(request.url);
      const query = parseListQuery(resource, pairs, {
        paginationMaxLimit: options.paginationMaxLimit,
        filterValidation: options.filterValidation,
      });
      const batches = listBatches({
        resource,
        collection,
        ctx,
        query,
        keyOf: (object) => objectKey(resource, object),
        retry: (read) => withDbRetries(read, app.dbRetry ?? DEFAULT_DB_RETRY),
      });
      let first: IteratorResult<ApiObject[]>;
      try {
        first = await batches.next();
      } catch (err) {
        // Neutron answers an unknown marker with the resource's own NotFound.
        if (err instanceof MarkerNotFound) await collection.show(ctx, err.marker);
        throw err;
      }
      const serialiser = new ListSerialiser(resource, ctx, query, policyOf(ctx));
      const firstText = first.done === true ? [] : await serialiser.text(first.value);
      async function* rest(): AsyncGenerator<string[]> {
        for await (const batch of batches) yield await serialiser.text(batch);
      }
      const links = () =>
        query.limit !== undefined && query.limit > 0
          ? paginationLinks({
              baseUrl: `${requestBaseUrl(request, options.linkPrefix)}${base}`,
              query: pairs,
              ids: serialiser.keys,
              limit: query.limit,
              marker: query.marker,
              pageReverse: query.pageReverse,
            })
          : undefined;
      const cut = (err: unknown) =>
        request.log.error({ err }, `${request.method} ${request.url}: the list failed after its first bytes were sent; the connection is cut`);
      return reply.type('application/json').send(listBody(plural, firstText, rest(), links, cut));
    },
    POST: async (request, reply) => {
      const collection = collectionFor(request);
      if (!collection.create) throw new MethodNotAllowed(request.method);
      const ctx = contextOf(request);
      const policy = policyOf(ctx);
      const input = validateCreate(resource, request.body, ctx, { allowBulk: options.allowBulk && resource.bulk !== false });
      for (const item of input.items) await policy.authorizeCreate(resource, item.value, item.explicit);
      const created = await collection.create(ctx, input.items.map((item) => item.value));
      const present = presenter(resource, ctx, undefined, await policy.hiddenAttributes(resource, created[0]));
      reply.code(201);
      return input.bulk ? { [plural]: created.map(present) } : { [member]: present(created[0]!) };
    },
  });

  serve('/:id', {
    GET: async (request) => {
      const collection = collectionFor(request);
      const ctx = contextOf(request);
      const fields = queryPairs(request.url)
        .filter(([k, v]) => k === 'fields' && v !== '')
        .map(([, v]) => v);
      const policy = policyOf(ctx);
      const object = await collection.show(ctx, pathParam(request, 'id', resourceNotFound(resource)));
      await policy.authorizeShow(resource, object);
      const hidden = await policy.hiddenAttributes(resource, object);
      return { [member]: presenter(resource, ctx, fields.length > 0 ? fields : undefined, hidden)(object) };
    },
    PUT: async (request) => {
      const collection = collectionFor(request);
      const ctx = contextOf(request);
      const policy = policyOf(ctx);
      const changes = validateUpdate(resource, request.body, ctx).value;
      // After the body's checks, as upstream: a read-only attribute is a 400 before the missing update is a 405.
      if (resource.immutable) throw new MethodNotAllowed(request.method);
      const revision = expectedRevision(request.headers['if-match']);
      const id = pathParam(request, 'id', resourceNotFound(resource));
      const original = await visibleObject(collection, ctx, id);
      if (original) await policy.authorizeUpdate(resource, original, changes);
      const updated = await collection.update(ctx, id, changes, revision);
      return { [member]: presenter(resource, ctx, undefined, await policy.hiddenAttributes(resource, updated))(updated) };
    },
    DELETE: async (request, reply) => {
      if (request.body !== undefined) throw new BadRequest('Request body is not supported for DELETE.');
      const collection = collectionFor(request);
      const ctx = contextOf(request);
      const policy = policyOf(ctx);
      const revision = expectedRevision(request.headers['if-match']);
      const id = pathParam(request, 'id', resourceNotFound(resource));
      const original = await visibleObject(collection, ctx, id);
      if (original) await policy.authorizeDelete(resource, original);
      await collection.delete(ctx, id, revision);
      return reply.code(204).send();
    },
  });

  for (const [name, action] of Object.entries(resource.actions ?? {})) {
    // The body is a bare object checked against the action's declared keys (Neutron's member actions take no envelope).
    const keys = Object.fromEntries(Object.entries(action.body ?? {}).map(([key, decl]) => [key, { ...decl, put: true }]));
    const bodyDecl: ResourceDecl = { collection: name, member: name, attributes: keys };
    serve(`/:id/${name}`, {
      [action.method]: async (request: FastifyRequest) => {
        const collection = collectionFor(request);
        const run = collection.actions?.[name];
        if (run === undefined) throw new MethodNotAllowed(request.method);
        const ctx = contextOf(request);
        const given = action.body === undefined ? {} : request.body;
        if (given !== undefined && (typeof given !== 'object' || given === null || Array.isArray(given))) {
          throw new BadRequest('The request body must be a JSON object.');
        }
        const checked = validateUpdate(bodyDecl, { [name]: given ?? {} }, ctx).value;
        const id = pathParam(request, 'id', resourceNotFound(resource));
        const object = await visibleObject(collection, ctx, id);
        // A caller who cannot see it gets the plugin's NotFound; one who may not act on it, 403.
        if (object === undefined) await collection.show(ctx, id);
        else if (!(await policyOf(ctx).check(name, object))) throw new PolicyNotAuthorized(name);
        return run(ctx, id, checked);
      },
    });
  }
}
