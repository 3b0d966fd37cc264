/**
 * Quotas: the limits an admin set for a project (one row per project and
 * resource; resources without a row use the configured default), and one
 * lock row per project and resource that every quota-checked create takes
 * before it counts, so that concurrent creates, also from several server
 * processes, are counted one after the other.
 *
 * Frozen in time: this file imports nothing from the application, and once
 * released it never changes.
 */
import { MysqlAdapter, PostgresAdapter, sql, type ColumnDefinitionBuilder, type Expression, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations do not depend on the application's schema types
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  const adapter = db.getExecutor().adapter;
  const postgres = adapter instanceof PostgresAdapter;
  const mysql = adapter instanceof MysqlAdapter;
  const str = (n: number): Expression<unknown> =>
    postgres ? sql`varchar(${sql.raw(String(n))}) collate "C"` : sql`varchar(${sql.raw(String(n))})`;
  const notNull = (col: ColumnDefinitionBuilder) => col.notNull();
  const table = (name: string) => {
    const builder = db.schema.createTable(name);
    return mysql ? builder.modifyEnd(sql`engine = InnoDB default charset = utf8mb4 collate = utf8mb4_bin`) : builder;
  };

  await table('quotas')
    .addColumn('project_id', str(255), notNull)
    .addColumn('resource', str(255), notNull)
    .addColumn('limit', 'integer', notNull)
    .addPrimaryKeyConstraint('quotas_pkey', ['project_id', 'resource'])
    .execute();

  await table('quota_locks')
    .addColumn('project_id', str(255), notNull)
    .addColumn('resource', str(255), notNull)
    .addColumn('generation', 'bigint', (col) => col.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('quota_locks_pkey', ['project_id', 'resource'])
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('quota_locks').execute();
  await db.schema.dropTable('quotas').execute();
}
