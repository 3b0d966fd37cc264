/**
 * What the server and the agents share about Prometheus metrics
 * (docs/observability.md): a registry per process (never prom-client's
 * global one, so two servers in one test process do not collide), the
 * process's own metrics on request, and the small interface the HTTP layers
 * serve /metrics through. Metric names start with `nucleon_`.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';

/** What an HTTP layer needs to serve /metrics, without knowing prom-client. */
export interface MetricsSource {
  readonly contentType: string;
  /** The exposition text (collectors may query the database). */
  render(): Promise<string>;
}

export function newRegistry(options: { readonly processMetrics: boolean }): Registry {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  return registry;
}

/** The registries of one process (the all-in-one's server and agents) served as one. */
export function metricsSource(...registries: readonly Registry[]): MetricsSource {
  const merged = registries.length === 1 ? registries[0]! : Registry.merge([...registries]);
  return { contentType: merged.contentType, render: () => merged.metrics() };
}

/** Seconds, from 1 ms to 10 s: API requests, database queries, RPC calls, agent passes. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
