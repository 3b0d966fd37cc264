/**
 * `<collection>_links` for a paginated list (neutron-api.md §2; upstream
 * get_pagination_links, get_next_link and get_previous_link in
 * neutron/api/api_common.py).
 */

export interface PaginationInput {
  /** The request URL without its query string, as clients reach us: `http://host:9696/v2.0/networks`. */
  readonly baseUrl: string;
  /** The request's query pairs in order, repeats kept. */
  readonly query: ReadonlyArray<readonly [string, string]>;
  /** Ids of the items on this page, in response order. */
  readonly ids: readonly string[];
  /** The effective page size; no links without one. */
  readonly limit: number | undefined;
  /** The marker of this request (upstream ignores it when building links). */
  readonly marker?: string | undefined;
  readonly pageReverse: boolean;
}

export interface PaginationLink {
  readonly rel: 'next' | 'previous';
  readonly href: string;
}

/**
 * `next` unless the page is short and we were going forward; `previous`
 * unless the page is short and we were going backward. A full last page
 * still links to the (empty) page after it: clients stop there.
 *
 * next: the query with `marker` = last id and `page_reverse` removed.
 * previous: the query with `marker` = first id and `page_reverse=True`.
 * Other parameters keep their order; the changed ones move to the end, as
 * Python's urlencode of webob's MultiDict does. With no items there is no
 * marker at all.
 */
export function paginationLinks(input: PaginationInput): PaginationLink[] {
  const { limit, ids, pageReverse } = input;
  if (limit === undefined || limit <= 0) return [];
  const short = ids.length < limit;
  const links: PaginationLink[] = [];
  if (!(short && !pageReverse)) {
    const params = input.query.filter(([k]) => k !== 'marker' && k !== 'page_reverse');
    const lastId = ids[ids.length - 1];
    if (lastId !== undefined) params.push(['marker', lastId]);
    links.push({ rel: 'next', href: withQuery(input.baseUrl, params) });
  }
  if (!(short && pageReverse)) {
    const params = input.query.filter(([k]) => k !== 'marker' && k !== 'page_reverse');
    const firstId = ids[0];
    if (firstId !== undefined) params.push(['marker', firstId]);
    params.push(['page_reverse', 'True']);
    links.push({ rel: 'previous', href: withQuery(input.baseUrl, params) });
  }
  return links;
}

function withQuery(baseUrl: string, params: ReadonlyArray<readonly [string, string]>): string {
  return `${baseUrl}?${params.map(([k, v]) => `${quotePlus(k)}=${quotePlus(v)}`).join('&')}`;
}

/** Python's urllib.parse.quote_plus: only letters, digits and `_.-~` stay, space becomes `+`. */
export function quotePlus(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}
