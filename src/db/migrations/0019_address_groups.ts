/**
 * Address groups (neutron/db/models/address_group.py): a group with the
 * standard attributes, its addresses (one row per normalised CIDR, the pair
 * is the key, going with the group), and its RBAC entries
 * (rbac_db_models.py AddressGroupRBAC). securitygrouprules already has
 * remote_address_group_id (0002); no foreign key is added to it, because
 * SQLite cannot add one to an existing table: the plugin refuses to delete
 * a group that rules use (AddressGroupInUse).
 *
 * Frozen in time: this file imports nothing from the application, and once
 * released it never changes.
 */
import { type ColumnDefinitionBuilder, MysqlAdapter } from 'kysely';

import { type AnyDb, portable } from './portable.js';

export async function up(db: AnyDb): Promise<void> {
  const { str, table } = portable(db);
  const notNull = (col: ColumnDefinitionBuilder) => col.notNull();
  await table('address_groups')
    .addColumn('id', str(36), (col) => col.primaryKey())
    .addColumn('project_id', str(255), notNull)
    .addColumn('name', str(255), notNull)
    .addColumn('description', str(255), notNull)
    .addColumn('revision_number', 'bigint', notNull)
    .addColumn('created_at', str(32), notNull)
    .addColumn('updated_at', str(32), notNull)
    .execute();
  await db.schema.createIndex('ix_address_groups_project_id').on('address_groups').columns(['project_id']).execute();

  await table('address_associations')
    .addColumn('address', str(64), notNull)
    .addColumn('address_group_id', str(36), notNull)
    .addPrimaryKeyConstraint('pk_address_associations', ['address', 'address_group_id'])
    .addForeignKeyConstraint('fk_address_associations_address_group_id', ['address_group_id'], 'address_groups', ['id'], (fk) => fk.onDelete('cascade'))
    .execute();
  await db.schema.createIndex('ix_address_associations_address_group_id').on('address_associations').columns(['address_group_id']).execute();

  await table('addressgrouprbacs')
    .addColumn('id', str(36), (col) => col.primaryKey())
    .addColumn('project_id', str(255), notNull)
    .addColumn('target_project', str(255), notNull)
    .addColumn('action', str(255), notNull)
    .addColumn('object_id', str(36), notNull)
    .addForeignKeyConstraint('fk_addressgrouprbacs_object_id', ['object_id'], 'address_groups', ['id'], (fk) => fk.onDelete('cascade'))
    .addUniqueConstraint('uniq_addressgrouprbacs0target_project0object_id0action', ['target_project', 'object_id', 'action'])
    .execute();
  for (const column of ['project_id', 'target_project', 'action', 'object_id']) {
    await db.schema.createIndex(`ix_addressgrouprbacs_${column}`).on('addressgrouprbacs').columns([column]).execute();
  }
  await db.schema.createIndex('ix_securitygrouprules_remote_address_group_id').on('securitygrouprules').columns(['remote_address_group_id']).execute();
}

export async function down(db: AnyDb): Promise<void> {
  const drop = db.schema.dropIndex('ix_securitygrouprules_remote_address_group_id');
  // Only MySQL names the table of the index it drops.
  await (db.getExecutor().adapter instanceof MysqlAdapter ? drop.on('securitygrouprules') : drop).execute();
  await db.schema.dropTable('addressgrouprbacs').execute();
  await db.schema.dropTable('address_associations').execute();
  await db.schema.dropTable('address_groups').execute();
}
