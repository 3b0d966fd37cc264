/**
 * Which DHCP agents serve which networks (the networkdhcpagentbindings
 * table), chosen as Neutron's default scheduler does
 * (neutron/scheduler/dhcp_agent_scheduler.py, ChanceScheduler + DhcpFilter):
 *
 *   - a network needs DHCP once it has a subnet with enable_dhcp;
 *   - it gets `dhcp_agents_per_network` agents, picked at random among the
 *     DHCP agents in its availability zone hints (any, without hints) that
 *     are admin-up and eligible (alive, or dead but still
 *     "starting up": started less than 2 x agent_down_time + 2 s per hosted
 *     network ago, Neutron's agent_starting_up);
 *   - every bound agent counts towards that number, alive or not: a dead
 *     agent's networks move only when the failover check (dhcpFailover.ts)
 *     removes its bindings, after 2 x agent_down_time without a report.
 *
 * Several server processes may schedule the same network at once. Each
 * scheduling transaction first writes the network's row (a no-op update),
 * which makes them take turns on that network on every backend; the
 * bindings' primary key (network_id, dhcp_agent_id) keeps a pair unique
 * whatever happens, and a transaction that still loses a race runs again.
 */
import type { Selectable } from 'kysely';

import { isRetryable, isUniqueViolation, withRetries } from '../../db/errors.js';
import type { AgentsTable, Db, Tx } from '../../db/schema.js';
import { AGENT_TYPE } from './agentTypes.js';
import { NetworkHostedByDhcpAgent } from './dhcpErrors.js';

export type DhcpAgentRow = Selectable<AgentsTable>;

export interface DhcpSchedulerOptions {
  /** `[DEFAULT] dhcp_agents_per_network`. */
  readonly agentsPerNetwork: number;
  /** `[DEFAULT] agent_down_time`, in seconds. */
  readonly downTime: number;
}

/** A binding whose agent has not reported for 2 x agent_down_time. */
export interface DeadBinding {
  readonly networkId: string;
  readonly agent: DhcpAgentRow;
}

/** Neutron's timestamp form, as AgentService stores heartbeats: they compare correctly as text. */
const timestamp = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** `count` of `candidates` picked uniformly at random, without repeats (random.sample). */
export function chooseAgents<T>(candidates: readonly T[], count: number, random: () => number): T[] {
  const pool = [...candidates];
  const chosen: T[] = [];
  while (chosen.length < count && pool.length > 0) {
    const [picked] = pool.splice(Math.floor(random() * pool.length), 1);
    chosen.push(picked!);
  }
  return chosen;
}

export class DhcpScheduler {
  constructor(
    private readonly db: Db,
    readonly options: DhcpSchedulerOptions,
    private readonly random: () => number = Math.random,
    private readonly now: () => number = Date.now,
  ) {}

  /** As the agents API computes `alive`. */
  isAlive(agent: DhcpAgentRow): boolean {
    return this.now() - Date.parse(agent.heartbeat_timestamp) <= this.options.downTime * 1000;
  }

  /** Neutron's agent_starting_up: a busy agent that just started gets 2 s per network it hosts on top of 2 x agent_down_time. */
  private startingUp(agent: DhcpAgentRow, networkCount: number): boolean {
    return Date.parse(agent.started_at) + this.deadLimitMs() + 2000 * networkCount > this.now();
  }

  /** After this long without a report, an agent's networks go elsewhere (Neutron's agent_dead_limit_seconds). */
  deadLimitMs(): number {
    return 2 * this.options.downTime * 1000;
  }

  /** The DHCP agents bound to each of the networks, alive or not, ordered by host. */
  async agentsHosting(networkIds: readonly string[], db: Db = this.db): Promise<Map<string, DhcpAgentRow[]>> {
    const hosting = new Map<string, DhcpAgentRow[]>();
    if (networkIds.length === 0) return hosting;
    const rows = await db
      .selectFrom('networkdhcpagentbindings as b')
      .innerJoin('agents', 'agents.id', 'b.dhcp_agent_id')
      .selectAll('agents')
      .select('b.network_id as bound_network_id')
      .where('b.network_id', 'in', [...new Set(networkIds)])
      .orderBy('agents.host')
      .execute();
    for (const { bound_network_id: networkId, ...agent } of rows) {
      const list = hosting.get(networkId) ?? [];
      list.push(agent);
      hosting.set(networkId, list);
    }
    return hosting;
  }

  /** The networks bound to an agent. */
  async networksOf(agentId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('networkdhcpagentbindings')
      .select('network_id')
      .where('dhcp_agent_id', '=', agentId)
      .orderBy('network_id')
      .execute();
    return rows.map((r) => r.network_id);
  }

