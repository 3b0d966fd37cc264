/**
 * The L3 agent (Neutron's L3NATAgentWithStateReport, neutron/agent/l3/agent.py,
 * agent_mode legacy) as a reconciler: a pass takes the routers scheduled to
 * this host, diffs each against the host (routerPass.ts), applies the
 * difference, tears down router namespaces nobody hosts, and reports the
 * floating IP statuses that changed.
 *
 * What the server is asked: the periodic pass (periodic_interval) fetches
 * everything (get_router_ids, then sync_routers of those ids: the first also
 * schedules unhosted routers to us) and observes the whole host, so a
 * deleted namespace or a flushed table is repaired then; a pass kicked by the
 * server's casts on `l3_agent.<host>` fetches, observes and changes only the
 * routers they named since the last pass.
 *
 * Stopping the agent leaves the routers forwarding and the metadata proxies
 * running; a restarted agent observes first and changes only what differs.
 */
import type { Logger } from 'pino';

import { IpRoute } from '../../host/ip.js';
import type { Bus, ServeHandle } from '../../rpc/bus.js';
import { l3AgentApi, serveContract } from '../../rpc/contract/index.js';
import { L3_AGENT } from '../../rpc/topics.js';
import { Reconciler } from '../common/reconciler.js';
import { StateReporter } from '../common/stateReporter.js';
import { fipStatusUpdate, type FipStatus } from './fipStatus.js';
import type { Router } from './model.js';
import { describeStep } from './plan.js';
import { L3PluginApi } from './pluginApi.js';
import { hostedRouters, reconcileRouters, type PassResult } from './routerPass.js';
import type { NatListing } from './routerPlan.js';
import type { L3AgentSettings } from './settings.js';

/** What the agent reports in its state (Neutron's L3 agent counts the same). */
export interface HostedCounts {
  readonly routers: number;
  readonly ex_gw_ports: number;
  readonly interfaces: number;
  readonly floating_ips: number;
}

/** The first retry after a failed pass; each further failure doubles it. */
const FIRST_RETRY_MS = 1_000;

/** A periodic pass a little early still counts as due: the timer and a kick may be a few ms apart. */
const FULL_SYNC_SLACK = 0.9;

function countsOf(routers: readonly Router[]): HostedCounts {
  return {
    routers: routers.length,
    ex_gw_ports: routers.filter((router) => router.gateway !== null).length,
    interfaces: routers.reduce((sum, router) => sum + router.interfaces.length, 0),
    floating_ips: routers.reduce((sum, router) => sum + (router.gateway ? router.floatingIps.length : 0), 0),
  };
}

const withStatuses = (router: Router, statuses: Readonly<Record<string, FipStatus>>): Router => ({
  ...router,
  floatingIps: router.floatingIps.map((fip) => (statuses[fip.id] === undefined ? fip : { ...fip, status: statuses[fip.id]! })),
});

