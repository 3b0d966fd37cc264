/**
 * The schema and the drivers, for real, on every backend in testDialects():
 * SQLite (temporary file), MariaDB/MySQL and PostgreSQL (throwaway databases).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { sql, type Insertable } from 'kysely';
import { openDatabase, type OpenDatabase } from '../../src/db/connect.js';
import { isForeignKeyViolation, isRetryable, isUniqueViolation, withRetries } from '../../src/db/errors.js';
import { runDbManage } from '../../src/db/manage.js';
import {
  assertSchemaCurrent,
  currentRevision,
  headRevision,
  MIGRATION_LOCK_TABLE,
  MIGRATION_TABLE,
  SchemaBehind,
  upgradeHead,
} from '../../src/db/migrate.js';
import { MIGRATIONS } from '../../src/db/migrations/index.js';
import { composeApi } from '../../src/resources/compose.js';
import { coreExtensions, coreResources, routerExtensions } from '../../src/resources/index.js';
import type { Database, Db, NetworksTable, PortsTable, SubnetsTable } from '../../src/db/schema.js';
import { createTestDatabase, testDialects, withTestDatabase, type TestDatabase } from './databases.js';

/** Every column of every table, checked against schema.ts by the compiler (both ways) and against the database at run time. */
const COLUMNS = {
  networks: [
    'id', 'project_id', 'name', 'description', 'revision_number', 'created_at', 'updated_at', 'admin_state_up',
    'status', 'mtu', 'router_external', 'port_security_enabled', 'dns_domain', 'availability_zone_hints', 'is_default',
  ],
  subnets: [
    'id', 'project_id', 'name', 'description', 'revision_number', 'created_at', 'updated_at', 'network_id',
    'ip_version', 'cidr', 'gateway_ip', 'enable_dhcp', 'ipv6_ra_mode', 'ipv6_address_mode', 'subnetpool_id',
    'segment_id',
  ],
  subnet_allocation_pools: ['id', 'subnet_id', 'first_ip', 'last_ip'],
  subnet_dns_nameservers: ['subnet_id', 'address', 'position'],
  subnet_routes: ['subnet_id', 'destination', 'nexthop'],
  subnet_service_types: ['subnet_id', 'service_type'],
  ports: [
    'id', 'project_id', 'name', 'description', 'revision_number', 'created_at', 'updated_at', 'network_id',
    'mac_address', 'admin_state_up', 'status', 'device_id', 'device_owner', 'port_security_enabled', 'dns_name',
    'binding_host_id', 'binding_vnic_type', 'binding_profile', 'binding_vif_type', 'binding_vif_details',
    'ip_allocation', 'device_profile', 'numa_affinity_policy',
  ],
  inactive_port_bindings: ['port_id', 'host', 'vnic_type', 'profile', 'vif_type', 'vif_details'],
  ipallocations: ['subnet_id', 'ip_address', 'port_id', 'network_id'],
  allowed_address_pairs: ['port_id', 'ip_address', 'mac_address'],
  extra_dhcp_opts: ['port_id', 'opt_name', 'opt_value', 'ip_version'],
  tags: ['resource_id', 'tag'],
  securitygroups: ['id', 'project_id', 'name', 'description', 'revision_number', 'created_at', 'updated_at', 'stateful'],
  securitygrouprules: [
    'id', 'project_id', 'description', 'revision_number', 'created_at', 'updated_at', 'security_group_id',
    'remote_group_id', 'remote_address_group_id', 'direction', 'ethertype', 'protocol', 'port_range_min',
    'port_range_max', 'remote_ip_prefix', 'normalized_cidr',
  ],
  default_security_groups: ['project_id', 'security_group_id'],
  securitygroupportbindings: ['port_id', 'security_group_id'],
  networksegments: [
    'id', 'network_id', 'network_type', 'physical_network', 'segmentation_id', 'segment_index',
    'name', 'description', 'revision_number', 'created_at', 'updated_at',
  ],
  ml2_segment_allocations: ['network_type', 'physical_network', 'segmentation_id'],
  agents: [
    'id', 'agent_type', 'binary', 'topic', 'host', 'admin_state_up', 'created_at', 'started_at', 'heartbeat_timestamp',
    'description', 'configurations', 'availability_zone', 'resources_synced',
  ],
  networkdhcpagentbindings: ['network_id', 'dhcp_agent_id'],
  quotas: ['project_id', 'resource', 'limit'],
  quota_locks: ['project_id', 'resource', 'generation'],
  address_scopes: ['id', 'project_id', 'name', 'ip_version'],
  subnetpools: [
    'id', 'project_id', 'name', 'description', 'revision_number', 'created_at', 'updated_at', 'ip_version',
    'default_prefixlen', 'min_prefixlen', 'max_prefixlen', 'is_default', 'default_quota', 'hash',
    'address_scope_id',
  ],
  subnetpoolprefixes: ['cidr', 'subnetpool_id'],
  networkrbacs: ['id', 'project_id', 'target_project', 'action', 'object_id'],
  addressscoperbacs: ['id', 'project_id', 'target_project', 'action', 'object_id'],
  subnetpoolrbacs: ['id', 'project_id', 'target_project', 'action', 'object_id'],
  securitygrouprbacs: ['id', 'project_id', 'target_project', 'action', 'object_id'],
  address_groups: ['id', 'project_id', 'name', 'description', 'revision_number', 'created_at', 'updated_at'],
  address_associations: ['address', 'address_group_id'],
  addressgrouprbacs: ['id', 'project_id', 'target_project', 'action', 'object_id'],
  routers: ['id', 'project_id', 'name', 'description', 'revision_number', 'created_at', 'updated_at', 'status', 'admin_state_up', 'gw_port_id', 'enable_snat', 'flavor_id'],
  routerports: ['router_id', 'port_id', 'port_type'],
  routerroutes: ['destination', 'nexthop', 'router_id'],
  floatingips: [
    'id',
    'project_id',
    'description',
    'revision_number',
    'created_at',
    'updated_at',
    'floating_ip_address',
    'floating_network_id',
    'floating_port_id',
    'fixed_port_id',
    'fixed_ip_address',
    'router_id',
    'last_known_router_id',
    'status',
  ],
  routerl3agentbindings: ['router_id', 'l3_agent_id'],
  router_extra_attributes: ['router_id', 'distributed', 'ha', 'ha_vr_id', 'availability_zone_hints'],
  ha_router_networks: ['project_id', 'network_id'],
  auto_allocated_topologies: ['project_id', 'network_id', 'router_id'],
  flavors: ['id', 'name', 'description', 'enabled', 'service_type'],
  serviceprofiles: ['id', 'description', 'driver', 'enabled', 'metainfo'],
  flavorserviceprofilebindings: ['flavor_id', 'service_profile_id'],
} as const satisfies { [T in keyof Database]: ReadonlyArray<keyof Database[T] & string> };
type Missing = { [T in keyof Database]: Exclude<keyof Database[T], (typeof COLUMNS)[T][number]> }[keyof Database];
const everyColumnListed: [Missing] extends [never] ? true : false = true;
void everyColumnListed;

