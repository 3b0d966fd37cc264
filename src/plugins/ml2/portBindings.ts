/**
 * binding-extended (ML2's create_port_binding, get_port_bindings,
 * get_port_binding, activate, delete_port_binding): a port's bindings, one
 * per host, as Nova's live migration drives them. The ACTIVE binding is the
 * port's own (its binding_* columns, what `binding:*` shows); the INACTIVE
 * ones are rows of inactive_port_bindings, each bound when created by the
 * mechanism drivers for its host, as the port's binding is. Activating one
 * makes it the port's binding (a port update, with its events: agents and
 * Nova hear of it) and the previous one INACTIVE and unbound.
 *
 * Only compute and shared-filesystem ports have several bindings (400
 * otherwise). Deleting the ACTIVE binding unbinds the port (upstream leaves
 * it with no binding row at all).
 */
import type { Selectable } from 'kysely';

import type { RequestContext } from '../../common/context.js';
import { PortNotFound } from '../../common/errors.js';
import type { Db, InactivePortBindingsTable, Tx } from '../../db/schema.js';
import type { ApiObject, Collection, ListRequest, NestedCollection } from '../collection.js';
import type { CoreDeps, PortBinding } from '../core/deps.js';
import { MarkerNotFound } from '../core/listRows.js';
import type { PortService } from '../core/ports.js';
import {
  PortBindingAlreadyActive,
  PortBindingAlreadyExists,
  PortBindingError,
  PortBindingNotFound,
  PortBindingsNotSupported,
} from './errors.js';

const UNBOUND: PortBinding = { vifType: 'unbound', vifDetails: {} };
/** binding:vif_type of a binding nothing has plugged (portbindings.VIF_UNPLUGGED_TYPES). */
const UNPLUGGED_VIF_TYPES: readonly string[] = ['unbound', 'binding_failed'];

/** Device owners whose ports may have several bindings (compute and shared filesystem ports). */
const MULTIPLE_BINDING_OWNERS = ['compute:', 'manila:'];

export type BindingStatus = 'ACTIVE' | 'INACTIVE';

/** A binding as the API shows it, in upstream's key order. */
export interface PortBindingObject extends ApiObject {
  host: string;
  vif_type: string;
  vnic_type: string;
  status: BindingStatus;
  profile: Record<string, unknown>;
  vif_details: Record<string, unknown>;
}

type InactiveRow = Selectable<InactivePortBindingsTable>;

interface PortBindingRow {
  readonly id: string;
  readonly network_id: string;
  readonly device_owner: string;
  readonly binding_host_id: string;
  readonly binding_vnic_type: string;
  readonly binding_profile: string;
  readonly binding_vif_type: string;
  readonly binding_vif_details: string;
}

const parseDict = (text: string): Record<string, unknown> => {
  const value: unknown = JSON.parse(text);
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
};

const activeBinding = (row: PortBindingRow): PortBindingObject => ({
  host: row.binding_host_id,
  vif_type: row.binding_vif_type,
  vnic_type: row.binding_vnic_type,
  status: 'ACTIVE',
  profile: parseDict(row.binding_profile),
  vif_details: parseDict(row.binding_vif_details),
});

const inactiveBinding = (row: InactiveRow): PortBindingObject => ({
  host: row.host,
  vif_type: row.vif_type,
  vnic_type: row.vnic_type,
  status: 'INACTIVE',
  profile: parseDict(row.profile),
  vif_details: parseDict(row.vif_details),
});

async function portRow(db: Db, portId: string): Promise<PortBindingRow> {
  const row = await db
    .selectFrom('ports')
    .select([
      'id',
      'network_id',
      'device_owner',
      'binding_host_id',
      'binding_vnic_type',
      'binding_profile',
      'binding_vif_type',
      'binding_vif_details',
    ])
    .where('id', '=', portId)
    .executeTakeFirst();
  if (row === undefined) throw new PortNotFound(portId);
  if (!MULTIPLE_BINDING_OWNERS.some((prefix) => row.device_owner.startsWith(prefix))) throw new PortBindingsNotSupported(portId);
  return row;
}

const inactiveRow = (db: Db, portId: string, host: string): Promise<InactiveRow | undefined> =>
  db.selectFrom('inactive_port_bindings').selectAll().where('port_id', '=', portId).where('host', '=', host).executeTakeFirst();

