import type { Selectable } from 'kysely';

import type { RequestContext } from '../../common/context.js';
import { InvalidInput, InvalidInputSubnetServiceType, InvalidSubnetServiceType, NetworkNotFound, PolicyNotAuthorized, SubnetInUse, SubnetNotFound } from '../../common/errors.js';
import { newId } from '../../common/ids.js';
import { utcNow } from '../../common/time.js';
import type { Db, SubnetsTable, Tx } from '../../db/schema.js';
import { isAutoAddressSubnet } from '../ipam/addressModes.js';
import { parseSubnetCidr } from '../ipam/cidr.js';
import { NetworkAddressScopeAffinityError, NetworkSubnetPoolAffinityError, ResourceBadRequest } from '../subnetpools/errors.js';
import { SubnetAllocator } from '../subnetpools/subnetAllocator.js';
import { eui64Address } from '../ipam/eui64.js';
import {
  type ResolvedSubnet,
  resolveSubnetCreate,
  resolveSubnetUpdate,
  type SubnetUpdateRequest,
} from '../ipam/subnetRequest.js';
import type { AllocationPool, HostRoute, IpVersion, Ipv6Mode } from '../ipam/types.js';
import type { ApiObject, Collection, ListRequest } from '../collection.js';
import { groupByParent, loadTags } from './children.js';
import type { CoreDeps } from './deps.js';
import { type FilterCondition, listRows } from './listRows.js';
import { type StoredRows, storedRows } from './storedRows.js';
import { createAll, deleteOne, extend, updateOne } from './lifecycle.js';
import { checkRevision, nextRevision } from './revision.js';
import { ACCESS_SHARED, booleanFilter, networkAccess, networksGranting, owns, targetsOf, visibleSubnets } from './visibility.js';

type SubnetRow = Selectable<SubnetsTable>;


/** Ports that serve the subnet itself; their addresses do not keep it from being deleted. */
const SERVICE_OWNER = 'network:dhcp';
const ROUTER_OWNERS = ['network:router_interface', 'network:router_interface_distributed', 'network:router_gateway'];

export class SubnetService implements Collection {
  readonly keysetPaging = true;
  private readonly stored: StoredRows;
  readonly pluginFilters: ReadonlyMap<string, FilterCondition>;

  private readonly allocator: SubnetAllocator;

  constructor(private readonly deps: CoreDeps) {
    this.stored = storedRows(deps.api.resource('subnets'));
    this.allocator = new SubnetAllocator(deps.api.resource('subnetpools'));
    this.pluginFilters = deps.filters.of('subnet').set('shared', sharedFilter(undefined));
  }

  private get limits() {
    return { maxDnsNameservers: this.deps.options.maxDnsNameservers, maxHostRoutes: this.deps.options.maxSubnetHostRoutes };
  }

  async list(ctx: RequestContext, query: ListRequest): Promise<ApiObject[]> {
    const filters = new Map(this.pluginFilters).set('shared', sharedFilter(ctx));
    const rows = (await listRows(this.deps.db, this.stored.spec, query, visibleSubnets(ctx), filters)) as unknown as SubnetRow[];
    return this.present(rows);
  }

  async show(ctx: RequestContext, id: string): Promise<ApiObject> {
    const [subnet] = await this.present([await this.visibleRow(ctx, id)]);
    return subnet!;
  }

  create(ctx: RequestContext, items: readonly ApiObject[]): Promise<ApiObject[]> {
    return createAll(this.deps, ctx, 'subnet', items, (tx, item) => this.createOne(ctx, tx, item));
  }

