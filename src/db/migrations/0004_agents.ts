/**
 * Agents (one row per agent type and host, kept alive by report_state) and
 * which DHCP agents serve which networks.
 *
 * Frozen in time: imports nothing from the application (portable.ts is frozen too).
 */
import type { ColumnDefinitionBuilder } from 'kysely';

import { type AnyDb, portable } from './portable.js';

export async function up(db: AnyDb): Promise<void> {
  const { str, text, table } = portable(db);
  const notNull = (col: ColumnDefinitionBuilder) => col.notNull();

  await table('agents')
    .addColumn('id', str(36), (col) => col.notNull().primaryKey())
    .addColumn('agent_type', str(255), notNull)
    .addColumn('binary', str(255), notNull)
    .addColumn('topic', str(255), notNull)
    .addColumn('host', str(255), notNull)
    .addColumn('admin_state_up', 'smallint', (col) => col.notNull().defaultTo(1))
    .addColumn('created_at', str(32), notNull)
    .addColumn('started_at', str(32), notNull)
    .addColumn('heartbeat_timestamp', str(32), notNull)
    .addColumn('description', str(255), (col) => col.notNull().defaultTo(''))
    .addColumn('configurations', text(), notNull)
    .addColumn('availability_zone', str(255))
    .addColumn('resources_synced', 'smallint')
    .addUniqueConstraint('uniq_agents0agent_type0host', ['agent_type', 'host'])
    .execute();

  await table('networkdhcpagentbindings')
    .addColumn('network_id', str(36), notNull)
    .addColumn('dhcp_agent_id', str(36), notNull)
    .addPrimaryKeyConstraint('networkdhcpagentbindings_pkey', ['network_id', 'dhcp_agent_id'])
    .addForeignKeyConstraint('fk_dhcp_bindings_network_id', ['network_id'], 'networks', ['id'], (fk) => fk.onDelete('cascade'))
    .addForeignKeyConstraint('fk_dhcp_bindings_agent_id', ['dhcp_agent_id'], 'agents', ['id'], (fk) => fk.onDelete('cascade'))
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('networkdhcpagentbindings').execute();
  await db.schema.dropTable('agents').execute();
}
