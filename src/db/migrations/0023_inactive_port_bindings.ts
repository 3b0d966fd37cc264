/**
 * Port bindings beyond the active one (binding-extended; upstream's
 * ml2_port_bindings rows with status INACTIVE): at most one per host, each
 * a host the port may be bound to next (Nova's live migration), with what
 * ML2's mechanism drivers decided for it. The active binding stays in the
 * port's binding_* columns; activating one swaps the two. Rows go with
 * their port.
 *
 * Frozen in time: this file imports nothing from the application, and once
 * released it never changes.
 */
import { type ColumnDefinitionBuilder } from 'kysely';

import { type AnyDb, portable } from './portable.js';

export async function up(db: AnyDb): Promise<void> {
  const { str, table, text } = portable(db);
  const notNull = (col: ColumnDefinitionBuilder) => col.notNull();
  await table('inactive_port_bindings')
    .addColumn('port_id', str(36), notNull)
    .addColumn('host', str(255), notNull)
    .addColumn('vnic_type', str(64), notNull)
    .addColumn('profile', text(), notNull)
    .addColumn('vif_type', str(64), notNull)
    .addColumn('vif_details', text(), notNull)
    .addPrimaryKeyConstraint('pk_inactive_port_bindings', ['port_id', 'host'])
    .addForeignKeyConstraint('fk_inactive_port_bindings_port_id', ['port_id'], 'ports', ['id'], (fk) => fk.onDelete('cascade'))
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('inactive_port_bindings').execute();
}
