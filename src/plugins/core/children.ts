/** Loads rows that hang off many parents (tags, fixed IPs, pools...) in a few queries, grouped by parent id. */
import type { Db } from '../../db/schema.js';

/**
 * Ids per query. Every backend takes at least 32 766 bound parameters per
 * statement; large chunks keep a 10 000-port list to a couple of queries.
 */
const CHUNK = 10_000;

/** `values` a chunk (one IN list, or `size` values) at a time. */
export function* chunksOf<V>(values: readonly V[], size = CHUNK): Generator<readonly V[]> {
  for (let i = 0; i < values.length; i += size) yield values.slice(i, i + size);
}

/** Runs `load` over `values` a chunk at a time (chunksOf) and concatenates what it returns. */
export async function loadInChunks<V, R>(values: readonly V[], load: (chunk: readonly V[]) => Promise<R[]>, size = CHUNK): Promise<R[]> {
  const rows: R[] = [];
  for (const chunk of chunksOf(values, size)) rows.push(...(await load(chunk)));
  return rows;
}

export async function groupByParent<R>(
  ids: readonly string[],
  load: (chunk: readonly string[]) => Promise<R[]>,
  parentOf: (row: R) => string,
): Promise<Map<string, R[]>> {
  const grouped = new Map<string, R[]>();
  for (const row of await loadInChunks(ids, load)) {
    const parent = parentOf(row);
    const list = grouped.get(parent);
    if (list) list.push(row);
    else grouped.set(parent, [row]);
  }
  return grouped;
}

export async function loadTags(db: Db, ids: readonly string[]): Promise<Map<string, string[]>> {
  const rows = await groupByParent(
    ids,
    (chunk) => db.selectFrom('tags').select(['resource_id', 'tag']).where('resource_id', 'in', chunk).orderBy('tag').execute(),
    (row) => row.resource_id,
  );
  return new Map([...rows].map(([id, list]) => [id, list.map((r) => r.tag)]));
}
