/**
 * Driver errors recognised the same way on the three backends, and retrying
 * a whole transaction when the database asks for it (deadlock, serialization
 * failure, lock wait timeout, SQLite busy).
 *
 * What the drivers throw:
 * - better-sqlite3: SqliteError, `code` 'SQLITE_CONSTRAINT_PRIMARYKEY',
 *   'SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_FOREIGNKEY', 'SQLITE_BUSY'...;
 *   message `UNIQUE constraint failed: ports.network_id, ports.mac_address`.
 * - mysql2: `errno` 1062 (code 'ER_DUP_ENTRY'), message
 *   `Duplicate entry '...' for key 'uniq_ports0network_id0mac_address'`
 *   (MySQL 8 prefixes the table: `'ports.uniq_...'`; primary keys are `PRIMARY`).
 * - pg: DatabaseError, `code` is the SQLSTATE ('23505'), `constraint` the name.
 * Errors wrapped by callers are looked through via `cause`.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface DriverErrorFields {
  code?: unknown;
  errno?: unknown;
  message?: unknown;
  constraint?: unknown;
  table?: unknown;
  cause?: unknown;
}

/** The error and the errors it wraps (`cause`), outermost first. */
export function chain(err: unknown): DriverErrorFields[] {
  const out: DriverErrorFields[] = [];
  let current: unknown = err;
  while (typeof current === 'object' && current !== null && out.length < 8) {
    out.push(current as DriverErrorFields);
    current = (current as DriverErrorFields).cause;
  }
  return out;
}

function matches(err: unknown, test: (e: DriverErrorFields) => boolean): DriverErrorFields | undefined {
  return chain(err).find(test);
}

const SQLITE_UNIQUE = new Set(['SQLITE_CONSTRAINT_PRIMARYKEY', 'SQLITE_CONSTRAINT_UNIQUE']);
const MYSQL_UNIQUE = new Set([1062, 1586]); // ER_DUP_ENTRY, ER_DUP_ENTRY_WITH_KEY_NAME
const MYSQL_FOREIGN_KEY = new Set([1216, 1217, 1451, 1452]); // no parent / row is referenced (old and _2 forms)
const MYSQL_RETRYABLE = new Set([
  1213, // ER_LOCK_DEADLOCK (also Galera certification failures)
  1205, // ER_LOCK_WAIT_TIMEOUT
  1020, // ER_CHECKREAD, "Record has changed since last read" (MariaDB innodb_snapshot_isolation)
]);
const PG_RETRYABLE = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available (lock_timeout)
]);

function isUniqueFields(e: DriverErrorFields): boolean {
  return (
    (typeof e.code === 'string' && (SQLITE_UNIQUE.has(e.code) || e.code === '23505')) ||
    (typeof e.errno === 'number' && MYSQL_UNIQUE.has(e.errno) && isMysql(e))
  );
}

/** mysql2 errors carry a numeric errno and an `ER_...` code; SQLite errors have no errno. */
function isMysql(e: DriverErrorFields): boolean {
  return typeof e.code === 'string' && e.code.startsWith('ER_');
}

/**
 * A primary key or unique constraint rejected a row. With `key`, only when it
 * was that key: on PostgreSQL by constraint name, on MySQL by the key name in
 * the message (`PRIMARY` for primary keys, whose name MySQL does not keep), on
 * SQLite by the table and columns in the message.
 */
