/**
 * Prometheus metrics (docs/observability.md). The server serves them at
 * /metrics on its API port unless turned off or moved to a listener of their
 * own; each agent serves them only when [agent] metrics_listen is set.
 * Addresses are host:port strings, checked by server/metricsListen.ts.
 */
import type { OptionGroup } from './types.js';

/** The server's (neutron.conf). */
export const serverMetricsOptions = [
  {
    section: 'metrics',
    name: 'enabled',
    type: { kind: 'boolean' },
    default: true,
    help:
      'Serve Prometheus metrics at /metrics. They need no token (Prometheus scrapes without one) and hold only ' +
      'counts and timings, no project data; set listen to keep them off the API port, or turn them off here.',
  },
  {
    section: 'metrics',
    name: 'listen',
    type: { kind: 'string' },
    help: 'host:port of a listener of their own for /metrics (e.g. 127.0.0.1:9697), instead of the API port. Unset: the API port.',
  },
  {
    section: 'metrics',
    name: 'process_metrics',
    type: { kind: 'boolean' },
    default: true,
    help: "Include the process's own metrics (CPU, memory, event loop lag, garbage collection, open files).",
  },
] as const satisfies OptionGroup;

/** Every agent's ([agent] in its own file: dhcp_agent.ini, linuxbridge_agent.ini, l3_agent.ini, metadata_agent.ini). */
export const agentMetricsOptions = [
  {
    section: 'agent',
    name: 'metrics_listen',
    type: { kind: 'string' },
    help:
      "host:port on which this agent serves Prometheus metrics at /metrics (its reconcile passes, plans, dnsmasq reloads, process). " +
      'Unset: no metrics listener. Ignored by the all-in-one, whose agents show in the server\'s /metrics.',
  },
  {
    section: 'agent',
    name: 'metrics_process',
    type: { kind: 'boolean' },
    default: true,
    help: "Include the process's own metrics (CPU, memory, event loop lag, garbage collection) in the agent's /metrics.",
  },
] as const satisfies OptionGroup;
