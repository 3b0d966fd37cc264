/**
 * The `rbac-policies` collection (neutron/db/rbac_db_mixin.py): one table
 * of entries per object type, created by the object's owner or an admin.
 * Networks (neutron/db/db_base_plugin_v2.py, external_net_db.py):
 * access_as_shared lets the target project see the network and its subnets
 * and put ports on it, access_as_external makes the network external to it;
 * an entry the target's ports or routers still need stays (RbacPolicyInUse),
 * and every change is a change to the network too (its revision_number
 * moves). Address scopes (neutron/objects/rbac_db.py): access_as_shared; an
 * entry the target's subnet pools still need stays. Address groups
 * likewise, with the target's security group rules. Security groups
 * likewise, with the target's ports.
 */
import type { RequestContext } from '../../common/context.js';
import { InvalidInput, InvalidSharedSetting, NeutronError, resourceNotFound } from '../../common/errors.js';
import type { Tx } from '../../db/schema.js';
import type { ApiObject, Collection, ListRequest } from '../collection.js';
import type { CoreDeps } from '../core/deps.js';
import { type FilterCondition, MarkerNotFound } from '../core/listRows.js';
import { makeInternal, namedTargets, projectPortsDependOn, wildcardEntry } from '../core/networkRbac.js';
import type { SharedRbacTable } from '../core/rbacSharing.js';
import { nextRevision } from '../core/revision.js';
import { type StoredBehaviour, StoredCollection } from '../core/storedCollection.js';
import { ACCESS_EXTERNAL, ACCESS_SHARED, owns } from '../core/visibility.js';
import { isUuidLike } from '../notifiers/novaNotifier.js';

export class RbacPolicyInUse extends NeutronError {
  constructor(objectId: string, details: string) {
    super(409, 'RbacPolicyInUse', `RBAC policy on object ${objectId} cannot be removed because other objects depend on it.\nDetails: ${details}`);
  }
}

export class DuplicateRbacPolicy extends NeutronError {
  constructor() {
    super(409, 'DuplicateRbacPolicy', 'An RBAC policy already exists with those values.');
  }
}

export class InvalidActionForType extends NeutronError {
  constructor(action: string, objectType: string, valid: readonly string[]) {
    super(400, 'InvalidActionForType', `Invalid action '${action}' for object type '${objectType}'. Valid actions: (${valid.map((a) => `'${a}'`).join(', ')})`);
  }
}

type RbacTable = 'networkrbacs' | SharedRbacTable;

/** An object type that can be shared: the table of its entries and its own checks. */
interface ObjectType {
  readonly table: RbacTable;
  readonly behaviour: Pick<StoredBehaviour, 'checkCreate' | 'checkUpdate' | 'checkDelete'>;
}

/** neutron/extensions/rbac.py _validate_valid_target_project: '*' or UUID-like. */
function checkTarget(target: unknown): void {
  if (target !== '*' && !isUuidLike(target)) throw new InvalidInput(`'${String(target)}' is not a valid target project ID; expected a UUID or '*'`);
}

interface NetworkOwner {
  readonly id: string;
  readonly project_id: string;
  readonly name: string;
}

/** The entry's action must be one its object type accepts. */
function checkAction(objectType: string, action: unknown, valid: readonly string[]): void {
  if (!valid.includes(String(action))) throw new InvalidActionForType(String(action), objectType, valid);
}

/** The network an entry is about, which a caller other than an admin must own. */
async function ownedNetwork(tx: Tx, ctx: RequestContext, networkId: string): Promise<NetworkOwner> {
  const network = await tx.selectFrom('networks').select(['id', 'project_id', 'name']).where('id', '=', networkId).executeTakeFirst();
  if (network === undefined) throw new InvalidInput(`Network ${networkId} could not be found.`);
  if (!owns(ctx, network)) throw new InvalidInput('Only admins can manipulate policies on networks they do not own');
  return network;
}

