/**
 * The initial schema: networks, subnets and their pools / nameservers / routes,
 * ports with fixed IPs, allowed address pairs and extra DHCP options, tags.
 *
 * Frozen in time: this file imports nothing from the application, and once
 * released it never changes; later changes are new migrations.
 *
 * Portable types: booleans are SMALLINT 0/1 (PostgreSQL's BOOLEAN would come
 * back as true/false), timestamps are VARCHAR ISO strings, JSON is TEXT. Text
 * compares byte-wise everywhere: tables are utf8mb4_bin on MySQL, columns are
 * COLLATE "C" on PostgreSQL, and SQLite's default is BINARY.
 *
 * Sizes fit MySQL's utf8mb4 index limit (3072 bytes per key, 4 bytes per
 * character): the longest key, tags (resource_id, tag), is (36 + 255) * 4.
 */
import {
  MysqlAdapter,
  PostgresAdapter,
  sql,
  type ColumnDefinitionBuilder,
  type CreateTableBuilder,
  type Expression,
  type Kysely,
} from 'kysely';

type Backend = 'sqlite' | 'mysql' | 'postgres';

// Migrations are written against Kysely<any>: they must not depend on the
// application's Database interface, which follows the newest migration.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;
type Table = CreateTableBuilder<string, string>;

function backendOf(db: AnyDb): Backend {
  const adapter = db.getExecutor().adapter;
  if (adapter instanceof PostgresAdapter) return 'postgres';
  if (adapter instanceof MysqlAdapter) return 'mysql';
  return 'sqlite';
}

