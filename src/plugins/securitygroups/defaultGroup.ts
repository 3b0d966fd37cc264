/**
 * A project's `default` security group, created the first time the project
 * needs one (listing groups or rules, creating a network, a port or another
 * group), exactly once: the primary key of default_security_groups decides
 * between concurrent creators, also across server processes; a loser's
 * transaction rolls back, runs again and finds the winner's group.
 */
import type { RequestContext } from '../../common/context.js';
import type { Tx } from '../../db/schema.js';
import type { CoreDeps } from '../core/deps.js';
import { DEFAULT_GROUP_DESCRIPTION, DEFAULT_GROUP_NAME, defaultGroupOf, insertGroup } from './storage.js';

/** `events`: creates publish security_group(_rule).precommit_create (quotas); the default group and its rules do not. */
export type SecurityGroupDeps = Pick<CoreDeps, 'db' | 'transaction' | 'events' | 'api'>;

/**
 * The id of `projectId`'s default group, created if needed. Callers other
 * than admins only get one for their own project (upstream bug 1987410);
 * undefined then, and for no project at all.
 *
 * With `tx` it runs inside that transaction (a port being created): a lost
 * race fails the caller's transaction, which the core runs again whole.
 */
export async function ensureDefaultGroup(
  deps: SecurityGroupDeps,
  ctx: RequestContext,
  projectId: string,
  tx?: Tx,
): Promise<string | undefined> {
  if (projectId === '' || (projectId !== ctx.projectId && !ctx.isAdmin)) return undefined;
  const existing = await defaultGroupOf(tx ?? deps.db, projectId);
  if (existing !== undefined) return existing;
  const create = async (t: Tx): Promise<string> =>
    (await defaultGroupOf(t, projectId)) ??
    insertGroup(t, { projectId, name: DEFAULT_GROUP_NAME, description: DEFAULT_GROUP_DESCRIPTION, stateful: true, isDefault: true });
  return tx ? create(tx) : deps.transaction(create);
}
