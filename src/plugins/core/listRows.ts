/**
 * Turns a parsed list query (filters, sorting, pagination, tags,
 * changed_since) into one SQL query over a resource's main table. Used by
 * every collection, so it works on table and column names given as data.
 */
import { type Expression, type ExpressionBuilder, type Kysely, type SqlBool, sql } from 'kysely';

import type { Db } from '../../db/schema.js';

/** A view of the database in which tables and columns are chosen at run time. */
type DynamicTables = { [table: string]: { [column: string]: unknown } };
type Builder = ExpressionBuilder<DynamicTables, string>;

export interface ColumnSpec {
  readonly column: string;
  /** Stored as 0/1. */
  readonly bool?: boolean;
}

export interface TableSpec {
  readonly table: string;
  /** API attribute name -> column, for every attribute that can be filtered or sorted on. */
  readonly columns: Readonly<Record<string, ColumnSpec>>;
}

export interface SortKey {
  readonly key: string;
  readonly dir: 'asc' | 'desc';
}

export interface TagFilters {
  readonly tags?: readonly string[];
  readonly tagsAny?: readonly string[];
  readonly notTags?: readonly string[];
  readonly notTagsAny?: readonly string[];
}

export interface RowQuery {
  readonly filters: ReadonlyMap<string, readonly unknown[]>;
  readonly sorts: readonly SortKey[];
  readonly limit?: number | undefined;
  readonly marker?: string | undefined;
  readonly pageReverse?: boolean;
  readonly tagFilters?: TagFilters;
  readonly changedSince?: string | undefined;
}

/** An extra condition a collection adds (visibility, special filters). */
export type Condition = (eb: Builder) => Expression<SqlBool>;

export class MarkerNotFound extends Error {
  constructor(readonly marker: string) {
    super(`marker ${marker} not found`);
  }
}

/** A filter on an attribute that is not a column of the main table (stored by another plugin, or derived). */
export type FilterCondition = (values: readonly unknown[]) => Condition;

export async function listRows(
  db: Db,
  spec: TableSpec,
  query: RowQuery,
  conditions: readonly Condition[] = [],
  otherFilters: ReadonlyMap<string, FilterCondition> = new Map(),
): Promise<Record<string, unknown>[]> {
  const dyn = db as unknown as Kysely<DynamicTables>;
  const t = spec.table;
  const col = (attribute: string): string => {
    const c = spec.columns[attribute];
    if (!c) throw new Error(`${t}: no column for attribute ${attribute}`);
    return `${t}.${c.column}`;
  };

  const where: Condition[] = [...conditions];
  for (const [attribute, values] of query.filters) {
    if (values.length === 0) continue;
    const c = spec.columns[attribute];
    const other = otherFilters.get(attribute);
    if (c) {
      const stored = c.bool ? values.map((v) => (v ? 1 : 0)) : values;
      where.push((eb) => eb(col(attribute), 'in', stored));
    } else if (other) {
      where.push(other(values));
    } else {
      // A declared filter nobody implements would silently match everything.
      throw new Error(`${t}: no way to filter on ${attribute}`);
    }
  }
  if (query.changedSince) {
    const since = query.changedSince;
    where.push((eb) => eb(`${t}.updated_at`, '>=', since));
  }
  where.push(...tagConditions(t, query.tagFilters));

  // Pagination needs a total order: the requested keys, then id.
  const sorts = [...query.sorts];
  if (query.limit !== undefined || query.marker !== undefined) {
    if (!sorts.some((s) => s.key === 'id')) sorts.push({ key: 'id', dir: 'asc' });
  }
  const reverse = query.pageReverse === true;
  const effective = sorts.map((s) => ({ key: s.key, dir: reverse ? flip(s.dir) : s.dir }));

  if (query.marker !== undefined) {
    const markerRow = await dyn
      .selectFrom(t)
      .select(effective.map((s) => `${col(s.key)} as ${s.key.replace(/\W/g, '_')}`))
      .where(`${t}.id`, '=', query.marker)
      .executeTakeFirst();
    if (!markerRow) throw new MarkerNotFound(query.marker);
    const values = effective.map((s) => markerRow[s.key.replace(/\W/g, '_')]);
    where.push((eb) => afterMarker(eb, effective.map((s) => ({ column: col(s.key), dir: s.dir })), values));
  }

  let qb = dyn.selectFrom(t).selectAll(t);
  if (where.length > 0) qb = qb.where((eb) => eb.and(where.map((c) => c(eb))));
  for (const s of effective) qb = qb.orderBy(col(s.key), s.dir);
  if (query.limit !== undefined && query.limit > 0) qb = qb.limit(query.limit);
  const rows = await qb.execute();
  return reverse ? rows.reverse() : rows;
}

const flip = (dir: 'asc' | 'desc'): 'asc' | 'desc' => (dir === 'asc' ? 'desc' : 'asc');

/** Rows strictly after the marker in the sort order: (a > x) or (a = x and b > y) or ... */
function afterMarker(
  eb: Builder,
  keys: readonly { column: string; dir: 'asc' | 'desc' }[],
  values: readonly unknown[],
): Expression<SqlBool> {
  const branches = keys.map((key, i) => {
    const equalBefore = keys.slice(0, i).map((k, j) => eb(k.column, '=', values[j]));
    return eb.and([...equalBefore, eb(key.column, key.dir === 'asc' ? '>' : '<', values[i])]);
  });
  return eb.or(branches);
}

function tagConditions(table: string, filters: TagFilters | undefined): Condition[] {
  if (!filters) return [];
  const hasTag = (eb: Builder, tag: string) =>
    eb.exists(
      eb
        .selectFrom('tags')
        .select(sql.lit(1).as('one'))
        .whereRef('tags.resource_id', '=', `${table}.id`)
        .where('tags.tag', '=', tag),
    );
  const out: Condition[] = [];
  const { tags, tagsAny, notTags, notTagsAny } = filters;
  if (tags?.length) out.push((eb) => eb.and(tags.map((tag) => hasTag(eb, tag))));
  if (tagsAny?.length) out.push((eb) => eb.or(tagsAny.map((tag) => hasTag(eb, tag))));
  if (notTags?.length) out.push((eb) => eb.not(eb.and(notTags.map((tag) => hasTag(eb, tag)))));
  if (notTagsAny?.length) out.push((eb) => eb.not(eb.or(notTagsAny.map((tag) => hasTag(eb, tag)))));
  return out;
}
