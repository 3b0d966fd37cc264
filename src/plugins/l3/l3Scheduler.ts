/**
 * Which L3 agent hosts which router (the routerl3agentbindings table), as
 * Neutron's schedulers choose (neutron/scheduler/l3_agent_scheduler.py):
 * one agent per router (legacy routers), among the L3 agents that are
 * admin-up, alive and in agent_mode legacy or dvr_snat; `chance` picks one
 * at random, `least_routers` (Neutron's default) the one hosting fewest
 * routers. Routers are scheduled when created and, for any still unhosted,
 * when an agent asks for its routers (router_auto_schedule). With
 * allow_automatic_l3agent_failover, routers of agents dead for
 * 2 x agent_down_time move to a live one (failover()).
 *
 * Several server processes may schedule one router at once: each
 * scheduling transaction first bumps the router's row, so they take turns
 * on it, and a router that found a binding once it got its turn keeps it.
 */
import type { Selectable } from 'kysely';

import type { RequestContext } from '../../common/context.js';
import { NeutronError, notFoundError, PolicyNotAuthorized } from '../../common/errors.js';
import type { AgentsTable, Db, Tx } from '../../db/schema.js';
import { routers } from '../../resources/extensions/router.js';
import { AGENT_TYPE } from '../agents/agentTypes.js';

const RouterNotFound = notFoundError(routers.notFound);

export type L3AgentRow = Selectable<AgentsTable>;

export type RouterSchedulerDriver = 'chance' | 'least_routers';

export interface L3SchedulerOptions {
  readonly driver: RouterSchedulerDriver;
  /** `[DEFAULT] agent_down_time`, in seconds. */
  readonly downTime: number;
}

/** Agent modes that host centralized routers. */
const HOSTING_MODES: ReadonlySet<string> = new Set(['legacy', 'dvr_snat']);

const timestamp = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export class InvalidL3Agent extends NeutronError {
  constructor(agentId: string) {
    super(404, 'InvalidL3Agent', `Agent ${agentId} is not a L3 Agent or has been disabled`);
  }
}

export class RouterHostedByL3Agent extends NeutronError {
  constructor(routerId: string, agentId: string) {
    super(409, 'RouterHostedByL3Agent', `The router ${routerId} has been already hosted by the L3 Agent ${agentId}.`);
  }
}

export class RouterNotHostedByL3Agent extends NeutronError {
  constructor(routerId: string, agentId: string) {
    super(409, 'RouterNotHostedByL3Agent', `The router ${routerId} is not hosted by L3 agent ${agentId}.`);
  }
}

export class L3Scheduler {
  constructor(
    private readonly db: Db,
    readonly options: L3SchedulerOptions,
    private readonly transaction: <T>(work: (tx: Tx) => Promise<T>) => Promise<T>,
    private readonly random: () => number = Math.random,
    private readonly now: () => number = Date.now,
  ) {}

  isAlive(agent: L3AgentRow): boolean {
    return this.now() - Date.parse(agent.heartbeat_timestamp) <= this.options.downTime * 1000;
  }

  /** The L3 agent of a host, if one has reported. */
  async agentOn(host: string, db: Db = this.db): Promise<L3AgentRow | undefined> {
    return db.selectFrom('agents').selectAll().where('agent_type', '=', AGENT_TYPE.l3).where('host', '=', host).executeTakeFirst();
  }

  /** The agents hosting each router, alive or not. */
  async agentsHosting(routerIds: readonly string[], db: Db = this.db): Promise<Map<string, L3AgentRow[]>> {
    const out = new Map<string, L3AgentRow[]>();
    if (routerIds.length === 0) return out;
    const rows = await db
      .selectFrom('routerl3agentbindings')
      .innerJoin('agents', 'agents.id', 'routerl3agentbindings.l3_agent_id')
      .selectAll('agents')
      .select('routerl3agentbindings.router_id')
      .where('routerl3agentbindings.router_id', 'in', [...new Set(routerIds)])
      .orderBy('agents.host')
      .execute();
    for (const { router_id: routerId, ...agent } of rows) out.set(routerId, [...(out.get(routerId) ?? []), agent]);
    return out;
  }

  async routerIdsOn(agentId: string, db: Db = this.db): Promise<string[]> {
    const rows = await db.selectFrom('routerl3agentbindings').select('router_id').where('l3_agent_id', '=', agentId).orderBy('router_id').execute();
    return rows.map((r) => r.router_id);
  }

  /**
   * Gives each unhosted router of `routerIds` an agent (every unhosted router
   * when absent); answers the routers that got one, with it.
   */
  async schedule(routerIds?: readonly string[], onlyAgent?: L3AgentRow): Promise<Map<string, L3AgentRow>> {
    const unhosted = await this.db
      .selectFrom('routers')
      .select('id')
      .where((eb) => eb.not(eb.exists(eb.selectFrom('routerl3agentbindings').select('router_id').whereRef('routerl3agentbindings.router_id', '=', 'routers.id'))))
      .$if(routerIds !== undefined, (q) => q.where('id', 'in', routerIds!.length > 0 ? [...routerIds!] : ['']))
      .orderBy('id')
      .execute();
    const scheduled = new Map<string, L3AgentRow>();
    for (const { id } of unhosted) {
      const agent = await this.transaction(async (tx) => {
        // Turns per router: the first transaction to bump it binds it; the others then see its binding.
        if (!(await lockRouter(tx, id))) return undefined;
        const bound = await tx.selectFrom('routerl3agentbindings').select('l3_agent_id').where('router_id', '=', id).executeTakeFirst();
        if (bound) return undefined;
        const candidates = onlyAgent ? [onlyAgent].filter((a) => this.canHost(a)) : await this.candidates(tx);
        const chosen = await this.choose(tx, candidates);
        if (chosen === undefined) return undefined;
        await tx.insertInto('routerl3agentbindings').values({ router_id: id, l3_agent_id: chosen.id }).execute();
        return chosen;
      });
      if (agent) scheduled.set(id, agent);
    }
    return scheduled;
  }

