/**
 * The port changes of one request, kept from the transaction attempt that
 * runs last (a retried transaction starts over), announced after commit.
 */
import type { Tx } from '../../db/schema.js';
import type { PortChange } from '../core/ports.js';

export class PendingPorts {
  private tx: Tx | undefined;
  private changes: PortChange[] = [];

  in(tx: Tx): PortChange[] {
    if (this.tx !== tx) {
      this.tx = tx;
      this.changes = [];
    }
    return this.changes;
  }

  get committed(): readonly PortChange[] {
    return this.changes;
  }
}
