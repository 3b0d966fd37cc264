/**
 * Plugs an instance that is a network namespace into a port, the way os-vif's
 * linux bridge plugin and libvirt do for a VM: a `tap<port id[:11]>` device
 * on the host whose other end is the instance's interface, carrying the
 * port's MAC, and, for a port bound with vif_type `bridge`, enslaved to the
 * network's bridge (created when missing), as libvirt does: Neutron's own
 * Linux bridge agent leaves instance taps to Nova; Nucleon's wires them in
 * either way. For vif_type `ovs` the tap joins the integration bridge with
 * the port's id, MAC and status in its external_ids, as os-vif's ovs plugin
 * does, which is how the Open vSwitch agent finds it. The host side gets the network MTU, as os-vif sets it; the
 * instance side keeps the kernel default, like a guest that has not asked
 * DHCP yet.
 */
import { addNamespace, IpRoute, listNamespaces } from '../../host/ip.js';
import { OpenVswitch } from '../../host/ovs.js';

/** Neutron's device names: a prefix and the first 11 characters of the port id (15-character limit). */
export const tapName = (portId: string): string => `tap${portId.slice(0, 11)}`;

export interface VifPlug {
  readonly portId: string;
  readonly macAddress: string;
  readonly mtu: number;
  /** The instance: a namespace, created when missing. */
  readonly netns: string;
  /** The interface inside the instance. */
  readonly ifname: string;
  /** The bridge the tap joins (vif_type `bridge`); none leaves the tap to the L2 agent. */
  readonly bridge?: string | undefined;
  /**
   * vif_type `ovs`: the OVS bridge the VIF joins, and where ovsdb-server
   * listens. With `hybrid` (vif_details ovs_hybrid_plug, the iptables_hybrid
   * firewall) the tap sits in a Linux bridge of its own, `qbr<id>`, joined to
   * OVS by the veth pair `qvb<id>` / `qvo<id>`, so the firewall can filter it.
   */
  readonly ovs?: { readonly bridge: string; readonly connection: string; readonly hybrid: boolean } | undefined;
}

/** os-vif's hybrid plug names: the port's Linux bridge and the two ends of its veth to OVS. */
export const hybridNames = (portId: string) => ({
  bridge: `qbr${portId.slice(0, 11)}`,
  bridgeEnd: `qvb${portId.slice(0, 11)}`,
  ovsEnd: `qvo${portId.slice(0, 11)}`,
});


/** libvirt gives the host end of a tap fe:... for the port's fa:...: the host side never answers as the instance. */
const hostSideMac = (mac: string): string => `fe${mac.slice(2)}`;

/** The `ip -batch` lines that plug the instance in, run in the host namespace. */
export function plugPlan(vif: VifPlug, bridgeExists = true): string[] {
  const tap = tapName(vif.portId);
  const plan = [
    `link add ${tap} type veth peer name ${vif.ifname} netns ${vif.netns}`,
    `link set ${tap} address ${hostSideMac(vif.macAddress)} mtu ${vif.mtu} up`,
  ];
  if (vif.ovs?.hybrid === true) {
    const hybrid = hybridNames(vif.portId);
    return [
      `link add ${hybrid.bridge} type bridge forward_delay 0 stp_state 0`,
      `link set ${hybrid.bridge} up`,
      `link add ${hybrid.bridgeEnd} mtu ${vif.mtu} type veth peer name ${hybrid.ovsEnd}`,
      `link set ${hybrid.bridgeEnd} master ${hybrid.bridge} up`,
      `link set ${hybrid.ovsEnd} mtu ${vif.mtu} up`,
      ...plan,
      `link set ${tap} master ${hybrid.bridge}`,
    ];
  }
  if (vif.bridge === undefined) return plan;
  // As os-vif's ensure_bridge: no STP, no forwarding delay.
  const bridge = bridgeExists ? [] : [`link add ${vif.bridge} type bridge forward_delay 0 stp_state 0`, `link set ${vif.bridge} up`];
  return [...bridge, ...plan, `link set ${tap} master ${vif.bridge}`];
}

/** Plugs the instance in; a tap that is already there is replaced (a stale plug of the same port). */
export async function plugVif(vif: VifPlug, host = new IpRoute()): Promise<void> {
  if (!(await listNamespaces()).includes(vif.netns)) await addNamespace(vif.netns);
  const tap = tapName(vif.portId);
  const links = await host.links();
  if (links.some((link) => link.ifname === tap)) await host.batch([`link delete ${tap}`]);
  await host.batch(plugPlan(vif, links.some((link) => link.ifname === vif.bridge)));
  if (vif.ovs) {
    const ovsPort = vif.ovs.hybrid ? hybridNames(vif.portId).ovsEnd : tap;
    await new OpenVswitch(vif.ovs.connection).plugVif(vif.ovs.bridge, ovsPort, { portId: vif.portId, mac: vif.macAddress });
  }
  await new IpRoute(vif.netns).batch([`link set ${vif.ifname} address ${vif.macAddress} up`, 'link set lo up']);
}

/** Removes the tap (and with it the instance's end, and its OVS port given `ovsConnection`); true when there was one. */
export async function unplugVif(portId: string, host = new IpRoute(), ovsConnection?: string): Promise<boolean> {
  const tap = tapName(portId);
  const hybrid = hybridNames(portId);
  if (ovsConnection !== undefined) await new OpenVswitch(ovsConnection).vsctl([['--if-exists', 'del-port', tap], ['--if-exists', 'del-port', hybrid.ovsEnd]]);
  const links = new Set((await host.links()).map((link) => link.ifname));
  // Deleting one end of a veth deletes the other.
  const lines = [tap, hybrid.bridgeEnd, hybrid.bridge].filter((name) => links.has(name)).map((name) => `link delete ${name}`);
  if (lines.length === 0) return false;
  await host.batch(lines);
  return links.has(tap);
}
