/**
 * Opens the database named by `[database] connection`, with each driver set up
 * so that the same Kysely query gives the same JavaScript values on SQLite,
 * MariaDB/MySQL and PostgreSQL:
 *
 * - integers (including booleans stored as 0/1, COUNT(*) and SUM()) come back
 *   as numbers: pg's BIGINT/NUMERIC and mysql2's DECIMAL would otherwise be
 *   strings;
 * - timestamps are ISO strings in VARCHAR columns, so no driver date
 *   conversion is involved (mysql2 `dateStrings` is on for good measure);
 * - text compares byte-wise (SQLite BINARY, MySQL `utf8mb4_bin`, PostgreSQL
 *   `COLLATE "C"` in the migrations), so filters and sorting agree;
 * - transactions read committed data: PostgreSQL's default, set per session on
 *   MySQL (its default REPEATABLE READ takes gap locks that deadlock inserts);
 *   SQLite transactions are serial and start with BEGIN IMMEDIATE.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  MysqlDialect,
  PostgresDialect,
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
  type SqliteDatabase,
  sql,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  type LogEvent,
} from 'kysely';
import type pg from 'pg';
import { isConnectionError } from './retry.js';
import type { Database } from './schema.js';
import { parseDatabaseUrl, redactUrl, type DatabaseDialect, type DatabaseUrl } from './url.js';

export interface OpenDatabase {
  db: Kysely<Database>;
  dialect: DatabaseDialect;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** Connections per process (MySQL, PostgreSQL). SQLite always has one. */
  poolSize?: number;
  /** How long a SQLite writer waits for another process's write lock, in ms. */
  sqliteBusyTimeoutMs?: number;
  /** Told about every statement after it ran (the server's metrics): its SQL, its time, whether it failed. Must be cheap. */
  onQuery?: (sql: string, ms: number, failed: boolean) => void;
  /** Told when the pool opens a connection, or an idle one is lost (PostgreSQL); SQLite opens one, once. */
  onConnection?: (event: 'opened' | 'lost') => void;
  /** [database] max_retries: connection attempts after the first at open (-1: forever); default 0. */
  connectRetries?: number;
  /** [database] retry_interval, ms between those attempts. */
  connectRetryIntervalMs?: number;
  /** Told before each wait for another attempt. */
  onConnectRetry?: (reason: string, attempt: number) => void;
}

/** Kysely's log hook, when the caller wants to hear about statements. */
function queryLog(options: OpenDatabaseOptions): { log?: (event: LogEvent) => void } {
  const onQuery = options.onQuery;
  if (!onQuery) return {};
  return { log: (event) => onQuery(event.query.sql, event.queryDurationMillis, event.level === 'error') };
}

const DEFAULT_POOL_SIZE = 10;
const DEFAULT_SQLITE_BUSY_TIMEOUT_MS = 5000;

/**
 * Opens a pool (one connection for SQLite) and checks that the database
 * answers, so a wrong password or host fails here with the URL named (password
 * hidden) rather than at the first request.
 */
export async function openDatabase(url: string | DatabaseUrl, options: OpenDatabaseOptions = {}): Promise<OpenDatabase> {
  const parsed = typeof url === 'string' ? parseDatabaseUrl(url) : url;
  const where = typeof url === 'string' ? redactUrl(url) : describe(parsed);
  let db: Kysely<Database> | undefined;
  const retries = options.connectRetries ?? 0;
  for (let attempt = 1; ; attempt++) {
    try {
      db = await createKysely(parsed, options);
      await sql`select 1`.execute(db);
      break;
    } catch (err) {
      await db?.destroy().catch(() => undefined);
      db = undefined;
      const reason = err instanceof Error ? err.message : String(err);
      // oslo.db's max_retries / retry_interval: only a database that cannot be reached is waited for.
      if ((retries < 0 || attempt <= retries) && isConnectionError(err)) {
        options.onConnectRetry?.(reason, attempt);
        await sleep(options.connectRetryIntervalMs ?? 10_000);
        continue;
      }
      throw new Error(`cannot connect to the database ${where}: ${reason}`, { cause: err });
    }
  }
  let closed = false;
  const opened = db;
  return {
    db: opened,
    dialect: parsed.dialect,
    async close() {
      if (closed) return;
      closed = true;
      await opened.destroy();
    },
  };
}

function describe(url: DatabaseUrl): string {
  switch (url.dialect) {
    case 'sqlite':
      return `sqlite file ${url.path}`;
    case 'mysql':
      return `mysql://${url.user}@${url.socketPath ?? `${url.host}:${url.port}`}/${url.database}`;
    case 'postgres':
      return `postgresql://${url.user}@${url.host}:${url.port}/${url.database}`;
    default: {
      const never: never = url;
      return String(never);
    }
  }
}

