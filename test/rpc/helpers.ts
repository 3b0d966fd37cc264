/**
 * Test helpers for the message bus: a recording logger, a throwaway
 * RabbitMQ virtual host, waiting for a condition.
 *
 * Environment (tests may read it; src/ may not):
 *   NUCLEON_TEST_RABBIT   broker base URL, default rabbit://guest:guest@127.0.0.1:5672
 *   RABBITMQCTL           the rabbitmqctl command, default `rabbitmqctl` (needs to run as root)
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type { RpcLogger } from '../../src/rpc/bus.js';

const run = promisify(execFile);

export interface LogRecord {
  readonly level: 'info' | 'warn' | 'error';
  readonly msg: string;
  readonly obj: object;
}

/** A logger that keeps what it is given; set NUCLEON_TEST_RPC_LOG=1 to also print it. */
export function recordingLogger(): RpcLogger & { readonly records: LogRecord[] } {
  const records: LogRecord[] = [];
  const print = process.env['NUCLEON_TEST_RPC_LOG'] === '1';
  const at = (level: LogRecord['level']) => (obj: object, msg: string) => {
    records.push({ level, msg, obj });
    if (print) console.error(`[${level}] ${msg} ${JSON.stringify(obj)}`);
  };
  return { records, info: at('info'), warn: at('warn'), error: at('error') };
}

/** Polls `condition` every 10 ms until it holds; fails after `timeoutMs` naming `what`. */
export async function waitFor(what: string, condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const RABBIT_BASE = (process.env['NUCLEON_TEST_RABBIT'] ?? 'rabbit://guest:guest@127.0.0.1:5672').replace(/\/+$/, '');
const RABBITMQCTL = process.env['RABBITMQCTL'] ?? 'rabbitmqctl';

export async function rabbitmqctl(...args: string[]): Promise<string> {
  const { stdout } = await run(RABBITMQCTL, ['-q', ...args], { timeout: 60_000 });
  return stdout;
}

export interface TestVhost {
  readonly name: string;
  /** A transport_url for the vhost. */
  readonly url: string;
  /** Deletes the vhost (with everything in it). Safe to call twice. */
  drop(): Promise<void>;
}

/** A fresh vhost `nucleon_test_<random>` that the base URL's user may use. */
export async function createTestVhost(): Promise<TestVhost> {
  const name = `nucleon_test_${randomBytes(6).toString('hex')}`;
  const user = decodeURIComponent(/^\w+:\/\/([^:@/]*)/.exec(RABBIT_BASE)?.[1] ?? 'guest') || 'guest';
  await rabbitmqctl('add_vhost', name);
  await rabbitmqctl('set_permissions', '-p', name, user, '.*', '.*', '.*');
  let dropped = false;
  return {
    name,
    url: `${RABBIT_BASE}/${encodeURIComponent(name)}`,
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await rabbitmqctl('delete_vhost', name);
    },
  };
}

/** `rabbitmqctl list_queues` for one vhost: name -> { messages, consumers }. */
export async function listQueues(vhost: string): Promise<Map<string, { messages: number; consumers: number }>> {
  const out = await rabbitmqctl('list_queues', '-p', vhost, '--no-table-headers', 'name', 'messages', 'consumers');
  const queues = new Map<string, { messages: number; consumers: number }>();
  for (const line of out.split('\n')) {
    const [name, messages, consumers] = line.split('\t');
    if (name && messages !== undefined && consumers !== undefined) {
      queues.set(name, { messages: Number(messages), consumers: Number(consumers) });
    }
  }
  return queues;
}

/** `rabbitmqctl list_exchanges` for one vhost: name -> type (the amq.* defaults left out). */
export async function listExchanges(vhost: string): Promise<Map<string, string>> {
  const out = await rabbitmqctl('list_exchanges', '-p', vhost, '--no-table-headers', 'name', 'type');
  const exchanges = new Map<string, string>();
  for (const line of out.split('\n')) {
    const [name, type] = line.split('\t');
    if (name && type && !name.startsWith('amq.')) exchanges.set(name, type);
  }
  return exchanges;
}
