/**
 * A port's `fixed_ips` resolved against its network's subnets into a plan
 * the storage layer executes (neutron/db/ipam_pluggable_backend.py and
 * ipam_backend_mixin.py): which explicit addresses to take, where to take
 * any free one, which SLAAC (EUI-64) addresses to record; and, for PUT, what
 * to keep, release and add.
 */
import {
  AllocationOnAutoAddressSubnet,
  InvalidInput,
  InvalidIpForNetwork,
  InvalidIpForSubnet,
  IpAddressGenerationFailureNoMatchingSubnet,
  SubnetNotFound,
} from '../../common/errors.js';
import { canonicalIp, parseIp, validateIpAddress, type IpAddress } from './address.js';
import { isAutoAddressSubnet, type AddressModes } from './addressModes.js';
import { cidrContains, cidrFirst, cidrLast, parseCidr } from './cidr.js';
import { eui64Address } from './eui64.js';
import { normaliseMac } from './mac.js';
import { invalidAttribute } from './subnetOptions.js';
import type { FixedIp, IpVersion } from './types.js';

/** What the planner needs to know of a subnet of the port's network. */
export interface PortSubnet extends AddressModes {
  readonly id: string;
  readonly cidr: string;
  readonly ipVersion: IpVersion;
  /** Only consulted for service-typed subnets and DHCP ports. */
  readonly enableDhcp?: boolean | undefined;
  /** The subnet's service_types: when non-empty, only ports with such a device_owner use it. */
  readonly serviceTypes?: readonly string[] | undefined;
}

/** One entry of the request's `fixed_ips`. */
export interface FixedIpRequest {
  readonly subnetId?: string | undefined;
  readonly ipAddress?: string | undefined;
  /** PUT only, Neutron's `delete_subnet`: release this subnet's address, SLAAC ones too. */
  readonly deleteSubnet?: boolean | undefined;
}

/**
 * One step of an allocation plan, executed in order:
 * `explicit`: take this address (409 IpAddressAlreadyAllocated if taken);
 * `any`: a free address of this subnet (exhausted -> 409 IpAddressGenerationFailure);
 * `any-of`: a free address of the first of these subnets that has one;
 * `slaac`: record this EUI-64 address (no pool involved).
 */
export type FixedIpPlanItem =
  | { readonly kind: 'explicit'; readonly subnetId: string; readonly ipAddress: string }
  | { readonly kind: 'any'; readonly subnetId: string }
  | { readonly kind: 'any-of'; readonly subnetIds: readonly string[] }
  | { readonly kind: 'slaac'; readonly subnetId: string; readonly ipAddress: string };

/** The port and network a plan is made for. */
export interface PortAddressing {
  readonly networkId: string;
  /** All subnets of the network, in creation order. */
  readonly subnets: readonly PortSubnet[];
  readonly deviceOwner: string;
  /** The port's MAC (after the update, for PUT): SLAAC addresses derive from it. */
  readonly macAddress: string;
  /** Neutron removed this limit in 2017; set it to enforce one. */
  readonly maxFixedIpsPerPort?: number | undefined;
  /** Lets a subnet of another network be told from a missing one (404 instead of 400). */
  readonly subnetExists?: ((subnetId: string) => boolean) | undefined;
}

export interface FixedIpsUpdate {
  /** Addresses the port keeps, in their current order. */
  readonly keep: readonly FixedIp[];
  /** Addresses to release. */
  readonly remove: readonly FixedIp[];
  /** Addresses to allocate. */
  readonly add: readonly FixedIpPlanItem[];
}

const ROUTER_INTERFACE_OWNERS: ReadonlySet<string> = new Set([
  'network:router_interface',
  'network:ha_router_replicated_interface',
  'network:router_interface_distributed',
]);
const ROUTER_INTERFACE_OWNERS_SNAT: ReadonlySet<string> = new Set([
  ...ROUTER_INTERFACE_OWNERS,
  'network:router_centralized_snat',
]);
const ROUTER_PORT_OWNERS: ReadonlySet<string> = new Set([...ROUTER_INTERFACE_OWNERS_SNAT, 'network:router_gateway']);
const DHCP_OWNER = 'network:dhcp';

/**
 * Ports whose `any` allocations take the first free address rather than a
 * random one (Neutron's PreferNextAddressRequest).
 */
export function prefersNextAddress(deviceOwner: string): boolean {
  return deviceOwner === DHCP_OWNER || deviceOwner === 'network:distributed';
}

