/**
 * The `routers` collection of the L3 router service plugin
 * (neutron/db/l3_db.py, l3_gwmode_db.py, extraroute_db.py): routers with
 * their external gateway (a network:router_gateway port on an external
 * network, enable_snat), their interfaces (network:router_interface ports
 * bound through `routerports`) and extra routes. Every port a router
 * creates, changes or deletes is part of the router's transaction; the
 * ports' after_* events follow its commit. API and database only: no L3
 * agent acts on routers yet.
 */
import type { Selectable } from 'kysely';

import { adminContext, type RequestContext } from '../../common/context.js';
import { NetworkNotFound, PortNotFound, SubnetNotFound } from '../../common/errors.js';
import { newId } from '../../common/ids.js';
import { utcNow } from '../../common/time.js';
import type { Db, RoutersTable, Tx } from '../../db/schema.js';
import type { ResourceDecl } from '../../resources/types.js';
import type { ApiObject, Collection, ListRequest, MemberAction } from '../collection.js';
import { groupByParent, loadTags } from '../core/children.js';
import type { CoreDeps } from '../core/deps.js';
import { createAll, deleteOne, extend, updateOne } from '../core/lifecycle.js';
import { type FilterCondition, listRows } from '../core/listRows.js';
import type { PortChange, PortService } from '../core/ports.js';
import { checkRevision, nextRevision } from '../core/revision.js';
import { type ProjectRows, projectRows } from '../core/projectRows.js';
import { type StoredRows, storedRows } from '../core/storedRows.js';
import { networkAccess } from '../core/visibility.js';
import { parseIp } from '../ipam/address.js';
import { PortInUse, RouterBadRequest, RouterInUse, RouterInterfaceInUseByRoute, RouterInterfaceNotFound, RouterInterfaceNotFoundForSubnet, SubnetMismatchForPort } from './errors.js';
import type { RouterHooks } from './routerAttributes.js';
import { checkGatewayNotInUse, checkInterfaceNotInUse } from './floatingIps.js';
import { PendingPorts } from './pendingPorts.js';
import { addExtraRoutes, checkNoDuplicateRoutes, diffRoutes, removeExtraRoutes, type Route, routeUsesSubnet, validateRoutes } from './extraRoutes.js';
import {
  checkForDupRouterSubnets,
  checkNoOverlaps,
  checkOneIpv6PortPerNetwork,
  checkSubnetAddressMode,
  hasIpv6,
  interfaceInfo,
  preventRouterInterfaceIpChange,
  preventRouterPortDeletion,
  ROUTER_GATEWAY,
  ROUTER_INTERFACE,
  type RouterPort,
  routerPorts,
  type SubnetInfo,
  subnetsWhere,
} from './routerPorts.js';

type RouterRow = Selectable<RoutersTable>;

interface FixedIp {
  subnet_id?: string;
  ip_address?: string;
}

interface GatewayInfo {
  network_id: string;
  enable_snat?: boolean;
  external_fixed_ips?: FixedIp[];
}

export interface RouterOptions {
  /** [DEFAULT] enable_snat_by_default: a gateway's enable_snat when the request does not say. */
  readonly enableSnatByDefault: boolean;
  /** The dvr / l3-ha / availability zone attributes' work before a create's transaction (routerAttributes.ts). */
  readonly hooks?: RouterHooks;
}

const SYSTEM = adminContext('req-l3');

export class RouterService implements Collection {
  readonly keysetPaging = true;
  private readonly stored: StoredRows;
  private readonly rows: ProjectRows<'routers'>;
  private readonly resource: ResourceDecl;
  readonly pluginFilters: ReadonlyMap<string, FilterCondition> = new Map();
  readonly actions: Readonly<Record<string, MemberAction>>;

