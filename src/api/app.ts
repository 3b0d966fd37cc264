/**
 * The HTTP application: discovery documents, extensions, every declared
 * collection and its tags, one error handler, request ids, the caller's
 * context and its policy, one log line per request, the request metrics and
 * GET /metrics. Bodies are parsed here (not by fastify's schema
 * layer, which would silently drop unknown keys where Neutron answers 400).
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';

import { adminContext, type RequestContext } from '../common/context.js';
import { BadRequest, NeutronError, NotFound } from '../common/errors.js';
import { newRequestId } from '../common/ids.js';
import type { MetricsSource } from '../common/metrics.js';
import type { Collection, NestedCollection } from '../plugins/collection.js';
import { checkServed } from '../plugins/core/storedRows.js';
import type { TagService } from '../plugins/core/tags.js';
import type { ComposedApi } from '../resources/compose.js';
import { type ApiOptions, type PolicyOf, registerCollection, route } from './collectionRoutes.js';
import { sendError } from './errorResponse.js';
import { DEFAULT_DB_RETRY, type DbRetryPolicy, runWithRequestNote } from '../db/retry.js';
import { registerExtensions } from './extensions.js';
import { applyEdgeTimeouts, DEFAULT_HTTP_EDGE, edgeServerOptions, type HttpEdge, refuseLongHeaderLine } from './httpEdge.js';
import { openApiDocument } from './openapi.js';
import { PolicyEnforcer } from './policy/enforcer.js';
import { RequestPolicy } from './policy/requestPolicy.js';
import { holdsNul, nulRefused, queryHoldsNul, requestBaseUrl } from './request.js';
import { registerTags } from './tagRoutes.js';
import { resourcesDocument, versionsDocument } from './versions.js';

/** Resolves the caller of a request (noauth headers, or a Keystone token). */
export type Authenticate = (request: FastifyRequest, requestId: string) => Promise<RequestContext> | RequestContext;

export interface AppParts {
  readonly api: ComposedApi;
  /** The plugin behind each served collection (one per parent for a nested collection). */
  readonly collections: ReadonlyMap<string, Collection | NestedCollection>;
  readonly tags: TagService;
  readonly authenticate: Authenticate;
  readonly options: ApiOptions;
  readonly logger: FastifyBaseLogger;
  /** The rules in force ([oslo_policy] policy_file over the defaults); default: the built-in rules. */
  readonly policy?: PolicyEnforcer;
  /** Extra routes that are not plain collections (network-ip-availabilities, ...). */
  readonly extraRoutes?: readonly ((app: FastifyInstance, contextOf: (r: FastifyRequest) => RequestContext, policyOf: PolicyOf) => void)[];
  /** Told about every response (the request metrics); must be cheap. */
  readonly onResponse?: (response: AnsweredRequest) => void;
  /** Served at GET /metrics: outside /v2.0, so without a token, and in neither /v2.0 nor the OpenAPI document. */
  readonly metrics?: MetricsSource;
  /** Body and header limits and connection timeouts (httpEdge.ts); default: Neutron's defaults. */
  readonly edge?: HttpEdge;
  /** [database] db_* retries of reads whose connection was lost; default oslo.db's. */
  readonly dbRetry?: DbRetryPolicy;
}

/** One answered request, labelled by its route (never by an id or a raw URL). */
export interface AnsweredRequest {
  /** The route's collection path without its ids: `ports`, `networks/tags`, `routers/add_router_interface`; `unknown` when no route matched. */
  readonly resource: string;
  readonly method: string;
  readonly status: number;
  readonly seconds: number;
}

/** `/v2.0/routers/:id/add_router_interface.json` -> `routers/add_router_interface`; `/` -> `versions`, `/v2.0` -> `v2.0`. */
export function resourceOfRoute(url: string | undefined): string {
  if (url === undefined) return 'unknown';
  const parts = url
    .replace(/\.json$/, '')
    .split('/')
    .filter((part) => part !== '' && !part.startsWith(':'));
  if (parts.length === 0) return 'versions';
  if (parts[0] === 'v2.0') return parts.length === 1 ? 'v2.0' : parts.slice(1).join('/');
  return parts.join('/');
}

declare module 'fastify' {
  interface FastifyRequest {
    neutronContext?: RequestContext;
  }
}

/** The collections listed by GET /v2.0 (Neutron lists only the core ones). */
const CORE_COLLECTIONS = ['networks', 'subnets', 'ports'];

