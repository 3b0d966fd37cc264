/**
 * A router's attributes beyond the core ones (neutron/db/models/l3_attrs.py
 * RouterExtraAttributes): whether it is distributed (dvr) or highly
 * available (l3-ha), its VRRP id once an HA router has one, and its
 * availability zone hints as a JSON list. One row per router, going with
 * it; routers that exist already were legacy ones, and get that row.
 *
 * `ha_router_networks` (neutron/db/models/l3ha.py L3HARouterNetwork) names
 * the network each project's HA routers share, one per project; the entry
 * goes with the network.
 *
 * Frozen in time: this file imports nothing from the application, and once
 * released it never changes.
 */
import type { ColumnDefinitionBuilder } from 'kysely';

import { type AnyDb, portable } from './portable.js';

export async function up(db: AnyDb): Promise<void> {
  const { str, table } = portable(db);
  const notNull = (col: ColumnDefinitionBuilder) => col.notNull();
  await table('router_extra_attributes')
    .addColumn('router_id', str(36), (col) => col.primaryKey())
    .addColumn('distributed', 'smallint', notNull)
    .addColumn('ha', 'smallint', notNull)
    .addColumn('ha_vr_id', 'integer', notNull)
    .addColumn('availability_zone_hints', str(255), notNull)
    .addForeignKeyConstraint('fk_router_extra_attributes_router_id', ['router_id'], 'routers', ['id'], (fk) => fk.onDelete('cascade'))
    .execute();
  const routers: { id: string }[] = await db.selectFrom('routers').select('id').execute();
  for (const router of routers) {
    await db
      .insertInto('router_extra_attributes')
      .values({ router_id: router.id, distributed: 0, ha: 0, ha_vr_id: 0, availability_zone_hints: '[]' })
      .execute();
  }

  await table('ha_router_networks')
    // One per project (Neutron's key is the pair, and it checks for a second after the fact): two servers creating
    // a project's first HA routers at once cannot both record a network.
    .addColumn('project_id', str(255), (col) => col.primaryKey())
    .addColumn('network_id', str(36), notNull)
    .addForeignKeyConstraint('fk_ha_router_networks_network_id', ['network_id'], 'networks', ['id'], (fk) => fk.onDelete('cascade'))
    .execute();
  await db.schema.createIndex('ix_ha_router_networks_network_id').on('ha_router_networks').columns(['network_id']).execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('ha_router_networks').execute();
  await db.schema.dropTable('router_extra_attributes').execute();
}