  constructor(
    private readonly deps: CoreDeps,
    private readonly ports: PortService,
    private readonly subnets: Pick<Collection, 'show'>,
    private readonly options: RouterOptions,
  ) {
    this.resource = deps.api.resource('routers');
    this.stored = storedRows(this.resource);
    this.rows = projectRows('routers', this.resource);
    ports.guards.delete.push(preventRouterPortDeletion);
    ports.guards.update.push(preventRouterInterfaceIpChange);
    this.actions = {
      add_router_interface: (ctx, id, body) => this.addInterface(ctx, id, body),
      remove_router_interface: (ctx, id, body) => this.removeInterface(ctx, id, body),
      add_extraroutes: (ctx, id, body) => this.editRoutes(ctx, id, body, addExtraRoutes),
      remove_extraroutes: (ctx, id, body) => this.editRoutes(ctx, id, body, removeExtraRoutes),
    };
  }

  async list(ctx: RequestContext, query: ListRequest): Promise<ApiObject[]> {
    const rows = (await listRows(this.deps.db, this.stored.spec, query, this.rows.visible(ctx), this.pluginFilters)) as unknown as RouterRow[];
    return this.present(this.deps.db, rows);
  }

  async show(ctx: RequestContext, id: string): Promise<ApiObject> {
    const [router] = await this.present(this.deps.db, [await this.rows.visibleRow(this.deps.db, ctx, id)]);
    return router!;
  }

  async create(ctx: RequestContext, items: readonly ApiObject[]): Promise<ApiObject[]> {
    await this.options.hooks?.beforeCreate(ctx, items);
    const pending = new PendingPorts();
    const created = await createAll(this.deps, ctx, 'router', items, async (tx, item) => {
      const now = utcNow();
      const row = {
        ...(this.stored.toColumns(item) as Partial<RouterRow>),
        id: newId(),
        status: 'ACTIVE',
        gw_port_id: null,
        enable_snat: this.options.enableSnatByDefault ? 1 : 0,
        revision_number: 0,
        created_at: now,
        updated_at: now,
      } as RouterRow;
      await tx.insertInto('routers').values(row).execute();
      const info = item.external_gateway_info as GatewayInfo | null | undefined;
      if (info) await this.updateGateway(tx, ctx, row, info, pending.in(tx));
      const [router] = await this.present(tx, [await this.rows.row(tx, row.id)]);
      return router!;
    });
    await this.ports.notify(ctx, pending.committed);
    return created;
  }

  update(ctx: RequestContext, id: string, changes: ApiObject, expectedRevision?: number): Promise<ApiObject> {
    return this.change(ctx, id, changes, expectedRevision);
  }

  async delete(ctx: RequestContext, id: string, expectedRevision?: number): Promise<void> {
    const pending = new PendingPorts();
    await deleteOne(
      this.deps,
      ctx,
      'router',
      async (tx) => {
        const row = await this.rows.visibleRow(tx, ctx, id);
        checkRevision(Number(row.revision_number), expectedRevision);
        const attached = (await routerPorts(tx, id)).filter((p) => p.portType === ROUTER_INTERFACE);
        if (attached.length > 0) throw new RouterInUse(id, `has ports still attached: ${attached.map((p) => p.id).join(', ')}`);
        const [current] = await this.present(tx, [row]);
        return current!;
      },
      async (tx) => {
        const changes = pending.in(tx);
        await tx.updateTable('routers').set({ gw_port_id: null }).where('id', '=', id).execute();
        for (const port of await routerPorts(tx, id)) {
          await tx.deleteFrom('routerports').where('port_id', '=', port.id).execute();
          changes.push({ op: 'delete', current: await this.ports.deleteWithin(tx, SYSTEM, port.id) });
        }
        await tx.deleteFrom('routerroutes').where('router_id', '=', id).execute();
        await tx.deleteFrom('routers').where('id', '=', id).execute();
        await tx.deleteFrom('tags').where('resource_id', '=', id).execute();
      },
    );
    await this.ports.notify(ctx, pending.committed);
  }

