/**
 * Sets of addresses of one IP version given as CIDRs, what netaddr's IPSet
 * does for Neutron's subnet pools: merged into sorted disjoint ranges, then
 * written back as the fewest CIDRs (`iter_cidrs()` after `compact()`), in
 * address order. Pure: the subnet pool plugin and its tests use it.
 */
import { ADDRESS_BITS } from './address.js';
import { type Cidr, cidrFirst, cidrLast } from './cidr.js';
import type { IpRange, IpVersion } from './types.js';

/** Sorted, disjoint, non-adjacent ranges. */
export type RangeSet = readonly IpRange[];

/** The union of the CIDRs, merged. */
export function rangeSetOf(cidrs: readonly Cidr[]): RangeSet {
  const sorted = cidrs.map((c) => ({ first: cidrFirst(c), last: cidrLast(c) })).sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  const merged: IpRange[] = [];
  for (const range of sorted) {
    const previous = merged[merged.length - 1];
    if (previous !== undefined && range.first <= previous.last + 1n) {
      if (range.last > previous.last) merged[merged.length - 1] = { first: previous.first, last: range.last };
    } else {
      merged.push(range);
    }
  }
  return merged;
}

/** The fewest CIDRs covering exactly the set, in address order. */
export function cidrsOf(set: RangeSet, version: IpVersion): Cidr[] {
  const bits = ADDRESS_BITS[version];
  const out: Cidr[] = [];
  for (const range of set) {
    let start = range.first;
    while (start <= range.last) {
      // The largest block aligned on `start` that ends within the range.
      let size = start === 0n ? 1n << BigInt(bits) : start & -start;
      while (start + size - 1n > range.last) size >>= 1n;
      out.push({ version, network: start, prefixLen: bits - (size.toString(2).length - 1) });
      start += size;
    }
  }
  return out;
}

/** The CIDRs merged into the fewest (netaddr IPSet(...).compact().iter_cidrs()). */
export function compactCidrs(cidrs: readonly Cidr[], version: IpVersion): Cidr[] {
  return cidrsOf(rangeSetOf(cidrs), version);
}

/** The addresses of `a` that are not in `b`. */
export function difference(a: RangeSet, b: RangeSet): RangeSet {
  const out: IpRange[] = [];
  for (const range of a) {
    let first = range.first;
    for (const cut of b) {
      if (cut.last < first || cut.first > range.last) continue;
      if (cut.first > first) out.push({ first, last: cut.first - 1n });
      first = cut.last + 1n;
      if (first > range.last) break;
    }
    if (first <= range.last) out.push({ first, last: range.last });
  }
  return out;
}

/** Whether the sets share an address. */
export function intersects(a: RangeSet, b: RangeSet): boolean {
  return a.some((x) => b.some((y) => x.first <= y.last && y.first <= x.last));
}

/** Whether every address of `a` is in `b`. */
export function isSubset(a: RangeSet, b: RangeSet): boolean {
  return difference(a, b).length === 0;
}

/**
 * The free blocks of a pool, as Neutron's SubnetAllocator orders them
 * (_get_available_prefix_list): the smallest blocks first, in address order
 * among blocks of one size.
 */
export function availableBlocks(prefixes: readonly Cidr[], allocated: readonly Cidr[], version: IpVersion): Cidr[] {
  return cidrsOf(difference(rangeSetOf(prefixes), rangeSetOf(allocated)), version).sort((a, b) => b.prefixLen - a.prefixLen);
}

/**
 * The block of `prefixLen` a pool gives to a request of any address: the
 * start of the first free block (in availableBlocks' order) that holds one;
 * null when none does.
 */
export function firstFreeBlock(available: readonly Cidr[], prefixLen: number): Cidr | null {
  const block = available.find((b) => b.prefixLen <= prefixLen);
  return block === undefined ? null : { version: block.version, network: block.network, prefixLen };
}

/** Whether a requested CIDR lies wholly inside one free block. */
export function isFree(available: readonly Cidr[], cidr: Cidr): boolean {
  return available.some((b) => b.prefixLen <= cidr.prefixLen && cidr.network >= cidrFirst(b) && cidrLast(cidr) <= cidrLast(b));
}
