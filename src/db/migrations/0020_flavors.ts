/**
 * Neutron's flavors service (neutron/db/models/flavor.py, the flavor_id of
 * models/l3.py): `flavors` (a name, a description, a service type and
 * whether it is enabled), `serviceprofiles` (a provider driver, metainfo,
 * enabled), `flavorserviceprofilebindings` (one row per flavor and profile,
 * going with either), and `routers.flavor_id`, which keeps a flavor that
 * routers use from being deleted (no cascade, as upstream's foreign key).
 *
 * Frozen in time: this file imports nothing from the application, and once
 * released it never changes.
 */
import { type ColumnDefinitionBuilder, MysqlAdapter, sql } from 'kysely';

import { type AnyDb, portable } from './portable.js';

export async function up(db: AnyDb): Promise<void> {
  const { str, table } = portable(db);
  const enabled = (col: ColumnDefinitionBuilder) => col.notNull().defaultTo(1);
  await table('flavors')
    .addColumn('id', str(36), (col) => col.primaryKey())
    .addColumn('name', str(255))
    .addColumn('description', str(1024))
    .addColumn('enabled', 'smallint', enabled)
    .addColumn('service_type', str(36))
    .execute();
  await table('serviceprofiles')
    .addColumn('id', str(36), (col) => col.primaryKey())
    .addColumn('description', str(1024))
    .addColumn('driver', str(1024), (col) => col.notNull())
    .addColumn('enabled', 'smallint', enabled)
    .addColumn('metainfo', str(4096))
    .execute();
  await table('flavorserviceprofilebindings')
    .addColumn('flavor_id', str(36), (col) => col.notNull())
    .addColumn('service_profile_id', str(36), (col) => col.notNull())
    .addPrimaryKeyConstraint('pk_flavorserviceprofilebindings', ['flavor_id', 'service_profile_id'])
    .addForeignKeyConstraint('fk_flavorserviceprofilebindings_flavor_id', ['flavor_id'], 'flavors', ['id'], (fk) => fk.onDelete('cascade'))
    .addForeignKeyConstraint('fk_flavorserviceprofilebindings_service_profile_id', ['service_profile_id'], 'serviceprofiles', ['id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute();
  await db.schema.createIndex('ix_flavorserviceprofilebindings_service_profile_id').on('flavorserviceprofilebindings').columns(['service_profile_id']).execute();
  await db.schema.alterTable('routers').addColumn('flavor_id', str(36), (col) => col.references('flavors.id')).execute();
  await db.schema.createIndex('ix_routers_flavor_id').on('routers').columns(['flavor_id']).execute();
}

export async function down(db: AnyDb): Promise<void> {
  // MySQL and MariaDB refuse to drop a column a foreign key uses, and name the inline one themselves (routers_ibfk_N).
  const mysql = db.getExecutor().adapter instanceof MysqlAdapter;
  if (mysql) {
    const found = await sql<{ name: string }>`select constraint_name as name from information_schema.key_column_usage
      where table_schema = database() and table_name = 'routers' and column_name = 'flavor_id' and referenced_table_name is not null`.execute(db);
    for (const { name } of found.rows) await sql`alter table routers drop foreign key ${sql.id(name)}`.execute(db);
  }
  const index = db.schema.dropIndex('ix_routers_flavor_id');
  // Only MySQL names an index's table (DROP INDEX ... ON).
  await (mysql ? index.on('routers') : index).execute();
  await db.schema.alterTable('routers').dropColumn('flavor_id').execute();
  await db.schema.dropTable('flavorserviceprofilebindings').execute();
  await db.schema.dropTable('serviceprofiles').execute();
  await db.schema.dropTable('flavors').execute();
}
