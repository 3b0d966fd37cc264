/**
 * The `floatingips` collection of the L3 router service plugin
 * (neutron/db/l3_db.py, the floating IP half): an address of an external
 * network, held by a network:floatingip port there (so the network's IPAM
 * keeps two floating IPs from one address), and, when associated, the fixed
 * IPv4 address of a port it forwards to and the router that does it (the
 * one joining the port's subnet to the external network). Created DOWN; the
 * L3 agent reports ACTIVE once the NAT is in place.
 *
 * The ports API keeps its hands off: a floating IP's own port cannot be
 * deleted directly, a port's fixed address behind a floating IP cannot
 * change, and deleting a port disassociates its floating IPs (refused to a
 * project that does not own them all). Deleting an external network deletes
 * its unassociated floating IPs.
 */
import type { Selectable } from 'kysely';

import { adminContext, type RequestContext } from '../../common/context.js';
import { NetworkNotFound, PortNotFound } from '../../common/errors.js';
import { newId } from '../../common/ids.js';
import { utcNow } from '../../common/time.js';
import type { Db, FloatingIpsTable, Tx } from '../../db/schema.js';
import type { ResourceDecl } from '../../resources/types.js';
import type { ApiObject, Collection, ListRequest } from '../collection.js';
import { loadTags } from '../core/children.js';
import type { CoreDeps } from '../core/deps.js';
import { createAll, deleteOne, extend, updateOne } from '../core/lifecycle.js';
import { type FilterCondition, listRows } from '../core/listRows.js';
import type { PortChange, PortService } from '../core/ports.js';
import { checkRevision, nextRevision } from '../core/revision.js';
import { type ProjectRows, projectRows } from '../core/projectRows.js';
import { type StoredRows, storedRows } from '../core/storedRows.js';
import { ACCESS_EXTERNAL, ACCESS_SHARED, networkAccess } from '../core/visibility.js';
import { parseIp } from '../ipam/address.js';
import {
  ExternalGatewayForFloatingIPNotFound,
  ExternalIpAddressExhausted,
  FipAssociated,
  FloatingIPPortAlreadyAssociated,
  RouterBadRequest,
  RouterExternalGatewayInUseByFloatingIp,
  RouterInterfaceInUseByFloatingIP,
  ServicePortInUse,
} from './errors.js';
import { PendingPorts } from './pendingPorts.js';
import { ROUTER_GATEWAY, ROUTER_INTERFACE } from './routerPorts.js';

type FloatingIpRow = Selectable<FloatingIpsTable>;

export const DEVICE_OWNER_FLOATINGIP = 'network:floatingip';
/** Ports that cannot hold a floating IP (utils.is_fip_serviced). */
const NOT_FIP_SERVICED: ReadonlySet<string> = new Set(['network:dhcp']);

const SYSTEM = adminContext('req-l3-fip');

/** Where a floating IP forwards to: the port, its fixed IPv4 address, and the router between them. */
interface Association {
  readonly portId: string | null;
  readonly fixedIp: string | null;
  readonly routerId: string | null;
}

const NONE: Association = { portId: null, fixedIp: null, routerId: null };

const fipBadRequest = (message: string) => new RouterBadRequest(message, 'floatingip');

/** Routers whose floating IPs changed, as L3 agents need to hear of them. */
export interface FloatingIpChange {
  readonly ctx: RequestContext;
  readonly routerIds: readonly string[];
}

export class FloatingIpService implements Collection {
  readonly keysetPaging = true;
  private readonly stored: StoredRows;
  private readonly rows: ProjectRows<'floatingips'>;
  private readonly resource: ResourceDecl;
  readonly pluginFilters: ReadonlyMap<string, FilterCondition> = new Map();
  /** Called after commit with the routers a change concerns (the L3 agent notifier subscribes). */
  readonly routersChanged: ((change: FloatingIpChange) => Promise<void>)[] = [];
  /** Routers of floating IPs a port deletion disassociated, announced once the deletion commits. */
  private readonly disassociatedByPort = new Map<string, string[]>();

