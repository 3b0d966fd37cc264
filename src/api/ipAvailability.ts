/** /v2.0/network-ip-availabilities[/{network_id}] (admin only). Totals can exceed 2^53 on IPv6, so they are written as exact JSON integers. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import type { RequestContext } from '../common/context.js';
import { BadRequest, NetworkNotFound, PolicyNotAuthorized } from '../common/errors.js';
import type { AvailabilityFilter, NetworkAvailability } from '../plugins/core/ipAvailability.js';
import { pathParam, route } from './collectionRoutes.js';
import { queryPairs } from './request.js';

const FILTERS = new Set(['network_id', 'network_name', 'project_id', 'tenant_id', 'ip_version', 'fields']);

/** JSON.stringify that writes bigint values as plain integers. */
export function stringifyWithBigInts(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `\u0000big:${v}` : v)).replace(
    /"\\u0000big:(\d+)"/g,
    '$1',
  );
}

function sendJson(reply: FastifyReply, body: unknown): FastifyReply {
  return reply.type('application/json').send(stringifyWithBigInts(body));
}

export function registerIpAvailability(
  app: FastifyInstance,
  ipAvailability: (filter: AvailabilityFilter) => Promise<NetworkAvailability[]>,
  contextOf: (request: FastifyRequest) => RequestContext,
): void {
  const adminOnly = (request: FastifyRequest) => {
    const ctx = contextOf(request);
    if (!ctx.isAdmin) throw new PolicyNotAuthorized('get_network_ip_availability');
  };
  route(app, '/v2.0/network-ip-availabilities', {
    GET: async (request, reply) => {
      adminOnly(request);
      // empty-string-filtering: `?network_name=` asks for networks named "" (an empty ip_version is still ignored).
      const values = (key: string) => queryPairs(request.url).filter(([k]) => k === key).map(([, v]) => v);
      for (const [key] of queryPairs(request.url)) {
        if (!FILTERS.has(key)) throw new BadRequest(`${key} is invalid attribute for filtering`);
      }
      const ipVersions = values('ip_version').filter((v) => v !== '').map(Number);
      if (ipVersions.some((v) => v !== 4 && v !== 6)) throw new BadRequest('ip_version must be 4 or 6');
      const result = await ipAvailability({
        networkIds: values('network_id'),
        networkNames: values('network_name'),
        projectIds: [...values('project_id'), ...values('tenant_id')],
        ipVersions,
      });
      return sendJson(reply, { network_ip_availabilities: result });
    },
  });
  route(app, '/v2.0/network-ip-availabilities/:id', {
    GET: async (request, reply) => {
      adminOnly(request);
      const id = pathParam(request, 'id');
      const [result] = await ipAvailability({ networkIds: [id] });
      if (!result) throw new NetworkNotFound(id);
      return sendJson(reply, { network_ip_availability: result });
    },
  });
}
