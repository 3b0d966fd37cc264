/**
 * The ports a router uses, as its other rules need them (neutron/db/l3_db.py):
 * what they hold, whether a new subnet may join the router
 * (_check_for_dup_router_subnets), and the ports API's limits on them
 * (prevent_l3_port_deletion; l3-port-ip-change-not-allowed).
 */
import type { Tx } from '../../db/schema.js';
import type { ApiObject } from '../collection.js';
import { parseIp } from '../ipam/address.js';
import { cidrsOverlap, parseCidr } from '../ipam/cidr.js';
import { IPAddressChangeNotAllowed, RouterBadRequest, ServicePortInUse } from './errors.js';

export const ROUTER_INTERFACE = 'network:router_interface';
export const ROUTER_GATEWAY = 'network:router_gateway';
/** Ports the ports API may not delete while their router (or floating IP) exists. */
const ROUTER_DEVICE_OWNERS: ReadonlySet<string> = new Set([ROUTER_INTERFACE, ROUTER_GATEWAY]);

export interface RouterPort {
  readonly id: string;
  readonly projectId: string;
  readonly networkId: string;
  readonly deviceOwner: string;
  readonly portType: string;
  readonly fixedIps: readonly { subnet_id: string; ip_address: string }[];
}

export interface SubnetInfo {
  readonly id: string;
  readonly cidr: string;
  readonly ipVersion: number;
  readonly networkId: string;
  readonly projectId: string;
  readonly gatewayIp: string | null;
  readonly ipv6RaMode: string | null;
  readonly ipv6AddressMode: string | null;
}

/** Every port bound to the router, with its addresses. */
export async function routerPorts(tx: Tx, routerId: string): Promise<RouterPort[]> {
  const rows = await tx
    .selectFrom('routerports')
    .innerJoin('ports', 'ports.id', 'routerports.port_id')
    .select(['ports.id', 'ports.project_id', 'ports.network_id', 'ports.device_owner', 'routerports.port_type'])
    .where('routerports.router_id', '=', routerId)
    .orderBy('ports.created_at')
    .orderBy('ports.id')
    .execute();
  if (rows.length === 0) return [];
  const ips = await tx
    .selectFrom('ipallocations')
    .select(['port_id', 'subnet_id', 'ip_address'])
    .where('port_id', 'in', rows.map((r) => r.id))
    .execute();
  return rows.map((r) => ({
    id: r.id,
    projectId: r.project_id,
    networkId: r.network_id,
    deviceOwner: r.device_owner,
    portType: r.port_type,
    fixedIps: ips.filter((ip) => ip.port_id === r.id).map((ip) => ({ subnet_id: ip.subnet_id, ip_address: ip.ip_address })),
  }));
}

export async function subnetsWhere(tx: Tx, column: 'id' | 'network_id', values: readonly string[]): Promise<SubnetInfo[]> {
  if (values.length === 0) return [];
  const rows = await tx
    .selectFrom('subnets')
    .select(['id', 'cidr', 'ip_version', 'network_id', 'project_id', 'gateway_ip', 'ipv6_ra_mode', 'ipv6_address_mode'])
    .where(column, 'in', [...new Set(values)])
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    cidr: r.cidr,
    ipVersion: r.ip_version,
    networkId: r.network_id,
    projectId: r.project_id,
    gatewayIp: r.gateway_ip,
    ipv6RaMode: r.ipv6_ra_mode,
    ipv6AddressMode: r.ipv6_address_mode,
  }));
}

/** A subnet a router may not serve: IPv6 whose router advertisements come from an external router. */
export function checkSubnetAddressMode(subnet: SubnetInfo): void {
  if (subnet.ipVersion === 6 && subnet.ipv6RaMode === null && subnet.ipv6AddressMode !== null) {
    throw new RouterBadRequest(`IPv6 subnet ${subnet.id} configured to receive RAs from an external router cannot be added to Neutron Router`);
  }
}

function checkNoOverlap(existing: SubnetInfo, added: SubnetInfo): void {
  const a = parseCidr(existing.cidr);
  const b = parseCidr(added.cidr);
  if (a !== null && b !== null && cidrsOverlap(a, b)) {
    throw new RouterBadRequest(`Cidr ${added.cidr} of subnet ${added.id} overlaps with cidr ${existing.cidr} of subnet ${existing.id}`);
  }
}

/**
 * New subnets on a router: none it already has a port on, none overlapping
 * one it is attached to (all of the gateway network's subnets count).
 */
