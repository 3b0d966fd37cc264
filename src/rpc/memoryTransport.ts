/**
 * The in-process bus: the all-in-one mode runs the server and its agents in
 * one process over this, and unit tests use it. Same semantics as the AMQP
 * transport, modelled on what RabbitMQ does with our declarations:
 *
 *   - a queue per `topic` and per `topic.<server>`, created by the first
 *     consumer or sender and kept afterwards: messages sent while nobody
 *     consumes wait for the next consumer;
 *   - consumers of one queue take turns (round-robin);
 *   - a fanout goes to every subscriber present when it is sent;
 *   - a call's request expires with its timeout;
 *   - delivery is always asynchronous (a later turn of the event loop),
 *     never inside call()/cast();
 *   - arguments and results go through JSON, as on the wire.
 *
 * Several MemoryBus instances on one MemoryBroker behave like several
 * connections to one broker (each has its own pending calls and consumers).
 */
import type {
  Bus,
  BusOptions,
  CallOptions,
  CastOptions,
  DeliveryKind,
  FanoutOptions,
  RpcArgs,
  RpcHandlers,
  RpcLogger,
  ServeHandle,
  ServeOptions,
} from './bus.js';
import { dispatch, type Served } from './dispatch.js';
import { encodeReply, encodeRequest, newMessageId, parseReply, parseRequest } from './envelope.js';
import { RpcBusClosed, RpcPayloadError, RpcRemoteError, RpcTimeout } from './errors.js';
import { InFlight } from './inFlight.js';
import { queueName, replyQueueName } from './routing.js';

interface QueuedMessage {
  readonly body: string;
  /** Set for a call: where the reply goes. */
  readonly replyTo?: (reply: string) => void;
  /** A call's request is dropped once its caller has given up (timed out or closed). */
  readonly wanted?: () => boolean;
}

interface MemoryConsumer {
  deliver(message: QueuedMessage, kind: DeliveryKind): void;
}

interface MemoryQueue {
  readonly messages: QueuedMessage[];
  readonly consumers: MemoryConsumer[];
  next: number;
  scheduled: boolean;
}

/** The shared "broker" of the in-process bus. */
export class MemoryBroker {
  private readonly queues = new Map<string, MemoryQueue>();
  private readonly fanouts = new Map<string, Set<MemoryConsumer>>();

  private queue(name: string): MemoryQueue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = { messages: [], consumers: [], next: 0, scheduled: false };
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** How many messages wait in a queue (for tests and diagnostics). */
  depth(name: string): number {
    return this.queues.get(name)?.messages.length ?? 0;
  }

  publish(queueName: string, message: QueuedMessage): void {
    const queue = this.queue(queueName);
    queue.messages.push(message);
    this.schedule(queue);
  }

  publishFanout(topic: string, body: string): void {
    const subscribers = [...(this.fanouts.get(topic) ?? [])];
    if (subscribers.length === 0) return;
    setImmediate(() => {
      for (const consumer of subscribers) consumer.deliver({ body }, 'fanout');
    });
  }

  consume(queueName: string, consumer: MemoryConsumer): () => void {
    const queue = this.queue(queueName);
    queue.consumers.push(consumer);
    this.schedule(queue);
    return () => {
      const index = queue.consumers.indexOf(consumer);
      if (index >= 0) queue.consumers.splice(index, 1);
    };
  }

  subscribeFanout(topic: string, consumer: MemoryConsumer): () => void {
    let set = this.fanouts.get(topic);
    if (!set) {
      set = new Set();
      this.fanouts.set(topic, set);
    }
    set.add(consumer);
    return () => {
      set.delete(consumer);
    };
  }

  private schedule(queue: MemoryQueue): void {
    if (queue.scheduled || queue.messages.length === 0 || queue.consumers.length === 0) return;
    queue.scheduled = true;
    setImmediate(() => {
      queue.scheduled = false;
      this.pump(queue);
    });
  }

  private pump(queue: MemoryQueue): void {
    while (queue.messages.length > 0 && queue.consumers.length > 0) {
      const message = queue.messages.shift();
      if (!message || (message.wanted !== undefined && !message.wanted())) continue;
      queue.next %= queue.consumers.length;
      const consumer = queue.consumers[queue.next];
      queue.next += 1;
      consumer?.deliver(message, message.replyTo ? 'call' : 'cast');
    }
  }
}

interface PendingCall {
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
  readonly topic: string;
  readonly method: string;
}

export class MemoryBus implements Bus {
  readonly transport = 'memory';
  private closed = false;
  private readonly pending = new Map<string, PendingCall>();
  /** Named in requests as oslo's `_reply_q`; replies come back through the request's own callback. */
  private readonly replyQueue = replyQueueName();
  private readonly stops = new Set<() => Promise<void>>();
  private readonly inFlight = new InFlight();
  private readonly defaultTimeoutMs: number;
  private readonly closeTimeoutMs: number;

