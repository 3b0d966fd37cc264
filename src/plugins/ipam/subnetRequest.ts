/**
 * Subnet create and update requests resolved against Neutron's rules
 * (db_base_plugin_v2._validate_subnet, IpamBackendMixin, ipam/requests.py):
 * the result is what the storage layer writes, or a typed error, raised in
 * Neutron's order so that a request breaking several rules gets its error.
 */
import { InvalidInput, IpamValueInvalid } from '../../common/errors.js';
import { formatIp, maxAddress, parseIp, validateIpAddress, type IpAddress } from './address.js';
import { isAutoAddressSubnet } from './addressModes.js';
import {
  cidrContains,
  cidrFirst,
  cidrLast,
  cidrsOverlap,
  cidrWithin,
  formatCidr,
  parseCidr,
  parseSubnetCidr,
  type Cidr,
} from './cidr.js';
import { checkGatewayOutsidePools, defaultPools, poolsToRanges, toAllocationPool, validateAllocationPools } from './pools.js';
import { invalidAttribute, resolveHostRoutes, resolveNameservers, versionMismatch } from './subnetOptions.js';
import type { AllocationPool, HostRoute, IpRange, IpVersion, Ipv6Mode } from './types.js';

export interface SubnetLimits {
  /** neutron.conf max_dns_nameservers (5). */
  readonly maxDnsNameservers: number;
  /** neutron.conf max_subnet_host_routes (20). */
  readonly maxHostRoutes: number;
}

/** A subnet create with a given cidr; optional keys absent = not in the request. */
export interface SubnetCreateRequest {
  readonly networkId: string;
  readonly ipVersion: IpVersion;
  readonly cidr: string;
  /** undefined: default gateway; null: no gateway. */
  readonly gatewayIp?: string | null | undefined;
  /** undefined: default pools; null or []: no pools. */
  readonly allocationPools?: readonly AllocationPool[] | null | undefined;
  /** Default true. */
  readonly enableDhcp?: boolean | undefined;
  readonly ipv6RaMode?: Ipv6Mode | null | undefined;
  readonly ipv6AddressMode?: Ipv6Mode | null | undefined;
  readonly dnsNameservers?: readonly string[] | null | undefined;
  readonly hostRoutes?: readonly HostRoute[] | null | undefined;
}

/** The IPAM side of a subnet, canonical. */
export interface ResolvedSubnet {
  readonly ipVersion: IpVersion;
  readonly cidr: string;
  readonly gatewayIp: string | null;
  readonly allocationPools: readonly AllocationPool[];
  readonly enableDhcp: boolean;
  readonly ipv6RaMode: Ipv6Mode | null;
  readonly ipv6AddressMode: Ipv6Mode | null;
  readonly dnsNameservers: readonly string[];
  readonly hostRoutes: readonly HostRoute[];
}

export interface StoredSubnet extends ResolvedSubnet {
  readonly id: string;
}

/** The PUT-able IPAM keys of a subnet; absent = unchanged. */
export interface SubnetUpdateRequest {
  readonly gatewayIp?: string | null | undefined;
  /** null or []: no pools. */
  readonly allocationPools?: readonly AllocationPool[] | null | undefined;
  readonly enableDhcp?: boolean | undefined;
  readonly dnsNameservers?: readonly string[] | null | undefined;
  readonly hostRoutes?: readonly HostRoute[] | null | undefined;
}

export interface SubnetUpdate {
  readonly subnet: ResolvedSubnet;
  /**
   * The gateway differs from the stored one: the caller must refuse (409
   * GatewayIpInUse) when a router port holds the old gateway address.
   */
  readonly gatewayChanged: boolean;
}

/** CIDR of IPv6 prefix delegation's placeholder, never counted as an overlap. */
const PROVISIONAL_IPV6_PD_PREFIX = '::/64';

const MULTICAST = { 4: parseCidr('224.0.0.0/4'), 6: parseCidr('ff00::/8') };
const LOOPBACK = { 4: parseCidr('127.0.0.0/8'), 6: parseCidr('::1/128') };

function within(cidr: Cidr, outer: Cidr | null): boolean {
  return outer !== null && cidrWithin(cidr, outer);
}

/** The checks made when DHCP is (being) enabled on a subnet. */
function checkDhcpCapable(cidr: Cidr): void {
  if ((cidr.version === 4 && cidr.prefixLen > 30) || (cidr.version === 6 && cidr.prefixLen > 126)) {
    throw new InvalidInput('Subnet has a prefix length that is incompatible with DHCP service enabled');
  }
  if (within(cidr, MULTICAST[cidr.version])) {
    throw new InvalidInput('Multicast IP subnet is not supported if enable_dhcp is True');
  }
  if (within(cidr, LOOPBACK[cidr.version])) {
    throw new InvalidInput('Loopback IP subnet is not supported if enable_dhcp is True');
  }
  if (cidr.version === 4 && cidr.network === 0n) {
    throw new InvalidInput("First IP '0.0.0.0' of network is not supported if enable_dhcp is True.");
  }
}