  /** An update, with `routesFrom` computing the new routes from the stored ones inside the transaction (extraroute-atomic). */
  private async change(
    ctx: RequestContext,
    id: string,
    changes: ApiObject,
    expectedRevision?: number,
    routesFrom?: (old: readonly Route[]) => Route[],
  ): Promise<ApiObject> {
    const pending = new PendingPorts();
    const updated = await updateOne(this.deps, ctx, 'router', changes, async (tx) => {
      const row = await this.rows.visibleRow(tx, ctx, id);
      checkRevision(Number(row.revision_number), expectedRevision);
      // The revision first: it locks the router's row, so changes to one router happen one after the other.
      await tx.updateTable('routers').set(nextRevision()).where('id', '=', id).execute();
      const [original] = await this.present(tx, [row]);
      if (routesFrom !== undefined || 'routes' in changes) {
        const routes = routesFrom ? routesFrom(await this.routes(tx, id)) : ((changes.routes ?? []) as Route[]);
        await this.replaceRoutes(tx, id, routes);
      }
      if ('external_gateway_info' in changes) {
        await this.updateGateway(tx, ctx, await this.rows.row(tx, id), changes.external_gateway_info as GatewayInfo | null, pending.in(tx));
      }
      const patch = this.stored.toColumns(changes);
      if (Object.keys(patch).length > 0) await tx.updateTable('routers').set(patch).where('id', '=', id).execute();
      const [current] = await this.present(tx, [await this.rows.row(tx, id)]);
      return { original: original!, current: current! };
    });
    await this.ports.notify(ctx, pending.committed);
    return updated;
  }

  private async editRoutes(ctx: RequestContext, id: string, body: ApiObject, edit: (old: readonly Route[], given: readonly Route[]) => Route[]) {
    const given = ((body.router as { routes: Route[] } | undefined)?.routes ?? []) as Route[];
    const router = await this.change(ctx, id, {}, undefined, (old) => edit(old, given));
    return { router };
  }

  // --- extra routes ---

  private async routes(db: Db, routerId: string): Promise<Route[]> {
    return db
      .selectFrom('routerroutes')
      .select(['destination', 'nexthop'])
      .where('router_id', '=', routerId)
      .orderBy('destination')
      .orderBy('nexthop')
      .execute();
  }

  private async replaceRoutes(tx: Tx, routerId: string, routes: readonly Route[]): Promise<void> {
    checkNoDuplicateRoutes(routes);
    validateRoutes(routes, await this.addresses(tx, await routerPorts(tx, routerId)));
    const { added, removed } = diffRoutes(await this.routes(tx, routerId), routes);
    for (const route of removed) {
      await tx
        .deleteFrom('routerroutes')
        .where('router_id', '=', routerId)
        .where('destination', '=', route.destination)
        .where('nexthop', '=', route.nexthop)
        .execute();
    }
    if (added.length > 0) await tx.insertInto('routerroutes').values(added.map((r) => ({ ...r, router_id: routerId }))).execute();
  }

  /** The CIDRs of the subnets the ports are on and the addresses they hold: where nexthops may be. */
  private async addresses(tx: Tx, ports: readonly RouterPort[], extraCidrs: readonly string[] = []) {
    const ips = ports.flatMap((p) => p.fixedIps);
    const subnets = await subnetsWhere(tx, 'id', ips.map((ip) => ip.subnet_id));
    const bySubnet = new Map(subnets.map((s) => [s.id, s.cidr]));
    return {
      cidrs: [...ips.map((ip) => bySubnet.get(ip.subnet_id) ?? ''), ...extraCidrs],
      ips: ips.map((ip) => ip.ip_address),
    };
  }

  // --- external gateway (_update_router_gw_info) ---

