/**
 * The `security-group-rules` collection: create (single and bulk), show,
 * list, delete. Rules cannot be changed (upstream has no update); a change
 * to a group's rules bumps the group's revision_number.
 */
import type { Selectable } from 'kysely';

import type { RequestContext } from '../../common/context.js';
import { MethodNotAllowed } from '../../common/errors.js';
import { newId } from '../../common/ids.js';
import { utcNow } from '../../common/time.js';
import type { Db, SecurityGroupRulesTable, Tx } from '../../db/schema.js';
import type { ApiObject, Collection, ListRequest } from '../collection.js';
import { type Condition, type FilterCondition, listRows } from '../core/listRows.js';
import { type StoredRows, storedRows } from '../core/storedRows.js';
import { notify } from '../core/lifecycle.js';
import { checkRevision, nextRevision } from '../core/revision.js';
import { addressGroupUsable } from '../addressgroups/addressGroups.js';
import { ensureDefaultGroup, type SecurityGroupDeps } from './defaultGroup.js';
import {
  AddressGroupNotFound,
  DuplicateSecurityGroupRuleInPost,
  SecurityGroupNotFound,
  SecurityGroupNotSingleGroupRules,
  SecurityGroupRuleExists,
  SecurityGroupRuleNotFound,
  SecurityGroupRulesNotSingleProject,
} from './errors.js';
import {
  checkRule,
  convertEthertype,
  convertIpPrefix,
  convertPort,
  convertProtocol,
  type Direction,
  normalizedCidr,
  type RuleAttributes,
  ruleKey,
} from './ruleInput.js';
import { groupsSharedWith } from './sharing.js';
import { presentRules, type RuleRow, visibleRules } from './storage.js';


interface RuleRequest extends RuleAttributes {
  readonly project_id: string;
  readonly description: string;
}

/** A checked create request: upstream's converters, then its rule checks. */
export function ruleRequest(item: ApiObject): RuleRequest {
  const remote = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);
  const converted: RuleRequest = {
    security_group_id: String(item.security_group_id),
    direction: item.direction as Direction,
    remote_group_id: remote(item.remote_group_id),
    protocol: convertProtocol(item.protocol),
    port_range_min: convertPort(item.port_range_min),
    port_range_max: convertPort(item.port_range_max),
    ethertype: convertEthertype(item.ethertype),
    remote_ip_prefix: convertIpPrefix(item.remote_ip_prefix),
    remote_address_group_id: remote(item.remote_address_group_id),
    project_id: String(item.project_id),
    description: String(item.description ?? ''),
  };
  return checkRule(converted);
}

/** Filter values go through the attribute's converter, as upstream's get_filters does (`protocol=TCP` finds `tcp`). */
const FILTER_CONVERTERS: Readonly<Record<string, (value: unknown) => unknown>> = {
  protocol: convertProtocol,
  port_range_min: convertPort,
  port_range_max: convertPort,
  ethertype: convertEthertype,
  remote_ip_prefix: convertIpPrefix,
};

/** Whether a rule is in its project's default group. */
const inDefaultGroup: FilterCondition = (values) => (eb) => {
  if (values.includes(true) && values.includes(false)) return eb.lit(true);
  const defaults = eb.selectFrom('default_security_groups as dsg').select('dsg.security_group_id');
  return eb('securitygrouprules.security_group_id', values.includes(true) ? 'in' : 'not in', defaults);
};

export class SecurityGroupRuleService implements Collection {
  readonly keysetPaging = true;
  private readonly stored: StoredRows;
  readonly pluginFilters = new Map([['belongs_to_default_sg', inDefaultGroup]]);

  constructor(private readonly deps: SecurityGroupDeps) {
    this.stored = storedRows(deps.api.resource('security-group-rules'));
  }

  async list(ctx: RequestContext, query: ListRequest): Promise<ApiObject[]> {
    const project = query.filters.get('project_id')?.[0];
    await ensureDefaultGroup(this.deps, ctx, typeof project === 'string' ? project : ctx.projectId);
    const filters = new Map(query.filters);
    const conditions: Condition[] = [...visibleRules(ctx)];
    for (const [attribute, convert] of Object.entries(FILTER_CONVERTERS)) {
      const values = filters.get(attribute);
      if (values === undefined) continue;
      filters.delete(attribute);
      const converted = values.map(convert);
      const present = converted.filter((v) => v !== null);
      const column = `securitygrouprules.${attribute}`;
      conditions.push((eb) => eb.or([...(present.length > 0 ? [eb(column, 'in', present)] : []), ...(converted.includes(null) ? [eb(column, 'is', null)] : [])]));
    }
    const rows = (await listRows(this.deps.db, this.stored.spec, { ...query, filters }, conditions, this.pluginFilters)) as unknown as RuleRow[];
    return presentRules(this.deps.db, rows);
  }

  async show(ctx: RequestContext, id: string): Promise<ApiObject> {
    const [rule] = await presentRules(this.deps.db, [await this.visibleRow(ctx, id)]);
    return rule!;
  }

