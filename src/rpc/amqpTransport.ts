/**
 * The bus on RabbitMQ (AMQP 0-9-1, amqplib), named as oslo.messaging names
 * things (routing.ts): topic exchange `<control_exchange>`, queues `<topic>`
 * and `<topic>.<server>`, fanout exchanges `<topic>_fanout` with one
 * exclusive auto-delete queue per subscriber, a `reply_<uuid>` queue per bus
 * for call replies (matched by correlation id).
 *
 * One connection per bus, two channels: a confirm channel for publishing and
 * one for consuming.
 *
 * Delivery guarantees:
 *   - Every outgoing message goes through one ordered outbox. A message
 *     leaves the outbox when it is published and is forgotten only when the
 *     broker confirms it; if the connection drops first, it goes back to the
 *     outbox and is published again after reconnect (at least once). While
 *     disconnected, cast/fanout resolve as soon as the message is in the
 *     outbox; the outbox is bounded (RpcBufferFull past the bound).
 *   - Before the first cast or call to `<topic>` on a connection the sender
 *     declares that queue, as oslo does, so a message sent before any
 *     consumer exists (or before the consumers have re-declared their queues
 *     after a broker restart) waits in the queue instead of being dropped.
 *     A fanout reaches only the subscribers that exist when it is routed.
 *   - A call's request carries its timeout as the message TTL, so the broker
 *     drops a request its caller has given up on. Calls are acknowledged on
 *     receipt (at most once, as oslo's RPC server does); casts and fanouts
 *     after their handler ran (a consumer that dies mid-way leaves the
 *     message to another).
 *
 * Connection loss (broker restart, forced close, missed heartbeats, a
 * channel error): reconnect after oslo's linear backoff (rabbit_retry_interval
 * + n x rabbit_retry_backoff, capped at rabbit_interval_max, with +-20 %
 * jitter), rotating through the URL's hosts;
 * re-declare exchanges and queues, re-consume, then flush the outbox. Calls
 * still pending keep their timers: they resolve if the reply makes it, or
 * time out cleanly.
 */
import { connect, type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage, type Options } from 'amqplib';
import type {
  Bus,
  BusOptions,
  BusState,
  CallOptions,
  CastOptions,
  DeliveryKind,
  FanoutOptions,
  RpcArgs,
  RpcHandlers,
  RpcLogger,
  SendOptions,
  ServeHandle,
  ServeOptions,
} from './bus.js';
import { dispatch, type Served } from './dispatch.js';
import { encodeReply, encodeRequest, newMessageId, parseReply, parseRequest, type RequestMessage } from './envelope.js';
import {
  RpcBufferFull,
  RpcBusClosed,
  RpcConnectError,
  RpcPayloadError,
  RpcRemoteError,
  RpcTimeout,
} from './errors.js';
import { InFlight } from './inFlight.js';
import { fanoutExchangeName, fanoutQueueName, queueName, replyQueueName } from './routing.js';
import { describeHost, type RabbitHost, type TransportUrl } from './transportUrl.js';

export interface AmqpBusOptions extends BusOptions {
  /** Told when the connection to RabbitMQ is made, lost, and made again (the server's and agents' metrics). */
  readonly onConnection?: (event: 'connected' | 'lost' | 'reconnected') => void;
  /** `[oslo_messaging_rabbit] heartbeat_timeout_threshold`, seconds; 0 disables heartbeats. Default 60. */
  readonly heartbeatTimeoutSeconds?: number;
  /** `rabbit_retry_interval`, ms. Default 1 000. */
  readonly retryIntervalMs?: number;
  /** `rabbit_retry_backoff`, ms added per failed attempt. Default 2 000. */
  readonly retryBackoffMs?: number;
  /** `rabbit_interval_max`, ms. Default 30 000. */
  readonly intervalMaxMs?: number;
  /** `amqp_durable_queues`: durable exchanges and topic queues, persistent messages. Default false. */
  readonly durableQueues?: boolean;
  /** `rabbit_qos_prefetch_count`: unacknowledged deliveries per bus; 0 is unlimited. Default 0. */
  readonly prefetchCount?: number;
  /** `rabbit_transient_queues_ttl`, ms: reply and fanout queues unused this long are deleted. Default 1 800 000. */
  readonly transientQueueTtlMs?: number;
  /**
   * A cast or fanout the broker has not confirmed after this long resolves
   * anyway (the message stays buffered and is sent), so that a broker
   * holding publishes back never holds an API request. Default 2 000 ms.
   */
  readonly acceptGraceMs?: number;
  /** `rabbit_quorum_queue`: topic queues are quorum queues (x-queue-type). Default false. */
  readonly quorumQueues?: boolean;
  /** `rabbit_ha_queues`: ask for mirrored queues (x-ha-policy: all). Default false. */
  readonly haQueues?: boolean;
  /** Give up the first connection after this long (RpcConnectError); default: keep trying, as oslo does. */
  readonly connectTimeoutMs?: number;
  /** `kombu_failover_strategy`: order in which the URL's hosts are tried. Default round-robin. */
  readonly failoverStrategy?: 'round-robin' | 'shuffle';
  /** Shown as `connection_name` by `rabbitmqctl list_connections client_properties`. */
  readonly connectionName?: string;
}

