/**
 * Free addresses of a subnet's pools, found lazily (an IPv6 /64 pool holds
 * 2^64 addresses), and the choice of one the way Neutron's internal IPAM
 * driver makes it (neutrondb_ipam/driver.py _generate_ips).
 */
import { formatIp, parseIp } from './address.js';
import { poolsToRanges } from './pools.js';
import type { AllocationPool, IpRange, IpVersion, Random } from './types.js';

/** Neutron's MAX_WIN: the random choice is made among this many free addresses. */
export const PICK_WINDOW = 1000;

function sortedAllocated(allocated: Iterable<string>, version: IpVersion): bigint[] {
  const values = new Set<bigint>();
  for (const text of allocated) {
    const ip = parseIp(text);
    if (ip?.version === version) values.add(ip.value);
  }
  return [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Index of the first value >= target in a sorted array. */
function lowerBound(sorted: readonly bigint[], target: bigint): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] ?? target) < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Free values of one range, in order; O(free yielded + allocated in range). */
function* freeInRange(range: IpRange, allocated: readonly bigint[]): Generator<bigint, void, undefined> {
  let index = lowerBound(allocated, range.first);
  let cursor = range.first;
  while (cursor <= range.last) {
    const next = allocated[index];
    if (next === undefined || next > range.last) {
      for (; cursor <= range.last; cursor++) yield cursor;
      return;
    }
    for (; cursor < next; cursor++) yield cursor;
    cursor = next + 1n;
    index++;
  }
}

interface PreparedPools {
  readonly version: IpVersion;
  readonly ranges: readonly IpRange[];
  readonly allocated: readonly bigint[];
}

function prepare(pools: readonly AllocationPool[], allocated: Iterable<string>): PreparedPools | null {
  const { version, ranges } = poolsToRanges(pools);
  if (version === null) return null;
  return { version, ranges, allocated: sortedAllocated(allocated, version) };
}

/**
 * Every free address of the pools in ascending order, lazily. `allocated`
 * may hold addresses outside the pools (explicit ones); they are ignored.
 */
export function* freeAddresses(
  pools: readonly AllocationPool[],
  allocated: Iterable<string>,
): Generator<string, void, undefined> {
  const prepared = prepare(pools, allocated);
  if (prepared === null) return;
  for (const range of prepared.ranges) {
    for (const value of freeInRange(range, prepared.allocated)) yield formatIp(value, prepared.version);
  }
}

/**
 * The next free address (Neutron gives DHCP and distributed ports the start of
 * the pool), or null when the pools are exhausted.
 */
export function firstFreeAddress(pools: readonly AllocationPool[], allocated: Iterable<string>): string | null {
  for (const address of freeAddresses(pools, allocated)) return address;
  return null;
}

/**
 * A random address among the first PICK_WINDOW free ones of the first pool
 * (in address order) that has room, so concurrent allocators rarely collide;
 * null when every pool is exhausted.
 */
export function pickAddress(
  pools: readonly AllocationPool[],
  allocated: Iterable<string>,
  random: Random,
): string | null {
  const prepared = prepare(pools, allocated);
  if (prepared === null) return null;
  for (const range of prepared.ranges) {
    const window: bigint[] = [];
    for (const value of freeInRange(range, prepared.allocated)) {
      window.push(value);
      if (window.length === PICK_WINDOW) break;
    }
    if (window.length === 0) continue;
    const index = Math.min(window.length - 1, Math.floor(random() * window.length));
    const chosen = window[index];
    if (chosen !== undefined) return formatIp(chosen, prepared.version);
  }
  return null;
}

/** Number of addresses in the pools (network-ip-availability's total_ips). */
export function countAddresses(pools: readonly AllocationPool[]): bigint {
  return poolsToRanges(pools).ranges.reduce((total, range) => total + (range.last - range.first + 1n), 0n);
}

/** A uniform random integer in [0, size) for sizes beyond 2^53 too (IPv6 pools). */
function randomBelow(size: bigint, random: Random): bigint {
  let value = 0n;
  let span = 1n;
  while (span < size) {
    value = (value << 32n) | BigInt(Math.floor(random() * 2 ** 32));
    span <<= 32n;
  }
  return value % size;
}

/**
 * `count` addresses drawn uniformly from the first `window` addresses of the
 * pools (all of them when the window is larger), for allocators that probe a
 * large pool instead of reading every allocation of the subnet.
 */
export function randomPoolAddresses(
  pools: readonly AllocationPool[],
  count: number,
  random: Random,
  window?: bigint,
): string[] {
  const { version, ranges } = poolsToRanges(pools);
  if (version === null) return [];
  const size = ranges.reduce((sum, r) => sum + (r.last - r.first + 1n), 0n);
  const total = window !== undefined && window < size ? window : size;
  if (total === 0n) return [];
  const out = new Set<string>();
  for (let i = 0; i < count; i++) {
    let offset = randomBelow(total, random);
    for (const range of ranges) {
      const size = range.last - range.first + 1n;
      if (offset < size) {
        out.add(formatIp(range.first + offset, version));
        break;
      }
      offset -= size;
    }
  }
  return [...out];
}
