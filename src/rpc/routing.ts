/**
 * Where messages go, named as oslo.messaging's RabbitMQ driver names them so
 * that `rabbitmqctl list_queues` / `list_exchanges` read the same as with
 * Neutron:
 *
 *   exchange `<control_exchange>` (topic)  queues `<topic>` and `<topic>.<server>`,
 *                                          each bound with its own name as key
 *   exchange `<topic>_fanout` (fanout)     one queue `<topic>_fanout_<uuid>` per subscriber
 *   queue `reply_<uuid>`                   one per process, for call replies
 */
import { randomUUID } from 'node:crypto';

/** `topic` or `topic.<server>`: the queue (and routing key) a call or cast goes to. */
export function queueName(topic: string, server?: string): string {
  return server === undefined ? topic : `${topic}.${server}`;
}

export function fanoutExchangeName(topic: string): string {
  return `${topic}_fanout`;
}

export function fanoutQueueName(topic: string): string {
  return `${topic}_fanout_${randomUUID().replace(/-/g, '')}`;
}

export function replyQueueName(): string {
  return `reply_${randomUUID().replace(/-/g, '')}`;
}
