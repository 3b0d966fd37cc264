/**
 * Security groups are shared through securitygrouprbacs (neutron/objects/securitygroup.py
 * SecurityGroup, an RBAC object): the target project sees the group (and the
 * rules it carries) and may put it on its ports; its `shared` is derived.
 */
import type { Db } from '../../db/schema.js';
import { rbacSharing } from '../core/rbacSharing.js';
import { ACCESS_SHARED } from '../core/visibility.js';

export const securityGroupSharing = rbacSharing('securitygrouprbacs', 'securitygroups');

/** Of these groups, those shared with `projectId` (the port's project, not the caller: an admin may create a port for another project). */
export async function groupsSharedWith(db: Db, projectId: string, groupIds: readonly string[]): Promise<Set<string>> {
  if (groupIds.length === 0) return new Set();
  const rows = await db
    .selectFrom('securitygrouprbacs')
    .select('object_id')
    .where('object_id', 'in', [...groupIds])
    .where('action', '=', ACCESS_SHARED)
    .where('target_project', 'in', ['*', projectId])
    .execute();
  return new Set(rows.map((r) => r.object_id));
}