  private async createOne(ctx: RequestContext, tx: Tx, item: ApiObject): Promise<ApiObject> {
    const networkId = String(item.network_id);
    const network = await tx.selectFrom('networks').selectAll().where('id', '=', networkId).executeTakeFirst();
    if (!network || !(owns(ctx, network) || (await networkAccess(tx, ctx, networkId)).size > 0)) {
      throw new NetworkNotFound(networkId);
    }
    if (!owns(ctx, network)) throw new PolicyNotAuthorized('create_subnet');
    const ipVersion = item.ip_version as IpVersion;
    const { poolId, cidr, gatewayIp } = await this.cidrOf(tx, ctx, item, ipVersion);

    const others = await tx.selectFrom('subnets').select(['cidr', 'ip_version', 'subnetpool_id']).where('network_id', '=', networkId).execute();
    const resolved = resolveSubnetCreate(
      {
        networkId,
        ipVersion,
        cidr,
        gatewayIp,
        allocationPools: item.allocation_pools as AllocationPool[] | undefined,
        enableDhcp: item.enable_dhcp !== false,
        ipv6RaMode: item.ipv6_ra_mode as Ipv6Mode | null,
        ipv6AddressMode: item.ipv6_address_mode as Ipv6Mode | null,
        dnsNameservers: item.dns_nameservers as string[],
        hostRoutes: item.host_routes as HostRoute[],
      },
      others.map((o) => o.cidr),
      this.limits,
    );
    if (poolId !== undefined || others.some((o) => o.subnetpool_id !== null)) {
      await checkNetworkPoolAffinity(tx, others.filter((o) => o.ip_version === ipVersion), poolId);
    }
    const now = utcNow();
    const row: SubnetRow = {
      id: newId(),
      project_id: String(item.project_id),
      name: String(item.name ?? ''),
      description: String(item.description ?? ''),
      revision_number: 0,
      created_at: now,
      updated_at: now,
      network_id: networkId,
      ip_version: resolved.ipVersion,
      cidr: resolved.cidr,
      gateway_ip: resolved.gatewayIp,
      enable_dhcp: resolved.enableDhcp ? 1 : 0,
      ipv6_ra_mode: resolved.ipv6RaMode,
      ipv6_address_mode: resolved.ipv6AddressMode,
      subnetpool_id: poolId ?? null,
      segment_id: null,
    };
    await tx.insertInto('subnets').values(row).execute();
    await writeSubnetDetails(tx, row.id, resolved, true);
    const serviceTypes = checkServiceTypes(item.service_types);
    await writeServiceTypes(tx, row.id, serviceTypes, true);
    if (isAutoAddressSubnet(resolved)) await addAutoAddresses(tx, row);
    await bumpNetwork(tx, networkId);
    return this.toApi(row, resolved.allocationPools, resolved.dnsNameservers, resolved.hostRoutes, [], serviceTypes);
  }

  /**
   * The subnet's CIDR: the request's, or one its subnet pool gives
   * (Neutron's _create_subnet_precommit, in its order of checks).
   */
  private async cidrOf(
    tx: Tx,
    ctx: RequestContext,
    item: ApiObject,
    ipVersion: IpVersion,
  ): Promise<{ poolId: string | undefined; cidr: string; gatewayIp: string | null | undefined }> {
    const cidr = item.cidr as string | undefined;
    const gatewayIp = item.gateway_ip as string | null | undefined;
    if (cidr !== undefined && item.prefixlen !== undefined) {
      throw new ResourceBadRequest('subnets', 'cidr and prefixlen must not be supplied together');
    }
    const poolId = await this.allocator.poolIdFor(tx, ctx, item, ipVersion);
    if (poolId === undefined) {
      if (cidr === undefined) throw new ResourceBadRequest('subnets', 'a subnetpool must be specified in the absence of a cidr');
      return { poolId, cidr, gatewayIp };
    }
    if (cidr === undefined && item.allocation_pools !== undefined) {
      throw new ResourceBadRequest('subnets', 'allocation_pools allowed only for specific subnet requests.');
    }
    // A CIDR of the wrong version is refused as without a pool, before the pool is asked.
    if (cidr !== undefined) parseSubnetCidr(cidr, ipVersion);
    const prefixlen = item.prefixlen as number | undefined;
    const taken = await this.allocator.allocate(tx, ctx, poolId, { projectId: String(item.project_id), ipVersion, cidr, prefixlen, gatewayIp });
    return { poolId, cidr: taken.cidr, gatewayIp: taken.gatewayIp };
  }

