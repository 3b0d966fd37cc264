/**
 * RBAC entries of networks (neutron/db/rbac_db_models.py NetworkRBAC): who a
 * network is shared with (access_as_shared) or external to
 * (access_as_external), a project or '*' for every project. A network's
 * `shared` is derived from them from now on: each shared network gets its
 * '*' access_as_shared entry and each external one its '*'
 * access_as_external entry, and the networks.shared column goes.
 *
 * Frozen in time: this file imports nothing from the application, and once
 * released it never changes.
 */
import type { ColumnDefinitionBuilder } from 'kysely';

import { type AnyDb, portable } from './portable.js';

export async function up(db: AnyDb): Promise<void> {
  const { str, table } = portable(db);
  const notNull = (col: ColumnDefinitionBuilder) => col.notNull();
  await table('networkrbacs')
    .addColumn('id', str(36), (col) => col.primaryKey())
    .addColumn('project_id', str(255), notNull)
    .addColumn('target_project', str(255), notNull)
    .addColumn('action', str(255), notNull)
    .addColumn('object_id', str(36), notNull)
    .addForeignKeyConstraint('fk_networkrbacs_object_id', ['object_id'], 'networks', ['id'], (fk) => fk.onDelete('cascade'))
    .addUniqueConstraint('uniq_networkrbacs0target_project0object_id0action', ['target_project', 'object_id', 'action'])
    .execute();
  await db.schema.createIndex('ix_networkrbacs_project_id').on('networkrbacs').columns(['project_id']).execute();
  await db.schema.createIndex('ix_networkrbacs_target_project').on('networkrbacs').columns(['target_project']).execute();
  await db.schema.createIndex('ix_networkrbacs_action').on('networkrbacs').columns(['action']).execute();
  await db.schema.createIndex('ix_networkrbacs_object_id').on('networkrbacs').columns(['object_id']).execute();

  const entries = async (column: string, action: string) => {
    const rows: { id: string; project_id: string }[] = await db.selectFrom('networks').select(['id', 'project_id']).where(column, '=', 1).execute();
    for (const row of rows) {
      await db
        .insertInto('networkrbacs')
        .values({ id: crypto.randomUUID(), project_id: row.project_id, target_project: '*', action, object_id: row.id })
        .execute();
    }
  };
  await entries('shared', 'access_as_shared');
  await entries('router_external', 'access_as_external');
  await db.schema.alterTable('networks').dropColumn('shared').execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.alterTable('networks').addColumn('shared', 'smallint', (col) => col.notNull().defaultTo(0)).execute();
  await db
    .updateTable('networks')
    .set({ shared: 1 })
    .where('id', 'in', db.selectFrom('networkrbacs').select('object_id').where('action', '=', 'access_as_shared').where('target_project', '=', '*'))
    .execute();
  await db.schema.dropTable('networkrbacs').execute();
}
