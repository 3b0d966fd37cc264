/**
 * Routers (neutron/db/models/l3.py Router, RouterPort; l3_attrs' enable_snat
 * kept on the router row as Neutron's l3_gwmode did) and their extra routes
 * (neutron/db/models/l3.py RouterRoute), with the standard attributes.
 * `routerports` binds each port a router uses to it, with the port's role
 * (`port_type`: network:router_interface or network:router_gateway).
 *
 * Frozen in time: this file imports nothing from the application, and once
 * released it never changes.
 */
import type { ColumnDefinitionBuilder } from 'kysely';

import { type AnyDb, portable } from './portable.js';

export async function up(db: AnyDb): Promise<void> {
  const { str, table } = portable(db);
  const notNull = (col: ColumnDefinitionBuilder) => col.notNull();
  await table('routers')
    .addColumn('id', str(36), (col) => col.primaryKey())
    .addColumn('project_id', str(255), notNull)
    .addColumn('name', str(255), notNull)
    .addColumn('description', str(255), notNull)
    .addColumn('revision_number', 'bigint', notNull)
    .addColumn('created_at', str(32), notNull)
    .addColumn('updated_at', str(32), notNull)
    .addColumn('status', str(16), notNull)
    .addColumn('admin_state_up', 'smallint', notNull)
    .addColumn('gw_port_id', str(36))
    .addColumn('enable_snat', 'smallint', notNull)
    .execute();
  await db.schema.createIndex('ix_routers_project_id').on('routers').columns(['project_id']).execute();

  await table('routerports')
    .addColumn('router_id', str(36), notNull)
    .addColumn('port_id', str(36), (col) => col.primaryKey())
    .addColumn('port_type', str(255), notNull)
    .addForeignKeyConstraint('fk_routerports_router_id', ['router_id'], 'routers', ['id'], (fk) => fk.onDelete('cascade'))
    .addForeignKeyConstraint('fk_routerports_port_id', ['port_id'], 'ports', ['id'], (fk) => fk.onDelete('cascade'))
    .execute();
  await db.schema.createIndex('ix_routerports_router_id').on('routerports').columns(['router_id']).execute();

  await table('routerroutes')
    .addColumn('destination', str(64), notNull)
    .addColumn('nexthop', str(64), notNull)
    .addColumn('router_id', str(36), notNull)
    .addPrimaryKeyConstraint('pk_routerroutes', ['destination', 'nexthop', 'router_id'])
    .addForeignKeyConstraint('fk_routerroutes_router_id', ['router_id'], 'routers', ['id'], (fk) => fk.onDelete('cascade'))
    .execute();
  await db.schema.createIndex('ix_routerroutes_router_id').on('routerroutes').columns(['router_id']).execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('routerroutes').execute();
  await db.schema.dropTable('routerports').execute();
  await db.schema.dropTable('routers').execute();
}
