/**
 * A network's MTU when it is asked for (net-mtu-writable), as ML2 and the
 * core plugin check it: never above what the network's segments carry, and
 * large enough for the IP versions of its subnets (IPv4 needs 68 bytes,
 * IPv6 1280, RFC 791 and RFC 8200).
 */
import { InvalidInput } from '../../common/errors.js';
import { NetworkMTUSubnetConflict } from './errors.js';

export const IPV4_MIN_MTU = 68;
export const IPV6_MIN_MTU = 1280;

/**
 * The MTU to store: the one asked for, or `maximum` (what the segments
 * carry) for 0, which means "as large as possible".
 */
export function chosenMtu(requested: number, maximum: number): number {
  if (requested > maximum) throw new InvalidInput(`Requested MTU is too big, maximum is ${maximum}`);
  return requested || maximum;
}

/** The MTU that subnets of these IP versions need and `mtu` falls short of; undefined when it suffices. */
export function subnetsNeed(mtu: number, ipVersions: readonly number[]): number | undefined {
  if (mtu >= IPV6_MIN_MTU || ipVersions.length === 0) return undefined;
  if (mtu < IPV4_MIN_MTU) return IPV4_MIN_MTU;
  return ipVersions.includes(6) ? IPV6_MIN_MTU : undefined;
}

/** Neutron's check on a network's new MTU or a new subnet: NetworkMTUSubnetConflict when they do not fit. */
export function checkSubnetsFit(networkId: string, mtu: number, ipVersions: readonly number[]): void {
  const needed = subnetsNeed(mtu, ipVersions);
  if (needed !== undefined) throw new NetworkMTUSubnetConflict(networkId, needed);
}
