/**
 * The diff for one router: from the router the server sends and what this
 * host has (namespace, devices, addresses, routes, sysctls, the NAT
 * table, the metadata proxy), the steps that make them agree. Pure;
 * observe.ts gathers the observation and the agent applies the steps.
 *
 * Each port is plugged as Neutron's BridgeInterfaceDriver does: a veth pair,
 * the tap end in the agent's namespace and the qr-/qg- end in the router's,
 * with the port's MAC, its network's MTU and its addresses; the gateway
 * device also carries each floating IP as a /32 (router_info.py
 * add_floating_ip). With interface_driver openvswitch (OVSInterfaceDriver
 * with ovs_use_veth) the tap end also joins the integration bridge named
 * as the port (iface-id, attached-mac, iface-status), the gateway's too,
 * so the Open vSwitch agent wires it like any VIF: in the pass that makes
 * the tap, and again in any pass that finds it unplugged. Devices of ports
 * the router no longer has are removed, and their taps' OVS ports with them
 * (Neutron's stale device cleanup). Unchanged state plans nothing.
 */
import ipaddr from 'ipaddr.js';

import type { Link } from '../../host/ip.js';
import type { RouteEntry } from '../../host/routeTable.js';
import type { MetadataProxySpec } from '../metadata/proxyProcess.js';
import { type OvsPlugSettings, ovsPlugStep } from '../plug/ovsPlug.js';
import { gatewayIpv4, type Router, type RouterPort } from './model.js';
import { EXTERNAL_DEVICE_PREFIX, externalDeviceName, INTERNAL_DEVICE_PREFIX, internalDeviceName, routerNamespace, tapName } from './names.js';
import { floatingMappings, NAT_TABLE, renderNatTable, sameTable } from './natTable.js';
import type { Step } from './plan.js';

/**
 * What Neutron sets in every router namespace (namespaces.py): forwarding
 * for both families; and ARP answered only for addresses of the interface it
 * arrives on, announced from the best local address, so the router does not
 * answer on a qr- device for a floating IP that lives on qg-.
 */
export const ROUTER_SYSCTLS = ['net.ipv4.ip_forward=1', 'net.ipv4.conf.all.arp_ignore=1', 'net.ipv4.conf.all.arp_announce=2', 'net.ipv6.conf.all.forwarding=1'] as const;

export interface MetadataProxySettings {
  /** metadata_port: where haproxy listens in the namespace (0.0.0.0). */
  readonly port: number;
  /** The metadata agent's Unix socket (metadata_proxy_socket). */
  readonly socketPath: string;
}

export interface RouterPlanSettings {
  /** The namespace the taps live in; undefined is the agent's own. */
  readonly hostNetns: string | undefined;
  /** `qrouter-`, or a test's own prefix. */
  readonly namespacePrefix: string;
  /** Set when enable_metadata_proxy is on. */
  readonly metadataProxy?: MetadataProxySettings;
  /** Where the metadata proxies keep their config and pid files (also to stop one when the option went off). */
  readonly metadataStateDir: string;
  /** interface_driver openvswitch: the integration bridge the taps join, and where ovsdb-server listens. */
  readonly ovs?: OvsPlugSettings;
}

export type { OvsPlugSettings };

/** A definition the agent applied, and the table nft listed right after. */
export interface NatListing {
  readonly definition: string;
  readonly listed: string;
}

/** What this host has for a router (observe.ts). */
export interface ObservedRouter {
  readonly namespaceExists: boolean;
  /** The devices of the router's namespace ([] when it does not exist). */
  readonly links: readonly Link[];
  /** Global addresses (address/prefix) per device of the namespace. */
  readonly cidrs: ReadonlyMap<string, readonly string[]>;
  /** The main table's routes, both families. */
  readonly routes: readonly RouteEntry[];
  /** Every ROUTER_SYSCTLS value is set. */
  readonly sysctlsInPlace: boolean;
  /** The NAT table as nft lists it; undefined when absent. */
  readonly natTable: string | undefined;
  /** current: running with the configuration wanted now; stale: files (or a process) of another; absent: nothing. */
  readonly metadataProxy: 'current' | 'stale' | 'absent';
}

/** The agent's own namespace as one snapshot per pass. */
export interface HostSnapshot {
  readonly namespaces: ReadonlySet<string>;
  /** Device names in the namespace the taps live in. */
  readonly hostLinks: ReadonlySet<string>;
  /** interface_driver openvswitch: the integration bridge's ports by name, with the Neutron port each names (iface-id, '' for none). */
  readonly ovsPorts?: ReadonlyMap<string, string>;
}

