/**
 * Opens the bus named by `[DEFAULT] transport_url`: unset or `memory://` is
 * the in-process bus, `rabbit://...` (or `amqp://...`) RabbitMQ.
 *
 *   const bus = await openBus(cfg.DEFAULT.transport_url, busOptionsFromConfig(cfg), log);
 *
 * For RabbitMQ it resolves once connected (retrying as oslo does, unless
 * `connectTimeoutMs` is given). Several in-process buses share messages only
 * when given the same `memoryBroker`; the all-in-one mode passes one bus to
 * the server and its agents instead.
 */
import type { Bus, RpcLogger } from './bus.js';
import { AmqpBus, type AmqpBusOptions } from './amqpTransport.js';
import { MemoryBroker, MemoryBus } from './memoryTransport.js';
import { parseTransportUrl } from './transportUrl.js';

export interface OpenBusOptions extends AmqpBusOptions {
  /** In-process only: join this broker (default: a new one, private to the bus). */
  readonly memoryBroker?: MemoryBroker;
  /** RabbitMQ only: resolve at once and connect in the background (a server must serve its API while the broker is away). */
  readonly background?: boolean;
}

export async function openBus(transportUrl: string | undefined, options: OpenBusOptions, log: RpcLogger): Promise<Bus> {
  const url = transportUrl === undefined || transportUrl.trim() === '' ? { kind: 'memory' as const } : parseTransportUrl(transportUrl);
  if (url.kind === 'memory') return new MemoryBus(options.memoryBroker ?? new MemoryBroker(), log, options);
  return options.background ? AmqpBus.start(url, options, log) : AmqpBus.open(url, options, log);
}

/** The configuration values the bus reads (neutronOptions.ts and config/rpcOptions.ts). */
export interface RpcConfig {
  readonly DEFAULT: {
    readonly rpc_response_timeout: number;
    readonly control_exchange: string;
  };
  readonly oslo_messaging_rabbit: {
    readonly heartbeat_timeout_threshold: number;
    readonly amqp_durable_queues: boolean;
    readonly rabbit_quorum_queue: boolean;
    readonly rabbit_ha_queues: boolean;
    readonly rabbit_retry_interval: number;
    readonly rabbit_retry_backoff: number;
    readonly rabbit_interval_max: number;
    readonly rabbit_qos_prefetch_count: number;
    readonly rabbit_transient_queues_ttl: number;
    readonly kombu_failover_strategy: 'round-robin' | 'shuffle';
  };
}

/** Bus options from neutron.conf (seconds become milliseconds). */
export function busOptionsFromConfig(config: RpcConfig): AmqpBusOptions {
  const rabbit = config.oslo_messaging_rabbit;
  return {
    defaultTimeoutMs: config.DEFAULT.rpc_response_timeout * 1000,
    controlExchange: config.DEFAULT.control_exchange,
    heartbeatTimeoutSeconds: rabbit.heartbeat_timeout_threshold,
    durableQueues: rabbit.amqp_durable_queues,
    quorumQueues: rabbit.rabbit_quorum_queue,
    haQueues: rabbit.rabbit_ha_queues,
    retryIntervalMs: rabbit.rabbit_retry_interval * 1000,
    retryBackoffMs: rabbit.rabbit_retry_backoff * 1000,
    intervalMaxMs: rabbit.rabbit_interval_max * 1000,
    prefetchCount: rabbit.rabbit_qos_prefetch_count,
    transientQueueTtlMs: rabbit.rabbit_transient_queues_ttl * 1000,
    failoverStrategy: rabbit.kombu_failover_strategy,
  };
}
