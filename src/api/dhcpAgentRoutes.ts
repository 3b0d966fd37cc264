/**
 * The dhcp_agent_scheduler extension's sub-resources (admin only):
 *
 *   GET    /v2.0/agents/{id}/dhcp-networks          200 {"networks": [...]}
 *   POST   /v2.0/agents/{id}/dhcp-networks          {"network_id": ...} -> 201, body `null`
 *   DELETE /v2.0/agents/{id}/dhcp-networks/{net}    204 (a body is allowed: openstacksdk sends one)
 *   GET    /v2.0/networks/{id}/dhcp-agents          200 {"agents": [...]}
 *
 * POST answers `null` as Neutron does (its controller returns None, which the
 * JSON renderer writes as null): tempest accepts it as an empty body and
 * openstacksdk parses it. Objects are shown as the networks and agents APIs
 * show them.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';

import type { RequestContext } from '../common/context.js';
import { BadRequest } from '../common/errors.js';
import type { DhcpHostingService } from '../plugins/agents/dhcpHosting.js';
import type { ResourceDecl } from '../resources/types.js';
import { pathParam, route } from './collectionRoutes.js';
import { presenter } from './present.js';

export interface DhcpAgentRouteResources {
  readonly networks: ResourceDecl;
  readonly agents: ResourceDecl;
}

function networkIdOf(body: unknown): string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequest('Body must be a JSON object with network_id.');
  const networkId = (body as Record<string, unknown>).network_id;
  if (typeof networkId !== 'string' || networkId === '') throw new BadRequest("Unable to find 'network_id' in request body");
  return networkId;
}

export function registerDhcpAgentRoutes(
  app: FastifyInstance,
  hosting: DhcpHostingService,
  resources: DhcpAgentRouteResources,
  contextOf: (request: FastifyRequest) => RequestContext,
): void {
  route(app, '/v2.0/agents/:id/dhcp-networks', {
    GET: async (request) => {
      const ctx = contextOf(request);
      const networks = await hosting.networksOnAgent(ctx, pathParam(request, 'id'));
      return { networks: networks.map(presenter(resources.networks, ctx, undefined)) };
    },
    POST: async (request, reply) => {
      const ctx = contextOf(request);
      await hosting.addNetwork(ctx, pathParam(request, 'id'), networkIdOf(request.body));
      return reply.code(201).type('application/json').send('null');
    },
  });
  route(app, '/v2.0/agents/:id/dhcp-networks/:network_id', {
    DELETE: async (request, reply) => {
      const ctx = contextOf(request);
      await hosting.removeNetwork(ctx, pathParam(request, 'id'), pathParam(request, 'network_id'));
      return reply.code(204).send();
    },
  });
  route(app, '/v2.0/networks/:id/dhcp-agents', {
    GET: async (request) => {
      const ctx = contextOf(request);
      const agents = await hosting.agentsHostingNetwork(ctx, pathParam(request, 'id'));
      return { agents: agents.map(presenter(resources.agents, ctx, undefined)) };
    },
  });
}
