/**
 * Address scopes (neutron/db/models/address_scope.py).
 *
 * Frozen in time: this file imports nothing from the application, and once
 * released it never changes.
 */
import type { ColumnDefinitionBuilder } from 'kysely';

import { type AnyDb, portable } from './portable.js';

export async function up(db: AnyDb): Promise<void> {
  const { str, table } = portable(db);
  const notNull = (col: ColumnDefinitionBuilder) => col.notNull();
  await table('address_scopes')
    .addColumn('id', str(36), (col) => col.primaryKey())
    .addColumn('project_id', str(255), notNull)
    .addColumn('name', str(255), notNull)
    .addColumn('shared', 'smallint', notNull)
    .addColumn('ip_version', 'integer', notNull)
    .execute();
  await db.schema.createIndex('ix_address_scopes_project_id').on('address_scopes').columns(['project_id']).execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('address_scopes').execute();
}
