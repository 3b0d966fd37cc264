/**
 * Which L3 agents host which routers (neutron/db/models/l3agent.py
 * RouterL3AgentBinding). A binding goes with its router or its agent.
 *
 * Frozen in time: this file imports nothing from the application, and once
 * released it never changes.
 */
import type { ColumnDefinitionBuilder } from 'kysely';

import { type AnyDb, portable } from './portable.js';

export async function up(db: AnyDb): Promise<void> {
  const { str, table } = portable(db);
  const notNull = (col: ColumnDefinitionBuilder) => col.notNull();
  await table('routerl3agentbindings')
    .addColumn('router_id', str(36), notNull)
    .addColumn('l3_agent_id', str(36), notNull)
    .addPrimaryKeyConstraint('routerl3agentbindings_pkey', ['router_id', 'l3_agent_id'])
    .addForeignKeyConstraint('fk_routerl3agentbindings_router_id', ['router_id'], 'routers', ['id'], (fk) => fk.onDelete('cascade'))
    .addForeignKeyConstraint('fk_routerl3agentbindings_l3_agent_id', ['l3_agent_id'], 'agents', ['id'], (fk) => fk.onDelete('cascade'))
    .execute();
  await db.schema.createIndex('ix_routerl3agentbindings_l3_agent_id').on('routerl3agentbindings').columns(['l3_agent_id']).execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('routerl3agentbindings').execute();
}
