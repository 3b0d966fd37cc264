/**
 * PortStatusUpdater.setMany on every backend, as two servers on one
 * database run it: an agent's whole batch changes in a few statements, and
 * when two servers change the same ports at once, every change is one
 * revision and one port.after_update, never an event for a change another
 * server made.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { pino } from 'pino';

import { adminContext } from '../../../../src/common/context.js';
import { loadConfig } from '../../../../src/config/load.js';
import { openDatabase, type OpenDatabase } from '../../../../src/db/connect.js';
import { upgradeHead } from '../../../../src/db/migrate.js';
import { PortStatusUpdater, type PortStatus } from '../../../../src/plugins/ml2/rpc/portStatus.js';
import { composeApi } from '../../../../src/resources/compose.js';
import { coreExtensions, coreResources } from '../../../../src/resources/index.js';
import { serverOptionGroups } from '../../../../src/server/config.js';
import { buildCore, coreOptionsFrom, quotaDefaultsFrom } from '../../../../src/server/core.js';
import { createTestDatabase, type TestDatabase, testDialects } from '../../../db/databases.js';
import { macOf, networkRow, portId, portRow } from './rows.js';

const NETWORK = '11111111-2222-4333-8444-555555555555';
const PORTS = 40;
const ROUNDS = 15;

/**
 * One server: its own pool on the shared database, its core, its updater,
 * the status events it sent per port, and any event whose status did not
 * change (an after_update subscriber's throw is only logged, so they are
 * collected and asserted on by the tests).
 */
interface Server {
  readonly open: OpenDatabase;
  readonly updater: PortStatusUpdater;
  readonly events: Map<string, number>;
  readonly unchanged: string[];
}

async function startServer(url: string): Promise<Server> {
  const { config } = loadConfig({ files: [], groups: serverOptionGroups });
  const open = await openDatabase(url);
  const core = buildCore(open.db, composeApi(coreResources, coreExtensions), coreOptionsFrom(config), pino({ level: 'silent' }), quotaDefaultsFrom(config));
  const events = new Map<string, number>();
  const unchanged: string[] = [];
  core.deps.events.on('port.after_update', ({ original, current }) => {
    if (original?.status === current.status) unchanged.push(String(current.id));
    events.set(String(current.id), (events.get(String(current.id)) ?? 0) + 1);
  });
  return { open, updater: new PortStatusUpdater(core.deps, (rows, on) => core.ports.present(rows, on)), events, unchanged };
}

for (const dialect of testDialects()) {
  describe(`PortStatusUpdater.setMany (${dialect})`, () => {
    let database: TestDatabase;
    let servers: Server[] = [];
    const ids = Array.from({ length: PORTS }, (_, i) => portId(i + 1));
    const ctx = adminContext('req-status-test');
    const revisions = async () => {
      const rows = await servers[0]!.open.db.selectFrom('ports').select(['id', 'revision_number', 'status']).execute();
      return new Map(rows.map((row) => [row.id, row]));
    };

    before(async () => {
      database = await createTestDatabase(dialect);
      servers = [await startServer(database.url), await startServer(database.url)];
      const db = servers[0]!.open.db;
      await upgradeHead(db);
      await db.insertInto('networks').values(networkRow(NETWORK)).execute();
      await db
        .insertInto('ports')
        .values(ids.map((id, i) => portRow(id, NETWORK, macOf(i + 1))))
        .execute();
    });

    after(async () => {
      for (const server of servers) await server.open.close();
      await database?.drop();
    });

    it('changes ports from several statuses at once, each one revision and one event; ports already there are left alone', async () => {
      const [server] = servers;
      await server!.updater.setMany(ctx, ids.slice(0, 10), 'BUILD');
      const before = await revisions();
      const changes = await server!.updater.setMany(ctx, ids, 'ACTIVE');
      assert.deepEqual(changes.map((change) => change.port.id).sort(), [...ids].sort());
      const afterwards = await revisions();
      for (const change of changes) {
        const id = String(change.port.id);
        assert.equal(afterwards.get(id)!.revision_number, before.get(id)!.revision_number + 1);
        assert.equal(change.current.status, 'ACTIVE');
        assert.equal(change.original.status, before.get(id)!.status);
        assert.equal(change.current.revision_number, afterwards.get(id)!.revision_number);
      }
      assert.deepEqual(await server!.updater.setMany(ctx, ids, 'ACTIVE'), []);
      assert.deepEqual(await revisions(), afterwards);
      assert.deepEqual(server!.unchanged, [], 'events for a status that did not change');
    });

    it('two servers changing the same ports at once: every revision is one event, from the server that made it', async () => {
      for (const server of servers) {
        server.events.clear();
        server.unchanged.length = 0;
      }
      const before = await revisions();
      const statuses: PortStatus[] = ['BUILD', 'ACTIVE', 'DOWN'];
      for (let round = 0; round < ROUNDS; round++) {
        // Overlapping halves, different targets, on both servers: many batches meet a port another batch just changed.
        await Promise.all([
          servers[0]!.updater.setMany(ctx, ids.slice(0, 30), statuses[round % 3]!),
          servers[1]!.updater.setMany(ctx, ids.slice(10), statuses[(round + 1) % 3]!),
          servers[0]!.updater.set(ctx, ids[15]!, statuses[(round + 2) % 3]!),
          servers[1]!.updater.setMany(ctx, [...ids].reverse(), statuses[(round + 2) % 3]!),
        ]);
      }
      const afterwards = await revisions();
      let changed = 0;
      for (const id of ids) {
        const events = servers.reduce((sum, server) => sum + (server.events.get(id) ?? 0), 0);
        assert.equal(events, afterwards.get(id)!.revision_number - before.get(id)!.revision_number, `port ${id}: events against revisions`);
        changed += events;
      }
      assert.ok(changed >= PORTS * ROUNDS, `only ${changed} changes in ${ROUNDS} rounds`);
      assert.deepEqual(servers.flatMap((server) => server.unchanged), [], 'events for a status that did not change');
    });
  });
}
