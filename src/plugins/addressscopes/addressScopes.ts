/**
 * The `address-scopes` collection (neutron/db/address_scope_db.py): stored as
 * declared; `shared` is derived for the caller from the scope's RBAC entries
 * (addressscoperbacs), `shared: true` is the '*' entry, a shared scope stays
 * shared, a scope of subnet pools stays.
 */
import { NeutronError } from '../../common/errors.js';
import type { CoreDeps } from '../core/deps.js';
import { rbacSharing } from '../core/rbacSharing.js';
import { StoredCollection } from '../core/storedCollection.js';

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

/** Address scopes are shared through addressscoperbacs. */
export const addressScopeSharing = rbacSharing('addressscoperbacs', 'address_scopes');

export function addressScopeService(deps: CoreDeps): StoredCollection {
  return new StoredCollection(deps, deps.api.resource('address-scopes'), {
    ...addressScopeSharing.behaviour,
    async storeRelated(tx, id, values, ctx) {
      if (values.shared === true) await addressScopeSharing.share(tx, ctx, id);
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
