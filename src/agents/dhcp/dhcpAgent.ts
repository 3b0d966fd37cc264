/**
 * The DHCP agent (Neutron's DhcpAgentWithStateReport, neutron/agent/dhcp/agent.py),
 * as a reconciler: every pass asks the server for the networks scheduled
 * to this host (get_active_networks_info), sets up the agent's DHCP port on
 * each, diffs namespace, device, files and dnsmasq against what the host
 * has, applies the difference, and tears down what it has for networks no
 * longer scheduled to it. The server's casts on `dhcp_agent.<host>`
 * (port_create_end, network_delete_end...) kick the loop, so a burst of them
 * costs a few passes and a few dnsmasq reloads; port notifications carry the
 * port, which goes into the agent's cache (networkCache.ts) instead of
 * costing a full fetch of every port. The periodic pass (resync_interval)
 * repairs drift such as a killed dnsmasq; a full fetch runs on other
 * notifications and at least every fullResyncIntervalMs.
 *
 * Stopping the agent leaves dnsmasq and the metadata proxies running: a new
 * agent adopts them by their pid files, so leases and metadata survive an
 * agent restart.
 */
import type { Logger } from 'pino';

import { listStateDir } from '../../host/dnsmasq.js';
import { IpRoute, listNamespaces } from '../../host/ip.js';
import type { Bus, ServeHandle } from '../../rpc/bus.js';
import { dhcpAgentApi, type DhcpPort as WirePort, serveContract } from '../../rpc/contract/index.js';
import { DHCP_AGENT } from '../../rpc/topics.js';
import { Reconciler } from '../common/reconciler.js';
import { StateReporter } from '../common/stateReporter.js';
import { applyStep, type DnsmasqCounters } from './applyPlan.js';
import { ReadyPorts } from './readyPorts.js';
import { DhcpPortUnavailable, ownDhcpPort, portNeedsUpdate, setupDhcpPort } from './dhcpPortSetup.js';
import { integrationBridgePorts } from '../plug/ovsPlug.js';
import { tapName } from './interfacePlan.js';
import { dhcpSubnets, toDhcpPort, type DhcpNetwork, type DhcpPort } from './model.js';
import { NetworkCache, type CacheEvent } from './networkCache.js';
import { servedNetworkPlan, teardownPlan, type NetworkPlanSettings } from './networkPlan.js';
import { metadataProxyConfigFile, observeLeftover, observeNetwork, type HostSnapshot } from './observe.js';
import { describeStep, type Step } from './plan.js';
import { DhcpPluginApi } from './pluginApi.js';

export interface DhcpAgentSettings extends Omit<NetworkPlanSettings, 'hostNetns'> {
  readonly resyncIntervalMs: number;
  /** How long a notification waits for more before the pass starts. */
  readonly settleMs: number;
  readonly reportIntervalMs: number;
  readonly availabilityZone: string;
  readonly logAgentHeartbeats: boolean;
  readonly dhcpDriver: string;
  readonly leaseDuration: number;
  /** A full get_active_networks_info at least this often, even when notifications said nothing else changed. */
  readonly fullResyncIntervalMs: number;
}

/** Networks configured at once, as Neutron's num_sync_threads. */
const PARALLEL_NETWORKS = 4;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/**
 * The network with `port` in place of (or added to) its ports, as Neutron's
 * _update_dhcp_port, sorted by id: the server lists ports in no set order,
 * and the files must not change (and dnsmasq reload) just because it did.
 */
const withPort = (network: DhcpNetwork, port: DhcpPort): DhcpNetwork => ({
  ...network,
  ports: [...network.ports.filter((p) => p.id !== port.id), port].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
});

export interface ServedCounts {
  readonly networks: number;
  readonly subnets: number;
  readonly ports: number;
}

