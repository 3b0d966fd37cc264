/**
 * The message bus between the server and its agents (architecture.md: rpc/
 * is the only way they talk). One interface, two transports: in-process
 * (memoryTransport.ts, the all-in-one mode and unit tests) and AMQP 0-9-1 on
 * RabbitMQ (amqpTransport.ts). `openBus` in connect.ts picks one from
 * `[DEFAULT] transport_url`.
 *
 * The patterns are oslo.messaging's:
 *   call    request/response to ONE consumer of `topic` (round-robin among
 *           them) or of `topic.<server>`; rejects with RpcTimeout when no
 *           reply comes in time, RpcRemoteError when the handler threw
 *   cast    one-way, to one consumer of `topic` or of `topic.<server>`
 *   fanout  one-way, to EVERY subscriber of `topic` (serve with fanout: true)
 *
 *   const handle = await bus.serve(topics.REPORTS, { server: host }, {
 *     report_state: async (args, { context }) => registry.report(args, context),
 *   });
 *   const state = await bus.call(topics.REPORTS, 'report_state',
 *     { agent_state: { agent_state: {...} }, time: new Date().toISOString() }, { timeoutMs: 30_000 });
 *   await bus.fanout(topics.AGENT_NOTIFIER.portUpdate, 'port_update', { port });
 *
 * Payloads are JSON: arguments are serialized when a message is sent (also
 * in-process, so both transports behave the same) and handlers receive a
 * fresh object. What a handler or a call returns is `unknown` data from the
 * other side: parse it before trusting it. The server and the agents do not
 * use these functions directly but the typed contract in contract/, which
 * names every topic, method, argument and result and checks them.
 */

/** Who a message is on behalf of; travels as oslo's `_context` (request_id, project_id...). */
export interface RpcContext {
  readonly requestId: string;
  readonly projectId?: string;
  readonly userId?: string;
  readonly roles?: readonly string[];
  readonly isAdmin?: boolean;
}

/** The arguments of a method: a JSON object, keyed by argument name (oslo's kwargs). */
export type RpcArgs = Readonly<Record<string, unknown>>;

/** What every message may say besides its method and arguments. */
export interface SendOptions {
  /** Default: a fresh request id and no project (an admin context, as an agent's). */
  readonly context?: RpcContext;
  /** The API version asked for (oslo's `prepare(version=...)`); a receiver reads none as 1.0. */
  readonly version?: string;
  /** oslo's target namespace; Neutron's APIs have none. */
  readonly namespace?: string;
}

export interface CallOptions extends SendOptions {
  /** Reject with RpcTimeout after this long; default: the bus's `rpc_response_timeout`. */
  readonly timeoutMs?: number;
  /** Send to `topic.<server>` (one named consumer) instead of any consumer of `topic`. */
  readonly server?: string;
}

export interface CastOptions extends SendOptions {
  readonly server?: string;
}

export type FanoutOptions = SendOptions;

export interface ServeOptions {
  /** Also consume `topic.<server>`: messages sent to this consumer by name (e.g. `dhcp_agent.<host>`). */
  readonly server?: string;
  /** Also receive every fanout on `topic` (each subscriber gets its own copy). */
  readonly fanout?: boolean;
  /**
   * The API version each method's endpoint implements (oslo's target
   * version): a request for a newer minor or another major is refused with
   * `UnsupportedVersion` (dispatch.ts). Methods not named accept any version.
   */
  readonly versions?: Readonly<Record<string, string>>;
}

export type DeliveryKind = 'call' | 'cast' | 'fanout';

/** What a handler learns about the message besides its arguments. */
export interface HandlerContext {
  readonly context: RpcContext;
  readonly topic: string;
  readonly method: string;
  readonly kind: DeliveryKind;
}

/**
 * Serves one method. For a call, the resolved value (JSON; `undefined` is
 * sent as null) is the reply, and a thrown error reaches the caller as an
 * RpcRemoteError. For a cast or fanout, the result is dropped and a thrown
 * error is logged.
 */
export type RpcHandler = (args: RpcArgs, ctx: HandlerContext) => Promise<unknown>;

export type RpcHandlers = Readonly<Record<string, RpcHandler>>;

export interface ServeHandle {
  readonly topic: string;
  /** Stops consuming, then waits for the handlers already running. Safe to call twice. */
  stop(): Promise<void>;
}

export type BusState = 'connected' | 'connecting' | 'closed';

export interface Bus {
  readonly transport: 'memory' | 'rabbit';
  /** `connecting` while a broker connection is being (re-)established; always `connected` in-process. */
  readonly state: BusState;

  call(topic: string, method: string, args: RpcArgs, options?: CallOptions): Promise<unknown>;

  /**
   * Resolves once the message is accepted: confirmed by the broker, or,
   * while the bus is reconnecting, held in its bounded outgoing buffer to be
   * sent after reconnect. Rejects with RpcBufferFull when that buffer is full.
   */
  cast(topic: string, method: string, args: RpcArgs, options?: CastOptions): Promise<void>;

  /** Like cast, to every subscriber of `topic` that is subscribed when the message reaches the broker. */
  fanout(topic: string, method: string, args: RpcArgs, options?: FanoutOptions): Promise<void>;

  /**
   * Consumes `topic` (and `topic.<server>`, and the fanout, per options) and
   * dispatches by method name and version (dispatch.ts). An unknown method
   * answers a call with an RpcRemoteError of type `NoSuchMethod` (an
   * unserved version: `UnsupportedVersion`), and is logged (a warning naming
   * topic and method) whatever its delivery. Resolves once consuming (or, while
   * reconnecting, once registered: it starts with the connection).
   */
  serve(topic: string, options: ServeOptions, handlers: RpcHandlers): Promise<ServeHandle>;

  /**
   * Stops every consumer, lets running handlers finish and sends what is
   * still buffered (both bounded in time), rejects pending calls with
   * RpcBusClosed, then closes the connection. Safe to call twice.
   */
  close(): Promise<void>;
}

/** The pino-style logger the bus writes to; it never creates one. */
export interface RpcLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Settings shared by both transports; connect.ts fills the defaults. */
export interface BusOptions {
  /** `[DEFAULT] rpc_response_timeout`, in ms. Default 60 000. */
  readonly defaultTimeoutMs?: number;
  /** `[DEFAULT] control_exchange`. Default `neutron`. */
  readonly controlExchange?: string;
  /** Messages held while disconnected before cast() rejects with RpcBufferFull. Default 10 000. */
  readonly maxBufferedMessages?: number;
  /** How long close() waits for running handlers and buffered messages. Default 5 000 ms. */
  readonly closeTimeoutMs?: number;
}