export const metadataOwner = (routerId: string) => ({ kind: 'router', id: routerId }) as const;

export function metadataProxySpec(settings: MetadataProxySettings, stateDir: string, routerId: string, namespace: string): MetadataProxySpec {
  return { netns: namespace, owner: metadataOwner(routerId), bindAddress: '0.0.0.0', bindPort: settings.port, socketPath: settings.socketPath, stateDir };
}

interface WantedDevice {
  readonly port: RouterPort;
  readonly device: string;
  readonly cidrs: readonly string[];
}

const isRouterDevice = (name: string): boolean => name.startsWith(INTERNAL_DEVICE_PREFIX) || name.startsWith(EXTERNAL_DEVICE_PREFIX);

/** The host end of a router device's pair: qr-/qg-<id[:11]> is tap<id[:11]>. */
const tapOfDevice = (device: string): string => `tap${device.slice(device.indexOf('-') + 1)}`;


const portCidrs = (port: RouterPort): string[] => port.addresses.map((a) => `${a.address}/${a.prefixlen}`);

/** The canonical network/prefix of a route destination, as ip prints it back (a host route gets its /32 or /128). */
function normalizeDestination(destination: string): string {
  if (destination === 'default') return destination;
  try {
    const cidr = destination.includes('/') ? destination : `${destination}/${ipaddr.parse(destination).kind() === 'ipv6' ? 128 : 32}`;
    const [address, prefix] = ipaddr.parseCIDR(cidr);
    const network = address.kind() === 'ipv6' ? ipaddr.IPv6.networkAddressFromCIDR(cidr) : ipaddr.IPv4.networkAddressFromCIDR(cidr);
    return `${network.toString()}/${prefix}`;
  } catch {
    return destination;
  }
}

const familyOf = (address: string): 4 | 6 => (address.includes(':') ? 6 : 4);

interface WantedRoute {
  readonly destination: string;
  readonly via: string;
  readonly device?: string;
  readonly onlink?: boolean;
}

/** The default route of each family through the gateway's subnets' gateway addresses (Neutron's _external_gateway_added). */
function defaultRoutes(router: Router): WantedRoute[] {
  const gateway = router.gateway;
  if (!gateway) return [];
  const routes: WantedRoute[] = [];
  for (const family of [4, 6] as const) {
    const subnet = gateway.subnets.find((s) => s.gatewayIp !== null && familyOf(s.gatewayIp) === family);
    if (!subnet?.gatewayIp) continue;
    const [range, prefix] = ipaddr.parseCIDR(subnet.cidr);
    const address = ipaddr.parse(subnet.gatewayIp);
    // A link-local IPv6 gateway is reachable through the device as it is; any other outside the subnet needs onlink.
    const linkLocal = address.kind() === 'ipv6' && address.range() === 'linkLocal';
    const onlink = !linkLocal && (address.kind() !== range.kind() || !address.match(range, prefix));
    routes.push({ destination: 'default', via: subnet.gatewayIp, device: externalDeviceName(gateway.id), onlink });
  }
  return routes;
}

const routeLine = (verb: 'replace' | 'del', route: WantedRoute): string =>
  `route ${verb} ${route.destination} via ${route.via}${route.device === undefined ? '' : ` dev ${route.device}`}${route.onlink ? ' onlink' : ''}`;

/**
 * The steps for a router this agent hosts, in the order they must run.
 * `listedAs`: how this host's nft printed a table the agent wrote before,
 * by the definition it wrote (NatListings). Where nft prints our rules in
 * other words than renderNatTable (another nft version), that listing still
 * counts as in place instead of costing a replace on every pass.
 */
