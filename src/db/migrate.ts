/**
 * Schema revisions: run the pending migrations (`nucleon-db-manage upgrade
 * head`) and check, when a server starts, that the database is at the
 * revision this code was written for.
 *
 * Kysely's Migrator takes a database lock around the run (GET_LOCK on MySQL,
 * an advisory lock on PostgreSQL, a BEGIN IMMEDIATE transaction on SQLite, see
 * connect.ts), so several servers may upgrade at once: one runs the
 * migrations, the others then find nothing to do.
 */
import { Migrator, type Kysely, type MigrationResult } from 'kysely';
import { MIGRATIONS, StaticMigrationProvider } from './migrations/index.js';
import type { Database } from './schema.js';

/** The table where Kysely records applied migrations (one row per migration name). */
export const MIGRATION_TABLE = 'kysely_migration';
export const MIGRATION_LOCK_TABLE = 'kysely_migration_lock';

const UPGRADE_COMMAND = "nucleon-db-manage --config-file <your neutron.conf> upgrade head";

/** The database is missing migrations this code needs. */
export class SchemaBehind extends Error {
  override readonly name = 'SchemaBehind';
  constructor(
    readonly current: string | null,
    readonly head: string,
  ) {
    super(
      `the database schema is at ${current ?? 'no revision (empty database)'} but this Nucleon needs ${head}: ` +
        `run '${UPGRADE_COMMAND}'`,
    );
  }
}

/** The database has migrations this code does not know: a newer Nucleon upgraded it. */
export class SchemaAhead extends Error {
  override readonly name = 'SchemaAhead';
  constructor(
    readonly current: string,
    readonly head: string,
    readonly unknown: readonly string[],
  ) {
    super(
      `the database schema is at ${current}, newer than this Nucleon (${head}); ` +
        `unknown migrations: ${unknown.join(', ')}: run the Nucleon version that upgraded it`,
    );
  }
}

/** A migration run stopped. `migration` is the one that failed, or null if the run failed before any (lock, bookkeeping). */
export class MigrationFailed extends Error {
  override readonly name = 'MigrationFailed';
  constructor(
    readonly migration: string | null,
    /** Migrations that did complete in this run, in order. */
    readonly applied: readonly string[],
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      migration === null
        ? `database migration failed: ${reason}`
        : `database migration ${migration} failed: ${reason}`,
      { cause },
    );
  }
}

export interface UpgradeResult {
  /** Migrations this call applied, in order; empty when the schema was already at head. */
  applied: string[];
  /** The revision now (the head). */
  current: string;
}

const NAMES: readonly string[] = Object.keys(MIGRATIONS).sort();

/** The newest migration this code knows. */
export function headRevision(): string {
  const head = NAMES[NAMES.length - 1];
  if (head === undefined) throw new Error('no migrations are defined');
  return head;
}

/** Every migration this code knows, in the order they run. */
export function knownRevisions(): readonly string[] {
  return NAMES;
}

function migrator(db: Kysely<Database>): Migrator {
  return new Migrator({
    db,
    provider: new StaticMigrationProvider(),
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
  });
}

/** Runs every pending migration under the migration lock. Throws MigrationFailed naming the migration that failed. */
export async function upgradeHead(db: Kysely<Database>): Promise<UpgradeResult> {
  const { error, results = [] } = await migrator(db).migrateToLatest();
  const applied = results.filter((r: MigrationResult) => r.status === 'Success').map((r) => r.migrationName);
  if (error !== undefined) {
    const failed = results.find((r) => r.status === 'Error');
    throw new MigrationFailed(failed?.migrationName ?? null, applied, error);
  }
  return { applied, current: headRevision() };
}

/** Names of the applied migrations, sorted; empty for a database that has never been migrated. */
export async function appliedRevisions(db: Kysely<Database>): Promise<string[]> {
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  if (!tables.some((t) => t.name === MIGRATION_TABLE)) return [];
  // The migration table is not part of Database: query it untyped, check what comes back.
  const rows: unknown[] = await (db as unknown as Kysely<Record<string, { name: string }>>)
    .selectFrom(MIGRATION_TABLE)
    .select('name')
    .execute();
  return rows
    .map((row) => (row as { name?: unknown }).name)
    .filter((name): name is string => typeof name === 'string')
    .sort();
}

/** The last applied migration (names sort in run order), or null for an empty database. */
export async function currentRevision(db: Kysely<Database>): Promise<string | null> {
  const applied = await appliedRevisions(db);
  return applied[applied.length - 1] ?? null;
}

/** For server start: throws SchemaBehind (naming the upgrade command) or SchemaAhead unless the database is exactly at head. */
export async function assertSchemaCurrent(db: Kysely<Database>): Promise<void> {
  const applied = await appliedRevisions(db);
  const current = applied[applied.length - 1] ?? null;
  const unknown = applied.filter((name) => !NAMES.includes(name));
  if (current !== null && unknown.length > 0) throw new SchemaAhead(current, headRevision(), unknown);
  if (NAMES.some((name) => !applied.includes(name))) throw new SchemaBehind(current, headRevision());
}
