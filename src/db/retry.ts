/**
 * Running a database transaction again when it failed for a reason that a
 * second run can overcome, as oslo.db's `wrap_db_retry` does for Neutron
 * (neutron_lib.db.api.retry_db_errors), with oslo.db's `[database]` options:
 *
 *   db_max_retries (20; -1 forever)   retries in all, of either kind below
 *   db_retry_interval (1 s)           first wait after a lost or refused connection
 *   db_inc_retry_interval (true)      doubling each time
 *   db_max_retry_interval (10 s)      up to this; and a request stops retrying a
 *                                     connection once its waits would pass it (then a 503)
 *
 * Two kinds of failure:
 * - conflicts (isRetryable, or what the caller adds: a unique key lost to a
 *   race): a deadlock (MySQL 1213, which is also how MariaDB Galera reports a
 *   certification failure, "WSREP detected deadlock/conflict"), a lock wait
 *   timeout (1205), a serialization failure or deadlock (PostgreSQL 40001,
 *   40P01, 55P03), SQLite busy. They clear in milliseconds, so they are run
 *   again after 10 ms, doubling to 500 ms, with jitter -- sooner than oslo.db's
 *   1 s, which would make every IP allocation race cost a second.
 * - the connection (isConnectionError): refused, reset, lost mid-query,
 *   killed (`KILL`, `pg_terminate_backend`), a server shutting down, a Galera
 *   node not ready (1047). The pool opens a new connection for the next run:
 *   the first retry is at once, the next after db_retry_interval (doubling).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

import { chain, isRetryable } from './errors.js';

export interface DbRetryPolicy {
  /** db_max_retries: retries after the first run; -1: no limit. */
  readonly maxRetries: number;
  /** db_retry_interval, ms. */
  readonly retryIntervalMs: number;
  /** db_inc_retry_interval. */
  readonly incRetryInterval: boolean;
  /** db_max_retry_interval, ms. */
  readonly maxRetryIntervalMs: number;
}

/** oslo.db's defaults. */
export const DEFAULT_DB_RETRY: DbRetryPolicy = { maxRetries: 20, retryIntervalMs: 1000, incRetryInterval: true, maxRetryIntervalMs: 10_000 };

export type RetryKind = 'conflict' | 'connection';

export interface RetryOptions {
  /** Conflicts to retry besides isRetryable's (a unique key lost to a race). */
  readonly alsoRetry?: (err: unknown) => boolean;
  /** Whether a run that failed this way may run again (default: yes). */
  readonly rerunnable?: (kind: RetryKind) => boolean;
  /** Told before each wait (for logging). */
  readonly onRetry?: (err: unknown, kind: RetryKind, attempt: number, waitMs: number) => void;
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_SERVER_SHUTDOWN',
  'ER_CON_COUNT_ERROR',
  'ER_CONNECTION_KILLED',
  // PostgreSQL SQLSTATEs: admin_shutdown (pg_terminate_backend), crash_shutdown, cannot_connect_now, too_many_connections.
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);
/**
 * MySQL/MariaDB: server gone away / lost (2006, 2013, oslo.db's DBConnectionError with 2002, 2003), shutdown (1053),
 * connection killed (1927), too many connections (1040), Galera node not ready (1047, "WSREP has not yet prepared node").
 */
const MYSQL_CONNECTION_ERRNOS = new Set([1040, 1047, 1053, 1927, 2002, 2003, 2006, 2013]);
const CONNECTION_MESSAGES = [
  'Connection terminated',
  'Client has encountered a connection error',
  'connection is closed',
  "Can't add new command when connection is in closed state",
  'timeout exceeded when trying to connect',
];

/** The database could not be reached, or the connection was lost: another run, on another connection, may succeed. */
export function isConnectionError(err: unknown): boolean {
  return chain(err).some(
    (e) =>
      (typeof e.code === 'string' && (CONNECTION_CODES.has(e.code) || e.code.startsWith('08'))) ||
      (typeof e.errno === 'number' && MYSQL_CONNECTION_ERRNOS.has(e.errno)) ||
      (typeof e.message === 'string' && CONNECTION_MESSAGES.some((m) => (e.message as string).includes(m))),
  );
}

