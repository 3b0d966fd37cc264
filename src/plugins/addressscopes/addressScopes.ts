/**
 * The `address-scopes` collection (neutron/db/address_scope_db.py): stored as
 * declared; `shared` is derived for the caller from the scope's RBAC entries
 * (addressscoperbacs: a '*' access_as_shared entry or one for its project);
 * `shared: true` is the '*' entry, a shared scope stays shared, a scope of
 * subnet pools stays.
 */
import type { RequestContext } from '../../common/context.js';
import { NeutronError } from '../../common/errors.js';
import { newId } from '../../common/ids.js';
import type { Db, Tx } from '../../db/schema.js';
import type { CoreDeps } from '../core/deps.js';
import type { Condition } from '../core/listRows.js';
import { StoredCollection } from '../core/storedCollection.js';
import { ACCESS_SHARED, booleanFilter, targetsOf } from '../core/visibility.js';

export class AddressScopeUpdateError extends NeutronError {
  constructor(id: string, reason: string) {
    super(400, 'AddressScopeUpdateError', `Unable to update address scope ${id} : ${reason}`);
  }
}

export class AddressScopeInUse extends NeutronError {
  constructor(id: string) {
    super(409, 'AddressScopeInUse', `Unable to complete operation on address scope ${id}. There are one or more subnet pools in use on the address scope.`);
  }
}

/** The scopes shared with these target projects (a subquery). */
const scopesSharedWith = (eb: Parameters<Condition>[0], targets: readonly string[]) =>
  eb
    .selectFrom('addressscoperbacs as scope_rbac')
    .select('scope_rbac.object_id')
    .where('scope_rbac.action', '=', ACCESS_SHARED)
    .where('scope_rbac.target_project', 'in', targets);

const sharedCondition = (ctx: RequestContext | undefined): Condition => (eb) =>
  eb('address_scopes.id', 'in', scopesSharedWith(eb, ctx === undefined ? ['*'] : targetsOf(ctx)));

/** Whether the scope is shared with the caller. */
export async function scopeSharedWith(db: Db, ctx: RequestContext, scopeId: string): Promise<boolean> {
  const entry = await db
    .selectFrom('addressscoperbacs')
    .select('id')
    .where('object_id', '=', scopeId)
    .where('action', '=', ACCESS_SHARED)
    .where('target_project', 'in', targetsOf(ctx))
    .executeTakeFirst();
  return entry !== undefined;
}

/** `shared: true`: the '*' entry, in the name of who asks (neutron/objects/rbac_db.py attach_rbac). */
async function share(tx: Tx, ctx: RequestContext, scopeId: string): Promise<void> {
  const wildcard = await tx
    .selectFrom('addressscoperbacs')
    .select('id')
    .where('object_id', '=', scopeId)
    .where('action', '=', ACCESS_SHARED)
    .where('target_project', '=', '*')
    .executeTakeFirst();
  if (wildcard !== undefined) return;
  await tx.insertInto('addressscoperbacs').values({ id: newId(), project_id: ctx.projectId, target_project: '*', action: ACCESS_SHARED, object_id: scopeId }).execute();
}

export function addressScopeService(deps: CoreDeps): StoredCollection {
  return new StoredCollection(deps, deps.api.resource('address-scopes'), {
    visibleToAll: (_table, ctx) => sharedCondition(ctx),
    pluginFilters: new Map([['shared', booleanFilter(sharedCondition(undefined))]]),
    filtersFor: (ctx) => new Map([['shared', booleanFilter(sharedCondition(ctx))]]),
    async derive(db, ctx, objects) {
      const ids = objects.map((o) => String(o.id));
      const shared =
        ids.length === 0
          ? new Set<string>()
          : new Set(
              (
                await db
                  .selectFrom('addressscoperbacs')
                  .select('object_id')
                  .where('object_id', 'in', ids)
                  .where('action', '=', ACCESS_SHARED)
                  .where('target_project', 'in', targetsOf(ctx))
                  .execute()
              ).map((r) => r.object_id),
            );
      for (const object of objects) object.shared = shared.has(String(object.id));
    },
    async storeRelated(tx, id, values, ctx) {
      if (values.shared === true) await share(tx, ctx, id);
    },
    async checkUpdate(_tx, _ctx, current, changes) {
      if (current.shared === true && changes.shared === false) {
        throw new AddressScopeUpdateError(String(current.id), "Shared address scope can't be unshared");
      }
    },
    async checkDelete(tx, _ctx, current) {
      const pool = await tx.selectFrom('subnetpools').select('id').where('address_scope_id', '=', String(current.id)).executeTakeFirst();
      if (pool !== undefined) throw new AddressScopeInUse(String(current.id));
    },
  });
}
