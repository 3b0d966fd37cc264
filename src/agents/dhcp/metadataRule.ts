/**
 * When the DHCP namespace serves metadata, Neutron's rule
 * (Dnsmasq.get_isolated_subnets / should_enable_metadata in
 * neutron/agent/linux/dhcp.py): a subnet is isolated unless a router
 * interface port on the network holds the subnet's gateway address; the
 * proxy runs with force_metadata on any network with a DHCP subnet, and with
 * enable_isolated_metadata when one of its DHCP subnets is isolated (or, with
 * enable_metadata_network, when a subnet lies inside 169.254.0.0/16).
 */
import ipaddr from 'ipaddr.js';

import { dhcpSubnets, type DhcpNetwork } from './model.js';

export interface MetadataSettings {
  readonly enableIsolatedMetadata: boolean;
  readonly forceMetadata: boolean;
  readonly enableMetadataNetwork: boolean;
}

export const METADATA_IP = '169.254.169.254';
/** The address the agent puts on the DHCP port (with its /16) when metadata applies. */
export const METADATA_CIDR_ON_PORT = `${METADATA_IP}/16`;
/** The host route pushed to the VMs. */
export const METADATA_ROUTE = `${METADATA_IP}/32`;
const METADATA_NETWORK = '169.254.0.0/16';

/** neutron-lib ROUTER_INTERFACE_OWNERS: the ports through which a router serves a subnet. */
const ROUTER_INTERFACE_OWNERS = new Set([
  'network:router_interface',
  'network:ha_router_replicated_interface',
  'network:router_interface_distributed',
]);

/** The ids of the network's subnets that no router serves (their gateway address is on no router interface). */
export function isolatedSubnetIds(network: DhcpNetwork): Set<string> {
  const gatewayOf = new Map(network.subnets.map((subnet) => [subnet.id, subnet.gateway_ip]));
  const routed = new Set<string>();
  for (const port of network.ports) {
    if (!ROUTER_INTERFACE_OWNERS.has(port.device_owner)) continue;
    for (const ip of port.fixed_ips) {
      if (gatewayOf.has(ip.subnet_id) && gatewayOf.get(ip.subnet_id) === ip.ip_address) routed.add(ip.subnet_id);
    }
  }
  return new Set(network.subnets.filter((subnet) => !routed.has(subnet.id)).map((subnet) => subnet.id));
}

function insideMetadataNetwork(cidr: string): boolean {
  try {
    const [address, prefix] = ipaddr.parseCIDR(cidr);
    const [metaAddress, metaPrefix] = ipaddr.parseCIDR(METADATA_NETWORK);
    return address.kind() === 'ipv4' && prefix >= metaPrefix && address.match(metaAddress, metaPrefix);
  } catch {
    return false;
  }
}

/** Whether this network's qdhcp namespace runs the metadata proxy. */
export function shouldEnableMetadata(settings: MetadataSettings, network: DhcpNetwork): boolean {
  const served = dhcpSubnets(network);
  if (served.length === 0) return false;
  if (settings.forceMetadata) return true;
  if (!settings.enableIsolatedMetadata) return false;
  if (settings.enableMetadataNetwork && network.subnets.some((subnet) => insideMetadataNetwork(subnet.cidr))) return true;
  const isolated = isolatedSubnetIds(network);
  return served.some((subnet) => isolated.has(subnet.id));
}

/** Whether the DHCP port carries 169.254.169.254/16 (Neutron adds it whenever either option is on). */
export const metadataAddressOnPort = (settings: MetadataSettings): boolean => settings.forceMetadata || settings.enableIsolatedMetadata;
