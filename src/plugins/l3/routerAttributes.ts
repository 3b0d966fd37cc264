/**
 * A router's dvr, l3-ha and router_availability_zone attributes, as
 * Neutron's L3RouterPlugin keeps them (neutron/db/l3_attrs_db.py,
 * l3_dvr_db.py, l3_hamode_db.py, availability_zone/router.py): stored in
 * router_extra_attributes, shown on every router through an extender, and
 * kept by the router's events, so RouterService only calls `beforeCreate`.
 *
 * - distributed / ha: unset on create, [DEFAULT] router_distributed and
 *   l3_ha decide. Changing either needs the router administratively down
 *   (distributed: before and after the update; ha: after it), else 400.
 *   Nucleon's data plane runs every router as a legacy one.
 * - availability_zone_hints: names L3 agents report (else 404
 *   AvailabilityZoneNotFound), [DEFAULT] default_availability_zones when
 *   none; availability_zones: the zones of the L3 agents hosting the router
 *   (routerl3agentbindings), none while no agent does.
 * - Each project with HA routers has one HA network ("HA network tenant
 *   <project>", no project of its own, a subnet of [DEFAULT] l3_ha_net_cidr
 *   without DHCP or gateway), made before its first HA router's transaction
 *   (or after a router becomes HA) and deleted once the project has no HA
 *   router left. Neutron deletes it whenever no HA port uses it; HA ports
 *   belong to L3 agent bindings, which Nucleon does not make yet, so the
 *   project's HA routers stand for them.
 */
import { adminContext, type RequestContext } from '../../common/context.js';
import { NeutronError } from '../../common/errors.js';
import { isUniqueViolation } from '../../db/errors.js';
import type { Db, Tx } from '../../db/schema.js';
import type { ApiObject, Collection } from '../collection.js';
import type { EventObject, NewObject } from '../core/events.js';
import type { CoreDeps } from '../core/deps.js';
import { AGENT_TYPE } from '../agents/agentTypes.js';
import { azHintsJson, checkHintsLength, checkZones, zonesByResource } from '../agents/availabilityZones.js';
import { RouterBadRequest } from './errors.js';

export interface RouterAttributeOptions {
  /** [DEFAULT] router_distributed: a new router's `distributed` when the request does not say. */
  readonly routerDistributed: boolean;
  /** [DEFAULT] l3_ha: a new router's `ha` when the request does not say. */
  readonly l3Ha: boolean;
  /** [DEFAULT] default_availability_zones: the hints of a router created without any. */
  readonly defaultAvailabilityZones: readonly string[];
  /** [DEFAULT] l3_ha_net_cidr, l3_ha_network_type, l3_ha_network_physical_name: how HA networks are made. */
  readonly haNetCidr: string;
  readonly haNetworkType: string;
  readonly haNetworkPhysicalName: string;
}

/** What HA networks are made with: the core collections, and request bodies checked and completed as the API does. */
export interface HaNetworkDeps {
  readonly networks: Collection;
  readonly subnets: Collection;
  readonly checkCreate: (collection: 'networks' | 'subnets', body: ApiObject, ctx: RequestContext) => ApiObject;
}

/**
 * An HA router whose project's HA network went between beforeCreate and
 * its transaction (the project's last HA router deleted meanwhile): Neutron
 * retries the create; here the client does, and the network is made again.
 */
export class HANetworkConcurrentDeletion extends NeutronError {
  constructor(projectId: string) {
    super(409, 'HANetworkConcurrentDeletion', `Network for tenant ${projectId} concurrently deleted.`);
  }
}

/** The hooks RouterService calls itself: the rest rides on the router's events. */
export interface RouterHooks {
  beforeCreate(ctx: RequestContext, items: readonly ApiObject[]): Promise<void>;
}

type Router = EventObject<'router'>;

const SYSTEM = adminContext('req-l3-ha');

export const haNetworkName = (projectId: string) => `HA network tenant ${projectId}`;
const haSubnetName = (projectId: string) => `HA subnet tenant ${projectId}`;

/** Whether a requested `distributed` or `ha` changes the stored one: null or absent leaves it as it is. */
function changes(requested: unknown, stored: unknown): requested is boolean {
  return typeof requested === 'boolean' && requested !== stored;
}