type RabbitUrl = Extract<TransportUrl, { kind: 'rabbit' }>;

interface Outgoing {
  readonly seq: number;
  readonly kind: 'call' | 'cast' | 'fanout' | 'reply';
  readonly topic: string;
  readonly method: string;
  readonly exchange: string;
  readonly routingKey: string;
  readonly body: Buffer;
  /** A call's request is not sent after its caller gave up. */
  readonly deadline?: number;
  /** A fanout's exchange was just declared on this connection. */
  fanoutDeclaredOn?: Link | undefined;
  /** Resolves `accept` if the broker is slow to confirm (acceptGraceMs). */
  graceTimer?: NodeJS.Timeout | undefined;
  /** The sender's promise (cast, fanout): resolved once accepted. */
  accept?: { resolve: () => void; reject: (err: Error) => void } | undefined;
}

/** One live connection and what was set up on it. */
interface Link {
  readonly model: ChannelModel;
  readonly pub: ConfirmChannel;
  readonly sub: Channel;
  readonly host: RabbitHost;
  /** `q:<queue>` / `x:<exchange>` already declared on this connection. */
  readonly declared: Set<string>;
  /**
   * Where declarations go: a refused one (PRECONDITION_FAILED, the entity
   * exists with other flags) closes its channel, not the connection; the
   * next declaration opens another.
   */
  declarations: Promise<Channel> | undefined;
  /** Published, not yet confirmed. */
  readonly unconfirmed: Set<Outgoing>;
  drainWaiters: Array<() => void>;
  lost: boolean;
  /** The last error the connection or a channel reported: the reason given when the link is dropped. */
  lastError: Error | undefined;
}

interface Subscription {
  readonly topic: string;
  readonly server: string | undefined;
  readonly fanout: boolean;
  readonly served: Served;
  readonly inFlight: InFlight;
  /** Its own fanout queue, deleted when it stops (oslo leaves it to expire). */
  fanoutQueue: string | undefined;
  stopped: boolean;
  startedOn: Link | undefined;
  consumers: Array<{ readonly link: Link; readonly tag: string }>;
}

interface PendingCall {
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
  readonly topic: string;
  readonly method: string;
  readonly outgoing: Outgoing;
}

const CONTENT_TYPE = 'application/json';

/** AMQP channel-level refusals: ACCESS_REFUSED, NOT_FOUND, RESOURCE_LOCKED, PRECONDITION_FAILED. */
const CHANNEL_ERRORS = new Set([403, 404, 405, 406]);

interface Declaration {
  /** `q:<queue>` or `x:<exchange>`. */
  readonly key: string;
  /** For the operator: the entity and the flags we declare it with. */
  readonly what: string;
  readonly run: (channel: Channel) => Promise<unknown>;
}

export class AmqpBus implements Bus {
  readonly transport = 'rabbit';

  private readonly hosts: readonly RabbitHost[];
  private hostCursor = 0;
  private link: Link | undefined;
  private connecting: Promise<void> | undefined;
  private wakeSleep: (() => void) | undefined;
  /** Set by close(): no new messages or consumers. */
  private closing = false;
  private closedPromise: Promise<void> | undefined;
  private lostAt: number | undefined;

  private readonly outbox: Outgoing[] = [];
  private flushing = false;
  private seq = 0;
  private readonly pending = new Map<string, PendingCall>();
  /** Declarations the broker refused, by key: when to try again, and what it said (reported once). */
  private readonly refusals = new Map<string, { attempt: number; retryAt: number; reason: string }>();
  private readonly subscriptions = new Set<Subscription>();
  private readonly inFlight = new InFlight();
  private readonly replyQueue = replyQueueName();

  private readonly controlExchange: string;
  private readonly defaultTimeoutMs: number;
  private readonly maxBuffered: number;
  private readonly closeTimeoutMs: number;
  private readonly heartbeat: number;
  private readonly retryIntervalMs: number;
  private readonly retryBackoffMs: number;
  private readonly intervalMaxMs: number;
  private readonly durable: boolean;
  private readonly prefetch: number;
  private readonly transientTtlMs: number;
  private readonly acceptGraceMs: number;
  private readonly quorumQueues: boolean;
  private readonly haQueues: boolean;

  private constructor(
    private readonly url: RabbitUrl,
    private readonly options: AmqpBusOptions,
    private readonly log: RpcLogger,
  ) {
    this.hosts = options.failoverStrategy === 'shuffle' ? shuffled(url.hosts) : url.hosts;
    this.controlExchange = options.controlExchange ?? 'neutron';
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? 60_000;
    this.maxBuffered = options.maxBufferedMessages ?? 10_000;
    this.closeTimeoutMs = options.closeTimeoutMs ?? 5_000;
    const threshold = options.heartbeatTimeoutSeconds ?? 60;
    // amqplib (like RabbitMQ) gives up after two silent intervals.
    this.heartbeat = threshold <= 0 ? 0 : Math.max(1, Math.ceil(threshold / 2));
    this.retryIntervalMs = options.retryIntervalMs ?? 1_000;
    this.retryBackoffMs = options.retryBackoffMs ?? 2_000;
    this.intervalMaxMs = options.intervalMaxMs ?? 30_000;
    this.durable = options.durableQueues ?? false;
    this.prefetch = options.prefetchCount ?? 0;
    this.transientTtlMs = options.transientQueueTtlMs ?? 1_800_000;
    this.acceptGraceMs = options.acceptGraceMs ?? 2_000;
    this.quorumQueues = options.quorumQueues ?? false;
    this.haQueues = options.haQueues ?? false;
  }

