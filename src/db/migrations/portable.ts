/**
 * Column and table helpers shared by migrations so every backend gets the
 * same shapes: VARCHAR/TEXT with a byte-wise collation (PostgreSQL COLLATE
 * "C", MySQL utf8mb4_bin tables), InnoDB on MySQL.
 *
 * Migrations that import this are frozen too: what this file produces for a
 * given call must never change; add new helpers instead of changing these.
 */
import { MysqlAdapter, PostgresAdapter, sql, type CreateTableBuilder, type Expression, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations do not depend on the application's schema types
export type AnyDb = Kysely<any>;

export interface Portable {
  /** VARCHAR(n), compared byte-wise. */
  str(n: number): Expression<unknown>;
  /** TEXT, compared byte-wise. */
  text(): Expression<unknown>;
  table(name: string): CreateTableBuilder<string, string>;
}

export function portable(db: AnyDb): Portable {
  const adapter = db.getExecutor().adapter;
  const postgres = adapter instanceof PostgresAdapter;
  const mysql = adapter instanceof MysqlAdapter;
  return {
    str: (n) => (postgres ? sql`varchar(${sql.raw(String(n))}) collate "C"` : sql`varchar(${sql.raw(String(n))})`),
    text: () => (postgres ? sql`text collate "C"` : sql`text`),
    table: (name) => {
      const builder = db.schema.createTable(name);
      return mysql ? builder.modifyEnd(sql`engine = InnoDB default charset = utf8mb4 collate = utf8mb4_bin`) : builder;
    },
  };
}
