/**
 * Security groups: groups, their rules, each project's default group, and
 * which groups a port uses.
 *
 * Frozen in time: this file imports nothing from the application, and once
 * released it never changes. Same portable types as 0001 (SMALLINT booleans,
 * VARCHAR timestamps, byte-wise collation).
 *
 * `default_security_groups` has the project as its primary key: when several
 * requests (or servers) create a project's default group at once, that key
 * decides which one exists; the others roll back and find it.
 */
import { MysqlAdapter, PostgresAdapter, sql, type ColumnDefinitionBuilder, type CreateTableBuilder, type Expression, type Kysely } from 'kysely';

type Backend = 'sqlite' | 'mysql' | 'postgres';

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
  const str = (n: number): Expression<unknown> =>
    backend === 'postgres' ? sql`varchar(${sql.raw(String(n))}) collate "C"` : sql`varchar(${sql.raw(String(n))})`;
  const notNull = (col: ColumnDefinitionBuilder) => col.notNull();
  const id = (col: ColumnDefinitionBuilder) => col.notNull().primaryKey();
  const table = (name: string): Table => {
    const builder = db.schema.createTable(name);
    return backend === 'mysql' ? builder.modifyEnd(sql`engine = InnoDB default charset = utf8mb4 collate = utf8mb4_bin`) : builder;
  };
  /** project_id, description, revision_number, created_at, updated_at. */
  const standard = (t: Table): Table =>
    t
      .addColumn('project_id', str(255), notNull)
      .addColumn('description', str(255), notNull)
      .addColumn('revision_number', 'bigint', notNull)
      .addColumn('created_at', str(32), notNull)
      .addColumn('updated_at', str(32), notNull);

  await standard(table('securitygroups').addColumn('id', str(36), id))
    .addColumn('name', str(255), notNull)
    .addColumn('stateful', 'smallint', notNull)
    .execute();

  // A group's rules go with it, and so do rules elsewhere naming it as their remote group.
  await standard(table('securitygrouprules').addColumn('id', str(36), id))
    .addColumn('security_group_id', str(36), notNull)
    .addColumn('remote_group_id', str(36))
    .addColumn('remote_address_group_id', str(36))
    .addColumn('direction', str(16), notNull)
    .addColumn('ethertype', str(40), notNull)
    .addColumn('protocol', str(40))
    .addColumn('port_range_min', 'integer')
    .addColumn('port_range_max', 'integer')
    .addColumn('remote_ip_prefix', str(255))
    .addColumn('normalized_cidr', str(255))
    .addForeignKeyConstraint('fk_securitygrouprules_security_group_id', ['security_group_id'], 'securitygroups', ['id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .addForeignKeyConstraint('fk_securitygrouprules_remote_group_id', ['remote_group_id'], 'securitygroups', ['id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute();

  await table('default_security_groups')
    .addColumn('project_id', str(255), id)
    .addColumn('security_group_id', str(36), notNull)
    .addForeignKeyConstraint('fk_default_security_groups_security_group_id', ['security_group_id'], 'securitygroups', ['id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute();

  await table('securitygroupportbindings')
    .addColumn('port_id', str(36), notNull)
    .addColumn('security_group_id', str(36), notNull)
    .addPrimaryKeyConstraint('securitygroupportbindings_pkey', ['port_id', 'security_group_id'])
    .addForeignKeyConstraint('fk_securitygroupportbindings_port_id', ['port_id'], 'ports', ['id'], (fk) => fk.onDelete('cascade'))
    .addForeignKeyConstraint('fk_securitygroupportbindings_security_group_id', ['security_group_id'], 'securitygroups', ['id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute();

  const index = async (name: string, tableName: string, columns: string[]) =>
    db.schema.createIndex(name).on(tableName).columns(columns).execute();
  await index('ix_securitygroups_project_id', 'securitygroups', ['project_id']);
  await index('ix_securitygrouprules_security_group_id', 'securitygrouprules', ['security_group_id']);
  await index('ix_securitygrouprules_remote_group_id', 'securitygrouprules', ['remote_group_id']);
  await index('ix_securitygrouprules_project_id', 'securitygrouprules', ['project_id']);
  await index('ix_default_security_groups_security_group_id', 'default_security_groups', ['security_group_id']);
  await index('ix_securitygroupportbindings_security_group_id', 'securitygroupportbindings', ['security_group_id']);
}
