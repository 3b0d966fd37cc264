/**
 * The `rbac-policies` collection (neutron/db/rbac_db_mixin.py) for networks
 * (neutron/db/db_base_plugin_v2.py, neutron/db/external_net_db.py): entries
 * of the networkrbacs table, created by the network's owner or an admin.
 * access_as_shared lets the target project see the network and its subnets
 * and put ports on it; access_as_external makes the network external to it.
 * An entry the target's ports still need stays (RbacPolicyInUse). Every
 * change is a change to the network too (its revision_number moves).
 */
import type { RequestContext } from '../../common/context.js';
import { InvalidInput, InvalidSharedSetting, NeutronError } from '../../common/errors.js';
import type { Tx } from '../../db/schema.js';
import type { ApiObject } from '../collection.js';
import type { CoreDeps } from '../core/deps.js';
import type { FilterCondition } from '../core/listRows.js';
import { makeInternal, namedTargets, projectPortsDependOn, wildcardEntry } from '../core/networkRbac.js';
import { nextRevision } from '../core/revision.js';
import { StoredCollection } from '../core/storedCollection.js';
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

/** The object types this build shares, with the actions each accepts. */
const VALID_ACTIONS: Readonly<Record<string, readonly string[]>> = { network: [ACCESS_SHARED, ACCESS_EXTERNAL] };

/** neutron/extensions/rbac.py convert_valid_object_type. */
function objectTypeOf(value: unknown): string {
  const normalized = String(value).trim().toLowerCase();
  if (!Object.hasOwn(VALID_ACTIONS, normalized)) throw new InvalidInput(`'${String(value)}' is not a valid RBAC object type`);
  return normalized;
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

/** The network an entry is about, which a caller other than an admin must own. */
async function ownedNetwork(tx: Tx, ctx: RequestContext, networkId: string): Promise<NetworkOwner> {
  const network = await tx.selectFrom('networks').select(['id', 'project_id', 'name']).where('id', '=', networkId).executeTakeFirst();
  if (network === undefined) throw new InvalidInput(`Network ${networkId} could not be found.`);
  if (!owns(ctx, network)) throw new InvalidInput('Only admins can manipulate policies on networks they do not own');
  return network;
}

async function checkUnique(tx: Tx, objectId: string, action: string, target: string): Promise<void> {
  const same = await tx
    .selectFrom('networkrbacs')
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
 * routers of projects without an entry of their own (nor `newTarget`, the
 * project an update gives the entry to).
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
    const allowed = [...(await namedTargets(tx, networkId, ACCESS_EXTERNAL)), ...(newTarget === undefined ? [] : [newTarget])];
    if (allowed.length > 0) routers = routers.where('routers.project_id', 'not in', allowed);
  }
  if ((await routers.limit(1).executeTakeFirst()) !== undefined) {
    throw new RbacPolicyInUse(networkId, 'There are routers attached to this network that depend on this policy for access.');
  }
}

const bumpNetwork = (tx: Tx, networkId: string) => tx.updateTable('networks').set(nextRevision()).where('id', '=', networkId).execute();

export function rbacPolicyService(deps: CoreDeps): StoredCollection {
  // Every entry of networkrbacs is about a network; target_project is target_tenant's newer name.
  deps.extenders.of('rbac_policy').push(async (_db, objects) => new Map(objects.map((o) => [String(o.id), { object_type: 'network', target_project: o.target_tenant }])));
  const pluginFilters = new Map<string, FilterCondition>([
    ['object_type', (values) => (eb) => eb.lit(values.some((v) => String(v).trim().toLowerCase() === 'network'))],
    ['target_project', (values) => (eb) => eb('networkrbacs.target_project', 'in', values.map(String))],
  ]);
  return new StoredCollection(deps, deps.api.resource('rbac-policies'), {
    pluginFilters,
    async checkCreate(tx, ctx, item) {
      const objectType = objectTypeOf(item.object_type);
      checkTarget(item.target_tenant);
      const network = await ownedNetwork(tx, ctx, String(item.object_id));
      const action = String(item.action);
      const valid = VALID_ACTIONS[objectType]!;
      if (!valid.includes(action)) throw new InvalidActionForType(action, objectType, valid);
      await checkUnique(tx, network.id, action, String(item.target_tenant));
      // An entry external to a project makes the network external (without a '*' entry).
      if (action === ACCESS_EXTERNAL) await tx.updateTable('networks').set({ router_external: 1 }).where('id', '=', network.id).execute();
      await bumpNetwork(tx, network.id);
    },
    async checkUpdate(tx, ctx, current, changes) {
      if (!('target_tenant' in changes) || changes.target_tenant === current.target_tenant) return;
      checkTarget(changes.target_tenant);
      const network = await ownedNetwork(tx, ctx, String(current.object_id));
      await checkUnique(tx, network.id, String(current.action), String(changes.target_tenant));
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
  });
}
