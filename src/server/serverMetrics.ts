/**
 * The server's Prometheus metrics (docs/observability.md). Labels are
 * bounded: a request is labelled by its route's collection (`ports`,
 * `routers/add_router_interface`), never by an id or a raw URL; a query by
 * its statement kind; an RPC by its method name.
 *
 *   nucleon_api_requests_total{resource,method,status}
 *   nucleon_api_request_duration_seconds{resource,method}
 *   nucleon_db_query_duration_seconds{statement,outcome}
 *   nucleon_db_connections_total{event}            opened | lost
 *   nucleon_rpc_*                                  the bus's, as every agent's (rpcMetrics.ts)
 *   nucleon_agents{agent_type,alive}               from the agents table, at scrape time
 *   nucleon_ports{status}                          from the ports table, at scrape time
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

import { LATENCY_BUCKETS, newRegistry } from '../common/metrics.js';
import type { Db } from '../db/schema.js';
import { RpcMetrics } from './rpcMetrics.js';

export type Outcome = 'ok' | 'error';

export class ServerMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'resource' | 'method' | 'status'>;
  readonly requestDuration: Histogram<'resource' | 'method'>;
  readonly queryDuration: Histogram<'statement' | 'outcome'>;
  readonly dbConnections: Counter<'event'>;
  /** The bus's (rpcMetrics.ts), as the agents have them too. */
  readonly rpc: RpcMetrics;

  constructor(options: { readonly processMetrics: boolean }) {
    const registry = newRegistry(options);
    const registers = [registry];
    this.registry = registry;
    this.requests = new Counter({
      name: 'nucleon_api_requests_total',
      help: 'API requests answered, by collection (the route, without ids), HTTP method and status code.',
      labelNames: ['resource', 'method', 'status'],
      registers,
    });
    this.requestDuration = new Histogram({
      name: 'nucleon_api_request_duration_seconds',
      help: 'Time from receiving an API request to sending its response, by collection and HTTP method.',
      labelNames: ['resource', 'method'],
      buckets: [...LATENCY_BUCKETS],
      registers,
    });
    this.queryDuration = new Histogram({
      name: 'nucleon_db_query_duration_seconds',
      help: 'Database statements, by kind (select, insert, update, delete, begin, commit...) and outcome.',
      labelNames: ['statement', 'outcome'],
      buckets: [0.0001, 0.00025, 0.0005, ...LATENCY_BUCKETS],
      registers,
    });
    this.dbConnections = new Counter({
      name: 'nucleon_db_connections_total',
      help: 'Database connections opened by the pool and lost (an opened count that keeps rising after start-up means reconnects).',
      labelNames: ['event'],
      registers,
    });
    this.rpc = new RpcMetrics(registry);
  }

  /** Agents (alive or not, by type) and ports (by status), read from the database at each scrape. */
  collectFrom(db: Db, agentDownTimeSeconds: number): void {
    new Gauge({
      name: 'nucleon_agents',
      help: 'Agents known to the server, by type and whether their last report is within agent_down_time.',
      labelNames: ['agent_type', 'alive'],
      registers: [this.registry],
      async collect() {
        const rows = await db.selectFrom('agents').select(['agent_type', 'heartbeat_timestamp']).execute();
        const now = Date.now();
        const counts = new Map<string, { alive: number; dead: number }>();
        for (const row of rows) {
          const count = counts.get(row.agent_type) ?? { alive: 0, dead: 0 };
          if (now - Date.parse(row.heartbeat_timestamp) <= agentDownTimeSeconds * 1000) count.alive++;
          else count.dead++;
          counts.set(row.agent_type, count);
        }
        this.reset();
        for (const [type, count] of counts) {
          this.set({ agent_type: type, alive: 'true' }, count.alive);
          this.set({ agent_type: type, alive: 'false' }, count.dead);
        }
      },
    });
    new Gauge({
      name: 'nucleon_ports',
      help: 'Ports by status (ACTIVE, DOWN, BUILD, ERROR).',
      labelNames: ['status'],
      registers: [this.registry],
      async collect() {
        const rows = await db
          .selectFrom('ports')
          .select(['status', (eb) => eb.fn.countAll<number>().as('count')])
          .groupBy('status')
          .execute();
        this.reset();
        for (const status of ['ACTIVE', 'DOWN', 'BUILD', 'ERROR']) this.set({ status }, 0);
        for (const row of rows) this.set({ status: row.status }, Number(row.count));
      },
    });
  }

  /** The statement kind of a query: its first keyword, from a fixed set. */
  observeQuery(sql: string, seconds: number, outcome: Outcome): void {
    this.queryDuration.observe({ statement: statementKind(sql), outcome }, seconds);
  }
}

const STATEMENTS = new Set(['select', 'insert', 'update', 'delete', 'begin', 'commit', 'rollback', 'savepoint', 'release', 'with', 'set', 'create', 'alter', 'drop', 'pragma']);

export function statementKind(sql: string): string {
  const word = /^\s*\(?\s*([a-zA-Z]+)/.exec(sql)?.[1]?.toLowerCase() ?? '';
  return STATEMENTS.has(word) ? word : 'other';
}
