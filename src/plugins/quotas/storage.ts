/**
 * Quota rows: the limits admins set per project, the lock row each checked
 * create takes, and how many of a resource a project has.
 */
import { type Kysely, MysqlAdapter, sql } from 'kysely';

import type { Db, Tx } from '../../db/schema.js';
import { QUOTA_RESOURCES, type QuotaResource } from '../../resources/extensions/quotas.js';
import type { ResourceDecl } from '../../resources/types.js';

/** A limit for every quota resource; a negative limit is unlimited. */
export type QuotaLimits = Readonly<Record<QuotaResource, number>>;

export const isQuotaResource = (name: string): name is QuotaResource => (QUOTA_RESOURCES as readonly string[]).includes(name);

/** The table whose rows of a project count against each quota resource, from the declarations' `quota` (resources not served count 0). */
export type CountedIn = ReadonlyMap<string, string>;

export function countedIn(resources: Iterable<ResourceDecl>): CountedIn {
  const tables = new Map<string, string>();
  for (const resource of resources) {
    if (resource.quota !== undefined && resource.table !== undefined) tables.set(resource.quota.resource ?? resource.member, resource.table);
  }
  return tables;
}

/** How many of `resource` the project has, as this transaction sees it (its own inserts included). */
export async function countUsed(db: Db, tables: CountedIn, projectId: string, resource: QuotaResource): Promise<number> {
  const table = tables.get(resource);
  if (table === undefined) return 0;
  const dyn = db as unknown as Kysely<Record<string, { project_id: string }>>;
  const row = await dyn
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('used'))
    .where('project_id', '=', projectId)
    .executeTakeFirstOrThrow();
  return Number(row.used);
}

/** The limits the project's admin set, by resource (unknown resource names skipped). */
export async function overridesOf(db: Db, projectId: string): Promise<Map<QuotaResource, number>> {
  const rows = await db.selectFrom('quotas').select(['resource', 'limit']).where('project_id', '=', projectId).execute();
  return new Map(rows.filter((r) => isQuotaResource(r.resource)).map((r) => [r.resource as QuotaResource, r.limit]));
}

/** The one limit that applies to the project for `resource`. */
export async function limitOf(db: Db, projectId: string, resource: QuotaResource, defaults: QuotaLimits): Promise<number> {
  const row = await db
    .selectFrom('quotas')
    .select('limit')
    .where('project_id', '=', projectId)
    .where('resource', '=', resource)
    .executeTakeFirst();
  return row?.limit ?? defaults[resource];
}

/** Every project that has limits of its own, with them, ordered by project. */
export async function allOverrides(db: Db): Promise<Map<string, Map<QuotaResource, number>>> {
  const rows = await db.selectFrom('quotas').select(['project_id', 'resource', 'limit']).orderBy('project_id').orderBy('resource').execute();
  const out = new Map<string, Map<QuotaResource, number>>();
  for (const row of rows) {
    if (!isQuotaResource(row.resource)) continue;
    let project = out.get(row.project_id);
    if (project === undefined) out.set(row.project_id, (project = new Map()));
    project.set(row.resource, row.limit);
  }
  return out;
}

const isMysql = (db: Db): boolean => db.getExecutor().adapter instanceof MysqlAdapter;

/** Sets the project's own limit for `resource` (insert or replace). */
export async function storeLimit(tx: Tx, projectId: string, resource: QuotaResource, limit: number): Promise<void> {
  const insert = tx.insertInto('quotas').values({ project_id: projectId, resource, limit });
  await (isMysql(tx)
    ? insert.onDuplicateKeyUpdate({ limit })
    : insert.onConflict((oc) => oc.columns(['project_id', 'resource']).doUpdateSet({ limit }))
  ).execute();
}

/** Removes the project's own limits; how many there were. */
export async function deleteOverrides(tx: Tx, projectId: string): Promise<number> {
  const result = await tx.deleteFrom('quotas').where('project_id', '=', projectId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * Takes the project's lock for `resource` until the transaction ends by
 * writing its row. A second transaction doing the same waits here (MariaDB,
 * PostgreSQL row lock; on SQLite transactions are serial anyway), so counts
 * taken after it include everything the first one committed. The first
 * time, an upsert creates the row: concurrent creators wait for each other
 * on its key instead of failing.
 */
export async function lockQuota(tx: Tx, projectId: string, resource: QuotaResource): Promise<void> {
  const updated = await tx
    .updateTable('quota_locks')
    .set({ generation: sql<number>`generation + 1` })
    .where('project_id', '=', projectId)
    .where('resource', '=', resource)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) > 0) return;
  const insert = tx.insertInto('quota_locks').values({ project_id: projectId, resource, generation: 1 });
  await (isMysql(tx)
    ? insert.onDuplicateKeyUpdate({ generation: sql<number>`generation + 1` })
    : insert.onConflict((oc) => oc.columns(['project_id', 'resource']).doUpdateSet({ generation: sql<number>`quota_locks.generation + 1` }))
  ).execute();
}
