/**
 * Every flow table the agent manages, as a pure function of the desired
 * switch and the ports' OpenFlow numbers: the whole table, so that a pass
 * compares it with the bridge (ovs-ofctl diff-flows) and repairs any drift.
 * Flows are written as OVS prints them back under OpenFlow 1.4 (push_vlan
 * and set_field, not mod_vlan_vid and set_tunnel), so a right table shows no
 * difference.
 *
 * br-int (Neutron's layout):
 *   table 0   from a physical bridge: its segment -> the local VLAN, on to 60;
 *             anything else from it dropped; the dead VLAN dropped; the rest on to 60
 *   table 23  canary
 *   table 60  NORMAL: MAC learning within each local VLAN (ports are access ports)
 * physical bridge:
 *   table 0   from br-int: local VLAN -> the segment's VLAN (or none, flat), NORMAL;
 *             anything else from br-int dropped; the rest (the uplink) NORMAL
 * br-tun:
 *   table 0   from br-int -> 2; from a tunnel -> 3 (gre), 4 (vxlan), 6 (geneve); else drop
 *   table 2   unicast -> 20, broadcast ARP -> 21 (arp_responder), multicast -> 22
 *   3, 4, 6   tunnel key -> local VLAN, -> 10
 *   table 10  learn the sender's tunnel port into 20, output to br-int
 *   table 20  l2population: a remote MAC -> its endpoint; else -> 22
 *   table 21  answers ARP for remote ports; else -> 22
 *   table 22  flood the local VLAN to the network's tunnels
 */
import type { NetworkFdb } from '../l2/fdbTable.js';
import type { DesiredSwitch, WiredNetwork } from './desiredSwitch.js';
import { DEAD_VLAN, INT_TABLES, intPatchName, LEARNED_COOKIE, phyPatchName, TUN_TABLES, type TunnelType, tunnelPortName, VLAN_PRESENT } from './names.js';
import type { OvsAgentSettings } from './settings.js';

export interface FlowInput {
  readonly settings: OvsAgentSettings;
  readonly desired: DesiredSwitch;
  /** A port's OpenFlow number; undefined while OVS has not attached it. */
  readonly ofport: (bridge: string, port: string) => number | undefined;
  readonly fdbOf?: (networkId: string) => NetworkFdb;
}

export interface BridgeFlows {
  readonly bridge: string;
  readonly flows: readonly string[];
  /** Ports the flows need that have no OpenFlow number yet: the flows naming them are left out until they do. */
  readonly waitingFor: readonly string[];
}

const vid = (vlan: number) => `set_field:${VLAN_PRESENT + vlan}->vlan_vid`;
const hex = (n: number) => `0x${n.toString(16)}`;
const TUNNEL_TABLE: Readonly<Record<TunnelType, number>> = { gre: TUN_TABLES.gre, vxlan: TUN_TABLES.vxlan, geneve: TUN_TABLES.geneve };

class Table {
  readonly flows: string[] = [];
  readonly waitingFor = new Set<string>();

  constructor(
    readonly bridge: string,
    private readonly ofportOf: (bridge: string, port: string) => number | undefined,
  ) {}

  /** The port's number, or undefined (and the port noted) when it has none yet. */
  port(name: string): number | undefined {
    const ofport = this.ofportOf(this.bridge, name);
    if (ofport === undefined) this.waitingFor.add(name);
    return ofport;
  }

  add(flow: string): void {
    this.flows.push(flow);
  }

  result(): BridgeFlows {
    return { bridge: this.bridge, flows: this.flows, waitingFor: [...this.waitingFor].sort() };
  }
}

