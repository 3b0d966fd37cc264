/**
 * The `subnetpools` collection (neutron/db/db_base_plugin_v2.py
 * create/update/delete_subnetpool, add_prefixes, remove_prefixes): rows of
 * `subnetpools` served by StoredCollection, their prefixes in
 * `subnetpoolprefixes`. What is the pools' own:
 * - prefixes are merged and of one IP version, the prefix lengths bounded
 *   (poolValues.ts); an update may only add addresses, remove_prefixes only
 *   takes away what no subnet uses;
 * - one `is_default` pool per IP version;
 * - a pool's address scope is one the caller sees, of the pool's version,
 *   whose other pools it does not overlap; a pool in a scope of another
 *   project's is changed by admins only;
 * - a pool that subnets were taken from stays;
 * - onboard_network_subnets (subnet_onboard) moves a network's subnets of
 *   the pool's version into it, their CIDRs added to its prefixes, in the
 *   pool update's transaction and through its checks.
 */
import type { RequestContext } from '../../common/context.js';
import { BadRequest, InvalidInput, NetworkNotFound, NotAuthorized, resourceNotFound } from '../../common/errors.js';
import type { Db, Tx } from '../../db/schema.js';
import { addressScopeSharing } from '../addressscopes/addressScopes.js';
import { formatCidr } from '../ipam/cidr.js';
import { cidrsOf, compactCidrs, difference, intersects, rangeSetOf } from '../ipam/cidrSet.js';
import type { ApiObject } from '../collection.js';
import { groupByParent } from '../core/children.js';
import type { CoreDeps } from '../core/deps.js';
import { nextRevision } from '../core/revision.js';
import { StoredCollection } from '../core/storedCollection.js';
import { networkAccess } from '../core/visibility.js';
import {
  AddressScopePrefixConflict,
  IllegalSubnetPoolIpVersionAssociationToAddressScope,
  IllegalSubnetPoolPrefixUpdate,
  IllegalSubnetPoolUpdate,
  NetworkAddressScopeAffinityError,
  SubnetPoolDeleteError,
} from './errors.js';
import { checkPrefixesGrow, parsePrefixes, type PoolValues, resolvePool } from './poolValues.js';
import { subnetPoolSharing } from './sharing.js';
import { lockSubnetPool } from './subnetAllocator.js';

const PREFIXLEN_ATTRIBUTES = ['default_prefixlen', 'min_prefixlen', 'max_prefixlen'] as const;

/** An onboarding under way: the network whose subnets move in, and those that did (filled in the transaction). */
interface Onboarding {
  readonly kind: 'onboard';
  readonly networkId: string;
  onboarded: ApiObject[];
}

/**
 * What a prefix action asks of the pool's prefixes. The new prefixes are
 * computed in the update's transaction, under the pool's lock, from its
 * prefixes as they are then: two actions at once never lose one another's
 * prefixes, and an allocation from the pool waits.
 */
type PrefixChange = { readonly kind: 'add'; readonly prefixes: readonly string[] } | { readonly kind: 'remove'; readonly prefixes: readonly string[] } | Onboarding;

const optionalNumber = (value: unknown): number | undefined => (value === undefined ? undefined : Number(value));

/** The subnet pools collection (`collection`), with the checks and storage behind it and its prefix actions. */
export class SubnetPoolService {
  readonly collection: StoredCollection;
  /** The updates made by the prefix actions, with what each asks. */
  private readonly prefixChanges = new WeakMap<ApiObject, PrefixChange>();

  constructor(private readonly deps: CoreDeps) {
    this.collection = new StoredCollection(deps, deps.api.resource('subnetpools'), {
      completeCreate: (tx, ctx, item) => this.completeCreate(tx, ctx, item),
      completeUpdate: (tx, ctx, current, changes) => this.completeUpdate(tx, ctx, current, changes),
      ...subnetPoolSharing.behaviour,
      storeRelated: async (tx, id, values, ctx) => {
        await storePrefixes(tx, id, values);
        if (values.shared === true) await subnetPoolSharing.share(tx, ctx, id);
      },
      checkDelete: async (tx, _ctx, current) => {
        const used = await tx.selectFrom('subnets').select('id').where('subnetpool_id', '=', String(current.id)).executeTakeFirst();
        if (used !== undefined) throw new SubnetPoolDeleteError('Subnet pool has existing allocations');
      },
      actions: {
        add_prefixes: (ctx, id, body) => this.addPrefixes(ctx, id, body),
        remove_prefixes: (ctx, id, body) => this.removePrefixes(ctx, id, body),
        onboard_network_subnets: (ctx, id, body) => this.onboardNetworkSubnets(ctx, id, body),
      },
    });
    deps.extenders.of('subnetpool').push(presentPools);
  }

