/** The discovery documents: GET / (API versions) and GET /v2.0 (core collections). */
import type { ResourceDecl } from '../resources/types.js';

export function versionsDocument(baseUrl: string) {
  return { versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ rel: 'self', href: `${baseUrl}/v2.0/` }] }] };
}

export function resourcesDocument(baseUrl: string, resources: Iterable<ResourceDecl>) {
  return {
    resources: [...resources].map((r) => ({
      name: r.member,
      collection: r.collection,
      links: [{ rel: 'self', href: `${baseUrl}/v2.0/${r.collection}` }],
    })),
  };
}
