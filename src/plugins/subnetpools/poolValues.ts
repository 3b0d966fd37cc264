/**
 * A subnet pool's prefixes and prefix lengths resolved as Neutron's
 * SubnetPoolReader does (neutron/ipam/subnet_alloc.py): one IP version,
 * prefixes merged into the fewest CIDRs, min_prefixlen defaulting to 8
 * (IPv4) or 64 (IPv6), max_prefixlen to the version's bits,
 * default_prefixlen to min_prefixlen, and min <= default <= max <= bits.
 * An update's prefixes must keep every address the pool had
 * (_update_subnetpool_dict). Pure; errors in Neutron's order.
 */
import { ADDRESS_BITS } from '../ipam/address.js';
import { type Cidr, formatCidr, parseCidr } from '../ipam/cidr.js';
import { compactCidrs, isSubset, rangeSetOf } from '../ipam/cidrSet.js';
import type { IpVersion } from '../ipam/types.js';
import { EmptySubnetPoolPrefixList, IllegalSubnetPoolPrefixBounds, IllegalSubnetPoolPrefixUpdate, PrefixVersionMismatch } from './errors.js';

export interface PoolBounds {
  readonly defaultPrefixlen?: number | undefined;
  readonly minPrefixlen?: number | undefined;
  readonly maxPrefixlen?: number | undefined;
}

export interface PoolValues {
  readonly ipVersion: IpVersion;
  /** Canonical, merged, in address order. */
  readonly prefixes: readonly string[];
  readonly defaultPrefixlen: number;
  readonly minPrefixlen: number;
  readonly maxPrefixlen: number;
}

const DEFAULT_MIN_PREFIXLEN = { 4: 8, 6: 64 } as const satisfies Record<IpVersion, number>;

/** The API layer has checked each is a CIDR. */
export function parsePrefixes(prefixes: readonly string[]): Cidr[] {
  return prefixes.map((text) => {
    const cidr = parseCidr(text);
    if (cidr === null) throw new Error(`not a CIDR: ${text}`);
    return cidr;
  });
}

/** Resolves a pool's prefixes and bounds (a create's, or an update's merged over the stored ones). */
export function resolvePool(prefixTexts: readonly string[], bounds: PoolBounds): PoolValues {
  const prefixes = parsePrefixes(prefixTexts);
  const first = prefixes[0];
  if (first === undefined) throw new EmptySubnetPoolPrefixList();
  if (prefixes.some((p) => p.version !== first.version)) throw new PrefixVersionMismatch();
  const ipVersion = first.version;
  const bits = ADDRESS_BITS[ipVersion];
  const minPrefixlen = bounds.minPrefixlen ?? DEFAULT_MIN_PREFIXLEN[ipVersion];
  const maxPrefixlen = bounds.maxPrefixlen ?? bits;
  const defaultPrefixlen = bounds.defaultPrefixlen ?? minPrefixlen;
  if (minPrefixlen > maxPrefixlen) throw new IllegalSubnetPoolPrefixBounds('min_prefixlen', minPrefixlen, 'max_prefixlen', maxPrefixlen);
  if (maxPrefixlen > bits) throw new IllegalSubnetPoolPrefixBounds('max_prefixlen', maxPrefixlen, 'ip_version_max', bits);
  if (defaultPrefixlen < minPrefixlen) {
    throw new IllegalSubnetPoolPrefixBounds('default_prefixlen', defaultPrefixlen, 'min_prefixlen', minPrefixlen);
  }
  if (defaultPrefixlen > maxPrefixlen) {
    throw new IllegalSubnetPoolPrefixBounds('default_prefixlen', defaultPrefixlen, 'max_prefixlen', maxPrefixlen);
  }
  return { ipVersion, prefixes: compactCidrs(prefixes, ipVersion).map(formatCidr), defaultPrefixlen, minPrefixlen, maxPrefixlen };
}

/** An update's prefixes: every address of the current ones must stay (remove_prefixes is the way to shrink). */
export function checkPrefixesGrow(current: readonly string[], next: readonly string[]): void {
  const had = parsePrefixes(current);
  // Sets of different versions never hold one another (the versions' numbers overlap, their addresses do not).
  const kept = parsePrefixes(next).filter((p) => p.version === had[0]?.version);
  if (!isSubset(rangeSetOf(had), rangeSetOf(kept))) {
    throw new IllegalSubnetPoolPrefixUpdate('Existing prefixes must be a subset of the new prefixes');
  }
}
