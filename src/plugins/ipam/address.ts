/**
 * IP addresses: strict parsing (neutron-lib's validate_ip_address rules),
 * conversion to and from bigint, canonical text.
 */
import ipaddr from 'ipaddr.js';

import type { IpVersion } from './types.js';

export interface IpAddress {
  readonly version: IpVersion;
  readonly value: bigint;
}

export const ADDRESS_BITS = { 4: 32, 6: 128 } as const satisfies Record<IpVersion, number>;

const DOTTED_QUAD = /^\d+\.\d+\.\d+\.\d+$/;

/** Largest address of a version: 255.255.255.255 or ffff:...:ffff. */
export function maxAddress(version: IpVersion): bigint {
  return (1n << BigInt(ADDRESS_BITS[version])) - 1n;
}

/**
 * Parses an address written the way Neutron accepts it: IPv4 as four
 * decimal octets without leading zeros, IPv6 in any RFC 4291 form (no zone
 * id), no whitespace. Returns null for anything else.
 */
export function parseIp(text: string): IpAddress | null {
  if (/\s/.test(text) || text.includes('%')) return null;
  if (text.includes(':')) {
    if (!ipaddr.IPv6.isValid(text)) return null;
    const parts = ipaddr.IPv6.parse(text).parts;
    let value = 0n;
    for (const part of parts) value = (value << 16n) | BigInt(part);
    return { version: 6, value };
  }
  if (!ipaddr.IPv4.isValidFourPartDecimal(text)) return null;
  let value = 0n;
  for (const octet of ipaddr.IPv4.parse(text).octets) value = (value << 8n) | BigInt(octet);
  return { version: 4, value };
}

/**
 * neutron-lib's validate_ip_address: undefined when valid, else its reason
 * text (the API wraps it as "Invalid input for <attr>. Reason: <reason>.").
 */
export function validateIpAddress(data: unknown): string | undefined {
  if (typeof data === 'string') {
    if (parseIp(data) !== null) return undefined;
    // netaddr reads '010.0.0.1' with ZEROFILL and neutron-lib suggests the fix.
    if (DOTTED_QUAD.test(data)) {
      const octets = data.split('.').map((o) => Number.parseInt(o, 10));
      if (octets.every((o) => o <= 255)) {
        return `'${data}' is not an accepted IP address, '${octets.join('.')}' is recommended`;
      }
    }
  }
  return `'${String(data)}' is not a valid IP address`;
}

/** Formats an integer address of a version as canonical text. */
export function formatIp(value: bigint, version: IpVersion): string {
  if (value < 0n || value > maxAddress(version)) {
    throw new RangeError(`address ${value} out of range for IPv${version}`);
  }
  if (version === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => ((value >> shift) & 0xffn).toString()).join('.');
  }
  const parts: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) parts.push(Number((value >> shift) & 0xffffn));
  return new ipaddr.IPv6(parts).toString();
}

/** Canonical text of a valid address ('2001:DB8:0::1' -> '2001:db8::1'), or null. */
export function canonicalIp(text: string): string | null {
  const ip = parseIp(text);
  return ip === null ? null : formatIp(ip.value, ip.version);
}

/** The address as a bigint; throws on text that parseIp rejects. */
export function ipToBigint(text: string): bigint {
  const ip = parseIp(text);
  if (ip === null) throw new TypeError(`not an IP address: ${text}`);
  return ip.value;
}

/** 4, 6, or null when the text is not an address. */
export function ipVersionOf(text: string): IpVersion | null {
  return parseIp(text)?.version ?? null;
}
