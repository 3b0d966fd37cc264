/**
 * What an L3 agent gets for its routers (l3_db get_sync_data): each router
 * as an admin sees it, with its gateway port (`gw_port`), its interfaces
 * (`_interfaces`) and the floating IPs it forwards (`_floatingips`); each
 * port with its subnets (cidr, gateway) and its network's MTU, and its
 * fixed IPs with their prefix length. A handful of queries for all the
 * routers together, whatever their number.
 */
import { adminContext } from '../../common/context.js';
import type { Db } from '../../db/schema.js';
import type { RouterPort, SyncFloatingIp, SyncRouter } from '../../rpc/contract/index.js';
import type { ApiObject, Collection } from '../collection.js';
import { ROUTER_GATEWAY, ROUTER_INTERFACE } from './routerPorts.js';

const SYSTEM = adminContext('req-l3-sync');

const prefixOf = (cidr: string): number => Number(cidr.slice(cidr.indexOf('/') + 1));

export async function syncRouters(db: Db, routers: Pick<Collection, 'list'>, routerIds: readonly string[]): Promise<SyncRouter[]> {
  if (routerIds.length === 0) return [];
  const ids = [...new Set(routerIds)];
  const objects = await routers.list(SYSTEM, { filters: new Map([['id', ids]]), sorts: [] });
  const [ports, floatingIps] = await Promise.all([routerPortsOf(db, ids), floatingIpsOf(db, ids)]);
  return objects.map((router: ApiObject) => {
    const id = String(router.id);
    const own = ports.get(id) ?? [];
    const info = router.external_gateway_info as { enable_snat?: boolean } | null;
    return {
      ...(router as SyncRouter),
      ...(info ? { enable_snat: info.enable_snat ?? true } : {}),
      gw_port: own.find((p) => p.device_owner === ROUTER_GATEWAY) ?? null,
      _interfaces: own.filter((p) => p.device_owner === ROUTER_INTERFACE),
      _floatingips: floatingIps.get(id) ?? [],
    };
  });
}

async function routerPortsOf(db: Db, routerIds: readonly string[]): Promise<Map<string, RouterPort[]>> {
  const rows = await db
    .selectFrom('routerports')
    .innerJoin('ports', 'ports.id', 'routerports.port_id')
    .innerJoin('networks', 'networks.id', 'ports.network_id')
    .select([
      'routerports.router_id',
      'ports.id',
      'ports.network_id',
      'ports.mac_address',
      'ports.device_owner',
      'ports.admin_state_up',
      'ports.binding_host_id',
      'networks.mtu',
    ])
    .where('routerports.router_id', 'in', routerIds)
    .orderBy('ports.created_at')
    .orderBy('ports.id')
    .execute();
  if (rows.length === 0) return new Map();
  const ips = await db
    .selectFrom('ipallocations')
    .innerJoin('subnets', 'subnets.id', 'ipallocations.subnet_id')
    .select(['ipallocations.port_id', 'ipallocations.ip_address', 'subnets.id as subnet_id', 'subnets.cidr', 'subnets.gateway_ip'])
    .where('ipallocations.port_id', 'in', rows.map((r) => r.id))
    .orderBy('subnets.id')
    .execute();
  const out = new Map<string, RouterPort[]>();
  for (const row of rows) {
    const own = ips.filter((ip) => ip.port_id === row.id);
    const port: RouterPort = {
      id: row.id,
      network_id: row.network_id,
      mac_address: row.mac_address,
      device_owner: row.device_owner,
      admin_state_up: row.admin_state_up === 1,
      fixed_ips: own.map((ip) => ({ subnet_id: ip.subnet_id, ip_address: ip.ip_address, prefixlen: prefixOf(ip.cidr) })),
      subnets: [...new Map(own.map((ip) => [ip.subnet_id, { id: ip.subnet_id, cidr: ip.cidr, gateway_ip: ip.gateway_ip }])).values()],
      mtu: row.mtu > 0 ? row.mtu : null,
      'binding:host_id': row.binding_host_id,
    };
    out.set(row.router_id, [...(out.get(row.router_id) ?? []), port]);
  }
  return out;
}

async function floatingIpsOf(db: Db, routerIds: readonly string[]): Promise<Map<string, SyncFloatingIp[]>> {
  const rows = await db
    .selectFrom('floatingips')
    .select(['id', 'floating_ip_address', 'floating_network_id', 'fixed_ip_address', 'fixed_port_id', 'router_id', 'status'])
    .where('router_id', 'in', routerIds)
    .orderBy('floating_ip_address')
    .execute();
  const out = new Map<string, SyncFloatingIp[]>();
  for (const row of rows) {
    if (row.router_id === null || row.fixed_port_id === null || row.fixed_ip_address === null) continue;
    const fip: SyncFloatingIp = {
      id: row.id,
      floating_ip_address: row.floating_ip_address,
      floating_network_id: row.floating_network_id,
      fixed_ip_address: row.fixed_ip_address,
      port_id: row.fixed_port_id,
      router_id: row.router_id,
      status: row.status,
    };
    out.set(row.router_id, [...(out.get(row.router_id) ?? []), fip]);
  }
  return out;
}
