/**
 * IPv6 address modes: which subnets hand out addresses by SLAAC (the host
 * derives them from its MAC, Neutron records the EUI-64 result).
 */
import type { Ipv6Mode } from './types.js';

export interface AddressModes {
  readonly ipv6RaMode?: Ipv6Mode | null | undefined;
  readonly ipv6AddressMode?: Ipv6Mode | null | undefined;
}

const AUTO_MODES: ReadonlySet<Ipv6Mode | null | undefined> = new Set<Ipv6Mode>(['slaac', 'dhcpv6-stateless']);

/** neutron ipv6_utils.is_auto_address_subnet: slaac or dhcpv6-stateless in either mode. */
export function isAutoAddressSubnet(subnet: AddressModes): boolean {
  return AUTO_MODES.has(subnet.ipv6AddressMode) || AUTO_MODES.has(subnet.ipv6RaMode);
}
