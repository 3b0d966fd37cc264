/**
 * CIDRs: parsing, canonical form (`10.0.0.5/24` -> `10.0.0.0/24`), bounds,
 * size, containment and overlap, on bigint addresses.
 */
import { InvalidInput } from '../../common/errors.js';
import { ADDRESS_BITS, formatIp, maxAddress, parseIp, type IpAddress } from './address.js';
import type { IpVersion } from './types.js';

/** A network: `network` has no host bits set. */
export interface Cidr {
  readonly version: IpVersion;
  readonly network: bigint;
  readonly prefixLen: number;
}

/** An address with its prefix length, host bits kept (`10.0.0.5/24`). */
export interface IpWithPrefix {
  readonly ip: IpAddress;
  readonly prefixLen: number;
}

/** `/255.255.255.0` -> 24, or null when the mask is not contiguous. */
function prefixFromNetmask(mask: bigint): number | null {
  const inverted = ~mask & 0xffffffffn;
  if ((inverted & (inverted + 1n)) !== 0n) return null;
  return 32 - inverted.toString(2).replace(/^0+/, '').length;
}

/**
 * Parses `address/prefix` (an IPv4 prefix may also be a netmask, as netaddr
 * allows) or a bare address, which means a host route (/32, /128), as
 * neutron-lib's convert_cidr_to_canonical_format does. Null when malformed.
 */
export function parseIpWithPrefix(text: string): IpWithPrefix | null {
  const parts = text.split('/');
  if (parts.length > 2) return null;
  const [addressText = '', prefixText] = parts;
  const ip = parseIp(addressText);
  if (ip === null) return null;
  const bits = ADDRESS_BITS[ip.version];
  if (prefixText === undefined) return { ip, prefixLen: bits };
  if (/^\d{1,3}$/.test(prefixText)) {
    const prefixLen = Number.parseInt(prefixText, 10);
    return prefixLen <= bits ? { ip, prefixLen } : null;
  }
  if (ip.version === 4) {
    const mask = parseIp(prefixText);
    if (mask?.version !== 4) return null;
    const prefixLen = prefixFromNetmask(mask.value);
    return prefixLen === null ? null : { ip, prefixLen };
  }
  return null;
}

function hostMask(version: IpVersion, prefixLen: number): bigint {
  return (1n << BigInt(ADDRESS_BITS[version] - prefixLen)) - 1n;
}

/** The network holding an address at a prefix length. */
export function cidrOf(ip: IpAddress, prefixLen: number): Cidr {
  return { version: ip.version, network: ip.value & ~hostMask(ip.version, prefixLen) & maxAddress(ip.version), prefixLen };
}

/** Parses and canonicalises a CIDR; null when malformed. */
export function parseCidr(text: string): Cidr | null {
  const parsed = parseIpWithPrefix(text);
  return parsed === null ? null : cidrOf(parsed.ip, parsed.prefixLen);
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIp(cidr.network, cidr.version)}/${cidr.prefixLen}`;
}

/** `10.0.0.5/24` -> `10.0.0.0/24`; null when malformed. */
export function canonicalCidr(text: string): string | null {
  const cidr = parseCidr(text);
  return cidr === null ? null : formatCidr(cidr);
}

/**
 * A subnet's `cidr` for its `ip_version`, canonical. Malformed -> 400
 * InvalidInput "X is not in a CIDR format" (neutron-lib's converter); another
 * version -> 400 InvalidInput "cidr 'X' does not match the ip_version 'N'".
 */
export function parseSubnetCidr(text: string, ipVersion: IpVersion): Cidr {
  const cidr = parseCidr(text);
  if (cidr === null) throw new InvalidInput(`${text} is not in a CIDR format`);
  if (cidr.version !== ipVersion) {
    throw new InvalidInput(`cidr '${formatCidr(cidr)}' does not match the ip_version '${ipVersion}'`);
  }
  return cidr;
}

/** The network address. */
export function cidrFirst(cidr: Cidr): bigint {
  return cidr.network;
}

/** The last address (the IPv4 broadcast address). */
export function cidrLast(cidr: Cidr): bigint {
  return cidr.network | hostMask(cidr.version, cidr.prefixLen);
}

/** Number of addresses, 2^(bits - prefix). */
export function cidrSize(cidr: Cidr): bigint {
  return 1n << BigInt(ADDRESS_BITS[cidr.version] - cidr.prefixLen);
}

/** Whether the address (of the same version) lies in the CIDR. */
export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  return ip.version === cidr.version && ip.value >= cidrFirst(cidr) && ip.value <= cidrLast(cidr);
}

/** Whether two CIDRs share at least one address. */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.version === b.version && a.network <= cidrLast(b) && b.network <= cidrLast(a);
}

/** Whether `inner` lies entirely inside `outer`. */
export function cidrWithin(inner: Cidr, outer: Cidr): boolean {
  return inner.version === outer.version && inner.network >= outer.network && cidrLast(inner) <= cidrLast(outer);
}
