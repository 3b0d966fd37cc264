/** Subnet pools are shared through subnetpoolrbacs (neutron/objects/subnetpool.py SubnetPool, an RBAC object). */
import type { ExpressionBuilder } from 'kysely';

import type { RequestContext } from '../../common/context.js';
import type { Database } from '../../db/schema.js';
import { rbacSharing } from '../core/rbacSharing.js';
import { ACCESS_SHARED, targetsOf } from '../core/visibility.js';

export const subnetPoolSharing = rbacSharing('subnetpoolrbacs', 'subnetpools');

/** The ids of the pools shared with the caller (a subquery). */
export const sharedPools = (eb: ExpressionBuilder<Database, 'subnetpools'>, ctx: RequestContext) =>
  eb.selectFrom('subnetpoolrbacs').select('subnetpoolrbacs.object_id').where('subnetpoolrbacs.action', '=', ACCESS_SHARED).where('subnetpoolrbacs.target_project', 'in', targetsOf(ctx));
