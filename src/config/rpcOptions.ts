/**
 * The message bus options beyond those neutron.conf already declares
 * (`[DEFAULT] transport_url`, `rpc_response_timeout`, `control_exchange`;
 * `[oslo_messaging_rabbit] heartbeat_timeout_threshold`,
 * `amqp_durable_queues`, `rabbit_ha_queues`, `rabbit_quorum_queue`, in
 * neutronOptions.ts). Names and defaults are oslo.messaging's (impl_rabbit.py).
 * Pass this group to loadConfig next to neutronOptionGroups; rpc/connect.ts
 * turns the values into bus options (busOptionsFromConfig).
 */
import type { OptionGroup } from './types.js';

export const rpcOptions = [
  {
    section: 'oslo_messaging_rabbit',
    name: 'rabbit_retry_interval',
    type: { kind: 'integer', min: 1 },
    default: 1,
    help: 'Seconds before the first retry of a failed connection to RabbitMQ.',
  },
  {
    section: 'oslo_messaging_rabbit',
    name: 'rabbit_retry_backoff',
    type: { kind: 'integer', min: 0 },
    default: 2,
    help: 'Seconds added to the wait after each further failed attempt to connect to RabbitMQ.',
  },
  {
    section: 'oslo_messaging_rabbit',
    name: 'rabbit_interval_max',
    type: { kind: 'integer', min: 1 },
    default: 30,
    help: 'Longest wait, in seconds, between attempts to connect to RabbitMQ.',
  },
  {
    section: 'oslo_messaging_rabbit',
    name: 'rabbit_qos_prefetch_count',
    type: { kind: 'integer', min: 0 },
    default: 0,
    help: 'Messages a consumer may hold unacknowledged; 0 is unlimited.',
  },
  {
    section: 'oslo_messaging_rabbit',
    name: 'rabbit_transient_queues_ttl',
    type: { kind: 'integer', min: 1 },
    default: 1800,
    help: 'Seconds after which an unused reply or fanout queue is deleted by RabbitMQ (x-expires).',
  },
  {
    section: 'oslo_messaging_rabbit',
    name: 'heartbeat_rate',
    type: { kind: 'integer', min: 1 },
    default: 3,
    help: 'How often within heartbeat_timeout_threshold the heartbeat is checked; accepted for compatibility (the AMQP client checks twice per interval).',
  },
  {
    section: 'oslo_messaging_rabbit',
    name: 'kombu_failover_strategy',
    type: { kind: 'enum', choices: ['round-robin', 'shuffle'] },
    default: 'round-robin',
    help: 'Order in which the hosts of transport_url are tried when the current one fails.',
  },
] as const satisfies OptionGroup;
