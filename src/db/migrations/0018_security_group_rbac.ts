/**
 * RBAC entries of security groups (neutron/db/rbac_db_models.py
 * SecurityGroupRBAC): who a group is shared with (access_as_shared), a
 * project or '*'. Groups had no `shared` column before, so nothing moves.
 *
 * Frozen in time: this file imports nothing from the application, and once
 * released it never changes.
 */
import type { ColumnDefinitionBuilder } from 'kysely';

import { type AnyDb, portable } from './portable.js';

export async function up(db: AnyDb): Promise<void> {
  const { str, table } = portable(db);
  const notNull = (col: ColumnDefinitionBuilder) => col.notNull();
  await table('securitygrouprbacs')
    .addColumn('id', str(36), (col) => col.primaryKey())
    .addColumn('project_id', str(255), notNull)
    .addColumn('target_project', str(255), notNull)
    .addColumn('action', str(255), notNull)
    .addColumn('object_id', str(36), notNull)
    .addForeignKeyConstraint('fk_securitygrouprbacs_object_id', ['object_id'], 'securitygroups', ['id'], (fk) => fk.onDelete('cascade'))
    .addUniqueConstraint('uniq_securitygrouprbacs0target_project0object_id0action', ['target_project', 'object_id', 'action'])
    .execute();
  for (const column of ['project_id', 'target_project', 'action', 'object_id']) {
    await db.schema.createIndex(`ix_securitygrouprbacs_${column}`).on('securitygrouprbacs').columns([column]).execute();
  }
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('securitygrouprbacs').execute();
}
