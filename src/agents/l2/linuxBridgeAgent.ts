/**
 * The Linux bridge L2 agent (Neutron's linuxbridge_neutron_agent.py) as a
 * reconciler over one network namespace. A pass:
 *
 *   1. lists the namespace's links; new `tap*` devices, and those the server
 *      said changed (port_update, network_update), are looked up on the
 *      server (get_devices_details_list, as Neutron's agent asks);
 *   2. builds the desired state from every known bound port whose tap is
 *      present (desiredState.ts) plus the l2population entries (fdbTable.ts);
 *   3. with a firewall driver, asks for the security groups of its ports
 *      (security_group_info_for_devices, again only when something changed)
 *      and brings the host's nftables firewall to them in one transaction
 *      (firewall/), before any new tap is wired, so no port is bridged
 *      unfiltered;
 *   4. diffs the desired state against the links, forwarding and neighbour
 *      entries (plan.ts) and applies the lines: one `ip -batch`, one `bridge -batch`;
 *   5. tells the server which ports it wired and which taps went away
 *      (update_device_list), so they go ACTIVE / DOWN; the first report after
 *      a start asks for every forwarding entry again (refresh_tunnels).
 *
 * Passes run every polling_interval (drift repair), soon after a link
 * appears or disappears (ip monitor), and soon after a notification. The
 * agent never deletes what it finds on start: bridges, VXLAN devices and
 * taps are reused, so traffic keeps flowing through a restart; stop() leaves
 * the dataplane as it is.
 */
import type { Logger } from 'pino';

import type { FdbEntry, IpRoute, Link, NeighEntry } from '../../host/ip.js';
import { LinkMonitor } from '../../host/linkMonitor.js';
import type { Bus, ServeHandle } from '../../rpc/bus.js';
import { clientOf, type ContractClient, l2PluginApi, securityGroupServerApi } from '../../rpc/contract/index.js';
import { Reconciler } from '../common/reconciler.js';
import { StateReporter } from '../common/stateReporter.js';
import { type BoundDevice, type DeviceDetails, toDetailsAnswer } from './deviceDetails.js';
import { DeviceStatus } from './deviceStatus.js';
import { desiredState, type DesiredState } from './desiredState.js';
import { FdbTable } from './fdbTable.js';
import { PortFirewall } from './firewall/portFirewall.js';
import { serveAgentNotifications } from './notifications.js';
import { type ActualHost, type Plan, planIsEmpty, planLines, planLinuxBridge } from './plan.js';
import { BRIDGE_PREFIX, TAP_PREFIX, tapName } from './names.js';
import type { LinuxBridgeAgentSettings } from './settings.js';

/** What the agent needs of a namespace: host/ip.ts's IpRoute (tests may pass a fake). */
export type L2Host = Pick<IpRoute, 'netns' | 'links' | 'addresses' | 'fdb' | 'neighbours' | 'batch' | 'bridgeBatch'>;

export const AGENT_TYPE = 'Linux bridge agent';
export const AGENT_BINARY = 'neutron-linuxbridge-agent';

export interface LinuxBridgeAgentOptions {
  /** Watch links with `ip monitor` for immediate passes (default true). */
  readonly watchLinks?: boolean;
  /** Delay folding a burst of kicks into one pass (default 10 ms). */
  readonly settleMs?: number;
}

/** One pass's outcome, for logs, dry runs and benchmarks. */
export interface PassResult {
  readonly plan: Plan;
  readonly devicesUp: readonly string[];
  readonly devicesDown: readonly string[];
  /** The nft script the pass ran (or would run); '' when the firewall was right. */
  readonly firewall: string;
}

export class LinuxBridgeAgent {
  readonly agentId: string;
  /** Each tap's answer from the server, while the tap is present. */
  private readonly known = new Map<string, DeviceDetails>();
  /** Taps to look up again (a notification said their port or network changed). */
  private readonly dirty = new Set<string>();
  /** Taps whose port is gone: taken out of their bridge. */
  private readonly released = new Set<string>();
  private readonly status: DeviceStatus;
  /** How long the last pass took to apply its plan (for the reconciler's metrics). */
  private applyMs = 0;
  private readonly fdb: FdbTable | undefined;
  private readonly reconciler: Reconciler;
  private readonly reporter: StateReporter;
  private readonly monitor: LinkMonitor | undefined;
  private handle: ServeHandle | undefined;
  private readonly server: ContractClient<typeof l2PluginApi.methods>;
  private readonly firewall: PortFirewall;
  private deviceCount = 0;
  lastPass: PassResult | undefined;
  /** The details the last pass planned with (a dry run keeps them out of `known`). */
  private detailsSeen = new Map<string, DeviceDetails>();
  /** Networks with a bound port here: the only ones whose l2population entries matter (Neutron's network_map). */
  private localNetworks = new Set<string>();

