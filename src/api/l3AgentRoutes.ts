/**
 * The l3_agent_scheduler extension's sub-resources (admin only), shaped as
 * dhcp_agent_scheduler's (dhcpAgentRoutes.ts):
 *
 *   GET    /v2.0/agents/{id}/l3-routers           200 {"routers": [...]}
 *   POST   /v2.0/agents/{id}/l3-routers           {"router_id": ...} -> 201, body `null`
 *   DELETE /v2.0/agents/{id}/l3-routers/{router}  204
 *   GET    /v2.0/routers/{id}/l3-agents           200 {"agents": [...]}
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';

import type { RequestContext } from '../common/context.js';
import { BadRequest, PolicyNotAuthorized } from '../common/errors.js';
import type { ApiObject } from '../plugins/collection.js';
import type { ResourceDecl } from '../resources/types.js';
import { pathParam, route } from './collectionRoutes.js';
import { presenter } from './present.js';

/** What the routes need from the L3 plugin. */
export interface L3Hosting {
  routersOnAgent(ctx: RequestContext, agentId: string): Promise<ApiObject[]>;
  addRouter(ctx: RequestContext, agentId: string, routerId: string): Promise<void>;
  removeRouter(ctx: RequestContext, agentId: string, routerId: string): Promise<void>;
  agentsHostingRouter(ctx: RequestContext, routerId: string): Promise<ApiObject[]>;
}

function routerIdOf(body: unknown): string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequest('Body must be a JSON object with router_id.');
  const routerId = (body as Record<string, unknown>).router_id;
  if (typeof routerId !== 'string' || routerId === '') throw new BadRequest("Unable to find 'router_id' in request body");
  return routerId;
}

export function registerL3AgentRoutes(
  app: FastifyInstance,
  hosting: L3Hosting,
  resources: { readonly routers: ResourceDecl; readonly agents: ResourceDecl },
  contextOf: (request: FastifyRequest) => RequestContext,
): void {
  const admin = (request: FastifyRequest, action: string) => {
    const ctx = contextOf(request);
    if (!ctx.isAdmin) throw new PolicyNotAuthorized(action);
    return ctx;
  };
  route(app, '/v2.0/agents/:id/l3-routers', {
    GET: async (request) => {
      const ctx = admin(request, 'get_l3-routers');
      const routers = await hosting.routersOnAgent(ctx, pathParam(request, 'id'));
      return { routers: routers.map(presenter(resources.routers, ctx, undefined)) };
    },
    POST: async (request, reply) => {
      const ctx = admin(request, 'create_l3-router');
      await hosting.addRouter(ctx, pathParam(request, 'id'), routerIdOf(request.body));
      return reply.code(201).type('application/json').send('null');
    },
  });
  route(app, '/v2.0/agents/:id/l3-routers/:router_id', {
    DELETE: async (request, reply) => {
      const ctx = admin(request, 'delete_l3-router');
      await hosting.removeRouter(ctx, pathParam(request, 'id'), pathParam(request, 'router_id'));
      return reply.code(204).send();
    },
  });
  route(app, '/v2.0/routers/:id/l3-agents', {
    GET: async (request) => {
      const ctx = admin(request, 'get_l3-agents');
      const agents = await hosting.agentsHostingRouter(ctx, pathParam(request, 'id'));
      return { agents: agents.map(presenter(resources.agents, ctx, undefined)) };
    },
  });
}