  /** Any agent, by id (the admin API checks its type itself). */
  async agent(agentId: string): Promise<DhcpAgentRow | undefined> {
    return this.db.selectFrom('agents').selectAll().where('id', '=', agentId).executeTakeFirst();
  }

  /** The DHCP agent that reports from `host`, if any. */
  async dhcpAgentOnHost(host: string): Promise<DhcpAgentRow | undefined> {
    return this.db.selectFrom('agents').selectAll().where('agent_type', '=', AGENT_TYPE.dhcp).where('host', '=', host).executeTakeFirst();
  }

  /** Admin-up DHCP agents that may take networks: alive, or dead but starting up. */
  async eligibleAgents(db: Db = this.db): Promise<DhcpAgentRow[]> {
    const agents = await db.selectFrom('agents').selectAll().where('agent_type', '=', AGENT_TYPE.dhcp).where('admin_state_up', '=', 1).execute();
    return this.eligible(agents, db);
  }

  private async eligible(agents: readonly DhcpAgentRow[], db: Db): Promise<DhcpAgentRow[]> {
    const dead = agents.filter((a) => !this.isAlive(a));
    const counts = await this.bindingCounts(dead.map((a) => a.id), db);
    return agents.filter((a) => this.isAlive(a) || this.startingUp(a, counts.get(a.id) ?? 0));
  }

  private async bindingCounts(agentIds: readonly string[], db: Db): Promise<Map<string, number>> {
    if (agentIds.length === 0) return new Map();
    const rows = await db
      .selectFrom('networkdhcpagentbindings')
      .select(['dhcp_agent_id', (eb) => eb.fn.countAll().as('n')])
      .where('dhcp_agent_id', 'in', agentIds)
      .groupBy('dhcp_agent_id')
      .execute();
    return new Map(rows.map((r) => [r.dhcp_agent_id, Number(r.n)]));
  }

  /**
   * Gives the network the agents it lacks, if it needs DHCP; returns the
   * agents it was just bound to (to be told network_create_end). Cheap when
   * there is nothing to do, which is what almost every port create finds;
   * `hostedNow` saves a query when the caller has just read the agents.
   */
  async scheduleNetwork(networkId: string, hostedNow?: readonly DhcpAgentRow[]): Promise<DhcpAgentRow[]> {
    const perNetwork = this.options.agentsPerNetwork;
    // Reads first; the locking transaction only when there is something to do.
    const hosted = hostedNow ?? (await this.agentsHosting([networkId])).get(networkId) ?? [];
    if (hosted.length >= perNetwork || !(await needsDhcp(this.db, networkId))) return [];
    const hostedIds = new Set(hosted.map((a) => a.id));
    const inZones = servesZones(await zonesWanted(this.db, networkId));
    if (!(await this.eligibleAgents()).some((a) => !hostedIds.has(a.id) && inZones(a))) return [];
    return this.onNetwork(networkId, async (tx) => {
      if (!(await needsDhcp(tx, networkId))) return [];
      const bound = (await this.agentsHosting([networkId], tx)).get(networkId) ?? [];
      const boundIds = new Set(bound.map((a) => a.id));
      const candidates = (await this.eligibleAgents(tx)).filter((a) => !boundIds.has(a.id) && inZones(a));
      const chosen = chooseAgents(candidates, perNetwork - bound.length, this.random);
      for (const agent of chosen) await insertBinding(tx, networkId, agent.id);
      return chosen;
    }, []);
  }