async function checkUnique(tx: Tx, table: RbacTable, objectId: string, action: string, target: string): Promise<void> {
  const same = await tx
    .selectFrom(table)
    .select('id')
    .where('object_id', '=', objectId)
    .where('action', '=', action)
    .where('target_project', '=', target)
    .executeTakeFirst();
  if (same !== undefined) throw new DuplicateRbacPolicy();
}

/** The network's ports of the project losing access that nothing else lets stay refuse the change. */
async function checkNotInUse(tx: Tx, network: NetworkOwner, target: string): Promise<void> {
  if (target === network.project_id) return;
  if (await projectPortsDependOn(tx, network, target)) throw new RbacPolicyInUse(network.id, new InvalidSharedSetting(network.id).message);
}

/**
 * An access_as_external entry that routers' gateways still need stays
 * (external_net_db.py _validate_ext_not_in_use_by_project): for one project,
 * unless a '*' entry remains, its routers on the network; for '*', the
 * default external network's always, else the routers of projects without
 * an entry of their own (nor `newTarget`, the project an update gives the
 * entry to).
 */
async function checkExternalNotInUse(tx: Tx, current: ApiObject, newTarget?: string): Promise<void> {
  const networkId = String(current.object_id);
  const target = String(current.target_tenant);
  let routers = tx
    .selectFrom('routers')
    .innerJoin('ports', 'ports.id', 'routers.gw_port_id')
    .select('routers.id')
    .where('ports.network_id', '=', networkId);
  if (target !== '*') {
    if ((await wildcardEntry(tx, networkId, ACCESS_EXTERNAL)) !== undefined) return;
    routers = routers.where('routers.project_id', '=', target);
  } else {
    // Every project's auto-allocated router uplinks to the default external network: it stays everyone's.
    const network = await tx.selectFrom('networks').select('is_default').where('id', '=', networkId).executeTakeFirst();
    if (network?.is_default === 1) throw new RbacPolicyInUse(networkId, 'Default external networks must be shared to everyone.');
    const allowed = [...(await namedTargets(tx, networkId, ACCESS_EXTERNAL)), ...(newTarget === undefined ? [] : [newTarget])];
    if (allowed.length > 0) routers = routers.where('routers.project_id', 'not in', allowed);
  }
  if ((await routers.limit(1).executeTakeFirst()) !== undefined) {
    throw new RbacPolicyInUse(networkId, 'There are routers attached to this network that depend on this policy for access.');
  }
}

const bumpNetwork = (tx: Tx, networkId: string) => tx.updateTable('networks').set(nextRevision()).where('id', '=', networkId).execute();

/** Networks: shared with a project, or external to it. */
const networks: ObjectType = {
  table: 'networkrbacs',
  behaviour: {
      async checkCreate(tx, ctx, item) {
        checkTarget(item.target_tenant);
        const network = await ownedNetwork(tx, ctx, String(item.object_id));
        const action = String(item.action);
        checkAction('network', action, [ACCESS_SHARED, ACCESS_EXTERNAL]);
        await checkUnique(tx, 'networkrbacs', network.id, action, String(item.target_tenant));
        // An entry external to a project makes the network external (without a '*' entry).
        if (action === ACCESS_EXTERNAL) await tx.updateTable('networks').set({ router_external: 1 }).where('id', '=', network.id).execute();
        await bumpNetwork(tx, network.id);
      },
      async checkUpdate(tx, ctx, current, changes) {
        if (!('target_tenant' in changes) || changes.target_tenant === current.target_tenant) return;
        checkTarget(changes.target_tenant);
        const network = await ownedNetwork(tx, ctx, String(current.object_id));
        await checkUnique(tx, 'networkrbacs', network.id, String(current.action), String(changes.target_tenant));
        if (current.action === ACCESS_SHARED) await checkNotInUse(tx, network, String(current.target_tenant));
        if (current.action === ACCESS_EXTERNAL) await checkExternalNotInUse(tx, current, String(changes.target_tenant));
        await bumpNetwork(tx, network.id);
      },
      async checkDelete(tx, _ctx, current) {
        const networkId = String(current.object_id);
        const network = await tx.selectFrom('networks').select(['id', 'project_id', 'name']).where('id', '=', networkId).executeTakeFirstOrThrow();
        if (current.action === ACCESS_SHARED) await checkNotInUse(tx, network, String(current.target_tenant));
        if (current.action === ACCESS_EXTERNAL) {
          await checkExternalNotInUse(tx, current);
          // The network's last access_as_external entry going makes it internal again.
          const other = await tx
            .selectFrom('networkrbacs')
            .select('id')
            .where('object_id', '=', networkId)
            .where('action', '=', ACCESS_EXTERNAL)
            .where('id', '!=', String(current.id))
            .executeTakeFirst();
          if (other === undefined) await makeInternal(tx, networkId);
        }
        await bumpNetwork(tx, networkId);
      },
  },
};

