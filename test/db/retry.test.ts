/**
 * oslo.db's wrap_db_retry in Nucleon (src/db/retry.ts): which errors are run
 * again and how long it waits; then, on the real MariaDB and PostgreSQL, a
 * forced deadlock retried, the server's connections killed (idle, and in the
 * middle of a transaction) with the next requests succeeding, and the
 * database unreachable (a TCP relay cut): 503 saying so, never 500, and
 * service again once it is back, without a restart.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import mysql from 'mysql2/promise';
import pg from 'pg';
import { pino } from 'pino';
import { sql } from 'kysely';

import { startTcpRelay, type TcpRelay } from '../../lab/tcpRelay.js';
import { loadConfig } from '../../src/config/load.js';
import { openDatabase } from '../../src/db/connect.js';
import { beforeAnyCommit, connectionWasLost, isConnectionError, noteCommitted, runWithRequestNote, withDbRetries, type DbRetryPolicy } from '../../src/db/retry.js';
import { startApiServer, type RunningApi } from '../../src/server/apiServer.js';
import { serverOptionGroups } from '../../src/server/config.js';
import { freePort, httpRequest } from '../helpers/testApi.js';
import { createTestDatabase, type TestDatabase, type TestDialect, testDialects } from './databases.js';

const FAST: DbRetryPolicy = { maxRetries: 5, retryIntervalMs: 20, incRetryInterval: true, maxRetryIntervalMs: 100 };
const deadlock = () => Object.assign(new Error('Deadlock found when trying to get lock; try restarting transaction'), { errno: 1213, code: 'ER_LOCK_DEADLOCK' });
const galera = () => Object.assign(new Error('WSREP detected deadlock/conflict and aborted the transaction. Try restarting the transaction'), { errno: 1213, code: 'ER_LOCK_DEADLOCK' });
const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' });
const terminated = () => Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });

/** fn failing with the given errors, one per run, then answering 'ok'. */
function failing(errors: (() => Error)[]) {
  const state = { runs: 0 };
  const fn = async () => {
    const next = errors[state.runs];
    state.runs += 1;
    if (next) throw next();
    return 'ok';
  };
  return { fn, state };
}

describe('withDbRetries', () => {
  test('a deadlock, a Galera certification failure, a lost connection are run again; a unique violation only when asked', async () => {
    const { fn, state } = failing([deadlock, galera, refused, terminated]);
    assert.equal(await withDbRetries(fn, FAST), 'ok');
    assert.equal(state.runs, 5);
    const unique = () => Object.assign(new Error('Duplicate entry'), { errno: 1062, code: 'ER_DUP_ENTRY' });
    await assert.rejects(withDbRetries(failing([unique]).fn, FAST), /Duplicate entry/);
    assert.equal(await withDbRetries(failing([unique]).fn, FAST, { alsoRetry: () => true }), 'ok');
  });

  test('db_max_retries bounds the retries; anything else is thrown at once', async () => {
    const many = failing(Array.from({ length: 10 }, () => deadlock));
    await assert.rejects(withDbRetries(many.fn, FAST), /Deadlock/);
    assert.equal(many.state.runs, 6);
    const other = failing([() => new Error('syntax error')]);
    await assert.rejects(withDbRetries(other.fn, FAST), /syntax error/);
    assert.equal(other.state.runs, 1);
  });

  test('a lost connection: the first retry at once, then db_retry_interval doubling, within db_max_retry_interval in all', async () => {
    const waits: number[] = [];
    const down = failing(Array.from({ length: 10 }, () => refused));
    const started = Date.now();
    await assert.rejects(
      withDbRetries(down.fn, { maxRetries: 20, retryIntervalMs: 100, incRetryInterval: true, maxRetryIntervalMs: 1000 }, { onRetry: (_e, _k, _a, ms) => waits.push(ms) }),
      /ECONNREFUSED/,
    );
    assert.deepEqual(waits, [0, 100, 200, 400]); // 800 would pass 1000 in all
    assert.ok(Date.now() - started < 1500);
  });

  test('within a request: a write runs again only while nothing committed, and one budget covers nested retries', async () => {
    const policy = { maxRetries: 20, retryIntervalMs: 100, incRetryInterval: false, maxRetryIntervalMs: 250 };
    await runWithRequestNote(async () => {
      const before = failing([refused]);
      assert.equal(await withDbRetries(before.fn, policy, { rerunnable: beforeAnyCommit }), 'ok');
      assert.equal(before.state.runs, 2);
      assert.equal(connectionWasLost(), true);
      noteCommitted();
      const afterCommit = failing([refused]);
      await assert.rejects(withDbRetries(afterCommit.fn, policy, { rerunnable: beforeAnyCommit }), /ECONNREFUSED/);
      assert.equal(afterCommit.state.runs, 1);
      await assert.rejects(withDbRetries(failing([deadlock]).fn, policy, { rerunnable: beforeAnyCommit }), /Deadlock/);
    });
    await runWithRequestNote(async () => {
      // The inner retries use up the request's 250 ms (waits of 0, 100 and 100 ms); the outer one then gives up at once.
      const inner = failing(Array.from({ length: 10 }, () => refused));
      let outerRuns = 0;
      const started = Date.now();
      await assert.rejects(
        withDbRetries(() => ((outerRuns += 1), withDbRetries(inner.fn, policy)), policy),
        /ECONNREFUSED/,
      );
      assert.equal(inner.state.runs, 4);
      assert.equal(outerRuns, 1);
      assert.ok(Date.now() - started < 400);
    });
  });

  test('what counts as a lost connection', () => {
    for (const err of [refused(), terminated(), { code: 'PROTOCOL_CONNECTION_LOST' }, { errno: 2013, code: 'CR_SERVER_LOST' }, { errno: 1047, code: 'ER_UNKNOWN_COM_ERROR' }, new Error('Connection terminated unexpectedly'), { code: '08006' }]) {
      assert.ok(isConnectionError(err), JSON.stringify(err));
    }
    for (const err of [deadlock(), new Error('syntax error'), { code: '23505' }]) assert.ok(!isConnectionError(err), JSON.stringify(err));
  });
});