export class RouterAttributes implements RouterHooks {
  constructor(
    private readonly deps: CoreDeps,
    private readonly options: RouterAttributeOptions,
    private readonly ha: HaNetworkDeps,
  ) {
    deps.extenders.of('router').push((db, routers) => this.attributesOf(db, routers));
    const { events } = deps;
    events.on('router.precommit_create', ({ tx, current, request }) => this.store(tx, current, request ?? {}));
    events.on('router.precommit_update', ({ tx, current, original, request }) => this.migrate(tx, original ?? current, current, request ?? {}));
    events.on('router.precommit_delete', async ({ tx, current }) => {
      await tx.deleteFrom('router_extra_attributes').where('router_id', '=', current.id).execute();
    });
    events.on('router.after_update', async ({ current, original }) => {
      if (original?.ha === current.ha) return;
      if (current.ha === true) await this.ensureHaNetwork(current.tenant_id);
      else await this.releaseHaNetwork(current.tenant_id);
    });
    events.on('router.after_delete', async ({ current }) => {
      if (current.ha === true) await this.releaseHaNetwork(current.tenant_id);
    });
  }

  /** Checks the hints' length, and makes the HA network of each project that gets its first HA router (_before_router_create). */
  async beforeCreate(ctx: RequestContext, items: readonly ApiObject[]): Promise<void> {
    for (const item of items) {
      checkHintsLength(this.hintsOf(item));
    }
    const projects = new Set(items.filter((item) => this.isHa(item)).map((item) => String(item.tenant_id ?? ctx.projectId)));
    for (const project of projects) await this.ensureHaNetwork(project);
  }

  private isHa(item: ApiObject): boolean {
    return typeof item.ha === 'boolean' ? item.ha : this.options.l3Ha;
  }

  private isDistributed(item: ApiObject): boolean {
    return typeof item.distributed === 'boolean' ? item.distributed : this.options.routerDistributed;
  }

  private hintsOf(item: ApiObject): readonly string[] {
    const hints = Array.isArray(item.availability_zone_hints) ? (item.availability_zone_hints as string[]) : [];
    return hints.length > 0 ? hints : this.options.defaultAvailabilityZones;
  }

  /** A new router's row (_set_distributed_flag, _precommit_router_create, _process_az_request). */
  private async store(tx: Tx, router: NewObject<'router'>, request: ApiObject): Promise<void> {
    const hints = this.hintsOf(request);
    await checkZones(tx, AGENT_TYPE.l3, hints);
    const ha = this.isHa(request);
    const projectId = router.tenant_id;
    if (ha && (await this.haNetworkOf(projectId, tx)) === undefined) throw new HANetworkConcurrentDeletion(projectId);
    await tx
      .insertInto('router_extra_attributes')
      .values({
        router_id: router.id,
        distributed: this.isDistributed(request) ? 1 : 0,
        ha: ha ? 1 : 0,
        ha_vr_id: 0,
        availability_zone_hints: azHintsJson(hints),
      })
      .execute();
  }

  /**
   * An update of distributed or ha (l3_dvr_db _validate_router_migration,
   * l3_hamode_db _validate_migration). With router-admin-state-down-before-update
   * loaded (always, with dvr), the router must be down before and after the
   * update to change `distributed`; `ha` only asks it to be down after.
   */
  private async migrate(tx: Tx, original: Router, current: Router, request: ApiObject): Promise<void> {
    const distributed = changes(request.distributed, original.distributed);
    const ha = changes(request.ha, original.ha);
    if (distributed && (original.admin_state_up === true || current.admin_state_up === true)) {
      throw new RouterBadRequest(
        "Cannot change the 'distributed' attribute of active routers. Please set router admin_state_up to False prior to upgrade",
      );
    }
    if (ha && current.admin_state_up === true) {
      throw new RouterBadRequest('Cannot change HA attribute of active routers. Please set router admin_state_up to False prior to upgrade');
    }
    if (!distributed && !ha) return;
    await tx
      .updateTable('router_extra_attributes')
      .set({
        ...(distributed ? { distributed: request.distributed === true ? 1 : 0 } : {}),
        // A router leaving HA gives its VRRP id back.
        ...(ha ? { ha: request.ha === true ? 1 : 0, ha_vr_id: 0 } : {}),
      })
      .where('router_id', '=', current.id)
      .execute();
  }

