/**
 * tunnel_sync (type_tunnel.py's TunnelRpcCallbackMixin): an Open vSwitch
 * agent without l2population asks for every tunnel endpoint of a type, and
 * the other agents are told of it (tunnel_update) so that they open a
 * tunnel port back. Neutron keeps endpoints in ml2_<type>_endpoints; here
 * they are the agents' own reports (tunneling_ip and tunnel_types), which
 * the agent has sent before it asks, so the two cannot disagree.
 */
import type { Db } from '../../../db/schema.js';
import type { Bus } from '../../../rpc/bus.js';
import { clientOf, type TunnelEndpoint, tunnelAgentApi } from '../../../rpc/contract/index.js';
import { InvalidInput } from '../../../common/errors.js';

const TUNNEL_TYPES = ['vxlan', 'gre', 'geneve'];

export interface TunnelSyncLogger {
  warn(obj: object, msg: string): void;
}

export class TunnelSync {
  private readonly agents;

  constructor(
    private readonly db: Db,
    bus: Bus,
    private readonly log: TunnelSyncLogger,
  ) {
    this.agents = clientOf(bus, tunnelAgentApi);
  }

  async sync(tunnelIp: string, tunnelType: string, host: string): Promise<{ tunnels: TunnelEndpoint[] }> {
    if (!TUNNEL_TYPES.includes(tunnelType)) throw new InvalidInput(`Network type value '${tunnelType}' not supported`);
    const rows = await this.db.selectFrom('agents').select(['host', 'configurations']).execute();
    const tunnels = new Map<string, TunnelEndpoint>([[tunnelIp, { ip_address: tunnelIp, host }]]);
    for (const row of rows) {
      const configurations = JSON.parse(row.configurations) as Record<string, unknown>;
      const ip = configurations.tunneling_ip;
      const types = configurations.tunnel_types;
      if (typeof ip !== 'string' || ip === '' || !Array.isArray(types) || !types.includes(tunnelType)) continue;
      if (!tunnels.has(ip)) tunnels.set(ip, { ip_address: ip, host: row.host });
    }
    // Every other agent of the type opens a tunnel to this one; a lost fanout is repaired by their next tunnel_sync.
    this.agents.fanout('tunnel_update', { tunnel_ip: tunnelIp, tunnel_type: tunnelType }).catch((err: unknown) => this.log.warn({ err }, 'could not announce a tunnel endpoint'));
    return { tunnels: [...tunnels.values()] };
  }
}