/**
 * ipam utils check_subnet_ip: the address lies in the subnet and is not its
 * IPv4 network address, nor its broadcast address when it has one (netaddr
 * has none for /31 and /32); on IPv6 the network (subnet-router anycast)
 * address is only for router ports and ports with no owner.
 */
export function isValidIpForSubnet(cidrText: string, ip: IpAddress, deviceOwner: string): boolean {
  const cidr = parseCidr(cidrText);
  if (cidr === null || !cidrContains(cidr, ip)) return false;
  if (cidr.version === 4) {
    const hasBroadcast = cidr.prefixLen < 31;
    return ip.value !== cidrFirst(cidr) && !(hasBroadcast && ip.value === cidrLast(cidr));
  }
  return ROUTER_PORT_OWNERS.has(deviceOwner) || deviceOwner === '' || ip.value !== cidrFirst(cidr);
}

/** Subnets the port may use given service types, those with service types first. */
function candidateSubnets(port: PortAddressing): PortSubnet[] {
  const eligible = port.subnets.filter(
    (s) =>
      (s.serviceTypes ?? []).length === 0 ||
      (s.serviceTypes ?? []).includes(port.deviceOwner) ||
      (s.enableDhcp === true && port.deviceOwner === DHCP_OWNER),
  );
  if (eligible.length === 0 && port.subnets.length > 0) {
    throw new IpAddressGenerationFailureNoMatchingSubnet(port.networkId, port.deviceOwner);
  }
  const typed = eligible.filter((s) => (s.serviceTypes ?? []).length > 0);
  const untyped = eligible.filter((s) => (s.serviceTypes ?? []).length === 0);
  return [...typed, ...untyped];
}

/** neutron-lib validate_fixed_ips (valid, unique addresses) and the optional count limit. */
function checkRequestFormat(requested: readonly FixedIpRequest[], port: PortAddressing): void {
  const seen = new Set<string>();
  for (const entry of requested) {
    if (entry.ipAddress === undefined) continue;
    const canonical = canonicalIp(entry.ipAddress);
    if (canonical !== null && seen.has(canonical)) {
      throw invalidAttribute('fixed_ips', `Duplicate IP address '${entry.ipAddress}'`);
    }
    const reason = validateIpAddress(entry.ipAddress);
    if (reason !== undefined) throw invalidAttribute('fixed_ips', reason);
    if (canonical !== null) seen.add(canonical);
  }
  if (port.maxFixedIpsPerPort !== undefined && requested.length > port.maxFixedIpsPerPort) {
    throw new InvalidInput('Exceeded maximum amount of fixed ips per port');
  }
}

interface ResolvedEntry {
  readonly subnet: PortSubnet;
  /** Canonical, when the entry names an address. */
  readonly ipAddress: string | null;
}

/** IpamBackendMixin._get_subnet_for_fixed_ip. */
function resolveEntry(entry: FixedIpRequest, candidates: readonly PortSubnet[], port: PortAddressing): ResolvedEntry {
  if (candidates.length === 0) throw new InvalidInput('IP allocation requires subnets for network');
  const ip = entry.ipAddress === undefined ? null : parseIp(entry.ipAddress);
  const ipAddress = entry.ipAddress === undefined ? null : canonicalIp(entry.ipAddress);
  if (entry.subnetId !== undefined) {
    const subnet = candidates.find((s) => s.id === entry.subnetId);
    if (subnet === undefined) {
      if (port.subnetExists?.(entry.subnetId) === false) throw new SubnetNotFound(entry.subnetId);
      throw new InvalidInput(
        `Failed to create port on network ${port.networkId}, because fixed_ips included invalid subnet ${entry.subnetId}`,
      );
    }
    if (entry.ipAddress !== undefined && (ip === null || !isValidIpForSubnet(subnet.cidr, ip, port.deviceOwner))) {
      throw new InvalidIpForSubnet(entry.ipAddress);
    }
    return { subnet, ipAddress };
  }
  if (entry.ipAddress === undefined || ip === null) {
    throw new InvalidInput('IP allocation requires subnet_id or ip_address');
  }
  const subnet = candidates.find((s) => isValidIpForSubnet(s.cidr, ip, port.deviceOwner));
  if (subnet === undefined) throw new InvalidIpForNetwork(entry.ipAddress);
  return { subnet, ipAddress };
}

/**
 * IpamPluggableBackend._test_fixed_ips_for_port: explicit addresses (on a
 * SLAAC subnet only the port's own EUI-64 address, router interfaces
 * excepted) and `any` requests; `{subnet_id}` of a SLAAC subnet is dropped
 * for non-router ports because the SLAAC scan covers it.
 */