export function routerPlan(settings: RouterPlanSettings, router: Router, observed: ObservedRouter, snapshot: HostSnapshot, listedAs?: NatListing): Step[] {
  const namespace = routerNamespace(router.id, settings.namespacePrefix);
  const steps: Step[] = [];
  const exists = observed.namespaceExists;
  const links = exists ? observed.links : [];
  if (!exists) steps.push({ kind: 'add-namespace', name: namespace });

  const gatewayAddress = gatewayIpv4(router);
  const fipCidrs = router.gateway && gatewayAddress !== undefined ? router.floatingIps.map((fip) => `${fip.floatingAddress}/32`) : [];
  const wanted: WantedDevice[] = [
    ...router.interfaces.map((port) => ({ port, device: internalDeviceName(port.id), cidrs: portCidrs(port) })),
    ...(router.gateway ? [{ port: router.gateway, device: externalDeviceName(router.gateway.id), cidrs: [...portCidrs(router.gateway), ...fipCidrs] }] : []),
  ];
  const wantedNames = new Set(wanted.map((w) => w.device));

  // Lines before the taps are (re)made: what must go first so that nothing later fails on it.
  const before: string[] = [];
  const host: string[] = [];
  const after: string[] = [];
  const announce: { device: string; address: string }[] = [];
  const removedAddresses: string[] = [];

  // Routes first, while their devices still exist: deleting one after its device went would fail the batch.
  const gatewayRoutes = defaultRoutes(router);
  const extraRoutes = router.routes.map((r) => ({ destination: normalizeDestination(r.destination), via: r.nexthop }));
  const wantedRoutes = [...gatewayRoutes, ...extraRoutes];
  const observedRoutes = (exists ? observed.routes : []).filter((r) => r.gateway !== undefined);
  const observedKey = (r: RouteEntry) => `${r.dst === 'default' ? 'default' : normalizeDestination(r.dst)} ${r.gateway}`;
  const wantedKeys = new Set(wantedRoutes.map((r) => `${r.destination} ${r.via}`));
  for (const route of observedRoutes) {
    if (!wantedKeys.has(observedKey(route))) before.push(routeLine('del', { destination: route.dst, via: route.gateway! }));
  }

  // Stale devices go (their taps with them), and with Open vSwitch the taps' ports on the integration bridge too.
  const unplug: string[] = [];
  for (const link of links) {
    if (!isRouterDevice(link.ifname) || wantedNames.has(link.ifname)) continue;
    before.push(`link del ${link.ifname}`);
    unplug.push(tapOfDevice(link.ifname));
  }
  const plug: Step[] = [];

  let devicesChanged = false;
  for (const { port, device, cidrs } of wanted) {
    const tap = tapName(port.id);
    const current = links.find((link) => link.ifname === device);
    const tapExists = snapshot.hostLinks.has(tap);
    const mtu = port.mtu > 0 ? ` mtu ${port.mtu}` : '';
    const isGateway = device.startsWith(EXTERNAL_DEVICE_PREFIX);
    if (!current || !tapExists) {
      // Half a pair (or none): start over. Deleting one end of a veth removes the other.
      if (tapExists) host.push(`link del ${tap}`);
      else if (current) before.push(`link del ${device}`);
      host.push(`link add ${tap}${mtu} type veth peer name ${device} netns ${namespace}`, `link set ${tap} up`);
      after.push(`link set ${device} address ${port.mac}${mtu} up`);
      for (const cidr of cidrs) after.push(`addr add ${cidr} dev ${device}`);
      if (isGateway) for (const cidr of cidrs) if (familyOf(cidr) === 4) announce.push({ device, address: cidr.slice(0, cidr.indexOf('/')) });
      if (settings.ovs) plug.push(ovsPlugStep(settings.ovs, tap, port));
      devicesChanged = true;
      continue;
    }
    // A tap in place but not (or no longer, or as another port) on the integration bridge is plugged again.
    if (settings.ovs && snapshot.ovsPorts?.get(tap) !== port.id) plug.push(ovsPlugStep(settings.ovs, tap, port));
    const macWrong = current.address?.toLowerCase() !== port.mac;
    const mtuWrong = port.mtu > 0 && current.mtu !== port.mtu;
    if (macWrong || mtuWrong || !current.flags.includes('UP')) {
      after.push(`link set ${device}${macWrong ? ` address ${port.mac}` : ''}${mtuWrong ? mtu : ''} up`);
      if (mtuWrong) host.push(`link set ${tap}${mtu}`);
    }
    const observedCidrs = observed.cidrs.get(device) ?? [];
    for (const cidr of observedCidrs) {
      if (cidrs.includes(cidr)) continue;
      after.push(`addr del ${cidr} dev ${device}`);
      if (isGateway && cidr.endsWith('/32')) removedAddresses.push(cidr.slice(0, -3));
      devicesChanged = true;
    }
    for (const cidr of cidrs) {
      if (observedCidrs.includes(cidr)) continue;
      after.push(`addr add ${cidr} dev ${device}`);
      if (isGateway && familyOf(cidr) === 4) announce.push({ device, address: cidr.slice(0, cidr.indexOf('/')) });
      devicesChanged = true;
    }
  }

  // A new device or address change drops the routes through it: set them all again then (replace is idempotent).
  const observedKeys = new Set(observedRoutes.map(observedKey));
  const missing = (route: WantedRoute) => devicesChanged || !observedKeys.has(`${route.destination} ${route.via}`);
  for (const route of gatewayRoutes.filter(missing)) after.push(routeLine('replace', route));
  // Extra routes go in a batch of their own, after the NAT: a nexthop the kernel refuses must not cost the router its NAT.
  const extraLines = extraRoutes.filter(missing).map((route) => routeLine('replace', route));

  if (before.length > 0) steps.push({ kind: 'ip', netns: namespace, lines: before });
  if (settings.ovs) for (const device of unplug) steps.push({ kind: 'ovs-unplug', ...settings.ovs, device });
  if (host.length > 0) steps.push({ kind: 'ip', netns: settings.hostNetns, lines: host });
  steps.push(...plug);
  if (after.length > 0) steps.push({ kind: 'ip', netns: namespace, lines: after });
  if (!exists || !observed.sysctlsInPlace) steps.push({ kind: 'sysctl', netns: namespace, settings: ROUTER_SYSCTLS });

  const metadataPort = settings.metadataProxy?.port;
  const definition = renderNatTable(metadataPort === undefined ? {} : { metadataPort }, router);
  const natTable = exists ? observed.natTable : undefined;
  const natInPlace = sameTable(natTable, definition) || (natTable !== undefined && listedAs?.definition === definition && listedAs.listed === natTable);
  if (!natInPlace) steps.push({ kind: 'nft', netns: namespace, table: NAT_TABLE, definition });
  if (extraLines.length > 0) steps.push({ kind: 'ip', netns: namespace, lines: extraLines });

  // Connections NATed for a floating IP that went away, or now points elsewhere, must not live on in conntrack.
  const previousMappings = floatingMappings(natTable);
  const now = floatingMappings(definition);
  const stale = new Set(removedAddresses);
  for (const [floating, fixed] of previousMappings) if (now.get(floating) !== fixed) stale.add(floating);
  for (const address of [...stale].sort()) steps.push({ kind: 'flush-conntrack', netns: namespace, address });

  for (const { device, address } of announce) steps.push({ kind: 'announce', netns: namespace, device, address });

  const stopProxy: Step = { kind: 'stop-metadata-proxy', spec: { stateDir: settings.metadataStateDir, owner: metadataOwner(router.id) } };
  if (settings.metadataProxy) {
    // A proxy still running after its namespace was deleted keeps that old namespace alive, and serves nobody.
    if (!exists && observed.metadataProxy !== 'absent') steps.push(stopProxy);
    if (!exists || observed.metadataProxy !== 'current') {
      steps.push({ kind: 'ensure-metadata-proxy', spec: metadataProxySpec(settings.metadataProxy, settings.metadataStateDir, router.id, namespace) });
    }
  } else if (observed.metadataProxy !== 'absent') {
    steps.push(stopProxy);
  }
  return steps;
}

