/**
 * What the host should look like, from the ports wired here: per network one
 * bridge, its uplink by network type, its taps, all at the network's MTU.
 * Pure: the agent's port details and settings in, a description out; plan.ts
 * compares it with the kernel.
 *
 *   vxlan  vxlan-<vni> (local <local_ip> dev <VTEP device>; unicast with l2population)
 *   flat   the mapped interface itself, or the mapped bridge used as the network's bridge
 *   vlan   <iface>.<vlan>, an 802.1q sub-interface of the mapped interface
 *   local  no uplink: the bridge joins only this host's taps
 */
import type { BoundDevice } from './deviceDetails.js';
import { bridgeName, vlanName, vxlanName } from './names.js';
import type { LinuxBridgeAgentSettings } from './settings.js';

export interface VxlanUplink {
  readonly kind: 'vxlan';
  readonly name: string;
  readonly vni: number;
  readonly localIp: string;
  /** The device holding local_ip. */
  readonly underlay: string;
  readonly dstPort: number;
  readonly ttl?: number;
  readonly tos?: number;
  /** Set without l2population: flooding by multicast, learning on. */
  readonly group?: string;
  readonly learning: boolean;
  readonly proxy: boolean;
}

/** A host interface that exists already (flat): enslaved, never created, deleted or resized. */
export interface InterfaceUplink {
  readonly kind: 'interface';
  readonly name: string;
}

export interface VlanUplink {
  readonly kind: 'vlan';
  readonly name: string;
  readonly parent: string;
  readonly vlan: number;
}

export type Uplink = VxlanUplink | InterfaceUplink | VlanUplink;

export interface DesiredTap {
  readonly name: string;
  /** admin_state_up: down taps stay in the bridge, set down (as Neutron's ensure_port_admin_state). */
  readonly up: boolean;
}

export interface DesiredNetwork {
  readonly networkId: string;
  readonly networkType: string;
  readonly bridge: string;
  /** False for a bridge of bridge_mappings: used, never created, changed or deleted. */
  readonly ownBridge: boolean;
  readonly uplink?: Uplink;
  readonly mtu: number | null;
  readonly taps: readonly DesiredTap[];
}

/** A device this host cannot wire, and why (logged, its port is not reported up). */
export interface Unwirable {
  readonly device: string;
  readonly reason: string;
}

export interface DesiredState {
  readonly networks: ReadonlyMap<string, DesiredNetwork>;
  readonly unwirable: readonly Unwirable[];
}

type Wiring = Omit<DesiredNetwork, 'taps'> | { readonly error: string };

function wiringOf(port: BoundDevice, settings: LinuxBridgeAgentSettings, vtepDevice: string | undefined): Wiring {
  const base = { networkId: port.networkId, networkType: port.networkType, bridge: bridgeName(port.networkId), ownBridge: true, mtu: port.mtu };
  const physnet = port.physicalNetwork ?? '';
  switch (port.networkType) {
    case 'local':
      return base;
    case 'vxlan': {
      const vxlan = settings.vxlan;
      if (!vxlan) return { error: 'VXLAN is disabled on this host ([vxlan] enable_vxlan)' };
      if (port.segmentationId === null) return { error: 'the VXLAN segment has no VNI' };
      if (vtepDevice === undefined) return { error: `no device on this host has local_ip ${vxlan.localIp}` };
      const uplink: VxlanUplink = {
        kind: 'vxlan',
        name: vxlanName(port.segmentationId),
        vni: port.segmentationId,
        localIp: vxlan.localIp,
        underlay: vtepDevice,
        dstPort: vxlan.dstPort,
        ...(vxlan.ttl === undefined ? {} : { ttl: vxlan.ttl }),
        ...(vxlan.tos === undefined ? {} : { tos: vxlan.tos }),
        ...(vxlan.l2Population ? {} : { group: vxlan.group }),
        learning: !vxlan.l2Population,
        proxy: vxlan.l2Population && vxlan.arpResponder,
      };
      return { ...base, uplink };
    }
    case 'flat': {
      const bridge = settings.bridgeMappings[physnet];
      if (bridge !== undefined) return { ...base, bridge, ownBridge: false };
      const iface = settings.interfaceMappings[physnet];
      if (iface === undefined) return { error: `physical network '${physnet}' is not in physical_interface_mappings or bridge_mappings` };
      return { ...base, uplink: { kind: 'interface', name: iface } };
    }
    case 'vlan': {
      const iface = settings.interfaceMappings[physnet];
      if (iface === undefined) return { error: `physical network '${physnet}' is not in physical_interface_mappings` };
      if (port.segmentationId === null) return { error: 'the VLAN segment has no VLAN id' };
      return { ...base, uplink: { kind: 'vlan', name: vlanName(iface, port.segmentationId), parent: iface, vlan: port.segmentationId } };
    }
    default:
      return { error: `network type '${port.networkType}' is not supported by the Linux bridge agent` };
  }
}

/** The desired state of the bound ports whose taps are present. `vtepDevice`: the device holding local_ip, if any. */
export function desiredState(ports: readonly BoundDevice[], settings: LinuxBridgeAgentSettings, vtepDevice: string | undefined): DesiredState {
  const networks = new Map<string, Omit<DesiredNetwork, 'taps'> & { taps: DesiredTap[] }>();
  const unwirable: Unwirable[] = [];
  for (const port of ports) {
    let network = networks.get(port.networkId);
    if (!network) {
      const wiring = wiringOf(port, settings, vtepDevice);
      if ('error' in wiring) {
        unwirable.push({ device: port.device, reason: wiring.error });
        continue;
      }
      network = { ...wiring, taps: [] };
      networks.set(port.networkId, network);
    }
    network.taps.push({ name: port.device, up: port.adminStateUp });
  }
  for (const network of networks.values()) network.taps.sort((a, b) => a.name.localeCompare(b.name));
  return { networks, unwirable };
}