  constructor(
    private readonly deps: CoreDeps,
    private readonly ports: PortService,
  ) {
    this.resource = deps.api.resource('floatingips');
    this.stored = storedRows(this.resource);
    this.rows = projectRows('floatingips', this.resource);
    ports.guards.delete.push((tx, port) => this.preventFloatingPortDeletion(tx, port));
    ports.guards.update.push((tx, port, changes) => this.preventFixedIpChange(tx, port, changes));
    deps.events.on('port.precommit_delete', ({ ctx, tx, current }) => this.disassociatePort(tx, ctx, current.id));
    deps.events.on('port.after_delete', async ({ ctx, current }) => {
      const routerIds = this.disassociatedByPort.get(current.id);
      this.disassociatedByPort.delete(current.id);
      if (routerIds) await this.announce(ctx, routerIds);
    });
  }

  async list(ctx: RequestContext, query: ListRequest): Promise<ApiObject[]> {
    const rows = (await listRows(this.deps.db, this.stored.spec, query, this.rows.visible(ctx), this.pluginFilters)) as unknown as FloatingIpRow[];
    return this.present(this.deps.db, rows);
  }

  async show(ctx: RequestContext, id: string): Promise<ApiObject> {
    const [fip] = await this.present(this.deps.db, [await this.rows.visibleRow(this.deps.db, ctx, id)]);
    return fip!;
  }

  async create(ctx: RequestContext, items: readonly ApiObject[]): Promise<ApiObject[]> {
    for (const item of items) {
      await this.checkNetworkVisible(ctx, String(item.floating_network_id));
      if (item.port_id) await this.ports.show(ctx, String(item.port_id));
    }
    const pending = new PendingPorts();
    const created = await createAll(this.deps, ctx, 'floatingip', items, async (tx, item) => {
      const id = newId();
      const projectId = String(item.tenant_id ?? ctx.projectId);
      const networkId = String(item.floating_network_id);
      await this.checkExternal(tx, networkId);
      const fixedIp = { ...(item.subnet_id ? { subnet_id: item.subnet_id } : {}), ...(item.floating_ip_address ? { ip_address: item.floating_ip_address } : {}) };
      const port = await this.ports.createWithin(tx, SYSTEM, {
        network_id: networkId,
        tenant_id: '',
        name: '',
        description: '',
        admin_state_up: true,
        device_id: id,
        device_owner: DEVICE_OWNER_FLOATINGIP,
        ...(Object.keys(fixedIp).length > 0 ? { fixed_ips: [fixedIp] } : {}),
      });
      pending.in(tx).push({ op: 'create', current: port });
      const address = (port.fixed_ips as { ip_address: string }[]).find((ip) => parseIp(ip.ip_address)?.version === 4)?.ip_address;
      if (address === undefined) throw new ExternalIpAddressExhausted(networkId);
      const association = await this.association(tx, ctx, item, { projectId, networkId, current: NONE, hasBody: true });
      const now = utcNow();
      const row: FloatingIpRow = {
        id,
        project_id: projectId,
        description: String(item.description ?? ''),
        revision_number: 0,
        created_at: now,
        updated_at: now,
        floating_ip_address: address,
        floating_network_id: networkId,
        floating_port_id: String(port.id),
        fixed_port_id: association.portId,
        fixed_ip_address: association.fixedIp,
        router_id: association.routerId,
        last_known_router_id: null,
        status: 'DOWN',
      };
      await tx.insertInto('floatingips').values(row).execute();
      const [fip] = await this.present(tx, [row]);
      return fip!;
    });
    await this.ports.notify(ctx, pending.committed);
    await this.announce(ctx, created.map((fip) => fip.router_id));
    return created;
  }

  async update(ctx: RequestContext, id: string, changes: ApiObject, expectedRevision?: number): Promise<ApiObject> {
    if (changes.port_id) await this.ports.show(ctx, String(changes.port_id));
    let routers: (string | null)[] = [];
    const updated = await updateOne(this.deps, ctx, 'floatingip', changes, async (tx) => {
      const row = await this.rows.visibleRow(tx, ctx, id);
      checkRevision(Number(row.revision_number), expectedRevision);
      const [original] = await this.present(tx, [row]);
      const current = { portId: row.fixed_port_id, fixedIp: row.fixed_ip_address, routerId: row.router_id };
      const association = await this.association(tx, ctx, changes, {
        projectId: row.project_id,
        networkId: row.floating_network_id,
        current,
        hasBody: Object.keys(changes).length > 0,
        floatingIpAddress: row.floating_ip_address,
        id,
      });
      await tx
        .updateTable('floatingips')
        .set({
          ...nextRevision(),
          fixed_port_id: association.portId,
          fixed_ip_address: association.fixedIp,
          router_id: association.routerId,
          last_known_router_id: row.router_id,
          ...(changes.description !== undefined ? { description: String(changes.description) } : {}),
        })
        .where('id', '=', id)
        .execute();
      routers = [row.router_id, association.routerId];
      const [fip] = await this.present(tx, [await this.rows.row(tx, id)]);
      return { original: original!, current: fip! };
    });
    await this.announce(ctx, routers);
    return updated;
  }