  private async updateGateway(tx: Tx, ctx: RequestContext, router: RouterRow, info: GatewayInfo | null, changes: PortChange[]): Promise<void> {
    const ports = await routerPorts(tx, router.id);
    const gateway = ports.find((p) => p.id === router.gw_port_id);
    const externalIps = info?.external_fixed_ips ?? [];
    const networkId = await this.validateGateway(tx, ctx, router, info, externalIps, ports);
    const enableSnat = info && info.enable_snat !== undefined ? info.enable_snat : this.options.enableSnatByDefault;
    await tx.updateTable('routers').set({ enable_snat: enableSnat ? 1 : 0 }).where('id', '=', router.id).execute();

    if (gateway && externalIpsChange(gateway, externalIps) && gateway.networkId === networkId) {
      const change = await this.ports.changeWithin(tx, SYSTEM, gateway.id, { fixed_ips: externalIps });
      changes.push({ op: 'update', ...change });
      return;
    }
    if (gateway && gateway.networkId !== networkId) {
      await checkGatewayNotInUse(tx, router.id, gateway.networkId);
      await tx.updateTable('routers').set({ gw_port_id: null }).where('id', '=', router.id).execute();
      await tx.deleteFrom('routerports').where('port_id', '=', gateway.id).execute();
      changes.push({ op: 'delete', current: await this.ports.deleteWithin(tx, SYSTEM, gateway.id) });
    }
    if (networkId !== undefined && (!gateway || gateway.networkId !== networkId)) {
      await checkForDupRouterSubnets(
        tx,
        ports.filter((p) => p.id !== gateway?.id),
        await subnetsWhere(tx, 'network_id', [networkId]),
      );
      // The gateway port belongs to no project: only admins see it in the ports API.
      const port = await this.ports.createWithin(tx, SYSTEM, {
        network_id: networkId,
        tenant_id: '',
        name: '',
        description: '',
        admin_state_up: true,
        device_id: router.id,
        device_owner: ROUTER_GATEWAY,
        ...(externalIps.length > 0 ? { fixed_ips: externalIps } : {}),
      });
      await tx.insertInto('routerports').values({ router_id: router.id, port_id: String(port.id), port_type: ROUTER_GATEWAY }).execute();
      await tx.updateTable('routers').set({ gw_port_id: String(port.id) }).where('id', '=', router.id).execute();
      changes.push({ op: 'create', current: port });
    }
  }

  /** The gateway's network, external; no address of it a subnet's gateway; the routes still reachable (_validate_gw_info). */
  private async validateGateway(
    tx: Tx,
    ctx: RequestContext,
    router: RouterRow,
    info: GatewayInfo | null,
    externalIps: readonly FixedIp[],
    ports: readonly RouterPort[],
  ): Promise<string | undefined> {
    const networkId = info?.network_id;
    const gatewayCidrs: string[] = [];
    if (networkId !== undefined) {
      const network = await tx.selectFrom('networks').select(['id', 'project_id', 'router_external']).where('id', '=', networkId).executeTakeFirst();
      // A network the caller cannot see (not its own, nor shared or external to it) does not exist for it.
      if (!network || !(ctx.isAdmin || network.project_id === ctx.projectId || (await networkAccess(tx, ctx, networkId)).size > 0)) throw new NetworkNotFound(networkId);
      if (network.router_external !== 1) throw new RouterBadRequest(`Network ${networkId} is not an external network`);
      const subnets = await subnetsWhere(tx, 'network_id', [networkId]);
      for (const ip of externalIps) {
        for (const subnet of subnets) {
          if (subnet.gatewayIp && ip.ip_address === subnet.gatewayIp) {
            throw new RouterBadRequest(`External IP ${ip.ip_address} is the same as the gateway IP`);
          }
        }
      }
      gatewayCidrs.push(...subnets.map((s) => s.cidr));
    }
    const routes = await this.routes(tx, router.id);
    if (routes.length > 0) {
      const attached = ports.filter((p) => p.id !== router.gw_port_id);
      validateRoutes(routes, await this.addresses(tx, attached, gatewayCidrs));
    }
    return networkId;
  }

  // --- interfaces ---

  private async addInterface(ctx: RequestContext, id: string, body: ApiObject): Promise<ApiObject> {
    const { portId, subnetId } = interfaceInfo(body, false);
    await this.rows.visibleRow(this.deps.db, ctx, id);
    await this.checkVisible(ctx, portId, subnetId);
    const pending = new PendingPorts();
    const result = await this.deps.transaction(async (tx) => {
      const changes = pending.in(tx);
      const router = await this.lockedRouter(tx, ctx, id);
      const ports = await routerPorts(tx, id);
      let port: ApiObject;
      let subnets: SubnetInfo[];
      if (portId !== undefined) {
        ({ port, subnets } = await this.attachPort(tx, ctx, router, ports, portId));
        changes.push({ op: 'update', current: port, original: port });
      } else {
        const attached = await this.attachSubnet(tx, ctx, router, ports, subnetId!);
        ({ port, subnets } = attached);
        changes.push(attached.change);
      }
      return interfaceResponse(id, port, subnets);
    });
    await this.ports.notify(ctx, pending.committed);
    return result;
  }