export function buildApp(parts: AppParts): FastifyInstance {
  const enforcer = parts.policy ?? PolicyEnforcer.create({ resources: parts.api.resources.values() });
  // Rules that read a parent (a port's network owner) load it as an admin of the caller's project sees it
  // (Neutron's context.elevated(): a network's `shared` is whether it is shared with the caller); a missing one is undefined.
  const loadParent = async (ctx: RequestContext, collection: string, id: string) => {
    try {
      const plugin = parts.collections.get(collection);
      return plugin === undefined || 'within' in plugin ? undefined : await plugin.show({ ...adminContext(ctx.requestId), projectId: ctx.projectId }, id);
    } catch (err) {
      if (err instanceof NeutronError && err.status === 404) return undefined;
      throw err;
    }
  };
  const policyOf: PolicyOf = (ctx) => new RequestPolicy(enforcer, ctx, (collection, id) => loadParent(ctx, collection, id));

  const edge = parts.edge ?? DEFAULT_HTTP_EDGE;
  const app = Fastify({
    loggerInstance: parts.logger,
    logController: new LogController({ disableRequestLogging: true }),
    // An id is looked up whatever its length (Neutron answers the resource's 404); a path that is not
    // percent-decodable (`/v2.0/networks/%ZZ`) is a 404 NotFound too, never fastify's own error body.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 8192 },
    frameworkErrors: (_error, request, reply) => {
      sendError(new NotFound(), request, reply);
    },
    genReqId: () => newRequestId(),
    requestIdHeader: false,
    ...edgeServerOptions(edge),
  });
  applyEdgeTimeouts(app.server, edge);
  app.decorate('dbRetry', parts.dbRetry ?? DEFAULT_DB_RETRY);

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return done(new BadRequest('Malformed request body: the body is not valid JSON.'), undefined);
    }
    // A NUL can only come as the escape \u0000: most bodies are not walked.
    if (text.includes('\\u0000') && holdsNul(parsed)) return done(nulRefused(), undefined);
    return done(null, parsed);
  });

  // First, so that the rest of the request runs inside it.
  app.addHook('onRequest', (_request, _reply, done) => runWithRequestNote(done));
  app.addHook('onRequest', async (request, reply) => {
    reply.header('X-OpenStack-Request-ID', request.id);
    if (refuseLongHeaderLine(request, reply, edge.maxHeaderLine)) return reply;
    if (queryHoldsNul(request.url)) throw nulRefused();
    const path = request.url.split('?', 1)[0] ?? '';
    if (path.startsWith('/v2.0/') || path === '/v2.0') {
      request.neutronContext = enforcer.withAdminFlag(await parts.authenticate(request, request.id));
    }
  });
  // One line per request, as Neutron's API logs it, with what oslo.log's context would show; a metrics scrape only at debug.
  app.addHook('onResponse', async (request, reply) => {
    const seconds = reply.elapsedTime / 1000;
    const route = request.routeOptions.url;
    parts.onResponse?.({ resource: resourceOfRoute(route), method: request.method, status: reply.statusCode, seconds });
    // `http` repeats the message's parts for JSON readers; the text lines show only the message.
    const fields = {
      request_id: request.id,
      project_id: request.neutronContext?.projectId || undefined,
      http: { method: request.method, path: request.url, status: reply.statusCode, duration_ms: Math.round(reply.elapsedTime * 10) / 10 },
    };
    const line = `${request.method} ${request.url} status: ${reply.statusCode} time: ${seconds.toFixed(4)}`;
    if (route === '/metrics') parts.logger.debug(fields, line);
    else parts.logger.info(fields, line);
  });
  app.setErrorHandler((error, request, reply) => sendError(error, request, reply));
  app.setNotFoundHandler((request, reply) => sendError(new NotFound(), request, reply));

  const contextOf = (request: FastifyRequest): RequestContext => {
    if (!request.neutronContext) throw new Error('request reached a handler without a context');
    return request.neutronContext;
  };
  const base = (request: FastifyRequest) => requestBaseUrl(request, parts.options.linkPrefix);

  route(app, '/', { GET: async (request) => versionsDocument(base(request)) });
  const metrics = parts.metrics;
  if (metrics) {
    app.get('/metrics', async (_request, reply) => {
      try {
        const text = await metrics.render();
        return await reply.type(metrics.contentType).send(text);
      } catch (err) {
        parts.logger.warn({ err }, 'collecting metrics failed');
        return await reply.code(503).type('text/plain').send('metrics are unavailable right now\n');
      }
    });
  }
  const core = CORE_COLLECTIONS.map((c) => parts.api.resources.get(c)).filter((r) => r !== undefined);
  route(app, '/v2.0', { GET: async (request) => resourcesDocument(base(request), core) });
  registerExtensions(app, parts.api.extensions);
  // Built once; /v2.0/openapi.json through the `.json` suffix every route accepts.
  const openapi = openApiDocument(parts.api, { allowBulk: parts.options.allowBulk, collections: parts.collections.keys() });
  route(app, '/v2.0/openapi', { GET: async (request) => ({ ...openapi, servers: [{ url: base(request) }] }) });

  for (const [name, collection] of parts.collections) {
    const resource = parts.api.resources.get(name);
    if (!resource) throw new Error(`no declaration for collection ${name}`);
    if (!('within' in collection)) checkServed(resource, collection.pluginFilters ?? new Map());
    registerCollection(app, resource, collection, contextOf, parts.options, policyOf, parts.api.resources);
    if (resource.taggable && !('within' in collection)) {
      registerTags(app, resource, collection, parts.tags, contextOf, policyOf);
    }
  }
  for (const register of parts.extraRoutes ?? []) register(app, contextOf, policyOf);
  return app;
}
