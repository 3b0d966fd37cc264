/**
 * Segments become an API resource of their own (the `segment` extension):
 * a name, and the standard attributes (description, revision_number,
 * created_at, updated_at) as Neutron's networksegments have them. Segments
 * that exist already take their network's creation time.
 *
 * Frozen in time: imports nothing from the application (portable.ts is frozen too).
 */
import { sql } from 'kysely';

import { type AnyDb, portable } from './portable.js';

export async function up(db: AnyDb): Promise<void> {
  const { str } = portable(db);
  // One column per statement: SQLite adds a single column per ALTER TABLE.
  const segments = () => db.schema.alterTable('networksegments');
  await segments().addColumn('name', str(255)).execute();
  await segments().addColumn('description', str(255), (col) => col.notNull().defaultTo('')).execute();
  await segments().addColumn('revision_number', 'bigint', (col) => col.notNull().defaultTo(0)).execute();
  await segments().addColumn('created_at', str(32), (col) => col.notNull().defaultTo('')).execute();
  await segments().addColumn('updated_at', str(32), (col) => col.notNull().defaultTo('')).execute();
  const networkCreated = sql`(select networks.created_at from networks where networks.id = networksegments.network_id)`;
  await db
    .updateTable('networksegments')
    .set({ created_at: networkCreated, updated_at: networkCreated })
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  for (const column of ['updated_at', 'created_at', 'revision_number', 'description', 'name']) {
    await db.schema.alterTable('networksegments').dropColumn(column).execute();
  }
}
