import type { FastifyRequest } from 'fastify';

/** The query string as ordered key/value pairs, repeats kept (`fields=id&fields=name`). */
export function queryPairs(url: string): [string, string][] {
  const at = url.indexOf('?');
  return at < 0 ? [] : [...new URLSearchParams(url.slice(at + 1))];
}

/** Where clients reach us, for links: network_link_prefix, else the request's own scheme and host. */
export function requestBaseUrl(request: FastifyRequest, linkPrefix: string | undefined): string {
  if (linkPrefix) return linkPrefix.replace(/\/+$/, '');
  const forwarded = request.headers['x-forwarded-proto'];
  const proto = (Array.isArray(forwarded) ? forwarded[0] : forwarded) ?? request.protocol;
  return `${proto}://${request.headers.host ?? request.hostname}`;
}
