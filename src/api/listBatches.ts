/**
 * The objects of a list request, read batch by batch. A list without a
 * `limit` from a collection that pages in its database (Collection.keysetPaging)
 * is read as consecutive pages of LIST_BATCH objects, each after the last
 * object of the one before: the order pagination gives (the sort keys, then
 * id), with memory bounded by one batch whatever the list's length. A
 * paginated request, a collection that builds its list in memory, or a sort
 * on an attribute that may be null (no row sorts after a null marker in SQL,
 * so a batch could end the list early), is read in one call.
 */
import type { RequestContext } from '../common/context.js';
import type { ApiObject, Collection } from '../plugins/collection.js';
import { MarkerNotFound } from '../plugins/core/listRows.js';
import type { ResourceDecl } from '../resources/types.js';
import type { ListQuery } from './listQuery.js';
import { attributesOf } from './resourceAttributes.js';

/**
 * Objects read, presented and serialised at a time: enough that a batch's
 * queries cost little per object, few enough that a batch (about 1 KB per
 * port as objects, as much again as text) is garbage before V8 moves it out
 * of its young generation, which the all-in-one keeps small (bin/nucleon.js).
 */
export const LIST_BATCH = 250;

export interface BatchReader {
  readonly resource: ResourceDecl;
  readonly collection: Collection;
  readonly ctx: RequestContext;
  readonly query: ListQuery;
  /** The object's marker value (its primary key). */
  readonly keyOf: (object: ApiObject) => string;
  /** Runs each read after the first (the first runs in the request's own retries). */
  readonly retry: <T>(read: () => Promise<T>) => Promise<T>;
}

export async function* listBatches(reader: BatchReader): AsyncGenerator<ApiObject[]> {
  const { collection, ctx, query } = reader;
  if (query.matchesNothing) return;
  if (query.limit !== undefined || collection.keysetPaging !== true || query.sorts.some((s) => mayBeNull(reader.resource, s.key))) {
    yield await collection.list(ctx, query);
    return;
  }
  const first = await collection.list(ctx, { ...query, limit: LIST_BATCH });
  let page: Page = { objects: first, keys: first.map(reader.keyOf) };
  for (;;) {
    yield page.objects;
    if (page.keys.length < LIST_BATCH) return;
    const keys = page.keys;
    page = await reader.retry(() => pageAfter(reader, keys));
  }
}

function mayBeNull(resource: ResourceDecl, attribute: string): boolean {
  const decl = attributesOf(resource).get(attribute);
  return decl === undefined || decl.nullable === true || decl.default === null;
}

interface Page {
  /** What to send. */
  readonly objects: ApiObject[];
  /** The keys of every object the collection returned, in order (the next marker is the last). */
  readonly keys: readonly string[];
}

/**
 * The batch after the objects `sent`, in order. Its marker is the last one
 * sent; when that object was deleted meanwhile (the database has no row to
 * read its sort values from), the one before it, and so on, leaving out
 * what was already sent.
 */
async function pageAfter(reader: BatchReader, sent: readonly string[]): Promise<Page> {
  const { collection, ctx, query } = reader;
  for (let i = sent.length - 1; i >= 0; i--) {
    let objects: ApiObject[];
    try {
      objects = await collection.list(ctx, { ...query, limit: LIST_BATCH, marker: sent[i] });
    } catch (err) {
      if (err instanceof MarkerNotFound) continue;
      throw err;
    }
    const keys = objects.map(reader.keyOf);
    const seen = new Set(sent.slice(i + 1));
    return { objects: seen.size === 0 ? objects : objects.filter((_, j) => !seen.has(keys[j]!)), keys };
  }
  throw new MarkerNotFound(sent[sent.length - 1] ?? '');
}
