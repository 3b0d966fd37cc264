/**
 * The transaction-and-events skeleton every core resource shares: the work
 * runs in one transaction, `precommit_*` subscribers run inside it (a throw
 * rolls it back), `after_*` subscribers run once it has committed.
 */
import type { RequestContext } from '../../common/context.js';
import type { Tx } from '../../db/schema.js';
import type { Db } from '../../db/schema.js';
import type { ApiObject } from '../collection.js';
import type { CoreDeps } from './deps.js';
import type { After, CoreEvents, Precommit } from './events.js';
import type { ResourceMember } from '../../resources/objectTypes.js';

export type CoreResource = ResourceMember;

type PrecommitTopic = `${CoreResource}.precommit_${'create' | 'update' | 'delete'}`;
type AfterTopic = `${CoreResource}.after_${'create' | 'update' | 'delete'}`;

/**
 * The event payload of objects a service built: the one cast of the events'
 * typing. Services build their objects generically (ApiObject, from the rows
 * and the composed declaration, extenders included) and CoreEvents types the
 * same objects from the same declarations (EventObject); the compiler cannot
 * follow one to the other, so it is asserted here, and nowhere else.
 */
function payloadOf<T extends keyof CoreEvents>(_topic: T, payload: Precommit<ApiObject> | After<ApiObject>): CoreEvents[T] {
  return payload as CoreEvents[T];
}

/** Publishes a precommit_* event of objects a service built (a subscriber's throw propagates: rollback). */
export function publish<T extends PrecommitTopic>(deps: Pick<CoreDeps, 'events'>, topic: T, payload: Precommit<ApiObject>): Promise<void> {
  return deps.events.publish(topic, payloadOf(topic, payload));
}

/** Notifies an after_* event of objects a service built (failures are logged). */
export function notify<T extends AfterTopic>(deps: Pick<CoreDeps, 'events'>, topic: T, payload: After<ApiObject>): Promise<void> {
  return deps.events.notify(topic, payloadOf(topic, payload));
}

/** Adds what other plugins store about these freshly built objects (see Extender). */
export async function extend(deps: CoreDeps, resource: CoreResource, db: Db, objects: ApiObject[]): Promise<ApiObject[]> {
  const extenders = deps.extenders.of(resource);
  if (extenders.length === 0 || objects.length === 0) return objects;
  const extras = await Promise.all(extenders.map((extender) => extender(db, objects)));
  // The objects were just built by the service for this response; completing them in place
  // spares a copy of every object of a 10 000-port list.
  for (const object of objects) {
    const id = String(object.id);
    for (const extra of extras) {
      const attributes = extra.get(id);
      if (attributes) Object.assign(object, attributes);
    }
  }
  return objects;
}

/** Creates every item in one transaction: a bulk request succeeds or fails whole. */
export async function createAll<M extends CoreResource>(
  deps: CoreDeps,
  ctx: RequestContext,
  resource: M,
  items: readonly ApiObject[],
  createOne: (tx: Tx, item: ApiObject) => Promise<ApiObject>,
): Promise<ApiObject[]> {
  const created = await deps.transaction(async (tx) => {
    const out: ApiObject[] = [];
    for (const item of items) {
      const created = await createOne(tx, item);
      await publish(deps, `${resource}.precommit_create`, { ctx, tx, current: created, request: item });
      // Precommit subscribers may have stored more about it (segments, security groups).
      const [current] = await extend(deps, resource, tx, [created]);
      out.push(current!);
    }
    return out;
  });
  for (const current of created) await notify(deps, `${resource}.after_create`, { ctx, current });
  return created;
}

/** `change` returns the resource before and after; both travel with the events. */
export async function updateOne<M extends CoreResource>(
  deps: CoreDeps,
  ctx: RequestContext,
  resource: M,
  changes: ApiObject,
  change: (tx: Tx) => Promise<{ original: ApiObject; current: ApiObject }>,
): Promise<ApiObject> {
  const { original, current } = await deps.transaction(async (tx) => {
    const result = await change(tx);
    await publish(deps, `${resource}.precommit_update`, { ctx, tx, ...result, request: changes });
    // Precommit subscribers may have changed what they store about it (a port's security groups).
    const [current] = await extend(deps, resource, tx, [result.current]);
    return { original: result.original, current: current! };
  });
  await notify(deps, `${resource}.after_update`, { ctx, current, original });
  return current;
}

/**
 * `load` finds the resource and checks that it may go; precommit subscribers
 * see it before `remove` deletes it.
 */
export async function deleteOne<M extends CoreResource>(
  deps: CoreDeps,
  ctx: RequestContext,
  resource: M,
  load: (tx: Tx) => Promise<ApiObject>,
  remove: (tx: Tx) => Promise<void>,
): Promise<void> {
  const current = await deps.transaction(async (tx) => {
    const loaded = await load(tx);
    await publish(deps, `${resource}.precommit_delete`, { ctx, tx, current: loaded });
    await remove(tx);
    return loaded;
  });
  await notify(deps, `${resource}.after_delete`, { ctx, current });
}
