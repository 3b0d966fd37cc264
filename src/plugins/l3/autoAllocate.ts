/**
 * Get-me-a-network (neutron/services/auto_allocate/db.py): a project asks
 * for "a network that reaches the outside" and gets one, made on its first
 * request and the same one afterwards: `auto_allocated_network` with a
 * subnet from each default subnet pool (`auto_allocated_subnet_v4`/`_v6`),
 * behind `auto_allocated_router` whose gateway is on the default external
 * network. Everything is made through the core and router services in the
 * caller's name, so policy-free plugin rules, quotas, IPAM, events and
 * agent notifications apply as to any other request. The network stays
 * down until the whole topology is recorded, so nobody uses half of one.
 *
 * Also the rules of `is_default` on networks: kept on external networks
 * only, one of them at a time (DefaultExternalNetworkExists).
 */
import type { RequestContext } from '../../common/context.js';
import { NeutronError, NotAuthorized } from '../../common/errors.js';
import { isUniqueViolation } from '../../db/errors.js';
import type { Tx } from '../../db/schema.js';
import type { ApiObject, Collection, MemberAction } from '../collection.js';
import type { CoreDeps } from '../core/deps.js';
import { SubnetAllocationError } from '../subnetpools/errors.js';
import { RouterBadRequest } from './errors.js';

export class AutoAllocationFailure extends NeutronError {
  constructor(reason: string) {
    super(409, 'AutoAllocationFailure', `Deployment error: ${reason}.`);
  }
}

export class DefaultExternalNetworkExists extends NeutronError {
  constructor(networkId: string) {
    super(409, 'DefaultExternalNetworkExists', `A default external network already exists: ${networkId}.`);
  }
}

/** `?fields=dry-run`: check that a topology could be made, make nothing. */
export const DRY_RUN = 'dry-run';

/** The services the topology is made with, and the API's defaults for their bodies. */
export interface TopologyServices {
  readonly networks: Pick<Collection, 'update' | 'delete'> & Required<Pick<Collection, 'create'>>;
  readonly subnets: Required<Pick<Collection, 'create'>>;
  readonly routers: Required<Pick<Collection, 'create' | 'delete'>> & {
    readonly actions: Readonly<Record<string, MemberAction>>;
  };
  /** A create body checked as the API checks it (defaults filled), for the caller. */
  readonly checkCreate: (collection: 'networks' | 'subnets' | 'routers', body: ApiObject, ctx: RequestContext) => ApiObject;
}

/** What a build made so far, for its cleanup. */
interface Made {
  readonly networkId?: string | undefined;
  readonly routerId?: string | null | undefined;
  readonly subnetIds?: readonly string[] | undefined;
}

/**
 * Upstream turns its BadRequest and NotFound families (and, making the
 * network, SubnetAllocationError) into AutoAllocationFailure and re-raises
 * anything else (OverQuota...) after the same cleanup; here those families
 * are the 400 and 404 errors.
 */
const isRequestError = (err: unknown, statuses: readonly number[]): boolean => err instanceof NeutronError && statuses.includes(err.status);

export class AutoAllocateService {
  /** One build per project at a time in this process; the table's primary key settles races between servers. */
  private readonly building = new Map<string, Promise<string>>();

  constructor(
    private readonly deps: CoreDeps,
    private readonly services: TopologyServices,
  ) {
    deps.events.on('network.precommit_create', ({ tx, current, request }) => keepDefaultRules(tx, current, request));
    deps.events.on('network.precommit_update', ({ tx, current, request }) => keepDefaultRules(tx, current, request));
    // is_default belongs to external networks: the others do not show it at all, as upstream's extender.
    deps.extenders.of('network').push(async (_db, networks) => {
      const internal = networks.filter((n) => n['router:external'] !== true);
      return new Map(internal.map((n) => [String(n.id), { is_default: undefined }]));
    });
  }

  /** The project a request names: `None` (a client that sent none) is the caller's; only admins name another. */
  projectFor(ctx: RequestContext, requested: string): string {
    const project = requested === 'None' ? ctx.projectId : requested;
    if (!ctx.isAdmin && project !== ctx.projectId) throw new NotAuthorized();
    return project;
  }