  /** POST /v2.0/agents/{id}/l3-routers (add_router_to_l3_agent). */
  async add(ctx: RequestContext, agentId: string, routerId: string): Promise<L3AgentRow> {
    if (!ctx.isAdmin) throw new PolicyNotAuthorized('create_l3-router');
    return this.transaction(async (tx) => {
      const agent = await tx.selectFrom('agents').selectAll().where('id', '=', agentId).executeTakeFirst();
      if (!agent || agent.agent_type !== AGENT_TYPE.l3 || agent.admin_state_up !== 1 || !HOSTING_MODES.has(agentMode(agent))) throw new InvalidL3Agent(agentId);
      if (!(await lockRouter(tx, routerId))) throw new RouterNotFound(routerId);
      const hosts = await tx.selectFrom('routerl3agentbindings').select('l3_agent_id').where('router_id', '=', routerId).execute();
      if (hosts.some((h) => h.l3_agent_id === agentId)) return agent;
      if (hosts.length > 0) throw new RouterHostedByL3Agent(routerId, hosts[0]!.l3_agent_id);
      await tx.insertInto('routerl3agentbindings').values({ router_id: routerId, l3_agent_id: agentId }).execute();
      return agent;
    });
  }

  /** DELETE /v2.0/agents/{id}/l3-routers/{router} (remove_router_from_l3_agent). */
  async remove(ctx: RequestContext, agentId: string, routerId: string): Promise<L3AgentRow> {
    if (!ctx.isAdmin) throw new PolicyNotAuthorized('delete_l3-router');
    return this.transaction(async (tx) => {
      const agent = await tx.selectFrom('agents').selectAll().where('id', '=', agentId).executeTakeFirst();
      if (!agent || agent.agent_type !== AGENT_TYPE.l3) throw new InvalidL3Agent(agentId);
      const removed = await tx.deleteFrom('routerl3agentbindings').where('router_id', '=', routerId).where('l3_agent_id', '=', agentId).executeTakeFirst();
      if (Number(removed.numDeletedRows) === 0) throw new RouterNotHostedByL3Agent(routerId, agentId);
      return agent;
    });
  }

  /** Bindings whose agent has not reported for 2 x agent_down_time: unbound, so that schedule() moves their routers. */
  async releaseDeadBindings(): Promise<{ routerId: string; agent: L3AgentRow }[]> {
    const limit = timestamp(this.now() - 2 * this.options.downTime * 1000);
    const dead = await this.db
      .selectFrom('routerl3agentbindings')
      .innerJoin('agents', 'agents.id', 'routerl3agentbindings.l3_agent_id')
      .selectAll('agents')
      .select('routerl3agentbindings.router_id')
      .where('agents.heartbeat_timestamp', '<', limit)
      .execute();
    if (dead.length === 0) return [];
    // Only when some agent can take them: a whole cloud of dead agents keeps its bindings.
    if ((await this.candidates(this.db)).length === 0) return [];
    for (const { router_id: routerId, id } of dead) {
      await this.db.deleteFrom('routerl3agentbindings').where('router_id', '=', routerId).where('l3_agent_id', '=', id).execute();
    }
    return dead.map(({ router_id: routerId, ...agent }) => ({ routerId, agent }));
  }

  private canHost(agent: L3AgentRow): boolean {
    return agent.admin_state_up === 1 && this.isAlive(agent) && HOSTING_MODES.has(agentMode(agent));
  }

  private async candidates(db: Db): Promise<L3AgentRow[]> {
    const agents = await db.selectFrom('agents').selectAll().where('agent_type', '=', AGENT_TYPE.l3).where('admin_state_up', '=', 1).orderBy('host').execute();
    return agents.filter((a) => this.canHost(a));
  }

  private async choose(db: Db, candidates: readonly L3AgentRow[]): Promise<L3AgentRow | undefined> {
    if (candidates.length <= 1) return candidates[0];
    if (this.options.driver === 'chance') return candidates[Math.floor(this.random() * candidates.length)];
    const counts = await db
      .selectFrom('routerl3agentbindings')
      .select(['l3_agent_id', (eb) => eb.fn.countAll<number>().as('routers')])
      .where('l3_agent_id', 'in', candidates.map((a) => a.id))
      .groupBy('l3_agent_id')
      .execute();
    const load = new Map(counts.map((c) => [c.l3_agent_id, Number(c.routers)]));
    return [...candidates].sort((a, b) => (load.get(a.id) ?? 0) - (load.get(b.id) ?? 0))[0];
  }
}

/** A no-op write of the router's row, which makes transactions on one router take turns; false when it is gone. */
async function lockRouter(tx: Tx, id: string): Promise<boolean> {
  await tx.updateTable('routers').set((eb) => ({ status: eb.ref('status') })).where('id', '=', id).execute();
  return (await tx.selectFrom('routers').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}

function agentMode(agent: L3AgentRow): string {
  try {
    const mode = (JSON.parse(agent.configurations) as { agent_mode?: unknown }).agent_mode;
    return typeof mode === 'string' ? mode : 'legacy';
  } catch {
    return 'legacy';
  }
}