  private async completeCreate(tx: Tx, ctx: RequestContext, item: ApiObject): Promise<ApiObject> {
    const pool = resolvePool(item.prefixes as string[], {
      defaultPrefixlen: optionalNumber(item.default_prefixlen),
      minPrefixlen: optionalNumber(item.min_prefixlen),
      maxPrefixlen: optionalNumber(item.max_prefixlen),
    });
    if (item.is_default === true) await checkNoDefaultPool(tx, pool.ipVersion);
    await this.checkAddressScope(tx, ctx, item.address_scope_id, undefined, pool);
    return { default_quota: null, ...item, ...poolColumns(pool) };
  }

  private async completeUpdate(tx: Tx, ctx: RequestContext, current: ApiObject, requested: ApiObject): Promise<ApiObject> {
    const id = String(current.id);
    let had = current.prefixes as string[];
    const action = this.prefixChanges.get(requested);
    let changes = requested;
    if (action !== undefined) {
      if (!(await lockSubnetPool(tx, id))) throw resourceNotFound(this.deps.api.resource('subnetpools'), id);
      had = (await tx.selectFrom('subnetpoolprefixes').select('cidr').where('subnetpool_id', '=', id).execute()).map((p) => p.cidr);
      if (action.kind === 'remove') {
        // remove_prefixes changes nothing else, and may leave the pool empty (Neutron stores the rest as it is).
        const prefixes = parsePrefixes(had);
        const kept = cidrsOf(difference(rangeSetOf(prefixes), rangeSetOf(parsePrefixes(action.prefixes))), prefixes[0]!.version).map(formatCidr);
        await checkRemovedUnused(tx, id, had, kept);
        return { prefixes: kept.length === 0 ? kept : resolvePool(kept, {}).prefixes };
      }
      if (action.kind === 'onboard') action.onboarded = await subnetsToOnboard(tx, id, Number(current.ip_version), action.networkId);
      const added = action.kind === 'add' ? action.prefixes : action.onboarded.map((subnet) => String(subnet.cidr));
      changes = { prefixes: [...had, ...added] };
    }
    if (changes.prefixes !== undefined) checkPrefixesGrow(had, changes.prefixes as string[]);
    const pool = resolvePool((changes.prefixes as string[] | undefined) ?? had, {
      defaultPrefixlen: Number(changes.default_prefixlen ?? current.default_prefixlen),
      minPrefixlen: Number(changes.min_prefixlen ?? current.min_prefixlen),
      maxPrefixlen: Number(changes.max_prefixlen ?? current.max_prefixlen),
    });
    if (changes.is_default === true && current.is_default !== true) await checkNoDefaultPool(tx, pool.ipVersion);
    const scopeBefore = current.address_scope_id as string | null;
    if (scopeBefore !== null) await this.checkScopeOwner(tx, ctx, id, scopeBefore);
    const scope = 'address_scope_id' in changes ? changes.address_scope_id : scopeBefore;
    await this.checkAddressScope(tx, ctx, scope, id, pool);
    // After the checks, which look at the pool's subnets as they were (as update_subnetpool runs before the move upstream).
    if (action?.kind === 'onboard') await moveIntoPool(tx, id, action.onboarded);
    const { prefixes, ...columns } = poolColumns(pool);
    return { ...changes, ...columns, ...(changes.prefixes !== undefined ? { prefixes } : {}) };
  }

  /** Neutron's _validate_address_scope_id. */
  private async checkAddressScope(tx: Tx, ctx: RequestContext, scopeId: unknown, poolId: string | undefined, pool: PoolValues): Promise<void> {
    if (typeof scopeId !== 'string') return;
    const scope = await this.visibleScope(tx, ctx, scopeId);
    if (scope.ip_version !== pool.ipVersion) {
      throw new IllegalSubnetPoolIpVersionAssociationToAddressScope(poolId ?? '', scopeId, scope.ip_version);
    }
    if (poolId !== undefined) await checkNetworkScopeAffinity(tx, poolId, pool.ipVersion);
    const others = await tx
      .selectFrom('subnetpoolprefixes')
      .innerJoin('subnetpools', 'subnetpools.id', 'subnetpoolprefixes.subnetpool_id')
      .select('subnetpoolprefixes.cidr')
      .where('subnetpools.address_scope_id', '=', scopeId)
      .$if(poolId !== undefined, (q) => q.where('subnetpools.id', '!=', poolId!))
      .execute();
    if (intersects(rangeSetOf(parsePrefixes(pool.prefixes)), rangeSetOf(parsePrefixes(others.map((o) => o.cidr))))) {
      throw new AddressScopePrefixConflict();
    }
  }

