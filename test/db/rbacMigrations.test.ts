/**
 * Migrations 0010 to 0012 on every backend: shared and external networks,
 * shared address scopes and subnet pools of an older schema get their '*' RBAC entries,
 * the shared columns go; down brings them back from the '*' access_as_shared
 * entries.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { type Kysely, Migrator, sql } from 'kysely';

import { openDatabase, type OpenDatabase } from '../../src/db/connect.js';
import { StaticMigrationProvider } from '../../src/db/migrations/index.js';
import { createTestDatabase, testDialects, type TestDatabase } from './databases.js';

const PROJECT = 'b7a1c2d3e4f54a6b8c9d0e1f2a3b4c5d';
const network = (id: string, shared: number, external: number) => ({
  id,
  project_id: PROJECT,
  name: id.slice(0, 4),
  description: '',
  revision_number: 0,
  created_at: '2026-12-01T00:00:00Z',
  updated_at: '2026-12-01T00:00:00Z',
  admin_state_up: 1,
  status: 'ACTIVE',
  shared,
  mtu: 0,
  router_external: external,
  port_security_enabled: 1,
  dns_domain: '',
  availability_zone_hints: '[]',
});

for (const dialect of testDialects()) {
  describe(`migrations 0010_network_rbac to 0012_subnet_pool_rbac on ${dialect}`, () => {
    let database: TestDatabase;
    let open: OpenDatabase;
    let migrator: Migrator;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the schema of an older revision
    let db: Kysely<any>;

    before(async () => {
      database = await createTestDatabase(dialect);
      open = await openDatabase(database.url, { poolSize: 2 });
      db = open.db;
      migrator = new Migrator({ db, provider: new StaticMigrationProvider(), migrationTableName: 'rbac_test_migrations', migrationLockTableName: 'rbac_test_lock' });
    });
    after(async () => {
      await open?.close();
      await database?.drop();
    });

    test('shared and external networks become * entries, and back', async () => {
      assert.equal((await migrator.migrateTo('0009_routers')).error, undefined);
      const [plain, shared, external, both] = ['1', '2', '3', '4'].map((d) => `${d.repeat(8)}-1111-4111-8111-111111111111`);
      await db.insertInto('networks').values([network(plain!, 0, 0), network(shared!, 1, 0), network(external!, 0, 1), network(both!, 1, 1)]).execute();

      assert.equal((await migrator.migrateTo('0010_network_rbac')).error, undefined);
      const entries = await db.selectFrom('networkrbacs').select(['object_id', 'action', 'target_project', 'project_id']).orderBy('object_id').orderBy('action').execute();
      assert.deepEqual(entries, [
        { object_id: shared, action: 'access_as_shared', target_project: '*', project_id: PROJECT },
        { object_id: external, action: 'access_as_external', target_project: '*', project_id: PROJECT },
        { object_id: both, action: 'access_as_external', target_project: '*', project_id: PROJECT },
        { object_id: both, action: 'access_as_shared', target_project: '*', project_id: PROJECT },
      ]);
      await assert.rejects(sql`select shared from networks`.execute(db));
      // One entry per target, object and action.
      await assert.rejects(db.insertInto('networkrbacs').values({ id: 'x', project_id: PROJECT, target_project: '*', action: 'access_as_shared', object_id: shared }).execute());

      assert.equal((await migrator.migrateTo('0009_routers')).error, undefined);
      const rows = await db.selectFrom('networks').select(['id', 'shared']).orderBy('id').execute();
      assert.deepEqual(rows.map((r: { shared: number }) => Number(r.shared)), [0, 1, 0, 1]);
    });

    test('shared address scopes become * entries, and back', async () => {
      assert.equal((await migrator.migrateTo('0010_network_rbac')).error, undefined);
      const scope = (id: string, shared: number) => ({ id, project_id: PROJECT, name: id.slice(0, 4), shared, ip_version: 4 });
      const [own, shared] = ['5', '6'].map((d) => `${d.repeat(8)}-1111-4111-8111-111111111111`);
      await db.insertInto('address_scopes').values([scope(own!, 0), scope(shared!, 1)]).execute();
      assert.equal((await migrator.migrateTo('0011_address_scope_rbac')).error, undefined);
      const entries = await db.selectFrom('addressscoperbacs').select(['object_id', 'action', 'target_project', 'project_id']).execute();
      assert.deepEqual(entries, [{ object_id: shared, action: 'access_as_shared', target_project: '*', project_id: PROJECT }]);
      await assert.rejects(sql`select shared from address_scopes`.execute(db));
      assert.equal((await migrator.migrateTo('0010_network_rbac')).error, undefined);
      const rows = await db.selectFrom('address_scopes').select(['id', 'shared']).orderBy('id').execute();
      assert.deepEqual(rows.map((r: { shared: number }) => Number(r.shared)), [0, 1]);
    });

    test('shared subnet pools become * entries, and back', async () => {
      assert.equal((await migrator.migrateTo('0011_address_scope_rbac')).error, undefined);
      const pool = (id: string, shared: number) => ({
        id, project_id: PROJECT, name: 'p', description: '', revision_number: 0, created_at: '2026-12-01T00:00:00Z', updated_at: '2026-12-01T00:00:00Z',
        ip_version: 4, default_prefixlen: 8, min_prefixlen: 8, max_prefixlen: 32, shared, is_default: 0, default_quota: null, hash: '', address_scope_id: null,
      });
      const [own, shared] = ['7', '8'].map((d) => `${d.repeat(8)}-1111-4111-8111-111111111111`);
      await db.insertInto('subnetpools').values([pool(own!, 0), pool(shared!, 1)]).execute();
      assert.equal((await migrator.migrateTo('0012_subnet_pool_rbac')).error, undefined);
      const entries = await db.selectFrom('subnetpoolrbacs').select(['object_id', 'action', 'target_project', 'project_id']).execute();
      assert.deepEqual(entries, [{ object_id: shared, action: 'access_as_shared', target_project: '*', project_id: PROJECT }]);
      await assert.rejects(sql`select shared from subnetpools`.execute(db));
      assert.equal((await migrator.migrateTo('0011_address_scope_rbac')).error, undefined);
      const rows = await db.selectFrom('subnetpools').select(['id', 'shared']).orderBy('id').execute();
      assert.deepEqual(rows.map((r: { shared: number }) => Number(r.shared)), [0, 1]);
    });
  });
}