  async update(ctx: RequestContext, id: string, changes: ApiObject, expectedRevision?: number): Promise<ApiObject> {
    return updateOne(this.deps, ctx, 'subnet', changes, async (tx) => {
      const row = await this.ownedRow(ctx, id, 'update_subnet', tx);
      checkRevision(row.revision_number, expectedRevision);
      const [original] = await this.present([row], tx);
      const request: { -readonly [K in keyof SubnetUpdateRequest]: SubnetUpdateRequest[K] } = {};
      if ('gateway_ip' in changes) request.gatewayIp = changes.gateway_ip as string | null;
      if ('allocation_pools' in changes) request.allocationPools = changes.allocation_pools as AllocationPool[];
      if ('enable_dhcp' in changes) request.enableDhcp = changes.enable_dhcp as boolean;
      if ('dns_nameservers' in changes) request.dnsNameservers = changes.dns_nameservers as string[];
      if ('host_routes' in changes) request.hostRoutes = changes.host_routes as HostRoute[];
      const { subnet } = resolveSubnetUpdate(storedSubnet(row, original!), request, this.limits);
      if ('service_types' in changes) await writeServiceTypes(tx, id, checkServiceTypes(changes.service_types), false);
      await tx
        .updateTable('subnets')
        .set({
          ...('name' in changes ? { name: String(changes.name) } : {}),
          ...('description' in changes ? { description: String(changes.description) } : {}),
          gateway_ip: subnet.gatewayIp,
          enable_dhcp: subnet.enableDhcp ? 1 : 0,
          ...nextRevision(),
        })
        .where('id', '=', id)
        .execute();
      await writeSubnetDetails(tx, id, subnet, false);
      const [current] = await this.present([await this.row(id, tx)], tx);
      return { original: original!, current: current! };
    });
  }

  async delete(ctx: RequestContext, id: string, expectedRevision?: number): Promise<void> {
    let networkId = '';
    await deleteOne(
      this.deps,
      ctx,
      'subnet',
      async (tx) => {
        const row = await this.ownedRow(ctx, id, 'delete_subnet', tx);
        checkRevision(row.revision_number, expectedRevision);
        networkId = row.network_id;
        const users = await tx
          .selectFrom('ipallocations')
          .innerJoin('ports', 'ports.id', 'ipallocations.port_id')
          .select(['ports.id', 'ports.device_owner'])
          .where('ipallocations.subnet_id', '=', id)
          .execute();
        const autoAddressed = isAutoAddressSubnet({
          ipv6AddressMode: row.ipv6_address_mode as Ipv6Mode | null,
          ipv6RaMode: row.ipv6_ra_mode as Ipv6Mode | null,
        });
        // DHCP ports give their address back; on SLAAC subnets so does everyone but routers.
        const blocking = users.filter(
          (u) => u.device_owner !== SERVICE_OWNER && (ROUTER_OWNERS.includes(u.device_owner) || !autoAddressed),
        );
        if (blocking.length > 0) throw new SubnetInUse(id);
        const [current] = await this.present([row], tx);
        return current!;
      },
      async (tx) => {
        await tx.deleteFrom('ipallocations').where('subnet_id', '=', id).execute();
        await tx.deleteFrom('subnets').where('id', '=', id).execute();
        await tx.deleteFrom('tags').where('resource_id', '=', id).execute();
        await bumpNetwork(tx, networkId);
      },
    );
  }

  private async row(id: string, db: Db): Promise<SubnetRow> {
    const row = await db.selectFrom('subnets').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new SubnetNotFound(id);
    return row;
  }

  private async visibleRow(ctx: RequestContext, id: string, db: Db = this.deps.db): Promise<SubnetRow> {
    const row = await this.row(id, db);
    if (owns(ctx, row)) return row;
    if ((await networkAccess(db, ctx, row.network_id)).has(ACCESS_SHARED)) return row;
    throw new SubnetNotFound(id);
  }

  private async ownedRow(ctx: RequestContext, id: string, action: string, db: Db): Promise<SubnetRow> {
    const row = await this.visibleRow(ctx, id, db);
    if (!owns(ctx, row)) throw new PolicyNotAuthorized(action);
    return row;
  }

