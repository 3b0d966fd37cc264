import type { RequestContext } from '../../common/context.js';
import { NetworkInUse, NetworkNotFound, PolicyNotAuthorized } from '../../common/errors.js';
import { newId } from '../../common/ids.js';
import { utcNow } from '../../common/time.js';
import type { NetworksTable, Tx } from '../../db/schema.js';
import type { Selectable, Updateable } from 'kysely';
import type { ApiObject, Collection, ListRequest } from '../collection.js';
import { groupByParent, loadTags } from './children.js';
import type { CoreDeps } from './deps.js';
import { type FilterCondition, listRows } from './listRows.js';
import { type StoredRows, storedRows } from './storedRows.js';
import { createAll, deleteOne, extend, updateOne } from './lifecycle.js';
import { checkRevision, nextRevision } from './revision.js';
import { grantToAll, makeExternal, makeInternal, unshare } from './networkRbac.js';
import { ACCESS_SHARED, booleanFilter, networkAccess, networksGranting, owns, sharedWith, targetsOf, visibleNetworks } from './visibility.js';

type NetworkRow = Selectable<NetworksTable>;

/** The columns no loaded extension may set (their extensions absent, or set only by plugins). */
const NEW_NETWORK = {
  router_external: 0,
  port_security_enabled: 1,
  dns_domain: '',
  description: '',
  availability_zone_hints: '[]',
};

/** Ports the network owns itself; they go away with it instead of blocking its deletion. */
const AUTO_DELETED_OWNERS = ['network:dhcp', 'network:distributed', 'network:floatingip_agent_gateway'];


export class NetworkService implements Collection {
  readonly keysetPaging = true;
  private readonly stored: StoredRows;
  /**
   * What service plugins remove of theirs before a network goes, inside the
   * deletion's transaction and before its ports are checked (the L3 plugin's
   * unassociated floating IPs, whose ports would otherwise keep it in use).
   */
  readonly beforeDelete: ((tx: Tx, networkId: string) => Promise<void>)[] = [];

  constructor(private readonly deps: CoreDeps) {
    this.stored = storedRows(deps.api.resource('networks'));
    // Served per request (list below): whether a network is shared depends on who asks.
    deps.filters.of('network').set('shared', sharedFilter(undefined));
  }

  get pluginFilters() {
    return this.deps.filters.of('network');
  }

  async list(ctx: RequestContext, query: ListRequest): Promise<ApiObject[]> {
    const filters = new Map(this.pluginFilters).set('shared', sharedFilter(ctx));
    const rows = (await listRows(this.deps.db, this.stored.spec, query, visibleNetworks(ctx), filters)) as unknown as NetworkRow[];
    return this.present(ctx, rows);
  }

  async show(ctx: RequestContext, id: string): Promise<ApiObject> {
    const [network] = await this.present(ctx, [await this.visibleRow(ctx, id)]);
    return network!;
  }

  async create(ctx: RequestContext, items: readonly ApiObject[]): Promise<ApiObject[]> {
    return createAll(this.deps, ctx, 'network', items, async (tx, item) => {
      const now = utcNow();
      // The request's attributes (defaults filled by api/) over what a network starts with.
      const row = {
        ...NEW_NETWORK,
        ...this.stored.toColumns(item),
        id: newId(),
        revision_number: 0,
        created_at: now,
        updated_at: now,
        status: 'ACTIVE',
        mtu: 0,
      } as NetworkRow;
      await tx.insertInto('networks').values(row).execute();
      // Shared and external are RBAC entries for every project, in the owner's name.
      if (item.shared === true) await grantToAll(tx, row, ACCESS_SHARED);
      if (row.router_external === 1) await makeExternal(tx, row);
      return this.toApi(row, [], [], item.shared === true);
    });
  }

  async update(ctx: RequestContext, id: string, changes: ApiObject, expectedRevision?: number): Promise<ApiObject> {
    return updateOne(this.deps, ctx, 'network', changes, async (tx) => {
      const row = await this.ownedRow(ctx, id, 'update_network', tx);
      checkRevision(row.revision_number, expectedRevision);
      const [original] = await this.present(ctx, [row], tx);
      const patch = this.stored.toColumns(changes) as Updateable<NetworksTable>;
      if (changes.shared === true) await grantToAll(tx, row, ACCESS_SHARED);
      if (changes.shared === false) await unshare(tx, row);
      if (patch.router_external === 1 && row.router_external !== 1) await makeExternal(tx, row);
      if (patch.router_external === 0 && row.router_external === 1) await makeInternal(tx, id);
      await tx.updateTable('networks').set({ ...patch, ...nextRevision() }).where('id', '=', id).execute();
      const [current] = await this.present(ctx, [await this.visibleRow(ctx, id, tx)], tx);
      return { original: original!, current: current! };
    });
  }