/** Filters, marker and limit over one port's few bindings, in memory, by host. */
function page(bindings: readonly PortBindingObject[], query: ListRequest): PortBindingObject[] {
  const sorted = bindings
    .filter((b) => [...query.filters].every(([attr, values]) => values.some((value) => String(value) === String(b[attr]))))
    .sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  const limit = query.limit !== undefined && query.limit > 0 ? query.limit : undefined;
  if (limit === undefined) return sorted;
  if (query.marker === undefined) return query.pageReverse ? sorted.slice(-limit) : sorted.slice(0, limit);
  const at = sorted.findIndex((b) => b.host === query.marker);
  if (at < 0) throw new MarkerNotFound(query.marker);
  return query.pageReverse ? sorted.slice(Math.max(0, at - limit), at) : sorted.slice(at + 1, at + 1 + limit);
}

export class PortBindings implements NestedCollection {
  constructor(
    private readonly deps: CoreDeps,
    private readonly ports: PortService,
  ) {
    // A port bound to a host by a port update (binding:host_id) has its binding there: an INACTIVE one for that host goes.
    deps.events.on('port.precommit_update', async ({ tx, original, current }) => {
      const host = current['binding:host_id'];
      if (typeof host !== 'string' || host === original?.['binding:host_id']) return;
      await tx.deleteFrom('inactive_port_bindings').where('port_id', '=', String(current.id)).where('host', '=', host).execute();
    });
  }

  within(portId: string): Collection {
    return {
      list: (ctx, query) => this.list(ctx, portId, query),
      show: (ctx, host) => this.show(ctx, portId, host),
      create: (ctx, items) => this.create(ctx, portId, items),
      update: (ctx, host, changes) => this.update(ctx, portId, host, changes),
      delete: (ctx, host) => this.delete(ctx, portId, host),
      actions: { activate: (ctx, host) => this.activate(ctx, portId, host) },
    };
  }

  async list(ctx: RequestContext, portId: string, query: ListRequest): Promise<ApiObject[]> {
    await this.ports.show(ctx, portId);
    const row = await portRow(this.deps.db, portId);
    const inactive = await this.deps.db.selectFrom('inactive_port_bindings').selectAll().where('port_id', '=', portId).execute();
    return page([activeBinding(row), ...inactive.map(inactiveBinding)], query);
  }

  async show(ctx: RequestContext, portId: string, host: string): Promise<PortBindingObject> {
    await this.ports.show(ctx, portId);
    const row = await portRow(this.deps.db, portId);
    if (row.binding_host_id === host) return activeBinding(row);
    const inactive = await inactiveRow(this.deps.db, portId, host);
    if (inactive === undefined) throw new PortBindingNotFound(portId, host);
    return inactiveBinding(inactive);
  }

  /** An INACTIVE binding per item, bound for its host by the mechanism drivers (PortBindingError when none can). */
  async create(ctx: RequestContext, portId: string, items: readonly ApiObject[]): Promise<ApiObject[]> {
    // The caller must see the port: asked before the transaction, which on SQLite holds the only connection.
    await this.ports.show(ctx, portId);
    return this.deps.transaction(async (tx) => {
      const created: PortBindingObject[] = [];
      for (const item of items) created.push(await this.createOne(tx, portId, item));
      return created;
    });
  }

  private async createOne(tx: Tx, portId: string, item: ApiObject): Promise<PortBindingObject> {
    const host = String(item.host);
    const vnicType = typeof item.vnic_type === 'string' ? item.vnic_type : 'normal';
    const row = await portRow(tx, portId);
    if (row.binding_host_id === host || (await inactiveRow(tx, portId, host)) !== undefined) throw new PortBindingAlreadyExists(portId, host);
    const bound = await this.bind(tx, row, host, vnicType);
    const stored: InactiveRow = {
      port_id: portId,
      host,
      vnic_type: vnicType,
      // null clears it, as upstream's dict_or_none does.
      profile: JSON.stringify(item.profile ?? {}),
      vif_type: bound.vifType,
      vif_details: JSON.stringify(bound.vifDetails),
    };
    await tx.insertInto('inactive_port_bindings').values(stored).execute();
    return inactiveBinding(stored);
  }

