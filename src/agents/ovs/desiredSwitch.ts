/**
 * What Open vSwitch should hold on this host, from the ports wired here:
 * the bridges and their ports (desiredSwitch) and, once the ports have
 * OpenFlow numbers, every bridge's flow table (flows.ts). Pure: the server's
 * view and the settings in, a description out.
 *
 * Each network with a port here gets a local VLAN on br-int (its ports are
 * access ports with that tag); the flows translate it to the network's
 * segment where traffic leaves the host: a VLAN id or none (flat) on the
 * physical bridge, a tunnel key in br-tun.
 */
import type { BoundDevice } from '../l2/deviceDetails.js';
import type { NetworkFdb } from '../l2/fdbTable.js';
import { DEAD_VLAN, intPatchName, isTunnelType, phyPatchName, type TunnelType, tunnelPortName } from './names.js';
import type { OvsAgentSettings } from './settings.js';

/** How a network leaves the host. */
export type Segment =
  | { readonly kind: 'local' }
  | { readonly kind: 'flat'; readonly bridge: string }
  | { readonly kind: 'vlan'; readonly bridge: string; readonly vlan: number }
  | { readonly kind: 'tunnel'; readonly type: TunnelType; readonly key: number };

export interface WiredNetwork {
  readonly networkId: string;
  readonly localVlan: number;
  readonly networkType: string;
  readonly segmentationId: number | null;
  readonly physicalNetwork: string | null;
  readonly segment: Segment;
}

/** A port the agent creates and keeps as it should be (patch and tunnel ports). */
export interface DesiredPort {
  readonly bridge: string;
  readonly name: string;
  readonly type: string;
  readonly options: Readonly<Record<string, string>>;
}

/** A VIF port someone else plugged (Nova's os-vif, the DHCP agent): the agent sets its tag and other_config. */
export interface DesiredVif {
  readonly name: string;
  readonly portId: string;
  readonly tag: number;
  /** Neutron's record of the wiring on the port, from which a restarted agent recovers its local VLANs. */
  readonly otherConfig: Readonly<Record<string, string>>;
}

export interface RemoteTunnel {
  readonly type: TunnelType;
  readonly remoteIp: string;
  readonly name: string;
}

export interface Unwirable {
  readonly device: string;
  readonly reason: string;
}

export interface DesiredSwitch {
  /** Bridges the agent creates when missing (br-int, br-tun). */
  readonly ownBridges: readonly string[];
  readonly ports: readonly DesiredPort[];
  readonly vifs: readonly DesiredVif[];
  readonly networks: ReadonlyMap<string, WiredNetwork>;
  readonly tunnels: readonly RemoteTunnel[];
  readonly unwirable: readonly Unwirable[];
}

/** A VIF on br-int: its OVS port name and what the server said about its Neutron port (undefined: not asked yet or unknown). */
export interface VifInput {
  readonly name: string;
  readonly portId: string;
  readonly details: BoundDevice | undefined;
}

export interface SwitchInput {
  readonly settings: OvsAgentSettings;
  readonly vifs: readonly VifInput[];
  /** Bridges that exist (physical bridges are the operator's: used, never created). */
  readonly existingBridges: ReadonlySet<string>;
  /** network -> local VLAN, as assigned (localVlans.ts). */
  readonly localVlans: ReadonlyMap<string, number>;
  /** The l2population entries of a network (with l2_population). */
  readonly fdbOf?: (networkId: string) => NetworkFdb;
  /** Tunnel endpoints by type (without l2_population: from tunnel_sync and tunnel_update). */
  readonly endpoints: ReadonlyMap<TunnelType, ReadonlySet<string>>;
}

type SegmentOrError = Segment | { readonly error: string };

function segmentOf(port: BoundDevice, input: SwitchInput): SegmentOrError {
  const { settings } = input;
  const physnet = port.physicalNetwork ?? '';
  switch (port.networkType) {
    case 'local':
      return { kind: 'local' };
    case 'flat':
    case 'vlan': {
      const bridge = settings.bridgeMappings[physnet];
      if (bridge === undefined) return { error: `physical network '${physnet}' is not in bridge_mappings` };
      if (!input.existingBridges.has(bridge)) return { error: `bridge ${bridge} of physical network '${physnet}' does not exist` };
      if (port.networkType === 'flat') return { kind: 'flat', bridge };
      if (port.segmentationId === null) return { error: 'the VLAN segment has no VLAN id' };
      return { kind: 'vlan', bridge, vlan: port.segmentationId };
    }
    default: {
      const type = port.networkType;
      if (!isTunnelType(type)) return { error: `network type '${type}' is not supported by the Open vSwitch agent` };
      if (!settings.tunnels?.types.includes(type)) return { error: `${type} is not in this host's tunnel_types` };
      if (port.segmentationId === null) return { error: `the ${type} segment has no key` };
      return { kind: 'tunnel', type, key: port.segmentationId };
    }
  }
}

