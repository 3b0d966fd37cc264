/**
 * The loop every agent runs (architecture.md, "Agents are reconcilers"):
 * one pass reads what should be (over RPC) and what is (through host/), and
 * applies the difference. Passes never overlap. A pass runs every
 * `intervalMs` (the periodic resync that repairs drift) and soon after a
 * `kick()` (a notification from the server); kicks that arrive while a pass
 * is waiting or running are folded into the next pass, so a burst of 1000
 * notifications costs a handful of passes, not 1000.
 */
import type { Logger } from 'pino';

export interface ReconcilerOptions {
  readonly name: string;
  /** The periodic resync; 0 turns it off (kicks only). */
  readonly intervalMs: number;
  /** How long a kick waits for more kicks before the pass starts. */
  readonly settleMs?: number;
  readonly pass: () => Promise<void>;
  readonly log: Logger;
}

export class Reconciler {
  private timer: NodeJS.Timeout | undefined;
  private kickTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private pending = false;
  private stopped = true;
  private waiters: (() => void)[] = [];
  /** Passes completed (with or without error), for tests and benchmarks. */
  passes = 0;

  constructor(private readonly options: ReconcilerOptions) {}

  /** Starts the loop with a first pass right away. */
  start(): void {
    this.stopped = false;
    if (this.options.intervalMs > 0) {
      this.timer = setInterval(() => this.request(), this.options.intervalMs);
      this.timer.unref();
    }
    this.request();
  }

  /** Asks for a pass soon (after the settle time). */
  kick(): void {
    if (this.stopped || this.kickTimer) return;
    this.kickTimer = setTimeout(() => {
      this.kickTimer = undefined;
      this.request();
    }, this.options.settleMs ?? 0);
  }

  /** Resolves after a pass that started after this call has finished. */
  sync(): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.request();
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

  private request(): void {
    if (this.stopped && this.waiters.length === 0) return;
    if (this.running) {
      this.pending = true;
      return;
    }
    const waiters = this.waiters.splice(0);
    this.running = this.runPass().finally(() => {
      this.running = undefined;
      for (const waiter of waiters) waiter();
      if (this.pending) {
        this.pending = false;
        this.request();
      }
    });
  }

  private async runPass(): Promise<void> {
    const started = performance.now();
    try {
      await this.options.pass();
      this.options.log.debug({ reconciler: this.options.name, ms: Math.round(performance.now() - started) }, 'pass done');
    } catch (err) {
      this.options.log.error({ err, reconciler: this.options.name }, 'pass failed; the next one retries');
    } finally {
      this.passes++;
    }
  }
}