  /**
   * A binding's vnic_type and profile (ML2's update_port_binding): the
   * ACTIVE one's as a port update changes them (and binds it again when
   * that would); an INACTIVE one keeps what the drivers decided unless it
   * was never bound (the one activation left behind), which is bound now.
   */
  async update(ctx: RequestContext, portId: string, host: string, changes: ApiObject): Promise<ApiObject> {
    await this.ports.show(ctx, portId);
    const row = await portRow(this.deps.db, portId);
    if (row.binding_host_id === host) {
      const patch: ApiObject = {};
      if ('vnic_type' in changes) patch['binding:vnic_type'] = changes.vnic_type;
      if ('profile' in changes) patch['binding:profile'] = changes.profile ?? {};
      if (Object.keys(patch).length > 0) await this.ports.update(ctx, portId, patch);
      return activeBinding(await portRow(this.deps.db, portId));
    }
    return this.deps.transaction(async (tx) => {
      const port = await portRow(tx, portId);
      const existing = await inactiveRow(tx, portId, host);
      if (existing === undefined) throw new PortBindingNotFound(portId, host);
      const next: InactiveRow = {
        ...existing,
        vnic_type: typeof changes.vnic_type === 'string' ? changes.vnic_type : existing.vnic_type,
        profile: 'profile' in changes ? JSON.stringify(changes.profile ?? {}) : existing.profile,
      };
      if (UNPLUGGED_VIF_TYPES.includes(next.vif_type)) {
        const bound = await this.bind(tx, port, host, next.vnic_type);
        next.vif_type = bound.vifType;
        next.vif_details = JSON.stringify(bound.vifDetails);
      }
      await tx
        .updateTable('inactive_port_bindings')
        .set({ vnic_type: next.vnic_type, profile: next.profile, vif_type: next.vif_type, vif_details: next.vif_details })
        .where('port_id', '=', portId)
        .where('host', '=', host)
        .execute();
      return inactiveBinding(next);
    });
  }

  /** What the mechanism drivers decide for the port on the host; PortBindingError when none binds it. */
  private async bind(tx: Tx, port: PortBindingRow, host: string, vnicType: string): Promise<PortBinding> {
    const binder = this.deps.binding.bind;
    const bound = binder === undefined ? UNBOUND : await binder(tx, { portId: port.id, networkId: port.network_id, hostId: host, vnicType });
    if (bound.vifType === 'binding_failed') throw new PortBindingError(port.id, host);
    return bound;
  }

  /**
   * The named INACTIVE binding becomes the port's (ACTIVE), the port goes
   * DOWN until the new host's agent wires it, and the binding it had stays
   * as an INACTIVE, unbound one (bound again if it is activated back).
   */
  async activate(ctx: RequestContext, portId: string, host: string): Promise<ApiObject> {
    await this.ports.show(ctx, portId);
    const { original, current, binding } = await this.deps.transaction(async (tx) => {
      const row = await portRow(tx, portId);
      if (row.binding_host_id === host) throw new PortBindingAlreadyActive(portId, host);
      const found = await inactiveRow(tx, portId, host);
      if (found === undefined) throw new PortBindingNotFound(portId, host);
      // One an earlier activation left unbound (Nova rolling back to the source) is bound now, as ML2 would before wiring it.
      const bound = UNPLUGGED_VIF_TYPES.includes(found.vif_type) ? await this.bind(tx, row, host, found.vnic_type) : undefined;
      const next = bound === undefined ? found : { ...found, vif_type: bound.vifType, vif_details: JSON.stringify(bound.vifDetails) };
      await tx.deleteFrom('inactive_port_bindings').where('port_id', '=', portId).where('host', '=', host).execute();
      await tx
        .insertInto('inactive_port_bindings')
        .values({
          port_id: portId,
          host: row.binding_host_id,
          vnic_type: row.binding_vnic_type,
          profile: row.binding_profile,
          vif_type: 'unbound',
          vif_details: '{}',
        })
        .execute();
      const changed = await this.ports.changeWithin(tx, ctx, portId, {
        'binding:host_id': next.host,
        'binding:vnic_type': next.vnic_type,
        'binding:profile': parseDict(next.profile),
        'binding:vif_type': next.vif_type,
        'binding:vif_details': parseDict(next.vif_details),
        status: 'DOWN',
      });
      return { ...changed, binding: { ...inactiveBinding(next), status: 'ACTIVE' as const } };
    });
    await this.ports.notify(ctx, [{ op: 'update', original, current }]);
    return { binding };
  }

  /** An INACTIVE binding is removed; the ACTIVE one unbinds the port. */
  async delete(ctx: RequestContext, portId: string, host: string): Promise<void> {
    await this.ports.show(ctx, portId);
    const unbound = await this.deps.transaction(async (tx) => {
      const row = await portRow(tx, portId);
      if (row.binding_host_id !== host) {
        const removed = await tx.deleteFrom('inactive_port_bindings').where('port_id', '=', portId).where('host', '=', host).executeTakeFirst();
        if (removed.numDeletedRows === 0n) throw new PortBindingNotFound(portId, host);
        return undefined;
      }
      return this.ports.changeWithin(tx, ctx, portId, {
        'binding:host_id': '',
        'binding:vif_type': 'unbound',
        'binding:vif_details': {},
        status: 'DOWN',
      });
    });
    if (unbound !== undefined) await this.ports.notify(ctx, [{ op: 'update', original: unbound.original, current: unbound.current }]);
  }
}