  async delete(ctx: RequestContext, id: string, expectedRevision?: number): Promise<void> {
    let portIds: string[] = [];
    await deleteOne(
      this.deps,
      ctx,
      'network',
      async (tx) => {
        const row = await this.ownedRow(ctx, id, 'delete_network', tx);
        checkRevision(row.revision_number, expectedRevision);
        for (const cleanup of this.beforeDelete) await cleanup(tx, id);
        const ports = await tx.selectFrom('ports').select(['id', 'device_owner']).where('network_id', '=', id).execute();
        const blocking = ports.filter((p) => !AUTO_DELETED_OWNERS.includes(p.device_owner)).map((p) => p.id);
        if (blocking.length > 0) throw new NetworkInUse(id, blocking);
        portIds = ports.map((p) => p.id);
        const [current] = await this.present(ctx, [row], tx);
        return current!;
      },
      async (tx) => {
        // Allocations reference subnets without cascading (so a subnet in use cannot vanish by accident).
        await tx.deleteFrom('ipallocations').where('network_id', '=', id).execute();
        await tx.deleteFrom('ports').where('network_id', '=', id).execute();
        await tx.deleteFrom('subnets').where('network_id', '=', id).execute();
        await tx.deleteFrom('networks').where('id', '=', id).execute();
        await tx.deleteFrom('tags').where('resource_id', 'in', [id, ...portIds]).execute();
      },
    );
  }

  /** The network as the caller may see it, or NetworkNotFound. */
  async visibleRow(ctx: RequestContext, id: string, db: CoreDeps['db'] = this.deps.db): Promise<NetworkRow> {
    const row = await db.selectFrom('networks').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NetworkNotFound(id);
    if (owns(ctx, row) || (await networkAccess(db, ctx, id)).size > 0) return row;
    throw new NetworkNotFound(id);
  }

  /** The network if the caller may change it; 403 when only visible, 404 when not even that. */
  private async ownedRow(ctx: RequestContext, id: string, action: string, db: CoreDeps['db']): Promise<NetworkRow> {
    const row = await this.visibleRow(ctx, id, db);
    if (!owns(ctx, row)) throw new PolicyNotAuthorized(action);
    return row;
  }

  private async present(ctx: RequestContext, rows: readonly NetworkRow[], db: CoreDeps['db'] = this.deps.db): Promise<ApiObject[]> {
    const ids = rows.map((r) => r.id);
    const shared = await sharedWith(db, ctx, ids);
    const subnets = await groupByParent(
      ids,
      (chunk) => db.selectFrom('subnets').select(['id', 'network_id']).where('network_id', 'in', chunk).orderBy('created_at').execute(),
      (s) => s.network_id,
    );
    const tags = await loadTags(db, ids);
    const objects = rows.map((row) => this.toApi(row, (subnets.get(row.id) ?? []).map((s) => s.id), tags.get(row.id) ?? [], shared.has(row.id)));
    return extend(this.deps, 'network', db, objects);
  }

  private toApi(row: NetworkRow, subnets: string[], tags: string[], shared: boolean): ApiObject {
    const network = this.stored.toObject(row);
    // Shared with the caller: a '*' access_as_shared entry or one for its project.
    network.shared = shared;
    network.subnets = subnets;
    network.tags = tags;
    // 0 until ML2 computes it.
    if ('mtu' in network) network.mtu = row.mtu || this.deps.options.globalPhysnetMtu;
    return network;
  }
}

/**
 * `shared=True`: networks an access_as_shared entry shares with the caller
 * ('*' or its project); `shared=False`: the others (neutron-lib's
 * model_query apply_filters). Without a caller, '*' alone.
 */
function sharedFilter(ctx: RequestContext | undefined): FilterCondition {
  return booleanFilter((eb) => eb('networks.id', 'in', networksGranting(eb, ctx === undefined ? ['*'] : targetsOf(ctx), [ACCESS_SHARED])));
}
