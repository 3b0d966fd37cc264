/**
 * A router's extra routes (neutron/db/extraroute_db.py): what a set of
 * routes must satisfy against the router's addresses, and the atomic
 * additions and removals of extraroute-atomic. Pure functions.
 */
import { BadRequest } from '../../common/errors.js';
import { parseIp } from '../ipam/address.js';
import { cidrContains, parseCidr } from '../ipam/cidr.js';
import { InvalidRoutes } from './errors.js';

export interface Route {
  readonly destination: string;
  readonly nexthop: string;
}

/** The subnets a router is attached to and the addresses it holds on them. */
export interface RouterAddresses {
  readonly cidrs: readonly string[];
  readonly ips: readonly string[];
}

const sameRoute = (a: Route, b: Route): boolean => a.destination === b.destination && a.nexthop === b.nexthop;

const pyRoute = (r: Route): string => `{'destination': '${r.destination}', 'nexthop': '${r.nexthop}'}`;

/** neutron-lib's type:hostroutes refuses a list naming one route twice. */
export function checkNoDuplicateRoutes(routes: readonly Route[]): void {
  routes.forEach((route, i) => {
    if (routes.slice(0, i).some((earlier) => sameRoute(earlier, route))) {
      throw new BadRequest(`Invalid input for routes. Reason: Duplicate hostroute '${pyRoute(route)}'.`);
    }
  });
}

/** Each nexthop must be on a subnet the router is attached to, and not one of the router's own addresses. */
export function validateRoutes(routes: readonly Route[], addresses: RouterAddresses): void {
  const cidrs = addresses.cidrs.map(parseCidr).filter((c) => c !== null);
  for (const route of routes) {
    const nexthop = parseIp(route.nexthop);
    if (nexthop === null || !cidrs.some((cidr) => cidrContains(cidr, nexthop))) {
      throw new InvalidRoutes(routes, 'the nexthop is not connected with router');
    }
    if (addresses.ips.some((ip) => parseIp(ip)?.value === nexthop.value && parseIp(ip)?.version === nexthop.version)) {
      throw new InvalidRoutes(routes, 'the nexthop is used by router');
    }
  }
}

/** Whether a route's nexthop lies in the subnet (the interface on it cannot go). */
export function routeUsesSubnet(route: Route, subnetCidr: string): boolean {
  const cidr = parseCidr(subnetCidr);
  const nexthop = parseIp(route.nexthop);
  return cidr !== null && nexthop !== null && cidrContains(cidr, nexthop);
}

/** add_extraroutes: the union, an exact duplicate kept once; same destinations with other nexthops all stay. */
export function addExtraRoutes(old: readonly Route[], add: readonly Route[]): Route[] {
  const out: Route[] = [];
  for (const route of [...old, ...add]) if (!out.some((r) => sameRoute(r, route))) out.push({ destination: route.destination, nexthop: route.nexthop });
  return out;
}

/** remove_extraroutes: what is left; removing a route that is not there is no error. */
export function removeExtraRoutes(old: readonly Route[], remove: readonly Route[]): Route[] {
  return old.filter((route) => !remove.some((r) => sameRoute(r, route))).map((r) => ({ destination: r.destination, nexthop: r.nexthop }));
}

/** The rows to insert and delete to go from `old` to `wanted`. */
export function diffRoutes(old: readonly Route[], wanted: readonly Route[]): { added: Route[]; removed: Route[] } {
  return {
    added: wanted.filter((route) => !old.some((r) => sameRoute(r, route))),
    removed: old.filter((route) => !wanted.some((r) => sameRoute(r, route))),
  };
}