export class L3Agent {
  /** Full fetches and fetches of named routers so far, for tests and benchmarks. */
  readonly fetches = { full: 0, named: 0 };
  private readonly api: L3PluginApi;
  private readonly reconciler: Reconciler;
  private readonly reporter: StateReporter;
  private serving: ServeHandle | undefined;
  /** The routers the server last sent, by id. */
  private readonly cache = new Map<string, Router>();
  /** Routers the server named since the last fetch. */
  private named = new Set<string>();
  private fullRequested = true;
  private lastFullAt = 0;
  /** Per router, the floating IPs in place after the last pass (for DOWN when one goes). */
  private readonly fipsInPlace = new Map<string, ReadonlySet<string>>();
  private hosted: HostedCounts = { routers: 0, ex_gw_ports: 0, interfaces: 0, floating_ips: 0 };
  private readonly natListings = new Map<string, NatListing>();
  private retryDelayMs = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly settings: L3AgentSettings,
    private readonly bus: Bus,
    private readonly log: Logger,
    private readonly host: IpRoute = new IpRoute(),
  ) {
    this.api = new L3PluginApi(bus, settings.host);
    this.reconciler = new Reconciler({
      name: 'l3-agent',
      intervalMs: settings.periodicIntervalMs,
      settleMs: settings.settleMs,
      pass: () => this.pass(),
      log,
    });
    this.reporter = new StateReporter(
      bus,
      { agentType: 'L3 agent', binary: 'neutron-l3-agent', host: settings.host, topic: L3_AGENT, availabilityZone: settings.availabilityZone },
      {
        intervalMs: settings.reportIntervalMs,
        configurations: () => ({
          agent_mode: 'legacy',
          handle_internal_only_routers: settings.handleInternalOnlyRouters,
          interface_driver: settings.interfaceDriver,
          gateway_external_network_id: '',
          log_agent_heartbeats: settings.logAgentHeartbeats,
          ...this.hosted,
        }),
        onRevived: () => this.requestFull(),
        logHeartbeats: settings.logAgentHeartbeats,
      },
      log,
    );
  }

  /** Serves l3_agent.<host>, reports state and starts the loop (its first pass, a full one, right away). */
  async start(): Promise<void> {
    const named = (ids: readonly string[]) => async () => {
      for (const id of ids) this.named.add(id);
      this.reconciler.kick();
      return null;
    };
    this.serving = await serveContract(
      this.bus,
      l3AgentApi,
      {
        routers_updated: ({ routers }) => named(routers)(),
        router_deleted: ({ router_id: routerId }) => named([routerId])(),
        router_added_to_agent: ({ payload }) => named(payload)(),
        router_removed_from_agent: ({ payload }) => named([payload.router_id])(),
        agent_updated: async () => {
          this.requestFull();
          return null;
        },
      },
      { server: this.settings.host, log: this.log },
    );
    this.reporter.start();
    this.reconciler.start();
  }

  /** Stops listening and reporting; the routers keep forwarding. */
  async stop(): Promise<void> {
    clearTimeout(this.retryTimer);
    this.reporter.stop();
    await this.serving?.stop();
    await this.reconciler.stop();
  }

  /** Resolves after a pass that started after this call. */
  sync(): Promise<void> {
    return this.reconciler.sync();
  }

  get passes(): number {
    return this.reconciler.passes;
  }

  get hostedCounts(): HostedCounts {
    return this.hosted;
  }

  /**
   * What one pass would change, as printable lines; nothing is changed, on
   * the server either: sync_routers alone, since get_router_ids would
   * schedule unhosted routers to this agent.
   */
  async plan(): Promise<string[]> {
    const routers = hostedRouters(await this.api.syncRouters(), this.settings.handleInternalOnlyRouters);
    const result = await this.reconcile(routers, true);
    const failed = result.routers.filter((outcome) => !outcome.ok);
    if (failed.length > 0) throw failed[0]!.error;
    return [
      ...result.routers.flatMap((outcome) => outcome.steps.flatMap(describeStep)),
      ...[...result.removed.values()].flatMap((steps) => steps.flatMap(describeStep)),
    ];
  }

  private requestFull(): void {
    this.fullRequested = true;
    this.reconciler.kick();
  }

  private async fetchAll(): Promise<Router[]> {
    const ids = await this.api.getRouterIds();
    return ids.length === 0 ? [] : this.api.syncRouters(ids);
  }

  /**
   * Brings the cache up to date: everything when due, else the routers named
   * since the last pass. Returns the routers this pass must look at on the
   * host: those named, or all (after a full fetch, and on a pass nobody
   * named anything for, such as a retry).
   */
  private async refreshCache(): Promise<ReadonlySet<string> | 'all'> {
    const fullDue = this.fullRequested || Date.now() - this.lastFullAt >= this.settings.periodicIntervalMs * FULL_SYNC_SLACK;
    const named = this.named;
    this.named = new Set();
    try {
      if (fullDue) {
        this.fullRequested = false;
        const routers = await this.fetchAll();
        this.fetches.full++;
        this.lastFullAt = Date.now();
        this.cache.clear();
        for (const router of routers) this.cache.set(router.id, router);
        return 'all';
      }
      if (named.size > 0) {
        const routers = await this.api.syncRouters([...named]);
        this.fetches.named++;
        const returned = new Map(routers.map((router) => [router.id, router]));
        for (const id of named) {
          const router = returned.get(id);
          if (router) this.cache.set(id, router);
          else this.cache.delete(id);
        }
        return named;
      }
      return 'all';
    } catch (err) {
      // Nothing was learnt: ask again next pass.
      if (fullDue) this.fullRequested = true;
      for (const id of named) this.named.add(id);
      throw err;
    }
  }

  private reconcile(routers: readonly Router[], dryRun: boolean, scope: ReadonlySet<string> | 'all' = 'all'): Promise<PassResult> {
    const planSettings = { ...this.settings, hostNetns: this.host.netns };
    const inScope = scope === 'all' ? routers : routers.filter((router) => scope.has(router.id));
    return reconcileRouters(planSettings, this.host, inScope, {
      dryRun,
      warn: (obj, msg) => this.log.warn(obj, msg),
      natListings: this.natListings,
      ...(scope === 'all' ? {} : { scope }),
    });
  }

  /** A failed pass is retried soon, then less and less often, up to the periodic interval (Neutron's resync queue). */
  private async pass(): Promise<void> {
    try {
      await this.passOnce();
      this.retryDelayMs = 0;
    } catch (err) {
      this.retryDelayMs = Math.min(Math.max(this.retryDelayMs * 2, FIRST_RETRY_MS), this.settings.periodicIntervalMs);
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => this.reconciler.kick(), this.retryDelayMs);
      this.retryTimer.unref();
      throw err;
    }
  }

  /** A pass after notifications observes and changes only the routers they named: its cost does not grow with the routers hosted. */
  private async passOnce(): Promise<void> {
    const scope = await this.refreshCache();
    const routers = hostedRouters([...this.cache.values()], this.settings.handleInternalOnlyRouters);
    const result = await this.reconcile(routers, false, scope);
    for (const routerId of result.removed.keys()) {
      this.fipsInPlace.delete(routerId);
      this.log.info({ router: routerId }, 'router no longer hosted here: its namespace is gone');
    }
    let failed = 0;
    for (const outcome of result.routers) {
      if (!outcome.ok) {
        failed++;
        this.log.error({ err: outcome.error, router: outcome.router.id }, 'cannot configure the router; the next pass retries');
      }
      await this.reportFloatingIps(outcome.router, outcome.ok);
    }
    this.hosted = countsOf(routers);
    if (failed > 0) throw new Error(`${failed} of ${result.routers.length} routers could not be configured`);
  }

  private async reportFloatingIps(router: Router, applied: boolean): Promise<void> {
    const update = fipStatusUpdate(router, applied, this.fipsInPlace.get(router.id) ?? new Set());
    if (Object.keys(update.statuses).length > 0) {
      try {
        await this.api.updateFloatingIpStatuses(router.id, update.statuses);
      } catch (err) {
        // The cache keeps the server's old statuses, so the next pass sends them again.
        this.log.warn({ err, router: router.id }, 'cannot report floating IP statuses');
        return;
      }
      // The server has them now: the cached copy must say so, or every pass from the cache would send them again.
      if (this.cache.get(router.id) === router) this.cache.set(router.id, withStatuses(router, update.statuses));
    }
    this.fipsInPlace.set(router.id, update.inPlace);
  }
}