  /** _add_interface_by_port: a port of no device, with addresses, on subnets new to the router. */
  private async attachPort(tx: Tx, ctx: RequestContext, router: RouterRow, ports: readonly RouterPort[], portId: string) {
    const row = await tx.selectFrom('ports').selectAll().where('id', '=', portId).executeTakeFirst();
    if (!row) throw new PortNotFound(portId);
    const [port] = (await this.ports.present([row], tx)) as [ApiObject];
    const fixedIps = port.fixed_ips as { subnet_id: string; ip_address: string }[];
    if (port.device_id !== '') throw new PortInUse(String(port.network_id), portId, String(port.device_id));
    if (fixedIps.length === 0) throw new RouterBadRequest('Router port must have at least one fixed IP');
    const subnets = await subnetsWhere(tx, 'id', fixedIps.map((ip) => ip.subnet_id));
    subnets.forEach(checkSubnetAddressMode);
    checkOneIpv6PortPerNetwork(ports, { id: portId, networkId: String(port.network_id), fixedIps });
    await checkForDupRouterSubnets(tx, ports, subnets);
    if (subnets.filter((s) => s.ipVersion === 4).length > 1) throw new RouterBadRequest('Cannot have multiple IPv4 subnets on router port');
    if (!ctx.isAdmin) await checkInPoolsOrOwned(tx, ctx, subnets, portId, fixedIps);
    const { current } = await this.ports.changeWithin(tx, SYSTEM, portId, { device_id: router.id, device_owner: ROUTER_INTERFACE });
    await this.bindPort(tx, router.id, portId);
    return { port: current, subnets };
  }

  /** _add_interface_by_subnet: a new port with the subnet's gateway address, or an IPv6 prefix joining the network's IPv6 port. */
  private async attachSubnet(tx: Tx, ctx: RequestContext, router: RouterRow, ports: readonly RouterPort[], subnetId: string) {
    const subnet = await this.subnet(tx, subnetId);
    if (!subnet.gatewayIp) throw new RouterBadRequest('Subnet for router interface must have a gateway IP');
    if (subnet.projectId !== ctx.projectId && !ctx.isAdmin) {
      throw new RouterBadRequest(`Cannot add interface to router because subnet ${subnetId} is not owned by project making the request`);
    }
    checkSubnetAddressMode(subnet);
    await checkForDupRouterSubnets(tx, ports, [subnet]);
    const fixedIp = { subnet_id: subnet.id, ip_address: subnet.gatewayIp };
    if (subnet.ipVersion === 6) {
      const v6 = ports.find((p) => p.deviceOwner === ROUTER_INTERFACE && p.networkId === subnet.networkId && hasIpv6(p));
      if (v6) {
        const change = await this.ports.changeWithin(tx, SYSTEM, v6.id, { fixed_ips: [...v6.fixedIps, fixedIp] });
        return { port: change.current, subnets: [subnet], change: { op: 'update', ...change } as PortChange };
      }
    }
    const port = await this.ports.createWithin(tx, SYSTEM, {
      network_id: subnet.networkId,
      tenant_id: router.project_id,
      name: '',
      description: '',
      admin_state_up: true,
      device_id: router.id,
      device_owner: ROUTER_INTERFACE,
      fixed_ips: [fixedIp],
    });
    await this.bindPort(tx, router.id, String(port.id));
    return { port, subnets: [subnet], change: { op: 'create', current: port } as PortChange };
  }

  /** Binds the port to the router, then checks again that no two of the router's subnets overlap (_add_router_port). */
  private async bindPort(tx: Tx, routerId: string, portId: string): Promise<void> {
    await tx.insertInto('routerports').values({ router_id: routerId, port_id: portId, port_type: ROUTER_INTERFACE }).execute();
    const ports = await routerPorts(tx, routerId);
    checkNoOverlaps(await subnetsWhere(tx, 'id', ports.flatMap((p) => p.fixedIps.map((ip) => ip.subnet_id))));
  }

