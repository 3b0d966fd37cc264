/** GET /v2.0/availability_zones (availability_zone, availability_zone_filter): zones from the agents, for any caller, filtered by name, resource and state, with `fields=`. */
import type { FastifyInstance, FastifyRequest } from 'fastify';

import type { RequestContext } from '../common/context.js';
import { BadRequest } from '../common/errors.js';
import { route } from './collectionRoutes.js';
import { pyRepr } from './pyFormat.js';
import { queryPairs } from './request.js';

export interface AvailabilityZone {
  readonly name: string;
  readonly resource: string;
  readonly state: string;
}

const FILTERS = ['name', 'resource', 'state'] as const;
/** Query keys that are never filters (get_filters' skips). */
const NOT_FILTERS = new Set(['fields', 'sort_key', 'sort_dir', 'limit', 'marker', 'page_reverse']);

export function registerAvailabilityZones(
  app: FastifyInstance,
  zones: () => Promise<AvailabilityZone[]>,
  contextOf: (request: FastifyRequest) => RequestContext,
): void {
  route(app, '/v2.0/availability_zones', {
    GET: async (request) => {
      contextOf(request);
      const wanted = new Map<string, string[]>();
      const invalid: string[] = [];
      const fields: string[] = [];
      for (const [key, value] of queryPairs(request.url)) {
        if (key === 'fields' && (FILTERS as readonly string[]).includes(value)) fields.push(value);
        if (NOT_FILTERS.has(key)) continue;
        if (!(FILTERS as readonly string[]).includes(key)) {
          if (!invalid.includes(key)) invalid.push(key);
          continue;
        }
        // empty-string-filtering: `?name=` asks for a zone named "" (there is none).
        wanted.set(key, [...(wanted.get(key) ?? []), value]);
      }
      // availability_zone_filter: name, resource and state are filters, any other key is refused (as listQuery.ts words it).
      if (invalid.length > 0) throw new BadRequest(`${pyRepr(invalid)} is invalid attribute for filtering`);
      const matches = (zone: AvailabilityZone) =>
        FILTERS.every((key) => !wanted.has(key) || wanted.get(key)!.includes(zone[key]));
      const found = (await zones()).filter(matches);
      const shown = fields.length === 0 ? found : found.map((zone) => Object.fromEntries(fields.map((field) => [field, zone[field as keyof AvailabilityZone]])));
      return { availability_zones: shown };
    },
  });
}
