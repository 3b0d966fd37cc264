/**
 * RBAC entries of subnet pools (neutron/db/rbac_db_models.py
 * SubnetPoolRBAC): who a pool is shared with (access_as_shared), a
 * project or '*'. A pool's `shared` is derived from them from now on: each
 * shared pool gets its '*' entry and the subnetpools.shared column goes.
 *
 * Frozen in time: this file imports nothing from the application, and once
 * released it never changes.
 */
import type { ColumnDefinitionBuilder } from 'kysely';

import { type AnyDb, portable } from './portable.js';

export async function up(db: AnyDb): Promise<void> {
  const { str, table } = portable(db);
  const notNull = (col: ColumnDefinitionBuilder) => col.notNull();
  await table('subnetpoolrbacs')
    .addColumn('id', str(36), (col) => col.primaryKey())
    .addColumn('project_id', str(255), notNull)
    .addColumn('target_project', str(255), notNull)
    .addColumn('action', str(255), notNull)
    .addColumn('object_id', str(36), notNull)
    .addForeignKeyConstraint('fk_subnetpoolrbacs_object_id', ['object_id'], 'subnetpools', ['id'], (fk) => fk.onDelete('cascade'))
    .addUniqueConstraint('uniq_subnetpoolrbacs0target_project0object_id0action', ['target_project', 'object_id', 'action'])
    .execute();
  for (const column of ['project_id', 'target_project', 'action', 'object_id']) {
    await db.schema.createIndex(`ix_subnetpoolrbacs_${column}`).on('subnetpoolrbacs').columns([column]).execute();
  }
  const shared: { id: string; project_id: string }[] = await db.selectFrom('subnetpools').select(['id', 'project_id']).where('shared', '=', 1).execute();
  for (const pool of shared) {
    await db
      .insertInto('subnetpoolrbacs')
      .values({ id: crypto.randomUUID(), project_id: pool.project_id, target_project: '*', action: 'access_as_shared', object_id: pool.id })
      .execute();
  }
  await db.schema.alterTable('subnetpools').dropColumn('shared').execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.alterTable('subnetpools').addColumn('shared', 'smallint', (col) => col.notNull().defaultTo(0)).execute();
  await db
    .updateTable('subnetpools')
    .set({ shared: 1 })
    .where('id', 'in', db.selectFrom('subnetpoolrbacs').select('object_id').where('action', '=', 'access_as_shared').where('target_project', '=', '*'))
    .execute();
  await db.schema.dropTable('subnetpoolrbacs').execute();
}
