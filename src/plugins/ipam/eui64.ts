/**
 * SLAAC addresses: the modified EUI-64 interface identifier of a MAC (RFC 4291
 * appendix A) added to a prefix, as oslo.utils get_ipv6_addr_by_EUI64, which
 * Neutron records for ports on slaac and dhcpv6-stateless subnets.
 */
import { InvalidInput } from '../../common/errors.js';
import { formatIp, maxAddress, parseIp } from './address.js';
import { cidrFirst, parseCidr } from './cidr.js';
import { parseMac } from './mac.js';

/** The universal/local bit of the interface identifier (bit 57 of the address). */
const UNIVERSAL_LOCAL_BIT = 1n << 57n;

/** MAC aa:bb:cc:dd:ee:ff -> aabb:ccff:fedd:eeff (before flipping the U/L bit). */
function eui64Of(mac: bigint): bigint {
  const oui = mac >> 24n;
  const nic = mac & 0xffffffn;
  return (oui << 40n) | (0xfffen << 24n) | nic;
}

/**
 * The SLAAC address of a MAC on an IPv6 prefix (`2001:db8::/64` and
 * `fa:16:3e:33:44:55` give `2001:db8::f816:3eff:fe33:4455`). Like oslo.utils it
 * adds the identifier to the prefix's first address, so a prefix other than
 * /64 gives a (useless but defined) result. IPv4 or malformed input -> 400.
 */
export function eui64Address(prefix: string, mac: string): string {
  const cidr = parseCidr(prefix);
  if (cidr?.version === 4) throw new InvalidInput('Unable to generate IP address by EUI64 for IPv4 prefix');
  const macValue = parseMac(mac);
  if (cidr === null || macValue === null) {
    throw new InvalidInput(`Bad prefix or mac format for generating IPv6 address by EUI-64: ${prefix}, ${mac}:`);
  }
  const value = ((cidrFirst(cidr) + eui64Of(macValue)) ^ UNIVERSAL_LOCAL_BIT) & maxAddress(6);
  return formatIp(value, 6);
}

/**
 * neutron ipv6_utils.is_eui64_address: an IPv6 address whose interface
 * identifier has ff:fe in the middle, the mark of an EUI-64 from a MAC.
 */
export function isEui64Address(text: string): boolean {
  const ip = parseIp(text);
  return ip?.version === 6 && (ip.value & 0xffff000000n) === 0xfffe000000n;
}
