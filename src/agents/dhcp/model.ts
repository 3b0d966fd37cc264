/**
 * The networks, subnets and ports the DHCP agent works from, as the server
 * sends them (get_active_networks_info, see src/plugins/agents/dhcpRpc.ts),
 * parsed from untrusted bus data into the few fields the agent reads.
 */

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

export class BadServerData extends Error {}

type Json = Record<string, unknown>;

const asObject = (value: unknown, what: string): Json => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BadServerData(`${what} is not an object`);
  return value as Json;
};

const asString = (value: unknown, what: string): string => {
  if (typeof value !== 'string') throw new BadServerData(`${what} is not a string`);
  return value;
};

const optionalString = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

const ipVersion = (value: unknown): 4 | 6 => (value === 6 || value === '6' ? 6 : 4);

function parseFixedIp(value: unknown): FixedIp {
  const ip = asObject(value, 'fixed_ip');
  return { subnet_id: asString(ip.subnet_id, 'fixed_ip.subnet_id'), ip_address: asString(ip.ip_address, 'fixed_ip.ip_address') };
}

function parseDnsAssignment(value: unknown): DnsAssignment {
  const entry = asObject(value, 'dns_assignment');
  return {
    hostname: asString(entry.hostname, 'dns_assignment.hostname'),
    ip_address: asString(entry.ip_address, 'dns_assignment.ip_address'),
    fqdn: asString(entry.fqdn, 'dns_assignment.fqdn'),
  };
}

function parseExtraDhcpOpt(value: unknown): ExtraDhcpOpt {
  const opt = asObject(value, 'extra_dhcp_opt');
  return {
    opt_name: asString(opt.opt_name, 'extra_dhcp_opt.opt_name'),
    opt_value: String(opt.opt_value ?? ''),
    ip_version: ipVersion(opt.ip_version),
  };
}

export function parsePort(value: unknown): DhcpPort {
  const port = asObject(value, 'port');
  return {
    id: asString(port.id, 'port.id'),
    network_id: asString(port.network_id, 'port.network_id'),
    mac_address: asString(port.mac_address, 'port.mac_address'),
    device_owner: typeof port.device_owner === 'string' ? port.device_owner : '',
    device_id: typeof port.device_id === 'string' ? port.device_id : '',
    fixed_ips: asList(port.fixed_ips).map(parseFixedIp),
    dns_assignment: asList(port.dns_assignment).map(parseDnsAssignment),
    extra_dhcp_opts: asList(port.extra_dhcp_opts).map(parseExtraDhcpOpt),
    revision_number: typeof port.revision_number === 'number' ? port.revision_number : 0,
  };
}

function parseSubnet(value: unknown): DhcpSubnet {
  const subnet = asObject(value, 'subnet');
  return {
    id: asString(subnet.id, 'subnet.id'),
    cidr: asString(subnet.cidr, 'subnet.cidr'),
    ip_version: ipVersion(subnet.ip_version),
    enable_dhcp: subnet.enable_dhcp === true,
    gateway_ip: optionalString(subnet.gateway_ip),
    dns_nameservers: asList(subnet.dns_nameservers).map((ns) => asString(ns, 'subnet.dns_nameservers[]')),
    host_routes: asList(subnet.host_routes).map((route) => {
      const r = asObject(route, 'host_route');
      return { destination: asString(r.destination, 'host_route.destination'), nexthop: asString(r.nexthop, 'host_route.nexthop') };
    }),
    ipv6_address_mode: optionalString(subnet.ipv6_address_mode),
    ipv6_ra_mode: optionalString(subnet.ipv6_ra_mode),
  };
}

export function parseNetwork(value: unknown): DhcpNetwork {
  const network = asObject(value, 'network');
  return {
    id: asString(network.id, 'network.id'),
    project_id: typeof network.project_id === 'string' ? network.project_id : String(network.tenant_id ?? ''),
    mtu: typeof network.mtu === 'number' && network.mtu > 0 ? network.mtu : 0,
    subnets: asList(network.subnets).map(parseSubnet),
    ports: asList(network.ports).map(parsePort),
  };
}

export function parseNetworks(value: unknown): DhcpNetwork[] {
  if (!Array.isArray(value)) throw new BadServerData('get_active_networks_info did not return a list');
  return value.map(parseNetwork);
}

/** The subnets dnsmasq serves. */
export const dhcpSubnets = (network: DhcpNetwork): DhcpSubnet[] => network.subnets.filter((subnet) => subnet.enable_dhcp);
