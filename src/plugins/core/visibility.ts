/**
 * Which rows a caller may see, as SQL conditions. Admins see everything; a
 * project sees its own resources, shared and external networks, the subnets
 * of shared networks, and the ports on networks it owns. (The full policy engine
 * refines what callers may change; this is what they may read.)
 */

import type { RequestContext } from '../../common/context.js';
import type { Condition } from './listRows.js';

const sharedNetworks = (eb: Parameters<Condition>[0]) =>
  eb.selectFrom('networks as vis_n').select('vis_n.id').where('vis_n.shared', '=', 1);

export function visibleNetworks(ctx: RequestContext): Condition[] {
  if (ctx.isAdmin) return [];
  return [
    (eb) => eb.or([eb('networks.project_id', '=', ctx.projectId), eb('networks.shared', '=', 1), eb('networks.router_external', '=', 1)]),
  ];
}

export function visibleSubnets(ctx: RequestContext): Condition[] {
  if (ctx.isAdmin) return [];
  // Subnets of external networks stay hidden unless the network is shared too (tempest's test_external_network_visibility).
  return [(eb) => eb.or([eb('subnets.project_id', '=', ctx.projectId), eb('subnets.network_id', 'in', sharedNetworks(eb))])];
}

export function visiblePorts(ctx: RequestContext): Condition[] {
  if (ctx.isAdmin) return [];
  const ownNetworks = (eb: Parameters<Condition>[0]) =>
    eb.selectFrom('networks as own_n').select('own_n.id').where('own_n.project_id', '=', ctx.projectId);
  return [(eb) => eb.or([eb('ports.project_id', '=', ctx.projectId), eb('ports.network_id', 'in', ownNetworks(eb))])];
}

/** Whether the caller owns the row (and so may change it) rather than only seeing it. */
export const owns = (ctx: RequestContext, row: { project_id: string }): boolean =>
  ctx.isAdmin || row.project_id === ctx.projectId;