const ADMIN = { 'x-project-id': 'p1', 'x-roles': 'admin' };

for (const dialect of testDialects().filter((d): d is Exclude<TestDialect, 'sqlite'> => d !== 'sqlite')) {
  describe(`${dialect}: retried transactions, lost connections, an unreachable database`, () => {
    let database: TestDatabase;
    let relay: TcpRelay;
    let api: RunningApi;
    const request = (method: string, path: string, body?: unknown) => httpRequest<Record<string, any>>(api.url, method, path, body, ADMIN); // eslint-disable-line @typescript-eslint/no-explicit-any
    /** Runs statements as an administrator, on the test database. */
    let admin: { query(text: string, params?: unknown[]): Promise<unknown[]>; close(): Promise<void> };

    before(async () => {
      database = await createTestDatabase(dialect);
      const url = new URL(database.url.replace(/^[a-z+]+:/, 'http:'));
      relay = await startTcpRelay(Number(url.port));
      const viaRelay = database.url.replace(`${url.hostname}:${url.port}`, `127.0.0.1:${relay.port}`);
      const port = await freePort();
      const loaded = loadConfig({
        files: [],
        groups: serverOptionGroups,
        overrides: {
          DEFAULT: { bind_host: '127.0.0.1', bind_port: port, auth_strategy: 'noauth' },
          database: { connection: viaRelay, db_retry_interval: 1, db_max_retry_interval: 2 },
        },
      });
      api = await startApiServer(loaded, pino({ level: process.env['NUCLEON_TEST_LOG'] ?? 'silent' }), { migrate: true });
      if (dialect === 'mysql') {
        const conn = await mysql.createConnection({ host: '127.0.0.1', port: Number(url.port), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password), database: url.pathname.slice(1) });
        admin = { query: async (text, params) => (await conn.query(text, params))[0] as unknown[], close: () => conn.end() };
      } else {
        const client = new pg.Client({ host: '127.0.0.1', port: Number(url.port), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password), database: url.pathname.slice(1) });
        client.on('error', () => undefined);
        await client.connect();
        admin = { query: async (text, params) => (await client.query(text, params)).rows as unknown[], close: () => client.end() };
      }
    });
    after(async () => {
      await api?.close();
      await admin?.close();
      await relay?.cut();
      await database?.drop();
    });

    /** Ends every connection of the server to its database (not the administrator's). */
    const killServerConnections = async (): Promise<number> => {
      const name = new URL(database.url.replace(/^[a-z+]+:/, 'http:')).pathname.slice(1);
      if (dialect === 'mysql') {
        const rows = (await admin.query('select id from information_schema.processlist where db = ? and id <> connection_id()', [name])) as { id: number }[];
        for (const row of rows) await admin.query(`kill ${Number(row.id)}`).catch(() => undefined);
        return rows.length;
      }
      const rows = await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name]);
      return rows.length;
    };

    test('a forced deadlock is retried: both transactions commit', async () => {
      const { db, close } = await openDatabase(database.url, { poolSize: 4 });
      try {
        await sql`create table retry_deadlock (id int primary key, v int)`.execute(db);
        await sql`insert into retry_deadlock values (1, 0), (2, 0)`.execute(db);
        let runs = 0;
        let gate: () => void = () => undefined;
        const bothLocked = new Promise<void>((resolve) => (gate = resolve));
        let locked = 0;
        const crossing = (first: number, second: number) =>
          withDbRetries(
            () =>
              db.transaction().execute(async (tx) => {
                runs += 1;
                await sql`update retry_deadlock set v = v + 1 where id = ${first}`.execute(tx);
                locked += 1;
                if (locked === 2) gate();
                await Promise.race([bothLocked, new Promise((r) => setTimeout(r, 2000))]);
                await sql`update retry_deadlock set v = v + 1 where id = ${second}`.execute(tx);
              }),
            FAST,
          );
        await Promise.all([crossing(1, 2), crossing(2, 1)]);
        assert.ok(runs >= 3, `one of them ran again (${runs} runs)`);
        const rows = await sql<{ v: number }>`select v from retry_deadlock order by id`.execute(db);
        assert.deepEqual(rows.rows.map((r) => Number(r.v)), [2, 2]);
      } finally {
        await sql`drop table if exists retry_deadlock`.execute(db).catch(() => undefined);
        await close();
      }
    });

    test("the server's connections killed while idle: the next requests succeed", async () => {
      assert.equal((await request('POST', '/v2.0/networks', { network: { name: 'before' } })).status, 201);
      assert.ok((await killServerConnections()) > 0);
      assert.equal((await request('GET', '/v2.0/networks')).status, 200);
      assert.ok((await killServerConnections()) > 0);
      const after = await request('POST', '/v2.0/networks', { network: { name: 'after' } });
      assert.equal(after.status, 201);
      // An update and a delete read their object before their transaction: that read runs again too.
      const id = after.body['network'].id as string;
      assert.ok((await killServerConnections()) > 0);
      const renamed = await request('PUT', `/v2.0/networks/${id}`, { network: { name: 'renamed' } });
      assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
      assert.ok((await killServerConnections()) > 0);
      assert.equal((await request('DELETE', `/v2.0/networks/${id}`)).status, 204);
    });

    test('killed in the middle of a transaction (waiting for a row lock): the update is run again and succeeds', async () => {
      const net = (await request('POST', '/v2.0/networks', { network: { name: 'locked' } })).body['network'].id as string;
      await admin.query('begin');
      await admin.query(dialect === 'mysql' ? 'select id from networks where id = ? for update' : 'select id from networks where id = $1 for update', [net]);
      const update = request('PUT', `/v2.0/networks/${net}`, { network: { name: 'renamed' } });
      await new Promise((r) => setTimeout(r, 500));
      assert.ok((await killServerConnections()) > 0);
      await admin.query('commit');
      const answer = await update;
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(answer.body['network'].name, 'renamed');
    });

    test('the database unreachable: 503 that says so, within seconds, never 500; then service again without a restart', async () => {
      await relay.cut();
      const started = Date.now();
      const list = await request('GET', '/v2.0/networks');
      const create = await request('POST', '/v2.0/networks', { network: { name: 'during' } });
      for (const answer of [list, create]) {
        assert.equal(answer.status, 503, JSON.stringify(answer.body));
        assert.equal(answer.body['NeutronError'].type, 'ServiceUnavailable');
        assert.match(answer.body['NeutronError'].message, /^The database is unavailable \(.+\); try again later\.$/);
      }
      assert.ok(Date.now() - started < 15_000, `answered in ${Date.now() - started} ms`);
      await relay.restore();
      assert.equal((await request('GET', '/v2.0/networks')).status, 200);
      assert.equal((await request('POST', '/v2.0/networks', { network: { name: 'back' } })).status, 201);
    });
  });
}