  /** A pool in another project's (shared) scope is changed by admins only (_check_subnetpool_update_allowed). */
  private async checkScopeOwner(tx: Tx, ctx: RequestContext, poolId: string, scopeId: string): Promise<void> {
    const scope = await this.visibleScope(tx, ctx, scopeId);
    if (!ctx.isAdmin && scope.project_id !== ctx.projectId) {
      throw new IllegalSubnetPoolUpdate(`subnetpool ${poolId} cannot be updated when associated with shared address scope ${scopeId}`);
    }
  }

  private async visibleScope(tx: Tx, ctx: RequestContext, scopeId: string) {
    const scope = await tx.selectFrom('address_scopes').selectAll().where('id', '=', scopeId).executeTakeFirst();
    if (scope === undefined || !(ctx.isAdmin || scope.project_id === ctx.projectId || (await addressScopeSharing.sharedWith(tx, ctx, scopeId)))) {
      throw resourceNotFound(this.deps.api.resource('address-scopes'), scopeId);
    }
    return scope;
  }

  /** Runs a prefix action as an update of the pool (its checks, policy and revision). */
  private async changePrefixes(ctx: RequestContext, id: string, change: PrefixChange): Promise<ApiObject> {
    const changes: ApiObject = {};
    this.prefixChanges.set(changes, change);
    return this.collection.update(ctx, id, changes);
  }

  private async addPrefixes(ctx: RequestContext, id: string, body: ApiObject): Promise<ApiObject> {
    const updated = await this.changePrefixes(ctx, id, { kind: 'add', prefixes: requestedPrefixes(body) });
    return { prefixes: updated.prefixes };
  }

  private async onboardNetworkSubnets(ctx: RequestContext, id: string, body: ApiObject): Promise<readonly ApiObject[]> {
    const onboarding: Onboarding = { kind: 'onboard', networkId: await checkOnboardedNetwork(this.deps.db, ctx, body.network_id), onboarded: [] };
    await this.changePrefixes(ctx, id, onboarding);
    return onboarding.onboarded;
  }

  private async removePrefixes(ctx: RequestContext, id: string, body: ApiObject): Promise<ApiObject> {
    const removed = requestedPrefixes(body);
    const pool = await this.collection.show(ctx, id);
    // Nothing of the pool's: nothing changes, not even the revision.
    if (!intersects(rangeSetOf(parsePrefixes(pool.prefixes as string[])), rangeSetOf(parsePrefixes(removed)))) return { prefixes: pool.prefixes };
    const updated = await this.changePrefixes(ctx, id, { kind: 'remove', prefixes: removed });
    return { prefixes: updated.prefixes };
  }
}

/**
 * Neutron's onboard_network_subnets: `network_id` must be given and name a
 * network the caller sees, and a non-admin must own it (else 403
 * NotAuthorized); the pool is changed as an update of its prefixes, with
 * the update's checks (address scope overlap and network affinity, a pool
 * in another project's shared scope). Answers the onboarded subnets' ids
 * and CIDRs, a bare list.
 */
async function checkOnboardedNetwork(db: Db, ctx: RequestContext, networkId: unknown): Promise<string> {
  if (typeof networkId !== 'string') throw new InvalidInput('network_id must be specified.');
  const network = await db.selectFrom('networks').select('project_id').where('id', '=', networkId).executeTakeFirst();
  if (network === undefined) throw new NetworkNotFound(networkId);
  if (!ctx.isAdmin && network.project_id !== ctx.projectId) {
    if ((await networkAccess(db, ctx, networkId)).size === 0) throw new NetworkNotFound(networkId);
    throw new NotAuthorized();
  }
  return networkId;
}

/** The network's subnets of the pool's version; none may overlap a subnet already allocated from the pool (_onboard_network_subnets). */
async function subnetsToOnboard(tx: Tx, poolId: string, ipVersion: number, networkId: string): Promise<ApiObject[]> {
  const subnets = await tx
    .selectFrom('subnets')
    .select(['id', 'cidr'])
    .where('network_id', '=', networkId)
    .where('ip_version', '=', ipVersion)
    .orderBy('id')
    .execute();
  const allocated = rangeSetOf(parsePrefixes((await tx.selectFrom('subnets').select('cidr').where('subnetpool_id', '=', poolId).execute()).map((s) => s.cidr)));
  for (const subnet of subnets) {
    if (intersects(rangeSetOf(parsePrefixes([subnet.cidr])), allocated)) {
      throw new IllegalSubnetPoolUpdate(`Onboarding subnet ${subnet.id}: ${subnet.cidr} conflicts with allocated prefixes in subnet pool ${poolId}`);
    }
  }
  return subnets.map((subnet) => ({ id: subnet.id, cidr: subnet.cidr }));
}