/** IPv4 network or broadcast address of the subnet (ipam utils check_gateway_invalid_in_subnet). */
function isNetworkOrBroadcast(cidr: Cidr, ip: IpAddress): boolean {
  return cidr.version === 4 && cidrContains(cidr, ip) && (ip.value === cidrFirst(cidr) || ip.value === cidrLast(cidr));
}

/** An explicit gateway: an address of the subnet's version, not its IPv4 network/broadcast. */
function parseGateway(text: string, cidr: Cidr): IpAddress {
  const ip = parseIp(text);
  if (ip === null) throw invalidAttribute('gateway_ip', validateIpAddress(text) ?? `'${text}' is not a valid IP address`);
  if (ip.version !== cidr.version) throw versionMismatch('gateway_ip', text, cidr.version);
  if (isNetworkOrBroadcast(cidr, ip)) throw new InvalidInput('Gateway is not valid on subnet');
  return ip;
}

function checkIpv6Modes(
  cidr: Cidr,
  enableDhcp: boolean,
  ipv6RaMode: Ipv6Mode | null,
  ipv6AddressMode: Ipv6Mode | null,
): void {
  if (cidr.version === 4) {
    if (ipv6RaMode !== null) throw new InvalidInput('ipv6_ra_mode is not valid when ip_version is 4');
    if (ipv6AddressMode !== null) throw new InvalidInput('ipv6_address_mode is not valid when ip_version is 4');
    return;
  }
  const anySet = ipv6RaMode !== null || ipv6AddressMode !== null;
  if (anySet && !enableDhcp) {
    throw new InvalidInput('ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp is set to False');
  }
  if (ipv6RaMode !== null && ipv6AddressMode !== null && ipv6RaMode !== ipv6AddressMode) {
    throw new InvalidInput(
      `ipv6_ra_mode set to '${ipv6RaMode}' with ipv6_address_mode set to '${ipv6AddressMode}' is not valid. ` +
        'If both attributes are set, they must be the same value',
    );
  }
  if (anySet && isAutoAddressSubnet({ ipv6RaMode, ipv6AddressMode }) && cidr.prefixLen !== 64) {
    throw new InvalidInput(
      `Invalid CIDR ${formatCidr(cidr)} for IPv6 address mode. OpenStack uses the EUI-64 address format, ` +
        'which requires the prefix to be /64',
    );
  }
}

/** Neutron's default gateway: network + 1 for IPv4, the network address itself for IPv6. */
function defaultGateway(cidr: Cidr): bigint | null {
  if (cidr.version === 6) return cidr.network;
  const gateway = cidr.network + 1n;
  return gateway <= maxAddress(4) ? gateway : null;
}

function checkNoOverlap(cidr: Cidr, networkId: string, networkSubnetCidrs: readonly string[]): void {
  for (const text of networkSubnetCidrs) {
    const other = parseCidr(text);
    if (other === null || formatCidr(other) === PROVISIONAL_IPV6_PD_PREFIX) continue;
    if (cidrsOverlap(cidr, other)) {
      throw new InvalidInput(
        `Requested subnet with cidr: ${formatCidr(cidr)} for network: ${networkId} overlaps with another subnet`,
      );
    }
  }
}

/**
 * Resolves a subnet create: canonical cidr, default or checked gateway,
 * default or checked pools, checked DHCP/IPv6 settings, nameservers and host
 * routes. `networkSubnetCidrs` are the CIDRs of the network's other subnets
 * (overlap across networks is allowed). Example:
 * `resolveSubnetCreate({networkId, ipVersion: 4, cidr: '10.0.0.5/24'}, [], limits)`
 * gives cidr `10.0.0.0/24`, gateway `10.0.0.1`, pool `10.0.0.2-10.0.0.254`.
 */