  private async present(rows: readonly SubnetRow[], db: Db = this.deps.db): Promise<ApiObject[]> {
    const ids = rows.map((r) => r.id);
    const [pools, nameservers, routes, serviceTypes, tags] = await Promise.all([
      groupByParent(
        ids,
        (chunk) => db.selectFrom('subnet_allocation_pools').selectAll().where('subnet_id', 'in', chunk).orderBy('id').execute(),
        (r) => r.subnet_id,
      ),
      groupByParent(
        ids,
        (chunk) => db.selectFrom('subnet_dns_nameservers').selectAll().where('subnet_id', 'in', chunk).orderBy('position').execute(),
        (r) => r.subnet_id,
      ),
      groupByParent(
        ids,
        (chunk) => db.selectFrom('subnet_routes').selectAll().where('subnet_id', 'in', chunk).execute(),
        (r) => r.subnet_id,
      ),
      groupByParent(
        ids,
        (chunk) => db.selectFrom('subnet_service_types').selectAll().where('subnet_id', 'in', chunk).orderBy('service_type').execute(),
        (r) => r.subnet_id,
      ),
      loadTags(db, ids),
    ]);
    const objects = rows.map((row) =>
      this.toApi(
        row,
        (pools.get(row.id) ?? []).map((p) => ({ start: p.first_ip, end: p.last_ip })),
        (nameservers.get(row.id) ?? []).map((n) => n.address),
        (routes.get(row.id) ?? []).map((r) => ({ destination: r.destination, nexthop: r.nexthop })),
        tags.get(row.id) ?? [],
        (serviceTypes.get(row.id) ?? []).map((r) => r.service_type),
      ),
    );
    return extend(this.deps, 'subnet', db, objects);
  }

  private toApi(
    row: SubnetRow,
    pools: readonly AllocationPool[],
    nameservers: readonly string[],
    routes: readonly HostRoute[],
    tags: string[],
    serviceTypes: readonly string[],
  ): ApiObject {
    const subnet = this.stored.toObject(row);
    subnet.allocation_pools = pools.map((p) => ({ start: p.start, end: p.end }));
    subnet.dns_nameservers = [...nameservers];
    subnet.host_routes = routes.map((r) => ({ destination: r.destination, nexthop: r.nexthop }));
    subnet.tags = tags;
    subnet.service_types = [...serviceTypes];
    return subnet;
  }
}

function storedSubnet(row: SubnetRow, presented: ApiObject) {
  return {
    id: row.id,
    ipVersion: row.ip_version as IpVersion,
    cidr: row.cidr,
    gatewayIp: row.gateway_ip,
    allocationPools: presented.allocation_pools as AllocationPool[],
    enableDhcp: row.enable_dhcp === 1,
    ipv6RaMode: row.ipv6_ra_mode as Ipv6Mode | null,
    ipv6AddressMode: row.ipv6_address_mode as Ipv6Mode | null,
    dnsNameservers: presented.dns_nameservers as string[],
    hostRoutes: presented.host_routes as HostRoute[],
  };
}

/** Pools, nameservers and routes; on update they are rewritten whole. */
async function writeSubnetDetails(tx: Tx, subnetId: string, subnet: ResolvedSubnet, fresh: boolean): Promise<void> {
  if (!fresh) {
    await tx.deleteFrom('subnet_allocation_pools').where('subnet_id', '=', subnetId).execute();
    await tx.deleteFrom('subnet_dns_nameservers').where('subnet_id', '=', subnetId).execute();
    await tx.deleteFrom('subnet_routes').where('subnet_id', '=', subnetId).execute();
  }
  if (subnet.allocationPools.length > 0) {
    await tx
      .insertInto('subnet_allocation_pools')
      .values(subnet.allocationPools.map((p) => ({ subnet_id: subnetId, first_ip: p.start, last_ip: p.end })))
      .execute();
  }
  if (subnet.dnsNameservers.length > 0) {
    await tx
      .insertInto('subnet_dns_nameservers')
      .values(subnet.dnsNameservers.map((address, position) => ({ subnet_id: subnetId, address, position })))
      .execute();
  }
  if (subnet.hostRoutes.length > 0) {
    await tx
      .insertInto('subnet_routes')
      .values(subnet.hostRoutes.map((r) => ({ subnet_id: subnetId, destination: r.destination, nexthop: r.nexthop })))
      .execute();
  }
}