  private async removeInterface(ctx: RequestContext, id: string, body: ApiObject): Promise<ApiObject> {
    const { portId, subnetId } = interfaceInfo(body, true);
    await this.rows.visibleRow(this.deps.db, ctx, id);
    if (portId === undefined) await this.checkVisible(ctx, undefined, subnetId);
    const pending = new PendingPorts();
    const result = await this.deps.transaction(async (tx) => {
      const changes = pending.in(tx);
      await this.lockedRouter(tx, ctx, id);
      const interfaces = (await routerPorts(tx, id)).filter((p) => p.portType === ROUTER_INTERFACE);
      const routes = await this.routes(tx, id);
      const confirmNotInUse = async (subnet: SubnetInfo) => {
        await checkInterfaceNotInUse(tx, id, subnet.id);
        if (routes.some((route) => routeUsesSubnet(route, subnet.cidr))) throw new RouterInterfaceInUseByRoute(id, subnet.id);
      };
      if (portId !== undefined) {
        const port = interfaces.find((p) => p.id === portId);
        if (!port) throw new RouterInterfaceNotFound(id, portId);
        const portSubnets = port.fixedIps.map((ip) => ip.subnet_id);
        if (subnetId !== undefined && !portSubnets.includes(subnetId)) throw new SubnetMismatchForPort(portId, subnetId);
        const subnets = await subnetsWhere(tx, 'id', portSubnets);
        for (const subnet of subnets) await confirmNotInUse(subnet);
        await tx.deleteFrom('routerports').where('port_id', '=', portId).execute();
        const deleted = await this.ports.deleteWithin(tx, SYSTEM, portId);
        changes.push({ op: 'delete', current: deleted });
        return interfaceResponse(id, deleted, subnets);
      }
      const subnet = await this.subnet(tx, subnetId!);
      const onNetwork = interfaces.filter((p) => p.networkId === subnet.networkId);
      if (onNetwork.length > 0) await confirmNotInUse(subnet);
      for (const port of onNetwork) {
        if (!port.fixedIps.some((ip) => ip.subnet_id === subnet.id)) continue;
        if (port.fixedIps.length > 1) {
          // A port with several IPv6 prefixes loses this one.
          const change = await this.ports.changeWithin(tx, SYSTEM, port.id, { fixed_ips: port.fixedIps.filter((ip) => ip.subnet_id !== subnet.id) });
          changes.push({ op: 'update', ...change });
          return interfaceResponse(id, change.original, [subnet]);
        }
        await tx.deleteFrom('routerports').where('port_id', '=', port.id).execute();
        const deleted = await this.ports.deleteWithin(tx, SYSTEM, port.id);
        changes.push({ op: 'delete', current: deleted });
        return interfaceResponse(id, deleted, [subnet]);
      }
      throw new RouterInterfaceNotFoundForSubnet(id, subnet.id);
    });
    await this.ports.notify(ctx, pending.committed);
    return result;
  }

  /**
   * The port or subnet an interface request names, if the caller sees it
   * (the core plugin's NotFound otherwise); asked before the transaction
   * opens, as the core plugin reads outside it.
   */
  private async checkVisible(ctx: RequestContext, portId: string | undefined, subnetId: string | undefined): Promise<void> {
    if (portId !== undefined) await this.ports.show(ctx, portId);
    else if (subnetId !== undefined) await this.subnets.show(ctx, subnetId);
  }

  private async subnet(tx: Tx, id: string): Promise<SubnetInfo> {
    const [subnet] = await subnetsWhere(tx, 'id', [id]);
    if (!subnet) throw new SubnetNotFound(id);
    return subnet;
  }

  // --- rows ---

  /** The router a member action changes, its revision bumped (which locks its row until the transaction ends). */
  private async lockedRouter(tx: Tx, ctx: RequestContext, id: string): Promise<RouterRow> {
    await this.rows.visibleRow(tx, ctx, id);
    await tx.updateTable('routers').set(nextRevision()).where('id', '=', id).execute();
    return this.rows.row(tx, id);
  }

