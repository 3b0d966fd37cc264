/**
 * /v2.0/segments (the `segment` extension): the rows of networksegments
 * that ML2 keeps for every network, as an admin-only resource. Admins list,
 * show, rename and describe them, add a segment to a network (claimed by
 * ML2's type drivers like a provider segment) and delete one no port is
 * bound to. Others see an empty list and 404s, as upstream answers callers
 * its policy hides a resource from.
 *
 * Subnets show `segment_id`; tying a subnet to a segment (routed networks)
 * is not implemented, so it is always null.
 */
import type { Selectable, Updateable } from 'kysely';

import type { RequestContext } from '../../common/context.js';
import { NetworkNotFound, NeutronError, NotFound, notFoundError, PolicyNotAuthorized } from '../../common/errors.js';
import { segments } from '../../resources/extensions/segment.js';
import { newId } from '../../common/ids.js';
import { utcNow } from '../../common/time.js';
import type { Db, NetworkSegmentsTable, Tx } from '../../db/schema.js';
import type { ApiObject, Collection, ListRequest } from '../collection.js';
import { loadTags } from '../core/children.js';
import type { CoreDeps } from '../core/deps.js';
import { listRows, type TableSpec } from '../core/listRows.js';
import { checkRevision, nextRevision } from '../core/revision.js';
import { boundSegment, isBound, networkSegments } from './boundSegment.js';
import { PROVIDER } from './segment.js';
import type { TypeManager } from './typeManager.js';

type SegmentRow = Selectable<NetworkSegmentsTable>;

export const SegmentNotFound = notFoundError(segments.notFound);

export class SegmentInUse extends NeutronError {
  constructor(id: string, reason: string) {
    super(409, 'SegmentInUse', `Segment '${id}' cannot be deleted: ${reason}.`);
  }
}

const segmentTable: TableSpec = {
  table: 'networksegments',
  columns: {
    id: { column: 'id' },
    network_id: { column: 'network_id' },
    network_type: { column: 'network_type' },
    physical_network: { column: 'physical_network' },
    segmentation_id: { column: 'segmentation_id' },
    name: { column: 'name' },
    description: { column: 'description' },
    revision_number: { column: 'revision_number' },
    created_at: { column: 'created_at' },
    updated_at: { column: 'updated_at' },
  },
};

export class SegmentService implements Collection {
  readonly keysetPaging = true;
  constructor(
    private readonly deps: CoreDeps,
    private readonly types: TypeManager,
  ) {}



  async list(ctx: RequestContext, query: ListRequest): Promise<ApiObject[]> {
    if (!ctx.isAdmin) return [];
    const rows = (await listRows(this.deps.db, segmentTable, query)) as unknown as SegmentRow[];
    return this.present(rows);
  }

  async show(ctx: RequestContext, id: string): Promise<ApiObject> {
    const [segment] = await this.present([await this.row(ctx, id, this.deps.db)]);
    return segment!;
  }

  /** Adds segments to networks: each is claimed from its type driver as a provider segment would be. */
  async create(ctx: RequestContext, items: readonly ApiObject[]): Promise<ApiObject[]> {
    if (!ctx.isAdmin) throw new PolicyNotAuthorized('create_segment');
    return this.deps.transaction(async (tx) => {
      const created: SegmentRow[] = [];
      for (const item of items) {
        const networkId = String(item.network_id);
        const network = await tx.selectFrom('networks').select('id').where('id', '=', networkId).executeTakeFirst();
        if (!network) throw new NetworkNotFound(networkId);
        const request: ApiObject = { [PROVIDER.networkType]: item.network_type };
        if (item.physical_network !== null && item.physical_network !== undefined) request[PROVIDER.physicalNetwork] = item.physical_network;
        if (item.segmentation_id !== null && item.segmentation_id !== undefined) request[PROVIDER.segmentationId] = item.segmentation_id;
        const [claimed] = await this.types.segmentsFor(tx, request, this.deps.random);
        const last = await tx
          .selectFrom('networksegments')
          .select((eb) => eb.fn.max('segment_index').as('index'))
          .where('network_id', '=', networkId)
          .executeTakeFirst();
        const now = utcNow();
        const row: SegmentRow = {
          id: newId(),
          network_id: networkId,
          network_type: claimed!.networkType,
          physical_network: claimed!.physicalNetwork,
          segmentation_id: claimed!.segmentationId,
          segment_index: last?.index === null || last?.index === undefined ? 0 : Number(last.index) + 1,
          name: typeof item.name === 'string' ? item.name : null,
          description: String(item.description ?? ''),
          revision_number: 0,
          created_at: now,
          updated_at: now,
        };
        await tx.insertInto('networksegments').values(row).execute();
        await this.networkChanged(tx, networkId);
        created.push(row);
      }
      return this.present(created, tx);
    });
  }