/**
 * What neutron-lib's validate_subnet_service_types accepts: a device owner
 * prefix of DEVICE_OWNER_PREFIXES (`network:`, `neutron:`) or, as its
 * `prefixes += "compute:"` adds the string's characters one by one, any
 * type starting with one of `compute:`'s characters. Real Neutron accepts
 * `test:type_1` so (the upstream API tests use it), and so does Nucleon.
 */
const SERVICE_TYPE_PREFIXES = ['network:', 'neutron:', ...'compute:'];

/** neutron-lib's validate_subnet_service_types: strings naming a device owner; the list as given, duplicates dropped. */
function checkServiceTypes(value: unknown): string[] {
  const types = Array.isArray(value) ? (value as unknown[]) : [];
  for (const type of types) {
    if (typeof type !== 'string') throw new InvalidInputSubnetServiceType(typeof type === 'object' ? JSON.stringify(type) : String(type));
    if (!SERVICE_TYPE_PREFIXES.some((prefix) => type.startsWith(prefix))) throw new InvalidSubnetServiceType(type);
    // Stored in 255 characters, as upstream: longer would fail in the database instead of here.
    if (type.length > 255) throw new InvalidInput(`Subnet service type ${type.slice(0, 32)}... is longer than 255 characters`);
  }
  return [...new Set(types as string[])];
}

/** A subnet's service types; on update rewritten whole. */
async function writeServiceTypes(tx: Tx, subnetId: string, types: readonly string[], fresh: boolean): Promise<void> {
  if (!fresh) await tx.deleteFrom('subnet_service_types').where('subnet_id', '=', subnetId).execute();
  if (types.length > 0) await tx.insertInto('subnet_service_types').values(types.map((service_type) => ({ subnet_id: subnetId, service_type }))).execute();
}

/** A new SLAAC / stateless subnet gives every existing port on the network (but router ports) its EUI-64 address. */
async function addAutoAddresses(tx: Tx, subnet: SubnetRow): Promise<void> {
  const ports = await tx.selectFrom('ports').select(['id', 'mac_address', 'device_owner']).where('network_id', '=', subnet.network_id).execute();
  const rows = ports
    .filter((p) => !ROUTER_OWNERS.includes(p.device_owner))
    .map((p) => ({ subnet_id: subnet.id, ip_address: eui64Address(subnet.cidr, p.mac_address), port_id: p.id, network_id: subnet.network_id }));
  if (rows.length > 0) await tx.insertInto('ipallocations').values(rows).execute();
}

/**
 * Subnets of one IP version on a network come from one pool, or from pools
 * of one address scope (Neutron's _validate_network_subnetpools).
 */
async function checkNetworkPoolAffinity(
  tx: Tx,
  sameVersion: readonly { subnetpool_id: string | null }[],
  poolId: string | undefined,
): Promise<void> {
  const poolIds = [...new Set([...sameVersion.map((o) => o.subnetpool_id), poolId].filter((id): id is string => typeof id === 'string'))];
  const scopes = new Map(
    poolIds.length === 0
      ? []
      : (await tx.selectFrom('subnetpools').select(['id', 'address_scope_id']).where('id', 'in', poolIds).execute()).map((p) => [p.id, p.address_scope_id]),
  );
  const networkScope = sameVersion.map((o) => (o.subnetpool_id === null ? null : scopes.get(o.subnetpool_id))).find((id) => id);
  if (networkScope) {
    if (poolId === undefined || scopes.get(poolId) !== networkScope) throw new NetworkAddressScopeAffinityError();
    return;
  }
  if (sameVersion.some((o) => o.subnetpool_id !== (poolId ?? null) && (poolId !== undefined || o.subnetpool_id !== null))) {
    throw new NetworkSubnetPoolAffinityError();
  }
}

/** `shared` on subnets is their network's, as the caller sees it (without a caller, '*' alone). */
function sharedFilter(ctx: RequestContext | undefined): FilterCondition {
  return booleanFilter((eb) => eb('subnets.network_id', 'in', networksGranting(eb, ctx === undefined ? ['*'] : targetsOf(ctx), [ACCESS_SHARED])));
}

/** A subnet created or deleted is a change to its network too. */
async function bumpNetwork(tx: Tx, networkId: string): Promise<void> {
  await tx.updateTable('networks').set(nextRevision()).where('id', '=', networkId).execute();
}
