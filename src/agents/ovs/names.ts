/**
 * Neutron's Open vSwitch layout, by name and number, so that `ovs-vsctl
 * show` and `ovs-ofctl dump-flows` read as on a Neutron host
 * (neutron/plugins/ml2/drivers/openvswitch/agent/common/constants.py):
 *
 *   br-int   every port, tagged with its network's local VLAN
 *   br-tun   patch-int, one tunnel port per remote endpoint and type
 *   br-<phys> (the operator's) phy-<bridge>, patched to int-<bridge> on br-int
 */
import { createHash } from 'node:crypto';

/** The VLAN of ports that must not talk: unbound, unwirable or administratively down. */
export const DEAD_VLAN = 4095;
/** OpenFlow's "VLAN present" bit, added to a VLAN id in set_field:...->vlan_vid. */
export const VLAN_PRESENT = 0x1000;
/** The cookie of flows br-tun learns (table 10 -> 20): never removed by a pass. */
export const LEARNED_COOKIE = '0x1';

/** br-int's tables. */
export const INT_TABLES = { local: 0, canary: 23, transient: 60 } as const;

/** br-tun's tables. */
export const TUN_TABLES = {
  patchLvToTun: 2,
  gre: 3,
  vxlan: 4,
  geneve: 6,
  learnFromTun: 10,
  ucastToTun: 20,
  arpResponder: 21,
  floodToTun: 22,
} as const;

export type TunnelType = 'vxlan' | 'gre' | 'geneve';
export const TUNNEL_TYPES: readonly TunnelType[] = ['vxlan', 'gre', 'geneve'];

export const isTunnelType = (type: string): type is TunnelType => (TUNNEL_TYPES as readonly string[]).includes(type);

const MAX_DEVICE_NAME = 15;
const HASH_LENGTH = 6;

/** neutron's get_interface_name: a name longer than 15 keeps its start and gains 6 hex of its SHA-1. */
function interfaceName(name: string, prefix: string): string {
  if (prefix.length + name.length <= MAX_DEVICE_NAME) return `${prefix}${name}`;
  const hash = createHash('sha1').update(name).digest('hex').slice(0, HASH_LENGTH);
  return `${prefix}${name.slice(0, MAX_DEVICE_NAME - prefix.length - HASH_LENGTH)}${hash}`;
}

/** br-int's end of the patch to a physical bridge. */
export const intPatchName = (bridge: string): string => interfaceName(bridge, 'int-');
/** The physical bridge's end. */
export const phyPatchName = (bridge: string): string => interfaceName(bridge, 'phy-');

/** `vxlan-0a000002`: the type and the remote IPv4 address in hex, as Neutron names tunnel ports. */
export function tunnelPortName(type: TunnelType, remoteIp: string): string {
  const hex = remoteIp
    .split('.')
    .map((octet) => Number(octet).toString(16).padStart(2, '0'))
    .join('');
  return `${type}-${hex}`;
}
