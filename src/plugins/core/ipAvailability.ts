/** network-ip-availability: per network and subnet, how many pool addresses exist and how many are in use. */
import type { Db } from '../../db/schema.js';
import { countAddresses } from '../ipam/freeAddresses.js';
import { groupByParent } from './children.js';

export interface SubnetAvailability {
  subnet_id: string;
  subnet_name: string;
  cidr: string;
  ip_version: number;
  total_ips: bigint;
  used_ips: number;
}

export interface NetworkAvailability {
  network_id: string;
  network_name: string;
  tenant_id: string;
  project_id: string;
  total_ips: bigint;
  used_ips: number;
  subnet_ip_availability: SubnetAvailability[];
}

export interface AvailabilityFilter {
  readonly networkIds?: readonly string[];
  readonly networkNames?: readonly string[];
  readonly projectIds?: readonly string[];
  readonly ipVersions?: readonly number[];
}

export async function ipAvailability(db: Db, filter: AvailabilityFilter): Promise<NetworkAvailability[]> {
  let query = db.selectFrom('networks').select(['id', 'name', 'project_id']).orderBy('created_at').orderBy('id');
  if (filter.networkIds?.length) query = query.where('id', 'in', filter.networkIds);
  if (filter.networkNames?.length) query = query.where('name', 'in', filter.networkNames);
  if (filter.projectIds?.length) query = query.where('project_id', 'in', filter.projectIds);
  const networks = await query.execute();
  const ids = networks.map((n) => n.id);
  const subnets = await groupByParent(
    ids,
    (chunk) => {
      let q = db.selectFrom('subnets').select(['id', 'name', 'cidr', 'ip_version', 'network_id']).where('network_id', 'in', chunk);
      if (filter.ipVersions?.length) q = q.where('ip_version', 'in', filter.ipVersions);
      return q.orderBy('created_at').execute();
    },
    (s) => s.network_id,
  );
  const subnetIds = [...subnets.values()].flat().map((s) => s.id);
  const pools = await groupByParent(
    subnetIds,
    (chunk) => db.selectFrom('subnet_allocation_pools').select(['subnet_id', 'first_ip', 'last_ip']).where('subnet_id', 'in', chunk).execute(),
    (p) => p.subnet_id,
  );
  const used = await groupByParent(
    subnetIds,
    (chunk) =>
      db
        .selectFrom('ipallocations')
        .select(['subnet_id', db.fn.countAll<number>().as('used')])
        .where('subnet_id', 'in', chunk)
        .groupBy('subnet_id')
        .execute(),
    (u) => u.subnet_id,
  );
  return networks
    .filter((n) => !filter.ipVersions?.length || (subnets.get(n.id)?.length ?? 0) > 0)
    .map((n) => {
      const perSubnet = (subnets.get(n.id) ?? []).map((s) => ({
        subnet_id: s.id,
        subnet_name: s.name,
        cidr: s.cidr,
        ip_version: s.ip_version,
        total_ips: countAddresses((pools.get(s.id) ?? []).map((p) => ({ start: p.first_ip, end: p.last_ip }))),
        used_ips: Number(used.get(s.id)?.[0]?.used ?? 0),
      }));
      return {
        network_id: n.id,
        network_name: n.name,
        tenant_id: n.project_id,
        project_id: n.project_id,
        total_ips: perSubnet.reduce((sum, s) => sum + s.total_ips, 0n),
        used_ips: perSubnet.reduce((sum, s) => sum + s.used_ips, 0),
        subnet_ip_availability: perSubnet,
      };
    });
}