export async function up(db: AnyDb): Promise<void> {
  const backend = backendOf(db);

  /** VARCHAR(n), byte-wise collation. */
  const str = (n: number): Expression<unknown> =>
    backend === 'postgres' ? sql`varchar(${sql.raw(String(n))}) collate "C"` : sql`varchar(${sql.raw(String(n))})`;
  const text = (): Expression<unknown> => (backend === 'postgres' ? sql`text collate "C"` : sql`text`);
  const notNull = (col: ColumnDefinitionBuilder) => col.notNull();
  const id = (col: ColumnDefinitionBuilder) => col.notNull().primaryKey();

  const table = (name: string): Table => {
    const builder = db.schema.createTable(name);
    return backend === 'mysql'
      ? builder.modifyEnd(sql`engine = InnoDB default charset = utf8mb4 collate = utf8mb4_bin`)
      : builder;
  };

  /** project_id, name, description, revision_number, created_at, updated_at. */
  const standard = (t: Table): Table =>
    t
      .addColumn('project_id', str(255), notNull)
      .addColumn('name', str(255), notNull)
      .addColumn('description', str(255), notNull)
      .addColumn('revision_number', 'bigint', notNull) // BIGINT as in Neutron; read back as a number (connect.ts)
      .addColumn('created_at', str(32), notNull)
      .addColumn('updated_at', str(32), notNull);

  await standard(table('networks').addColumn('id', str(36), id))
    .addColumn('admin_state_up', 'smallint', notNull)
    .addColumn('status', str(16), notNull)
    .addColumn('shared', 'smallint', notNull)
    .addColumn('mtu', 'integer', notNull)
    .addColumn('router_external', 'smallint', notNull)
    .addColumn('port_security_enabled', 'smallint', notNull)
    .addColumn('dns_domain', str(255), notNull)
    .addColumn('availability_zone_hints', text(), notNull)
    .execute();

  await standard(table('subnets').addColumn('id', str(36), id))
    .addColumn('network_id', str(36), notNull)
    .addColumn('ip_version', 'integer', notNull)
    .addColumn('cidr', str(64), notNull)
    .addColumn('gateway_ip', str(64))
    .addColumn('enable_dhcp', 'smallint', notNull)
    .addColumn('ipv6_ra_mode', str(16))
    .addColumn('ipv6_address_mode', str(16))
    .addColumn('subnetpool_id', str(36))
    .addColumn('segment_id', str(36))
    .addForeignKeyConstraint('fk_subnets_network_id', ['network_id'], 'networks', ['id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute();

  await table('subnet_allocation_pools')
    .addColumn('id', backend === 'postgres' ? 'serial' : 'integer', (col) =>
      backend === 'postgres' ? col.primaryKey() : col.primaryKey().autoIncrement(),
    )
    .addColumn('subnet_id', str(36), notNull)
    .addColumn('first_ip', str(64), notNull)
    .addColumn('last_ip', str(64), notNull)
    .addForeignKeyConstraint('fk_subnet_allocation_pools_subnet_id', ['subnet_id'], 'subnets', ['id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute();

  await table('subnet_dns_nameservers')
    .addColumn('subnet_id', str(36), notNull)
    .addColumn('address', str(64), notNull)
    .addColumn('position', 'integer', notNull)
    .addPrimaryKeyConstraint('subnet_dns_nameservers_pkey', ['subnet_id', 'address'])
    .addForeignKeyConstraint('fk_subnet_dns_nameservers_subnet_id', ['subnet_id'], 'subnets', ['id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute();

  await table('subnet_routes')
    .addColumn('subnet_id', str(36), notNull)
    .addColumn('destination', str(64), notNull)
    .addColumn('nexthop', str(64), notNull)
    .addPrimaryKeyConstraint('subnet_routes_pkey', ['subnet_id', 'destination', 'nexthop'])
    .addForeignKeyConstraint('fk_subnet_routes_subnet_id', ['subnet_id'], 'subnets', ['id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute();

  await standard(table('ports').addColumn('id', str(36), id))
    .addColumn('network_id', str(36), notNull)
    .addColumn('mac_address', str(32), notNull)
    .addColumn('admin_state_up', 'smallint', notNull)
    .addColumn('status', str(16), notNull)
    .addColumn('device_id', str(255), notNull)
    .addColumn('device_owner', str(255), notNull)
    .addColumn('port_security_enabled', 'smallint', notNull)
    .addColumn('dns_name', str(255), notNull)
    .addColumn('binding_host_id', str(255), notNull)
    .addColumn('binding_vnic_type', str(64), notNull)
    .addColumn('binding_profile', text(), notNull)
    .addColumn('binding_vif_type', str(64), notNull)
    .addColumn('binding_vif_details', text(), notNull)
    .addColumn('ip_allocation', str(16), notNull)
    // Also the index for lookups by network_id (it is the key's first column).
    .addUniqueConstraint('uniq_ports0network_id0mac_address', ['network_id', 'mac_address'])
    .addForeignKeyConstraint('fk_ports_network_id', ['network_id'], 'networks', ['id'], (fk) => fk.onDelete('cascade'))
    .execute();

  // The primary key (subnet_id, ip_address) is what keeps two ports from
  // getting the same address, also across server processes. Deleting a subnet
  // that still has allocations fails (no cascade): the plugin checks for ports
  // first, then deletes the allocations it may delete explicitly.
  await table('ipallocations')
    .addColumn('subnet_id', str(36), notNull)
    .addColumn('ip_address', str(64), notNull)
    .addColumn('port_id', str(36), notNull)
    .addColumn('network_id', str(36), notNull)
    .addPrimaryKeyConstraint('ipallocations_pkey', ['subnet_id', 'ip_address'])
    .addForeignKeyConstraint('fk_ipallocations_port_id', ['port_id'], 'ports', ['id'], (fk) => fk.onDelete('cascade'))
    .addForeignKeyConstraint('fk_ipallocations_subnet_id', ['subnet_id'], 'subnets', ['id'])
    .addForeignKeyConstraint('fk_ipallocations_network_id', ['network_id'], 'networks', ['id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute();

  await table('allowed_address_pairs')
    .addColumn('port_id', str(36), notNull)
    .addColumn('ip_address', str(64), notNull)
    .addColumn('mac_address', str(32), notNull)
    .addPrimaryKeyConstraint('allowed_address_pairs_pkey', ['port_id', 'ip_address', 'mac_address'])
    .addForeignKeyConstraint('fk_allowed_address_pairs_port_id', ['port_id'], 'ports', ['id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute();

  await table('extra_dhcp_opts')
    .addColumn('port_id', str(36), notNull)
    .addColumn('opt_name', str(64), notNull)
    .addColumn('opt_value', str(255))
    .addColumn('ip_version', 'integer', notNull)
    .addPrimaryKeyConstraint('extra_dhcp_opts_pkey', ['port_id', 'opt_name', 'ip_version'])
    .addForeignKeyConstraint('fk_extra_dhcp_opts_port_id', ['port_id'], 'ports', ['id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute();

  // Tags point at any resource (ids are unique across types), so no foreign
  // key: the plugin deletes a resource's tags with it.
  await table('tags')
    .addColumn('resource_id', str(36), notNull)
    .addColumn('tag', str(255), notNull)
    .addPrimaryKeyConstraint('tags_pkey', ['resource_id', 'tag'])
    .execute();

  const index = async (name: string, tableName: string, columns: string[]) =>
    db.schema.createIndex(name).on(tableName).columns(columns).execute();

  await index('ix_networks_project_id', 'networks', ['project_id']);
  await index('ix_subnets_project_id', 'subnets', ['project_id']);
  await index('ix_subnets_network_id', 'subnets', ['network_id']);
  await index('ix_subnet_allocation_pools_subnet_id', 'subnet_allocation_pools', ['subnet_id']);
  await index('ix_ports_project_id', 'ports', ['project_id']);
  await index('ix_ports_device_id', 'ports', ['device_id']);
  await index('ix_ports_network_id_device_owner', 'ports', ['network_id', 'device_owner']);
  await index('ix_ipallocations_port_id', 'ipallocations', ['port_id']);
  await index('ix_ipallocations_network_id', 'ipallocations', ['network_id']);
}