function tunnelOptions(settings: OvsAgentSettings, type: TunnelType, remoteIp: string): Record<string, string> {
  const tunnels = settings.tunnels!;
  return {
    df_default: 'true',
    egress_pkt_mark: '0',
    in_key: 'flow',
    local_ip: tunnels.localIp,
    out_key: 'flow',
    remote_ip: remoteIp,
    ...(type === 'vxlan' && tunnels.vxlanUdpPort !== 4789 ? { dst_port: String(tunnels.vxlanUdpPort) } : {}),
  };
}

/** The remote endpoints each tunnel type needs: with l2population those of the local networks' entries, else every known one. */
function remoteTunnels(input: SwitchInput, networks: ReadonlyMap<string, WiredNetwork>): RemoteTunnel[] {
  const tunnels = input.settings.tunnels;
  if (!tunnels) return [];
  const wanted = new Map<string, RemoteTunnel>();
  const add = (type: TunnelType, remoteIp: string) => {
    if (remoteIp === tunnels.localIp) return;
    const name = tunnelPortName(type, remoteIp);
    wanted.set(name, { type, remoteIp, name });
  };
  if (tunnels.l2Population) {
    for (const network of networks.values()) {
      if (network.segment.kind !== 'tunnel' || !input.fdbOf) continue;
      const fdb = input.fdbOf(network.networkId);
      for (const vtep of [...fdb.floodVteps, ...fdb.macs.values()]) add(network.segment.type, vtep);
    }
  } else {
    for (const type of tunnels.types) for (const ip of input.endpoints.get(type) ?? []) add(type, ip);
  }
  return [...wanted.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export function desiredSwitch(input: SwitchInput): DesiredSwitch {
  const { settings } = input;
  const networks = new Map<string, WiredNetwork>();
  const unwirable: Unwirable[] = [];
  const vifs: DesiredVif[] = [];
  for (const vif of [...input.vifs].sort((a, b) => a.name.localeCompare(b.name))) {
    const port = vif.details;
    let network = port ? networks.get(port.networkId) : undefined;
    if (port && !network) {
      const segment = segmentOf(port, input);
      const localVlan = input.localVlans.get(port.networkId);
      if ('error' in segment) unwirable.push({ device: vif.portId, reason: segment.error });
      else if (localVlan === undefined) unwirable.push({ device: vif.portId, reason: 'no local VLAN is free on this host' });
      else {
        network = {
          networkId: port.networkId,
          localVlan,
          networkType: port.networkType,
          segmentationId: port.segmentationId,
          physicalNetwork: port.physicalNetwork,
          segment,
        };
        networks.set(port.networkId, network);
      }
    }
    // As Neutron's agent: a port not (yet) wired, or administratively down, sits in the dead VLAN.
    const tag = network && port?.adminStateUp === true ? network.localVlan : DEAD_VLAN;
    vifs.push({
      name: vif.name,
      portId: vif.portId,
      tag,
      otherConfig: network
        ? {
            net_uuid: network.networkId,
            network_type: network.networkType,
            physical_network: network.physicalNetwork ?? 'None',
            segmentation_id: network.segmentationId === null ? 'None' : String(network.segmentationId),
            tag: String(network.localVlan),
          }
        : {},
    });
  }

  const ownBridges = [settings.integrationBridge];
  const ports: DesiredPort[] = [];
  const tunnels = remoteTunnels(input, networks);
  if (settings.tunnels) {
    ownBridges.push(settings.tunnelBridge);
    ports.push(
      { bridge: settings.integrationBridge, name: settings.intPeerPatchPort, type: 'patch', options: { peer: settings.tunPeerPatchPort } },
      { bridge: settings.tunnelBridge, name: settings.tunPeerPatchPort, type: 'patch', options: { peer: settings.intPeerPatchPort } },
      ...tunnels.map((t) => ({ bridge: settings.tunnelBridge, name: t.name, type: t.type, options: tunnelOptions(settings, t.type, t.remoteIp) })),
    );
  }
  for (const bridge of Object.values(settings.bridgeMappings).sort()) {
    if (!input.existingBridges.has(bridge)) continue;
    ports.push(
      { bridge: settings.integrationBridge, name: intPatchName(bridge), type: 'patch', options: { peer: phyPatchName(bridge) } },
      { bridge, name: phyPatchName(bridge), type: 'patch', options: { peer: intPatchName(bridge) } },
    );
  }
  return { ownBridges, ports, vifs, networks, tunnels, unwirable };
}
