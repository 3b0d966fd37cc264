/**
 * A subnet's CIDR taken from a subnet pool, as Neutron's SubnetAllocator
 * does (neutron/ipam/subnet_alloc.py, ipam/requests.py SubnetRequestFactory):
 *
 * - a request names a CIDR (which must lie in a free block of the pool), or
 *   a gateway (the CIDR is its network at the requested or default prefix
 *   length), or neither: then the pool picks the first free block of
 *   `prefixlen` (the pool's default_prefixlen when absent), smallest free
 *   blocks first, and its gateway is the block's first address + 1;
 * - the prefix length must lie within the pool's min and max;
 * - the pool's default_quota (addresses: /32s of IPv4, /64s of IPv6) bounds
 *   what each project holds in the pool. Neutron counts the pool owner's
 *   subnets whoever asks; Nucleon counts the asking project's, which is what
 *   the quota is documented to be ("per-project").
 *
 * Allocations from one pool happen one at a time: the first statement
 * updates the pool's `hash`, which holds the row's lock until the
 * transaction ends, so a concurrent allocation (of this or another server
 * process) waits and then, under READ COMMITTED (MariaDB, PostgreSQL) or
 * SQLite's single writer, reads the subnets the first one committed.
 */
import type { RequestContext } from '../../common/context.js';
import { resourceNotFound } from '../../common/errors.js';
import { newId } from '../../common/ids.js';
import type { Tx } from '../../db/schema.js';
import type { ResourceDecl } from '../../resources/types.js';
import { formatIp } from '../ipam/address.js';
import { type Cidr, cidrOf, formatCidr, parseCidr } from '../ipam/cidr.js';
import { availableBlocks, firstFreeBlock, isFree } from '../ipam/cidrSet.js';
import type { IpVersion } from '../ipam/types.js';
import {
  MaxPrefixSubnetAllocationError,
  MinPrefixSubnetAllocationError,
  ResourceBadRequest,
  SubnetAllocationError,
  SubnetPoolQuotaExceeded,
} from './errors.js';
import { parsePrefixes } from './poolValues.js';
import { sharedPools, subnetPoolSharing } from './sharing.js';

/** What a subnet create asks of a pool. */
export interface PoolSubnetRequest {
  readonly projectId: string;
  readonly ipVersion: IpVersion;
  /** A specific CIDR. */
  readonly cidr?: string | undefined;
  readonly prefixlen?: number | undefined;
  /** Absent: the default; null: none. */
  readonly gatewayIp?: string | null | undefined;
}

export interface PoolSubnet {
  readonly cidr: string;
  /** What the subnet's gateway_ip request becomes (absent: the subnet's default). */
  readonly gatewayIp: string | null | undefined;
  /** The pool's address scope (the network's subnets of this version must share it). */
  readonly addressScopeId: string | null;
}

/** Addresses per quota unit: a pool's default_quota counts /32s of IPv4 and /64s of IPv6. */
const QUOTA_UNIT = { 4: 32, 6: 64 } as const satisfies Record<IpVersion, number>;

const unitsOf = (cidr: Cidr): number => 2 ** (QUOTA_UNIT[cidr.version] - cidr.prefixLen);

export class SubnetAllocator {
  constructor(private readonly pools: ResourceDecl) {}

  /**
   * The pool a subnet create asks for (Neutron's _get_subnetpool_id):
   * `subnetpool_id`, or with `use_default_subnetpool` the default pool of
   * the subnet's IP version that the caller sees; undefined for none.
   */
  async poolIdFor(tx: Tx, ctx: RequestContext, item: Readonly<Record<string, unknown>>, ipVersion: IpVersion): Promise<string | undefined> {
    const given = typeof item.subnetpool_id === 'string' ? item.subnetpool_id : undefined;
    const useDefault = item.use_default_subnetpool === true;
    if (useDefault && given !== undefined) {
      throw new ResourceBadRequest('subnets', 'subnetpool_id and use_default_subnetpool cannot both be specified');
    }
    if (given !== undefined || !useDefault) return given;
    const pool = await tx
      .selectFrom('subnetpools')
      .select('id')
      .where('is_default', '=', 1)
      .where('ip_version', '=', ipVersion)
      .$if(!ctx.isAdmin, (q) => q.where((eb) => eb.or([eb('project_id', '=', ctx.projectId), eb('id', 'in', sharedPools(eb, ctx))])))
      .executeTakeFirst();
    if (pool === undefined) throw new ResourceBadRequest('subnets', `No default subnetpool found for IPv${ipVersion}`);
    return pool.id;
  }