/** An object type shared through a StoredCollection (neutron/objects/rbac_db.py NeutronRbacObject). */
interface SharedObjectSpec {
  /** Its `object_type`. */
  readonly name: string;
  readonly table: SharedRbacTable;
  readonly objectTable: 'address_scopes' | 'subnetpools' | 'address_groups' | 'securitygroups';
  readonly notFound: (id: string) => string;
  /** The projects whose objects use it (get_bound_project_ids): an address scope's pools', a pool's subnets'. */
  boundProjects(tx: Tx, id: string): Promise<string[]>;
  /** What else a new entry needs (a pool's address scope shared with the target). */
  checkCreate?(tx: Tx, id: string, target: string): Promise<void>;
}

function sharedObjectType(spec: SharedObjectSpec): ObjectType {
  /** The object an entry is about, which a caller other than an admin must own. */
  const owned = async (tx: Tx, ctx: RequestContext, id: string): Promise<{ id: string; project_id: string }> => {
    const object = await tx.selectFrom(spec.objectTable).select(['id', 'project_id']).where('id', '=', id).executeTakeFirst();
    if (object === undefined) throw new InvalidInput(spec.notFound(id));
    if (!owns(ctx, object)) throw new InvalidInput('Only admins can manipulate policies on objects they do not own');
    return object;
  };
  /**
   * An entry the objects of its target still need stays (_validate_rbac_policy_delete):
   * a project's, unless a '*' entry remains; the '*' one, while projects
   * without an entry of their own use the object. The owner needs no entry.
   */
  const checkNotInUse = async (tx: Tx, object: { id: string; project_id: string }, target: string): Promise<void> => {
    if (target === object.project_id) return;
    const bound = new Set((await spec.boundProjects(tx, object.id)).filter((p) => p !== object.project_id));
    const entries = await tx.selectFrom(spec.table).select('target_project').where('object_id', '=', object.id).where('action', '=', ACCESS_SHARED).execute();
    const targets = new Set(entries.map((e) => e.target_project));
    const inUse = target === '*' ? [...bound].some((p) => !targets.has(p)) : !targets.has('*') && bound.has(target);
    if (inUse) throw new RbacPolicyInUse(object.id, `project_id=${target}`);
  };
  return {
    table: spec.table,
    behaviour: {
      async checkCreate(tx, ctx, item) {
        checkTarget(item.target_tenant);
        const object = await owned(tx, ctx, String(item.object_id));
        checkAction(spec.name, item.action, [ACCESS_SHARED]);
        await checkUnique(tx, spec.table, object.id, String(item.action), String(item.target_tenant));
        await spec.checkCreate?.(tx, object.id, String(item.target_tenant));
      },
      async checkUpdate(tx, ctx, current, changes) {
        if (!('target_tenant' in changes) || changes.target_tenant === current.target_tenant) return;
        checkTarget(changes.target_tenant);
        const object = await owned(tx, ctx, String(current.object_id));
        await checkUnique(tx, spec.table, object.id, String(current.action), String(changes.target_tenant));
        // Widening the entry to '*' takes access from no one (validate_rbac_policy_update).
        if (changes.target_tenant !== '*') await checkNotInUse(tx, object, String(current.target_tenant));
      },
      async checkDelete(tx, _ctx, current) {
        const object = await tx.selectFrom(spec.objectTable).select(['id', 'project_id']).where('id', '=', String(current.object_id)).executeTakeFirstOrThrow();
        await checkNotInUse(tx, object, String(current.target_tenant));
      },
    },
  };
}

