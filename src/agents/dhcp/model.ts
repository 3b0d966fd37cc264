/**
 * The networks, subnets and ports the DHCP agent works from: the server's
 * answers (get_active_networks_info and the port calls, checked against the
 * contract on receipt, src/rpc/contract/dhcpPlugin.ts) reduced to the few
 * fields the agent reads.
 */
import {
  conform,
  DhcpNetwork as WireNetwork,
  DhcpPort as WirePort,
  type DhcpSubnet as WireSubnet,
} from '../../rpc/contract/index.js';

export interface FixedIp {
  readonly subnet_id: string;
  readonly ip_address: string;
}

export interface DnsAssignment {
  readonly hostname: string;
  readonly ip_address: string;
  readonly fqdn: string;
}

export interface ExtraDhcpOpt {
  readonly opt_name: string;
  readonly opt_value: string;
  readonly ip_version: 4 | 6;
}

export interface DhcpPort {
  readonly id: string;
  readonly network_id: string;
  readonly mac_address: string;
  readonly device_owner: string;
  readonly device_id: string;
  readonly fixed_ips: readonly FixedIp[];
  readonly dns_assignment: readonly DnsAssignment[];
  readonly extra_dhcp_opts: readonly ExtraDhcpOpt[];
  /** Orders notifications against fetches; 0 when the server sent none. */
  readonly revision_number: number;
}

export interface HostRoute {
  readonly destination: string;
  readonly nexthop: string;
}

export interface DhcpSubnet {
  readonly id: string;
  readonly cidr: string;
  readonly ip_version: 4 | 6;
  readonly enable_dhcp: boolean;
  readonly gateway_ip: string | null;
  readonly dns_nameservers: readonly string[];
  readonly host_routes: readonly HostRoute[];
  readonly ipv6_address_mode: string | null;
  readonly ipv6_ra_mode: string | null;
}

export interface DhcpNetwork {
  readonly id: string;
  readonly project_id: string;
  /** 0 when unknown: no MTU option is then advertised. */
  readonly mtu: number;
  readonly subnets: readonly DhcpSubnet[];
  readonly ports: readonly DhcpPort[];
}

type WireFixedIp = { readonly subnet_id: string; readonly ip_address: string };

const ipVersion = (value: unknown): 4 | 6 => (value === 6 || value === '6' ? 6 : 4);

const optionalString = (value: string | null | undefined): string | null => (value === undefined || value === null || value === '' ? null : value);

const fixedIp = ({ subnet_id, ip_address }: WireFixedIp): FixedIp => ({ subnet_id, ip_address });

/** A port as the contract types it, reduced to what the agent reads (defaults for what the server left out). */
export function toDhcpPort(port: WirePort): DhcpPort {
  return {
    id: port.id,
    network_id: port.network_id,
    mac_address: port.mac_address,
    device_owner: port.device_owner ?? '',
    device_id: port.device_id ?? '',
    fixed_ips: (port.fixed_ips ?? []).map(fixedIp),
    dns_assignment: (port.dns_assignment ?? []).map(({ hostname, ip_address, fqdn }) => ({ hostname, ip_address, fqdn })),
    extra_dhcp_opts: (port.extra_dhcp_opts ?? []).map((opt) => ({
      opt_name: opt.opt_name,
      opt_value: opt.opt_value ?? '',
      ip_version: ipVersion(opt.ip_version),
    })),
    revision_number: port.revision_number ?? 0,
  };
}

function toDhcpSubnet(subnet: WireSubnet): DhcpSubnet {
  return {
    id: subnet.id,
    cidr: subnet.cidr,
    ip_version: subnet.ip_version,
    enable_dhcp: subnet.enable_dhcp === true,
    gateway_ip: optionalString(subnet.gateway_ip),
    dns_nameservers: subnet.dns_nameservers ?? [],
    host_routes: (subnet.host_routes ?? []).map(({ destination, nexthop }) => ({ destination, nexthop })),
    ipv6_address_mode: optionalString(subnet.ipv6_address_mode),
    ipv6_ra_mode: optionalString(subnet.ipv6_ra_mode),
  };
}

export function toDhcpNetwork(network: WireNetwork): DhcpNetwork {
  return {
    id: network.id,
    project_id: network.project_id ?? network.tenant_id ?? '',
    mtu: typeof network.mtu === 'number' && network.mtu > 0 ? network.mtu : 0,
    subnets: network.subnets.map(toDhcpSubnet),
    ports: network.ports.map(toDhcpPort),
  };
}

/** A network from anywhere (a test's fixture), checked against the contract first. */
export const parseNetwork = (value: unknown): DhcpNetwork => toDhcpNetwork(conform(WireNetwork, value, 'network'));

/** A port from anywhere (a test's fixture), checked against the contract first. */
export const parsePort = (value: unknown): DhcpPort => toDhcpPort(conform(WirePort, value, 'port'));

/** The subnets dnsmasq serves. */
export const dhcpSubnets = (network: DhcpNetwork): DhcpSubnet[] => network.subnets.filter((subnet) => subnet.enable_dhcp);
