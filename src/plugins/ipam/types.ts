/**
 * Small value types shared by the IPAM functions. Addresses travel as
 * canonical strings at the edges (what the API and the database hold) and as
 * bigint inside, where arithmetic happens.
 */

export type IpVersion = 4 | 6;

export type Ipv6Mode = 'slaac' | 'dhcpv6-stateful' | 'dhcpv6-stateless';

/** An allocation pool as the API shows it: inclusive, canonical addresses. */
export interface AllocationPool {
  readonly start: string;
  readonly end: string;
}

export interface HostRoute {
  readonly destination: string;
  readonly nexthop: string;
}

/** An address a port holds. */
export interface FixedIp {
  readonly subnetId: string;
  readonly ipAddress: string;
}

/** An inclusive range of addresses as integers. */
export interface IpRange {
  readonly first: bigint;
  readonly last: bigint;
}

/** A source of randomness in [0, 1), like Math.random; tests pass a fixed one. */
export type Random = () => number;