/** Address scopes: shared with a project, its subnet pools may use the scope. */
const addressScopes = sharedObjectType({
  name: 'address_scope',
  table: 'addressscoperbacs',
  objectTable: 'address_scopes',
  notFound: (id) => `Address scope ${id} could not be found`,
  boundProjects: async (tx, id) =>
    (await tx.selectFrom('subnetpools').select('project_id').distinct().where('address_scope_id', '=', id).execute()).map((p) => p.project_id),
});

/** Subnet pools: shared with a project, its subnets may take blocks from the pool (which it must see the address scope of). */
const subnetPools = sharedObjectType({
  name: 'subnetpool',
  table: 'subnetpoolrbacs',
  objectTable: 'subnetpools',
  notFound: (id) => `Subnet pool ${id} could not be found.`,
  boundProjects: async (tx, id) => (await tx.selectFrom('subnets').select('project_id').distinct().where('subnetpool_id', '=', id).execute()).map((s) => s.project_id),
  async checkCreate(tx, id, target) {
    const pool = await tx.selectFrom('subnetpools').select('address_scope_id').where('id', '=', id).executeTakeFirstOrThrow();
    if (pool.address_scope_id === null) return;
    const access = await tx
      .selectFrom('addressscoperbacs')
      .select('id')
      .where('object_id', '=', pool.address_scope_id)
      .where('target_project', 'in', ['*', target])
      .executeTakeFirst();
    if (access === undefined) {
      throw new InvalidInput(`Failed to create RBAC policy on object ${id} because target project doesn't have access to associated address scope.`);
    }
  },
});

/** Security groups: shared with a project, its ports may use the group. */
const securityGroups = sharedObjectType({
  name: 'security_group',
  table: 'securitygrouprbacs',
  objectTable: 'securitygroups',
  notFound: (id) => `Security group ${id} does not exist`,
  boundProjects: async (tx, id) =>
    (
      await tx
        .selectFrom('securitygroupportbindings')
        .innerJoin('ports', 'ports.id', 'securitygroupportbindings.port_id')
        .select('ports.project_id')
        .distinct()
        .where('securitygroupportbindings.security_group_id', '=', id)
        .execute()
    ).map((p) => p.project_id),
});

/** Address groups: shared with a project, its security group rules may name the group as their remote end. */
const addressGroups = sharedObjectType({
  name: 'address_group',
  table: 'addressgrouprbacs',
  objectTable: 'address_groups',
  notFound: (id) => `Address group ${id} could not be found.`,
  boundProjects: async (tx, id) =>
    (await tx.selectFrom('securitygrouprules').select('project_id').distinct().where('remote_address_group_id', '=', id).execute()).map((r) => r.project_id),
});

/** The object types this build shares (neutron/db/rbac_db_models.py), by their name in `object_type`. */
const OBJECT_TYPES: Readonly<Record<string, ObjectType>> = {
  network: networks,
  address_scope: addressScopes,
  subnetpool: subnetPools,
  address_group: addressGroups,
  security_group: securityGroups,
};

/** neutron/extensions/rbac.py convert_valid_object_type. */
function objectTypeOf(value: unknown): string {
  const normalized = String(value).trim().toLowerCase();
  if (!Object.hasOwn(OBJECT_TYPES, normalized)) throw new InvalidInput(`'${String(value)}' is not a valid RBAC object type`);
  return normalized;
}

interface TypeCollection {
  readonly table: RbacTable;
  readonly collection: StoredCollection;
}

/**
 * `/v2.0/rbac-policies` (neutron/db/rbac_db_mixin.py): one table of entries
 * per object type, each served by a StoredCollection; a list is theirs one
 * after the other (limit and marker apply to the whole), an entry is found in
 * the table that holds its id. Entries show their `object_type`.
 */
export class RbacPolicyService implements Collection {
  readonly pluginFilters: ReadonlyMap<string, FilterCondition>;
  private readonly types: ReadonlyMap<string, TypeCollection>;

