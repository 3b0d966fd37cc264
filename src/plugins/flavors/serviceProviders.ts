/**
 * /v2.0/service-providers (neutron/db/servicetype_db.py ServiceTypeManager,
 * services/provider_configuration.py): the provider drivers the loaded
 * service plugins register, by service type. Fixed when the server starts,
 * so served from memory; GET only. A profile's driver must be one of them.
 */
import type { RequestContext } from '../../common/context.js';
import { MethodNotAllowed, NotFound } from '../../common/errors.js';
import type { ApiObject, Collection } from '../collection.js';

export interface ServiceProvider {
  readonly serviceType: string;
  readonly name: string;
  readonly driver: string;
  readonly isDefault: boolean;
}

export class ServiceProviderService implements Collection {
  constructor(readonly providers: readonly ServiceProvider[]) {}

  /** The providers implemented by this driver (get_service_providers filtered by driver). */
  byDriver(driver: string): ServiceProvider | undefined {
    return this.providers.find((provider) => provider.driver === driver);
  }

  // Without the driver: upstream's attribute map leaves it out, so its API never shows it.
  async list(): Promise<ApiObject[]> {
    return this.providers.map((p) => ({ service_type: p.serviceType, name: p.name, default: p.isDefault }));
  }

  // Providers have no id to show one by.
  async show(): Promise<ApiObject> {
    throw new NotFound();
  }

  async update(_ctx: RequestContext, _id: string): Promise<ApiObject> {
    throw new MethodNotAllowed('PUT');
  }

  async delete(): Promise<void> {
    throw new MethodNotAllowed('DELETE');
  }
}
