/**
 * An agent that cannot reach the server says so once, then at intervals with
 * a count, then once more when it gets through again; not once per failed
 * attempt (a reconciler kicked by notifications, or a state report every few
 * seconds, would otherwise write a line per try for as long as the server or
 * the bus is away). Only failures to get an answer count here: a timeout, a
 * full outgoing buffer, no broker. An error the server answered with is
 * something else and is logged where it happens.
 */
import type { Logger } from 'pino';

import { RpcBufferFull, RpcConnectError, RpcTimeout } from '../../rpc/errors.js';

/** True for a call that got no answer from the server (as opposed to an answer that is an error). */
export const isServerUnreachable = (err: unknown): boolean =>
  err instanceof RpcTimeout || err instanceof RpcBufferFull || err instanceof RpcConnectError;

export const UNREACHABLE_LOG_INTERVAL_MS = 60_000;

export class UnreachableLog {
  private failures = 0;
  private failuresSinceLine = 0;
  private firstAt = 0;
  private lastLineAt = 0;

  constructor(
    private readonly log: Pick<Logger, 'warn' | 'info'>,
    /** What was calling, for the message: `state reports`, `dhcp-agent pass`. */
    private readonly what: string,
    private readonly onFailure: () => void = () => undefined,
    private readonly intervalMs: number = UNREACHABLE_LOG_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** A call went unanswered. */
  failed(err: unknown): void {
    this.onFailure();
    const now = this.now();
    const reason = err instanceof Error ? err.message : String(err);
    this.failures++;
    this.failuresSinceLine++;
    if (this.failures === 1) {
      this.firstAt = now;
      this.lastLineAt = now;
      this.failuresSinceLine = 0;
      this.log.warn(
        { source: this.what, reason },
        `cannot reach the server (${this.what}): ${reason}; retrying, and saying so again every ${Math.round(this.intervalMs / 1000)} s`,
      );
      return;
    }
    if (now - this.lastLineAt < this.intervalMs) return;
    const seconds = Math.round((now - this.firstAt) / 1000);
    this.log.warn(
      { source: this.what, reason, failures: this.failures, recentFailures: this.failuresSinceLine, downSeconds: seconds },
      `still cannot reach the server (${this.what}): ${this.failuresSinceLine} more failed attempts, ${this.failures} in ${seconds} s; last: ${reason}`,
    );
    this.lastLineAt = now;
    this.failuresSinceLine = 0;
  }

  /** A call was answered: says so if calls had failed. */
  succeeded(): void {
    if (this.failures === 0) return;
    const seconds = Math.round((this.now() - this.firstAt) / 1000);
    this.log.info(
      { source: this.what, failures: this.failures, downSeconds: seconds },
      `reached the server again (${this.what}) after ${this.failures} failed attempts in ${seconds} s`,
    );
    this.failures = 0;
    this.failuresSinceLine = 0;
  }
}