  constructor(private readonly deps: CoreDeps) {
    const declaration = deps.api.resource('rbac-policies');
    this.types = new Map(
      Object.entries(OBJECT_TYPES).map(([name, type]) => {
        const filters = new Map<string, FilterCondition>([
          ['object_type', (values) => (eb) => eb.lit(values.some((v) => String(v).trim().toLowerCase() === name))],
        ]);
        const collection = new StoredCollection(deps, { ...declaration, table: type.table }, { ...type.behaviour, pluginFilters: filters });
        return [name, { table: type.table, collection }];
      }),
    );
    this.pluginFilters = this.types.get('network')!.collection.pluginFilters;
  }

  async list(ctx: RequestContext, query: ListRequest): Promise<ApiObject[]> {
    const all: ApiObject[] = [];
    for (const [name, type] of this.types) {
      all.push(...withType(name, await type.collection.list(ctx, { ...query, limit: undefined, marker: undefined, pageReverse: false })));
    }
    return page(all, query);
  }

  async show(ctx: RequestContext, id: string): Promise<ApiObject> {
    const [name, type] = await this.typeOf(id);
    return withType(name, [await type.collection.show(ctx, id)])[0]!;
  }

  async create(ctx: RequestContext, items: readonly ApiObject[]): Promise<ApiObject[]> {
    const names = items.map((item) => objectTypeOf(item.object_type));
    const created: ApiObject[] = [];
    try {
      // A bulk request of one object type is one transaction; of several, the entries made are undone when a later type fails.
      for (const name of new Set(names)) {
        const ofType = items.filter((_, i) => names[i] === name).map((item) => ({ ...item, object_type: name }));
        created.push(...withType(name, await this.types.get(name)!.collection.create(ctx, ofType)));
      }
    } catch (err) {
      for (const entry of created) await this.delete(ctx, String(entry.id)).catch(() => undefined);
      throw err;
    }
    return orderLike(names, created);
  }

  async update(ctx: RequestContext, id: string, changes: ApiObject, expectedRevision?: number): Promise<ApiObject> {
    const [name, type] = await this.typeOf(id);
    return withType(name, [await type.collection.update(ctx, id, changes, expectedRevision)])[0]!;
  }

  async delete(ctx: RequestContext, id: string, expectedRevision?: number): Promise<void> {
    const [, type] = await this.typeOf(id);
    await type.collection.delete(ctx, id, expectedRevision);
  }

  /** The object type whose table holds the entry (Neutron's _get_object_type); RbacPolicyNotFound when none does. */
  private async typeOf(id: string): Promise<[string, TypeCollection]> {
    for (const [name, type] of this.types) {
      const row = await this.deps.db.selectFrom(type.table).select('id').where('id', '=', id).executeTakeFirst();
      if (row !== undefined) return [name, type];
    }
    throw resourceNotFound(this.deps.api.resource('rbac-policies'), id);
  }
}

function withType(name: string, entries: ApiObject[]): ApiObject[] {
  for (const entry of entries) entry.object_type = name;
  return entries;
}

/** A bulk create's entries in the order they were asked for (they are created type by type). */
function orderLike(names: readonly string[], created: readonly ApiObject[]): ApiObject[] {
  const queues = new Map<string, ApiObject[]>();
  for (const entry of created) {
    const queue = queues.get(String(entry.object_type)) ?? [];
    queue.push(entry);
    queues.set(String(entry.object_type), queue);
  }
  return names.map((name) => queues.get(name)!.shift()!);
}

/** limit, marker and page_reverse over the entries of every type together. */
function page(all: ApiObject[], query: ListRequest): ApiObject[] {
  let from = 0;
  let to = all.length;
  if (query.marker !== undefined) {
    const at = all.findIndex((entry) => entry.id === query.marker);
    if (at < 0) throw new MarkerNotFound(query.marker);
    if (query.pageReverse) to = at;
    else from = at + 1;
  }
  if (query.limit !== undefined && query.limit > 0) {
    if (query.pageReverse) from = Math.max(from, to - query.limit);
    else to = Math.min(to, from + query.limit);
  }
  return all.slice(from, to);
}
