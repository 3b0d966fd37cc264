/**
 * The agents table: report_state heartbeats create and refresh records,
 * `alive` is derived from heartbeat_timestamp and agent_down_time, and the
 * admin-only /v2.0/agents API lists, shows, updates and deletes them.
 */
import type { Selectable } from 'kysely';

import type { RequestContext } from '../../common/context.js';
import { notFoundError, PolicyNotAuthorized } from '../../common/errors.js';
import { agent, agents, availabilityZone } from '../../resources/extensions/agent.js';
import { composeApi } from '../../resources/compose.js';
import { newId } from '../../common/ids.js';
import { utcNow } from '../../common/time.js';
import { isUniqueViolation } from '../../db/errors.js';
import type { AgentsTable, Db } from '../../db/schema.js';
import type { AgentState, ReportResult } from '../../rpc/contract/index.js';
import type { ApiObject, Collection, ListRequest } from '../collection.js';
import { type FilterCondition, listRows } from '../core/listRows.js';
import { storedRows } from '../core/storedRows.js';

type AgentRow = Selectable<AgentsTable>;

/** Which resource an agent type's availability zone is for. */
const AZ_RESOURCE: Readonly<Record<string, string>> = { 'DHCP agent': 'network', 'L3 agent': 'router' };

export const AgentNotFound = notFoundError(agents.notFound);

/** What an agent sends in report_state, and what the server answers: the RPC contract's. */
export type { AgentState, ReportResult };

/** The columns of agents with the extensions that add to them, as the list query uses them. */
const agentTable = storedRows(composeApi([], [agent, availabilityZone]).resource('agents')).spec;

/** Agents show times as Neutron does: `2026-11-25 22:19:52`. */
const agentTime = (iso: string): string => iso.replace('T', ' ').replace(/Z$/, '');