  /** The project's topology, made if it has none; with `dry-run`, whether one could be. */
  async get(ctx: RequestContext, project: string, fields: readonly string[]): Promise<ApiObject> {
    if (fields.includes(DRY_RUN)) {
      await this.checkRequirements();
      return { id: 'dry-run=pass', tenant_id: project, project_id: project };
    }
    if (fields.length > 0) throw new RouterBadRequest('Unrecognized field', 'auto_allocate');
    const recorded = await this.recorded(project);
    if (recorded !== undefined) return topology(recorded.network_id, project);
    let pending = this.building.get(project);
    if (pending === undefined) {
      pending = this.build(ctx, project).finally(() => this.building.delete(project));
      this.building.set(project, pending);
    }
    return topology(await pending, project);
  }

  /** Takes the project's topology away (nothing to do when it has none). */
  async delete(ctx: RequestContext, project: string): Promise<void> {
    const recorded = await this.recorded(project);
    if (recorded === undefined) return;
    const subnets = await this.deps.db.selectFrom('subnets').select('id').where('network_id', '=', recorded.network_id).execute();
    await this.cleanup(ctx, { networkId: recorded.network_id, routerId: recorded.router_id, subnetIds: subnets.map((s) => s.id) });
  }

  private recorded(project: string) {
    return this.deps.db.selectFrom('auto_allocated_topologies').selectAll().where('project_id', '=', project).executeTakeFirst();
  }

  private async checkRequirements(): Promise<void> {
    await this.defaultExternalNetwork();
    if ((await this.defaultPools()).length === 0) throw new AutoAllocationFailure('No default subnetpools defined');
  }

  /** The external network marked is_default; upstream takes the first should there ever be several. */
  private async defaultExternalNetwork(): Promise<string> {
    const row = await this.deps.db
      .selectFrom('networks')
      .select('id')
      .where('is_default', '=', 1)
      .where('router_external', '=', 1)
      .orderBy('created_at')
      .executeTakeFirst();
    if (row === undefined) throw new AutoAllocationFailure('No default router:external network');
    return row.id;
  }

  /** The default subnet pools, IPv4 first. */
  private defaultPools() {
    return this.deps.db
      .selectFrom('subnetpools')
      .select(['id', 'ip_version'])
      .where('is_default', '=', 1)
      .where('ip_version', 'in', [4, 6])
      .orderBy('ip_version')
      .execute();
  }

  /** Network, subnets, router; recorded; the network's id. */
  private async build(ctx: RequestContext, project: string): Promise<string> {
    const external = await this.defaultExternalNetwork();
    const { networkId, subnetIds } = await this.privateNetwork(ctx, project);
    const routerId = await this.uplink(ctx, project, external, networkId, subnetIds);
    return this.record(ctx, project, { networkId, routerId, subnetIds });
  }

  private async privateNetwork(ctx: RequestContext, project: string): Promise<{ networkId: string; subnetIds: string[] }> {
    const { networks, subnets, checkCreate } = this.services;
    let networkId: string | undefined;
    try {
      const pools = await this.defaultPools();
      // Upstream finds no default pool with a NotFound, answered like the other unmet requirements below.
      if (pools.length === 0) throw new AutoAllocationFailure('Unable to provide project private network');
      // Down until recorded: a half-made topology is never offered.
      const network = { name: 'auto_allocated_network', admin_state_up: false, tenant_id: project };
      const [created] = await networks.create(ctx, [checkCreate('networks', { network }, ctx)]);
      networkId = String(created!.id);
      const subnetIds: string[] = [];
      for (const pool of pools) {
        const subnet = {
          name: `auto_allocated_subnet_v${pool.ip_version}`,
          network_id: networkId,
          tenant_id: project,
          ip_version: pool.ip_version,
          subnetpool_id: pool.id,
        };
        const [made] = await subnets.create(ctx, [checkCreate('subnets', { subnet }, ctx)]);
        subnetIds.push(String(made!.id));
      }
      return { networkId, subnetIds };
    } catch (err) {
      await this.cleanup(ctx, { networkId });
      if (err instanceof AutoAllocationFailure || err instanceof SubnetAllocationError || isRequestError(err, [400, 404])) {
        throw new AutoAllocationFailure('Unable to provide project private network');
      }
      throw err;
    }
  }

