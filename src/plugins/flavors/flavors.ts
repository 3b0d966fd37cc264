/**
 * The flavors service plugin (neutron/db/flavors_db.py): flavors, service
 * profiles and the bindings between them. Neither belongs to a project;
 * policy keeps writes to admins.
 *
 * - A flavor's service_type must be the type of a loaded service plugin
 *   (InvalidServiceType). Its `service_profiles` shows the bound profiles;
 *   upstream ignores the attribute on create and update, and so does this.
 *   A flavor that routers use stays (FlavorInUse).
 * - A profile needs a driver or metainfo (ServiceProfileEmpty); a driver
 *   must be a registered provider's (ServiceProfileDriverNotFound). A
 *   profile bound to a flavor can be neither changed nor deleted
 *   (ServiceProfileInUse).
 * - Binding a bound pair is FlavorServiceProfileBindingExists, unbinding an
 *   unbound one FlavorServiceProfileBindingNotFound.
 */
import type { RequestContext } from '../../common/context.js';
import { MethodNotAllowed, resourceNotFound } from '../../common/errors.js';
import { isUniqueViolation } from '../../db/errors.js';
import type { Db, Tx } from '../../db/schema.js';
import type { ApiObject, Collection, ListRequest, NestedCollection } from '../collection.js';
import type { CoreDeps } from '../core/deps.js';
import { StoredCollection } from '../core/storedCollection.js';
import { FlavorInUse, FlavorServiceProfileBindingExists, FlavorServiceProfileBindingNotFound, InvalidServiceType, ServiceProfileDriverNotFound, ServiceProfileEmpty, ServiceProfileInUse } from './errors.js';
import type { ServiceProviderService } from './serviceProviders.js';

/** The ids of the profiles bound to each of these flavors, sorted. */
async function profilesOf(db: Db, flavorIds: readonly string[]): Promise<Map<string, string[]>> {
  const bound = new Map<string, string[]>();
  if (flavorIds.length === 0) return bound;
  const rows = await db
    .selectFrom('flavorserviceprofilebindings')
    .select(['flavor_id', 'service_profile_id'])
    .where('flavor_id', 'in', [...flavorIds])
    .orderBy('service_profile_id')
    .execute();
  for (const row of rows) bound.set(row.flavor_id, [...(bound.get(row.flavor_id) ?? []), row.service_profile_id]);
  return bound;
}

/** `serviceTypes`: the plugin types of the loaded service plugins (neutron-lib's type:service_plugin_type asks the plugin directory). */
export function flavorService(deps: CoreDeps, serviceTypes: ReadonlySet<string>): StoredCollection {
  return new StoredCollection(deps, deps.api.resource('flavors'), {
    async derive(db, _ctx, objects) {
      const bound = await profilesOf(db, objects.map((o) => String(o.id)));
      for (const object of objects) object.service_profiles = bound.get(String(object.id)) ?? [];
    },
    async checkCreate(_tx, _ctx, item) {
      const serviceType = String(item.service_type);
      if (!serviceTypes.has(serviceType)) throw new InvalidServiceType(serviceType);
    },
    async checkDelete(tx, _ctx, current) {
      const router = await tx.selectFrom('routers').select('id').where('flavor_id', '=', String(current.id)).executeTakeFirst();
      if (router !== undefined) throw new FlavorInUse(String(current.id));
    },
  });
}

export function serviceProfileService(deps: CoreDeps, providers: ServiceProviderService): StoredCollection {
  const checkDriver = (driver: unknown) => {
    if (typeof driver === 'string' && driver !== '' && providers.byDriver(driver) === undefined) throw new ServiceProfileDriverNotFound(driver);
  };
  const checkNotBound = async (tx: Tx, id: string) => {
    const binding = await tx.selectFrom('flavorserviceprofilebindings').select('flavor_id').where('service_profile_id', '=', id).executeTakeFirst();
    if (binding !== undefined) throw new ServiceProfileInUse(id);
  };
  return new StoredCollection(deps, deps.api.resource('service_profiles'), {
    async checkCreate(_tx, _ctx, item) {
      // Python truthiness, as upstream: an empty or null metainfo is no metainfo.
      if (item.driver === '' && (item.metainfo === '' || item.metainfo === null)) throw new ServiceProfileEmpty();
      checkDriver(item.driver);
    },
    async checkUpdate(tx, _ctx, current, changes) {
      checkDriver(changes.driver);
      await checkNotBound(tx, String(current.id));
    },
    async checkDelete(tx, _ctx, current) {
      await checkNotBound(tx, String(current.id));
    },
  });
}

/**
 * /v2.0/flavors/{id}/service_profiles: the flavor's bindings, each shown as
 * {"id": <profile id>}. The flavor and the profile must exist (upstream
 * leaves a missing one to the database's foreign keys).
 */
export class FlavorServiceProfiles implements NestedCollection {
  constructor(
    private readonly deps: CoreDeps,
    private readonly flavors: Collection,
  ) {}

  within(flavorId: string): Collection {
    const { deps, flavors } = this;
    const bindingRow = (db: Db, profileId: string) =>
      db
        .selectFrom('flavorserviceprofilebindings')
        .select('service_profile_id')
        .where('flavor_id', '=', flavorId)
        .where('service_profile_id', '=', profileId)
        .executeTakeFirst();
    // Inside the binding's transaction: a query on another connection could wait for it (SQLite has one writer).
    const exists = async (tx: Tx, table: 'flavors' | 'serviceprofiles', collection: 'flavors' | 'service_profiles', id: string) => {
      const row = await tx.selectFrom(table).select('id').where('id', '=', id).executeTakeFirst();
      if (row === undefined) throw resourceNotFound(deps.api.resource(collection), id);
    };
    return {
      async list(ctx: RequestContext, _query: ListRequest) {
        const flavor = await flavors.show(ctx, flavorId);
        return (flavor.service_profiles as string[]).map((id) => ({ id }));
      },
      async show(_ctx: RequestContext, profileId: string) {
        if ((await bindingRow(deps.db, profileId)) === undefined) throw new FlavorServiceProfileBindingNotFound(profileId, flavorId);
        return { id: profileId };
      },
      async create(_ctx: RequestContext, items: readonly ApiObject[]) {
        return deps.transaction(async (tx) => {
          const created: ApiObject[] = [];
          await exists(tx, 'flavors', 'flavors', flavorId);
          for (const item of items) {
            const profileId = String(item.id);
            await exists(tx, 'serviceprofiles', 'service_profiles', profileId);
            if ((await bindingRow(tx, profileId)) !== undefined) throw new FlavorServiceProfileBindingExists(profileId, flavorId);
            try {
              await tx.insertInto('flavorserviceprofilebindings').values({ flavor_id: flavorId, service_profile_id: profileId }).execute();
            } catch (err) {
              // Bound by someone else since the check: the same answer.
              if (isUniqueViolation(err)) throw new FlavorServiceProfileBindingExists(profileId, flavorId);
              throw err;
            }
            created.push({ id: profileId });
          }
          return created;
        });
      },
      async update(_ctx: RequestContext, _id: string) {
        throw new MethodNotAllowed('PUT');
      },
      async delete(_ctx: RequestContext, profileId: string) {
        const removed = await deps.db
          .deleteFrom('flavorserviceprofilebindings')
          .where('flavor_id', '=', flavorId)
          .where('service_profile_id', '=', profileId)
          .executeTakeFirst();
        if (removed.numDeletedRows === 0n) throw new FlavorServiceProfileBindingNotFound(profileId, flavorId);
      },
    };
  }
}
