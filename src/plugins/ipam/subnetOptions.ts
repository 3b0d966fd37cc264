/**
 * A subnet's dns_nameservers and host_routes: neutron-lib's attribute
 * validators (format, duplicates; 400 HTTPBadRequest naming the attribute)
 * and the plugin's checks (limits, IP version).
 */
import { BadRequest, DnsNameserversExhausted, HostRoutesExhausted, InvalidInput } from '../../common/errors.js';
import { formatIp, parseIp, validateIpAddress } from './address.js';
import { cidrOf, cidrWithin, formatCidr, parseCidr, parseIpWithPrefix } from './cidr.js';
import type { HostRoute, IpVersion } from './types.js';

/** "Invalid input for <attr>. Reason: <reason>." as the API layer words a failed validator. */
export function invalidAttribute(attribute: string, reason: string): InstanceType<typeof BadRequest> {
  return new BadRequest(`Invalid input for ${attribute}. Reason: ${reason}.`);
}

/** db_base_plugin_v2._validate_ip_version's complaint. */
export function versionMismatch(name: string, text: string, ipVersion: IpVersion): InstanceType<typeof InvalidInput> {
  return new InvalidInput(`${name} '${text}' does not match the ip_version '${ipVersion}'`);
}

/**
 * Nameservers in order, canonical: each a valid address, no duplicates (400
 * "Invalid input for dns_nameservers"), at most `limit` (400
 * DNSNameServersExhausted naming `subnetLabel`), all of the subnet's version.
 */
export function resolveNameservers(
  nameservers: readonly string[],
  ipVersion: IpVersion,
  limit: number,
  subnetLabel: string,
): string[] {
  const seen = new Set<string>();
  const resolved = nameservers.map((host) => {
    const ip = parseIp(host);
    if (ip === null) {
      throw invalidAttribute('dns_nameservers', `'${host}' is not a valid nameserver. ${validateIpAddress(host) ?? ''}`);
    }
    const canonical = formatIp(ip.value, ip.version);
    if (seen.has(canonical)) throw invalidAttribute('dns_nameservers', `Duplicate nameserver '${host}'`);
    seen.add(canonical);
    return { host, ip, canonical };
  });
  if (resolved.length > limit) throw new DnsNameserversExhausted(subnetLabel, limit);
  for (const { host, ip } of resolved) {
    if (ip.version !== ipVersion) throw versionMismatch('dns_nameserver', host, ipVersion);
  }
  return resolved.map((r) => r.canonical);
}

const LOOPBACK = [parseCidr('127.0.0.0/8'), parseCidr('::1/128')];

/** neutron-lib validate_route_cidr: undefined when valid, else the reason. */
export function validateRouteCidr(text: string): string | undefined {
  const parsed = text.includes('/') ? parseIpWithPrefix(text) : null;
  if (parsed === null) return `'${text}' is not a valid CIDR`;
  const cidr = cidrOf(parsed.ip, parsed.prefixLen);
  if (cidr.network !== parsed.ip.value) return `'${text}' is not a valid CIDR`;
  if (LOOPBACK.some((loop) => loop !== null && cidrWithin(cidr, loop))) return `'${text}' is not a routable CIDR`;
  return undefined;
}

function routeRepr(route: HostRoute): string {
  return `{'destination': '${route.destination}', 'nexthop': '${route.nexthop}'}`;
}

/**
 * Host routes, canonical: destination a network CIDR (not loopback), nexthop
 * an address, no duplicates (400 "Invalid input for host_routes"), at most
 * `limit` (400 HostRoutesExhausted), both of the subnet's version.
 */
export function resolveHostRoutes(
  routes: readonly HostRoute[],
  ipVersion: IpVersion,
  limit: number,
  subnetLabel: string,
): HostRoute[] {
  const seen = new Set<string>();
  const resolved = routes.map((route) => {
    const destinationError = validateRouteCidr(route.destination);
    if (destinationError !== undefined) throw invalidAttribute('host_routes', destinationError);
    const nexthopError = validateIpAddress(route.nexthop);
    if (nexthopError !== undefined) throw invalidAttribute('host_routes', nexthopError);
    const destination = parseCidr(route.destination);
    const nexthop = parseIp(route.nexthop);
    if (destination === null || nexthop === null) throw invalidAttribute('host_routes', `'${route.destination}' is not a valid CIDR`);
    const canonical = { destination: formatCidr(destination), nexthop: formatIp(nexthop.value, nexthop.version) };
    const key = `${canonical.destination}_${canonical.nexthop}`;
    if (seen.has(key)) throw invalidAttribute('host_routes', `Duplicate hostroute '${routeRepr(route)}'`);
    seen.add(key);
    return { route, canonical, destinationVersion: destination.version, nexthopVersion: nexthop.version };
  });
  if (resolved.length > limit) throw new HostRoutesExhausted(subnetLabel, limit);
  for (const { route, destinationVersion, nexthopVersion } of resolved) {
    if (nexthopVersion !== ipVersion) throw versionMismatch('nexthop', route.nexthop, ipVersion);
    if (destinationVersion !== ipVersion) throw versionMismatch('destination', route.destination, ipVersion);
  }
  return resolved.map((r) => r.canonical);
}