  /** Connects (retrying with backoff; see connectTimeoutMs) and returns the bus once it is connected. */
  static async open(url: RabbitUrl, options: AmqpBusOptions, log: RpcLogger): Promise<AmqpBus> {
    const bus = new AmqpBus(url, options, log);
    const deadline = options.connectTimeoutMs === undefined ? undefined : Date.now() + options.connectTimeoutMs;
    try {
      await bus.connectLoop(deadline);
    } catch (err) {
      await bus.close();
      throw err;
    }
    return bus;
  }

  /**
   * Returns at once and connects in the background, retrying until it
   * succeeds or the bus is closed; what is sent meanwhile waits in the
   * outbox (casts) or times out (calls). For a server, which must answer its
   * API while the broker is away.
   */
  static start(url: RabbitUrl, options: AmqpBusOptions, log: RpcLogger): AmqpBus {
    const bus = new AmqpBus(url, options, log);
    bus.connectLoop(undefined).catch((err: unknown) => {
      if (!(err instanceof RpcBusClosed)) log.error({ err }, 'connecting to RabbitMQ failed');
    });
    return bus;
  }

  get state(): BusState {
    if (this.closing) return 'closed';
    return this.link ? 'connected' : 'connecting';
  }

  // -------------------------------------------------------------------------
  // Sending