  constructor(
    readonly settings: LinuxBridgeAgentSettings,
    private readonly bus: Bus,
    private readonly log: Logger,
    private readonly host: L2Host,
    options: LinuxBridgeAgentOptions = {},
  ) {
    this.agentId = `lb-${settings.host}`;
    this.server = clientOf(bus, l2PluginApi);
    this.status = new DeviceStatus(this.server, this.agentId, settings.host);
    this.firewall = new PortFirewall(settings.firewall, host.netns, clientOf(bus, securityGroupServerApi), log);
    this.fdb = settings.vxlan?.l2Population ? new FdbTable(settings.vxlan.localIp) : undefined;
    this.reconciler = new Reconciler({
      name: 'linuxbridge',
      intervalMs: settings.pollingIntervalMs,
      settleMs: options.settleMs ?? 10,
      pass: async () => {
        this.lastPass = await this.pass(true);
        return { planSteps: planLines(this.lastPass.plan).length + (this.lastPass.firewall === '' ? 0 : 1), applyMs: this.applyMs };
      },
      log,
    });
    this.reporter = new StateReporter(
      bus,
      { agentType: AGENT_TYPE, binary: AGENT_BINARY, host: settings.host, topic: 'N/A', availabilityZone: settings.availabilityZone },
      {
        intervalMs: settings.reportIntervalMs,
        configurations: () => this.configurations(),
        logHeartbeats: settings.logHeartbeats,
        // Notifications sent while the server thought us dead went nowhere: look everything up again.
        onRevived: () => this.resyncAll(),
      },
      log,
    );
    this.monitor =
      options.watchLinks === false
        ? undefined
        : new LinkMonitor(
            host.netns,
            (event) => {
              // A tap that appears or goes, or a bridge that goes. Not the events of our own wiring
              // (a known tap enslaved, set up): they would start pass after pass that find nothing to do.
              const tap = event.ifname.startsWith(TAP_PREFIX);
              if (event.deleted ? tap || event.ifname.startsWith(BRIDGE_PREFIX) : tap && !this.known.has(event.ifname)) this.reconciler.kick();
            },
            (err) => log.warn({ err }, 'ip monitor failed; new taps are seen at the next poll'),
          );
  }

  /** What the server's linuxbridge mechanism driver binds on (agentMechanism.ts) and l2population reads (fdb.ts). */
  configurations(): Record<string, unknown> {
    const { vxlan } = this.settings;
    return {
      interface_mappings: this.settings.interfaceMappings,
      bridge_mappings: this.settings.bridgeMappings,
      tunnel_types: vxlan ? ['vxlan'] : [],
      tunneling_ip: vxlan?.localIp ?? '',
      l2_population: vxlan?.l2Population ?? false,
      devices: this.deviceCount,
    };
  }

  async start(): Promise<void> {
    this.handle = await serveAgentNotifications(this.bus, this.settings.host, {
      portUpdate: (portId) => this.markDirty([tapName(portId)]),
      portDelete: (portId) => this.release([tapName(portId)]),
      networkUpdate: (networkId) => this.markDirty(this.tapsOfNetwork(networkId)),
      networkDelete: (networkId) => {
        this.release(this.tapsOfNetwork(networkId));
        this.fdb?.forgetNetwork(networkId);
      },
      fdbAdd: (networkId, entries) => this.fdbChange(networkId, (fdb) => fdb.add(networkId, entries)),
      fdbRemove: (networkId, entries) => this.fdbChange(networkId, (fdb) => fdb.remove(networkId, entries)),
      securityGroupsChanged: (ids) => {
        if (this.firewall.groupsChanged(ids)) this.reconciler.kick();
      },
      log: this.log,
    });
    this.reporter.start();
    this.monitor?.start();
    this.reconciler.start();
  }

  /** Resolves once a full pass that started after this call is done. */
  sync(): Promise<void> {
    return this.reconciler.sync();
  }

  get passes(): number {
    return this.reconciler.passes;
  }

  /** Stops listening and looping; the bridges, VXLAN devices and taps stay as they are. */
  async stop(): Promise<void> {
    this.monitor?.stop();
    this.reporter.stop();
    await this.handle?.stop();
    this.handle = undefined;
    await this.reconciler.stop();
  }

