/**
 * The diff for one network: from what the server wants (the network, its
 * subnets and ports, the agent's DHCP port) and what this host has (the
 * namespace, devices, files, dnsmasq), the steps that make them agree. Pure;
 * observe.ts gathers the observation and the agent applies the steps.
 *
 * dnsmasq: started when not running (after writing the initial leases);
 * restarted when its command line must change (a subnet added or removed,
 * the MTU, the lease time) or its namespace was recreated; sent SIGHUP when
 * only the hosts or options files changed; left alone otherwise.
 */
import { dirname } from 'node:path';

import ipaddr from 'ipaddr.js';

import type { RunningDnsmasq } from '../../host/dnsmasq.js';
import { dhcpDeviceId } from '../../common/dhcpDeviceId.js';
import { dnsmasqArgs, dnsmasqLogFile, networkFiles, type DnsmasqCommandSettings } from './dnsmasqCommand.js';
import { addnHostsFile, cidrParts, hostsFile, initialLeasesFile, optsFile, type DnsmasqFileSettings } from './dnsmasqFiles.js';
import { interfacePlan, namespaceOf, type ObservedInterface, tapName } from './interfacePlan.js';
import { METADATA_CIDR_ON_PORT, METADATA_IP, metadataAddressOnPort, shouldEnableMetadata, type MetadataSettings } from './metadataRule.js';
import type { DhcpNetwork, DhcpPort } from './model.js';
import { ovsPlugStep } from '../plug/ovsPlug.js';
import type { Step } from './plan.js';

export interface NetworkPlanSettings {
  readonly host: string;
  /** The namespace the agent's tap devices live in; undefined is the agent's own. */
  readonly hostNetns: string | undefined;
  /** interface_driver openvswitch: the integration bridge the taps join, and where ovsdb-server listens. */
  readonly ovs?: { readonly bridge: string; readonly connection: string };
  readonly dhcpConfs: string;
  readonly files: DnsmasqFileSettings;
  readonly command: DnsmasqCommandSettings;
  readonly metadata: MetadataSettings;
  readonly metadataProxySocket: string;
  /** Where the metadata proxies keep their config and pid files. */
  readonly metadataStateDir: string;
}

export interface ObservedNetwork {
  readonly namespaceExists: boolean;
  readonly iface: ObservedInterface;
  readonly files: { readonly host?: string; readonly addnHosts?: string; readonly opts?: string; readonly leases?: string };
  readonly dnsmasq?: RunningDnsmasq;
  /** The metadata proxy of this network has files (it runs, or ran). */
  readonly metadataProxyPresent: boolean;
}

const gatewayOf = (network: DhcpNetwork) => {
  const gateway = namespaceGateway(network);
  return gateway ? { gateway } : {};
};

const sameArgs = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((arg, i) => arg === b[i]);

/** The port's addresses with their subnets' prefix lengths, plus the metadata address when it applies. */
export function dhcpPortCidrs(settings: NetworkPlanSettings, network: DhcpNetwork, port: DhcpPort): string[] {
  const prefixOf = new Map(network.subnets.map((subnet) => [subnet.id, cidrParts(subnet.cidr).prefixLength]));
  const cidrs = port.fixed_ips.filter((ip) => prefixOf.has(ip.subnet_id)).map((ip) => `${ip.ip_address}/${prefixOf.get(ip.subnet_id)}`);
  if (metadataAddressOnPort(settings.metadata)) cidrs.push(METADATA_CIDR_ON_PORT);
  return cidrs;
}

/** The first IPv4 DHCP subnet with a gateway gives the namespace its default route (Neutron's _set_default_route). */
export function namespaceGateway(network: DhcpNetwork): { address: string; onlink: boolean } | undefined {
  const subnet = network.subnets.find((s) => s.ip_version === 4 && s.enable_dhcp && s.gateway_ip !== null);
  if (!subnet?.gateway_ip) return undefined;
  const [range, prefix] = ipaddr.parseCIDR(subnet.cidr);
  const gateway = ipaddr.parse(subnet.gateway_ip);
  return { address: subnet.gateway_ip, onlink: gateway.kind() !== range.kind() || !gateway.match(range, prefix) };
}

export const metadataOwner = (networkId: string) => ({ kind: 'network', id: networkId }) as const;

