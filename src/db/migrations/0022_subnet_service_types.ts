/**
 * Subnets' service types (neutron/db/models/subnet_service_type.py): the
 * device owners a subnet gives addresses to, one row per pair, going with
 * the subnet.
 *
 * Frozen in time: this file imports nothing from the application, and once
 * released it never changes.
 */
import { type ColumnDefinitionBuilder } from 'kysely';

import { type AnyDb, portable } from './portable.js';

export async function up(db: AnyDb): Promise<void> {
  const { str, table } = portable(db);
  const notNull = (col: ColumnDefinitionBuilder) => col.notNull();
  await table('subnet_service_types')
    .addColumn('subnet_id', str(36), notNull)
    .addColumn('service_type', str(255), notNull)
    .addPrimaryKeyConstraint('pk_subnet_service_types', ['subnet_id', 'service_type'])
    .addForeignKeyConstraint('fk_subnet_service_types_subnet_id', ['subnet_id'], 'subnets', ['id'], (fk) => fk.onDelete('cascade'))
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('subnet_service_types').execute();
}
