/**
 * The message bus metrics, the same in the server and in each agent
 * (labels bounded by the RPC contract's method names):
 *
 *   nucleon_rpc_call_duration_seconds{method,outcome}     calls this process makes (outcome: ok, timeout, remote_error, error)
 *   nucleon_rpc_handler_duration_seconds{method,outcome}  calls and casts it serves
 *   nucleon_rpc_connections_total{event}                  connected | lost | reconnected (RabbitMQ)
 */
import { Counter, Histogram, type Registry } from 'prom-client';

import { LATENCY_BUCKETS } from '../common/metrics.js';

export class RpcMetrics {
  readonly rpcCallDuration: Histogram<'method' | 'outcome'>;
  readonly rpcHandlerDuration: Histogram<'method' | 'outcome'>;
  readonly rpcConnections: Counter<'event'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.rpcCallDuration = new Histogram({
      name: 'nucleon_rpc_call_duration_seconds',
      help: 'RPC calls this process made on the message bus, by method and outcome (ok, timeout, remote_error, error).',
      labelNames: ['method', 'outcome'],
      buckets: [...LATENCY_BUCKETS, 30, 60],
      registers,
    });
    this.rpcHandlerDuration = new Histogram({
      name: 'nucleon_rpc_handler_duration_seconds',
      help: 'RPC messages this process served (on the server: the agents asking), by method and outcome.',
      labelNames: ['method', 'outcome'],
      buckets: [...LATENCY_BUCKETS, 30, 60],
      registers,
    });
    this.rpcConnections = new Counter({
      name: 'nucleon_rpc_connections_total',
      help: 'Connections to RabbitMQ: connected (the first), lost, reconnected.',
      labelNames: ['event'],
      registers,
    });
  }

  /** For openBus's options: counts the RabbitMQ connection's events. */
  get busOptions(): { onConnection: (event: string) => void } {
    return { onConnection: (event) => this.rpcConnections.inc({ event }) };
  }
}
