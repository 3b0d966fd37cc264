/**
 * Quota enforcement on create. Each created object is checked inside the
 * transaction that inserts it (precommit_create), after its insert: the
 * project's lock row for the resource is taken, then the project's objects
 * are counted; more than the limit is OverQuota and the whole request (every
 * item of a bulk create) rolls back.
 *
 * The lock makes the count exact under concurrency, also with several server
 * processes: a second create of the same project and resource waits for the
 * first transaction to end, then counts what it committed. A transaction
 * takes each lock once (checks of later bulk items only count again).
 *
 * A new group's egress rules must fit the rule quota. Not checked, as upstream
 * does not check them either (these are created by the server itself): a project's
 * default security group and its rules, and ports the network owns (device_owner `network:*`: DHCP,
 * router interfaces, floating IPs). They count as used all the same.
 */
import type { Tx } from '../../db/schema.js';
import type { EventBus } from '../../events/bus.js';
import type { QuotaResource } from '../../resources/extensions/quotas.js';
import type { CoreEvents } from '../core/events.js';
import { OverQuota } from './errors.js';
import { type CountedIn, countUsed, isQuotaResource, limitOf, lockQuota, type QuotaLimits } from './storage.js';
import type { ResourceMember } from '../../resources/objectTypes.js';
import type { ResourceDecl } from '../../resources/types.js';

/** What a create check reads of any resource's precommit_create. */
interface QuotaCounted {
  readonly tx: Tx;
  readonly current: Readonly<Record<string, unknown>>;
}

export class QuotaEnforcer {
  /** Per transaction: the limit of each project and resource already looked up (and locked when limited). */
  private readonly checked = new WeakMap<Tx, Map<string, number>>();

  constructor(
    private readonly defaults: QuotaLimits,
    private readonly tables: CountedIn,
  ) {}

  /**
   * Throws OverQuota when the project now has more of `resource` than its
   * limit; call it after the new objects are inserted, in their transaction.
   */
  async check(tx: Tx, projectId: string, resource: QuotaResource): Promise<void> {
    let known = this.checked.get(tx);
    if (known === undefined) this.checked.set(tx, (known = new Map()));
    const key = `${resource}\u0000${projectId}`;
    let limit = known.get(key);
    if (limit === undefined) {
      limit = await limitOf(tx, projectId, resource, this.defaults);
      if (limit >= 0) await lockQuota(tx, projectId, resource);
      known.set(key, limit);
    }
    if (limit < 0) return;
    if ((await countUsed(tx, this.tables, projectId, resource)) > limit) throw new OverQuota([resource]);
  }

  /** Subscribes the checks to the create events of every resource whose declaration has a quota. */
  subscribe(events: EventBus<CoreEvents>, resources: Iterable<ResourceDecl>): void {
    for (const resource of resources) {
      const quota = resource.quota;
      if (quota === undefined) continue;
      const name = quota.resource ?? resource.member;
      if (!isQuotaResource(name)) throw new Error(`${resource.collection}: ${name} is not a quota resource`);
      // Any resource's new object: read as the quota declaration reads it.
      events.on(`${resource.member as ResourceMember}.precommit_create`, async ({ tx, current }: QuotaCounted) => {
        if (!quota.exempt?.(current)) await this.check(tx, String(current.project_id), name);
      });
    }
    // A new group comes with its egress rules, which must fit the rule quota (tempest's
    // test_sg_creation_with_insufficient_sg_rules_quota).
    events.on('security_group.precommit_create', ({ tx, current }) => this.check(tx, String(current.project_id), 'security_group_rule'));
  }
}
