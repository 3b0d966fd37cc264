import type { RequestContext } from '../../common/context.js';
import { NetworkInUse, NetworkNotFound, PolicyNotAuthorized } from '../../common/errors.js';
import { newId } from '../../common/ids.js';
import { utcNow } from '../../common/time.js';
import type { NetworksTable } from '../../db/schema.js';
import type { Selectable, Updateable } from 'kysely';
import type { ApiObject, Collection, ListRequest } from '../collection.js';
import { groupByParent, loadTags } from './children.js';
import type { CoreDeps } from './deps.js';
import { listRows } from './listRows.js';
import { type StoredRows, storedRows } from './storedRows.js';
import { createAll, deleteOne, extend, updateOne } from './lifecycle.js';
import { checkRevision, nextRevision } from './revision.js';
import { owns, visibleNetworks } from './visibility.js';

type NetworkRow = Selectable<NetworksTable>;

/** The columns no loaded extension may set (their extensions absent, or set only by plugins). */
const NEW_NETWORK = {
  shared: 0,
  router_external: 0,
  port_security_enabled: 1,
  dns_domain: '',
  description: '',
  availability_zone_hints: '[]',
};

/** Ports the network owns itself; they go away with it instead of blocking its deletion. */
const AUTO_DELETED_OWNERS = ['network:dhcp', 'network:distributed', 'network:floatingip_agent_gateway'];


export class NetworkService implements Collection {
  private readonly stored: StoredRows;

  constructor(private readonly deps: CoreDeps) {
    this.stored = storedRows(deps.api.resource('networks'));
  }

  get pluginFilters() {
    return this.deps.filters.of('network');
  }

  async list(ctx: RequestContext, query: ListRequest): Promise<ApiObject[]> {
    const rows = (await listRows(this.deps.db, this.stored.spec, query, visibleNetworks(ctx), this.pluginFilters)) as unknown as NetworkRow[];
    return this.present(rows);
  }

  async show(ctx: RequestContext, id: string): Promise<ApiObject> {
    const [network] = await this.present([await this.visibleRow(ctx, id)]);
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
      return this.toApi(row, [], []);
    });
  }

  async update(ctx: RequestContext, id: string, changes: ApiObject, expectedRevision?: number): Promise<ApiObject> {
    return updateOne(this.deps, ctx, 'network', changes, async (tx) => {
      const row = await this.ownedRow(ctx, id, 'update_network', tx);
      checkRevision(row.revision_number, expectedRevision);
      const [original] = await this.present([row], tx);
      const patch = this.stored.toColumns(changes) as Updateable<NetworksTable>;
      await tx.updateTable('networks').set({ ...patch, ...nextRevision() }).where('id', '=', id).execute();
      const [current] = await this.present([await this.visibleRow(ctx, id, tx)], tx);
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
        const ports = await tx.selectFrom('ports').select(['id', 'device_owner']).where('network_id', '=', id).execute();
        const blocking = ports.filter((p) => !AUTO_DELETED_OWNERS.includes(p.device_owner)).map((p) => p.id);
        if (blocking.length > 0) throw new NetworkInUse(id, blocking);
        portIds = ports.map((p) => p.id);
        const [current] = await this.present([row], tx);
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
    if (owns(ctx, row) || row.shared === 1 || row.router_external === 1) return row;
    throw new NetworkNotFound(id);
  }

  /** The network if the caller may change it; 403 when only visible, 404 when not even that. */
  private async ownedRow(ctx: RequestContext, id: string, action: string, db: CoreDeps['db']): Promise<NetworkRow> {
    const row = await this.visibleRow(ctx, id, db);
    if (!owns(ctx, row)) throw new PolicyNotAuthorized(action);
    return row;
  }

  private async present(rows: readonly NetworkRow[], db: CoreDeps['db'] = this.deps.db): Promise<ApiObject[]> {
    const ids = rows.map((r) => r.id);
    const subnets = await groupByParent(
      ids,
      (chunk) => db.selectFrom('subnets').select(['id', 'network_id']).where('network_id', 'in', chunk).orderBy('created_at').execute(),
      (s) => s.network_id,
    );
    const tags = await loadTags(db, ids);
    const objects = rows.map((row) => this.toApi(row, (subnets.get(row.id) ?? []).map((s) => s.id), tags.get(row.id) ?? []));
    return extend(this.deps, 'network', db, objects);
  }

  private toApi(row: NetworkRow, subnets: string[], tags: string[]): ApiObject {
    const network = this.stored.toObject(row);
    network.subnets = subnets;
    network.tags = tags;
    // 0 until ML2 computes it.
    if ('mtu' in network) network.mtu = row.mtu || this.deps.options.globalPhysnetMtu;
    return network;
  }
}