describe('resource declarations and the schema', () => {
  it('every column a declaration names exists in its table', () => {
    const columns: Readonly<Record<string, readonly string[]>> = COLUMNS;
    for (const resource of composeApi(coreResources, [...coreExtensions, ...routerExtensions]).resources.values()) {
      for (const [name, decl] of Object.entries(resource.attributes)) {
        if (decl.column === undefined) continue;
        assert.ok(columns[resource.table ?? '']?.includes(decl.column), `${resource.collection}.${name}: ${resource.table}.${decl.column}`);
      }
    }
  });
});

/** Every migration, in the order they run; the last is the head. */
const ALL_MIGRATIONS = Object.keys(MIGRATIONS).sort();

const NET = '11111111-1111-4111-8111-111111111111';
const NET2 = '22222222-2222-4222-8222-222222222222';
const SUBNET = '33333333-3333-4333-8333-333333333333';
const PORT = '44444444-4444-4444-8444-444444444444';
const PORT2 = '55555555-5555-4555-8555-555555555555';

function networkRow(id: string, name = 'net'): Insertable<NetworksTable> {
  return {
    id,
    project_id: 'b7a1c2d3e4f54a6b8c9d0e1f2a3b4c5d',
    name,
    description: 'ünïcødé ✓ 🚀',
    revision_number: 1,
    created_at: '2026-11-25T22:19:52Z',
    updated_at: '2026-11-25T22:19:53Z',
    admin_state_up: 1,
    status: 'ACTIVE',
    mtu: 1450,
    router_external: 0,
    port_security_enabled: 1,
    dns_domain: '',
    availability_zone_hints: '["nova"]',
    is_default: 0,
  };
}