  async delete(ctx: RequestContext, id: string, expectedRevision?: number): Promise<void> {
    const changes: PortChange[] = [];
    let routerId: string | null = null;
    await deleteOne(
      this.deps,
      ctx,
      'floatingip',
      async (tx) => {
        const row = await this.rows.visibleRow(tx, ctx, id);
        checkRevision(Number(row.revision_number), expectedRevision);
        routerId = row.router_id;
        const [current] = await this.present(tx, [row]);
        return current!;
      },
      async (tx) => {
        changes.length = 0;
        const row = await this.rows.row(tx, id);
        await this.remove(tx, row, changes);
      },
    );
    await this.ports.notify(ctx, changes);
    await this.announce(ctx, [routerId]);
  }

  /** The unassociated floating IPs of an external network go with it (delete_disassociated_floatingips). */
  async deleteUnassociated(tx: Tx, networkId: string): Promise<void> {
    const rows = await tx.selectFrom('floatingips').selectAll().where('floating_network_id', '=', networkId).where('fixed_port_id', 'is', null).execute();
    for (const row of rows) await this.remove(tx, row, []);
  }

  /** The status the L3 agent reports (update_floatingip_statuses); unknown ids are skipped, as upstream. */
  async setStatus(tx: Tx, id: string, status: string): Promise<void> {
    await tx.updateTable('floatingips').set({ status }).where('id', '=', id).execute();
  }

  private async remove(tx: Tx, row: FloatingIpRow, changes: PortChange[]): Promise<void> {
    await tx.deleteFrom('floatingips').where('id', '=', row.id).execute();
    await tx.deleteFrom('tags').where('resource_id', '=', row.id).execute();
    changes.push({ op: 'delete', current: await this.ports.deleteWithin(tx, SYSTEM, row.floating_port_id) });
  }

  private async announce(ctx: RequestContext, routerIds: readonly unknown[]): Promise<void> {
    const ids = [...new Set(routerIds.filter((id): id is string => typeof id === 'string' && id !== ''))];
    if (ids.length === 0) return;
    for (const listener of this.routersChanged) await listener({ ctx, routerIds: ids });
  }

  // --- association (_check_and_get_fip_assoc, _internal_fip_assoc_data, get_router_for_floatingip) ---

  private async association(
    tx: Tx,
    ctx: RequestContext,
    body: ApiObject,
    fip: { projectId: string; networkId: string; current: Association; hasBody: boolean; floatingIpAddress?: string; id?: string },
  ): Promise<Association> {
    if (body.fixed_ip_address && !body.port_id) throw fipBadRequest('fixed_ip_address cannot be specified without a port_id');
    let portId = body.port_id ? String(body.port_id) : null;
    // An update that names neither keeps the association (re-checked); an empty body clears it, as it always has.
    if (!('port_id' in body) && fip.hasBody && fip.current.portId !== null) portId = fip.current.portId;
    if (portId === null) return NONE;
    const port = await tx.selectFrom('ports').select(['id', 'project_id', 'network_id', 'device_owner']).where('id', '=', portId).executeTakeFirst();
    if (!port) throw new PortNotFound(portId);
    if (port.project_id !== fip.projectId && !ctx.isAdmin) {
      throw fipBadRequest(`Cannot process floating IP association with Port ${portId}, since that port is owned by a different project`);
    }
    if (NOT_FIP_SERVICED.has(port.device_owner)) throw fipBadRequest(`Port ${portId} is unable to be assigned a floating IP`);
    const ips = await tx.selectFrom('ipallocations').select(['subnet_id', 'ip_address']).where('port_id', '=', portId).execute();
    let internal: { subnet_id: string; ip_address: string } | undefined;
    const requested = body.fixed_ip_address ? String(body.fixed_ip_address) : 'fixed_ip_address' in body ? null : fip.current.portId === portId ? fip.current.fixedIp : null;
    if (requested) {
      if (parseIp(requested)?.version !== 4) throw fipBadRequest(`Cannot process floating IP association with ${requested}, since that is not an IPv4 address`);
      internal = ips.find((ip) => ip.ip_address === requested);
      if (!internal) throw fipBadRequest(`Port ${portId} does not have fixed ip ${requested}`);
    } else {
      const v4 = ips.filter((ip) => parseIp(ip.ip_address)?.version === 4);
      if (v4.length === 0) throw fipBadRequest(`Cannot add floating IP to port ${portId} that has no fixed IPv4 addresses`);
      if (v4.length > 1) {
        throw fipBadRequest(`Port ${portId} has multiple fixed IPv4 addresses.  Must provide a specific IPv4 address when assigning a floating IP`);
      }
      internal = v4[0]!;
    }
    const routerId = await this.routerFor(tx, port, internal.subnet_id, fip.networkId);
    if (portId !== fip.current.portId || internal.ip_address !== fip.current.fixedIp) {
      const taken = await tx
        .selectFrom('floatingips')
        .select('id')
        .where('fixed_port_id', '=', portId)
        .where('floating_network_id', '=', fip.networkId)
        .where('fixed_ip_address', '=', internal.ip_address)
        .$if(fip.id !== undefined, (q) => q.where('id', '!=', fip.id!))
        .executeTakeFirst();
      if (taken) throw new FloatingIPPortAlreadyAssociated(fip.floatingIpAddress ?? 'None', fip.id ?? '', portId, internal.ip_address, fip.networkId);
    }
    return { portId, fixedIp: internal.ip_address, routerId };
  }

