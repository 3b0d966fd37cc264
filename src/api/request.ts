import type { FastifyRequest } from 'fastify';

import { InvalidInput, type NeutronError } from '../common/errors.js';

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

/**
 * No stored value holds a NUL character and PostgreSQL refuses one in a query, so a string with one
 * (in a body, a query string or a tag) is refused alike on every backend.
 */
export const nulRefused = (): NeutronError => new InvalidInput('NUL characters are not allowed in strings');

/** Whether any string (or key) in a parsed JSON value holds a NUL character. */
export function holdsNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (typeof value !== 'object' || value === null || depth > 64) return false;
  if (Array.isArray(value)) return value.some((item) => holdsNul(item, depth + 1));
  return Object.entries(value).some(([key, item]) => key.includes('\u0000') || holdsNul(item, depth + 1));
}

/** Whether the decoded query string holds a NUL character (only decoded when `%00` is in it). */
export function queryHoldsNul(url: string): boolean {
  const at = url.indexOf('?');
  if (at < 0 || !url.includes('%00', at)) return false;
  return queryPairs(url).some(([key, value]) => key.includes('\u0000') || value.includes('\u0000'));
}
