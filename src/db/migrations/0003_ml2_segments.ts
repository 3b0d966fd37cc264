/**
 * ML2: the segments of each network, and the segmentation ids in use.
 * Only ids in use are stored (not the configured ranges), so changing the
 * ranges at restart keeps every allocation that is in use and needs no sync;
 * the primary key decides between two servers allocating the same id.
 *
 * Frozen in time: imports nothing from the application (portable.ts is frozen too).
 */
import type { ColumnDefinitionBuilder } from 'kysely';

import { type AnyDb, portable } from './portable.js';

export async function up(db: AnyDb): Promise<void> {
  const { str, table } = portable(db);
  const notNull = (col: ColumnDefinitionBuilder) => col.notNull();

  await table('networksegments')
    .addColumn('id', str(36), (col) => col.notNull().primaryKey())
    .addColumn('network_id', str(36), notNull)
    .addColumn('network_type', str(32), notNull)
    .addColumn('physical_network', str(64))
    .addColumn('segmentation_id', 'bigint')
    .addColumn('segment_index', 'integer', notNull)
    .addForeignKeyConstraint('fk_networksegments_network_id', ['network_id'], 'networks', ['id'], (fk) => fk.onDelete('cascade'))
    .execute();
  await db.schema.createIndex('ix_networksegments_network_id').on('networksegments').columns(['network_id']).execute();

  await table('ml2_segment_allocations')
    .addColumn('network_type', str(32), notNull)
    // '' when the type has no physical network (tunnels), so the key has no NULL in it.
    .addColumn('physical_network', str(64), notNull)
    .addColumn('segmentation_id', 'bigint', notNull)
    .addPrimaryKeyConstraint('ml2_segment_allocations_pkey', ['network_type', 'physical_network', 'segmentation_id'])
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('ml2_segment_allocations').execute();
  await db.schema.dropTable('networksegments').execute();
}
