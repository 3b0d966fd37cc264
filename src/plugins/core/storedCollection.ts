/**
 * A collection whose objects are rows of one table, served entirely from
 * its declaration: list, show, create (single and bulk), update and delete,
 * in one transaction each with the resource's events, its standard
 * attributes and tags when it has them. A plugin adds only what is its own
 * (`StoredBehaviour`): checks, who sees what, what an object keeps from
 * being deleted.
 */
import type { Kysely } from 'kysely';

import type { RequestContext } from '../../common/context.js';
import { PolicyNotAuthorized, resourceNotFound } from '../../common/errors.js';
import { newId } from '../../common/ids.js';
import { utcNow } from '../../common/time.js';
import type { Db, Tx } from '../../db/schema.js';
import type { ResourceMember } from '../../resources/objectTypes.js';
import type { ResourceDecl } from '../../resources/types.js';
import type { ApiObject, Collection, ListRequest, MemberAction } from '../collection.js';
import { loadTags } from './children.js';
import type { CoreDeps } from './deps.js';
import { createAll, deleteOne, extend, updateOne } from './lifecycle.js';
import { type Condition, type FilterCondition, listRows } from './listRows.js';
import { checkRevision, nextRevision } from './revision.js';
import { type StoredRows, storedRows } from './storedRows.js';

type Row = Record<string, unknown>;
type DynamicDb = Kysely<Record<string, Row>>;

/** What a plugin adds to a stored collection; every hook is optional. */
export interface StoredBehaviour {
  /** Rows a non-admin caller sees, besides its project's (default: those with `shared` set, when the resource stores it). */
  visibleToAll?(table: string, ctx: RequestContext): Condition | undefined;
  /** Completes the objects with what depends on who asks (`shared` from RBAC entries), in a few queries for all of them. */
  derive?(db: Db, ctx: RequestContext, objects: ApiObject[]): Promise<void>;
  /** The conditions of plugin filters that depend on who asks, for this caller (over `pluginFilters`). */
  filtersFor?(ctx: RequestContext): ReadonlyMap<string, FilterCondition>;
  /** Before the row is inserted: throw to refuse. */
  checkCreate?(tx: Tx, ctx: RequestContext, item: ApiObject): Promise<void>;
  /** Before the row changes: throw to refuse. */
  checkUpdate?(tx: Tx, ctx: RequestContext, current: ApiObject, changes: ApiObject): Promise<void>;
  /**
   * The values to store for a create: the request's item completed with what
   * the plugin derives from it (a subnet pool's IP version and prefix
   * lengths from its prefixes); throw to refuse. Default: the item.
   */
  completeCreate?(tx: Tx, ctx: RequestContext, item: ApiObject): Promise<ApiObject>;
  /** The changes to store for an update, completed likewise from the object as it is. Default: the changes. */
  completeUpdate?(tx: Tx, ctx: RequestContext, current: ApiObject, changes: ApiObject): Promise<ApiObject>;
  /** After the row is written with these values (a create's, an update's changes): store what lives in other tables. */
  storeRelated?(tx: Tx, id: string, values: ApiObject, ctx: RequestContext): Promise<void>;
  /** Before the row goes (something still uses it): throw to refuse. */
  checkDelete?(tx: Tx, ctx: RequestContext, current: ApiObject): Promise<void>;
  readonly pluginFilters?: ReadonlyMap<string, FilterCondition>;
  /** The declaration's member actions (`add_prefixes`); they usually change the object through this collection's update. */
  readonly actions?: Readonly<Record<string, MemberAction>>;
}

export class StoredCollection implements Collection {
  readonly keysetPaging = true;
  private readonly stored: StoredRows;
  private readonly table: string;
  private readonly member: ResourceMember;
  readonly pluginFilters: ReadonlyMap<string, FilterCondition>;
  readonly actions: Readonly<Record<string, MemberAction>>;

  constructor(
    private readonly deps: CoreDeps,
    private readonly resource: ResourceDecl,
    private readonly behaviour: StoredBehaviour = {},
  ) {
    if (resource.table === undefined) throw new Error(`${resource.collection}: a stored collection needs a table`);
    this.stored = storedRows(resource);
    this.table = resource.table;
    this.member = resource.member as ResourceMember;
    this.pluginFilters = behaviour.pluginFilters ?? new Map();
    this.actions = behaviour.actions ?? {};
  }

  async list(ctx: RequestContext, query: ListRequest): Promise<ApiObject[]> {
    const filters = this.behaviour.filtersFor ? new Map([...this.pluginFilters, ...this.behaviour.filtersFor(ctx)]) : this.pluginFilters;
    const rows = await listRows(this.deps.db, this.stored.spec, query, this.visible(ctx), filters);
    return this.present(this.deps.db, ctx, rows);
  }

  async show(ctx: RequestContext, id: string): Promise<ApiObject> {
    const [object] = await this.present(this.deps.db, ctx, [await this.visibleRow(this.deps.db, ctx, id)]);
    return object!;
  }

