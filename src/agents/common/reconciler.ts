/**
 * The loop every agent runs (architecture.md, "Agents are reconcilers"):
 * one pass reads what should be (over RPC) and what is (through host/), and
 * applies the difference. Passes never overlap. A pass runs every
 * `intervalMs` (the periodic resync that repairs drift) and soon after a
 * `kick()` (a notification from the server); kicks that arrive while a pass
 * is waiting or running are folded into the next pass, so a burst of 1000
 * notifications costs a handful of passes, not 1000.
 *
 * A pass may return what it did (a PassReport: the size of its plan, the
 * time spent applying it); the loop counts passes, times them and, from the
 * reports, plan sizes, apply times and drift repairs (reconcilerMetrics.ts).
 * A pass that fails because the server does not answer is logged once and
 * then at intervals (unreachableLog.ts), not once per pass.
 */
import type { Logger } from 'pino';

import { type PassTrigger, processReconcilerMetrics, type ReconcilerMetrics } from './reconcilerMetrics.js';
import { isServerUnreachable, UnreachableLog } from './unreachableLog.js';

/** What a pass did, for the metrics. */
export interface PassReport {
  /** Steps in the plan it computed (0: nothing to change). */
  readonly planSteps: number;
  /** Time spent applying the plan, when it applied one. */
  readonly applyMs?: number;
}

export interface ReconcilerOptions {
  readonly name: string;
  /** The periodic resync; 0 turns it off (kicks only). */
  readonly intervalMs: number;
  /** How long a kick waits for more kicks before the pass starts. */
  readonly settleMs?: number;
  readonly pass: () => Promise<void | PassReport>;
  readonly log: Logger;
  /** Default: the process's agent metrics (reconcilerMetrics.ts). */
  readonly metrics?: ReconcilerMetrics;
}

export class Reconciler {
  private timer: NodeJS.Timeout | undefined;
  private kickTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private pending = false;
  private stopped = true;
  private waiters: (() => void)[] = [];
  /** What asked for the next pass; the first reason wins, except that anything but the timer makes it not a drift check. */
  private trigger: PassTrigger | undefined;
  private readonly metrics: ReconcilerMetrics;
  private readonly unreachable: UnreachableLog;
  /** Passes completed (with or without error), for tests and benchmarks. */
  passes = 0;

  constructor(private readonly options: ReconcilerOptions) {
    this.metrics = options.metrics ?? processReconcilerMetrics;
    const source = `${options.name} pass`;
    this.unreachable = new UnreachableLog(options.log, source, () => this.metrics.serverUnreachable.inc({ source }));
  }

  /** Starts the loop with a first pass right away. */
  start(): void {
    this.stopped = false;
    if (this.options.intervalMs > 0) {
      this.timer = setInterval(() => this.request('periodic'), this.options.intervalMs);
      this.timer.unref();
    }
    this.request('start');
  }

  /** Asks for a pass soon (after the settle time). */
  kick(): void {
    if (this.stopped || this.kickTimer) return;
    this.kickTimer = setTimeout(() => {
      this.kickTimer = undefined;
      this.request('kick');
    }, this.options.settleMs ?? 0);
  }

  /** Resolves after a pass that started after this call has finished. */
  sync(): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.request('sync');
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.kickTimer);
    this.kickTimer = undefined;
    await this.running;
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  private request(trigger?: PassTrigger): void {
    if (this.stopped && this.waiters.length === 0) return;
    // A periodic resync folded into a pass that something else asked for is not a drift check.
    if (trigger !== undefined && (this.trigger === undefined || this.trigger === 'periodic')) this.trigger = trigger;
    if (this.running) {
      this.pending = true;
      return;
    }
    const waiters = this.waiters.splice(0);
    const passTrigger = this.trigger ?? 'kick';
    this.trigger = undefined;
    this.running = this.runPass(passTrigger).finally(() => {
      this.running = undefined;
      for (const waiter of waiters) waiter();
      if (this.pending) {
        this.pending = false;
        this.request();
      }
    });
  }

  private async runPass(trigger: PassTrigger): Promise<void> {
    const reconciler = this.options.name;
    const started = performance.now();
    let outcome: 'ok' | 'error' = 'ok';
    try {
      const report = await this.options.pass();
      const ms = performance.now() - started;
      this.unreachable.succeeded();
      if (report) this.record(report, trigger);
      this.options.log.debug({ reconciler, trigger, ms: Math.round(ms), ...(report ? { planSteps: report.planSteps } : {}) }, 'pass done');
    } catch (err) {
      outcome = 'error';
      if (isServerUnreachable(err)) this.unreachable.failed(err);
      else this.options.log.error({ err, reconciler }, 'pass failed; the next one retries');
    } finally {
      this.passes++;
      this.metrics.passes.inc({ reconciler, trigger, outcome });
      this.metrics.passDuration.observe({ reconciler }, (performance.now() - started) / 1000);
    }
  }

  private record(report: PassReport, trigger: PassTrigger): void {
    const reconciler = this.options.name;
    this.metrics.planSteps.observe({ reconciler }, report.planSteps);
    if (report.applyMs !== undefined && report.planSteps > 0) this.metrics.applyDuration.observe({ reconciler }, report.applyMs / 1000);
    if (trigger === 'periodic' && report.planSteps > 0) this.metrics.driftRepairs.inc({ reconciler });
  }
}