function subnetRow(id: string, networkId: string): Insertable<SubnetsTable> {
  return {
    id,
    network_id: networkId,
    project_id: 'p',
    name: 'sub',
    description: '',
    revision_number: 0,
    created_at: '2026-11-25T22:19:52Z',
    updated_at: '2026-11-25T22:19:52Z',
    ip_version: 4,
    cidr: '10.0.0.0/24',
    gateway_ip: null,
    enable_dhcp: 1,
    ipv6_ra_mode: null,
    ipv6_address_mode: null,
    subnetpool_id: null,
    segment_id: null,
  };
}

function portRow(id: string, networkId: string, mac: string): Insertable<PortsTable> {
  return {
    id,
    network_id: networkId,
    project_id: 'p',
    name: '',
    description: '',
    revision_number: 4_000_000_001, // BIGINT, as in Neutron: beyond 32 bits, still a number
    created_at: '2026-11-25T22:19:52Z',
    updated_at: '2026-11-25T22:19:52Z',
    mac_address: mac,
    admin_state_up: 1,
    status: 'DOWN',
    device_id: 'dhcp1234-abcd',
    device_owner: 'network:dhcp',
    port_security_enabled: 0,
    dns_name: '',
    binding_host_id: 'compute1',
    binding_vnic_type: 'normal',
    binding_profile: '{}',
    binding_vif_type: 'unbound',
    binding_vif_details: '{"port_filter": true}',
    ip_allocation: 'immediate',
    device_profile: null,
    numa_affinity_policy: null,
  };
}

async function captureError(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  assert.fail('expected an error');
}

async function manage(url: string, ...args: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await runDbManage(url, args, (line) => lines.push(line));
  return { code, lines };
}

