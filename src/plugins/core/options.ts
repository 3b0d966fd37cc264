/** The configuration the core plugin uses, built from neutron.conf by server/. */
export interface CoreOptions {
  readonly baseMac: string;
  readonly macGenerationRetries: number;
  readonly globalPhysnetMtu: number;
  readonly maxFixedIpsPerPort: number;
  readonly dnsDomain: string;
  readonly maxDnsNameservers: number;
  readonly maxSubnetHostRoutes: number;
  readonly maxAllowedAddressPairs: number;
  /** [DEFAULT] default_availability_zones: the hints of a network created without any (default: none). */
  readonly defaultAvailabilityZones?: readonly string[];
}