  /** Takes the subnet's CIDR from the pool, inside the subnet's transaction. */
  async allocate(tx: Tx, ctx: RequestContext, poolId: string, request: PoolSubnetRequest): Promise<PoolSubnet> {
    const pool = await tx.selectFrom('subnetpools').selectAll().where('id', '=', poolId).executeTakeFirst();
    if (pool === undefined || !(ctx.isAdmin || pool.project_id === ctx.projectId || (await subnetPoolSharing.sharedWith(tx, ctx, poolId)))) {
      throw resourceNotFound(this.pools, poolId);
    }
    const version = pool.ip_version as IpVersion;
    if (request.ipVersion !== version) {
      throw new ResourceBadRequest('subnets', `Cannot allocate IPv${request.ipVersion} subnet from IPv${version} subnet pool`);
    }
    const specific = specificCidr(request, pool.default_prefixlen);
    const prefixlen = specific?.prefixLen ?? request.prefixlen ?? pool.default_prefixlen;
    if (prefixlen > pool.max_prefixlen) throw new MaxPrefixSubnetAllocationError(prefixlen, pool.max_prefixlen);
    if (prefixlen < pool.min_prefixlen) throw new MinPrefixSubnetAllocationError(prefixlen, pool.min_prefixlen);

    await this.lock(tx, poolId);
    const [prefixes, subnets] = await Promise.all([
      tx.selectFrom('subnetpoolprefixes').select('cidr').where('subnetpool_id', '=', poolId).execute(),
      tx.selectFrom('subnets').select(['cidr', 'project_id']).where('subnetpool_id', '=', poolId).execute(),
    ]);
    const allocated = subnets.map((s) => ({ cidr: parseCidr(s.cidr)!, projectId: s.project_id }));
    if (pool.default_quota) {
      const used = allocated.filter((s) => s.projectId === request.projectId).reduce((sum, s) => sum + unitsOf(s.cidr), 0);
      if (used + unitsOf({ version, network: 0n, prefixLen: prefixlen }) > pool.default_quota) throw new SubnetPoolQuotaExceeded();
    }
    const available = availableBlocks(parsePrefixes(prefixes.map((p) => p.cidr)), allocated.map((s) => s.cidr), version);
    const scope = pool.address_scope_id;
    if (specific !== undefined) {
      if (!isFree(available, specific)) throw new SubnetAllocationError('Cannot allocate requested subnet from the available set of prefixes');
      return { cidr: formatCidr(specific), gatewayIp: request.gatewayIp, addressScopeId: scope };
    }
    const block = firstFreeBlock(available, prefixlen);
    if (block === null) throw new SubnetAllocationError(`Insufficient prefix space to allocate subnet size /${prefixlen}`);
    const gatewayIp = request.gatewayIp === null ? null : formatIp(block.network + 1n, version);
    return { cidr: formatCidr(block), gatewayIp, addressScopeId: scope };
  }

  /** Neutron's _lock_subnetpool: the update waits for any allocation from the pool in progress. */
  private async lock(tx: Tx, poolId: string): Promise<void> {
    if (!(await lockSubnetPool(tx, poolId))) throw resourceNotFound(this.pools, poolId);
  }
}

/**
 * Takes the pool row's lock until the transaction ends (a new `hash`), as
 * every write that reads the pool's allocations does first; false when there
 * is no such pool.
 */
export async function lockSubnetPool(tx: Tx, poolId: string): Promise<boolean> {
  const result = await tx.updateTable('subnetpools').set({ hash: newId() }).where('id', '=', poolId).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** A request for a given CIDR, or for the network of a given gateway (SubnetRequestFactory); undefined for any. */
function specificCidr(request: PoolSubnetRequest, defaultPrefixlen: number): Cidr | undefined {
  if (request.cidr !== undefined) return parseCidr(request.cidr) ?? undefined;
  if (typeof request.gatewayIp !== 'string') return undefined;
  const gateway = parseCidr(request.gatewayIp);
  return gateway === null ? undefined : cidrOf({ version: gateway.version, value: gateway.network }, request.prefixlen ?? defaultPrefixlen);
}