/** What is left of a router this agent no longer hosts: its namespace's devices, and its metadata proxy's files. */
export interface ObservedLeftover {
  readonly namespace: string;
  readonly routerId: string;
  readonly links: readonly Link[];
}

/**
 * The steps that remove a router (Neutron's RouterNamespace.delete): the
 * proxy first (a process inside would keep the namespace and its devices
 * alive), then the router's devices (which takes their taps along), with
 * Open vSwitch the taps' ports on the integration bridge, then the
 * namespace.
 */
export function teardownPlan(settings: Pick<RouterPlanSettings, 'metadataStateDir' | 'ovs'>, leftover: ObservedLeftover): Step[] {
  const links = leftover.links.filter((link) => link.ifname !== 'lo');
  const devices = links.map((link) => `link del ${link.ifname}`);
  const ovs = settings.ovs;
  return [
    { kind: 'stop-metadata-proxy', spec: { stateDir: settings.metadataStateDir, owner: metadataOwner(leftover.routerId) } },
    ...(devices.length > 0 ? [{ kind: 'ip', netns: leftover.namespace, lines: devices } as const] : []),
    ...(ovs ? links.filter((link) => isRouterDevice(link.ifname)).map((link): Step => ({ kind: 'ovs-unplug', ...ovs, device: tapOfDevice(link.ifname) })) : []),
    { kind: 'delete-namespace', name: leftover.namespace },
  ];
}
