/**
 * What this host has for a router, read through host/: the qrouter
 * namespace's devices, addresses and routes, its sysctls, its NAT
 * table as nft lists it, and the metadata proxy; with Open vSwitch, the
 * integration bridge's ports.
 */
import { IpRoute, listNamespaces, type Link } from '../../host/ip.js';
import { listNftTable } from '../../host/nftables.js';
import { listRoutes } from '../../host/routeTable.js';
import { readSysctls } from '../../host/sysctl.js';
import { metadataProxyState } from '../metadata/proxyProcess.js';
import { integrationBridgePorts } from '../plug/ovsPlug.js';
import { routerNamespace } from './names.js';
import { NAT_TABLE } from './natTable.js';
import { ROUTER_SYSCTLS, metadataOwner, metadataProxySpec, type HostSnapshot, type ObservedLeftover, type ObservedRouter, type OvsPlugSettings, type RouterPlanSettings } from './routerPlan.js';

/** The namespaces, the taps' namespace's devices and, with interface_driver openvswitch, the integration bridge's ports (one ovs-vsctl read). */
export async function hostSnapshot(host: IpRoute, ovs?: OvsPlugSettings): Promise<HostSnapshot> {
  const [namespaces, links, ovsPorts] = await Promise.all([listNamespaces(), host.links(), ovs ? integrationBridgePorts(ovs) : undefined]);
  return { namespaces: new Set(namespaces), hostLinks: new Set(links.map((link) => link.ifname)), ...(ovsPorts ? { ovsPorts } : {}) };
}

const SYSCTL_KEYS = ROUTER_SYSCTLS.map((setting) => setting.slice(0, setting.indexOf('=')));
const SYSCTL_VALUES = ROUTER_SYSCTLS.map((setting) => setting.slice(setting.indexOf('=') + 1));

export async function observeRouter(settings: RouterPlanSettings, snapshot: HostSnapshot, routerId: string): Promise<ObservedRouter> {
  const namespace = routerNamespace(routerId, settings.namespacePrefix);
  const proxyFiles = { stateDir: settings.metadataStateDir, owner: metadataOwner(routerId) };
  const wantedProxy = settings.metadataProxy ? metadataProxySpec(settings.metadataProxy, settings.metadataStateDir, routerId, namespace) : undefined;
  const metadataProxy = await metadataProxyState(proxyFiles, wantedProxy);
  if (!snapshot.namespaces.has(namespace)) {
    return { namespaceExists: false, links: [], cidrs: new Map(), routes: [], sysctlsInPlace: false, natTable: undefined, metadataProxy };
  }
  const ip = new IpRoute(namespace);
  const [links, addresses, routes, sysctls, natTable] = await Promise.all([
    ip.links(),
    ip.addresses(),
    listRoutes(namespace),
    readSysctls(namespace, SYSCTL_KEYS),
    listNftTable(namespace, NAT_TABLE),
  ]);
  const cidrs = new Map(
    addresses.map((entry) => [
      entry.ifname,
      entry.addr_info.filter((info) => info.scope !== 'link' && info.scope !== 'host').map((info) => `${info.local}/${info.prefixlen}`),
    ]),
  );
  return { namespaceExists: true, links, cidrs, routes, sysctlsInPlace: SYSCTL_VALUES.every((value, i) => sysctls[i] === value), natTable, metadataProxy };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The router namespaces (the settings' prefix and a router id) that are not
 * among `hosted` router ids. A name that merely starts with the prefix
 * (`qrouter-lab`) is someone else's and stays.
 */
export function leftoverNamespaces(settings: Pick<RouterPlanSettings, 'namespacePrefix'>, snapshot: HostSnapshot, hosted: ReadonlySet<string>): string[] {
  return [...snapshot.namespaces]
    .filter((name) => name.startsWith(settings.namespacePrefix))
    .filter((name) => UUID.test(name.slice(settings.namespacePrefix.length)) && !hosted.has(name.slice(settings.namespacePrefix.length)))
    .sort();
}

export async function observeLeftover(settings: Pick<RouterPlanSettings, 'namespacePrefix'>, namespace: string): Promise<ObservedLeftover> {
  let links: Link[] = [];
  try {
    links = await new IpRoute(namespace).links();
  } catch {
    // Deleted meanwhile: nothing left to unplug.
  }
  return { namespace, routerId: namespace.slice(settings.namespacePrefix.length), links };
}