export async function checkForDupRouterSubnets(tx: Tx, ports: readonly RouterPort[], added: readonly SubnetInfo[]): Promise<void> {
  const addedIds = new Set(added.map((s) => s.id));
  const attached: string[] = [];
  const gatewayNetworks: string[] = [];
  for (const port of ports) {
    for (const ip of port.fixedIps) {
      if (addedIds.has(ip.subnet_id)) throw new RouterBadRequest(`Router already has a port on subnet ${ip.subnet_id}`);
      if (port.deviceOwner === ROUTER_GATEWAY) gatewayNetworks.push(port.networkId);
      else attached.push(ip.subnet_id);
    }
  }
  const existing = [...(await subnetsWhere(tx, 'id', attached)), ...(await subnetsWhere(tx, 'network_id', gatewayNetworks))];
  for (const subnet of existing) for (const subnet2 of added) checkNoOverlap(subnet, subnet2);
}

/** Pairwise: no two subnets of the router overlap (checked again once a new port is bound, as upstream). */
export function checkNoOverlaps(subnets: readonly SubnetInfo[]): void {
  for (let i = 0; i < subnets.length; i++) for (let j = i + 1; j < subnets.length; j++) checkNoOverlap(subnets[i]!, subnets[j]!);
}

export const hasIpv6 = (port: { readonly fixedIps: RouterPort['fixedIps'] }): boolean =>
  port.fixedIps.some((ip) => parseIp(ip.ip_address)?.version === 6);

/** Only one router port with IPv6 addresses per network. */
export function checkOneIpv6PortPerNetwork(ports: readonly RouterPort[], port: Pick<RouterPort, 'id' | 'networkId' | 'fixedIps'>): void {
  if (!hasIpv6(port)) return;
  for (const existing of ports) {
    if (existing.id !== port.id && existing.networkId === port.networkId && hasIpv6(existing)) {
      throw new RouterBadRequest(
        `Router already contains IPv6 port ${existing.id} belonging to network id ${existing.networkId}. Only one IPv6 port from the same network subnet can be connected to a router`,
      );
    }
  }
}

const routerExists = async (tx: Tx, id: string): Promise<boolean> =>
  (await tx.selectFrom('routers').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;

/** DELETE /v2.0/ports/{id} of a router's port: refused while the router exists (ServicePortInUse). */
export async function preventRouterPortDeletion(tx: Tx, port: ApiObject): Promise<void> {
  const owner = String(port.device_owner ?? '');
  if (!ROUTER_DEVICE_OWNERS.has(owner)) return;
  if (!(await routerExists(tx, String(port.device_id ?? '')))) return;
  throw new ServicePortInUse(String(port.id), `has device owner ${owner}`);
}

/**
 * l3-port-ip-change-not-allowed: the IPv4 addresses of a router interface
 * port do not change through the ports API (IPv6 prefixes may).
 */
export async function preventRouterInterfaceIpChange(tx: Tx, port: ApiObject, changes: ApiObject): Promise<void> {
  if (!('fixed_ips' in changes) || port.device_owner !== ROUTER_INTERFACE) return;
  if (!(await routerExists(tx, String(port.device_id ?? '')))) return;
  const current = (port.fixed_ips as { subnet_id: string; ip_address: string }[]).filter((ip) => parseIp(ip.ip_address)?.version === 4);
  const requested = (changes.fixed_ips ?? []) as { subnet_id?: string; ip_address?: string }[];
  // An entry naming only a subnet keeps the port's address there, if it has one.
  const kept = new Set<string>();
  let added = false;
  for (const entry of requested) {
    if (entry.ip_address !== undefined) {
      if (parseIp(entry.ip_address)?.version !== 4) continue;
      const same = current.find((ip) => ip.ip_address === entry.ip_address);
      if (same) kept.add(same.ip_address);
      else added = true;
    } else if (entry.subnet_id !== undefined) {
      const same = current.find((ip) => ip.subnet_id === entry.subnet_id && !kept.has(ip.ip_address));
      if (same) kept.add(same.ip_address);
      else {
        const subnet = await tx.selectFrom('subnets').select('ip_version').where('id', '=', entry.subnet_id).executeTakeFirst();
        if (subnet?.ip_version === 4) added = true;
      }
    }
  }
  if (added || kept.size !== current.length) throw new IPAddressChangeNotAllowed(String(port.id));
}

/** add/remove_router_interface bodies: a subnet_id or a port_id (on add, not both). */
export function interfaceInfo(body: ApiObject, forRemoval: boolean): { portId?: string; subnetId?: string } {
  const portId = typeof body.port_id === 'string' ? body.port_id : undefined;
  const subnetId = typeof body.subnet_id === 'string' ? body.subnet_id : undefined;
  if (portId === undefined && subnetId === undefined) throw new RouterBadRequest('Either subnet_id or port_id must be specified');
  if (!forRemoval && portId !== undefined && subnetId !== undefined) throw new RouterBadRequest('Cannot specify both subnet-id and port-id');
  return { ...(portId !== undefined ? { portId } : {}), ...(subnetId !== undefined ? { subnetId } : {}) };
}
