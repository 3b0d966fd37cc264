/**
 * MAC addresses: validation as neutron-lib's validate_mac_address, the
 * canonical `xx:xx:xx:xx:xx:xx` lower-case form, and generation from
 * `base_mac` as neutron-lib's get_random_mac.
 */
import { BadRequest, ConfigError } from '../../common/errors.js';
import type { Random } from './types.js';

/** The notations netaddr accepts for an EUI-48 (strategy/eui48.py). */
const MAC_FORMATS: readonly RegExp[] = [
  new RegExp(`^${Array(6).fill('([0-9a-f]{1,2})').join(':')}$`, 'i'),
  new RegExp(`^${Array(6).fill('([0-9a-f]{1,2})').join('-')}$`, 'i'),
  new RegExp(`^${Array(3).fill('([0-9a-f]{1,4})').join(':')}$`, 'i'),
  new RegExp(`^${Array(3).fill('([0-9a-f]{1,4})').join('-')}$`, 'i'),
  new RegExp(`^${Array(3).fill('([0-9a-f]{1,4})').join('\\.')}$`, 'i'),
  new RegExp(`^${Array(2).fill('([0-9a-f]{5,6})').join('-')}$`, 'i'),
  new RegExp(`^${Array(2).fill('([0-9a-f]{5,6})').join(':')}$`, 'i'),
  /^([0-9a-f]{12})$/i,
  /^([0-9a-f]{11})$/i,
];

/** Rejected by Neutron although well-formed (neutron-lib INVALID_MAC_ADDRESSES). */
const INVALID_MACS: ReadonlySet<bigint> = new Set([0n, 0xffffffffffffn]);

/** The MAC as a 48-bit integer, or null when no accepted notation matches. */
export function parseMac(text: string): bigint | null {
  for (const format of MAC_FORMATS) {
    const match = format.exec(text);
    if (match === null) continue;
    const words = match.slice(1);
    const width = 48 / words.length / 4; // hex digits per word
    return BigInt(`0x${words.map((w) => w.padStart(width, '0')).join('')}`);
  }
  return null;
}

/** `fa:16:3e:00:11:22`. */
export function formatMac(value: bigint): string {
  const hex = value.toString(16).padStart(12, '0');
  return hex.match(/../g)?.join(':') ?? hex;
}

/**
 * neutron-lib's validate_mac_address: undefined when valid, else the reason.
 * All-zero and broadcast are refused; multicast MACs are not (neutron-lib
 * does not check the group bit).
 */
export function validateMacAddress(data: unknown): string | undefined {
  if (typeof data === 'string' && !/\s/.test(data)) {
    const value = parseMac(data);
    if (value !== null && !INVALID_MACS.has(value)) return undefined;
  }
  return `'${String(data)}' is not a valid MAC address`;
}

/** Canonical form of a valid MAC; 400 "Invalid input for mac_address. ..." otherwise. */
export function normaliseMac(text: string): string {
  const reason = validateMacAddress(text);
  if (reason !== undefined) throw new BadRequest(`Invalid input for mac_address. Reason: ${reason}.`);
  return formatMac(parseMac(text) ?? 0n);
}

/** The group (multicast) bit of the first octet. */
export function isMulticastMac(value: bigint): boolean {
  return ((value >> 40n) & 1n) === 1n;
}

function randomByte(random: Random): number {
  return Math.min(255, Math.floor(random() * 256));
}

/**
 * A MAC from `base_mac`: its first three octets, the fourth too when it is
 * not 00, the rest random. A malformed base_mac is a configuration error.
 */
export function generateMac(baseMac: string, random: Random): string {
  const base = parseMac(baseMac);
  if (base === null) throw new ConfigError(undefined, 'DEFAULT', 'base_mac', `'${baseMac}' is not a valid MAC address`);
  const octets = [40n, 32n, 24n, 16n, 8n, 0n].map((shift) => Number((base >> shift) & 0xffn));
  const kept = octets[3] === 0 ? 3 : 4;
  const mac = octets.map((octet, i) => (i < kept ? octet : randomByte(random)));
  return mac.map((octet) => octet.toString(16).padStart(2, '0')).join(':');
}
