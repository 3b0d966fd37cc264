/**
 * The metrics of every agent's reconcile loop (reconciler.ts), labelled by
 * the reconciler's name (`linuxbridge`, `dhcp-agent`, `l3-agent`):
 *
 *   nucleon_agent_passes_total{reconciler,trigger,outcome}  trigger: start|kick|periodic|sync
 *   nucleon_agent_pass_duration_seconds{reconciler}
 *   nucleon_agent_plan_steps{reconciler}                     steps in each applied plan
 *   nucleon_agent_apply_duration_seconds{reconciler}
 *   nucleon_agent_drift_repairs_total{reconciler}            periodic passes that found something to change
 *   nucleon_agent_server_unreachable_total{source}           RPC calls to the server that timed out
 *
 * The metric objects belong to no registry until a process registers them
 * in its own (`register`), so a unit test can give a reconciler a fresh set.
 */
import { Counter, Histogram, type Metric, type Registry } from 'prom-client';

import { LATENCY_BUCKETS } from '../../common/metrics.js';

export type PassTrigger = 'start' | 'kick' | 'periodic' | 'sync';

export class ReconcilerMetrics {
  readonly passes = new Counter({
    name: 'nucleon_agent_passes_total',
    help: 'Reconcile passes, by what asked for them and how they ended (ok or error).',
    labelNames: ['reconciler', 'trigger', 'outcome'] as const,
    registers: [],
  });
  readonly passDuration = new Histogram({
    name: 'nucleon_agent_pass_duration_seconds',
    help: 'Time of a whole reconcile pass: reading the desired state over RPC, scanning the host, planning and applying.',
    labelNames: ['reconciler'] as const,
    buckets: [...LATENCY_BUCKETS, 30, 60],
    registers: [],
  });
  readonly planSteps = new Histogram({
    name: 'nucleon_agent_plan_steps',
    help: 'Steps in the plan of each pass that reported one (0: nothing to change).',
    labelNames: ['reconciler'] as const,
    buckets: [0, 1, 2, 5, 10, 25, 50, 100, 250, 1000],
    registers: [],
  });
  readonly applyDuration = new Histogram({
    name: 'nucleon_agent_apply_duration_seconds',
    help: 'Time spent applying a non-empty plan to the host.',
    labelNames: ['reconciler'] as const,
    buckets: [...LATENCY_BUCKETS, 30, 60],
    registers: [],
  });
  readonly driftRepairs = new Counter({
    name: 'nucleon_agent_drift_repairs_total',
    help: 'Periodic resyncs (no notification asked for them) whose plan changed something: drift repaired.',
    labelNames: ['reconciler'] as const,
    registers: [],
  });
  readonly serverUnreachable = new Counter({
    name: 'nucleon_agent_server_unreachable_total',
    help: 'Calls to the server that timed out or found no bus, by what made them (state reports, a reconciler).',
    labelNames: ['source'] as const,
    registers: [],
  });

  /** Adds these metrics to a process's registry. */
  register(registry: Registry): void {
    const metrics: Metric<string>[] = [this.passes, this.passDuration, this.planSteps, this.applyDuration, this.driftRepairs, this.serverUnreachable];
    for (const metric of metrics) registry.registerMetric(metric);
  }
}

/**
 * The metrics of the agents of this process. The agents build their own
 * reconcilers and reporters, so those use this set unless given another;
 * the composition root (server/) registers it in the registry it serves.
 */
export const processReconcilerMetrics = new ReconcilerMetrics();
