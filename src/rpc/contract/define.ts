/**
 * How an RPC API is written down (the files next to this one hold the
 * APIs): for each method, the topic it travels on, how it is delivered, the
 * version Neutron's client asks for when it sends it, and the schemas of its
 * arguments and result. A schema is a TypeBox value: JSON Schema at run
 * time (serve.ts and client.ts check payloads with it) and, through
 * `Static`, the TypeScript type both sides are written against.
 *
 *   export const reportsApi = defineApi('PluginReportStateAPI', {
 *     report_state: defineMethod({ topic: REPORTS, delivery: ['call', 'cast'], version: '1.2',
 *                                  args: ReportStateArgs, result: ReportResult }),
 *   }, '1.2');
 *
 * Schemas are as permissive as Neutron's peers need (other keys pass: a
 * Neutron server sends more than our agents read) and strict on what the
 * receiving side reads.
 */
import type { Static, TObject, TSchema } from 'typebox';

/** call: request/response; cast: one-way to one consumer (or `topic.<server>`); fanout: one-way to every subscriber. */
export type Delivery = 'call' | 'cast' | 'fanout';

export interface MethodSpec<A extends TObject = TObject, R extends TSchema = TSchema, D extends readonly Delivery[] = readonly Delivery[]> {
  /** The topic the method is sent on and served at (topics.ts). */
  readonly topic: string;
  /** How senders may deliver it; a served topic subscribes to its fanout when one of its methods is fanned out. */
  readonly delivery: D;
  /** The RPC API version Neutron's client sends the method with (its `prepare(version=...)`, else the API's target). */
  readonly version: string;
  /** The method's keyword arguments, as one object. */
  readonly args: A;
  /** A call's answer; `Type.Null()` for casts and fanouts (what their handlers return is dropped). */
  readonly result: R;
}

export type Methods = Readonly<Record<string, MethodSpec>>;

export interface RpcApi<M extends Methods = Methods> {
  /** Neutron's name for the API (its client class), for people reading logs and code. */
  readonly name: string;
  /**
   * The version the serving endpoint implements (oslo's target version on
   * Neutron's side): requests for a newer minor are refused with
   * UnsupportedVersion, as Neutron refuses them.
   */
  readonly version: string;
  readonly methods: M;
}

export type ArgsOf<S extends MethodSpec> = Static<S['args']>;
export type ResultOf<S extends MethodSpec> = Static<S['result']>;

/** The methods of `M` that may be delivered as `D`. */
export type MethodsBy<M extends Methods, D extends Delivery> = {
  [K in keyof M]: D extends M[K]['delivery'][number] ? K : never;
}[keyof M] &
  string;

/** One method; `const` keeps the delivery list literal so that clients offer only what it allows. */
export function defineMethod<A extends TObject, R extends TSchema, const D extends readonly Delivery[]>(spec: MethodSpec<A, R, D>): MethodSpec<A, R, D> {
  return spec;
}

/** `version`: the serving endpoint's; by default the newest any of its methods is sent with. */
export function defineApi<M extends Methods>(name: string, methods: M, version?: string): RpcApi<M> {
  const newest = Object.values(methods)
    .map((spec) => spec.version)
    .reduce((a, b) => (compareVersions(a, b) >= 0 ? a : b), '1.0');
  return { name, version: version ?? newest, methods };
}

function compareVersions(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}