for (const dialect of testDialects()) {
  describe(`database on ${dialect}`, () => {
    let database: TestDatabase;
    let open: OpenDatabase;
    let db: Db;

    before(async () => {
      database = await createTestDatabase(dialect);
      open = await openDatabase(database.url, { poolSize: 4 });
      db = open.db;
    });
    after(async () => {
      await open?.close();
      await database?.drop();
    });

    it('an empty database has no revision and fails assertSchemaCurrent with SchemaBehind naming the command', async () => {
      assert.equal(await currentRevision(db), null);
      const err = await captureError(() => assertSchemaCurrent(db));
      assert.ok(err instanceof SchemaBehind);
      assert.equal(err.current, null);
      assert.equal(err.head, headRevision());
      assert.ok(err.message.includes(`but this Nucleon needs ${headRevision()}`), err.message);
      assert.match(err.message, /run 'nucleon-db-manage --config-file <your neutron.conf> upgrade head'/);
      const { code, lines } = await manage(database.url, 'current');
      assert.equal(code, 0);
      assert.match(lines.join('\n'), /no revision/);
    });

    it('two concurrent upgradeHead calls on separate pools both succeed, one of them migrating', async () => {
      const other = await openDatabase(database.url, { poolSize: 2 });
      try {
        const [a, b] = await Promise.all([upgradeHead(db), upgradeHead(other.db)]);
        assert.deepEqual([...a.applied, ...b.applied], ALL_MIGRATIONS);
        assert.equal(a.current, headRevision());
        assert.equal(b.current, headRevision());
      } finally {
        await other.close();
      }
    });

    it('upgrade head created every table of schema.ts with exactly its columns', async () => {
      const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
      const found = Object.fromEntries(tables.map((t) => [t.name, t.columns.map((c) => c.name).sort()]));
      assert.deepEqual(
        Object.keys(found).sort(),
        [...Object.keys(COLUMNS), MIGRATION_TABLE, MIGRATION_LOCK_TABLE].sort(),
      );
      for (const [table, columns] of Object.entries(COLUMNS)) {
        assert.deepEqual(found[table], [...columns].sort(), table);
      }
    });

    it('upgrade head again is a no-op; current reports the head; the schema is current', async () => {
      assert.deepEqual(await upgradeHead(db), { applied: [], current: headRevision() });
      const upgrade = await manage(database.url, 'upgrade', 'heads');
      assert.equal(upgrade.code, 0);
      assert.deepEqual(upgrade.lines, ['Running upgrade for nucleon ...', `  Already at ${headRevision()} (head)`, '  OK']);
      const current = await manage(database.url, 'current');
      assert.equal(current.code, 0);
      assert.deepEqual(current.lines, ['Running current for nucleon ...', `${headRevision()} (head)`, '  OK']);
      assert.equal(await currentRevision(db), headRevision());
      await assertSchemaCurrent(db);
    });

    it('a row reads back with the same JavaScript values (numbers, strings, nulls)', async () => {
      const network = networkRow(NET);
      await db.insertInto('networks').values(network).execute();
      const row = await db.selectFrom('networks').selectAll().where('id', '=', NET).executeTakeFirstOrThrow();
      assert.deepEqual({ ...row }, network);
      assert.equal(Object.getPrototypeOf(row), Object.prototype, 'rows are plain objects');

      await db.insertInto('subnets').values(subnetRow(SUBNET, NET)).execute();
      const subnet = await db.selectFrom('subnets').selectAll().where('id', '=', SUBNET).executeTakeFirstOrThrow();
      assert.deepEqual({ ...subnet }, subnetRow(SUBNET, NET));

      // Generated ids read back as numbers.
      await db
        .insertInto('subnet_allocation_pools')
        .values({ subnet_id: SUBNET, first_ip: '10.0.0.2', last_ip: '10.0.0.254' })
        .execute();
      const pool = await db.selectFrom('subnet_allocation_pools').selectAll().executeTakeFirstOrThrow();
      assert.deepEqual({ ...pool }, { id: 1, subnet_id: SUBNET, first_ip: '10.0.0.2', last_ip: '10.0.0.254' });

      // Aggregates: numbers everywhere (pg gives BIGINT/NUMERIC as strings, mysql2 DECIMAL as strings, unless told).
      const agg = await db
        .selectFrom('networks')
        .select((eb) => [
          eb.fn.countAll().as('n'),
          eb.fn.sum('mtu').as('total'),
          eb.fn.max('revision_number').as('maxrev'),
        ])
        .executeTakeFirstOrThrow();
      assert.deepEqual({ ...agg }, { n: 1, total: 1450, maxrev: 1 });

      // Timestamps are compared as text and sort as time.
      const later = await db
        .selectFrom('networks')
        .select('id')
        .where('created_at', '>', '2026-11-25T22:19:51Z')
        .execute();
      assert.equal(later.length, 1);
    });

    it('text compares and sorts byte-wise on every backend (case-sensitive)', async () => {
      await db
        .insertInto('tags')
        .values(['b', 'B', 'a', 'A', '_x', 'é'].map((tag) => ({ resource_id: NET, tag })))
        .execute();
      const sorted = await db.selectFrom('tags').select('tag').where('resource_id', '=', NET).orderBy('tag').execute();
      assert.deepEqual(
        sorted.map((r) => r.tag),
        ['A', 'B', '_x', 'a', 'b', 'é'],
      );
      const exact = await db.selectFrom('tags').select('tag').where('tag', '=', 'a').execute();
      assert.deepEqual(exact.map((r) => r.tag), ['a']);
      await db.deleteFrom('tags').where('resource_id', '=', NET).execute();
    });

    it('a value longer than its column is refused, not cut (except on SQLite, which has no lengths)', async () => {
      const attempt = db
        .insertInto('tags')
        .values({ resource_id: NET, tag: 'x'.repeat(256) })
        .execute();
      if (dialect === 'sqlite') {
        await attempt;
        await db.deleteFrom('tags').where('resource_id', '=', NET).execute();
      } else {
        await assert.rejects(attempt);
      }
    });

    it('the ipallocations primary key rejects a second (subnet_id, ip_address), recognised by isUniqueViolation', async () => {
      await db.insertInto('ports').values(portRow(PORT, NET, 'fa:16:3e:00:00:01')).execute();
      await db.insertInto('ports').values(portRow(PORT2, NET, 'fa:16:3e:00:00:02')).execute();
      await db
        .insertInto('ipallocations')
        .values({ subnet_id: SUBNET, ip_address: '10.0.0.5', port_id: PORT, network_id: NET })
        .execute();
      const err = await captureError(() =>
        db
          .insertInto('ipallocations')
          .values({ subnet_id: SUBNET, ip_address: '10.0.0.5', port_id: PORT2, network_id: NET })
          .execute(),
      );
      assert.ok(isUniqueViolation(err), String(err));
      assert.ok(isUniqueViolation(err, 'ipallocations_pkey'), String(err));
      assert.ok(!isUniqueViolation(err, 'uniq_ports0network_id0mac_address'));
      assert.ok(!isRetryable(err));
      assert.ok(!isForeignKeyViolation(err));
      // Wrapped errors are looked through.
      assert.ok(isUniqueViolation(new Error('allocating', { cause: err }), 'ipallocations_pkey'));
    });

    it('concurrent inserts of the same address: exactly one wins', async () => {
      const attempts = await Promise.allSettled(
        [PORT, PORT2, PORT, PORT2].map((portId) =>
          db.transaction().execute(async (tx) => {
            await tx
              .insertInto('ipallocations')
              .values({ subnet_id: SUBNET, ip_address: '10.0.0.99', port_id: portId, network_id: NET })
              .execute();
          }),
        ),
      );
      const won = attempts.filter((a) => a.status === 'fulfilled');
      const lost = attempts.filter((a): a is PromiseRejectedResult => a.status === 'rejected');
      assert.equal(won.length, 1);
      for (const l of lost) assert.ok(isUniqueViolation(l.reason, 'ipallocations_pkey'), String(l.reason));
      await db.deleteFrom('ipallocations').where('ip_address', '=', '10.0.0.99').execute();
    });

    it('the ports (network_id, mac_address) key rejects a duplicate MAC on one network, allows it on another', async () => {
      const err = await captureError(() =>
        db.insertInto('ports').values(portRow('66666666-6666-4666-8666-666666666666', NET, 'fa:16:3e:00:00:01')).execute(),
      );
      assert.ok(isUniqueViolation(err, 'uniq_ports0network_id0mac_address'), String(err));
      assert.ok(!isUniqueViolation(err, 'ipallocations_pkey'));
      await db.insertInto('networks').values(networkRow(NET2, 'net2')).execute();
      await db.insertInto('ports').values(portRow('66666666-6666-4666-8666-666666666666', NET2, 'fa:16:3e:00:00:01')).execute();
      // Case matters (the plugin normalises MACs to lower case).
      await db.insertInto('ports').values(portRow('77777777-7777-4777-8777-777777777777', NET2, 'FA:16:3E:00:00:01')).execute();
      const row = await db.selectFrom('ports').selectAll().where('id', '=', PORT).executeTakeFirstOrThrow();
      assert.deepEqual({ ...row }, portRow(PORT, NET, 'fa:16:3e:00:00:01'));
    });

    it('foreign keys: a child without a parent is refused', async () => {
      const err = await captureError(() =>
        db
          .insertInto('ipallocations')
          .values({ subnet_id: SUBNET, ip_address: '10.0.0.7', port_id: 'no-such-port', network_id: NET })
          .execute(),
      );
      assert.ok(isForeignKeyViolation(err), String(err));
      assert.ok(!isUniqueViolation(err));
    });

    it('cascades: a port takes its allocations, pairs and DHCP options; a subnet with allocations cannot be deleted', async () => {
      await db.insertInto('allowed_address_pairs').values({ port_id: PORT2, ip_address: '10.0.0.0/24', mac_address: 'fa:16:3e:00:00:02' }).execute();
      await db.insertInto('extra_dhcp_opts').values({ port_id: PORT2, opt_name: 'mtu', opt_value: '1400', ip_version: 4 }).execute();
      await db.insertInto('ipallocations').values({ subnet_id: SUBNET, ip_address: '10.0.0.6', port_id: PORT2, network_id: NET }).execute();
      await db.insertInto('subnet_dns_nameservers').values({ subnet_id: SUBNET, address: '8.8.8.8', position: 0 }).execute();
      await db.insertInto('subnet_routes').values({ subnet_id: SUBNET, destination: '0.0.0.0/0', nexthop: '10.0.0.1' }).execute();

      await db.deleteFrom('ports').where('id', '=', PORT2).execute();
      for (const table of ['allowed_address_pairs', 'extra_dhcp_opts'] as const) {
        const left = await db.selectFrom(table).selectAll().where('port_id', '=', PORT2).execute();
        assert.deepEqual(left, [], table);
      }
      const allocations = await db.selectFrom('ipallocations').select('ip_address').where('port_id', '=', PORT2).execute();
      assert.deepEqual(allocations, []);

      // PORT still holds 10.0.0.5 on SUBNET: the subnet must not go.
      const err = await captureError(() => db.deleteFrom('subnets').where('id', '=', SUBNET).execute());
      assert.ok(isForeignKeyViolation(err), String(err));
      assert.ok(await db.selectFrom('subnets').select('id').where('id', '=', SUBNET).executeTakeFirst());

      // Once its allocations are deleted explicitly, the subnet goes with its pools, nameservers and routes.
      await db.transaction().execute(async (tx) => {
        await tx.deleteFrom('ipallocations').where('subnet_id', '=', SUBNET).execute();
        await tx.deleteFrom('subnets').where('id', '=', SUBNET).execute();
      });
      for (const table of ['subnet_allocation_pools', 'subnet_dns_nameservers', 'subnet_routes'] as const) {
        const left = await db.selectFrom(table).selectAll().where('subnet_id', '=', SUBNET).execute();
        assert.deepEqual(left, [], table);
      }

      // A network takes its ports (and their allocations) and subnets.
      await db.insertInto('subnets').values(subnetRow(SUBNET, NET)).execute();
      await db.insertInto('ipallocations').values({ subnet_id: SUBNET, ip_address: '10.0.0.5', port_id: PORT, network_id: NET }).execute();
      await db.deleteFrom('networks').where('id', '=', NET).execute();
      assert.deepEqual(await db.selectFrom('ports').select('id').where('network_id', '=', NET).execute(), []);
      assert.deepEqual(await db.selectFrom('subnets').select('id').where('network_id', '=', NET).execute(), []);
      assert.deepEqual(await db.selectFrom('ipallocations').select('ip_address').where('network_id', '=', NET).execute(), []);
    });

    it('a transaction that rolls back leaves nothing behind', async () => {
      await assert.rejects(
        db.transaction().execute(async (tx) => {
          await tx.insertInto('networks').values(networkRow('88888888-8888-4888-8888-888888888888')).execute();
          throw new Error('abort');
        }),
        /abort/,
      );
      assert.equal(
        await db.selectFrom('networks').select('id').where('id', '=', '88888888-8888-4888-8888-888888888888').executeTakeFirst(),
        undefined,
      );
    });

    it('withRetries re-runs transactions that lose to concurrency (real deadlock / busy error)', async () => {
      const A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
      const B = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
      await db.insertInto('networks').values([networkRow(A, 'a'), networkRow(B, 'b')]).execute();
      // A second connection pool (SQLite: a second connection to the file) with a short SQLite busy timeout.
      const other = await openDatabase(database.url, { poolSize: 2, sqliteBusyTimeoutMs: 20 });
      const seen: unknown[] = [];
      try {
        if (dialect === 'sqlite') {
          // One connection holds the write lock for a while; the other's BEGIN IMMEDIATE gives up with SQLITE_BUSY.
          let release!: () => void;
          const held = new Promise<void>((r) => (release = r));
          let started!: () => void;
          const begun = new Promise<void>((r) => (started = r));
          const holder = db.transaction().execute(async (tx) => {
            await tx.updateTable('networks').set({ name: 'held' }).where('id', '=', A).execute();
            started();
            await held;
          });
          await begun;
          const busy = await captureError(() =>
            other.db.transaction().execute((tx) => tx.updateTable('networks').set({ name: 'x' }).where('id', '=', B).execute()),
          );
          assert.ok(isRetryable(busy), String(busy));
          // The lock is released only once a retry is under way, so the retry is certain however slow the machine.
          await withRetries(
            () => other.db.transaction().execute((tx) => tx.updateTable('networks').set({ name: 'x' }).where('id', '=', B).execute()),
            {
              attempts: 20,
              onRetry: (err) => {
                seen.push(err);
                release();
              },
            },
          );
          await holder;
        } else {
          // Two transactions lock A and B in opposite orders: the database kills one (deadlock), withRetries runs it again.
          let arrived = 0;
          let bothLocked!: () => void;
          const barrier = new Promise<void>((r) => (bothLocked = r));
          const meet = async () => {
            arrived += 1;
            if (arrived === 2) bothLocked();
            await Promise.race([barrier, new Promise((r) => setTimeout(r, 2000))]);
          };
          const swap = (kysely: Db, first: string, second: string) => () =>
            kysely.transaction().execute(async (tx) => {
              await tx.updateTable('networks').set({ name: sql<string>`${first}` }).where('id', '=', first).execute();
              await meet();
              await tx.updateTable('networks').set({ name: sql<string>`${second}` }).where('id', '=', second).execute();
            });
          await Promise.all([
            withRetries(swap(db, A, B), { attempts: 5, onRetry: (err) => seen.push(err) }),
            withRetries(swap(other.db, B, A), { attempts: 5, onRetry: (err) => seen.push(err) }),
          ]);
        }
      } finally {
        await other.close();
      }
      assert.ok(seen.length >= 1, 'at least one retry happened');
      for (const err of seen) assert.ok(isRetryable(err), String(err));
    });
  });
}

