/**
 * Get-me-a-network (neutron/db/models/network.py's is_default, the
 * auto_allocated_topologies table of neutron's mitaka migration):
 * `networks.is_default` marks the default external network (Neutron keeps it
 * on externalnetworks; here external is a column of networks, so is this),
 * and `auto_allocated_topologies` names the network and router made for
 * each project, one per project (the primary key keeps two servers from
 * both recording one). The entry goes with its network; a router deleted
 * under it leaves the entry without one, as Neutron's SET NULL.
 *
 * Frozen in time: this file imports nothing from the application, and once
 * released it never changes.
 */
import { type AnyDb, portable } from './portable.js';

export async function up(db: AnyDb): Promise<void> {
  const { str, table } = portable(db);
  await db.schema.alterTable('networks').addColumn('is_default', 'smallint', (col) => col.notNull().defaultTo(0)).execute();
  await table('auto_allocated_topologies')
    .addColumn('project_id', str(255), (col) => col.primaryKey())
    .addColumn('network_id', str(36), (col) => col.notNull())
    .addColumn('router_id', str(36))
    .addForeignKeyConstraint('fk_auto_allocated_topologies_network_id', ['network_id'], 'networks', ['id'], (fk) => fk.onDelete('cascade'))
    .addForeignKeyConstraint('fk_auto_allocated_topologies_router_id', ['router_id'], 'routers', ['id'], (fk) => fk.onDelete('set null'))
    .execute();
  await db.schema.createIndex('ix_auto_allocated_topologies_network_id').on('auto_allocated_topologies').columns(['network_id']).execute();
  await db.schema.createIndex('ix_auto_allocated_topologies_router_id').on('auto_allocated_topologies').columns(['router_id']).execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('auto_allocated_topologies').execute();
  await db.schema.alterTable('networks').dropColumn('is_default').execute();
}
