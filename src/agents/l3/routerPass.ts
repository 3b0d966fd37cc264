/**
 * One reconcile pass over this host's routers, without RPC: the routers to
 * host are given, the host is observed once, each router is diffed and
 * applied on its own (a failure in one leaves the others configured), and
 * the router namespaces that belong to no hosted router are torn down
 * (Neutron's namespace cleanup, namespace_manager.py). The agent wraps this
 * with sync_routers and the floating IP statuses; tests call it directly.
 */
import type { IpRoute } from '../../host/ip.js';
import { listNftTable } from '../../host/nftables.js';
import { applySteps } from './applyPlan.js';
import type { Router } from './model.js';
import { hostSnapshot, leftoverNamespaces, observeLeftover, observeRouter } from './observe.js';
import type { Step } from './plan.js';
import { sameTable } from './natTable.js';
import { routerPlan, teardownPlan, type NatListing, type RouterPlanSettings } from './routerPlan.js';

/** Routers configured at once. */
const PARALLEL_ROUTERS = 4;

export interface RouterOutcome {
  readonly router: Router;
  readonly steps: readonly Step[];
  /** Every step applied (always true in a dry run whose observation worked). */
  readonly ok: boolean;
  readonly error?: unknown;
}

export interface PassResult {
  readonly routers: readonly RouterOutcome[];
  /** The routers (by id) that were torn down, with their steps. */
  readonly removed: ReadonlyMap<string, readonly Step[]>;
}

export interface PassOptions {
  readonly dryRun: boolean;
  readonly warn: (obj: object, msg: string) => void;
  /**
   * By router id, how nft listed the table the agent last wrote: kept by the
   * caller across passes, so a host whose nft words our rules differently
   * replaces a table once, not on every pass.
   */
  readonly natListings?: Map<string, NatListing>;
  /** Only these routers' namespaces may be torn down (a pass for a few named routers); unset: any leftover. */
  readonly scope?: ReadonlySet<string>;
}

/**
 * The routers this agent builds out of what the server sends: those that are
 * up (Neutron's server sends only active ones; a router set down is torn
 * down), and those without a gateway only with handle_internal_only_routers.
 */
export function hostedRouters(routers: readonly Router[], handleInternalOnlyRouters: boolean): Router[] {
  return routers.filter((router) => router.adminStateUp && (handleInternalOnlyRouters || router.gateway !== null));
}

async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

async function learnListing(listings: Map<string, NatListing> | undefined, routerId: string, steps: readonly Step[]): Promise<void> {
  const written = steps.find((step) => step.kind === 'nft');
  if (!listings || !written || written.kind !== 'nft') return;
  const listed = await listNftTable(written.netns, written.table);
  if (listed === undefined || sameTable(listed, written.definition)) listings.delete(routerId);
  else listings.set(routerId, { definition: written.definition, listed });
}

export async function reconcileRouters(settings: RouterPlanSettings, host: IpRoute, routers: readonly Router[], options: PassOptions): Promise<PassResult> {
  const snapshot = await hostSnapshot(host, settings.ovs);
  const context = { host, warn: options.warn };
  const outcomes = new Map<string, RouterOutcome>();
  await forEachLimited(routers, PARALLEL_ROUTERS, async (router) => {
    let steps: Step[] = [];
    try {
      steps = routerPlan(settings, router, await observeRouter(settings, snapshot, router.id), snapshot, options.natListings?.get(router.id));
      if (!options.dryRun) {
        await applySteps(context, steps);
        await learnListing(options.natListings, router.id, steps);
      }
      outcomes.set(router.id, { router, steps, ok: true });
    } catch (error) {
      outcomes.set(router.id, { router, steps, ok: false, error });
    }
  });
  const removed = new Map<string, Step[]>();
  const scope = options.scope;
  const leftovers = leftoverNamespaces(settings, snapshot, new Set(routers.map((router) => router.id))).filter(
    (namespace) => scope === undefined || scope.has(namespace.slice(settings.namespacePrefix.length)),
  );
  await forEachLimited(leftovers, PARALLEL_ROUTERS, async (namespace) => {
    const leftover = await observeLeftover(settings, namespace);
    const steps = teardownPlan(settings, leftover);
    removed.set(leftover.routerId, steps);
    options.natListings?.delete(leftover.routerId);
    if (options.dryRun) return;
    try {
      await applySteps(context, steps);
    } catch (err) {
      options.warn({ err, namespace }, 'cannot remove a router namespace; the next pass retries');
    }
  });
  return { routers: routers.map((router) => outcomes.get(router.id)!), removed };
}
