/**
 * The resource events the core plugin (and the security groups plugin)
 * publishes. ML2, the DHCP notifier, quotas and security groups subscribe to
 * these instead of being called.
 */
import type { RequestContext } from '../../common/context.js';
import type { Tx } from '../../db/schema.js';
import type { ApiObject } from '../collection.js';
import type { ResourceMember } from '../../resources/objectTypes.js';

interface Precommit {
  readonly ctx: RequestContext;
  readonly tx: Tx;
  readonly current: ApiObject;
  readonly original?: ApiObject;
  /** The validated request body (create) or changes (update), for attributes the core does not store itself. */
  readonly request?: ApiObject;
}

interface After {
  readonly ctx: RequestContext;
  readonly current: ApiObject;
  readonly original?: ApiObject;
}

type ResourceEvents<R extends string> = {
  [K in `${R}.precommit_create` | `${R}.precommit_update` | `${R}.precommit_delete`]: Precommit;
} & {
  [K in `${R}.after_create` | `${R}.after_update` | `${R}.after_delete`]: After;
};

/** Every declared resource's events (not every plugin publishes all of them yet). */
export type CoreEvents = ResourceEvents<ResourceMember>;