export class DhcpAgent {
  readonly counters: DnsmasqCounters = { starts: 0, restarts: 0, reloads: 0 };
  /** Full get_active_networks_info fetches so far (the rest of the passes worked from the cache). */
  fullFetches = 0;
  private readonly api: DhcpPluginApi;
  private readonly planSettings: NetworkPlanSettings;
  private readonly reconciler: Reconciler;
  private readonly reporter: StateReporter;
  private readonly cache: NetworkCache;
  private serving: ServeHandle | undefined;
  private served: ServedCounts = { networks: 0, subnets: 0, ports: 0 };
  private readonly readyPorts = new ReadyPorts();

  constructor(
    private readonly settings: DhcpAgentSettings,
    private readonly bus: Bus,
    private readonly log: Logger,
    private readonly host: IpRoute = new IpRoute(),
  ) {
    this.api = new DhcpPluginApi(bus, settings.host);
    this.planSettings = { ...settings, hostNetns: host.netns };
    this.cache = new NetworkCache(settings.fullResyncIntervalMs);
    this.reconciler = new Reconciler({
      name: 'dhcp-agent',
      intervalMs: settings.resyncIntervalMs,
      settleMs: settings.settleMs,
      pass: async () => {
        await this.pass(false);
      },
      log,
    });
    this.reporter = new StateReporter(
      bus,
      { agentType: 'DHCP agent', binary: 'neutron-dhcp-agent', host: settings.host, topic: DHCP_AGENT, availabilityZone: settings.availabilityZone },
      {
        intervalMs: settings.reportIntervalMs,
        configurations: () => ({
          dhcp_driver: settings.dhcpDriver,
          dhcp_lease_duration: settings.leaseDuration,
          log_agent_heartbeats: settings.logAgentHeartbeats,
          ...this.served,
        }),
        onRevived: () => {
          // Notifications sent while the server thought us dead went nowhere.
          this.cache.requestFull();
          this.reconciler.kick();
        },
        logHeartbeats: settings.logAgentHeartbeats,
      },
      log,
    );
  }

  /** Serves dhcp_agent.<host>, reports state and starts the loop (its first pass right away). */
  async start(): Promise<void> {
    /** Port notifications carry what the cache needs; the others (and a port delete without its network) ask for a full fetch. */
    const notified = (event?: CacheEvent) => async () => {
      if (event) this.cache.apply(event);
      else this.cache.requestFull();
      this.reconciler.kick();
      return null;
    };
    const full = notified();
    const upsert = async ({ payload }: { payload: { port: WirePort } }) => notified({ kind: 'port-upsert', port: toDhcpPort(payload.port) })();
    this.serving = await serveContract(
      this.bus,
      dhcpAgentApi,
      {
        network_create_end: full,
        network_update_end: full,
        network_delete_end: full,
        subnet_create_end: full,
        subnet_update_end: full,
        subnet_delete_end: full,
        port_create_end: upsert,
        port_update_end: upsert,
        port_delete_end: async ({ payload: { port_id: portId, network_id: networkId } }) =>
          notified(networkId === undefined ? undefined : { kind: 'port-delete', networkId, portId })(),
        agent_updated: full,
      },
      { server: this.settings.host, log: this.log },
    );
    this.reporter.start();
    this.reconciler.start();
  }

  /** Stops listening and reporting; dnsmasq and the metadata proxies keep serving. */
  async stop(): Promise<void> {
    this.reporter.stop();
    await this.serving?.stop();
    await this.reconciler.stop();
  }

  /** Resolves after a full pass that started after this call. */
  sync(): Promise<void> {
    return this.reconciler.sync();
  }

  /** Passes completed so far. */
  get passes(): number {
    return this.reconciler.passes;
  }

  get servedCounts(): ServedCounts {
    return this.served;
  }

  /** What one pass would change, as printable lines; nothing is changed (no port is created either). */
  async plan(): Promise<string[]> {
    return (await this.pass(true)).flatMap(describeStep);
  }

