/**
 * The resource events the core plugin (and the security groups plugin)
 * publishes. ML2, the DHCP notifier, quotas and security groups subscribe to
 * these instead of being called.
 *
 * Each resource's events carry its objects typed from its declaration
 * (resources/objectTypes.ts): a port's events a port, as an admin sees it in
 * the API. Where a publisher has less than that, the payload says so:
 * `precommit_create` runs before other plugins have added what they store
 * about the new object (extenders), and the security groups plugin
 * publishes the few attributes it has at hand.
 */
import type { Selectable } from 'kysely';

import type { RequestContext } from '../../common/context.js';
import type { SecurityGroupRulesTable, Tx } from '../../db/schema.js';
import type { ApiObject } from '../collection.js';
import type { CollectionOfMember, ExtensionObjectOf, ObjectOf, OwnObjectOf, ResourceMember } from '../../resources/objectTypes.js';

/** A whole object of member M (`EventObject<'port'>` is a port). */
export type EventObject<M extends ResourceMember> = ObjectOf<CollectionOfMember<M>>;

/**
 * A new object of member M as its service built it, before the extenders
 * ran: the attributes its own declaration has; the extensions' may be missing.
 */
export type NewObject<M extends ResourceMember> = OwnObjectOf<CollectionOfMember<M>> & Partial<ExtensionObjectOf<CollectionOfMember<M>>>;

/** Publishers whose precommit_create has less than NewObject. */
interface PartialNewObjects {
  /** The group as the plugin inserts it (its rules do not exist yet). */
  security_group: Pick<EventObject<'security_group'>, 'id' | 'project_id' | 'tenant_id' | 'name' | 'stateful'>;
  /** The rule's stored row, with the tenant_id the API shows. */
  security_group_rule: Selectable<SecurityGroupRulesTable> & { readonly tenant_id: string };
}

/** What member M's precommit_create carries as `current`. */
export type CreatedObject<M extends ResourceMember> = M extends keyof PartialNewObjects ? PartialNewObjects[M] : NewObject<M>;

/** An object a precommit subscriber may complete: what it writes reaches the client (the core presented it before). */
type Completable<O> = { -readonly [K in keyof O]: O[K] };

export interface Precommit<O> {
  readonly ctx: RequestContext;
  readonly tx: Tx;
  readonly current: Completable<O>;
  readonly original?: O;
  /** The validated request body (create) or changes (update), for attributes the core does not store itself. */
  readonly request?: ApiObject;
}

export interface After<O> {
  readonly ctx: RequestContext;
  readonly current: O;
  readonly original?: O;
}

type ResourceEvents<M extends ResourceMember> = {
  [K in M as `${K}.precommit_create`]: Precommit<CreatedObject<K>>;
} & {
  [K in M as `${K}.precommit_update` | `${K}.precommit_delete`]: Precommit<EventObject<K>>;
} & {
  [K in M as `${K}.after_create` | `${K}.after_update` | `${K}.after_delete`]: After<EventObject<K>>;
};

/** Every declared resource's events (not every plugin publishes all of them yet). */
export type CoreEvents = ResourceEvents<ResourceMember>;