  /**
   * The router joining the port's subnet to the external network: one with
   * an interface on that subnet and its gateway on the network, preferring
   * the one whose interface holds the subnet's gateway address.
   */
  private async routerFor(tx: Tx, port: { id: string; network_id: string }, subnetId: string, networkId: string): Promise<string> {
    const candidates = await tx
      .selectFrom('routerports')
      .innerJoin('ports', 'ports.id', 'routerports.port_id')
      .innerJoin('ipallocations', 'ipallocations.port_id', 'ports.id')
      .innerJoin('routers', 'routers.id', 'routerports.router_id')
      .innerJoin('ports as gw', 'gw.id', 'routers.gw_port_id')
      .select(['routerports.router_id', 'ipallocations.ip_address'])
      .where('routerports.port_type', '=', ROUTER_INTERFACE)
      .where('ports.network_id', '=', port.network_id)
      .where('ipallocations.subnet_id', '=', subnetId)
      .where('gw.network_id', '=', networkId)
      .where('gw.device_owner', '=', ROUTER_GATEWAY)
      .orderBy('routers.created_at')
      .orderBy('routers.id')
      .execute();
    if (candidates.length === 0) throw new ExternalGatewayForFloatingIPNotFound(subnetId, networkId, port.id);
    const gateway = await tx.selectFrom('subnets').select('gateway_ip').where('id', '=', subnetId).executeTakeFirst();
    return (candidates.find((c) => c.ip_address === gateway?.gateway_ip) ?? candidates[0]!).router_id;
  }

  // --- the ports API's limits ---

  private async preventFloatingPortDeletion(tx: Tx, port: ApiObject): Promise<void> {
    if (port.device_owner !== DEVICE_OWNER_FLOATINGIP) return;
    const fip = await tx.selectFrom('floatingips').select('id').where('id', '=', String(port.device_id)).executeTakeFirst();
    if (fip) throw new ServicePortInUse(String(port.id), `has device owner ${DEVICE_OWNER_FLOATINGIP}`);
  }

  /** prevent_internal_ip_change_for_fip: the address behind a floating IP stays among the port's addresses. */
  private async preventFixedIpChange(tx: Tx, port: ApiObject, changes: ApiObject): Promise<void> {
    if (!('fixed_ips' in changes)) return;
    const fip = await tx.selectFrom('floatingips').select('fixed_ip_address').where('fixed_port_id', '=', String(port.id)).executeTakeFirst();
    if (!fip?.fixed_ip_address) return;
    const wanted = (changes.fixed_ips ?? []) as { ip_address?: string }[];
    if (wanted.some((ip) => ip.ip_address === fip.fixed_ip_address)) return;
    throw new RouterBadRequest(`Cannot update the fixed_ips of the port ${String(port.id)}, because its original fixed_ip has been associated to a floating ip`, 'port');
  }