function integrationFlows(input: FlowInput, networks: readonly WiredNetwork[]): BridgeFlows {
  const { settings } = input;
  const table = new Table(settings.integrationBridge, input.ofport);
  const local = INT_TABLES.local;
  table.add(`table=${local},priority=65535,vlan_tci=${hex(VLAN_PRESENT + DEAD_VLAN)}/0x1fff actions=drop`);
  for (const bridge of [...new Set(Object.values(settings.bridgeMappings))].sort()) {
    if (!input.desired.ports.some((p) => p.bridge === settings.integrationBridge && p.name === intPatchName(bridge))) continue;
    const inPort = table.port(intPatchName(bridge));
    if (inPort === undefined) continue;
    table.add(`table=${local},priority=2,in_port=${inPort} actions=drop`);
    for (const network of networks) {
      const segment = network.segment;
      if (segment.kind === 'vlan' && segment.bridge === bridge) {
        table.add(`table=${local},priority=3,in_port=${inPort},dl_vlan=${segment.vlan} actions=${vid(network.localVlan)},goto_table:${INT_TABLES.transient}`);
      } else if (segment.kind === 'flat' && segment.bridge === bridge) {
        table.add(`table=${local},priority=3,in_port=${inPort},vlan_tci=0x0000/0x1fff actions=push_vlan:0x8100,${vid(network.localVlan)},goto_table:${INT_TABLES.transient}`);
      }
    }
  }
  table.add(`table=${local},priority=0 actions=goto_table:${INT_TABLES.transient}`);
  table.add(`table=${INT_TABLES.canary},priority=0 actions=drop`);
  table.add(`table=${INT_TABLES.transient},priority=3 actions=NORMAL`);
  return table.result();
}

function physicalFlows(input: FlowInput, bridge: string, networks: readonly WiredNetwork[]): BridgeFlows {
  const table = new Table(bridge, input.ofport);
  const inPort = table.port(phyPatchName(bridge));
  if (inPort !== undefined) {
    table.add(`table=0,priority=2,in_port=${inPort} actions=drop`);
    for (const network of networks) {
      const segment = network.segment;
      if (segment.kind === 'vlan' && segment.bridge === bridge) {
        table.add(`table=0,priority=4,in_port=${inPort},dl_vlan=${network.localVlan} actions=${vid(segment.vlan)},NORMAL`);
      } else if (segment.kind === 'flat' && segment.bridge === bridge) {
        table.add(`table=0,priority=4,in_port=${inPort},dl_vlan=${network.localVlan} actions=pop_vlan,NORMAL`);
      }
    }
  }
  table.add('table=0,priority=0 actions=NORMAL');
  return table.result();
}

/** ARP request for `ip` on the local VLAN -> a reply from `mac`, sent back where it came from (Neutron's ARP responder). */
function arpReply(localVlan: number, ip: string, mac: string): string {
  return (
    `table=${TUN_TABLES.arpResponder},priority=1,arp,dl_vlan=${localVlan},arp_tpa=${ip} actions=` +
    [
      'move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[]',
      `set_field:${mac}->eth_src`,
      'set_field:2->arp_op',
      'move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[]',
      'move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[]',
      `set_field:${mac}->arp_sha`,
      `set_field:${ip}->arp_spa`,
      'IN_PORT',
    ].join(',')
  );
}