  async update(ctx: RequestContext, id: string, changes: ApiObject, expectedRevision?: number): Promise<ApiObject> {
    return this.deps.transaction(async (tx) => {
      const row = await this.row(ctx, id, tx);
      checkRevision(Number(row.revision_number), expectedRevision);
      const patch: Updateable<NetworkSegmentsTable> = {};
      if ('name' in changes) patch.name = changes.name === null ? null : String(changes.name);
      if ('description' in changes) patch.description = String(changes.description);
      await tx.updateTable('networksegments').set({ ...patch, ...nextRevision() }).where('id', '=', id).execute();
      await tx.updateTable('networks').set(nextRevision()).where('id', '=', row.network_id).execute();
      const [segment] = await this.present([await this.row(ctx, id, tx)], tx);
      return segment!;
    });
  }

  /** Refused while a port is bound to the segment (SegmentInUse), as upstream; its segmentation id goes back to the pool. */
  async delete(ctx: RequestContext, id: string, expectedRevision?: number): Promise<void> {
    await this.deps.transaction(async (tx) => {
      const row = await this.row(ctx, id, tx);
      checkRevision(Number(row.revision_number), expectedRevision);
      const subnets = await tx.selectFrom('subnets').select('id').where('segment_id', '=', id).orderBy('id').execute();
      if (subnets.length > 0) {
        throw new SegmentInUse(id, `The segment is still associated with subnet(s) ${subnets.map((s) => s.id).join(', ')}`);
      }
      const bound = await this.boundPortCount(tx, row);
      if (bound > 0) throw new SegmentInUse(id, `The segment is still bound with ${bound} port(s)`);
      await this.types.release(tx, (await networkSegments(tx, row.network_id)).filter((s) => s.id === id));
      await tx.deleteFrom('networksegments').where('id', '=', id).execute();
      await tx.deleteFrom('tags').where('resource_id', '=', id).execute();
      await this.networkChanged(tx, row.network_id);
    });
  }

  /** A segment is only for admins; anyone else is told it does not exist. */
  private async row(ctx: RequestContext, id: string, db: Db): Promise<SegmentRow> {
    if (!ctx.isAdmin) throw new NotFound();
    const row = await db.selectFrom('networksegments').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new SegmentNotFound(id);
    return row;
  }

  private async boundPortCount(tx: Tx, segment: SegmentRow): Promise<number> {
    const ports = await tx
      .selectFrom('ports')
      .select(['network_id', 'binding_host_id', 'binding_vif_type'])
      .where('network_id', '=', segment.network_id)
      .where('binding_host_id', '!=', '')
      .execute();
    let count = 0;
    for (const port of ports) {
      const binding = { networkId: port.network_id, hostId: port.binding_host_id, vifType: port.binding_vif_type };
      if (isBound(binding) && (await boundSegment(tx, binding))?.id === segment.id) count += 1;
    }
    return count;
  }

  /** The network's MTU follows its segments, and its revision their changes. */
  private async networkChanged(tx: Tx, networkId: string): Promise<void> {
    const mtu = this.types.mtu(await networkSegments(tx, networkId));
    await tx.updateTable('networks').set({ mtu, ...nextRevision() }).where('id', '=', networkId).execute();
  }

  private async present(rows: readonly SegmentRow[], db: Db = this.deps.db): Promise<ApiObject[]> {
    const tags = await loadTags(db, rows.map((r) => r.id));
    return rows.map((row) => ({
      id: row.id,
      network_id: row.network_id,
      name: row.name,
      description: row.description,
      network_type: row.network_type,
      physical_network: row.physical_network,
      segmentation_id: row.segmentation_id === null ? null : Number(row.segmentation_id),
      tags: tags.get(row.id) ?? [],
      created_at: row.created_at,
      updated_at: row.updated_at,
      revision_number: Number(row.revision_number),
    }));
  }
}
