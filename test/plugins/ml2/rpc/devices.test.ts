/**
 * findDevicePorts on every backend: which port an agent's device name means
 * (a tap device's 11-character id prefix, a full id, a MAC), what an
 * ambiguous or unknown name gives, an agent asking about more devices than
 * one query holds, and, on SQLite, that the prefixes are looked up in the
 * primary key rather than by reading every port (a resync of 100 000 ports
 * is 2 000 such lookups).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CompiledQuery, createQueryId, type RootOperationNode } from 'kysely';

import { openDatabase, type OpenDatabase } from '../../../../src/db/connect.js';
import { upgradeHead } from '../../../../src/db/migrate.js';
import { findDevicePorts } from '../../../../src/plugins/ml2/rpc/devices.js';
import { createTestDatabase, type TestDatabase, testDialects } from '../../../db/databases.js';
import { macOf, networkRow, portId, portRow } from './rows.js';

const NETWORK = '11111111-2222-4333-8444-555555555555';
/** More than one query's worth of prefixes (devices.ts: RANGES_PER_QUERY), and far more than SQLite nests in a flat OR. */
const PORTS = 2500;

const tap = (id: string) => `tap${id.slice(0, 11)}`;

for (const dialect of testDialects()) {
  describe(`findDevicePorts (${dialect})`, () => {
    let database: TestDatabase;
    let open: OpenDatabase;
    const ids = Array.from({ length: PORTS }, (_, i) => portId(i + 1));
    // Two ports whose ids share their first 11 characters: their tap name means neither.
    const twins = ['abcdef01-23aa-4bbb-8ccc-000000000001', 'abcdef01-23ff-4bbb-8ccc-000000000002'];

    before(async () => {
      database = await createTestDatabase(dialect);
      open = await openDatabase(database.url);
      await upgradeHead(open.db);
      await open.db.insertInto('networks').values(networkRow(NETWORK)).execute();
      const rows = ids.map((id, i) => portRow(id, NETWORK, macOf(i + 1)));
      // 500 rows a statement: within every backend's limit on bound parameters.
      for (let i = 0; i < rows.length; i += 500) await open.db.insertInto('ports').values(rows.slice(i, i + 500)).execute();
      await open.db
        .insertInto('ports')
        .values(twins.map((id, i) => portRow(id, NETWORK, `fa:16:3e:ff:00:0${i + 1}`)))
        .execute();
    });

    after(async () => {
      await open?.close();
      await database?.drop();
    });

    it('finds every port an agent names by its tap device, in more than one query', async () => {
      const found = await findDevicePorts(open.db, ids.map(tap));
      assert.equal(found.size, PORTS);
      for (const id of ids) assert.equal(found.get(tap(id))?.id, id);
    });

    it('names a port by its full id, its MAC (any case) or its qvo/sg- device; an ambiguous or unknown name means none', async () => {
      const id = ids[41]!;
      const devices = [id, macOf(42).toUpperCase(), `qvo${id.slice(0, 11)}`, `sg-${id.slice(0, 11)}`, tap(twins[0]!), 'tap00000000-00', 'tapzz', 'tap'];
      const found = await findDevicePorts(open.db, devices);
      assert.deepEqual(
        [...found].map(([device, row]) => [device, row.id]),
        devices.slice(0, 4).map((device) => [device, id]),
      );
    });

    if (dialect === 'sqlite') {
      it('looks the prefixes up in the primary key, never by reading every port', async () => {
        const lookups: RootOperationNode[] = [];
        const recording = open.db.withPlugin({
          transformQuery: ({ node }) => (lookups.push(node), node),
          transformResult: async ({ result }) => result,
        });
        await findDevicePorts(recording, ids.slice(0, 3).map(tap));
        assert.equal(lookups.length, 1);
        const lookup = open.db.getExecutor().compileQuery(lookups[0]!, createQueryId());
        const plan = await open.db.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${lookup.sql}`, [...lookup.parameters]));
        const details = plan.rows.map((row) => row.detail);
        assert.ok(details.every((detail) => !/^SCAN ports\b/.test(detail)), details.join('\n'));
        assert.ok(details.some((detail) => /^SEARCH ports USING .*INDEX/.test(detail)), details.join('\n'));
      });
    }
  });
}
