/** GET /v2.0/availability_zones (availability_zone extension): zones from the agents, for any caller. */
import type { FastifyInstance, FastifyRequest } from 'fastify';

import type { RequestContext } from '../common/context.js';
import { BadRequest } from '../common/errors.js';
import { route } from './collectionRoutes.js';
import { queryPairs } from './request.js';

export interface AvailabilityZone {
  readonly name: string;
  readonly resource: string;
  readonly state: string;
}

const FILTERS = ['name', 'resource', 'state'] as const;

export function registerAvailabilityZones(
  app: FastifyInstance,
  zones: () => Promise<AvailabilityZone[]>,
  contextOf: (request: FastifyRequest) => RequestContext,
): void {
  route(app, '/v2.0/availability_zones', {
    GET: async (request) => {
      contextOf(request);
      const wanted = new Map<string, string[]>();
      for (const [key, value] of queryPairs(request.url)) {
        if (key === 'fields') continue;
        if (!(FILTERS as readonly string[]).includes(key)) throw new BadRequest(`${key} is invalid attribute for filtering`);
        if (value !== '') wanted.set(key, [...(wanted.get(key) ?? []), value]);
      }
      const matches = (zone: AvailabilityZone) =>
        FILTERS.every((key) => !wanted.has(key) || wanted.get(key)!.includes(zone[key]));
      return { availability_zones: (await zones()).filter(matches) };
    },
  });
}
