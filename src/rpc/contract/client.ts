/**
 * Sending through a contract: one typed function per delivery, offering
 * only the methods the contract lets be delivered that way; a call's answer
 * is checked against the method's result schema on receipt.
 *
 *   const plugin = clientOf(bus, l2PluginApi);
 *   const { failed_devices_up } = await plugin.call('update_device_list', { devices_up, devices_down, agent_id, host });
 *   await clientOf(bus, l2populationApi).cast('add_fdb_entries', { fdb_entries }, { server: host });
 *
 * An answer that does not match rejects with RpcInvalidResult (naming topic,
 * method and what is wrong): to the caller, a call that failed.
 */
import type { Bus, CallOptions, CastOptions, FanoutOptions, RpcArgs } from '../bus.js';
import { RpcInvalidResult } from '../errors.js';
import type { ArgsOf, Delivery, Methods, MethodsBy, MethodSpec, ResultOf, RpcApi } from './define.js';
import { mismatch } from './validate.js';

export interface ContractCastOptions extends CastOptions {
  /** Another topic than the contract's: a consumer that registered its own (a DHCP agent's reported `topic`). */
  readonly topic?: string;
}

export interface ContractClient<M extends Methods> {
  call<K extends MethodsBy<M, 'call'>>(method: K, args: ArgsOf<M[K]>, options?: CallOptions): Promise<ResultOf<M[K]>>;
  cast<K extends MethodsBy<M, 'cast'>>(method: K, args: ArgsOf<M[K]>, options?: ContractCastOptions): Promise<void>;
  fanout<K extends MethodsBy<M, 'fanout'>>(method: K, args: ArgsOf<M[K]>, options?: FanoutOptions): Promise<void>;
}

export function clientOf<M extends Methods>(bus: Bus, api: RpcApi<M>): ContractClient<M> {
  const specOf = (method: string, delivery: Delivery): MethodSpec => {
    const spec = Object.hasOwn(api.methods, method) ? api.methods[method] : undefined;
    if (!spec || !spec.delivery.includes(delivery)) throw new Error(`${api.name} has no ${method} delivered by ${delivery}`);
    return spec;
  };
  // Static<TObject> is an object of named arguments: what the bus sends.
  const wire = (args: unknown): RpcArgs => args as RpcArgs;
  return {
    call: async (method, args, options) => {
      const spec = specOf(method, 'call');
      const result: unknown = await bus.call(spec.topic, method, wire(args), { version: spec.version, ...options });
      const reason = mismatch(spec.result, result, 'result');
      if (reason !== undefined) throw new RpcInvalidResult(spec.topic, method, reason);
      return result as ResultOf<M[typeof method]>;
    },
    cast: (method, args, options = {}) => {
      const spec = specOf(method, 'cast');
      const { topic, ...rest } = options;
      return bus.cast(topic ?? spec.topic, method, wire(args), { version: spec.version, ...rest });
    },
    fanout: (method, args, options) => {
      const spec = specOf(method, 'fanout');
      return bus.fanout(spec.topic, method, wire(args), { version: spec.version, ...options });
    },
  };
}