  /** The networks to serve: fetched when the cache asks for it (or for a dry run, which leaves the cache alone), else cached. */
  private async desiredNetworks(dryRun: boolean): Promise<DhcpNetwork[]> {
    if (dryRun) return this.api.getActiveNetworksInfo();
    if (!this.cache.needsFull) return this.cache.list();
    this.cache.beginFull();
    this.fullFetches++;
    try {
      this.cache.endFull(await this.api.getActiveNetworksInfo());
    } catch (err) {
      this.cache.failFull();
      throw err;
    }
    return this.cache.list();
  }

  private async pass(dryRun: boolean): Promise<Step[]> {
    const networks = (await this.desiredNetworks(dryRun)).filter((network) => dhcpSubnets(network).length > 0);
    const [namespaces, hostLinks, ovsPorts] = await Promise.all([listNamespaces(), this.host.links(), this.settings.ovs ? integrationBridgePorts(this.settings.ovs) : undefined]);
    const snapshot: HostSnapshot = {
      namespaces: new Set(namespaces),
      hostLinks: new Set(hostLinks.map((link) => link.ifname)),
      ...(ovsPorts ? { ovsPorts } : {}),
    };
    const steps: Step[] = [];
    let failed = 0;
    await forEachLimited(networks, PARALLEL_NETWORKS, async (network) => {
      try {
        steps.push(...(await this.networkPass(network, snapshot, dryRun)));
      } catch (err) {
        if (err instanceof DhcpPortUnavailable) {
          // The network (or a subnet) was deleted while we set it up: expected, not a failure. Look again.
          this.log.info({ network: network.id, reason: err.message }, 'network changed while its DHCP port was set up; fetching the networks again');
          this.cache.requestFull();
          this.reconciler.kick();
          return;
        }
        failed++;
        this.log.error({ err, network: network.id }, 'cannot configure DHCP for the network; the next pass retries');
      }
    });
    const wanted = new Set(networks.map((network) => network.id));
    const leftovers = (await listStateDir(this.settings.dhcpConfs)).filter((entry) => UUID.test(entry) && !wanted.has(entry));
    for (const networkId of leftovers) {
      const teardown = teardownPlan(this.planSettings, networkId, await observeLeftover(snapshot, this.settings.dhcpConfs, networkId));
      steps.push(...teardown);
      if (!dryRun) {
        this.log.info({ network: networkId }, 'network no longer served here: tearing down its DHCP');
        for (const step of teardown) await this.apply(step);
      }
    }
    if (!dryRun) {
      this.readyPorts.keepOnly(networks);
      await this.readyPorts.report((portIds) => this.api.dhcpReadyOnPorts(portIds));
      this.served = {
        networks: networks.length,
        subnets: networks.reduce((sum, network) => sum + dhcpSubnets(network).length, 0),
        ports: networks.reduce((sum, network) => sum + network.ports.length, 0),
      };
    }
    if (failed > 0) throw new Error(`${failed} of ${networks.length} networks could not be configured`);
    return steps;
  }

  private async networkPass(desired: DhcpNetwork, snapshot: HostSnapshot, dryRun: boolean): Promise<Step[]> {
    let network = desired;
    let port = ownDhcpPort(network, this.settings.host);
    if (dryRun) {
      if (!port || portNeedsUpdate(network, port)) return [{ kind: 'create-dhcp-port', networkId: network.id }];
    } else {
      port = await setupDhcpPort(this.api, network, this.settings.host);
      if (port !== ownDhcpPort(network, this.settings.host)) this.cache.apply({ kind: 'port-upsert', port });
    }
    network = withPort(network, port);
    const observed = await observeNetwork(
      snapshot,
      this.settings.dhcpConfs,
      network.id,
      port.id,
      tapName(port.id),
      metadataProxyConfigFile(this.settings.metadataStateDir, network.id),
    );
    const steps = servedNetworkPlan(this.planSettings, network, port, observed);
    if (!dryRun) {
      for (const step of steps) await this.apply(step);
      this.readyPorts.configured(network, port.id);
    }
    return steps;
  }

  private apply(step: Step): Promise<void> {
    return applyStep({ host: this.host, api: this.api, counters: this.counters, debug: (obj, msg) => this.log.debug(obj, msg) }, step);
  }
}
