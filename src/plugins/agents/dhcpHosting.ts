/**
 * The admin's side of DHCP scheduling (the dhcp_agent_scheduler extension,
 * Neutron's DhcpAgentSchedulerDbMixin): which networks an agent serves,
 * which agents serve a network, and moving a network on or off an agent by
 * hand. Admin only; the policy rule names are Neutron's.
 */
import type { RequestContext } from '../../common/context.js';
import { NetworkNotFound, PolicyNotAuthorized } from '../../common/errors.js';
import type { ApiObject, Collection } from '../collection.js';
import { AgentNotFound, type AgentService } from './agentService.js';
import { AGENT_TYPE } from './agentTypes.js';
import { InvalidDhcpAgent, NetworkNotHostedByDhcpAgent } from './dhcpErrors.js';
import type { DhcpAgentNotifier } from './dhcpNotifier.js';
import { reserveDhcpPorts } from './dhcpPorts.js';
import type { DhcpScheduler } from './dhcpScheduler.js';

function adminOnly(ctx: RequestContext, rule: string): void {
  if (!ctx.isAdmin) throw new PolicyNotAuthorized(rule);
}

const byIds = (ids: readonly string[]) => ({ filters: new Map([['id', ids]]), sorts: [] });

export class DhcpHostingService {
  constructor(
    private readonly scheduler: DhcpScheduler,
    private readonly agents: AgentService,
    private readonly networks: Collection,
    private readonly ports: Collection,
    private readonly notifier: DhcpAgentNotifier,
  ) {}

  /** GET /v2.0/agents/{id}/dhcp-networks: the networks, as the networks API shows them; any agent type (none hosted: []). */
  async networksOnAgent(ctx: RequestContext, agentId: string): Promise<ApiObject[]> {
    adminOnly(ctx, 'get_dhcp-networks');
    const networkIds = await this.scheduler.networksOf(agentId);
    if (networkIds.length === 0) {
      await this.agents.show(ctx, agentId);
      return [];
    }
    return this.networks.list(ctx, byIds(networkIds));
  }

  /** GET /v2.0/networks/{id}/dhcp-agents: the agents, as the agents API shows them (an unknown network has none). */
  async agentsHostingNetwork(ctx: RequestContext, networkId: string): Promise<ApiObject[]> {
    adminOnly(ctx, 'get_dhcp-agents');
    const hosting = (await this.scheduler.agentsHosting([networkId])).get(networkId) ?? [];
    if (hosting.length === 0) return [];
    return this.agents.list(ctx, byIds(hosting.map((a) => a.id)));
  }

  /**
   * POST /v2.0/agents/{id}/dhcp-networks: Neutron's checks in its order
   * (the network, the agent, a DHCP agent that is up, not hosted yet); the
   * agent hears network_create_end. dhcp_agents_per_network does not limit it.
   */
  async addNetwork(ctx: RequestContext, agentId: string, networkId: string): Promise<void> {
    adminOnly(ctx, 'create_dhcp-network');
    await this.networks.show(ctx, networkId);
    const agent = await this.scheduler.agent(agentId);
    if (!agent) throw new AgentNotFound(agentId);
    if (agent.agent_type !== AGENT_TYPE.dhcp || agent.admin_state_up !== 1) throw new InvalidDhcpAgent(agentId);
    if (!(await this.scheduler.bindNetwork(agent, networkId))) throw new NetworkNotFound(networkId);
    void this.notifier.networkAdded(networkId, [agent], ctx);
  }

  /**
   * DELETE /v2.0/agents/{id}/dhcp-networks/{network_id}: the agent's DHCP
   * port is kept, reserved for the next agent, and the agent hears
   * network_delete_end.
   */
  async removeNetwork(ctx: RequestContext, agentId: string, networkId: string): Promise<void> {
    adminOnly(ctx, 'delete_dhcp-network');
    const agent = await this.scheduler.agent(agentId);
    if (!agent) throw new AgentNotFound(agentId);
    if (!(await this.scheduler.unbindNetwork(agent.id, networkId))) throw new NetworkNotHostedByDhcpAgent(networkId, agentId);
    await reserveDhcpPorts(this.ports, networkId, agent.host);
    void this.notifier.networkRemoved(networkId, agent, ctx);
  }
}