describe('SQLite specifics', () => {
  it('creates the parent directory and sets WAL, synchronous=NORMAL, foreign keys, a busy timeout', async () => {
    const database = await createTestDatabase('sqlite');
    const nested = database.url.replace(/nucleon\.db$/, 'deeper/still/nucleon.db');
    const open = await openDatabase(nested);
    try {
      const pragma = async (name: string) => {
        const { rows } = await sql.raw<Record<string, unknown>>(`pragma ${name}`).execute(open.db);
        return Object.values(rows[0] ?? {})[0];
      };
      assert.equal(await pragma('journal_mode'), 'wal');
      assert.equal(await pragma('synchronous'), 1);
      assert.equal(await pragma('foreign_keys'), 1);
      assert.equal(await pragma('busy_timeout'), 5000);
    } finally {
      await open.close();
      await database.drop();
    }
  });

  it('works in memory (sqlite://)', async () => {
    const open = await openDatabase('sqlite://');
    try {
      assert.deepEqual((await upgradeHead(open.db)).applied, ALL_MIGRATIONS);
      await assertSchemaCurrent(open.db);
    } finally {
      await open.close();
    }
  });
});

describe('nucleon-db-manage', () => {
  it('refuses unknown commands and partial upgrades with exit code 2', async () => {
    await withTestDatabase('sqlite', async (url) => {
      for (const args of [['downgrade', 'base'], ['upgrade', '0001_initial_schema'], ['upgrade'], [], ['current', 'x']]) {
        const { code, lines } = await manage(url, ...args);
        assert.equal(code, 2, args.join(' '));
        assert.match(lines.join('\n'), /error: .*\n.*usage: nucleon-db-manage/);
      }
      assert.deepEqual(await manage(url, 'heads'), { code: 0, lines: [`${headRevision()} (head)`] });
    });
  });

  it('reports a database it cannot reach with exit code 1, without the password', async () => {
    const { code, lines } = await manage('mysql+pymysql://neutron:s3cret@127.0.0.1:1/neutron', 'upgrade', 'head');
    assert.equal(code, 1);
    assert.match(lines.join('\n'), /ERROR: cannot connect to the database mysql\+pymysql:\/\/neutron:\*\*\*@127\.0\.0\.1:1\/neutron/);
    assert.ok(!lines.join('\n').includes('s3cret'));
  });

  it('prints the migrations it applied', async () => {
    await withTestDatabase('sqlite', async (url) => {
      assert.deepEqual(await manage(url, 'upgrade', 'head'), {
        code: 0,
        lines: ['Running upgrade for nucleon ...', ...ALL_MIGRATIONS.map((name) => `  Applied ${name}`), '  OK'],
      });
    });
  });
});

