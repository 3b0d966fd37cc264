/**
 * What the API acknowledged during a load, so a check afterwards can tell a
 * lost write from an uncertain one. A 2xx create means the object must exist
 * unless a later acknowledged delete removed it; a 2xx delete means it must
 * be gone. A request that got no answer or a 5xx may or may not have
 * happened: the object's state becomes 'uncertain' and nothing is expected of
 * it (nor of its name after an uncertain update).
 */

/** The collections the load writes, by their URL name. */
export type LedgerCollection =
  | 'networks'
  | 'subnets'
  | 'ports'
  | 'security-groups'
  | 'security-group-rules'
  | 'routers'
  | 'floatingips'
  | 'subnetpools';

export interface LedgerEntry {
  readonly id: string;
  readonly collection: LedgerCollection;
  /** The network of a subnet or port, the group of a rule: Neutron deletes them with it. */
  readonly parentId?: string;
  state: 'live' | 'deleted' | 'uncertain';
  /** The name the last acknowledged update gave it; undefined after an update of unknown outcome. */
  name: string | undefined;
}

export class Ledger {
  private readonly entries = new Map<string, LedgerEntry>();

  created(collection: LedgerCollection, id: string, name: string, parentId?: string): void {
    this.entries.set(id, { id, collection, state: 'live', name, ...(parentId === undefined ? {} : { parentId }) });
  }

  renamed(id: string, name: string, acknowledged: boolean): void {
    const entry = this.entries.get(id);
    if (entry) entry.name = acknowledged ? name : undefined;
  }

  /**
   * A delete's outcome. A 404 confirms the object gone only when an earlier
   * delete of it went unanswered; otherwise the object vanished without an
   * acknowledged delete and stays 'live' here, for the check to report.
   */
  deleteAnswered(id: string, outcome: 'deleted' | 'not-found' | 'unknown'): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    if (outcome === 'deleted') this.markDeleted(entry);
    else if (outcome === 'unknown') entry.state = 'uncertain';
    else if (entry.state === 'uncertain') entry.state = 'deleted';
  }

  private markDeleted(entry: LedgerEntry): void {
    entry.state = 'deleted';
    // A network goes with its subnets (Neutron refuses while other ports remain), a security group with its rules.
    for (const other of this.entries.values()) {
      if (other.parentId === entry.id) other.state = 'deleted';
    }
  }

  all(): LedgerEntry[] {
    return [...this.entries.values()].map((entry) => ({ ...entry }));
  }
}