export function resolveSubnetCreate(
  request: SubnetCreateRequest,
  networkSubnetCidrs: readonly string[],
  limits: SubnetLimits,
): ResolvedSubnet {
  const cidr = parseSubnetCidr(request.cidr, request.ipVersion);
  const enableDhcp = request.enableDhcp ?? true;
  const ipv6RaMode = request.ipv6RaMode ?? null;
  const ipv6AddressMode = request.ipv6AddressMode ?? null;

  if (cidr.version === 6 && cidr.network === 0n) throw new InvalidInput("IPv6 subnet '::' is not supported");
  if (enableDhcp) checkDhcpCapable(cidr);
  const explicitGateway = typeof request.gatewayIp === 'string' ? parseGateway(request.gatewayIp, cidr) : null;
  const dnsNameservers = resolveNameservers(request.dnsNameservers ?? [], cidr.version, limits.maxDnsNameservers, 'new subnet');
  const hostRoutes = resolveHostRoutes(request.hostRoutes ?? [], cidr.version, limits.maxHostRoutes, 'new subnet');
  checkIpv6Modes(cidr, enableDhcp, ipv6RaMode, ipv6AddressMode);

  const gateway = request.gatewayIp === undefined ? defaultGateway(cidr) : (explicitGateway?.value ?? null);
  let pools: IpRange[];
  if (request.allocationPools === undefined) {
    pools = defaultPools(cidr, gateway);
  } else {
    pools = validateAllocationPools(request.allocationPools ?? [], cidr);
    if (gateway !== null) checkGatewayOutsidePools(gateway, pools, cidr.version);
  }
  if (gateway !== null && request.gatewayIp === undefined && isNetworkOrBroadcast(cidr, { version: cidr.version, value: gateway })) {
    // Only an IPv4 /31 gets here: network + 1 is its last address.
    throw new IpamValueInvalid(
      `Gateway IP ${formatIp(gateway, cidr.version)} cannot be the network or broadcast IP address ${formatCidr(cidr)}`,
    );
  }

  if (cidr.prefixLen === 0) throw new InvalidInput('0 is not allowed as CIDR prefix length');
  checkNoOverlap(cidr, request.networkId, networkSubnetCidrs);

  return {
    ipVersion: cidr.version,
    cidr: formatCidr(cidr),
    gatewayIp: gateway === null ? null : formatIp(gateway, cidr.version),
    allocationPools: pools.map((range) => toAllocationPool(range, cidr.version)),
    enableDhcp,
    ipv6RaMode,
    ipv6AddressMode,
    dnsNameservers,
    hostRoutes,
  };
}

/**
 * Resolves a subnet update against the stored subnet: DHCP may be enabled
 * only on a DHCP-capable cidr and not disabled while IPv6 modes are set; a
 * new gateway is checked like at create and must stay out of the (new or
 * stored) pools (409); new pools are checked like at create; nameservers and
 * host routes replace the stored lists. Pools are not regenerated when only
 * the gateway changes, as in Neutron.
 */
export function resolveSubnetUpdate(
  stored: StoredSubnet,
  request: SubnetUpdateRequest,
  limits: SubnetLimits,
): SubnetUpdate {
  const cidr = parseSubnetCidr(stored.cidr, stored.ipVersion);
  const enableDhcp = request.enableDhcp ?? stored.enableDhcp;
  if (request.enableDhcp === true && !stored.enableDhcp) checkDhcpCapable(cidr);

  let gateway = stored.gatewayIp === null ? null : (parseIp(stored.gatewayIp)?.value ?? null);
  const gatewayBefore = gateway;
  if (request.gatewayIp !== undefined) {
    gateway = request.gatewayIp === null ? null : parseGateway(request.gatewayIp, cidr).value;
  }
  const label = stored.id;
  const dnsNameservers =
    request.dnsNameservers === undefined
      ? stored.dnsNameservers
      : resolveNameservers(request.dnsNameservers ?? [], cidr.version, limits.maxDnsNameservers, label);
  const hostRoutes =
    request.hostRoutes === undefined
      ? stored.hostRoutes
      : resolveHostRoutes(request.hostRoutes ?? [], cidr.version, limits.maxHostRoutes, label);
  if (request.enableDhcp === false && (stored.ipv6RaMode !== null || stored.ipv6AddressMode !== null)) {
    throw new InvalidInput('Cannot disable enable_dhcp with ipv6 attributes set');
  }

  const poolsGiven = request.allocationPools !== undefined;
  const pools = poolsGiven
    ? validateAllocationPools(request.allocationPools ?? [], cidr)
    : poolsToRanges(stored.allocationPools).ranges;
  const gatewayChanged = gateway !== gatewayBefore;
  if ((gatewayChanged || poolsGiven) && gateway !== null) checkGatewayOutsidePools(gateway, pools, cidr.version);

  return {
    gatewayChanged,
    subnet: {
      ipVersion: cidr.version,
      cidr: formatCidr(cidr),
      gatewayIp: gateway === null ? null : formatIp(gateway, cidr.version),
      allocationPools: pools.map((range) => toAllocationPool(range, cidr.version)),
      enableDhcp,
      ipv6RaMode: stored.ipv6RaMode,
      ipv6AddressMode: stored.ipv6AddressMode,
      dnsNameservers,
      hostRoutes,
    },
  };
}