export function isUniqueViolation(err: unknown, key?: UniqueKey): boolean {
  const e = matches(err, isUniqueFields);
  if (e === undefined) return false;
  if (key === undefined) return true;
  const spec = UNIQUE_KEYS[key];
  const message = typeof e.message === 'string' ? e.message : '';
  if (typeof e.code === 'string' && e.code === '23505') return e.constraint === key;
  if (typeof e.code === 'string' && e.code.startsWith('SQLITE_')) {
    const found = /constraint failed: (.*)$/m.exec(message)?.[1];
    if (found === undefined) return false;
    const columns = found.split(',').map((c) => c.trim());
    return (
      columns.length === spec.columns.length &&
      spec.columns.every((c) => columns.includes(`${spec.table}.${c}`))
    );
  }
  const keyName = /for key '(?:([^'.]*)\.)?([^']*)'/.exec(message);
  if (keyName === null) return false;
  const [, table, name] = keyName;
  if (table !== undefined && table !== spec.table) return false;
  return spec.primary ? name === 'PRIMARY' : name === key;
}

/**
 * The unique keys the application may want to tell apart when an insert
 * loses a race (a MAC or an IP taken meanwhile). Names are those given in
 * the migrations.
 */
export const UNIQUE_KEYS = {
  ipallocations_pkey: { table: 'ipallocations', columns: ['subnet_id', 'ip_address'], primary: true },
  uniq_ports0network_id0mac_address: { table: 'ports', columns: ['network_id', 'mac_address'], primary: false },
  tags_pkey: { table: 'tags', columns: ['resource_id', 'tag'], primary: true },
  subnet_dns_nameservers_pkey: { table: 'subnet_dns_nameservers', columns: ['subnet_id', 'address'], primary: true },
  subnet_routes_pkey: { table: 'subnet_routes', columns: ['subnet_id', 'destination', 'nexthop'], primary: true },
  allowed_address_pairs_pkey: {
    table: 'allowed_address_pairs',
    columns: ['port_id', 'ip_address', 'mac_address'],
    primary: true,
  },
  extra_dhcp_opts_pkey: { table: 'extra_dhcp_opts', columns: ['port_id', 'opt_name', 'ip_version'], primary: true },
  uniq_floatingips0floatingnetworkid0fixedportid0fixedipaddress: {
    table: 'floatingips',
    columns: ['floating_network_id', 'fixed_port_id', 'fixed_ip_address'],
    primary: false,
  },
} as const satisfies Record<string, { table: string; columns: readonly string[]; primary: boolean }>;

export type UniqueKey = keyof typeof UNIQUE_KEYS;

/** A foreign key rejected a row (no such parent) or a delete (a child still refers to the row). */
export function isForeignKeyViolation(err: unknown): boolean {
  return (
    matches(
      err,
      (e) =>
        (typeof e.code === 'string' && (e.code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || e.code === '23503')) ||
        (typeof e.errno === 'number' && MYSQL_FOREIGN_KEY.has(e.errno) && isMysql(e)),
    ) !== undefined
  );
}

/** The database gave up on this transaction for reasons of concurrency; running it again may succeed. */
export function isRetryable(err: unknown): boolean {
  return (
    matches(
      err,
      (e) =>
        (typeof e.code === 'string' && (PG_RETRYABLE.has(e.code) || e.code.startsWith('SQLITE_BUSY'))) ||
        (typeof e.errno === 'number' && MYSQL_RETRYABLE.has(e.errno) && isMysql(e)),
    ) !== undefined
  );
}

export interface RetryOptions {
  /** Tries in all, the first included. Default 5. */
  attempts?: number;
  /** First backoff in ms; doubles each retry, with jitter. Default 10. */
  baseDelayMs?: number;
  /** Longest backoff in ms. Default 500. */
  maxDelayMs?: number;
  /** Which errors to retry. Default isRetryable. */
  retryOn?: (err: unknown) => boolean;
  /** Told about each retry (for logging). */
  onRetry?: (err: unknown, attempt: number) => void;
}

/**
 * Runs `fn` (a whole transaction: `() => db.transaction().execute(...)`) and
 * runs it again when it fails with a retryable error, after a short jittered
 * backoff. The last error is thrown as it is. `fn` must not have effects
 * outside the transaction that a second run would repeat.
 */
export async function withRetries<T>(fn: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? 5);
  const base = options.baseDelayMs ?? 10;
  const max = options.maxDelayMs ?? 500;
  const retryOn = options.retryOn ?? isRetryable;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= attempts || !retryOn(err)) throw err;
      options.onRetry?.(err, attempt);
      const ceiling = Math.min(max, base * 2 ** (attempt - 1));
      await sleep(ceiling / 2 + Math.random() * (ceiling / 2));
    }
  }
}
