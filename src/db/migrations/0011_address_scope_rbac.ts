/**
 * RBAC entries of address scopes (neutron/db/rbac_db_models.py
 * AddressScopeRBAC): who a scope is shared with (access_as_shared), a
 * project or '*'. A scope's `shared` is derived from them from now on: each
 * shared scope gets its '*' entry and the address_scopes.shared column goes.
 *
 * Frozen in time: this file imports nothing from the application, and once
 * released it never changes.
 */
import type { ColumnDefinitionBuilder } from 'kysely';

import { type AnyDb, portable } from './portable.js';

export async function up(db: AnyDb): Promise<void> {
  const { str, table } = portable(db);
  const notNull = (col: ColumnDefinitionBuilder) => col.notNull();
  await table('addressscoperbacs')
    .addColumn('id', str(36), (col) => col.primaryKey())
    .addColumn('project_id', str(255), notNull)
    .addColumn('target_project', str(255), notNull)
    .addColumn('action', str(255), notNull)
    .addColumn('object_id', str(36), notNull)
    .addForeignKeyConstraint('fk_addressscoperbacs_object_id', ['object_id'], 'address_scopes', ['id'], (fk) => fk.onDelete('cascade'))
    .addUniqueConstraint('uniq_addressscoperbacs0target_project0object_id0action', ['target_project', 'object_id', 'action'])
    .execute();
  for (const column of ['project_id', 'target_project', 'action', 'object_id']) {
    await db.schema.createIndex(`ix_addressscoperbacs_${column}`).on('addressscoperbacs').columns([column]).execute();
  }
  const shared: { id: string; project_id: string }[] = await db.selectFrom('address_scopes').select(['id', 'project_id']).where('shared', '=', 1).execute();
  for (const scope of shared) {
    await db
      .insertInto('addressscoperbacs')
      .values({ id: crypto.randomUUID(), project_id: scope.project_id, target_project: '*', action: 'access_as_shared', object_id: scope.id })
      .execute();
  }
  await db.schema.alterTable('address_scopes').dropColumn('shared').execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.alterTable('address_scopes').addColumn('shared', 'smallint', (col) => col.notNull().defaultTo(0)).execute();
  await db
    .updateTable('address_scopes')
    .set({ shared: 1 })
    .where('id', 'in', db.selectFrom('addressscoperbacs').select('object_id').where('action', '=', 'access_as_shared').where('target_project', '=', '*'))
    .execute();
  await db.schema.dropTable('addressscoperbacs').execute();
}
