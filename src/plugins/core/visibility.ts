/**
 * Which rows a caller may see, as SQL conditions. Admins see everything; a
 * project sees its own resources, the networks shared with it or external
 * to it through their RBAC entries (networkrbacs: access_as_shared,
 * access_as_external, for the project or '*'), the subnets of the networks
 * shared with it, and the ports on networks it owns. Each is one condition
 * with a subquery on the indexed networkrbacs columns, never a query per row.
 * (The full policy engine refines what callers may change; this is what they
 * may read.)
 */

import type { RequestContext } from '../../common/context.js';
import type { Db } from '../../db/schema.js';
import { groupByParent } from './children.js';
import type { Condition, FilterCondition } from './listRows.js';

export const ACCESS_SHARED = 'access_as_shared';
export const ACCESS_EXTERNAL = 'access_as_external';
export type NetworkRbacAction = typeof ACCESS_SHARED | typeof ACCESS_EXTERNAL;

/** The target projects whose entries grant a caller access: '*' and its own. */
export const targetsOf = (ctx: RequestContext): string[] => (ctx.projectId === '' ? ['*'] : ['*', ctx.projectId]);

/** The ids of the networks whose RBAC entries grant the caller one of these actions (a subquery). */
export const networksGranting = (eb: Parameters<Condition>[0], targets: readonly string[], actions: readonly NetworkRbacAction[]) =>
  eb
    .selectFrom('networkrbacs as vis_rbac')
    .select('vis_rbac.object_id')
    .where('vis_rbac.action', 'in', actions)
    .where('vis_rbac.target_project', 'in', targets);

export function visibleNetworks(ctx: RequestContext): Condition[] {
  if (ctx.isAdmin) return [];
  return [
    (eb) => eb.or([eb('networks.project_id', '=', ctx.projectId), eb('networks.id', 'in', networksGranting(eb, targetsOf(ctx), [ACCESS_SHARED, ACCESS_EXTERNAL]))]),
  ];
}

export function visibleSubnets(ctx: RequestContext): Condition[] {
  if (ctx.isAdmin) return [];
  // Subnets of external networks stay hidden unless the network is shared too (tempest's test_external_network_visibility).
  return [(eb) => eb.or([eb('subnets.project_id', '=', ctx.projectId), eb('subnets.network_id', 'in', networksGranting(eb, targetsOf(ctx), [ACCESS_SHARED]))])];
}

export function visiblePorts(ctx: RequestContext): Condition[] {
  if (ctx.isAdmin) return [];
  const ownNetworks = (eb: Parameters<Condition>[0]) =>
    eb.selectFrom('networks as own_n').select('own_n.id').where('own_n.project_id', '=', ctx.projectId);
  return [(eb) => eb.or([eb('ports.project_id', '=', ctx.projectId), eb('ports.network_id', 'in', ownNetworks(eb))])];
}

/** The actions the network's RBAC entries grant the caller (shared with it, external to it). */
export async function networkAccess(db: Db, ctx: RequestContext, networkId: string): Promise<Set<string>> {
  const rows = await db
    .selectFrom('networkrbacs')
    .select('action')
    .where('object_id', '=', networkId)
    .where('target_project', 'in', targetsOf(ctx))
    .execute();
  return new Set(rows.map((r) => r.action));
}

/** Of these networks, those shared with the caller ('*' or its project), in one query per chunk of ids. */
export async function sharedWith(db: Db, ctx: RequestContext, networkIds: readonly string[]): Promise<Set<string>> {
  const entries = await groupByParent(
    networkIds,
    (chunk) =>
      db
        .selectFrom('networkrbacs')
        .select('object_id')
        .where('object_id', 'in', chunk)
        .where('action', '=', ACCESS_SHARED)
        .where('target_project', 'in', targetsOf(ctx))
        .execute(),
    (row) => row.object_id,
  );
  return new Set(entries.keys());
}

/**
 * A boolean filter (`shared=True`, `shared=False`, both) on a condition:
 * the rows it holds for, those it does not, or all of them.
 */
export function booleanFilter(condition: Condition): FilterCondition {
  return (values) => {
    const wanted = new Set(values.map(Boolean));
    if (wanted.size === 2) return (eb) => eb.lit(true);
    return wanted.has(true) ? condition : (eb) => eb.not(condition(eb));
  };
}

/** Whether the caller owns the row (and so may change it) rather than only seeing it. */
export const owns = (ctx: RequestContext, row: { project_id: string }): boolean =>
  ctx.isAdmin || row.project_id === ctx.projectId;