describe('several processes upgrading one database at once', () => {
  /** Starts upgradeProcess.ts; resolves `ready` once it has loaded, `done` with its exit code and output. */
  function startUpgrade(url: string) {
    const script = fileURLToPath(new URL('./upgradeProcess.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, url], { stdio: ['pipe', 'pipe', 'inherit'] });
    let stdout = '';
    let signalReady!: () => void;
    const ready = new Promise<void>((r) => (signalReady = r));
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.startsWith('ready\n')) signalReady();
    });
    const done = new Promise<{ code: number | null; stdout: string }>((resolve) =>
      child.on('close', (code) => resolve({ code, stdout })),
    );
    return { ready, done, go: () => child.stdin.end('go\n') };
  }

  for (const dialect of testDialects()) {
    it(`on ${dialect}: all succeed, the migration runs once`, async () => {
      await withTestDatabase(dialect, async (url) => {
        const children = [1, 2, 3].map(() => startUpgrade(url));
        await Promise.all(children.map((c) => c.ready));
        for (const c of children) c.go();
        const runs = await Promise.all(children.map((c) => c.done));
        for (const r of runs) {
          assert.equal(r.code, 0, r.stdout);
          assert.match(r.stdout, /  OK\n$/);
        }
        const applied = runs.flatMap((r) => r.stdout.split('\n').filter((line) => line.includes('Applied')));
        assert.deepEqual(applied, ALL_MIGRATIONS.map((name) => `  Applied ${name}`));
        const open = await openDatabase(url);
        try {
          await assertSchemaCurrent(open.db);
        } finally {
          await open.close();
        }
      });
    });
  }
});