  /**
   * Every rule or none. A bulk request adds rules to one group for one
   * project (upstream's create_security_group_rule_bulk_native).
   */
  async create(ctx: RequestContext, items: readonly ApiObject[]): Promise<ApiObject[]> {
    if (items.length > 1) {
      if (new Set(items.map((i) => String(i.security_group_id))).size > 1) throw new SecurityGroupNotSingleGroupRules();
      if (new Set(items.map((i) => String(i.project_id))).size > 1) throw new SecurityGroupRulesNotSingleProject();
    }
    const requests = items.map(ruleRequest);
    const ids = await this.deps.transaction(async (tx) => {
      for (const rule of requests) await this.checkReferences(ctx, tx, rule);
      await this.checkDuplicates(tx, requests);
      const now = utcNow();
      const rows: Selectable<SecurityGroupRulesTable>[] = requests.map((rule) => ({
        id: newId(),
        project_id: rule.project_id,
        security_group_id: rule.security_group_id,
        remote_group_id: rule.remote_group_id,
        remote_address_group_id: rule.remote_address_group_id,
        direction: rule.direction,
        ethertype: rule.ethertype,
        protocol: rule.protocol,
        port_range_min: rule.port_range_min,
        port_range_max: rule.port_range_max,
        remote_ip_prefix: rule.remote_ip_prefix,
        normalized_cidr: rule.remote_ip_prefix === null ? null : normalizedCidr(rule.remote_ip_prefix),
        description: rule.description,
        revision_number: 0,
        created_at: now,
        updated_at: now,
      }));
      await tx.insertInto('securitygrouprules').values(rows).execute();
      for (const rule of requests) await bumpGroup(tx, rule.security_group_id);
      for (const [i, row] of rows.entries()) {
        const current = { ...row, tenant_id: row.project_id };
        await this.deps.events.publish('security_group_rule.precommit_create', { ctx, tx, current, request: items[i] ?? {} });
      }
      return rows.map((r) => r.id);
    });
    const rows = await this.deps.db.selectFrom('securitygrouprules').selectAll().where('id', 'in', ids).execute();
    const byId = new Map((await presentRules(this.deps.db, rows)).map((r) => [String(r.id), r]));
    const created = ids.map((id) => byId.get(id)!);
    for (const current of created) await notify(this.deps, 'security_group_rule.after_create', { ctx, current });
    return created;
  }

  /** Unreachable over HTTP (the declaration is immutable): rules are deleted and created instead. */
  async update(): Promise<ApiObject> {
    throw new MethodNotAllowed('PUT');
  }

  async delete(ctx: RequestContext, id: string, expectedRevision?: number): Promise<void> {
    const deleted = await this.deps.transaction(async (tx) => {
      const row = await this.visibleRow(ctx, id, tx);
      checkRevision(row.revision_number, expectedRevision);
      await tx.deleteFrom('securitygrouprules').where('id', '=', id).execute();
      await bumpGroup(tx, row.security_group_id);
      return row;
    });
    const [current] = await presentRules(this.deps.db, [deleted]);
    await notify(this.deps, 'security_group_rule.after_delete', { ctx, current: current! });
  }

  private async visibleRow(ctx: RequestContext, id: string, db: Db = this.deps.db): Promise<RuleRow> {
    const row = await db.selectFrom('securitygrouprules').selectAll().where('id', '=', id).executeTakeFirst();
    if (row && (ctx.isAdmin || row.project_id === ctx.projectId)) return row;
    if (row) {
      const group = await db.selectFrom('securitygroups').select('project_id').where('id', '=', row.security_group_id).executeTakeFirst();
      if (group?.project_id === ctx.projectId) return row;
    }
    throw new SecurityGroupRuleNotFound(id);
  }

  /**
   * The remote group, then the group itself, must exist for the rule's
   * project (its own or shared with it; any group for an admin), and so
   * must the remote address group (or be shared with it). Rules in a group
   * shared with it are the policy's to refuse (only the group's owner adds them).
   */
  private async checkReferences(ctx: RequestContext, tx: Tx, rule: RuleRequest): Promise<void> {
    const exists = async (groupId: string) => {
      const row = await tx.selectFrom('securitygroups').select('project_id').where('id', '=', groupId).executeTakeFirst();
      const usable = row !== undefined && (ctx.isAdmin || row.project_id === rule.project_id || (await groupsSharedWith(tx, rule.project_id, [groupId])).has(groupId));
      if (!usable) throw new SecurityGroupNotFound(groupId);
    };
    if (rule.remote_group_id !== null) await exists(rule.remote_group_id);
    if (rule.remote_address_group_id !== null && !(await addressGroupUsable(tx, ctx, rule.remote_address_group_id, rule.project_id))) {
      throw new AddressGroupNotFound(rule.remote_address_group_id);
    }
    await exists(rule.security_group_id);
  }

  /** The same rule twice in one request, or a rule the group already has (named in the error). */
  private async checkDuplicates(tx: Tx, requests: readonly RuleRequest[]): Promise<void> {
    const keys = new Set<string>();
    for (const rule of requests) {
      const key = ruleKey(rule);
      if (keys.has(key)) throw new DuplicateSecurityGroupRuleInPost();
      keys.add(key);
    }
    const groups = [...new Set(requests.map((r) => r.security_group_id))];
    const existing = await tx.selectFrom('securitygrouprules').selectAll().where('security_group_id', 'in', groups).execute();
    const clash = existing.find((row) => keys.has(ruleKey(storedRule(row))));
    if (clash) throw new SecurityGroupRuleExists(clash.id);
  }
}

function storedRule(row: RuleRow): RuleAttributes {
  return {
    security_group_id: row.security_group_id,
    direction: row.direction as Direction,
    ethertype: row.ethertype === 'IPv6' ? 'IPv6' : 'IPv4',
    protocol: row.protocol,
    port_range_min: row.port_range_min,
    port_range_max: row.port_range_max,
    remote_ip_prefix: row.remote_ip_prefix,
    remote_group_id: row.remote_group_id,
    remote_address_group_id: row.remote_address_group_id,
  };
}

/** A rule added or removed is a change to its group. */
async function bumpGroup(tx: Tx, groupId: string): Promise<void> {
  await tx.updateTable('securitygroups').set(nextRevision()).where('id', '=', groupId).execute();
}
