/**
 * Floating IPs (neutron/db/models/l3.py FloatingIP) with the standard
 * attributes. `floating_port_id` is the network:floatingip port on the
 * external network that holds the address (so IPAM keeps two floating IPs
 * from one address); it goes with the floating IP. The unique key on
 * (floating_network_id, fixed_port_id, fixed_ip_address) keeps two floating
 * IPs of one external network from the same fixed address, also when two
 * servers associate them at once.
 *
 * Frozen in time: this file imports nothing from the application, and once
 * released it never changes.
 */
import type { ColumnDefinitionBuilder } from 'kysely';

import { type AnyDb, portable } from './portable.js';

export async function up(db: AnyDb): Promise<void> {
  const { str, table } = portable(db);
  const notNull = (col: ColumnDefinitionBuilder) => col.notNull();
  await table('floatingips')
    .addColumn('id', str(36), (col) => col.primaryKey())
    .addColumn('project_id', str(255), notNull)
    .addColumn('description', str(255), notNull)
    .addColumn('revision_number', 'bigint', notNull)
    .addColumn('created_at', str(32), notNull)
    .addColumn('updated_at', str(32), notNull)
    .addColumn('floating_ip_address', str(64), notNull)
    .addColumn('floating_network_id', str(36), notNull)
    .addColumn('floating_port_id', str(36), notNull)
    .addColumn('fixed_port_id', str(36))
    .addColumn('fixed_ip_address', str(64))
    .addColumn('router_id', str(36))
    .addColumn('last_known_router_id', str(36))
    .addColumn('status', str(16), notNull)
    .addForeignKeyConstraint('fk_floatingips_floating_port_id', ['floating_port_id'], 'ports', ['id'], (fk) => fk.onDelete('cascade'))
    .addForeignKeyConstraint('fk_floatingips_fixed_port_id', ['fixed_port_id'], 'ports', ['id'])
    .addForeignKeyConstraint('fk_floatingips_router_id', ['router_id'], 'routers', ['id'])
    .addUniqueConstraint('uniq_floatingips0floatingnetworkid0fixedportid0fixedipaddress', ['floating_network_id', 'fixed_port_id', 'fixed_ip_address'])
    .execute();
  await db.schema.createIndex('ix_floatingips_project_id').on('floatingips').columns(['project_id']).execute();
  await db.schema.createIndex('ix_floatingips_router_id').on('floatingips').columns(['router_id']).execute();
  await db.schema.createIndex('ix_floatingips_fixed_port_id').on('floatingips').columns(['fixed_port_id']).execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('floatingips').execute();
}
