/**
 * Subnet pools and their prefixes (neutron/db/models_v2.py SubnetPool,
 * SubnetPoolPrefix), with the standard attributes. `hash` is the row every
 * subnet allocation from the pool updates first, so that allocations from
 * one pool happen one after the other (neutron/ipam/subnet_alloc.py).
 *
 * Frozen in time: this file imports nothing from the application, and once
 * released it never changes.
 */
import { type ColumnDefinitionBuilder, MysqlAdapter } from 'kysely';

import { type AnyDb, portable } from './portable.js';

export async function up(db: AnyDb): Promise<void> {
  const { str, table } = portable(db);
  const notNull = (col: ColumnDefinitionBuilder) => col.notNull();
  await table('subnetpools')
    .addColumn('id', str(36), (col) => col.primaryKey())
    .addColumn('project_id', str(255), notNull)
    .addColumn('name', str(255), notNull)
    .addColumn('description', str(255), notNull)
    .addColumn('revision_number', 'bigint', notNull)
    .addColumn('created_at', str(32), notNull)
    .addColumn('updated_at', str(32), notNull)
    .addColumn('ip_version', 'integer', notNull)
    .addColumn('default_prefixlen', 'integer', notNull)
    .addColumn('min_prefixlen', 'integer', notNull)
    .addColumn('max_prefixlen', 'integer', notNull)
    .addColumn('shared', 'smallint', notNull)
    .addColumn('is_default', 'smallint', notNull)
    .addColumn('default_quota', 'integer')
    .addColumn('hash', str(36), (col) => col.notNull().defaultTo(''))
    .addColumn('address_scope_id', str(36))
    .execute();
  await db.schema.createIndex('ix_subnetpools_project_id').on('subnetpools').columns(['project_id']).execute();
  await db.schema.createIndex('ix_subnetpools_address_scope_id').on('subnetpools').columns(['address_scope_id']).execute();

  await table('subnetpoolprefixes')
    .addColumn('cidr', str(64), notNull)
    .addColumn('subnetpool_id', str(36), notNull)
    .addPrimaryKeyConstraint('pk_subnetpoolprefixes', ['cidr', 'subnetpool_id'])
    .addForeignKeyConstraint('fk_subnetpoolprefixes_subnetpool_id', ['subnetpool_id'], 'subnetpools', ['id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute();
  await db.schema.createIndex('ix_subnetpoolprefixes_subnetpool_id').on('subnetpoolprefixes').columns(['subnetpool_id']).execute();

  // An allocation reads the pool's subnets.
  await db.schema.createIndex('ix_subnets_subnetpool_id').on('subnets').columns(['subnetpool_id']).execute();
}

export async function down(db: AnyDb): Promise<void> {
  const drop = db.schema.dropIndex('ix_subnets_subnetpool_id');
  // Only MySQL names the table of the index it drops.
  await (db.getExecutor().adapter instanceof MysqlAdapter ? drop.on('subnets') : drop).execute();
  await db.schema.dropTable('subnetpoolprefixes').execute();
  await db.schema.dropTable('subnetpools').execute();
}
