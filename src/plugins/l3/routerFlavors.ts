/**
 * A router's flavor (l3-flavors; neutron/services/l3_router/
 * service_providers/driver_controller.py): the flavor's first service
 * profile names the router's provider driver, and what the request asks of
 * `distributed` and `ha` must suit that driver. Checked before the
 * router's transaction, as upstream's BEFORE_CREATE; flavor_id itself is a
 * column of the router and set on create only. A flavored router keeps its
 * provider: an update of distributed or ha it does not support is refused.
 *
 * As upstream, neither the flavor's service type nor its `enabled` is
 * looked at; a disabled service profile is (ServiceProfileDisabled).
 */
import type { RequestContext } from '../../common/context.js';
import { InvalidInput, resourceNotFound } from '../../common/errors.js';
import type { Db } from '../../db/schema.js';
import { FlavorServiceProfileBindingNotFound, ServiceProfileDisabled, ServiceProfileDriverNotFound } from '../flavors/errors.js';
import type { ApiObject } from '../collection.js';
import type { CoreDeps } from '../core/deps.js';
import { checkProviderSupports, type L3Provider, L3_PROVIDERS } from './routerProviders.js';
import type { RouterHooks } from './routerAttributes.js';

export class RouterFlavors implements RouterHooks {
  constructor(private readonly deps: CoreDeps) {
    deps.events.on('router.precommit_update', async ({ tx, original, request }) => {
      const flavorId = original?.flavor_id;
      if (typeof flavorId !== 'string' || request === undefined) return;
      // Only a change of provider is checked: the flavor's profiles may have gone since (a cleanup
      // unbinds them before it deletes the routers), and upstream keeps the provider chosen at create.
      if (!('ha' in request) && !('distributed' in request)) return;
      try {
        checkProviderSupports(await this.providerOf(tx, flavorId), request);
      } catch (err) {
        if (!(err instanceof InvalidInput)) throw err;
        // Another provider would be needed, and a flavored router cannot change provider without changing flavor.
        throw new InvalidInput("Changing the 'ha' and 'distributed' attributes on a router associated with a flavor is not supported");
      }
    });
  }

  /** _check_router_request: a flavor's provider must exist and support the request's distributed and ha. */
  async beforeCreate(_ctx: RequestContext, items: readonly ApiObject[]): Promise<void> {
    for (const item of items) {
      if (typeof item.flavor_id !== 'string') continue;
      checkProviderSupports(await this.providerOf(this.deps.db, item.flavor_id), item);
    }
  }

  /** _get_l3_driver_by_flavor: the flavor, its first bound profile (enabled), that profile's driver among the L3 providers. */
  private async providerOf(db: Db, flavorId: string): Promise<L3Provider> {
    const flavor = await db.selectFrom('flavors').select('id').where('id', '=', flavorId).executeTakeFirst();
    if (flavor === undefined) throw resourceNotFound(this.deps.api.resource('flavors'), flavorId);
    // Upstream takes the first binding the database returns; by profile id here, so that it is always the same one.
    const profile = await db
      .selectFrom('flavorserviceprofilebindings')
      .innerJoin('serviceprofiles', 'serviceprofiles.id', 'flavorserviceprofilebindings.service_profile_id')
      .select(['serviceprofiles.driver as driver', 'serviceprofiles.enabled as enabled'])
      .where('flavorserviceprofilebindings.flavor_id', '=', flavorId)
      .orderBy('flavorserviceprofilebindings.service_profile_id')
      .executeTakeFirst();
    if (profile === undefined) throw new FlavorServiceProfileBindingNotFound('', flavorId);
    if (profile.enabled !== 1) throw new ServiceProfileDisabled();
    const provider = L3_PROVIDERS.find((p) => p.driver === profile.driver);
    if (provider === undefined) throw new ServiceProfileDriverNotFound(profile.driver);
    return provider;
  }
}