  private async uplink(ctx: RequestContext, project: string, external: string, networkId: string, subnetIds: readonly string[]): Promise<string> {
    const { routers, checkCreate } = this.services;
    let routerId: string | undefined;
    const attached: string[] = [];
    try {
      const router = { name: 'auto_allocated_router', external_gateway_info: { network_id: external }, tenant_id: project, admin_state_up: true };
      const [created] = await routers.create(ctx, [checkCreate('routers', { router }, ctx)]);
      routerId = String(created!.id);
      for (const subnetId of subnetIds) {
        await routers.actions.add_router_interface!(ctx, routerId, { subnet_id: subnetId });
        attached.push(subnetId);
      }
      return routerId;
    } catch (err) {
      const refused = isRequestError(err, [400]);
      // Upstream detaches what it attached after a refusal, and every subnet after anything else.
      await this.cleanup(ctx, { networkId, routerId, subnetIds: refused ? attached : subnetIds });
      if (refused) throw new AutoAllocationFailure('Unable to provide external connectivity');
      throw err;
    }
  }

  /** Records the topology and opens the network; a project another server recorded first keeps that one, and ours goes. */
  private async record(ctx: RequestContext, project: string, made: Made & { networkId: string }): Promise<string> {
    try {
      await this.deps.db
        .insertInto('auto_allocated_topologies')
        .values({ project_id: project, network_id: made.networkId, router_id: made.routerId ?? null })
        .execute();
    } catch (err) {
      await this.cleanup(ctx, made);
      const winner = isUniqueViolation(err) ? await this.recorded(project) : undefined;
      if (winner === undefined) throw err;
      return winner.network_id;
    }
    try {
      await this.services.networks.update(ctx, made.networkId, { admin_state_up: true });
    } catch (err) {
      await this.cleanup(ctx, made);
      throw err;
    }
    return made.networkId;
  }

  /**
   * Removes what was made, in the order that lets each step succeed. A
   * concurrent DELETE may have removed some of it already: NotFound is not
   * a failure here.
   */
  private async cleanup(ctx: RequestContext, made: Made): Promise<void> {
    const { networks, routers } = this.services;
    if (made.routerId) {
      for (const subnetId of made.subnetIds ?? []) {
        await ignoreNotFound(routers.actions.remove_router_interface!(ctx, made.routerId, { subnet_id: subnetId }));
      }
      await ignoreNotFound(routers.delete(ctx, made.routerId));
    }
    if (made.networkId) await ignoreNotFound(networks.delete(ctx, made.networkId));
  }
}

const topology = (networkId: string, project: string): ApiObject => ({ id: networkId, tenant_id: project, project_id: project });

async function ignoreNotFound(work: Promise<unknown>): Promise<void> {
  try {
    await work;
  } catch (err) {
    if (!(err instanceof NeutronError && err.status === 404)) throw err;
  }
}

/**
 * _ensure_external_network_default_value_callback: `is_default` stays on
 * external networks only (an internal one, or one made internal, loses
 * it), and setting it on one while another external network has it is
 * refused. An update that leaves it out keeps it.
 */
async function keepDefaultRules(tx: Tx, current: ApiObject, request: ApiObject | undefined): Promise<void> {
  const id = String(current.id);
  if (current['router:external'] !== true) {
    await tx.updateTable('networks').set({ is_default: 0 }).where('id', '=', id).where('is_default', '=', 1).execute();
    return;
  }
  if (request?.is_default !== true) return;
  const other = await tx
    .selectFrom('networks')
    .select('id')
    .where('is_default', '=', 1)
    .where('router_external', '=', 1)
    .where('id', '!=', id)
    .executeTakeFirst();
  if (other !== undefined) throw new DefaultExternalNetworkExists(other.id);
}