/** Drivers load on demand: a SQLite deployment never pays for mysql2 and pg. */
async function createKysely(url: DatabaseUrl, options: OpenDatabaseOptions): Promise<Kysely<Database>> {
  const poolSize = options.poolSize ?? DEFAULT_POOL_SIZE;
  switch (url.dialect) {
    case 'sqlite': {
      const db = new Kysely<Database>({
        dialect: new NucleonSqliteDialect(url.path, options.sqliteBusyTimeoutMs ?? DEFAULT_SQLITE_BUSY_TIMEOUT_MS),
        ...queryLog(options),
      });
      options.onConnection?.('opened');
      return db;
    }
    case 'mysql': {
      const { createPool } = await import('mysql2');
      return new Kysely<Database>({
        ...queryLog(options),
        dialect: new MysqlDialect({
          pool: createPool({
            ...(url.socketPath !== null ? { socketPath: url.socketPath } : { host: url.host, port: url.port }),
            user: url.user,
            password: url.password,
            database: url.database,
            connectionLimit: poolSize,
            // utf8mb4 with a binary collation, like the tables: literals compare as the columns do.
            charset: 'UTF8MB4_BIN',
            // BIGINT as number while it is exact, DECIMAL (SUM()) as number, dates untouched.
            supportBigNumbers: true,
            bigNumberStrings: false,
            decimalNumbers: true,
            dateStrings: true,
            timezone: 'Z',
            enableKeepAlive: true,
          }),
          onCreateConnection: async (connection) => {
            options.onConnection?.('opened');
            // oslo.db's default mysql_sql_mode: strict, so a too-long value fails instead of being cut.
            await connection.executeQuery(CompiledQuery.raw(`set session sql_mode = 'TRADITIONAL'`));
            await connection.executeQuery(CompiledQuery.raw('set session transaction isolation level read committed'));
            await connection.executeQuery(CompiledQuery.raw(`set session time_zone = '+00:00'`));
          },
        }),
      });
    }
    case 'postgres': {
      const { default: pg } = await import('pg');
      const pool = new pg.Pool({
        host: url.host,
        port: url.port,
        ...(url.user !== '' ? { user: url.user } : {}),
        password: url.password,
        database: url.database,
        max: poolSize,
        application_name: 'nucleon',
        // Without it a database host that drops packets makes every request wait forever for a connection.
        connectionTimeoutMillis: 10_000,
        types: { getTypeParser: postgresTypeParser(pg.types) as typeof pg.types.getTypeParser },
      });
      // An idle connection that dies (database restart) is dropped by the pool;
      // without a listener the 'error' event would end the process.
      pool.on('error', () => options.onConnection?.('lost'));
      pool.on('connect', (client) => {
        options.onConnection?.('opened');
        // A connection that dies while checked out (between a transaction's statements, or killed by
        // pg_terminate_backend) emits 'error' on its client, which pg's pool leaves unheard: without
        // this listener it would end the process. The statement that used it fails and is retried (retry.ts).
        client.on('error', () => options.onConnection?.('lost'));
      });
      return new Kysely<Database>({ dialect: new PostgresDialect({ pool }), ...queryLog(options) });
    }
    default: {
      const never: never = url;
      throw new Error(`unsupported database ${String(never)}`);
    }
  }
}

const PG_INT8 = 20;
const PG_NUMERIC = 1700;

/** BIGINT (COUNT(*), SUM of integers) and NUMERIC as numbers, as the other two backends give them; the rest as pg does. */
function postgresTypeParser(types: typeof pg.types) {
  return (oid: number, format?: 'text' | 'binary'): ((value: string) => unknown) => {
    if (format !== 'binary' && (oid === PG_INT8 || oid === PG_NUMERIC)) {
      return (value: string) => {
        const n = Number(value);
        // Beyond 2^53 a number would be wrong; keep the exact text (no column of ours gets there).
        return oid === PG_INT8 && !Number.isSafeInteger(n) ? value : n;
      };
    }
    return format === 'binary' ? types.getTypeParser(oid, 'binary') : types.getTypeParser(oid, 'text');
  };
}

/**
 * SQLite through better-sqlite3, set up for several processes sharing one file:
 * WAL (readers never block the writer), synchronous=NORMAL (durable at
 * checkpoints, safe against corruption), a busy timeout, foreign keys on, and
 * SQLite's default page cache (SQLITE_PAGE_CACHE_KIB), not better-sqlite3's 16 MiB.
 */