  /** One pass without applying anything: the lines it would run (`--dry-run`). */
  async dryRun(): Promise<string[]> {
    const { plan, devicesUp, devicesDown, firewall } = await this.pass(false);
    // Looking the ports up made the server mark them BUILD (get_devices_details does). Ports already
    // wired as they should be get their status back; those the plan would change stay BUILD, which is the truth.
    const quiet = new Set(plan.groups.filter((g) => g.ip.length === 0 && g.bridge.length === 0).map((g) => g.label));
    const settled = (device: string) => {
      const details = this.detailsSeen.get(device);
      return details?.kind === 'bound' && quiet.has(details.networkId);
    };
    const up = devicesUp.filter(settled);
    const down = devicesDown.filter(settled);
    if (up.length > 0 || down.length > 0) {
      await this.server.call('update_device_list', { devices_up: up, devices_down: down, agent_id: this.agentId, host: this.settings.host, refresh_tunnels: false });
    }
    return [...(firewall === '' ? [] : ['nft -f - <<EOF', ...firewall.trimEnd().split('\n'), 'EOF']), ...planLines(plan)];
  }

  private markDirty(devices: readonly string[]): void {
    for (const device of devices) this.dirty.add(device);
    this.reconciler.kick();
  }

  private release(devices: readonly string[]): void {
    for (const device of devices) {
      this.known.delete(device);
      this.dirty.delete(device);
      this.released.add(device);
    }
    this.reconciler.kick();
  }

  /** Entries of a network without a port here are ignored: its first port's update_device_list brings them all. */
  private fdbChange(networkId: string, change: (fdb: FdbTable) => void): void {
    if (!this.fdb || !this.localNetworks.has(networkId)) return;
    change(this.fdb);
    this.reconciler.kick();
  }

  private get arpResponder(): boolean {
    return this.settings.vxlan?.arpResponder === true && this.fdb !== undefined;
  }

  private resyncAll(): void {
    this.status.refresh();
    this.firewall.markStale();
    this.markDirty([...this.known.keys()]);
  }

  private tapsOfNetwork(networkId: string): string[] {
    return [...this.known.values()].flatMap((d) => (d.kind === 'bound' && d.networkId === networkId ? [d.device] : []));
  }

  private async vtepDevice(): Promise<string | undefined> {
    const localIp = this.settings.vxlan?.localIp;
    if (localIp === undefined) return undefined;
    for (const link of await this.host.addresses()) {
      if (link.addr_info.some((a) => a.local === localIp)) return link.ifname;
    }
    return undefined;
  }

  private async pass(apply: boolean): Promise<PassResult> {
    const links = await this.host.links();
    const taps = links.filter((link) => link.ifname.startsWith(TAP_PREFIX)).map((link) => link.ifname);
    const present = new Set(taps);
    this.deviceCount = taps.length;
    this.forgetGone(present);

    const { fetched, failed } = await this.lookUp(taps.filter((device) => !this.known.has(device) || this.dirty.has(device)), apply);
    const current = new Map(this.known);
    if (!apply) for (const details of fetched) current.set(details.device, details);
    this.detailsSeen = current;
    const bound = [...current.values()].filter((d): d is BoundDevice => d.kind === 'bound' && present.has(d.device));
    this.localNetworks = new Set(bound.map((d) => d.networkId));
    const desired = desiredState(bound, this.settings, await this.vtepDevice());
    // Said once, when the device is looked up; it stays unwired until its port or network changes.
    const justFetched = new Set(fetched.map((d) => d.device));
    for (const { device, reason } of desired.unwirable) if (justFetched.has(device)) this.log.warn({ device }, `cannot wire ${device}: ${reason}`);

    const fdbTable = this.fdb;
    const plan = planLinuxBridge({
      desired,
      actual: { links, ...(await this.readForwarding(desired, links)) },
      ...(fdbTable ? { fdbOf: (networkId: string) => fdbTable.forNetwork(networkId) } : {}),
      neighbourEntries: this.arpResponder,
      released: this.released,
      // Bridges holding taps whose fate is unknown (lookup failed) stay as they are.
      keepBridges: new Set(links.filter((l) => failed.has(l.ifname) && l.master !== undefined).map((l) => l.master!)),
    });
    const unwirable = new Set(desired.unwirable.map((u) => u.device));
    const up = fetched.filter((d): d is BoundDevice => d.kind === 'bound' && d.adminStateUp && !unwirable.has(d.device)).map((d) => d.device);
    const down = fetched.filter((d) => d.kind === 'bound' && !d.adminStateUp).map((d) => d.device);
    // A port looked up again may have changed groups, addresses or port security.
    if (fetched.length > 0) this.firewall.markStale();
    const devices = bound.filter((d) => desired.networks.has(d.networkId)).map((d) => d.device);
    const firewall = await this.firewall.pass(devices, (networkId) => desired.networks.get(networkId)?.bridge, apply);
    if (!apply) return { plan, devicesUp: up, devicesDown: down, firewall };

    const applyStarted = performance.now();
    const failedGroups = await this.applyPlan(plan);
    this.applyMs = performance.now() - applyStarted;
    // Entries of networks with no port here are not needed: the server sends them all with the first port.
    this.fdb?.keepOnly(this.localNetworks, failedGroups);
    for (const device of up) {
      const details = current.get(device);
      if (details?.kind === 'bound' && failedGroups.has(details.networkId)) this.dirty.add(device);
      else this.status.up(device);
    }
    for (const device of down) this.status.down(device);
    for (const device of unwirable) this.dirty.delete(device);
    return this.report(plan, firewall);
  }