  call(topic: string, method: string, args: RpcArgs, options: CallOptions = {}): Promise<unknown> {
    if (this.closing) return Promise.reject(new RpcBusClosed(`cannot call '${method}' on '${topic}'`));
    const msgId = newMessageId();
    let body: string;
    try {
      body = encodeRequest(method, args, { ...options, reply: { msgId, queue: this.replyQueue } });
    } catch (err) {
      return Promise.reject(new RpcPayloadError(topic, method, (err as Error).message));
    }
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    const outgoing: Outgoing = {
      seq: ++this.seq,
      kind: 'call',
      topic,
      method,
      exchange: this.controlExchange,
      routingKey: queueName(topic, options.server),
      body: Buffer.from(body),
      deadline: Date.now() + timeoutMs,
    };
    return new Promise((resolve, reject) => {
      const full = this.outboxFull(outgoing);
      if (full) {
        reject(full);
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(msgId);
        this.unqueue(outgoing);
        reject(new RpcTimeout(topic, method, timeoutMs, options.server));
      }, timeoutMs);
      this.pending.set(msgId, { resolve, reject, timer, topic, method, outgoing });
      this.enqueue(outgoing);
    });
  }

  cast(topic: string, method: string, args: RpcArgs, options: CastOptions = {}): Promise<void> {
    return this.send('cast', topic, method, args, options, this.controlExchange, queueName(topic, options.server));
  }

  fanout(topic: string, method: string, args: RpcArgs, options: FanoutOptions = {}): Promise<void> {
    // oslo's fanout_send publishes without a routing key (a fanout exchange ignores it).
    return this.send('fanout', topic, method, args, options, fanoutExchangeName(topic), '');
  }

  private send(
    kind: 'cast' | 'fanout',
    topic: string,
    method: string,
    args: RpcArgs,
    options: SendOptions,
    exchange: string,
    routingKey: string,
  ): Promise<void> {
    if (this.closing) return Promise.reject(new RpcBusClosed(`cannot ${kind} '${method}' to '${topic}'`));
    let body: string;
    try {
      body = encodeRequest(method, args, options);
    } catch (err) {
      return Promise.reject(new RpcPayloadError(topic, method, (err as Error).message));
    }
    return new Promise((resolve, reject) => {
      const outgoing: Outgoing = {
        seq: ++this.seq,
        kind,
        topic,
        method,
        exchange,
        routingKey,
        body: Buffer.from(body),
        accept: { resolve, reject },
      };
      const full = this.outboxFull(outgoing);
      if (full) {
        reject(full);
        return;
      }
      this.enqueue(outgoing);
      // A broker that holds our publishes (a resource alarm) must not hold the sender: past the grace
      // period the message counts as accepted, as while disconnected, and stays ours to deliver.
      if (outgoing.accept) outgoing.graceTimer = setTimeout(() => accepted(outgoing), this.acceptGraceMs);
    });
  }

  private outboxFull(outgoing: Outgoing): RpcBufferFull | undefined {
    if (this.outbox.length < this.maxBuffered) return undefined;
    return new RpcBufferFull(outgoing.topic, outgoing.method, this.maxBuffered);
  }

  private enqueue(outgoing: Outgoing): void {
    this.outbox.push(outgoing);
    if (this.link) this.kick();
    else accepted(outgoing); // held for after reconnect
  }

  private unqueue(outgoing: Outgoing): void {
    const index = this.outbox.indexOf(outgoing);
    if (index >= 0) this.outbox.splice(index, 1);
  }

  private kick(): void {
    const link = this.link;
    if (!link || link.lost || this.flushing || this.outbox.length === 0) return;
    void this.flush(link);
  }

  /** Publishes the outbox in order while `link` is the live connection. Never throws. */
  private async flush(link: Link): Promise<void> {
    this.flushing = true;
    try {
      while (this.link === link && !link.lost && this.outbox.length > 0) {
        const item = this.outbox[0];
        if (!item) break;
        if (item.deadline !== undefined && item.deadline <= Date.now()) {
          this.outbox.shift(); // its caller has timed out
          continue;
        }
        if (item.kind === 'cast' || item.kind === 'call') {
          if (!link.declared.has(`q:${item.routingKey}`) && !this.refusedForNow(`q:${item.routingKey}`)) {
            await this.declareTopicQueue(link, item.routingKey);
            continue; // the world may have changed while we waited
          }
        } else if (item.kind === 'fanout' && item.fanoutDeclaredOn !== link) {
          // Before every fanout, as its exchange is auto-delete (oslo's): it is gone once its last
          // subscriber's queue is, and publishing to a missing exchange would close the channel.
          await this.declareFanoutExchange(link, item.exchange, true);
          item.fanoutDeclaredOn = link;
          continue;
        }
        this.outbox.shift();
        if (!this.publish(link, item)) await new Promise<void>((resolve) => link.drainWaiters.push(resolve));
      }
    } catch (err) {
      // A declaration or a publish failed: the channel is gone. What was not
      // confirmed is back in the outbox; a new connection will send it.
      this.dropLink(link, err);
    } finally {
      this.flushing = false;
    }
    if (this.link && (this.link !== link || this.outbox.length > 0)) this.kick();
  }

  /** Publishes one message on the confirm channel; false when the channel asks us to wait for 'drain'. */
  private publish(link: Link, item: Outgoing): boolean {
    // What kombu's producer sets for oslo: JSON, persistent, priority 0; a call expires with its timeout.
    const properties: Options.Publish = {
      contentType: CONTENT_TYPE,
      contentEncoding: 'utf-8',
      deliveryMode: 2,
      priority: 0,
      headers: {},
    };
    if (item.kind === 'call') {
      properties.expiration = String(Math.max(1, (item.deadline ?? Date.now()) - Date.now()));
    }
    link.unconfirmed.add(item);
    try {
      return link.pub.publish(item.exchange, item.routingKey, item.body, properties, (err: unknown) => {
        this.onConfirm(link, item, err);
      });
    } catch (err) {
      link.unconfirmed.delete(item);
      this.outbox.unshift(item);
      throw err;
    }
  }

  private onConfirm(link: Link, item: Outgoing, err: unknown): void {
    if (!link.unconfirmed.delete(item)) return; // already handed back to the outbox by dropLink
    if (err === null || err === undefined) {
      accepted(item);
      return;
    }
    // Nacked by the broker, or the channel is closing under it (dropLink
    // follows): send it again, on this connection after a pause or the next.
    this.requeue([item]);
    if (!link.lost) setTimeout(() => this.kick(), this.retryIntervalMs).unref();
  }

  /** Puts published-but-unconfirmed messages back into the outbox, in their original order. */
  private requeue(items: readonly Outgoing[]): void {
    for (const item of items) {
      // binary search for the first queued message sent after this one
      let lo = 0;
      let hi = this.outbox.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((this.outbox[mid]?.seq ?? Infinity) < item.seq) lo = mid + 1;
        else hi = mid;
      }
      this.outbox.splice(lo, 0, item);
      accepted(item);
    }
  }

  // -------------------------------------------------------------------------
  // Serving

  async serve(topic: string, options: ServeOptions, handlers: RpcHandlers): Promise<ServeHandle> {
    if (this.closing) throw new RpcBusClosed(`cannot serve '${topic}'`);
    const subscription: Subscription = {
      topic,
      server: options.server,
      fanout: options.fanout === true,
      served: { topic, handlers, versions: options.versions },
      inFlight: new InFlight(),
      fanoutQueue: undefined,
      stopped: false,
      startedOn: undefined,
      consumers: [],
    };
    // Registered first: a connection being established picks it up, a later one too.
    this.subscriptions.add(subscription);
    const link = this.link;
    if (link) {
      try {
        await this.startSubscription(link, subscription);
      } catch (err) {
        if (!link.lost) {
          this.subscriptions.delete(subscription);
          throw err;
        }
        // the connection dropped meanwhile: the next one starts it
      }
    }
    return { topic, stop: () => this.stopSubscription(subscription) };
  }

  private async startSubscription(link: Link, s: Subscription): Promise<void> {
    if (s.startedOn === link || s.stopped) return;
    s.startedOn = link;
    const queues: Array<{ queue: string; fanout: boolean }> = [];
    await this.declareTopicQueue(link, s.topic);
    queues.push({ queue: s.topic, fanout: false });
    if (s.server !== undefined) {
      const own = queueName(s.topic, s.server);
      await this.declareTopicQueue(link, own);
      queues.push({ queue: own, fanout: false });
    }
    if (s.fanout) {
      const exchange = fanoutExchangeName(s.topic);
      await this.declareFanoutExchange(link, exchange);
      const queue = s.fanoutQueue ?? fanoutQueueName(s.topic);
      s.fanoutQueue = queue;
      // oslo's fanout queue: neither durable nor auto-delete nor exclusive; it expires unused.
      await this.declare(link, {
        key: `q:${queue}`,
        what: `queue '${queue}' (durable: false, auto_delete: false, x-expires: ${this.transientTtlMs})`,
        run: async (channel) => {
          await channel.assertQueue(queue, { durable: false, autoDelete: false, exclusive: false, arguments: this.transientQueueArguments() });
          await channel.bindQueue(queue, exchange, s.topic);
        },
      });
      queues.push({ queue, fanout: true });
    }
    for (const { queue, fanout } of queues) {
      if (s.stopped || link.lost) return;
      const { consumerTag } = await link.sub.consume(queue, (message) => this.onDelivery(link, s, fanout, message));
      s.consumers.push({ link, tag: consumerTag });
    }
    if (s.stopped) await this.cancelConsumers(s);
  }

  private async stopSubscription(s: Subscription): Promise<void> {
    if (!s.stopped) {
      s.stopped = true;
      this.subscriptions.delete(s);
      await this.cancelConsumers(s);
      await this.deleteOwnQueue(s.fanoutQueue);
    }
    await s.inFlight.idle(this.closeTimeoutMs);
  }

  /** Deletes a queue only this bus uses (its fanout or reply queue) rather than leave it to expire; best effort. */
  private async deleteOwnQueue(queue: string | undefined): Promise<void> {
    const link = this.link;
    if (queue === undefined || !link || link.lost) return;
    await withTimeout(
      link.sub.deleteQueue(queue).catch(() => undefined),
      this.closeTimeoutMs,
    );
  }

  private async cancelConsumers(s: Subscription): Promise<void> {
    const consumers = s.consumers;
    s.consumers = [];
    for (const { link, tag } of consumers) {
      if (link.lost) continue;
      // the channel may go away meanwhile (nothing left to cancel) or the broker stop answering
      await withTimeout(
        link.sub.cancel(tag).catch(() => undefined),
        this.closeTimeoutMs,
      );
    }
  }

  private onDelivery(link: Link, s: Subscription, fanout: boolean, message: ConsumeMessage | null): void {
    if (message === null) {
      // The broker cancelled the consumer (its queue was deleted): start over on a fresh connection.
      if (!s.stopped && !link.lost) this.dropLink(link, new Error(`RabbitMQ cancelled the consumer of '${s.topic}'`));
      return;
    }
    if (s.stopped) {
      // Arrived between stop() and the broker's cancel-ok: leave it to another consumer.
      this.settleDelivery(link, message, !fanout);
      return;
    }
    const request = parseRequest(message.content.toString('utf8'));
    if ('malformed' in request) {
      this.settleDelivery(link, message, false);
      this.log.warn({ topic: s.topic, reason: request.malformed }, 'dropping a malformed RPC message');
      return;
    }
    const kind: DeliveryKind = fanout ? 'fanout' : request.reply ? 'call' : 'cast';
    if (kind === 'call') this.settleDelivery(link, message, false);
    const work = this.answer(s, request, kind).finally(() => {
      if (kind !== 'call') this.settleDelivery(link, message, false);
    });
    s.inFlight.track(work);
    this.inFlight.track(work);
  }

  /** Acknowledges (or, with `requeue`, returns) a delivery, unless its channel is gone (then the broker redelivers). */
  private settleDelivery(link: Link, message: ConsumeMessage, requeue: boolean): void {
    if (link.lost) return;
    try {
      if (requeue) link.sub.nack(message, false, true);
      else link.sub.ack(message);
    } catch {
      // channel closed in between
    }
  }

  private async answer(s: Subscription, request: RequestMessage, kind: DeliveryKind): Promise<void> {
    const reply = await dispatch(s.served, request, kind, this.log);
    if (kind !== 'call' || !request.reply) return;
    // oslo's direct_send: to the default exchange, keyed by the caller's reply queue.
    const outgoing: Outgoing = {
      seq: ++this.seq,
      kind: 'reply',
      topic: s.topic,
      method: request.method,
      exchange: '',
      routingKey: request.reply.queue,
      body: Buffer.from(encodeReply(request.reply.msgId, reply)),
    };
    if (this.outboxFull(outgoing)) {
      this.log.warn({ topic: s.topic, method: request.method }, 'outgoing buffer full; reply dropped (the caller will time out)');
      return;
    }
    this.enqueue(outgoing);
  }

  private onReply(message: ConsumeMessage | null): void {
    if (message === null) return; // reply queue deleted: the connection is replaced and it is re-declared
    const received = parseReply(message.content.toString('utf8'));
    if ('malformed' in received) {
      this.log.warn({ queue: this.replyQueue, reason: received.malformed }, 'dropping a malformed RPC reply');
      return;
    }
    const call = this.pending.get(received.msgId);
    if (!call || !received.ending) return; // timed out, a duplicate, or a call-monitor heartbeat
    this.pending.delete(received.msgId);
    clearTimeout(call.timer);
    const { reply } = received;
    if (reply.ok) call.resolve(reply.result);
    else call.reject(new RpcRemoteError(call.topic, call.method, reply.failure));
  }

  // -------------------------------------------------------------------------
  // Declarations: oslo's names and flags (impl_rabbit.py declare_*_consumer, *_send),
  // idempotent on the broker, remembered per connection.

  /** x-ha-policy / x-queue-type, as oslo's _get_queue_arguments puts them on topic queues. */
  private topicQueueArguments(): Record<string, unknown> {
    if (this.quorumQueues) return { 'x-queue-type': 'quorum' };
    return this.haQueues ? { 'x-ha-policy': 'all' } : {};
  }

  /** Reply and fanout queues: HA when asked, and they expire once unused. */
  private transientQueueArguments(): Record<string, unknown> {
    return { ...(this.haQueues ? { 'x-ha-policy': 'all' } : {}), 'x-expires': this.transientTtlMs };
  }

  private declareTopicQueue(link: Link, queue: string): Promise<void> {
    const durable = this.durable || this.quorumQueues;
    return this.declare(link, {
      key: `q:${queue}`,
      what: `queue '${queue}' (durable: ${durable}, auto_delete: false${this.quorumQueues ? ', quorum' : ''})`,
      run: async (channel) => {
        await channel.assertQueue(queue, { durable, autoDelete: false, exclusive: false, arguments: this.topicQueueArguments() });
        await channel.bindQueue(queue, this.controlExchange, queue);
      },
    });
  }

  private declareFanoutExchange(link: Link, exchange: string, again = false): Promise<void> {
    return this.declare(
      link,
      {
        key: `x:${exchange}`,
        what: `exchange '${exchange}' (fanout, durable: false, auto_delete: true)`,
        run: (channel) => channel.assertExchange(exchange, 'fanout', { durable: false, autoDelete: true }),
      },
      again,
    );
  }

  /** A refused declaration not to be tried again yet: what exists is used as it is meanwhile. */
  private refusedForNow(key: string): boolean {
    const refusal = this.refusals.get(key);
    return refusal !== undefined && refusal.retryAt > Date.now();
  }

  /**
   * Declares once per connection (or `again`). A declaration the broker
   * refuses (an exchange or queue that exists with other flags, declared by
   * a peer configured otherwise) is reported once, naming it, our flags and
   * the broker's reason, and retried with backoff; meanwhile messages still
   * flow through what exists. Losing the connection throws, as anything else.
   */
  private async declare(link: Link, declaration: Declaration, again = false): Promise<void> {
    if ((!again && link.declared.has(declaration.key)) || this.refusedForNow(declaration.key)) return;
    const channel = await this.declarationChannel(link);
    try {
      await declaration.run(channel);
      link.declared.add(declaration.key);
      if (this.refusals.delete(declaration.key)) this.log.info({ declaration: declaration.what }, 'RabbitMQ accepted a declaration it had refused');
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (link.lost || typeof code !== 'number' || !CHANNEL_ERRORS.has(code)) throw err;
      // The broker closed the channel with the refusal: the next declaration opens another.
      const current = link.declarations;
      if (current && (await current) === channel) link.declarations = undefined;
      const previous = this.refusals.get(declaration.key);
      const attempt = (previous?.attempt ?? 0) + 1;
      const retryInMs = this.retryDelay(attempt);
      const reason = err instanceof Error ? err.message : String(err);
      this.refusals.set(declaration.key, { attempt, retryAt: Date.now() + retryInMs, reason });
      if (previous?.reason !== reason) {
        this.log.error({ declaration: declaration.what, reason, retryInMs }, 'RabbitMQ refused a declaration; using what exists and retrying later');
      }
    }
  }

  /** The link's declaration channel, opened again after the broker closed it (a refusal closes it). */
  private declarationChannel(link: Link): Promise<Channel> {
    if (link.declarations) return link.declarations;
    const opening = link.model.createChannel().then((channel) => {
      // A refusal is handled where the declaration failed; the channel is then gone.
      channel.on('error', () => undefined);
      channel.on('close', () => {
        if (link.declarations === opening) link.declarations = undefined;
      });
      return channel;
    });
    link.declarations = opening;
    return opening;
  }

  // -------------------------------------------------------------------------
  // Connection

  private nextHost(): RabbitHost {
    const host = this.hosts[this.hostCursor % this.hosts.length];
    this.hostCursor += 1;
    if (!host) throw new Error('transport_url names no host');
    return host;
  }

  /** oslo's schedule: retry_interval + attempt x retry_backoff, capped at interval_max, +-20 % jitter. */
  private retryDelay(attempt: number): number {
    const base = Math.min(this.retryIntervalMs + attempt * this.retryBackoffMs, this.intervalMaxMs);
    return Math.min(this.intervalMaxMs, Math.round(base * (0.8 + Math.random() * 0.4)));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeSleep = undefined;
        resolve();
      }, ms);
      this.wakeSleep = () => {
        clearTimeout(timer);
        this.wakeSleep = undefined;
        resolve();
      };
    });
  }

  /**
   * Connects, retrying with backoff. After a loss (`afterLoss`) the first
   * attempt also waits one retry interval, as oslo does: a broker that is
   * shutting down refuses at once, and 500 agents should not all knock at
   * the same millisecond.
   */
  private connectLoop(deadline: number | undefined, afterLoss = false): Promise<void> {
    if (this.connecting) return this.connecting;
    const run = async (): Promise<void> => {
      if (afterLoss) await this.sleep(this.retryDelay(0));
      for (let attempt = 0; ; attempt += 1) {
        if (this.closing) throw new RpcBusClosed('connecting abandoned');
        const host = this.nextHost();
        try {
          await this.establish(host);
          return;
        } catch (err) {
          if (this.closing) throw new RpcBusClosed('connecting abandoned');
          const delay = this.retryDelay(afterLoss ? attempt + 1 : attempt);
          const reason = err instanceof Error ? err.message : String(err);
          if (deadline !== undefined && Date.now() + delay > deadline) {
            throw new RpcConnectError(
              `cannot connect to RabbitMQ (${this.hosts.map(describeHost).join(', ')}, vhost '${this.url.virtualHost}'): ${reason}`,
            );
          }
          this.log.warn(
            { host: describeHost(host), vhost: this.url.virtualHost, attempt: attempt + 1, retryInMs: delay, reason },
            'cannot connect to RabbitMQ; retrying',
          );
          await this.sleep(delay);
        }
      }
    };
    this.connecting = run().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async establish(host: RabbitHost): Promise<void> {
    const model = await connect(
      {
        protocol: this.url.tls ? 'amqps' : 'amqp',
        hostname: host.hostname,
        port: host.port,
        username: host.username,
        password: host.password,
        vhost: this.url.virtualHost,
        heartbeat: this.heartbeat,
      },
      {
        timeout: 10_000,
        // RPC messages are small: without TCP_NODELAY, Nagle's algorithm and
        // the peer's delayed ACK hold each call's reply for ~40 ms.
        noDelay: true,
        clientProperties: { connection_name: this.options.connectionName ?? `nucleon:${process.pid}` },
        ...(this.url.tls ? { servername: host.hostname } : {}),
      },
    );
    let early: Error | undefined;
    const onEarlyClose = (err?: Error) => {
      early = err ?? new Error('connection closed');
    };
    let lastError: Error | undefined;
    model.on('error', (err: Error) => {
      lastError = err;
      if (link) link.lastError = err;
    });
    model.on('close', onEarlyClose);
    let link: Link | undefined;
    try {
      const pub = await model.createConfirmChannel();
      const sub = await model.createChannel();
      const live: Link = {
        model,
        pub,
        sub,
        host,
        declared: new Set(),
        declarations: undefined,
        unconfirmed: new Set(),
        drainWaiters: [],
        lost: false,
        lastError,
      };
      link = live;
      model.off('close', onEarlyClose);
      if (early) throw early;
      model.on('close', (err?: Error) => this.dropLink(live, err ?? live.lastError ?? new Error('connection closed')));
      model.on('blocked', (reason: string) => this.log.warn({ reason }, 'RabbitMQ blocked publishing (resource alarm)'));
      model.on('unblocked', () => this.log.info({}, 'RabbitMQ unblocked publishing'));
      for (const channel of [pub, sub]) {
        channel.on('error', (err: Error) => {
          live.lastError = err;
        });
        // A channel closes first when the whole connection goes: give the
        // connection's own 'error'/'close' (the real reason) a turn first.
        channel.on('close', () => setImmediate(() => this.dropLink(live, live.lastError ?? new Error('channel closed'))));
      }
      pub.on('drain', () => {
        const waiters = live.drainWaiters;
        live.drainWaiters = [];
        for (const wake of waiters) wake();
      });
      if (this.prefetch > 0) await sub.prefetch(this.prefetch);

      await this.declare(live, {
        key: `x:${this.controlExchange}`,
        what: `exchange '${this.controlExchange}' (topic, durable: ${this.durable}, auto_delete: false)`,
        run: (channel) => channel.assertExchange(this.controlExchange, 'topic', { durable: this.durable, autoDelete: false }),
      });
      // oslo's reply queue: not exclusive, so that replies sent while we reconnect wait in it.
      await this.declare(live, {
        key: `q:${this.replyQueue}`,
        what: `queue '${this.replyQueue}' (durable: false, auto_delete: false, x-expires: ${this.transientTtlMs})`,
        run: (channel) =>
          channel.assertQueue(this.replyQueue, { durable: false, autoDelete: false, exclusive: false, arguments: this.transientQueueArguments() }),
      });
      await sub.consume(this.replyQueue, (message) => this.onReply(message), { noAck: true });
      // A subscription added while this runs is picked up by the iteration (or starts itself once installed).
      for (const s of this.subscriptions) await this.startSubscription(live, s);
      if (live.lost) throw new Error('connection lost while setting up');
      if (this.closing) throw new RpcBusClosed('closed while connecting');

      this.link = live;
      const downForMs = this.lostAt === undefined ? undefined : Date.now() - this.lostAt;
      this.lostAt = undefined;
      this.log.info(
        {
          host: describeHost(host),
          vhost: this.url.virtualHost,
          ...(downForMs === undefined ? {} : { downForMs }),
          buffered: this.outbox.length,
          subscriptions: this.subscriptions.size,
        },
        downForMs === undefined ? 'connected to RabbitMQ' : 'reconnected to RabbitMQ',
      );
      this.options.onConnection?.(downForMs === undefined ? 'connected' : 'reconnected');
      this.kick();
    } catch (err) {
      if (link) this.dropLink(link, err);
      else model.close().catch(() => undefined);
      throw err;
    }
  }

  /** Forgets a connection that failed (or is being abandoned) and, unless closing, starts reconnecting. */
  private dropLink(link: Link, reason: unknown): void {
    if (link.lost) return;
    link.lost = true;
    const waiters = link.drainWaiters;
    link.drainWaiters = [];
    for (const wake of waiters) wake();
    const unconfirmed = [...link.unconfirmed];
    link.unconfirmed.clear();
    this.requeue(unconfirmed);
    for (const s of this.subscriptions) {
      s.consumers = s.consumers.filter((c) => c.link !== link);
      if (s.startedOn === link) s.startedOn = undefined;
    }
    link.model.close().catch(() => undefined);
    if (this.link !== link) return;
    this.link = undefined;
    if (this.closing) return;
    this.lostAt = Date.now();
    this.log.warn(
      {
        host: describeHost(link.host),
        reason: reason instanceof Error ? reason.message : String(reason),
        buffered: this.outbox.length,
        pendingCalls: this.pending.size,
      },
      'lost the connection to RabbitMQ; reconnecting',
    );
    this.options.onConnection?.('lost');
    this.connectLoop(undefined, true).catch((err: unknown) => {
      if (!(err instanceof RpcBusClosed)) this.log.error({ err }, 'reconnecting to RabbitMQ failed');
    });
  }

  // -------------------------------------------------------------------------
  // Shutdown

  async close(): Promise<void> {
    if (this.closing) {
      await this.closedPromise;
      return;
    }
    this.closing = true;
    this.closedPromise = this.shutdown();
    await this.closedPromise;
  }

  private async shutdown(): Promise<void> {
    this.wakeSleep?.();
    const deadline = Date.now() + this.closeTimeoutMs;
    await Promise.all([...this.subscriptions].map((s) => this.stopSubscription(s)));
    await this.inFlight.idle(Math.max(0, deadline - Date.now()));
    // Send what is buffered (replies of the handlers that just finished, casts not yet confirmed).
    while (this.link && (this.outbox.length > 0 || this.link.unconfirmed.size > 0) && Date.now() < deadline) {
      this.kick();
      await delay(10);
    }
    await this.connecting?.catch(() => undefined);
    await this.deleteOwnQueue(this.replyQueue);
    for (const [id, call] of this.pending) {
      clearTimeout(call.timer);
      this.pending.delete(id);
      call.reject(new RpcBusClosed(`call '${call.method}' on '${call.topic}' abandoned`));
    }
    const link = this.link;
    this.link = undefined;
    if (link) {
      link.lost = true;
      const unconfirmed = [...link.unconfirmed];
      link.unconfirmed.clear();
      this.outbox.push(...unconfirmed);
      const closed = await withTimeout(
        link.model.close().then(
          () => true,
          () => true,
        ),
        this.closeTimeoutMs,
      );
      // A broker that does not answer close: drop the socket rather than keep the process alive.
      if (closed !== true) socketOf(link.model)?.destroy();
    }
    const dropped = this.outbox.splice(0);
    for (const item of dropped) clearTimeout(item.graceTimer);
    for (const item of dropped) item.accept?.reject(new RpcBusClosed(`'${item.method}' to '${item.topic}' not sent`));
    const unsent = dropped.filter((item) => item.kind !== 'call').length;
    if (unsent > 0) this.log.warn({ unsent }, 'message bus closed with messages not sent');
  }
}

function accepted(item: Outgoing): void {
  const accept = item.accept;
  item.accept = undefined;
  clearTimeout(item.graceTimer);
  accept?.resolve();
}

/** `promise`'s value, or undefined once `ms` have passed (the timer is cleared either way). */
async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** amqplib keeps the socket as `connection.stream`; its types do not say so. */
function socketOf(model: ChannelModel): { destroy(): void } | undefined {
  const stream: unknown = (model.connection as unknown as { stream?: unknown }).stream;
  return typeof stream === 'object' && stream !== null && 'destroy' in stream && typeof stream.destroy === 'function'
    ? (stream as { destroy(): void })
    : undefined;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    const a = copy[i];
    const b = copy[j];
    if (a !== undefined && b !== undefined) {
      copy[i] = b;
      copy[j] = a;
    }
  }
  return copy;
}