  /** The attributes of these routers; a router whose row is not written yet shows what it will get by default. */
  private async attributesOf(db: Db, routers: readonly ApiObject[]): Promise<ReadonlyMap<string, ApiObject>> {
    const ids = routers.map((r) => String(r.id));
    if (ids.length === 0) return new Map();
    const [rows, zones] = await Promise.all([
      db.selectFrom('router_extra_attributes').selectAll().where('router_id', 'in', ids).execute(),
      zonesHosting(db, ids),
    ]);
    const byId = new Map(rows.map((row) => [row.router_id, row]));
    const declared = this.deps.api.resource('routers').attributes;
    return new Map(
      ids.map((id) => {
        const row = byId.get(id);
        const attributes: ApiObject = {
          distributed: row ? row.distributed === 1 : this.options.routerDistributed,
          ha: row ? row.ha === 1 : this.options.l3Ha,
          availability_zone_hints: row ? (JSON.parse(row.availability_zone_hints) as string[]) : [...this.options.defaultAvailabilityZones],
          availability_zones: zones.get(id) ?? [],
        };
        // Only the loaded extensions' (enable_dvr = false leaves `distributed` out), as Neutron shows only its attribute map.
        return [id, Object.fromEntries(Object.entries(attributes).filter(([name]) => name in declared))];
      }),
    );
  }

  // --- the projects' HA networks ---

  /** The project's HA network, made if it has none (_create_ha_network); a server that records one first wins. */
  private async ensureHaNetwork(projectId: string): Promise<void> {
    if (await this.haNetworkOf(projectId)) return;
    const network = {
      name: haNetworkName(projectId),
      tenant_id: '',
      shared: false,
      admin_state_up: true,
      ...(this.options.haNetworkType ? { 'provider:network_type': this.options.haNetworkType } : {}),
      ...(this.options.haNetworkPhysicalName ? { 'provider:physical_network': this.options.haNetworkPhysicalName } : {}),
    };
    const [created] = await this.ha.networks.create!(SYSTEM, [this.ha.checkCreate('networks', { network }, SYSTEM)]);
    const networkId = String(created!.id);
    try {
      await this.deps.db.insertInto('ha_router_networks').values({ project_id: projectId, network_id: networkId }).execute();
    } catch (err) {
      await this.ha.networks.delete!(SYSTEM, networkId);
      if (isUniqueViolation(err)) return;
      throw err;
    }
    const subnet = {
      network_id: networkId,
      tenant_id: '',
      name: haSubnetName(projectId),
      ip_version: 4,
      cidr: this.options.haNetCidr,
      enable_dhcp: false,
      gateway_ip: null,
    };
    try {
      await this.ha.subnets.create!(SYSTEM, [this.ha.checkCreate('subnets', { subnet }, SYSTEM)]);
    } catch (err) {
      await this.ha.networks.delete!(SYSTEM, networkId);
      throw err;
    }
  }

  /** Deletes the project's HA network once none of its routers is HA (_cleanup_ha_network); a network in use stays. */
  private async releaseHaNetwork(projectId: string): Promise<void> {
    const networkId = await this.haNetworkOf(projectId);
    if (networkId === undefined) return;
    const haRouter = await this.deps.db
      .selectFrom('routers')
      .innerJoin('router_extra_attributes', 'router_extra_attributes.router_id', 'routers.id')
      .select('routers.id')
      .where('routers.project_id', '=', projectId)
      .where('router_extra_attributes.ha', '=', 1)
      .executeTakeFirst();
    if (haRouter) return;
    try {
      await this.ha.networks.delete!(SYSTEM, networkId);
    } catch (err) {
      // Deleted meanwhile, or someone's ports on it: as Neutron, it stays and nobody is told.
      if (err instanceof NeutronError && (err.type === 'NetworkNotFound' || err.type === 'NetworkInUse')) return;
      throw err;
    }
  }

  private async haNetworkOf(projectId: string, db: Db = this.deps.db): Promise<string | undefined> {
    const row = await db.selectFrom('ha_router_networks').select('network_id').where('project_id', '=', projectId).executeTakeFirst();
    return row?.network_id;
  }
}

/** The zones of the L3 agents hosting each router (get_router_availability_zones), sorted; agents without a zone add none. */
async function zonesHosting(db: Db, routerIds: readonly string[]): Promise<Map<string, string[]>> {
  const rows = await db
    .selectFrom('routerl3agentbindings')
    .innerJoin('agents', 'agents.id', 'routerl3agentbindings.l3_agent_id')
    .select(['routerl3agentbindings.router_id as id', 'agents.availability_zone as zone'])
    .where('routerl3agentbindings.router_id', 'in', [...routerIds])
    .execute();
  return zonesByResource(rows);
}
