/**
 * Throwaway databases for tests, on the three backends Nucleon supports.
 *
 *   const url = await createTestDatabase('mysql');   // { url, drop() }
 *   await withTestDatabase('postgres', async (url) => { ... });
 *   for (const dialect of testDialects()) describe(dialect, () => { ... });
 *
 * SQLite: a file in a fresh temporary directory. MariaDB/MySQL and PostgreSQL:
 * a database `nucleon_test_<random>` created as an administrator and dropped
 * afterwards (PostgreSQL: WITH (FORCE), so a leaked connection cannot block it).
 *
 * Environment (tests may read it; src/ may not):
 *   NUCLEON_TEST_DIALECTS        comma list, default 'sqlite,mysql,postgres'
 *   NUCLEON_TEST_MYSQL_ADMIN     default mysql://root@127.0.0.1:3306/mysql
 *   NUCLEON_TEST_POSTGRES_ADMIN  default postgresql://postgres@127.0.0.1:5432/postgres
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { parseDatabaseUrl } from '../../src/db/url.js';

export type TestDialect = 'sqlite' | 'mysql' | 'postgres';
export const ALL_DIALECTS: readonly TestDialect[] = ['sqlite', 'mysql', 'postgres'];

export interface TestDatabase {
  dialect: TestDialect;
  /** A `[database] connection` URL for the new, empty database. */
  url: string;
  /** Drops the database (removes the SQLite directory). Safe to call twice. */
  drop(): Promise<void>;
}

const MYSQL_ADMIN = process.env['NUCLEON_TEST_MYSQL_ADMIN'] ?? 'mysql://root@127.0.0.1:3306/mysql';
const POSTGRES_ADMIN = process.env['NUCLEON_TEST_POSTGRES_ADMIN'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

/** The backends to test on: NUCLEON_TEST_DIALECTS or all three. */
export function testDialects(): TestDialect[] {
  const wanted = process.env['NUCLEON_TEST_DIALECTS'];
  if (wanted === undefined || wanted.trim() === '') return [...ALL_DIALECTS];
  return wanted
    .split(',')
    .map((d) => d.trim())
    .filter((d): d is TestDialect => (ALL_DIALECTS as readonly string[]).includes(d));
}

function randomName(): string {
  return `nucleon_test_${randomBytes(6).toString('hex')}`;
}

function encode(text: string): string {
  return encodeURIComponent(text);
}

export async function createTestDatabase(dialect: TestDialect): Promise<TestDatabase> {
  switch (dialect) {
    case 'sqlite': {
      const dir = await mkdtemp(join(tmpdir(), 'nucleon-test-'));
      return {
        dialect,
        // Four slashes: an absolute path, SQLAlchemy style.
        url: `sqlite:///${join(dir, 'nucleon.db')}`,
        drop: () => rm(dir, { recursive: true, force: true }),
      };
    }
    case 'mysql': {
      const admin = parseDatabaseUrl(MYSQL_ADMIN);
      if (admin.dialect !== 'mysql') throw new Error('NUCLEON_TEST_MYSQL_ADMIN must be a mysql:// URL');
      const name = randomName();
      const run = async (statement: string) => {
        const conn = await mysql.createConnection({
          ...(admin.socketPath !== null ? { socketPath: admin.socketPath } : { host: admin.host, port: admin.port }),
          user: admin.user,
          password: admin.password,
        });
        try {
          await conn.query(statement);
        } finally {
          await conn.end();
        }
      };
      await run(`create database \`${name}\``);
      const auth = admin.password === '' ? encode(admin.user) : `${encode(admin.user)}:${encode(admin.password)}`;
      const where = admin.socketPath !== null ? `?unix_socket=${encode(admin.socketPath)}` : '';
      const host = admin.socketPath !== null ? '' : `${admin.host}:${admin.port}`;
      let dropped = false;
      return {
        dialect,
        url: `mysql+pymysql://${auth}@${host}/${name}${where}`,
        async drop() {
          if (dropped) return;
          dropped = true;
          await run(`drop database if exists \`${name}\``);
        },
      };
    }
    case 'postgres': {
      const admin = parseDatabaseUrl(POSTGRES_ADMIN);
      if (admin.dialect !== 'postgres') throw new Error('NUCLEON_TEST_POSTGRES_ADMIN must be a postgresql:// URL');
      const name = randomName();
      const run = async (statement: string) => {
        const client = new pg.Client({
          host: admin.host,
          port: admin.port,
          user: admin.user,
          password: admin.password,
          database: admin.database,
        });
        await client.connect();
        try {
          await client.query(statement);
        } finally {
          await client.end();
        }
      };
      await run(`create database "${name}"`);
      const auth = admin.password === '' ? encode(admin.user) : `${encode(admin.user)}:${encode(admin.password)}`;
      const host = admin.host.startsWith('/') ? '' : `${admin.host}:${admin.port}`;
      const query = admin.host.startsWith('/') ? `?host=${encode(admin.host)}` : '';
      let dropped = false;
      return {
        dialect,
        url: `postgresql://${auth}@${host}/${name}${query}`,
        async drop() {
          if (dropped) return;
          dropped = true;
          await run(`drop database if exists "${name}" with (force)`);
        },
      };
    }
    default: {
      const never: never = dialect;
      throw new Error(`unknown test dialect ${String(never)}`);
    }
  }
}

/** Creates a throwaway database, runs `fn` with its URL, drops it (also when `fn` throws). */
export async function withTestDatabase<T>(dialect: TestDialect, fn: (url: string) => Promise<T>): Promise<T> {
  const database = await createTestDatabase(dialect);
  try {
    return await fn(database.url);
  } finally {
    await database.drop();
  }
}