  /** disassociate_floatingips, in the port deletion's transaction. */
  private async disassociatePort(tx: Tx, ctx: RequestContext, portId: string): Promise<void> {
    const rows = await tx.selectFrom('floatingips').select(['id', 'project_id', 'router_id']).where('fixed_port_id', '=', portId).execute();
    if (rows.length === 0) return;
    // A floating IP an admin associated for another project is not the port owner's to drop.
    if (!ctx.isAdmin && rows.some((r) => r.project_id !== ctx.projectId)) throw new FipAssociated(portId);
    for (const row of rows) {
      await tx
        .updateTable('floatingips')
        .set({ ...nextRevision(), fixed_port_id: null, fixed_ip_address: null, router_id: null, last_known_router_id: row.router_id })
        .where('id', '=', row.id)
        .execute();
    }
    this.disassociatedByPort.set(portId, rows.map((r) => r.router_id).filter((id): id is string => id !== null));
  }

  // --- rows ---

  /** The external network a floating IP is taken from: one the caller sees (404 otherwise). */
  private async checkNetworkVisible(ctx: RequestContext, networkId: string): Promise<void> {
    const network = await this.deps.db.selectFrom('networks').select(['project_id']).where('id', '=', networkId).executeTakeFirst();
    if (!network) throw new NetworkNotFound(networkId);
    if (ctx.isAdmin || network.project_id === ctx.projectId) return;
    const access = await networkAccess(this.deps.db, ctx, networkId);
    if (!access.has(ACCESS_EXTERNAL) && !access.has(ACCESS_SHARED)) throw new NetworkNotFound(networkId);
  }

  private async checkExternal(tx: Tx, networkId: string): Promise<void> {
    const network = await tx.selectFrom('networks').select(['router_external']).where('id', '=', networkId).executeTakeFirst();
    if (!network) throw new NetworkNotFound(networkId);
    if (network.router_external !== 1) throw fipBadRequest(`Network ${networkId} is not a valid external network`);
    const v4 = await tx.selectFrom('subnets').select('id').where('network_id', '=', networkId).where('ip_version', '=', 4).executeTakeFirst();
    if (!v4) throw fipBadRequest(`Network ${networkId} does not contain any IPv4 subnet`);
  }

  private async present(db: Db, rows: readonly FloatingIpRow[]): Promise<ApiObject[]> {
    const portIds = [...new Set(rows.map((r) => r.fixed_port_id).filter((id): id is string => id !== null))];
    const [tags, ports] = await Promise.all([
      loadTags(db, rows.map((r) => r.id)),
      portIds.length === 0
        ? Promise.resolve([])
        : db
            .selectFrom('ports')
            .select(['id', 'name', 'network_id', 'mac_address', 'admin_state_up', 'status', 'device_id', 'device_owner'])
            .where('id', 'in', portIds)
            .execute(),
    ]);
    const byId = new Map(ports.map((p) => [p.id, p]));
    const objects = rows.map((row) => {
      const fip = this.stored.toObject(row);
      fip.tags = tags.get(row.id) ?? [];
      const port = row.fixed_port_id === null ? undefined : byId.get(row.fixed_port_id);
      fip.port_details = port
        ? {
            name: port.name,
            network_id: port.network_id,
            mac_address: port.mac_address,
            admin_state_up: port.admin_state_up === 1,
            status: port.status,
            device_id: port.device_id,
            device_owner: port.device_owner,
          }
        : null;
      return fip;
    });
    return extend(this.deps, 'floatingip', db, objects);
  }
}

/** A router's gateway stays while floating IPs go through it (_delete_current_gw_port). */
export async function checkGatewayNotInUse(tx: Tx, routerId: string, networkId: string): Promise<void> {
  const fip = await tx.selectFrom('floatingips').select('id').where('router_id', '=', routerId).executeTakeFirst();
  if (fip) throw new RouterExternalGatewayInUseByFloatingIp(routerId, networkId);
}

/** A router's interface on a subnet stays while floating IPs forward to addresses of it (_check_router_interface_not_in_use). */
export async function checkInterfaceNotInUse(tx: Tx, routerId: string, subnetId: string): Promise<void> {
  const fip = await tx
    .selectFrom('floatingips')
    .innerJoin('ipallocations', (join) =>
      join.onRef('ipallocations.port_id', '=', 'floatingips.fixed_port_id').onRef('ipallocations.ip_address', '=', 'floatingips.fixed_ip_address'),
    )
    .select('floatingips.id')
    .where('floatingips.router_id', '=', routerId)
    .where('ipallocations.subnet_id', '=', subnetId)
    .executeTakeFirst();
  if (fip) throw new RouterInterfaceInUseByFloatingIP(routerId, subnetId);
}