  /** Taps gone since the last pass: forgotten, and their ports reported DOWN. */
  private forgetGone(present: ReadonlySet<string>): void {
    for (const device of [...this.known.keys()]) {
      if (present.has(device)) continue;
      this.known.delete(device);
      this.status.gone(device);
    }
    for (const device of [...this.released, ...this.dirty]) {
      if (present.has(device)) continue;
      this.released.delete(device);
      this.dirty.delete(device);
    }
  }

  /** Asks the server about `devices`; a device it failed on (or did not answer for) is asked again next pass. */
  private async lookUp(devices: readonly string[], apply: boolean): Promise<{ fetched: DeviceDetails[]; failed: Set<string> }> {
    const failed = new Set<string>();
    if (devices.length === 0) return { fetched: [], failed };
    for (const device of devices) this.dirty.delete(device);
    // As Neutron's Linux bridge agent asks: by tap name, which this method (unlike
    // get_devices_details_list_and_failed_devices) resolves on Neutron's server too.
    const answer = toDetailsAnswer({
      devices: await this.server.call('get_devices_details_list', { devices: [...devices], agent_id: this.agentId, host: this.settings.host }),
      failed_devices: [],
    });
    const answered = new Set(answer.devices.map((d) => d.device));
    for (const device of [...answer.failed, ...devices.filter((d) => !answered.has(d))]) failed.add(device);
    this.log.debug(
      { bound: answer.devices.filter((d) => d.kind === 'bound').map((d) => d.device), unbound: answer.devices.filter((d) => d.kind === 'unbound').map((d) => d.device), failed: [...failed] },
      'devices looked up',
    );
    if (apply) {
      for (const details of answer.devices) {
        this.known.set(details.device, details);
        if (details.kind === 'bound') this.released.delete(details.device);
      }
      for (const device of failed) this.dirty.add(device);
    }
    return { fetched: answer.devices, failed };
  }

  /** The forwarding (and, with arp_responder, neighbour) entries of the existing VXLAN devices l2population programs. */
  private async readForwarding(desired: DesiredState, links: readonly Link[]): Promise<Pick<ActualHost, 'fdb' | 'neighbours'>> {
    const fdb = new Map<string, readonly FdbEntry[]>();
    const neighbours = new Map<string, readonly NeighEntry[]>();
    if (!this.fdb) return { fdb, neighbours };
    const linkNames = new Set(links.map((l) => l.ifname));
    for (const network of desired.networks.values()) {
      const dev = network.uplink?.kind === 'vxlan' ? network.uplink.name : undefined;
      if (dev === undefined || !linkNames.has(dev)) continue;
      fdb.set(dev, await this.host.fdb(dev));
      if (this.arpResponder) neighbours.set(dev, await this.host.neighbours(dev));
    }
    return { fdb, neighbours };
  }

  /** Applies the plan in one batch per tool; when a line fails, group by group. Returns the labels of failed groups. */
  private async applyPlan(plan: Plan): Promise<Set<string>> {
    const failed = new Set<string>();
    if (planIsEmpty(plan)) return failed;
    try {
      await this.host.batch(plan.groups.flatMap((g) => g.ip));
      await this.host.bridgeBatch(plan.groups.flatMap((g) => g.bridge));
      return failed;
    } catch (err) {
      this.log.warn({ err }, 'a plan line failed; applying network by network');
    }
    for (const group of plan.groups) {
      try {
        await this.host.batch(group.ip);
        await this.host.bridgeBatch(group.bridge);
      } catch (err) {
        failed.add(group.label);
        this.log.error({ err, network: group.label }, 'could not wire a network; the next pass retries');
      }
    }
    return failed;
  }

  private async report(plan: Plan, firewall: string): Promise<PassResult> {
    // A failed call leaves everything pending for the next pass; devices the server failed on stay pending too.
    const { devicesUp, devicesDown } = await this.status.report();
    return { plan, devicesUp, devicesDown, firewall };
  }

}
