/**
 * Sends queued events in batches, at most one batch per interval, as
 * Neutron's BatchNotifier does: the first event of a quiet period goes out
 * at once (with whatever else was queued in the same tick); events queued
 * while a batch is being sent, or during the interval after it, wait and go
 * together in the next batch. One sender runs at a time, so a slow or
 * retrying send holds the next batch back instead of overlapping it.
 *
 * `queue` never throws and never waits: callers (after-commit event
 * subscribers) are never held up by the receiver. A failing `send` is
 * logged and the loop goes on.
 */
export interface BatchLogger {
  error(obj: object, msg: string): void;
}

export class BatchNotifier<E> {
  private pending: E[] = [];
  private running: Promise<void> | undefined;
  private closed = false;
  private wake: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Batches handed to `send` (for tests and logs). */
  batches = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly send: (batch: E[]) => Promise<void>,
    private readonly log: BatchLogger,
  ) {}

  /** Queues `event` for the next batch; undefined (nothing to say) is ignored. */
  queue(event: E | undefined): void {
    if (event === undefined || this.closed) return;
    this.pending.push(event);
    if (this.running === undefined) this.start();
  }

  private start(): void {
    this.running = this.run().finally(() => {
      this.running = undefined;
      // An event queued after the loop's last look, while it was finishing, starts the next one.
      if (this.pending.length > 0 && !this.closed) this.start();
    });
  }

  /** Events waiting for the next batch. */
  get size(): number {
    return this.pending.length;
  }

  /**
   * Stops: events not sent yet are dropped (their number is returned), the
   * interval's wait ends at once, a send under way is awaited (its caller
   * should make it stop, as the Nova notifier aborts its retries).
   */
  async close(): Promise<number> {
    this.closed = true;
    const dropped = this.pending.length;
    this.pending = [];
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
    await this.running;
    return dropped;
  }

  private async run(): Promise<void> {
    // Lets the rest of this tick queue its events too: a bulk request's ports make one batch.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.pending.length > 0 && !this.closed) {
      const batch = this.pending;
      this.pending = [];
      this.batches += 1;
      try {
        await this.send(batch);
      } catch (err) {
        this.log.error({ err, events: batch.length }, 'sending a batch of events failed');
      }
      if (this.closed) return;
      // Waiting after a send lets the next events gather into one batch.
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, this.intervalMs);
        this.timer.unref();
      });
      this.wake = undefined;
      this.timer = undefined;
    }
  }
}