/** A short reason for a connection error, for a 503's message and the log. */
export function connectionErrorReason(err: unknown): string {
  for (const e of chain(err)) {
    if (typeof e.code === 'string' && e.code === 'ECONNREFUSED') return 'connection refused';
    if (typeof e.code === 'string' && e.code === '57P01') return 'the connection was terminated by an administrator';
    if (typeof e.code === 'string' && (e.code === 'PROTOCOL_CONNECTION_LOST' || e.code === 'ECONNRESET')) return 'the connection was lost';
  }
  const first = chain(err).find((e) => typeof e.message === 'string');
  return typeof first?.message === 'string' ? first.message : String(err);
}

/**
 * What a request's database work has been through, shared by every retry in
 * it: whether a connection was lost (one lost while a COMMIT was on its way
 * may have lost only the answer: the rerun of a delete then finds its object
 * gone by its own first run, and api/errorResponse.ts answers such a delete
 * as done, not 404), whether a transaction has committed (after which the
 * request must not run again as a whole), and how long it has waited for a
 * connection (one budget of db_max_retry_interval per request, however the
 * retries nest).
 */
interface RequestNote {
  lost: boolean;
  committed: boolean;
  connectionWaitedMs: number;
  /** The budget ran out: no retry of a connection error in this request any more. */
  gaveUp: boolean;
}

const requestNotes = new AsyncLocalStorage<RequestNote>();

const freshNote = (): RequestNote => ({ lost: false, committed: false, connectionWaitedMs: 0, gaveUp: false });

/** Runs `fn` (a request) with its own note of what its database work went through. */
export function runWithRequestNote<T>(fn: () => T): T {
  return requestNotes.run(freshNote(), fn);
}

/** A connection was lost, and its transaction run again, in the current request. */
export const connectionWasLost = (): boolean => requestNotes.getStore()?.lost === true;

/** Called when a transaction of the current request has committed. */
export function noteCommitted(): void {
  const note = requestNotes.getStore();
  if (note) note.committed = true;
}

/**
 * For running a write request again as a whole (as Neutron's API does with
 * retry_db_errors): only a lost connection, and only while nothing it did
 * has committed, so the rerun repeats reads, never a write.
 */
export const beforeAnyCommit = (kind: RetryKind): boolean => kind === 'connection' && requestNotes.getStore()?.committed !== true;

/**
 * Runs `fn` (a whole transaction: `() => db.transaction().execute(...)`, or
 * a read) and runs it again on a conflict or a connection error, as above.
 * The last error is thrown as it is. `fn` must not have effects outside the
 * transaction that a second run would repeat.
 */
export async function withDbRetries<T>(fn: () => Promise<T>, policy: DbRetryPolicy = DEFAULT_DB_RETRY, options: RetryOptions = {}): Promise<T> {
  let conflictDelayMs = 10;
  let connectionDelayMs = policy.retryIntervalMs;
  let connectionRetries = 0;
  const note = requestNotes.getStore() ?? freshNote();
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const kind: RetryKind | undefined = isConnectionError(err) ? 'connection' : isRetryable(err) || options.alsoRetry?.(err) === true ? 'conflict' : undefined;
      if (kind === 'connection') note.lost = true;
      if (kind === undefined || (policy.maxRetries >= 0 && attempt > policy.maxRetries) || options.rerunnable?.(kind) === false) throw err;
      let waitMs: number;
      if (kind === 'connection') {
        // The first at once: a connection killed in the pool is replaced by a good one.
        waitMs = connectionRetries === 0 ? 0 : Math.min(connectionDelayMs, policy.maxRetryIntervalMs);
        if (note.gaveUp || note.connectionWaitedMs + waitMs > policy.maxRetryIntervalMs) {
          note.gaveUp = true;
          throw err;
        }
        note.connectionWaitedMs += waitMs;
        if (connectionRetries > 0 && policy.incRetryInterval) connectionDelayMs *= 2;
        connectionRetries += 1;
      } else {
        waitMs = conflictDelayMs / 2 + Math.random() * (conflictDelayMs / 2);
        conflictDelayMs = Math.min(500, conflictDelayMs * 2);
      }
      options.onRetry?.(err, kind, attempt, waitMs);
      await sleep(waitMs);
    }
  }
}
