/**
 * Rows of security groups and rules, shared by the services: inserting a
 * group with its initial rules, presenting groups and rules, and which ones
 * a caller may see.
 */
import type { Selectable } from 'kysely';

import type { RequestContext } from '../../common/context.js';
import { newId } from '../../common/ids.js';
import { utcNow } from '../../common/time.js';
import type { Db, SecurityGroupRulesTable, SecurityGroupsTable, Tx } from '../../db/schema.js';
import type { ApiObject } from '../collection.js';
import { groupByParent, loadTags } from '../core/children.js';
import type { Condition } from '../core/listRows.js';
import type { Direction, Ethertype } from './ruleInput.js';
import { securityGroupSharing } from './sharing.js';

export type GroupRow = Selectable<SecurityGroupsTable>;
export type RuleRow = Selectable<SecurityGroupRulesTable>;

/** Neutron's description of a project's default group. */
export const DEFAULT_GROUP_DESCRIPTION = 'Default security group';
export const DEFAULT_GROUP_NAME = 'default';

export interface NewGroup {
  readonly projectId: string;
  readonly name: string;
  readonly description: string;
  readonly stateful: boolean;
  /** The project's default group: recorded as such, and its members may talk to each other. */
  readonly isDefault: boolean;
}

/**
 * The rules a new group starts with (upstream's default rule templates):
 * all egress, IPv4 and IPv6; a default group also lets in everything from
 * its own members.
 */
function initialRules(isDefault: boolean): { direction: Direction; ethertype: Ethertype; remoteSelf: boolean }[] {
  const rules: { direction: Direction; ethertype: Ethertype; remoteSelf: boolean }[] = [
    { direction: 'egress', ethertype: 'IPv4', remoteSelf: false },
    { direction: 'egress', ethertype: 'IPv6', remoteSelf: false },
  ];
  if (isDefault) {
    rules.push({ direction: 'ingress', ethertype: 'IPv4', remoteSelf: true }, { direction: 'ingress', ethertype: 'IPv6', remoteSelf: true });
  }
  return rules;
}

/**
 * Inserts a group and its initial rules. For a default group the
 * default_security_groups row goes in right after the group: a concurrent
 * creation for the same project fails there, on the primary key.
 */
export async function insertGroup(tx: Tx, group: NewGroup): Promise<string> {
  const id = newId();
  const now = utcNow();
  await tx
    .insertInto('securitygroups')
    .values({
      id,
      project_id: group.projectId,
      name: group.name,
      description: group.description,
      stateful: group.stateful ? 1 : 0,
      revision_number: 0,
      created_at: now,
      updated_at: now,
    })
    .execute();
  if (group.isDefault) await tx.insertInto('default_security_groups').values({ project_id: group.projectId, security_group_id: id }).execute();
  await tx
    .insertInto('securitygrouprules')
    .values(
      initialRules(group.isDefault).map((rule) => ({
        id: newId(),
        project_id: group.projectId,
        security_group_id: id,
        remote_group_id: rule.remoteSelf ? id : null,
        remote_address_group_id: null,
        direction: rule.direction,
        ethertype: rule.ethertype,
        protocol: null,
        port_range_min: null,
        port_range_max: null,
        remote_ip_prefix: null,
        normalized_cidr: null,
        description: '',
        revision_number: 0,
        created_at: now,
        updated_at: now,
      })),
    )
    .execute();
  return id;
}

/** The project's default group, if it has one yet. */
export async function defaultGroupOf(db: Db, projectId: string): Promise<string | undefined> {
  const row = await db.selectFrom('default_security_groups').select('security_group_id').where('project_id', '=', projectId).executeTakeFirst();
  return row?.security_group_id;
}

/** Of these groups, the ones that are their project's default. */
export async function defaultGroupsAmong(db: Db, groupIds: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  const unique = [...new Set(groupIds)];
  const rows = await groupByParent(
    unique,
    (chunk) => db.selectFrom('default_security_groups').select('security_group_id').where('security_group_id', 'in', chunk).execute(),
    (r) => r.security_group_id,
  );
  for (const id of rows.keys()) found.add(id);
  return found;
}

/** A project sees its own groups and those shared with it; admins see all. */
export function visibleGroups(ctx: RequestContext): Condition[] {
  if (ctx.isAdmin) return [];
  const shared = securityGroupSharing.behaviour.visibleToAll('securitygroups', ctx);
  return [(eb) => eb.or([eb('securitygroups.project_id', '=', ctx.projectId), ...(shared === undefined ? [] : [shared(eb)])])];
}

/** A project sees its own rules and every rule of its own groups; admins see all. */
export function visibleRules(ctx: RequestContext): Condition[] {
  if (ctx.isAdmin) return [];
  return [
    (eb) =>
      eb.or([
        eb('securitygrouprules.project_id', '=', ctx.projectId),
        eb(
          'securitygrouprules.security_group_id',
          'in',
          eb.selectFrom('securitygroups as own_sg').select('own_sg.id').where('own_sg.project_id', '=', ctx.projectId),
        ),
      ]),
  ];
}

/** Rules in a stable order: egress before ingress, IPv4 before IPv6, then by id. */
const ruleOrder = (a: RuleRow, b: RuleRow): number =>
  a.direction.localeCompare(b.direction) || a.ethertype.localeCompare(b.ethertype) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export function ruleToApi(row: RuleRow, inDefaultGroup: boolean): ApiObject {
  return {
    id: row.id,
    tenant_id: row.project_id,
    project_id: row.project_id,
    security_group_id: row.security_group_id,
    direction: row.direction,
    ethertype: row.ethertype,
    protocol: row.protocol,
    port_range_min: row.port_range_min,
    port_range_max: row.port_range_max,
    remote_ip_prefix: row.remote_ip_prefix,
    remote_group_id: row.remote_group_id,
    remote_address_group_id: row.remote_address_group_id,
    normalized_cidr: row.normalized_cidr,
    belongs_to_default_sg: inDefaultGroup,
    description: row.description,
    tags: [],
    created_at: row.created_at,
    updated_at: row.updated_at,
    revision_number: row.revision_number,
  };
}

export async function presentRules(db: Db, rows: readonly RuleRow[]): Promise<ApiObject[]> {
  const defaults = await defaultGroupsAmong(
    db,
    rows.map((r) => r.security_group_id),
  );
  return rows.map((row) => ruleToApi(row, defaults.has(row.security_group_id)));
}

/** Groups with their rules (whole rule objects, as upstream returns them) and tags; `shared` is the caller's to derive. */
export async function presentGroups(db: Db, rows: readonly GroupRow[]): Promise<ApiObject[]> {
  const ids = rows.map((r) => r.id);
  const [rules, defaults, tags] = await Promise.all([
    groupByParent(
      ids,
      (chunk) => db.selectFrom('securitygrouprules').selectAll().where('security_group_id', 'in', chunk).execute(),
      (r) => r.security_group_id,
    ),
    defaultGroupsAmong(db, ids),
    loadTags(db, ids),
  ]);
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    tenant_id: row.project_id,
    project_id: row.project_id,
    description: row.description,
    stateful: row.stateful === 1,
    shared: false,
    security_group_rules: [...(rules.get(row.id) ?? [])].sort(ruleOrder).map((r) => ruleToApi(r, defaults.has(row.id))),
    tags: tags.get(row.id) ?? [],
    created_at: row.created_at,
    updated_at: row.updated_at,
    revision_number: row.revision_number,
  }));
}
