/**
 * The device_id of a DHCP agent's port, computed the same way by the server
 * (which checks who owns a DHCP port) and by the DHCP agent (which finds its
 * own port among the network's), as Neutron's get_dhcp_agent_device_id.
 */
import { createHash } from 'node:crypto';

/** RFC 4122's namespace for DNS names, Python's uuid.NAMESPACE_DNS. */
const NAMESPACE_DNS = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';

/** A name-based (SHA-1) UUID, Python's uuid.uuid5. */
export function uuid5(namespace: string, name: string): string {
  const hash = createHash('sha1').update(Buffer.from(namespace.replace(/-/g, ''), 'hex')).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The device_id of the DHCP port an agent on `host` uses on a network,
 * `dhcp<uuid5(NAMESPACE_DNS, short host name)>-<network id>` as Neutron
 * computes it (neutron/common/utils.py get_dhcp_agent_device_id): only the
 * part of the host name before the first dot counts.
 */
export function dhcpDeviceId(networkId: string, host: string): string {
  const shortName = host.split('.')[0] ?? host;
  return `dhcp${uuid5(NAMESPACE_DNS, shortName)}-${networkId}`;
}

/** A DHCP port kept (with its addresses) for the next agent that takes the network (neutron-lib DEVICE_ID_RESERVED_DHCP_PORT). */
export const DEVICE_ID_RESERVED_DHCP_PORT = 'reserved_dhcp_port';

export const DEVICE_OWNER_DHCP = 'network:dhcp';