  constructor(
    private readonly broker: MemoryBroker,
    private readonly log: RpcLogger,
    options: BusOptions = {},
  ) {
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? 60_000;
    this.closeTimeoutMs = options.closeTimeoutMs ?? 5_000;
  }

  get state() {
    return this.closed ? ('closed' as const) : ('connected' as const);
  }

  call(topic: string, method: string, args: RpcArgs, options: CallOptions = {}): Promise<unknown> {
    if (this.closed) return Promise.reject(new RpcBusClosed(`cannot call '${method}' on '${topic}'`));
    const msgId = newMessageId();
    let body: string;
    try {
      body = encodeRequest(method, args, { ...options, reply: { msgId, queue: this.replyQueue } });
    } catch (err) {
      return Promise.reject(new RpcPayloadError(topic, method, (err as Error).message));
    }
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(msgId);
        reject(new RpcTimeout(topic, method, timeoutMs, options.server));
      }, timeoutMs);
      this.pending.set(msgId, { resolve, reject, timer, topic, method });
      this.broker.publish(queueName(topic, options.server), {
        body,
        replyTo: (reply) => this.onReply(reply),
        wanted: () => this.pending.has(msgId),
      });
    });
  }

  cast(topic: string, method: string, args: RpcArgs, options: CastOptions = {}): Promise<void> {
    if (this.closed) return Promise.reject(new RpcBusClosed(`cannot cast '${method}' to '${topic}'`));
    try {
      this.broker.publish(queueName(topic, options.server), { body: encodeRequest(method, args, options) });
    } catch (err) {
      return Promise.reject(new RpcPayloadError(topic, method, (err as Error).message));
    }
    return Promise.resolve();
  }

  fanout(topic: string, method: string, args: RpcArgs, options: FanoutOptions = {}): Promise<void> {
    if (this.closed) return Promise.reject(new RpcBusClosed(`cannot fan out '${method}' to '${topic}'`));
    try {
      this.broker.publishFanout(topic, encodeRequest(method, args, options));
    } catch (err) {
      return Promise.reject(new RpcPayloadError(topic, method, (err as Error).message));
    }
    return Promise.resolve();
  }

  serve(topic: string, options: ServeOptions, handlers: RpcHandlers): Promise<ServeHandle> {
    if (this.closed) return Promise.reject(new RpcBusClosed(`cannot serve '${topic}'`));
    const inFlight = new InFlight();
    const served: Served = { topic, handlers, versions: options.versions };
    let stopped = false;
    /** A consumer of one queue (`queue`), or of the fanout (null). */
    const consumerOf = (queue: string | null): MemoryConsumer => ({
      deliver: (message, kind) => {
        if (stopped) {
          // Raced with stop(): hand a queued message back, drop a fanout copy (as a deleted queue would).
          if (queue !== null) this.broker.publish(queue, message);
          return;
        }
        const work = this.deliver(served, message, kind);
        inFlight.track(work);
        this.inFlight.track(work);
      },
    });
    const cancels = [this.broker.consume(topic, consumerOf(topic))];
    if (options.server !== undefined) {
      const own = queueName(topic, options.server);
      cancels.push(this.broker.consume(own, consumerOf(own)));
    }
    if (options.fanout === true) cancels.push(this.broker.subscribeFanout(topic, consumerOf(null)));

    const stop = async (): Promise<void> => {
      if (!stopped) {
        stopped = true;
        for (const cancel of cancels) cancel();
        this.stops.delete(stop);
      }
      await inFlight.idle(this.closeTimeoutMs);
    };
    this.stops.add(stop);
    return Promise.resolve({ topic, stop });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.stops].map((stop) => stop()));
    await this.inFlight.idle(this.closeTimeoutMs);
    for (const [msgId, call] of this.pending) {
      clearTimeout(call.timer);
      this.pending.delete(msgId);
      call.reject(new RpcBusClosed(`call '${call.method}' on '${call.topic}' abandoned`));
    }
  }

  private async deliver(served: Served, message: QueuedMessage, kind: DeliveryKind): Promise<void> {
    const request = parseRequest(message.body);
    if ('malformed' in request) {
      this.log.warn({ topic: served.topic, reason: request.malformed }, 'dropping a malformed RPC message');
      return;
    }
    const reply = await dispatch(served, request, kind, this.log);
    if (message.replyTo && request.reply) {
      const text = encodeReply(request.reply.msgId, reply);
      const replyTo = message.replyTo;
      setImmediate(() => replyTo(text));
    }
  }

  private onReply(text: string): void {
    const received = parseReply(text);
    if ('malformed' in received) {
      this.log.warn({ reason: received.malformed }, 'dropping a malformed RPC reply');
      return;
    }
    const call = this.pending.get(received.msgId);
    if (!call || !received.ending) return; // timed out or closed meanwhile; or a heartbeat
    this.pending.delete(received.msgId);
    clearTimeout(call.timer);
    const { reply } = received;
    if (reply.ok) call.resolve(reply.result);
    else call.reject(new RpcRemoteError(call.topic, call.method, reply.failure));
  }
}
