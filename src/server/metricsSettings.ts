/**
 * [metrics] (the server) and [agent] metrics_listen (each agent) as typed
 * settings; an address that is not host:port stops the process naming the
 * file, section and option, as every other bad value does.
 */
import type { LoadedConfig } from '../config/load.js';
import type { agentMetricsOptions, serverMetricsOptions } from '../config/metricsOptions.js';
import type { DeclsOf } from '../config/types.js';
import { type ListenAddress, parseListenAddress } from './metricsListener.js';

export interface ServerMetricsSettings {
  readonly enabled: boolean;
  /** A listener of their own; undefined: /metrics on the API port. */
  readonly listen?: ListenAddress;
  readonly processMetrics: boolean;
}

export function serverMetricsSettings(loaded: LoadedConfig<DeclsOf<readonly [typeof serverMetricsOptions]>>): ServerMetricsSettings {
  const { enabled, listen, process_metrics: processMetrics } = loaded.config.metrics;
  const address = listen === undefined || listen.trim() === '' ? undefined : parseListenAddress(listen);
  if (address !== undefined && 'reason' in address) throw loaded.errorFor('metrics', 'listen', address.reason);
  return { enabled, processMetrics, ...(address ? { listen: address } : {}) };
}

export interface AgentMetricsSettings {
  /** undefined: no metrics listener (the default). */
  readonly listen?: ListenAddress;
  readonly processMetrics: boolean;
}

export function agentMetricsSettings(loaded: LoadedConfig<DeclsOf<readonly [typeof agentMetricsOptions]>>): AgentMetricsSettings {
  const { metrics_listen: listen, metrics_process: processMetrics } = loaded.config.agent;
  const address = listen === undefined || listen.trim() === '' ? undefined : parseListenAddress(listen);
  if (address !== undefined && 'reason' in address) throw loaded.errorFor('agent', 'metrics_listen', address.reason);
  return { processMetrics, ...(address ? { listen: address } : {}) };
}
