/**
 * The all-in-one's external network, as devstack's `public`: a bridge
 * `br-ex` on this host holding 172.24.4.1/24, the flat physical network
 * `public` mapped to it (the Linux bridge agent plugs routers' gateway
 * ports there), and, on a first start, the external network `public` with
 * its subnet 172.24.4.0/24 (gateway 172.24.4.1, no DHCP). VMs behind a
 * router with its gateway on `public` reach this host through SNAT; this
 * host reaches a VM on its floating IP. Nothing leaves the host: whoever
 * wants more routes or masquerades 172.24.4.0/24 out of their uplink.
 */
import type { FastifyInstance } from 'fastify';

import { IpRoute } from '../host/ip.js';
import type { Logger } from './logger.js';

export const PUBLIC = {
  physnet: 'public',
  bridge: 'br-ex',
  cidr: '172.24.4.0/24',
  hostAddress: '172.24.4.1',
  prefixLength: 24,
  pool: { start: '172.24.4.10', end: '172.24.4.254' },
} as const;

/** br-ex with the host's address on it, up; what exists is kept. */
export async function ensurePublicBridge(ip: IpRoute = new IpRoute()): Promise<void> {
  const lines: string[] = [];
  const link = (await ip.links()).find((l) => l.ifname === PUBLIC.bridge);
  if (!link) lines.push(`link add ${PUBLIC.bridge} type bridge`);
  const addresses = link ? ((await ip.addresses(PUBLIC.bridge))[0]?.addr_info ?? []) : [];
  if (!addresses.some((a) => a.local === PUBLIC.hostAddress)) lines.push(`address add ${PUBLIC.hostAddress}/${PUBLIC.prefixLength} dev ${PUBLIC.bridge}`);
  if (!link?.flags.includes('UP')) lines.push(`link set ${PUBLIC.bridge} up`);
  if (lines.length > 0) await ip.batch(lines);
}

/**
 * The `public` network and subnet, created through the API as an admin
 * would when no external network exists yet (a later start, or an operator
 * who made their own, changes nothing).
 */
export async function ensurePublicNetwork(app: FastifyInstance, log: Logger): Promise<void> {
  const call = async (method: 'GET' | 'POST', url: string, payload?: object) => {
    const response = await app.inject({ method, url, ...(payload ? { payload } : {}) });
    if (response.statusCode >= 300) throw new Error(`${method} ${url}: ${response.statusCode} ${response.body}`);
    return response.json<Record<string, Record<string, unknown>[] | Record<string, unknown>>>();
  };
  const external = (await call('GET', '/v2.0/networks?router:external=true&fields=id')).networks as unknown[];
  if (external.length > 0) return;
  const { network } = await call('POST', '/v2.0/networks', {
    network: {
      name: 'public',
      'router:external': true,
      'provider:network_type': 'flat',
      'provider:physical_network': PUBLIC.physnet,
    },
  });
  const networkId = String((network as Record<string, unknown>).id);
  await call('POST', '/v2.0/subnets', {
    subnet: {
      name: 'public-subnet',
      network_id: networkId,
      ip_version: 4,
      cidr: PUBLIC.cidr,
      gateway_ip: PUBLIC.hostAddress,
      enable_dhcp: false,
      allocation_pools: [PUBLIC.pool],
    },
  });
  log.info({ network: networkId, cidr: PUBLIC.cidr, bridge: PUBLIC.bridge }, 'external network public created');
}