function tunnelFlows(input: FlowInput, networks: readonly WiredNetwork[]): BridgeFlows {
  const { settings, desired } = input;
  const tunnels = settings.tunnels!;
  const table = new Table(settings.tunnelBridge, input.ofport);
  const patch = table.port(settings.tunPeerPatchPort);
  const tunnelPorts = new Map<string, number>();
  for (const tunnel of desired.tunnels) {
    const ofport = table.port(tunnel.name);
    if (ofport !== undefined) tunnelPorts.set(tunnel.name, ofport);
  }

  if (patch !== undefined) table.add(`table=0,priority=1,in_port=${patch} actions=resubmit(,${TUN_TABLES.patchLvToTun})`);
  for (const tunnel of desired.tunnels) {
    const ofport = tunnelPorts.get(tunnel.name);
    if (ofport !== undefined) table.add(`table=0,priority=1,in_port=${ofport} actions=resubmit(,${TUNNEL_TABLE[tunnel.type]})`);
  }
  table.add('table=0,priority=0 actions=drop');

  const arp = tunnels.l2Population && tunnels.arpResponder;
  if (arp) table.add(`table=${TUN_TABLES.patchLvToTun},priority=1,arp,dl_dst=ff:ff:ff:ff:ff:ff actions=resubmit(,${TUN_TABLES.arpResponder})`);
  table.add(`table=${TUN_TABLES.patchLvToTun},priority=0,dl_dst=00:00:00:00:00:00/01:00:00:00:00:00 actions=resubmit(,${TUN_TABLES.ucastToTun})`);
  table.add(`table=${TUN_TABLES.patchLvToTun},priority=0,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00 actions=resubmit(,${TUN_TABLES.floodToTun})`);
  for (const type of tunnels.types) table.add(`table=${TUNNEL_TABLE[type]},priority=0 actions=drop`);

  if (!tunnels.l2Population && patch !== undefined) {
    const learn =
      `learn(table=${TUN_TABLES.ucastToTun},hard_timeout=300,priority=1,cookie=${LEARNED_COOKIE},NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],` +
      'load:0->NXM_OF_VLAN_TCI[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:OXM_OF_IN_PORT[])';
    table.add(`table=${TUN_TABLES.learnFromTun},priority=1 actions=${learn},output:${patch}`);
  } else if (patch !== undefined) {
    table.add(`table=${TUN_TABLES.learnFromTun},priority=1 actions=output:${patch}`);
  }
  table.add(`table=${TUN_TABLES.ucastToTun},priority=0 actions=resubmit(,${TUN_TABLES.floodToTun})`);
  if (arp) table.add(`table=${TUN_TABLES.arpResponder},priority=0 actions=resubmit(,${TUN_TABLES.floodToTun})`);
  table.add(`table=${TUN_TABLES.floodToTun},priority=0 actions=drop`);

  for (const network of networks) {
    const segment = network.segment;
    if (segment.kind !== 'tunnel') continue;
    const key = hex(segment.key);
    const toTunnel = `pop_vlan,set_field:${key}->tun_id`;
    table.add(`table=${TUNNEL_TABLE[segment.type]},priority=1,tun_id=${key} actions=push_vlan:0x8100,${vid(network.localVlan)},resubmit(,${TUN_TABLES.learnFromTun})`);
    const portTo = (vtep: string) => tunnelPorts.get(tunnelPortName(segment.type, vtep));
    let floodTo: number[];
    if (tunnels.l2Population) {
      const fdb = input.fdbOf?.(network.networkId);
      floodTo = [...(fdb?.floodVteps ?? [])].flatMap((vtep) => portTo(vtep) ?? []);
      for (const [mac, vtep] of [...(fdb?.macs ?? [])].sort()) {
        const ofport = portTo(vtep);
        if (ofport !== undefined) table.add(`table=${TUN_TABLES.ucastToTun},priority=2,dl_vlan=${network.localVlan},dl_dst=${mac} actions=${toTunnel},output:${ofport}`);
      }
      if (arp) for (const [ip, mac] of [...(fdb?.neighbours ?? [])].sort()) table.add(arpReply(network.localVlan, ip, mac));
    } else {
      floodTo = desired.tunnels.filter((t) => t.type === segment.type).flatMap((t) => tunnelPorts.get(t.name) ?? []);
    }
    if (floodTo.length > 0) {
      table.add(`table=${TUN_TABLES.floodToTun},priority=1,dl_vlan=${network.localVlan} actions=${toTunnel},${[...new Set(floodTo)].sort((a, b) => a - b).map((p) => `output:${p}`).join(',')}`);
    }
  }
  return table.result();
}

/** The flows of br-int, br-tun (with tunnels) and each physical bridge that exists. */
export function desiredFlows(input: FlowInput): BridgeFlows[] {
  const networks = [...input.desired.networks.values()].sort((a, b) => a.localVlan - b.localVlan);
  const physical = [...new Set(Object.values(input.settings.bridgeMappings))]
    .filter((bridge) => input.desired.ports.some((p) => p.bridge === bridge && p.name === phyPatchName(bridge)))
    .sort();
  return [
    integrationFlows(input, networks),
    ...(input.settings.tunnels ? [tunnelFlows(input, networks)] : []),
    ...physical.map((bridge) => physicalFlows(input, bridge, networks)),
  ];
}