function planEntries(entries: readonly FixedIpRequest[], candidates: readonly PortSubnet[], port: PortAddressing) {
  const explicit: FixedIpPlanItem[] = [];
  const any: FixedIpPlanItem[] = [];
  for (const entry of entries) {
    const { subnet, ipAddress } = resolveEntry(entry, candidates, port);
    const auto = isAutoAddressSubnet(subnet);
    if (ipAddress !== null) {
      if (auto && !ROUTER_INTERFACE_OWNERS.has(port.deviceOwner)) {
        if (eui64Address(subnet.cidr, port.macAddress) !== ipAddress) {
          throw new AllocationOnAutoAddressSubnet(entry.ipAddress ?? ipAddress, subnet.id);
        }
      }
      explicit.push({ kind: 'explicit', subnetId: subnet.id, ipAddress });
    } else if (ROUTER_INTERFACE_OWNERS_SNAT.has(port.deviceOwner) || !auto) {
      any.push({ kind: 'any', subnetId: subnet.id });
    }
  }
  return { explicit, any };
}

/** EUI-64 addresses on the auto-address subnets not yet handled; none for router interfaces. */
function slaacItems(candidates: readonly PortSubnet[], port: PortAddressing, handled: ReadonlySet<string>): FixedIpPlanItem[] {
  if (ROUTER_INTERFACE_OWNERS_SNAT.has(port.deviceOwner)) return [];
  return candidates
    .filter((s) => s.ipVersion === 6 && isAutoAddressSubnet(s) && !handled.has(s.id))
    .map((s) => ({ kind: 'slaac', subnetId: s.id, ipAddress: eui64Address(s.cidr, port.macAddress) }));
}

function subnetIdsOf(items: readonly FixedIpPlanItem[]): Set<string> {
  return new Set(items.flatMap((item) => (item.kind === 'any-of' ? item.subnetIds : [item.subnetId])));
}

/**
 * Plans a port create. `undefined` (fixed_ips not given): one address from
 * the first IPv4 subnet with room, one from the first stateful/plain IPv6
 * subnet with room (`any-of` lists the candidates in order), and the EUI-64
 * address on every SLAAC/dhcpv6-stateless subnet (not for router interfaces).
 * `[]`: no address. Otherwise each entry is checked and planned; explicit
 * addresses may lie outside the pools but inside the CIDR; SLAAC subnets not
 * named still get their EUI-64 address, as in Neutron. Explicit items come
 * first so that no `any` takes an address asked for explicitly. Example:
 * `planFixedIps([{ipAddress: '10.0.0.7'}], port)` gives
 * `[{kind: 'explicit', subnetId, ipAddress: '10.0.0.7'}]`.
 */
export function planFixedIps(requested: readonly FixedIpRequest[] | undefined, port: PortAddressing): FixedIpPlanItem[] {
  if (requested !== undefined && requested.length === 0) return [];
  const candidates = candidateSubnets(port);
  if (requested === undefined) {
    const v4 = candidates.filter((s) => s.ipVersion === 4).map((s) => s.id);
    const v6Stateful = candidates.filter((s) => s.ipVersion === 6 && !isAutoAddressSubnet(s)).map((s) => s.id);
    const plan: FixedIpPlanItem[] = [];
    if (v4.length > 0) plan.push({ kind: 'any-of', subnetIds: v4 });
    if (v6Stateful.length > 0) plan.push({ kind: 'any-of', subnetIds: v6Stateful });
    return [...plan, ...slaacItems(candidates, port, new Set())];
  }
  checkRequestFormat(requested, port);
  const { explicit, any } = planEntries(requested, candidates, port);
  return [...explicit, ...any, ...slaacItems(candidates, port, subnetIdsOf(explicit))];
}

/**
 * Resolves a port update (IpamPluggableBackend._update_ips_for_port). The
 * requested list replaces the current one: an entry naming an address the
 * port has keeps it; `{subnet_id}` alone keeps the port's (last) address on
 * that subnet when it has one; everything else requested is planned as at
 * create. A current address nobody asked for is released, except a SLAAC one
 * (non-router port) unless its subnet is named with `deleteSubnet`. SLAAC
 * subnets the port has no address on get one. `requested` undefined means
 * fixed_ips is not in the PUT: nothing changes unless the MAC changes
 * (`previousMacAddress`), which re-derives the port's EUI-64 addresses.
 */
