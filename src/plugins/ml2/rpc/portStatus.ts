/**
 * A port's `status` as its L2 agent reports it (ML2's update_port_status):
 * BUILD while the agent wires it, ACTIVE once wired, DOWN when the device
 * goes away. A change is one transaction that also bumps revision_number;
 * after commit, port.after_update carries the port before and after, so
 * l2population, the DHCP notifier or a Nova notifier can follow.
 */
import type { Selectable } from 'kysely';

import type { RequestContext } from '../../../common/context.js';
import type { PortsTable, Tx } from '../../../db/schema.js';
import type { ApiObject } from '../../collection.js';
import { chunksOf, loadInChunks } from '../../core/children.js';
import type { CoreDeps } from '../../core/deps.js';
import { notify } from '../../core/lifecycle.js';
import { nextRevision } from '../../core/revision.js';

export type PortStatus = 'ACTIVE' | 'BUILD' | 'DOWN';

type PortRow = Selectable<PortsTable>;

/** Presents port rows as the API shows them (PortService.present). */
export type PresentPorts = (rows: readonly PortRow[], db: CoreDeps['db']) => Promise<ApiObject[]>;

export type StatusChange =
  | { readonly kind: 'gone' }
  | { readonly kind: 'unchanged'; readonly port: PortRow }
  | { readonly kind: 'changed'; readonly port: PortRow; readonly original: ApiObject; readonly current: ApiObject };

/** What a status change alone changes in the port the API shows. */
const STATUS_ONLY = new Set(['status', 'updated_at', 'revision_number']);

/**
 * Whether an update changed nothing but the status (Neutron's
 * `_only_status_changed`): the subscribers of port.after_update that care
 * about port data (the DHCP and Nova notifiers) tell status reports apart
 * from other updates with it.
 */
export function onlyStatusChanged(original: ApiObject | undefined, current: ApiObject): boolean {
  if (!original) return false;
  const keys = Object.keys(current);
  if (keys.length !== Object.keys(original).length || !keys.every((k) => k in original)) return false;
  return keys.every((k) => STATUS_ONLY.has(k) || JSON.stringify(original[k]) === JSON.stringify(current[k]));
}

/**
 * The port as the API shows it after a status change: the attributes a
 * status change alone changes (STATUS_ONLY) taken from the updated row, the
 * rest as before. Presenting the port again would give the same object at
 * the cost of every child query, a thousand times over in an agent's resync.
 */
function withStatusOf(original: ApiObject, updated: PortRow): ApiObject {
  return { ...original, status: updated.status, updated_at: updated.updated_at, revision_number: updated.revision_number };
}

export class PortStatusUpdater {
  constructor(
    private readonly deps: CoreDeps,
    private readonly present: PresentPorts,
  ) {}

  /** Sets the status of port `portId` (a full id); events follow a change once it has committed. */
  async set(ctx: RequestContext, portId: string, status: PortStatus): Promise<StatusChange> {
    const change = await this.deps.transaction(async (tx): Promise<StatusChange> => {
      const row = await tx.selectFrom('ports').selectAll().where('id', '=', portId).executeTakeFirst();
      if (!row) return { kind: 'gone' };
      if (row.status === status) return { kind: 'unchanged', port: row };
      // Only from the status read: a concurrent change of the same port makes this one a no-op instead of a second event.
      const result = await tx
        .updateTable('ports')
        .set({ status, ...nextRevision() })
        .where('id', '=', portId)
        .where('status', '=', row.status)
        .executeTakeFirst();
      const updated = await tx.selectFrom('ports').selectAll().where('id', '=', portId).executeTakeFirst();
      if (!updated) return { kind: 'gone' };
      if (Number(result.numUpdatedRows) === 0) return { kind: 'unchanged', port: updated };
      const [original] = await this.present([row], tx);
      return { kind: 'changed', port: updated, original: original!, current: withStatusOf(original!, updated) };
    });
    if (change.kind === 'changed') {
      await notify(this.deps, 'port.after_update', { ctx, original: change.original, current: change.current });
    }
    return change;
  }

  /**
   * Sets many ports' status in one transaction (an agent reporting all of
   * its devices after a restart), with the same guarantees as set() for
   * each: a port changed concurrently is left to the other change, and
   * port.after_update follows each change after commit. Ports already at
   * `status` or gone are absent from the result.
   */
  async setMany(ctx: RequestContext, portIds: readonly string[], status: PortStatus): Promise<ChangedStatus[]> {
    if (portIds.length === 0) return [];
    let changes: ChangedStatus[];
    try {
      changes = await this.deps.transaction((tx) => this.changeMany(tx, portIds, status, 'together'));
    } catch (err) {
      if (!(err instanceof ChangedMeanwhile)) throw err;
      changes = await this.deps.transaction((tx) => this.changeMany(tx, portIds, status, 'one by one'));
    }
    for (const change of changes) {
      await notify(this.deps, 'port.after_update', { ctx, original: change.original, current: change.current });
    }
    return changes;
  }

  /**
   * `together`: one UPDATE for all the ports that were at one status, which
   * throws ChangedMeanwhile (rolling it back) when it changed fewer than it
   * read: some port changed since, and only one statement per port can
   * tell which. A resync of 100 ports is then a few statements, not 100.
   */
  private async changeMany(tx: Tx, portIds: readonly string[], status: PortStatus, how: 'together' | 'one by one'): Promise<ChangedStatus[]> {
    const before = await loadInChunks(portIds, (chunk) => tx.selectFrom('ports').selectAll().where('id', 'in', chunk).where('status', '!=', status).execute());
    if (before.length === 0) return [];
    const changed = new Set<string>();
    if (how === 'together') {
      for (const from of new Set(before.map((row) => row.status))) {
        const ids = before.filter((row) => row.status === from).map((row) => row.id);
        for (const chunk of chunksOf(ids)) {
          const result = await tx.updateTable('ports').set({ status, ...nextRevision() }).where('id', 'in', chunk).where('status', '=', from).executeTakeFirst();
          if (Number(result.numUpdatedRows) !== chunk.length) throw new ChangedMeanwhile();
        }
        ids.forEach((id) => changed.add(id));
      }
    } else {
      // Each port's statement knows whether it won against a concurrent change.
      for (const row of before) {
        const result = await tx.updateTable('ports').set({ status, ...nextRevision() }).where('id', '=', row.id).where('status', '=', row.status).executeTakeFirst();
        if (Number(result.numUpdatedRows) > 0) changed.add(row.id);
      }
    }
    const originals = before.filter((row) => changed.has(row.id));
    const after = await loadInChunks([...changed], (chunk) => tx.selectFrom('ports').selectAll().where('id', 'in', chunk).execute());
    const afterById = new Map(after.map((row) => [row.id, row]));
    const presented = await this.present(originals, tx);
    return originals.map((row, i) => {
      const port = afterById.get(row.id)!;
      return { kind: 'changed' as const, port, original: presented[i]!, current: withStatusOf(presented[i]!, port) };
    });
  }
}

type ChangedStatus = Extract<StatusChange, { kind: 'changed' }>;

/** A port changed between setMany's read and its update: the transaction is done again one port at a time. */
class ChangedMeanwhile extends Error {}
