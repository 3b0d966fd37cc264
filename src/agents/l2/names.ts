/**
 * The names the Linux bridge agent gives devices, as Neutron's
 * linuxbridge_neutron_agent.py does, so an operator (and Nova's os-vif,
 * which creates `tap<port>` and expects `brq<network>`) finds them:
 *   brq + network id[:11]      the network's bridge
 *   vxlan-<vni>                its VXLAN device
 *   <iface>.<vlan>             its 802.1q sub-interface (hashed when longer than 15)
 *   tap + port id[:11]         a port's device (created by Nova, the DHCP agent or `nucleon plug`)
 */
import { createHash } from 'node:crypto';

/** IFNAMSIZ - 1. */
const MAX_DEVICE_NAME = 15;
/** neutron's INTERFACE_HASH_LEN. */
const HASH_LENGTH = 6;

export const TAP_PREFIX = 'tap';
export const BRIDGE_PREFIX = 'brq';
export const VXLAN_PREFIX = 'vxlan-';

export const bridgeName = (networkId: string): string => `${BRIDGE_PREFIX}${networkId.slice(0, 11)}`;

export const vxlanName = (vni: number): string => `${VXLAN_PREFIX}${vni}`;

export const tapName = (portId: string): string => `${TAP_PREFIX}${portId.slice(0, 11)}`;

/** neutron's get_interface_name with postfix `.<vlan>`: too long a name keeps its start and gains 6 hex of its SHA-1. */
export function vlanName(iface: string, vlan: number): string {
  const postfix = `.${vlan}`;
  if (iface.length + postfix.length <= MAX_DEVICE_NAME) return `${iface}${postfix}`;
  const keep = MAX_DEVICE_NAME - postfix.length - HASH_LENGTH;
  const hash = createHash('sha1').update(iface).digest('hex').slice(0, HASH_LENGTH);
  return `${iface.slice(0, keep)}${hash}${postfix}`;
}