  /**
   * network_auto_schedule for the DHCP agent on `host` (its first report,
   * get_active_networks_info): every network that needs DHCP, has fewer
   * agents than it should and is not on this agent yet goes to it. Returns
   * their ids.
   */
  async autoScheduleNetworks(host: string): Promise<string[]> {
    const agent = await this.dhcpAgentOnHost(host);
    if (!agent || agent.admin_state_up !== 1 || (await this.eligible([agent], this.db)).length === 0) return [];
    const perNetwork = this.options.agentsPerNetwork;
    const candidates = await this.db
      .selectFrom('subnets')
      .select('subnets.network_id')
      .distinct()
      .where('subnets.enable_dhcp', '=', 1)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('networkdhcpagentbindings as mine')
              .select('mine.network_id')
              .whereRef('mine.network_id', '=', 'subnets.network_id')
              .where('mine.dhcp_agent_id', '=', agent.id),
          ),
        ),
      )
      .where(
        (eb) => eb.selectFrom('networkdhcpagentbindings as all_bound').select(eb.fn.countAll().as('n')).whereRef('all_bound.network_id', '=', 'subnets.network_id'),
        '<',
        perNetwork,
      )
      .orderBy('subnets.network_id')
      .execute();
    const scheduled: string[] = [];
    for (const { network_id: networkId } of candidates) {
      const bound = await this.onNetwork(networkId, async (tx) => {
        if (!(await needsDhcp(tx, networkId))) return false;
        const hosting = (await this.agentsHosting([networkId], tx)).get(networkId) ?? [];
        if (hosting.length >= perNetwork || hosting.some((a) => a.id === agent.id)) return false;
        if (!servesZones(await zonesWanted(tx, networkId))(agent)) return false;
        await insertBinding(tx, networkId, agent.id);
        return true;
      }, false);
      if (bound) scheduled.push(networkId);
    }
    return scheduled;
  }

  /**
   * Binds the network to this agent whatever the number of agents it has
   * (the admin's POST /v2.0/agents/{id}/dhcp-networks). Returns false when
   * the network is gone.
   */
  async bindNetwork(agent: DhcpAgentRow, networkId: string): Promise<boolean> {
    return this.onNetwork(networkId, async (tx) => {
      const hosting = (await this.agentsHosting([networkId], tx)).get(networkId) ?? [];
      if (hosting.some((a) => a.id === agent.id)) throw new NetworkHostedByDhcpAgent(networkId, agent.id);
      await insertBinding(tx, networkId, agent.id);
      return true;
    }, false);
  }

  /** Removes one binding; false when there was none (another server, or an admin, got there first). */
  async unbindNetwork(agentId: string, networkId: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('networkdhcpagentbindings')
      .where('network_id', '=', networkId)
      .where('dhcp_agent_id', '=', agentId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /**
   * Bindings of agents that have not reported for 2 x agent_down_time and
   * are not starting up (Neutron's get_down_bindings + _filter_bindings).
   */
  async deadBindings(): Promise<DeadBinding[]> {
    const cutoff = timestamp(this.now() - this.deadLimitMs());
    const rows = await this.db
      .selectFrom('networkdhcpagentbindings as b')
      .innerJoin('agents', 'agents.id', 'b.dhcp_agent_id')
      .selectAll('agents')
      .select('b.network_id as bound_network_id')
      .where('agents.heartbeat_timestamp', '<', cutoff)
      .orderBy('agents.id')
      .orderBy('b.network_id')
      .execute();
    const counts = new Map<string, number>();
    for (const row of rows) counts.set(row.id, (counts.get(row.id) ?? 0) + 1);
    return rows
      .filter((row) => !this.startingUp(row, counts.get(row.id) ?? 0))
      .map(({ bound_network_id: networkId, ...agent }) => ({ networkId, agent }));
  }

  /**
   * Runs `work` in a transaction that holds the network's row, so that
   * schedulers of one network (in any server process) take turns; `gone`
   * is the answer when the network no longer exists.
   */
  private async onNetwork<T>(networkId: string, work: (tx: Tx) => Promise<T>, gone: T): Promise<T> {
    return withRetries(
      () =>
        this.db.transaction().execute(async (tx) => {
          // A write first: on MySQL/MariaDB it also makes the reads below see what the previous holder committed.
          await tx.updateTable('networks').set((eb) => ({ status: eb.ref('status') })).where('id', '=', networkId).execute();
          const exists = await tx.selectFrom('networks').select('id').where('id', '=', networkId).executeTakeFirst();
          return exists ? work(tx) : gone;
        }),
      { attempts: 8, retryOn: (err) => isRetryable(err) || isUniqueViolation(err) },
    );
  }
}

async function needsDhcp(db: Db, networkId: string): Promise<boolean> {
  const row = await db.selectFrom('subnets').select('id').where('network_id', '=', networkId).where('enable_dhcp', '=', 1).limit(1).executeTakeFirst();
  return row !== undefined;
}

/**
 * The zones a network's DHCP agents must be in: its availability_zone_hints
 * (stored with [DEFAULT] default_availability_zones when it was created
 * without any; DhcpFilter's az_hints); none means any agent.
 */
async function zonesWanted(db: Db, networkId: string): Promise<readonly string[]> {
  const row = await db.selectFrom('networks').select('availability_zone_hints').where('id', '=', networkId).executeTakeFirst();
  return row?.availability_zone_hints ? (JSON.parse(row.availability_zone_hints) as string[]) : [];
}

const servesZones = (zones: readonly string[]) => (agent: DhcpAgentRow): boolean =>
  zones.length === 0 || (agent.availability_zone !== null && zones.includes(agent.availability_zone));

async function insertBinding(tx: Tx, networkId: string, agentId: string): Promise<void> {
  await tx.insertInto('networkdhcpagentbindings').values({ network_id: networkId, dhcp_agent_id: agentId }).execute();
}