  private async present(db: Db, rows: readonly RouterRow[]): Promise<ApiObject[]> {
    const ids = rows.map((r) => r.id);
    const gatewayIds = rows.map((r) => r.gw_port_id).filter((id): id is string => id !== null);
    const [routes, tags, gatewayPorts, gatewayIps] = await Promise.all([
      groupByParent(
        ids,
        (chunk) => db.selectFrom('routerroutes').selectAll().where('router_id', 'in', chunk).orderBy('destination').orderBy('nexthop').execute(),
        (r) => r.router_id,
      ),
      loadTags(db, ids),
      groupByParent(
        gatewayIds,
        (chunk) => db.selectFrom('ports').select(['id', 'network_id']).where('id', 'in', chunk).execute(),
        (r) => r.id,
      ),
      groupByParent(
        gatewayIds,
        (chunk) => db.selectFrom('ipallocations').select(['port_id', 'subnet_id', 'ip_address']).where('port_id', 'in', chunk).execute(),
        (r) => r.port_id,
      ),
    ]);
    const objects = rows.map((row) => {
      const router = this.stored.toObject(row);
      const gateway = row.gw_port_id === null ? undefined : gatewayPorts.get(row.gw_port_id)?.[0];
      router.external_gateway_info = gateway
        ? {
            network_id: gateway.network_id,
            external_fixed_ips: (gatewayIps.get(gateway.id) ?? []).map((ip) => ({ subnet_id: ip.subnet_id, ip_address: ip.ip_address })),
            enable_snat: row.enable_snat === 1,
          }
        : null;
      router.routes = (routes.get(row.id) ?? []).map((r) => ({ destination: r.destination, nexthop: r.nexthop }));
      router.tags = tags.get(row.id) ?? [];
      return router;
    });
    return extend(this.deps, 'router', db, objects);
  }
}

/** What add/remove_router_interface answer (_make_router_interface_info). */
function interfaceResponse(routerId: string, port: ApiObject, subnets: readonly SubnetInfo[]): ApiObject {
  return {
    id: routerId,
    tenant_id: port.tenant_id,
    project_id: port.tenant_id,
    port_id: port.id,
    network_id: port.network_id,
    subnet_id: subnets[subnets.length - 1]?.id,
    subnet_ids: subnets.map((s) => s.id),
  };
}

/** Whether the requested external_fixed_ips differ from the gateway port's (_check_for_external_ip_change). */
function externalIpsChange(gateway: RouterPort, requested: readonly FixedIp[]): boolean {
  if (requested.length === 0) return false;
  const same = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((x) => b.has(x));
  const subnets = new Set(gateway.fixedIps.map((ip) => ip.subnet_id));
  const newSubnets = new Set(requested.flatMap((ip) => (ip.subnet_id ? [ip.subnet_id] : [])));
  if (!same(subnets, newSubnets)) return true;
  const ips = new Set(gateway.fixedIps.map((ip) => ip.ip_address));
  const newIps = new Set(requested.flatMap((ip) => (ip.ip_address ? [ip.ip_address] : [])));
  return !same(ips, newIps);
}

/** A member's port on another project's subnet must have its address from the subnet's pools (_validate_port_in_range_or_admin). */
async function checkInPoolsOrOwned(
  tx: Tx,
  ctx: RequestContext,
  subnets: readonly SubnetInfo[],
  portId: string,
  fixedIps: readonly { subnet_id: string; ip_address: string }[],
): Promise<void> {
  for (const ip of fixedIps) {
    const subnet = subnets.find((s) => s.id === ip.subnet_id);
    if (!subnet || subnet.projectId === ctx.projectId) continue;
    const pools = await tx.selectFrom('subnet_allocation_pools').select(['first_ip', 'last_ip']).where('subnet_id', '=', subnet.id).execute();
    const address = parseIp(ip.ip_address);
    const inPool = pools.some((pool) => {
      const first = parseIp(pool.first_ip);
      const last = parseIp(pool.last_ip);
      return address !== null && first !== null && last !== null && address.value >= first.value && address.value <= last.value;
    });
    if (!inPool) {
      throw new RouterBadRequest(
        `Cannot add interface to router because specified port ${portId} has an IP address out of the allocation pool of subnet ${subnet.id}, which is not owned by the project making the request`,
      );
    }
  }
}

