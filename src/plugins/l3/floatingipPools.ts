/**
 * /v2.0/floatingip_pools (neutron/db/l3_fip_pools_db.py): the IPv4 subnets
 * of the external networks the caller may take floating IPs from, read
 * with the server's eyes (a project sees the pools of an admin's external
 * network, whose subnets it cannot list). Read only.
 */
import type { RequestContext } from '../../common/context.js';
import { NotFound } from '../../common/errors.js';
import type { ApiObject, Collection } from '../collection.js';
import type { CoreDeps } from '../core/deps.js';
import type { Condition } from '../core/listRows.js';
import { visibleNetworks } from '../core/visibility.js';

export class FloatingIpPoolService implements Collection {
  constructor(private readonly deps: CoreDeps) {}

  async list(ctx: RequestContext): Promise<ApiObject[]> {
    const rows = await this.deps.db
      .selectFrom('subnets')
      .innerJoin('networks', 'networks.id', 'subnets.network_id')
      .select(['subnets.id', 'subnets.name', 'subnets.network_id', 'subnets.cidr', 'subnets.project_id'])
      .where('networks.router_external', '=', 1)
      .where('subnets.ip_version', '=', 4)
      .where((eb) => eb.and(visibleNetworks(ctx).map((condition) => condition(eb as unknown as Parameters<Condition>[0]))))
      .orderBy('subnets.id')
      .execute();
    return rows.map((r) => ({ subnet_id: r.id, subnet_name: r.name, network_id: r.network_id, cidr: r.cidr, project_id: r.project_id }));
  }

  show(): Promise<ApiObject> {
    return Promise.reject(new NotFound());
  }

  update(): Promise<ApiObject> {
    return Promise.reject(new NotFound());
  }

  delete(): Promise<void> {
    return Promise.reject(new NotFound());
  }
}
