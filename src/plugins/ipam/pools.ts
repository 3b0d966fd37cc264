/**
 * Allocation pools: the default pools of a subnet and the validation of
 * requested ones, as neutron/ipam/utils.py and IpamBackendMixin do it.
 */
import {
  GatewayConflictWithAllocationPools,
  InvalidAllocationPool,
  OutOfBoundsAllocationPool,
  OverlappingAllocationPools,
} from '../../common/errors.js';
import { canonicalIp, formatIp, parseIp } from './address.js';
import { cidrFirst, cidrLast, formatCidr, type Cidr } from './cidr.js';
import type { AllocationPool, IpRange, IpVersion } from './types.js';

/** `10.0.0.2-10.0.0.254`, as netaddr prints an IPRange. */
export function formatRange(range: IpRange, version: IpVersion): string {
  return `${formatIp(range.first, version)}-${formatIp(range.last, version)}`;
}

export function toAllocationPool(range: IpRange, version: IpVersion): AllocationPool {
  return { start: formatIp(range.first, version), end: formatIp(range.last, version) };
}

/**
 * The addresses a pool may use: IPv4 up to /30 skips the network and
 * broadcast addresses, IPv4 /31 and /32 use all, IPv6 skips only the network
 * address (the subnet-router anycast address) and ends at the last address.
 */
export function usableRange(cidr: Cidr): IpRange {
  const first = cidrFirst(cidr);
  const last = cidrLast(cidr);
  if (cidr.version === 4) {
    return cidr.prefixLen <= 30 ? { first: first + 1n, last: last - 1n } : { first, last };
  }
  return { first: first + 1n, last };
}

/**
 * Default pools: the usable range minus the gateway (which may split it in
 * two). A single-address subnet (/32, /128) gets that address, gateway or not.
 */
export function defaultPools(cidr: Cidr, gateway: bigint | null): IpRange[] {
  const first = cidrFirst(cidr);
  const last = cidrLast(cidr);
  if (first === last) return [{ first, last }];
  const usable = usableRange(cidr);
  if (gateway === null || gateway < usable.first || gateway > usable.last) return [usable];
  const ranges: IpRange[] = [];
  if (gateway > usable.first) ranges.push({ first: usable.first, last: gateway - 1n });
  if (gateway < usable.last) ranges.push({ first: gateway + 1n, last: usable.last });
  return ranges;
}

/** Python's repr of the request's pool dict, which Neutron puts in the message. */
function poolRepr(pool: AllocationPool): string {
  const show = (text: string): string => canonicalIp(text) ?? text;
  return `{'start': '${show(pool.start)}', 'end': '${show(pool.end)}'}`;
}

interface ParsedPool {
  readonly range: IpRange;
  readonly version: IpVersion;
}

/** Both ends valid, same version, start <= end; else 400 InvalidAllocationPool. */
function parsePool(pool: AllocationPool): ParsedPool {
  const start = parseIp(pool.start);
  const end = parseIp(pool.end);
  if (start === null || end === null || start.version !== end.version || start.value > end.value) {
    throw new InvalidAllocationPool(poolRepr(pool));
  }
  return { range: { first: start.value, last: end.value }, version: start.version };
}

/**
 * Validates requested pools against a subnet and returns them sorted:
 * malformed or reversed -> 400 InvalidAllocationPool; another IP version ->
 * 400 InvalidAllocationPool; outside the usable range -> 400
 * OutOfBoundsAllocationPool; two pools sharing an address -> 409
 * OverlappingAllocationPools. Checks run in Neutron's order.
 */
export function validateAllocationPools(pools: readonly AllocationPool[], cidr: Cidr): IpRange[] {
  const parsed = pools.map(parsePool);
  const bounds = usableRange(cidr);
  const cidrText = formatCidr(cidr);
  for (const { range, version } of parsed) {
    if (version !== cidr.version) throw new InvalidAllocationPool(formatRange(range, version));
    if (range.first < bounds.first || range.last > bounds.last) {
      throw new OutOfBoundsAllocationPool(formatRange(range, version), cidrText);
    }
  }
  for (const [i, left] of parsed.entries()) {
    for (const right of parsed.slice(i + 1)) {
      if (left.range.first <= right.range.last && right.range.first <= left.range.last) {
        throw new OverlappingAllocationPools(
          formatRange(left.range, cidr.version),
          formatRange(right.range, cidr.version),
          cidrText,
        );
      }
    }
  }
  return sortRanges(parsed.map((p) => p.range));
}

export function sortRanges(ranges: readonly IpRange[]): IpRange[] {
  return [...ranges].sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
}

/** 409 GatewayConflictWithAllocationPools when the gateway lies in a pool. */
export function checkGatewayOutsidePools(gateway: bigint, pools: readonly IpRange[], version: IpVersion): void {
  const pool = pools.find((p) => gateway >= p.first && gateway <= p.last);
  if (pool !== undefined) {
    throw new GatewayConflictWithAllocationPools(formatIp(gateway, version), formatRange(pool, version));
  }
}

/**
 * Stored pools (already validated) as integer ranges, sorted. Throws a
 * TypeError on text that is not an address: stored data is trusted.
 */
export function poolsToRanges(pools: readonly AllocationPool[]): { version: IpVersion | null; ranges: IpRange[] } {
  let version: IpVersion | null = null;
  const ranges = pools.map((pool) => {
    const start = parseIp(pool.start);
    const end = parseIp(pool.end);
    if (start === null || end === null || start.version !== end.version) {
      throw new TypeError(`stored allocation pool is not valid: ${pool.start}-${pool.end}`);
    }
    version = start.version;
    return { first: start.value, last: end.value };
  });
  return { version, ranges: sortRanges(ranges) };
}
