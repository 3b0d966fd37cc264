/**
 * What this host has for a network, read through host/: the qdhcp namespace
 * and its devices, the tap in the agent's host namespace, the state files,
 * dnsmasq by its pid file, the metadata proxy's files.
 */
import { join } from 'node:path';

import { readStateFile, runningDnsmasq } from '../../host/dnsmasq.js';
import { IpRoute, type Link } from '../../host/ip.js';
import { defaultGateway } from '../../host/routes.js';
import { networkFiles } from './dnsmasqCommand.js';
import { namespaceOf, nsDeviceName } from './interfacePlan.js';
import type { ObservedLeftover, ObservedNetwork } from './networkPlan.js';

/** What one pass reads once for all networks. */
export interface HostSnapshot {
  readonly namespaces: ReadonlySet<string>;
  /** Device names in the agent's host namespace. */
  readonly hostLinks: ReadonlySet<string>;
  /** interface_driver openvswitch: the integration bridge's ports by name, with their iface-id. */
  readonly ovsPorts?: ReadonlyMap<string, string>;
}

async function namespaceDevices(namespace: string, device: string): Promise<{ links: Link[]; cidrs: string[]; gateway: string | undefined }> {
  const ip = new IpRoute(namespace);
  const [links, addresses, gateway] = await Promise.all([ip.links(), ip.addresses(), defaultGateway(namespace)]);
  const own = addresses.find((entry) => entry.ifname === device);
  const cidrs = (own?.addr_info ?? [])
    .filter((info) => info.scope !== 'link' && info.scope !== 'host')
    .map((info) => `${info.local}/${info.prefixlen}`);
  return { links, cidrs, gateway };
}

export async function observeNetwork(
  snapshot: HostSnapshot,
  dhcpConfs: string,
  networkId: string,
  portId: string,
  tapName: string,
  metadataConfigFile: string,
): Promise<ObservedNetwork> {
  const namespace = namespaceOf(networkId);
  const files = networkFiles(dhcpConfs, networkId);
  const namespaceExists = snapshot.namespaces.has(namespace);
  const [devices, host, addnHosts, opts, dnsmasq, metadataProxyPresent] = await Promise.all([
    namespaceExists ? namespaceDevices(namespace, nsDeviceName(portId)) : { links: [], cidrs: [], gateway: undefined },
    readStateFile(files.host),
    readStateFile(files.addnHosts),
    readStateFile(files.opts),
    runningDnsmasq(files.pid),
    readStateFile(metadataConfigFile).then((text) => text !== undefined),
  ]);
  // Only a dnsmasq about to start needs the old leases (its IPv6 ones are kept); a running one owns the file.
  const leases = dnsmasq ? undefined : await readStateFile(files.leases);
  return {
    namespaceExists,
    iface: {
      tapExists: snapshot.hostLinks.has(tapName),
      ...(snapshot.ovsPorts ? { ovsPlugged: snapshot.ovsPorts.get(tapName) === portId } : {}),
      nsLinks: devices.links,
      nsCidrs: devices.cidrs,
      ...(devices.gateway === undefined ? {} : { defaultGateway: devices.gateway }),
    },
    files: {
      ...(host === undefined ? {} : { host }),
      ...(addnHosts === undefined ? {} : { addnHosts }),
      ...(opts === undefined ? {} : { opts }),
      ...(leases === undefined ? {} : { leases }),
    },
    ...(dnsmasq ? { dnsmasq } : {}),
    metadataProxyPresent,
  };
}

export async function observeLeftover(snapshot: HostSnapshot, dhcpConfs: string, networkId: string): Promise<ObservedLeftover> {
  const dnsmasq = await runningDnsmasq(networkFiles(dhcpConfs, networkId).pid);
  return { namespaceExists: snapshot.namespaces.has(namespaceOf(networkId)), ...(dnsmasq ? { dnsmasq } : {}) };
}

/** The metadata proxy's config file for a network (proxyProcess.ts keeps <stateDir>/<owner id>.conf). */
export const metadataProxyConfigFile = (stateDir: string, networkId: string): string => join(stateDir, `${networkId}.conf`);