/** The steps for a network this agent serves, with its DHCP port already set up. */
export function servedNetworkPlan(settings: NetworkPlanSettings, network: DhcpNetwork, port: DhcpPort, observed: ObservedNetwork): Step[] {
  const steps: Step[] = [];
  const namespace = namespaceOf(network.id);
  if (!observed.namespaceExists) steps.push({ kind: 'add-namespace', name: namespace });

  const lines = interfacePlan(
    { namespace, portId: port.id, mac: port.mac_address, mtu: network.mtu, cidrs: dhcpPortCidrs(settings, network, port), ...gatewayOf(network) },
    observed.namespaceExists ? observed.iface : { tapExists: observed.iface.tapExists, nsLinks: [], nsCidrs: [] },
  );
  if (lines.host.length > 0) steps.push({ kind: 'ip', netns: settings.hostNetns, lines: lines.host });
  // A tap made again (or never plugged, or unplugged by someone) joins the integration bridge.
  if (settings.ovs && (lines.host.some((line) => line.startsWith('link add ')) || observed.iface.ovsPlugged !== true)) {
    steps.push(ovsPlugStep(settings.ovs, tapName(port.id), { id: port.id, mac: port.mac_address }));
  }
  if (lines.namespace.length > 0) steps.push({ kind: 'ip', netns: namespace, lines: lines.namespace });
  if (lines.host.some((line) => line.startsWith('link add '))) steps.push({ kind: 'checksum-rule', netns: namespace });

  const files = networkFiles(settings.dhcpConfs, network.id);
  const wanted = { host: hostsFile(settings.files, network), addnHosts: addnHostsFile(settings.files, network), opts: optsFile(settings.files, network, port) };
  const changed = (['host', 'addnHosts', 'opts'] as const).filter((kind) => observed.files[kind] !== wanted[kind]);
  for (const kind of changed) steps.push({ kind: 'write-file', path: files[kind], contents: wanted[kind] });

  const args = dnsmasqArgs(settings.command, network, files);
  const logDir = settings.command.baseLogDir ? { logDir: dirname(dnsmasqLogFile(settings.command.baseLogDir, network.id)) } : {};
  const running = observed.dnsmasq;
  if (!running) {
    steps.push({ kind: 'write-file', path: files.leases, contents: initialLeasesFile(settings.files, network, observed.files.leases) });
    steps.push({ kind: 'start-dnsmasq', netns: namespace, args, pidFile: files.pid, ...logDir });
  } else if (!observed.namespaceExists || !sameArgs(running.args, args)) {
    steps.push({ kind: 'restart-dnsmasq', pid: running.pid, netns: namespace, args, pidFile: files.pid, ...logDir });
  } else if (changed.length > 0) {
    steps.push({ kind: 'reload-dnsmasq', pid: running.pid, networkId: network.id });
  }

  if (shouldEnableMetadata(settings.metadata, network)) {
    steps.push({
      kind: 'ensure-metadata-proxy',
      spec: {
        netns: namespace,
        owner: metadataOwner(network.id),
        bindAddress: METADATA_IP,
        bindPort: 80,
        socketPath: settings.metadataProxySocket,
        stateDir: settings.metadataStateDir,
      },
    });
  } else if (observed.metadataProxyPresent) {
    steps.push({ kind: 'stop-metadata-proxy', spec: { stateDir: settings.metadataStateDir, owner: metadataOwner(network.id) } });
  }
  return steps;
}

export interface ObservedLeftover {
  readonly namespaceExists: boolean;
  readonly dnsmasq?: RunningDnsmasq;
}

/** The steps that remove everything of a network this agent no longer serves (Neutron's disable()). */
export function teardownPlan(settings: NetworkPlanSettings, networkId: string, observed: ObservedLeftover): Step[] {
  const steps: Step[] = [{ kind: 'stop-metadata-proxy', spec: { stateDir: settings.metadataStateDir, owner: metadataOwner(networkId) } }];
  if (observed.dnsmasq) steps.push({ kind: 'stop-dnsmasq', pid: observed.dnsmasq.pid });
  if (observed.namespaceExists) steps.push({ kind: 'delete-namespace', name: namespaceOf(networkId) });
  steps.push({ kind: 'release-dhcp-port', networkId, deviceId: dhcpDeviceId(networkId, settings.host) });
  steps.push({ kind: 'remove-dir', path: networkFiles(settings.dhcpConfs, networkId).dir });
  return steps;
}
