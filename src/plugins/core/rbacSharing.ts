/**
 * Sharing through RBAC entries for a resource stored in a StoredCollection
 * (neutron/objects/rbac_db.py NeutronRbacObject): its `shared` is derived
 * for the caller (a '*' access_as_shared entry in its RBAC table, or one for
 * the caller's project), the objects shared with the caller are visible,
 * `shared=True/False` filters on that, and `shared: true` is a '*' entry in
 * the name of who asks (attach_rbac). One subquery per list, one query per
 * page of objects.
 */
import type { Kysely } from 'kysely';

import type { RequestContext } from '../../common/context.js';
import { newId } from '../../common/ids.js';
import type { Db, Tx } from '../../db/schema.js';
import type { ApiObject } from '../collection.js';
import type { Condition, FilterCondition } from './listRows.js';
import type { StoredBehaviour } from './storedCollection.js';
import { ACCESS_SHARED, booleanFilter, targetsOf } from './visibility.js';

/** The RBAC tables of the object types shared through StoredCollection. */
export type SharedRbacTable = 'addressscoperbacs' | 'subnetpoolrbacs' | 'addressgrouprbacs' | 'securitygrouprbacs';

type EntriesDb = Kysely<Record<SharedRbacTable, { id: string; project_id: string; target_project: string; action: string; object_id: string }>>;
const entries = (db: Db): EntriesDb => db as unknown as EntriesDb;

export interface RbacSharing {
  /** The StoredCollection hooks: visibility, `shared` and its filter. */
  readonly behaviour: Required<Pick<StoredBehaviour, 'visibleToAll' | 'derive' | 'filtersFor' | 'pluginFilters'>>;
  /** Whether the object is shared with the caller. */
  sharedWith(db: Db, ctx: RequestContext, id: string): Promise<boolean>;
  /** `shared: true`: the '*' entry, unless there is one. */
  share(tx: Tx, ctx: RequestContext, id: string): Promise<void>;
}

export function rbacSharing(rbacTable: SharedRbacTable, objectTable: string): RbacSharing {
  const condition = (targets: readonly string[]): Condition => (eb) =>
    eb(
      `${objectTable}.id`,
      'in',
      eb
        .selectFrom(`${rbacTable} as share_rbac`)
        .select('share_rbac.object_id')
        .where('share_rbac.action', '=', ACCESS_SHARED)
        .where('share_rbac.target_project', 'in', targets),
    );
  const filterFor = (ctx: RequestContext | undefined): FilterCondition => booleanFilter(condition(ctx === undefined ? ['*'] : targetsOf(ctx)));
  const sharedIds = async (db: Db, targets: readonly string[], ids: readonly string[]): Promise<Set<string>> => {
    if (ids.length === 0) return new Set();
    const rows = await entries(db)
      .selectFrom(rbacTable)
      .select('object_id')
      .where('object_id', 'in', ids)
      .where('action', '=', ACCESS_SHARED)
      .where('target_project', 'in', targets)
      .execute();
    return new Set(rows.map((r) => r.object_id));
  };
  return {
    behaviour: {
      visibleToAll: (_table, ctx) => condition(targetsOf(ctx)),
      pluginFilters: new Map([['shared', filterFor(undefined)]]),
      filtersFor: (ctx) => new Map([['shared', filterFor(ctx)]]),
      async derive(db: Db, ctx: RequestContext, objects: ApiObject[]) {
        const shared = await sharedIds(db, targetsOf(ctx), objects.map((o) => String(o.id)));
        for (const object of objects) object.shared = shared.has(String(object.id));
      },
    },
    sharedWith: async (db, ctx, id) => (await sharedIds(db, targetsOf(ctx), [id])).has(id),
    async share(tx, ctx, id) {
      if ((await sharedIds(tx, ['*'], [id])).has(id)) return;
      await entries(tx).insertInto(rbacTable).values({ id: newId(), project_id: ctx.projectId, target_project: '*', action: ACCESS_SHARED, object_id: id }).execute();
    },
  };
}