class NucleonSqliteDialect extends SqliteDialect {
  readonly #sqlite: BetterSqlite3.Database;
  readonly #busyTimeoutMs: number;

  constructor(path: string, busyTimeoutMs: number) {
    const sqlite = openSqliteFile(path, busyTimeoutMs);
    super({ database: sqlite });
    this.#sqlite = sqlite;
    this.#busyTimeoutMs = busyTimeoutMs;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#sqlite, this.#busyTimeoutMs);
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

/**
 * The connection's page cache, in KiB. The kernel's page cache holds the file
 * too, so a page SQLite no longer keeps is a read() away; 16 MiB of its own
 * made an all-in-one with 10 000 ports 7-15 MB larger (docs/benchmarks.md).
 */
const SQLITE_PAGE_CACHE_KIB = 2000;

function openSqliteFile(path: string, busyTimeoutMs: number): BetterSqlite3.Database {
  const memory = path === ':memory:' || path === '';
  if (!memory) mkdirSync(dirname(resolve(path)), { recursive: true });
  const sqlite = new BetterSqlite3(memory ? ':memory:' : path);
  sqlite.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
  if (!memory) retryWhileLocked(() => sqlite.pragma('journal_mode = WAL'), busyTimeoutMs);
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma(`cache_size = -${SQLITE_PAGE_CACHE_KIB}`);
  return sqlite;
}

/**
 * Switching a new database file to WAL needs it to itself, and SQLite
 * answers SQLITE_BUSY at once, without its busy handler, while another
 * process (a second server starting, db-manage) holds it: try again until
 * the busy timeout. Only at open, so the thread may wait.
 */
function retryWhileLocked(work: () => unknown, timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      work();
      return;
    } catch (err) {
      const busy = err instanceof Error && 'code' in err && (err.code === 'SQLITE_BUSY' || err.code === 'SQLITE_LOCKED');
      if (!busy || Date.now() >= deadline) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}

/** How many prepared statements one SQLite connection keeps. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely asks better-sqlite3 to prepare every query it runs, and preparing
 * costs more than running a small one (an agent's resync runs the same
 * UPDATE a thousand times). The connection the driver sees keeps the last
 * statements by SQL text and hands one out again unless it is still busy (a
 * streamed list iterating it), in which case a fresh one is prepared.
 */
function withStatementCache(sqlite: BetterSqlite3.Database): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => void sqlite.close(),
    prepare: (sql: string) => {
      const cached = cache.get(sql);
      if (cached && !cached.busy) {
        // Refresh its place: the map's order is the eviction order.
        cache.delete(sql);
        cache.set(sql, cached);
        return cached;
      }
      const statement = sqlite.prepare(sql);
      if (!cached) {
        cache.set(sql, statement);
        if (cache.size > STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      }
      return statement;
    },
  };
}

/**
 * SQLite supports transactional DDL; saying so makes Kysely's Migrator run all
 * pending migrations in one transaction. With BEGIN IMMEDIATE (below) that
 * transaction is also the cross-process migration lock SQLite otherwise lacks.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

/**
 * Every transaction starts with BEGIN IMMEDIATE: it takes the write lock at
 * the start, so a transaction that reads then writes cannot fail half-way with
 * SQLITE_BUSY because another process committed in between (what a deferred
 * BEGIN does under WAL). While another connection holds the lock we wait
 * asynchronously, polling, instead of letting busy_timeout block the event
 * loop; that also lets two connections in one process (tests, migrations)
 * take turns.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  readonly #sqlite: BetterSqlite3.Database;
  readonly #busyTimeoutMs: number;

  constructor(sqlite: BetterSqlite3.Database, busyTimeoutMs: number) {
    super({ database: withStatementCache(sqlite) });
    this.#sqlite = sqlite;
    this.#busyTimeoutMs = busyTimeoutMs;
  }

  override async beginTransaction(_connection: DatabaseConnection): Promise<void> {
    const deadline = Date.now() + this.#busyTimeoutMs;
    let delay = 1;
    this.#sqlite.pragma('busy_timeout = 0');
    try {
      for (;;) {
        try {
          this.#sqlite.exec('begin immediate');
          return;
        } catch (err) {
          if (!isSqliteBusy(err) || Date.now() >= deadline) throw err;
        }
        await sleep(delay + Math.random() * delay);
        delay = Math.min(delay * 2, 50);
      }
    } finally {
      this.#sqlite.pragma(`busy_timeout = ${Math.max(0, Math.floor(this.#busyTimeoutMs))}`);
    }
  }
}

function isSqliteBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}
