/**
 * The routers the L3 agent builds: the server's SyncRouter (sync_routers,
 * checked against the contract on receipt, src/rpc/contract/l3Plugin.ts)
 * reduced to what the agent reads, with Neutron's defaults filled in.
 */
import ipaddr from 'ipaddr.js';

import { conform, SyncRouter as WireRouter, type RouterPort as WirePort, type SyncFloatingIp as WireFloatingIp } from '../../rpc/contract/index.js';

export interface PortAddress {
  readonly subnetId: string;
  readonly address: string;
  readonly prefixlen: number;
  readonly version: 4 | 6;
}

export interface PortSubnet {
  readonly id: string;
  readonly cidr: string;
  readonly gatewayIp: string | null;
}

export interface RouterPort {
  readonly id: string;
  readonly networkId: string;
  readonly mac: string;
  /** The network's MTU; 0 when the server sent none (the kernel's default stays). */
  readonly mtu: number;
  readonly addresses: readonly PortAddress[];
  readonly subnets: readonly PortSubnet[];
}

export interface FloatingIp {
  readonly id: string;
  readonly floatingAddress: string;
  readonly fixedAddress: string;
  /** What the server shows now ('' when it sent none): the agent reports only changes. */
  readonly status: string;
}

export interface ExtraRoute {
  readonly destination: string;
  readonly nexthop: string;
}

export interface Router {
  readonly id: string;
  readonly adminStateUp: boolean;
  readonly gateway: RouterPort | null;
  /** SNAT of the internal networks out of the gateway (external_gateway_info.enable_snat, default true). */
  readonly enableSnat: boolean;
  readonly interfaces: readonly RouterPort[];
  /** IPv4 floating IPs only: NAT is an IPv4 matter. */
  readonly floatingIps: readonly FloatingIp[];
  readonly routes: readonly ExtraRoute[];
}

const versionOf = (address: string): 4 | 6 => (ipaddr.parse(address).kind() === 'ipv6' ? 6 : 4);

const byId = <T extends { readonly id: string }>(a: T, b: T): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function toPort(port: WirePort): RouterPort {
  return {
    id: port.id,
    networkId: port.network_id,
    mac: port.mac_address.toLowerCase(),
    mtu: typeof port.mtu === 'number' && port.mtu > 0 ? port.mtu : 0,
    addresses: port.fixed_ips.map((ip) => ({ subnetId: ip.subnet_id, address: ip.ip_address, prefixlen: ip.prefixlen, version: versionOf(ip.ip_address) })),
    subnets: port.subnets.map((subnet) => ({ id: subnet.id, cidr: subnet.cidr, gatewayIp: subnet.gateway_ip ?? null })),
  };
}

const toFloatingIp = (fip: WireFloatingIp): FloatingIp => ({
  id: fip.id,
  floatingAddress: fip.floating_ip_address,
  fixedAddress: fip.fixed_ip_address,
  status: fip.status ?? '',
});

/**
 * The router as the contract types it, reduced. Lists are sorted by id so
 * that the server's order never changes the rendered rules (and never
 * causes a needless replace).
 */
export function toRouter(router: WireRouter): Router {
  const gateway = router.gw_port ? toPort(router.gw_port) : null;
  return {
    id: router.id,
    adminStateUp: router.admin_state_up,
    gateway,
    enableSnat: router.external_gateway_info?.enable_snat ?? router.enable_snat ?? true,
    interfaces: (router._interfaces ?? []).map(toPort).sort(byId),
    floatingIps: (router._floatingips ?? [])
      .filter((fip) => versionOf(fip.floating_ip_address) === 4 && versionOf(fip.fixed_ip_address) === 4)
      .map(toFloatingIp)
      .sort(byId),
    routes: [...(router.routes ?? [])].sort((a, b) => (a.destination < b.destination ? -1 : a.destination > b.destination ? 1 : 0)),
  };
}

/** A router from anywhere (a test's fixture), checked against the contract first. */
export const parseRouter = (value: unknown): Router => toRouter(conform(WireRouter, value, 'router'));

/** The gateway port's first IPv4 address: the source of SNAT. */
export const gatewayIpv4 = (router: Router): string | undefined => router.gateway?.addresses.find((a) => a.version === 4)?.address;
