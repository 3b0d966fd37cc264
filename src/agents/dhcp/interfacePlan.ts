/**
 * The DHCP port's device, as Neutron's BridgeInterfaceDriver plugs it: a veth
 * pair, `tap<port id[:11]>` in the agent's host namespace (the L2 agent
 * enslaves it to the network's bridge when it sees it) and
 * `ns-<port id[:11]>` in qdhcp-<network id> with the port's MAC, the network
 * MTU and the port's addresses (plus 169.254.169.254/16 for metadata). A pure
 * diff from what is observed to `ip -batch` lines for each namespace; devices
 * in the qdhcp namespace that belong to no current port are removed
 * (DeviceManager.cleanup_stale_devices). The namespace's IPv4 default route
 * goes via the first DHCP subnet's gateway (DeviceManager._set_default_route),
 * so dnsmasq can reach the DNS servers it forwards to.
 */
import type { Link } from '../../host/ip.js';

export const tapName = (portId: string): string => `tap${portId.slice(0, 11)}`;
export const nsDeviceName = (portId: string): string => `ns-${portId.slice(0, 11)}`;
export const namespaceOf = (networkId: string): string => `qdhcp-${networkId}`;

export interface WantedInterface {
  readonly namespace: string;
  readonly portId: string;
  readonly mac: string;
  /** 0: leave the kernel's default. */
  readonly mtu: number;
  /** address/prefix, e.g. 10.0.0.2/24 */
  readonly cidrs: readonly string[];
  /** The IPv4 default route; `onlink` when the gateway lies outside the subnet. */
  readonly gateway?: { readonly address: string; readonly onlink: boolean };
}

export interface ObservedInterface {
  /** The agent's host namespace has the tap device. */
  readonly tapExists: boolean;
  /** interface_driver openvswitch: the tap is an OVS port named as this DHCP port (iface-id). */
  readonly ovsPlugged?: boolean;
  /** The devices of the qdhcp namespace ([] when it does not exist). */
  readonly nsLinks: readonly Link[];
  /** The global addresses (address/prefix) of the ns- device. */
  readonly nsCidrs: readonly string[];
  /** The qdhcp namespace's IPv4 default gateway. */
  readonly defaultGateway?: string;
}

export interface InterfaceLines {
  /** For `ip -batch` in the agent's host namespace. */
  readonly host: string[];
  /** For `ip -batch` in the qdhcp namespace. */
  readonly namespace: string[];
}

export function interfacePlan(wanted: WantedInterface, observed: ObservedInterface): InterfaceLines {
  const tap = tapName(wanted.portId);
  const dev = nsDeviceName(wanted.portId);
  const host: string[] = [];
  const namespace: string[] = [];
  for (const link of observed.nsLinks) {
    if (link.ifname !== 'lo' && link.ifname !== dev) namespace.push(`link del ${link.ifname}`);
  }
  const current = observed.nsLinks.find((link) => link.ifname === dev);
  const mtu = wanted.mtu > 0 ? ` mtu ${wanted.mtu}` : '';
  if (!current || !observed.tapExists) {
    // Half a pair (or none): start over. Deleting one end of a veth removes the other.
    if (observed.tapExists) host.push(`link del ${tap}`);
    else if (current) namespace.push(`link del ${dev}`);
    host.push(`link add ${tap}${mtu} type veth peer name ${dev} netns ${wanted.namespace}`);
    host.push(`link set ${tap} up`);
    namespace.push(`link set ${dev} address ${wanted.mac}${mtu} up`);
    for (const cidr of wanted.cidrs) namespace.push(`addr add ${cidr} dev ${dev}`);
    if (wanted.gateway) namespace.push(defaultRoute(wanted.gateway, dev));
    return { host, namespace };
  }
  const up = current.flags.includes('UP');
  const macWrong = current.address?.toLowerCase() !== wanted.mac.toLowerCase();
  const mtuWrong = wanted.mtu > 0 && current.mtu !== wanted.mtu;
  if (macWrong || mtuWrong || !up) {
    namespace.push(`link set ${dev}${macWrong ? ` address ${wanted.mac}` : ''}${mtuWrong ? mtu : ''} up`);
    if (mtuWrong) host.push(`link set ${tap}${mtu}`);
  }
  for (const cidr of observed.nsCidrs) if (!wanted.cidrs.includes(cidr)) namespace.push(`addr del ${cidr} dev ${dev}`);
  for (const cidr of wanted.cidrs) if (!observed.nsCidrs.includes(cidr)) namespace.push(`addr add ${cidr} dev ${dev}`);
  // An address change removes the routes through it: set the route again after one.
  const addressesChanged = namespace.some((line) => line.startsWith('addr '));
  if (wanted.gateway && (addressesChanged || observed.defaultGateway !== wanted.gateway.address)) namespace.push(defaultRoute(wanted.gateway, dev));
  // After an address change the kernel may have dropped the route already (a failing line stops the batch): next pass.
  if (!wanted.gateway && observed.defaultGateway !== undefined && !addressesChanged) namespace.push('route del default');
  return { host, namespace };
}

const defaultRoute = (gateway: NonNullable<WantedInterface['gateway']>, dev: string): string =>
  `route replace default via ${gateway.address} dev ${dev}${gateway.onlink ? ' onlink' : ''}`;