  create(ctx: RequestContext, items: readonly ApiObject[]): Promise<ApiObject[]> {
    return createAll(this.deps, ctx, this.member, items, async (tx, item) => {
      await this.behaviour.checkCreate?.(tx, ctx, item);
      const values = (await this.behaviour.completeCreate?.(tx, ctx, item)) ?? item;
      const now = utcNow();
      const row: Row = {
        ...this.stored.toColumns(values),
        id: newId(),
        ...(this.resource.standardAttributes ? { revision_number: 0, created_at: now, updated_at: now } : {}),
      };
      await this.db(tx).insertInto(this.table).values(row).execute();
      await this.behaviour.storeRelated?.(tx, String(row.id), values, ctx);
      const [created] = await this.present(tx, ctx, [row]);
      return created!;
    });
  }

  update(ctx: RequestContext, id: string, changes: ApiObject, expectedRevision?: number): Promise<ApiObject> {
    return updateOne(this.deps, ctx, this.member, changes, async (tx) => {
      const row = await this.ownedRow(tx, ctx, id, 'update');
      if (expectedRevision !== undefined) checkRevision(Number(row.revision_number), expectedRevision);
      const [original] = await this.present(tx, ctx, [row]);
      await this.behaviour.checkUpdate?.(tx, ctx, original!, changes);
      const values = (await this.behaviour.completeUpdate?.(tx, ctx, original!, changes)) ?? changes;
      const patch = { ...this.stored.toColumns(values), ...(this.resource.standardAttributes ? nextRevision() : {}) };
      if (Object.keys(patch).length > 0) await this.db(tx).updateTable(this.table).set(patch).where('id', '=', id).execute();
      await this.behaviour.storeRelated?.(tx, id, values, ctx);
      const [current] = await this.present(tx, ctx, [await this.visibleRow(tx, ctx, id)]);
      return { original: original!, current: current! };
    });
  }

  async delete(ctx: RequestContext, id: string, expectedRevision?: number): Promise<void> {
    await deleteOne(
      this.deps,
      ctx,
      this.member,
      async (tx) => {
        const row = await this.ownedRow(tx, ctx, id, 'delete');
        if (expectedRevision !== undefined) checkRevision(Number(row.revision_number), expectedRevision);
        const [current] = await this.present(tx, ctx, [row]);
        await this.behaviour.checkDelete?.(tx, ctx, current!);
        return current!;
      },
      async (tx) => {
        await this.db(tx).deleteFrom(this.table).where('id', '=', id).execute();
        if (this.resource.taggable) await tx.deleteFrom('tags').where('resource_id', '=', id).execute();
      },
    );
  }

  /** Whether its objects belong to projects (it declares tenant_id). */
  private get owned(): boolean {
    return this.resource.attributes.tenant_id !== undefined;
  }

  private db(db: Db): DynamicDb {
    return db as unknown as DynamicDb;
  }

  private visible(ctx: RequestContext): Condition[] {
    // Objects of no project (flavors) are everyone's to see; policy decides who does.
    if (ctx.isAdmin || !this.owned) return [];
    const own: Condition = (eb) => eb(`${this.table}.project_id`, '=', ctx.projectId);
    const shared = this.behaviour.visibleToAll
      ? this.behaviour.visibleToAll(this.table, ctx)
      : this.resource.attributes.shared?.column !== undefined
        ? (eb: Parameters<Condition>[0]) => eb(`${this.table}.${this.resource.attributes.shared!.column!}`, '=', 1)
        : undefined;
    return [shared === undefined ? own : (eb) => eb.or([own(eb), shared(eb)])];
  }

  private async visibleRow(db: Db, ctx: RequestContext, id: string): Promise<Row> {
    const row = await this.db(db)
      .selectFrom(this.table)
      .selectAll()
      .where((eb) => eb.and([eb(`${this.table}.id`, '=', id), ...this.visible(ctx).map((c) => c(eb))]))
      .executeTakeFirst();
    if (row === undefined) throw resourceNotFound(this.resource, id);
    return row;
  }

  /** The row if the caller may change it; 403 when it only sees it (shared), its NotFound when not even that. */
  private async ownedRow(db: Db, ctx: RequestContext, id: string, op: 'update' | 'delete'): Promise<Row> {
    const row = await this.visibleRow(db, ctx, id);
    if (!ctx.isAdmin && this.owned && row.project_id !== ctx.projectId) throw new PolicyNotAuthorized(`${op}_${this.member}`);
    return row;
  }

  private async present(db: Db, ctx: RequestContext, rows: readonly Row[]): Promise<ApiObject[]> {
    const tags = this.resource.taggable ? await loadTags(db, rows.map((r) => String(r.id))) : undefined;
    const objects = rows.map((row) => {
      const object = this.stored.toObject(row);
      if (tags) object.tags = tags.get(String(row.id)) ?? [];
      return object;
    });
    await this.behaviour.derive?.(db, ctx, objects);
    return extend(this.deps, this.member, db, objects);
  }
}
