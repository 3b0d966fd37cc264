/**
 * A Bus that times what goes through it (rpcMetrics.ts): the calls this
 * process makes, and the messages it serves, by method and outcome.
 * Everything else is the wrapped bus's. The method label is bounded: served
 * methods are the handlers' names (a message for another name never reaches
 * a handler), called ones come from this process's own code.
 */
import type { Bus, CallOptions, CastOptions, FanoutOptions, RpcArgs, RpcHandlers, ServeHandle, ServeOptions } from '../rpc/bus.js';
import { RpcRemoteError, RpcTimeout } from '../rpc/errors.js';
import type { RpcMetrics } from './rpcMetrics.js';

const outcomeOf = (err: unknown): string => (err instanceof RpcTimeout ? 'timeout' : err instanceof RpcRemoteError ? 'remote_error' : 'error');

export class MeteredBus implements Bus {
  constructor(
    private readonly bus: Bus,
    private readonly metrics: RpcMetrics,
  ) {}

  get transport(): Bus['transport'] {
    return this.bus.transport;
  }

  get state(): Bus['state'] {
    return this.bus.state;
  }

  async call(topic: string, method: string, args: RpcArgs, options?: CallOptions): Promise<unknown> {
    const started = performance.now();
    const label = this.methodLabel(method);
    try {
      const result = await this.bus.call(topic, method, args, options);
      this.metrics.rpcCallDuration.observe({ method: label, outcome: 'ok' }, (performance.now() - started) / 1000);
      return result;
    } catch (err) {
      this.metrics.rpcCallDuration.observe({ method: label, outcome: outcomeOf(err) }, (performance.now() - started) / 1000);
      throw err;
    }
  }

  cast(topic: string, method: string, args: RpcArgs, options?: CastOptions): Promise<void> {
    return this.bus.cast(topic, method, args, options);
  }

  fanout(topic: string, method: string, args: RpcArgs, options?: FanoutOptions): Promise<void> {
    return this.bus.fanout(topic, method, args, options);
  }

  serve(topic: string, options: ServeOptions, handlers: RpcHandlers): Promise<ServeHandle> {
    const timed: RpcHandlers = Object.fromEntries(
      Object.entries(handlers).map(([method, handler]) => {
        return [
          method,
          async (args, ctx) => {
            const started = performance.now();
            try {
              const result = await handler(args, ctx);
              this.metrics.rpcHandlerDuration.observe({ method, outcome: 'ok' }, (performance.now() - started) / 1000);
              return result;
            } catch (err) {
              this.metrics.rpcHandlerDuration.observe({ method, outcome: 'error' }, (performance.now() - started) / 1000);
              throw err;
            }
          },
        ];
      }),
    );
    return this.bus.serve(topic, options, timed);
  }

  close(): Promise<void> {
    return this.bus.close();
  }

  /** The calls this process makes come from its own code: their methods are a fixed set. */
  private methodLabel(method: string): string {
    return /^[a-z_]{1,64}$/.test(method) ? method : 'other';
  }
}