/** The onboarded subnets now come from the pool: a new revision each, as Neutron's subnet.update() gives them. */
async function moveIntoPool(tx: Tx, poolId: string, subnets: readonly ApiObject[]): Promise<void> {
  if (subnets.length === 0) return;
  await tx
    .updateTable('subnets')
    .set({ subnetpool_id: poolId, ...nextRevision() })
    .where(
      'id',
      'in',
      subnets.map((subnet) => String(subnet.id)),
    )
    .execute();
}

/** subnetpool_prefix_ops.get_operation_request_body: a non-empty list of prefixes. */
function requestedPrefixes(body: ApiObject): string[] {
  const prefixes = body.prefixes;
  if (!Array.isArray(prefixes) || prefixes.length === 0) throw new BadRequest('Request body contains invalid data');
  return prefixes as string[];
}

function poolColumns(pool: PoolValues): ApiObject {
  return {
    ip_version: pool.ipVersion,
    prefixes: pool.prefixes,
    default_prefixlen: pool.defaultPrefixlen,
    min_prefixlen: pool.minPrefixlen,
    max_prefixlen: pool.maxPrefixlen,
  };
}

/** Neutron's _check_default_subnetpool_exists. */
async function checkNoDefaultPool(tx: Tx, ipVersion: number): Promise<void> {
  const existing = await tx.selectFrom('subnetpools').select('id').where('is_default', '=', 1).where('ip_version', '=', ipVersion).executeTakeFirst();
  if (existing !== undefined) {
    throw new InvalidInput('A default subnetpool for this IP family has already been set. Only one default may exist per IP family');
  }
}

/**
 * Scoping a pool scopes its subnets: every other subnet of their version on
 * their networks must come from it too (_check_subnetpool_address_scope_network_affinity).
 */
async function checkNetworkScopeAffinity(tx: Tx, poolId: string, ipVersion: number): Promise<void> {
  const stray = await tx
    .selectFrom('subnets')
    .select('id')
    .where('ip_version', '=', ipVersion)
    .where('network_id', 'in', (eb) => eb.selectFrom('subnets as pooled').select('pooled.network_id').where('pooled.subnetpool_id', '=', poolId))
    .where((eb) => eb.or([eb('subnetpool_id', 'is', null), eb('subnetpool_id', '!=', poolId)]))
    .executeTakeFirst();
  if (stray !== undefined) throw new NetworkAddressScopeAffinityError();
}

/** remove_prefixes: none of what goes may hold a subnet of the pool. */
async function checkRemovedUnused(tx: Tx, poolId: string, had: readonly string[], kept: readonly string[]): Promise<void> {
  const removed = difference(rangeSetOf(parsePrefixes(had)), rangeSetOf(parsePrefixes(kept)));
  const subnets = await tx.selectFrom('subnets').select('cidr').where('subnetpool_id', '=', poolId).execute();
  if (intersects(removed, rangeSetOf(parsePrefixes(subnets.map((s) => s.cidr))))) {
    throw new IllegalSubnetPoolPrefixUpdate('One or more the prefixes to be removed is in use by a subnet');
  }
}

async function storePrefixes(tx: Tx, id: string, values: ApiObject): Promise<void> {
  if (values.prefixes === undefined) return;
  await tx.deleteFrom('subnetpoolprefixes').where('subnetpool_id', '=', id).execute();
  const prefixes = values.prefixes as string[];
  if (prefixes.length > 0) await tx.insertInto('subnetpoolprefixes').values(prefixes.map((cidr) => ({ cidr, subnetpool_id: id }))).execute();
}

/** Each pool's prefixes, in address order, and its prefix lengths as Neutron shows them: strings. */
async function presentPools(db: Db, objects: readonly ApiObject[]): Promise<ReadonlyMap<string, ApiObject>> {
  const ids = objects.map((o) => String(o.id));
  const prefixes = await groupByParent(
    ids,
    (chunk) => db.selectFrom('subnetpoolprefixes').select(['subnetpool_id', 'cidr']).where('subnetpool_id', 'in', chunk).execute(),
    (row) => row.subnetpool_id,
  );
  return new Map(
    objects.map((object) => {
      const cidrs = parsePrefixes((prefixes.get(String(object.id)) ?? []).map((row) => row.cidr));
      const extra: ApiObject = { prefixes: cidrs.length === 0 ? [] : compactCidrs(cidrs, cidrs[0]!.version).map(formatCidr) };
      for (const name of PREFIXLEN_ATTRIBUTES) extra[name] = String(object[name]);
      return [String(object.id), extra];
    }),
  );
}