export function updateFixedIps(
  current: readonly FixedIp[],
  requested: readonly FixedIpRequest[] | undefined,
  port: PortAddressing & { readonly previousMacAddress?: string | undefined },
): FixedIpsUpdate {
  const routerPort = ROUTER_INTERFACE_OWNERS_SNAT.has(port.deviceOwner);
  const subnetById = new Map(port.subnets.map((s) => [s.id, s]));
  const macChanged =
    port.previousMacAddress !== undefined && normaliseMac(port.previousMacAddress) !== normaliseMac(port.macAddress);

  // A MAC change re-derives the EUI-64 addresses: the old ones go, new ones come.
  const rederive = new Map<string, string>();
  if (macChanged && !routerPort && port.previousMacAddress !== undefined) {
    for (const ip of current) {
      const subnet = subnetById.get(ip.subnetId);
      if (subnet !== undefined && subnet.ipVersion === 6 && isAutoAddressSubnet(subnet)) {
        if (eui64Address(subnet.cidr, port.previousMacAddress) === canonicalIp(ip.ipAddress)) {
          rederive.set(ip.subnetId, ip.ipAddress);
        }
      }
    }
  }
  if (requested === undefined && rederive.size === 0) return { keep: [...current], remove: [], add: [] };

  const requestedList: readonly FixedIpRequest[] = requested ?? current;
  if (requested !== undefined) checkRequestFormat(requested, port);
  const rederivedAddresses = new Set([...rederive.values()].map((text) => canonicalIp(text)));
  const deleteSubnetIds = new Set<string>(rederive.keys());
  for (const entry of requestedList) {
    if (entry.deleteSubnet === true && entry.subnetId !== undefined) deleteSubnetIds.add(entry.subnetId);
  }
  const entries = requestedList.filter(
    (entry) =>
      !(entry.subnetId !== undefined && deleteSubnetIds.has(entry.subnetId)) &&
      !(entry.ipAddress !== undefined && rederivedAddresses.has(canonicalIp(entry.ipAddress))),
  );

  // IpamBackendMixin._get_changed_ips_for_port
  const kept = new Set<FixedIp>();
  const toAdd: FixedIpRequest[] = [];
  const unclaimedByIp = new Map(current.map((ip) => [canonicalIp(ip.ipAddress) ?? ip.ipAddress, ip]));
  for (const entry of entries) {
    if (entry.ipAddress === undefined) continue;
    const key = canonicalIp(entry.ipAddress) ?? entry.ipAddress;
    const original = unclaimedByIp.get(key);
    if (original !== undefined) {
      unclaimedByIp.delete(key);
      kept.add(original);
    } else {
      toAdd.push(entry);
    }
  }
  const unclaimedBySubnet = new Map<string, FixedIp[]>();
  for (const ip of unclaimedByIp.values()) {
    unclaimedBySubnet.set(ip.subnetId, [...(unclaimedBySubnet.get(ip.subnetId) ?? []), ip]);
  }
  for (const entry of entries) {
    if (entry.ipAddress !== undefined) continue;
    const original = entry.subnetId === undefined ? undefined : unclaimedBySubnet.get(entry.subnetId)?.pop();
    if (original !== undefined) kept.add(original);
    else toAdd.push(entry);
  }
  const removed = new Set<FixedIp>();
  for (const ip of [...unclaimedBySubnet.values()].flat()) {
    const subnet = subnetById.get(ip.subnetId);
    const required = routerPort || subnet === undefined || !isAutoAddressSubnet(subnet);
    if (required || deleteSubnetIds.has(ip.subnetId)) removed.add(ip);
    else kept.add(ip);
  }

  const candidates = candidateSubnets(port);
  const { explicit, any } = toAdd.length === 0 ? { explicit: [], any: [] } : planEntries(toAdd, candidates, port);
  const handled = new Set([
    ...subnetIdsOf([...explicit, ...any]),
    ...[...kept, ...removed].map((ip) => ip.subnetId),
  ]);
  const rederived: FixedIpPlanItem[] = [...rederive.keys()].flatMap((subnetId) => {
    const subnet = subnetById.get(subnetId);
    if (subnet === undefined || requestedList.some((e) => e.subnetId === subnetId && e.deleteSubnet === true)) return [];
    return [{ kind: 'slaac', subnetId, ipAddress: eui64Address(subnet.cidr, port.macAddress) }];
  });
  return {
    keep: current.filter((ip) => kept.has(ip)),
    remove: current.filter((ip) => removed.has(ip)),
    add: [...explicit, ...any, ...rederived, ...slaacItems(candidates, port, handled)],
  };
}
