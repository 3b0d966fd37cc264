/**
 * Serving a contract: handlers typed from it, arguments checked against it
 * before a handler runs.
 *
 *   const handle = await serveContract(bus, reportsApi, {
 *     report_state: async ({ agent_state }) => agents.reportState(agent_state),
 *   }, { log });
 *
 * Several APIs on one topic (q-plugin carries the L2, DHCP and metadata
 * agents' calls) are served together, so that the topic has one consumer:
 *
 *   await serveEndpoints(bus, [endpoint(l2PluginApi, l2), endpoint(dhcpPluginApi, dhcp)], { log });
 *
 * Each topic of the APIs is served once, with the methods that travel on
 * it; it subscribes to its fanout when one of them is fanned out, and
 * consumes `topic.<server>` (options.server) when one of them is cast or
 * called. Arguments that do not match are logged once (topic, method,
 * reason) and a call gets an RpcRemoteError of type RpcInvalidArguments; an
 * unknown method gets NoSuchMethod from the bus. Neither reaches a handler.
 */
import type { Bus, HandlerContext, RpcHandler, RpcHandlers, RpcLogger, ServeHandle } from '../bus.js';
import { RpcInvalidArguments } from '../errors.js';
import type { ArgsOf, MethodSpec, Methods, ResultOf, RpcApi } from './define.js';
import { mismatch } from './validate.js';

export type HandlerOf<S extends MethodSpec> = (args: ArgsOf<S>, ctx: HandlerContext) => Promise<ResultOf<S>>;

export type HandlersOf<M extends Methods> = { readonly [K in keyof M]: HandlerOf<M[K]> };

/** An API with its handlers (oslo's endpoint). */
export interface Endpoint {
  readonly api: RpcApi;
  /** Called only with arguments that matched the method's schema. */
  readonly handlers: Readonly<Record<string, (args: never, ctx: HandlerContext) => Promise<unknown>>>;
}

export interface ServeContractOptions {
  /** Also consume `topic.<server>` on the topics whose methods are cast or called (an agent's host). */
  readonly server?: string;
  readonly log: RpcLogger;
}

export function endpoint<M extends Methods>(api: RpcApi<M>, handlers: HandlersOf<M>): Endpoint {
  return { api, handlers };
}

function checked(spec: MethodSpec, handler: Endpoint['handlers'][string], log: RpcLogger): RpcHandler {
  return async (args, ctx) => {
    const reason = mismatch(spec.args, args);
    if (reason === undefined) return handler(args as never, ctx);
    log.warn({ topic: ctx.topic, method: ctx.method, kind: ctx.kind, requestId: ctx.context.requestId, reason }, 'RPC message with invalid arguments refused');
    if (ctx.kind === 'call') throw new RpcInvalidArguments(ctx.topic, ctx.method, reason);
    return null;
  };
}

interface TopicPlan {
  readonly handlers: Record<string, RpcHandler>;
  readonly versions: Record<string, string>;
  fanout: boolean;
  direct: boolean;
}

/** Serves every topic of the endpoints; one handle stops them all. */
export async function serveEndpoints(bus: Bus, endpoints: readonly Endpoint[], options: ServeContractOptions): Promise<ServeHandle> {
  const topics = new Map<string, TopicPlan>();
  for (const { api, handlers } of endpoints) {
    for (const [method, spec] of Object.entries(api.methods)) {
      const handler = handlers[method];
      if (!handler) throw new Error(`${api.name}: no handler for ${method}`);
      const plan = topics.get(spec.topic) ?? { handlers: {}, versions: {}, fanout: false, direct: false };
      topics.set(spec.topic, plan);
      if (Object.hasOwn(plan.handlers, method)) throw new Error(`${api.name}: ${method} on ${spec.topic} is served twice`);
      plan.handlers[method] = checked(spec, handler, options.log);
      plan.versions[method] = api.version;
      plan.fanout ||= spec.delivery.includes('fanout');
      plan.direct ||= spec.delivery.includes('cast') || spec.delivery.includes('call');
    }
  }
  const handles: ServeHandle[] = [];
  try {
    for (const [topic, plan] of topics) {
      const handlers: RpcHandlers = plan.handlers;
      handles.push(
        await bus.serve(
          topic,
          {
            versions: plan.versions,
            ...(plan.fanout ? { fanout: true } : {}),
            ...(plan.direct && options.server !== undefined ? { server: options.server } : {}),
          },
          handlers,
        ),
      );
    }
  } catch (err) {
    await Promise.all(handles.map((handle) => handle.stop()));
    throw err;
  }
  return {
    topic: [...topics.keys()].join(','),
    stop: async () => {
      await Promise.all(handles.map((handle) => handle.stop()));
    },
  };
}

export function serveContract<M extends Methods>(bus: Bus, api: RpcApi<M>, handlers: HandlersOf<M>, options: ServeContractOptions): Promise<ServeHandle> {
  return serveEndpoints(bus, [endpoint(api, handlers)], options);
}
