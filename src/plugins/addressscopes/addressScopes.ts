/** The `address-scopes` collection (neutron/db/address_scope_db.py): stored as declared; a shared scope stays shared. */
import { NeutronError } from '../../common/errors.js';
import type { CoreDeps } from '../core/deps.js';
import { StoredCollection } from '../core/storedCollection.js';

export class AddressScopeUpdateError extends NeutronError {
  constructor(id: string, reason: string) {
    super(400, 'AddressScopeUpdateError', `Unable to update address scope ${id} : ${reason}`);
  }
}

export function addressScopeService(deps: CoreDeps): StoredCollection {
  return new StoredCollection(deps, deps.api.resource('address-scopes'), {
    async checkUpdate(_tx, _ctx, current, changes) {
      if (current.shared === true && changes.shared === false) {
        throw new AddressScopeUpdateError(String(current.id), "Shared address scope can't be unshared");
      }
    },
  });
}
