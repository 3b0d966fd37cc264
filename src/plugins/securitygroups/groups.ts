/** The `security-groups` collection (neutron/db/securitygroups_db.py, the group half). */
import type { Updateable } from 'kysely';

import type { RequestContext } from '../../common/context.js';
import type { Db, SecurityGroupsTable } from '../../db/schema.js';
import type { ApiObject, Collection, ListRequest } from '../collection.js';
import { type FilterCondition, listRows } from '../core/listRows.js';
import { type StoredRows, storedRows } from '../core/storedRows.js';
import { checkRevision, nextRevision } from '../core/revision.js';
import { ensureDefaultGroup, type SecurityGroupDeps } from './defaultGroup.js';
import {
  SecurityGroupCannotRemoveDefault,
  SecurityGroupCannotUpdateDefault,
  SecurityGroupDefaultAlreadyExists,
  SecurityGroupInUse,
  SecurityGroupNotFound,
} from './errors.js';
import { securityGroupSharing } from './sharing.js';
import { DEFAULT_GROUP_NAME, type GroupRow, insertGroup, presentGroups, visibleGroups } from './storage.js';


/** The validator upstream runs on names (type:name_not_default): `default`, in any case, is taken. */
function checkName(name: unknown): void {
  if (typeof name === 'string' && name.toLowerCase() === DEFAULT_GROUP_NAME) throw new SecurityGroupDefaultAlreadyExists();
}

export class SecurityGroupService implements Collection {
  readonly keysetPaging = true;
  private readonly stored: StoredRows;
  readonly pluginFilters: ReadonlyMap<string, FilterCondition> = securityGroupSharing.behaviour.pluginFilters;

  constructor(private readonly deps: SecurityGroupDeps) {
    this.stored = storedRows(deps.api.resource('security-groups'));
  }

  /** Listing makes sure the project asked about (or the caller's) has its default group, as upstream does. */
  async list(ctx: RequestContext, query: ListRequest): Promise<ApiObject[]> {
    const project = query.filters.get('project_id')?.[0];
    await ensureDefaultGroup(this.deps, ctx, typeof project === 'string' ? project : ctx.projectId);
    // `shared=True` is about the caller: shared with its project or with every project.
    const filters = new Map([...this.pluginFilters, ...securityGroupSharing.behaviour.filtersFor(ctx)]);
    const rows = (await listRows(this.deps.db, this.stored.spec, query, visibleGroups(ctx), filters)) as unknown as GroupRow[];
    return present(this.deps.db, ctx, rows);
  }

  async show(ctx: RequestContext, id: string): Promise<ApiObject> {
    const [group] = await present(this.deps.db, ctx, [await this.visibleRow(ctx, id)]);
    return group!;
  }

  /** Every item or none; each project named gets its default group first, as upstream does. */
  async create(ctx: RequestContext, items: readonly ApiObject[]): Promise<ApiObject[]> {
    for (const item of items) checkName(item.name);
    for (const project of new Set(items.map((item) => String(item.project_id)))) await ensureDefaultGroup(this.deps, ctx, project);
    const ids = await this.deps.transaction(async (tx) => {
      const out: string[] = [];
      for (const item of items) {
        const group = {
          projectId: String(item.project_id),
          name: String(item.name ?? ''),
          description: String(item.description ?? ''),
          stateful: item.stateful !== false,
          isDefault: false,
        };
        const id = await insertGroup(tx, group);
        out.push(id);
        const current = { id, project_id: group.projectId, tenant_id: group.projectId, name: group.name, stateful: group.stateful };
        await this.deps.events.publish('security_group.precommit_create', { ctx, tx, current, request: item });
      }
      return out;
    });
    const rows = await this.deps.db.selectFrom('securitygroups').selectAll().where('id', 'in', ids).execute();
    const byId = new Map((await present(this.deps.db, ctx, rows)).map((g) => [String(g.id), g]));
    return ids.map((id) => byId.get(id)!);
  }

  async update(ctx: RequestContext, id: string, changes: ApiObject, expectedRevision?: number): Promise<ApiObject> {
    checkName(changes.name);
    return this.deps.transaction(async (tx) => {
      const row = await this.ownedRow(ctx, id, tx);
      checkRevision(row.revision_number, expectedRevision);
      if ('stateful' in changes && (changes.stateful === true ? 1 : 0) !== row.stateful && (await inUse(tx, id))) {
        throw new SecurityGroupInUse(id);
      }
      if ('name' in changes && row.name === DEFAULT_GROUP_NAME) throw new SecurityGroupCannotUpdateDefault();
      const patch: Updateable<SecurityGroupsTable> = {};
      if ('name' in changes) patch.name = String(changes.name);
      if ('description' in changes) patch.description = String(changes.description);
      if ('stateful' in changes) patch.stateful = changes.stateful === true ? 1 : 0;
      await tx.updateTable('securitygroups').set({ ...patch, ...nextRevision() }).where('id', '=', id).execute();
      const [group] = await present(tx, ctx, [await this.visibleRow(ctx, id, tx)]);
      return group!;
    });
  }

  /** Not while a port uses it; the default group only by an admin. Its rules go with it. */
  async delete(ctx: RequestContext, id: string, expectedRevision?: number): Promise<void> {
    await this.deps.transaction(async (tx) => {
      const row = await this.ownedRow(ctx, id, tx);
      checkRevision(row.revision_number, expectedRevision);
      if (await inUse(tx, id)) throw new SecurityGroupInUse(id);
      if (row.name === DEFAULT_GROUP_NAME && !ctx.isAdmin) throw new SecurityGroupCannotRemoveDefault();
      // Rules (its own, and those elsewhere naming it as remote group) and the default-group record cascade.
      await tx.deleteFrom('securitygroups').where('id', '=', id).execute();
      await tx.deleteFrom('tags').where('resource_id', '=', id).execute();
    });
  }

  /** The group if the caller may see it (its own, or shared with it), else SecurityGroupNotFound. */
  async visibleRow(ctx: RequestContext, id: string, db: Db = this.deps.db): Promise<GroupRow> {
    const row = await db.selectFrom('securitygroups').selectAll().where('id', '=', id).executeTakeFirst();
    if (row && (ctx.isAdmin || row.project_id === ctx.projectId || (await securityGroupSharing.sharedWith(db, ctx, id)))) return row;
    throw new SecurityGroupNotFound(id);
  }

  /**
   * The group if the caller may change it: its owner or an admin. The policy
   * refuses the others first (403 when they see the group shared); this
   * keeps a shared group its owner's for any other caller of the service.
   */
  private async ownedRow(ctx: RequestContext, id: string, db: Db): Promise<GroupRow> {
    const row = await db.selectFrom('securitygroups').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || !(ctx.isAdmin || row.project_id === ctx.projectId)) throw new SecurityGroupNotFound(id);
    return row;
  }
}

/** Groups as the caller sees them: `shared` is whether they are shared with its project. */
async function present(db: Db, ctx: RequestContext, rows: readonly GroupRow[]): Promise<ApiObject[]> {
  const groups = await presentGroups(db, rows);
  await securityGroupSharing.behaviour.derive(db, ctx, groups);
  return groups;
}

async function inUse(db: Db, groupId: string): Promise<boolean> {
  const binding = await db.selectFrom('securitygroupportbindings').select('port_id').where('security_group_id', '=', groupId).executeTakeFirst();
  return binding !== undefined;
}