export class AgentService implements Collection {
  readonly keysetPaging = true;
  constructor(
    private readonly db: Db,
    /** agent_down_time, in seconds. */
    private readonly downTime: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** report_state: creates the record on first report, refreshes the heartbeat after. */
  async reportState(state: AgentState): Promise<ReportResult> {
    const now = utcNow();
    const existing = await this.db
      .selectFrom('agents')
      .selectAll()
      .where('agent_type', '=', state.agent_type)
      .where('host', '=', state.host)
      .executeTakeFirst();
    const configurations = JSON.stringify(state.configurations ?? {});
    if (!existing) {
      try {
        await this.insert(state, now, configurations);
      } catch (err) {
        // Two servers took the agent's first report at once: the other one created it.
        if (isUniqueViolation(err)) return this.reportState(state);
        throw err;
      }
      return 'new';
    }
    const wasAlive = this.isAlive(existing);
    await this.db
      .updateTable('agents')
      .set({
        binary: state.binary,
        topic: state.topic,
        heartbeat_timestamp: now,
        configurations,
        availability_zone: state.availability_zone ?? null,
        ...(state.start_flag ? { started_at: now } : {}),
      })
      .where('id', '=', existing.id)
      .execute();
    return wasAlive ? 'alive' : 'revived';
  }

  private async insert(state: AgentState, now: string, configurations: string): Promise<void> {
    await this.db
      .insertInto('agents')
      .values({
        id: newId(),
        agent_type: state.agent_type,
        binary: state.binary,
        topic: state.topic,
        host: state.host,
        admin_state_up: 1,
        created_at: now,
        started_at: now,
        heartbeat_timestamp: now,
        description: '',
        configurations,
        availability_zone: state.availability_zone ?? null,
        resources_synced: null,
      })
      .execute();
  }

  /** Alive agents of a type, optionally on one host (for binding and scheduling); `db` may be a transaction in progress. */
  async aliveAgents(agentType: string, host?: string, db: Db = this.db): Promise<ApiObject[]> {
    let query = db.selectFrom('agents').selectAll().where('agent_type', '=', agentType);
    if (host !== undefined) query = query.where('host', '=', host);
    return (await query.execute()).filter((row) => this.isAlive(row)).map((row) => this.toApi(row));
  }

  async list(ctx: RequestContext, query: ListRequest): Promise<ApiObject[]> {
    // Neutron filters agents out item by item: a non-admin gets an empty list, not a 403.
    if (!ctx.isAdmin) return [];
    const rows = (await listRows(this.db, agentTable, query, [], this.pluginFilters)) as unknown as AgentRow[];
    return rows.map((row) => this.toApi(row));
  }

  async show(ctx: RequestContext, id: string): Promise<ApiObject> {
    if (!ctx.isAdmin) throw new AgentNotFound(id);
    return this.toApi(await this.row(id));
  }

  /**
   * GET /v2.0/availability_zones: the zones agents report, by the resource
   * they serve (DHCP agents: network, L3 agents: router); a zone is
   * available while one of its agents is alive and enabled.
   */
  async availabilityZones(): Promise<{ name: string; resource: string; state: 'available' | 'unavailable' }[]> {
    const rows = await this.db
      .selectFrom('agents')
      .selectAll()
      .where('agent_type', 'in', Object.keys(AZ_RESOURCE))
      .where('availability_zone', 'is not', null)
      .execute();
    const zones = new Map<string, { name: string; resource: string; state: 'available' | 'unavailable' }>();
    for (const row of rows) {
      const resource = AZ_RESOURCE[row.agent_type]!;
      const key = `${resource}|${row.availability_zone}`;
      const up = this.isAlive(row) && row.admin_state_up === 1;
      const zone = zones.get(key) ?? { name: row.availability_zone ?? '', resource, state: 'unavailable' as const };
      zones.set(key, up ? { ...zone, state: 'available' } : zone);
    }
    return [...zones.values()].sort((a, b) => a.name.localeCompare(b.name) || a.resource.localeCompare(b.resource));
  }

  async update(ctx: RequestContext, id: string, changes: ApiObject): Promise<ApiObject> {
    adminOnly(ctx, 'update_agent');
    await this.row(id);
    await this.db
      .updateTable('agents')
      .set({
        ...('admin_state_up' in changes ? { admin_state_up: changes.admin_state_up ? 1 : 0 } : {}),
        ...('description' in changes ? { description: String(changes.description) } : {}),
      })
      .where('id', '=', id)
      .execute();
    return this.toApi(await this.row(id));
  }

  async delete(ctx: RequestContext, id: string): Promise<void> {
    adminOnly(ctx, 'delete_agent');
    await this.row(id);
    await this.db.deleteFrom('agents').where('id', '=', id).execute();
  }

  private async row(id: string): Promise<AgentRow> {
    const row = await this.db.selectFrom('agents').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new AgentNotFound(id);
    return row;
  }

  /** `alive=`: a heartbeat within agent_down_time (timestamps are whole-second UTC text, which sorts as time). */
  readonly pluginFilters = new Map<string, FilterCondition>([
    [
      'alive',
      (values) => (eb) => {
        if (values.includes(true) && values.includes(false)) return eb.lit(true);
        const since = new Date(this.now().getTime() - this.downTime * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
        return eb('agents.heartbeat_timestamp', values.includes(true) ? '>=' : '<', since);
      },
    ],
  ]);

  private isAlive(row: AgentRow): boolean {
    return this.now().getTime() - Date.parse(row.heartbeat_timestamp) <= this.downTime * 1000;
  }

  private toApi(row: AgentRow): ApiObject {
    return {
      id: row.id,
      agent_type: row.agent_type,
      binary: row.binary,
      topic: row.topic,
      host: row.host,
      admin_state_up: row.admin_state_up === 1,
      created_at: agentTime(row.created_at),
      started_at: agentTime(row.started_at),
      heartbeat_timestamp: agentTime(row.heartbeat_timestamp),
      alive: this.isAlive(row),
      configurations: JSON.parse(row.configurations) as unknown,
      description: row.description,
      availability_zone: row.availability_zone,
      resources_synced: row.resources_synced === null ? null : row.resources_synced === 1,
    };
  }
}

function adminOnly(ctx: RequestContext, action: string): void {
  if (!ctx.isAdmin) throw new PolicyNotAuthorized(action);
}
