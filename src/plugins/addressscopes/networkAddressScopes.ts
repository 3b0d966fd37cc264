/**
 * Networks' read-only `ipv4_address_scope` and `ipv6_address_scope`
 * (neutron/db/address_scope_db.py _extend_network_dict_address_scope): the
 * address scope of the subnet pool the network's subnets of that IP version
 * come from, or null. A network's subnets of one version all come from one
 * pool (NetworkSubnetPoolAffinityError), so the value follows subnets being
 * created, deleted or onboarded and pools changing scope, computed when shown.
 */
import type { ApiObject } from '../collection.js';
import { loadInChunks } from '../core/children.js';
import type { CoreDeps } from '../core/deps.js';

export function showNetworkAddressScopes(deps: CoreDeps): void {
  deps.extenders.of('network').push(async (db, networks) => {
    const ids = networks.map((network) => String(network.id));
    const rows = await loadInChunks(ids, (chunk) =>
      db
        .selectFrom('subnets')
        .innerJoin('subnetpools', 'subnetpools.id', 'subnets.subnetpool_id')
        .select(['subnets.network_id as network_id', 'subnetpools.ip_version as ip_version', 'subnetpools.address_scope_id as address_scope_id'])
        .distinct()
        .where('subnets.network_id', 'in', chunk)
        .execute(),
    );
    const scopes = new Map(ids.map((id): [string, ApiObject] => [id, { ipv4_address_scope: null, ipv6_address_scope: null }]));
    for (const row of rows) {
      const scope = scopes.get(row.network_id);
      if (scope === undefined) continue;
      if (Number(row.ip_version) === 4) scope.ipv4_address_scope = row.address_scope_id ?? null;
      if (Number(row.ip_version) === 6) scope.ipv6_address_scope = row.address_scope_id ?? null;
    }
    return scopes;
  });
}
