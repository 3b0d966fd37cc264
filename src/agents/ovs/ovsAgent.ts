/**
 * The Open vSwitch L2 agent (Neutron's ovs_neutron_agent.py) as a
 * reconciler. A pass:
 *
 *   1. reads every bridge, port and interface in one ovs-vsctl call; the
 *      VIFs are br-int's ports with an `iface-id` (os-vif, the DHCP agent
 *      and `nucleon plug` set it); new ones, and those the server said
 *      changed, are looked up (get_devices_details_list, by port id as
 *      Neutron's agent asks);
 *   2. gives each network with a port here a local VLAN (localVlans.ts) and
 *      builds the desired switch (desiredSwitch.ts): br-int, br-tun and its
 *      tunnel ports, the patches to the physical bridges, each VIF's tag;
 *   3. with iptables_hybrid, brings the nftables firewall of the ports'
 *      qbr bridges to their security groups (before any new port leaves the
 *      dead VLAN, so none talks unfiltered);
 *   4. applies the ovs-vsctl difference in one transaction, then compares
 *      every managed bridge's flow table with the desired flows (flows.ts)
 *      and applies the difference as one ovs-ofctl bundle per bridge;
 *   5. tells the server which ports it wired and which went away
 *      (update_device_list), so they go ACTIVE / DOWN.
 *
 * Passes run every polling_interval (drift repair: a deleted flow, port or
 * bridge comes back) and soon after a notification. Nothing is flushed on
 * start: local VLANs are read back from the ports, so a restarted agent
 * finds the host right and changes nothing; until the server has resent the
 * l2population entries after a restart, br-tun only gains.
 */
import type { Logger } from 'pino';

import { InterfaceMonitor, OpenVswitch, type OvsBridge } from '../../host/ovs.js';
import type { Bus, ServeHandle } from '../../rpc/bus.js';
import { clientOf, type ContractClient, endpoint, l2PluginApi, securityGroupServerApi, serveEndpoints, tunnelAgentApi } from '../../rpc/contract/index.js';
import { Reconciler } from '../common/reconciler.js';
import { StateReporter } from '../common/stateReporter.js';
import { type BoundDevice, type DeviceDetails, toDetailsAnswer } from '../l2/deviceDetails.js';
import { DeviceStatus } from '../l2/deviceStatus.js';
import { FdbTable } from '../l2/fdbTable.js';
import { PortFirewall } from '../l2/firewall/portFirewall.js';
import { serveAgentNotifications } from '../l2/notifications.js';
import { hybridNames, tapName } from '../plug/vif.js';
import { desiredSwitch, type DesiredSwitch, type VifInput } from './desiredSwitch.js';
import { desiredFlows } from './flows.js';
import { assignLocalVlans } from './localVlans.js';
import { isTunnelType, type TunnelType } from './names.js';
import { type FlowPlan, type OvsPlan, planFlows, planIsEmpty, planLines, planSwitch } from './plan.js';
import type { OvsAgentSettings } from './settings.js';

export const AGENT_TYPE = 'Open vSwitch agent';
export const AGENT_BINARY = 'neutron-openvswitch-agent';

export interface OvsAgentOptions {
  /** Delay folding a burst of kicks into one pass (default 10 ms). */
  readonly settleMs?: number;
  /** The namespace of the host's Linux bridges and firewall (iptables_hybrid); default this process's. */
  readonly netns?: string;
  /** Watch OVSDB's interfaces for immediate passes (default true). */
  readonly watchInterfaces?: boolean;
}

export interface OvsPassResult {
  readonly plan: OvsPlan;
  /** The nft script the pass ran (or would run); '' when the firewall was right. */
  readonly firewall: string;
  readonly devicesUp: readonly string[];
  readonly devicesDown: readonly string[];
}

/** A VIF on br-int as the pass sees it. */
interface Vif {
  readonly name: string;
  readonly portId: string;
  /** The local VLAN the port records (other_config), for a restarted agent. */
  readonly recorded?: { readonly networkId: string; readonly vlan: number };
}

function vifsOf(bridge: OvsBridge | undefined): Vif[] {
  const vifs: Vif[] = [];
  for (const port of bridge?.ports ?? []) {
    const iface = port.interfaces[0];
    const portId = iface?.externalIds['iface-id'];
    // Not attached yet (ofport -1): looked at once OVS has it.
    if (!iface || portId === undefined || portId === '' || iface.ofport <= 0) continue;
    const networkId = port.otherConfig.net_uuid;
    const vlan = Number(port.otherConfig.tag);
    vifs.push({ name: port.name, portId, ...(networkId !== undefined && Number.isInteger(vlan) ? { recorded: { networkId, vlan } } : {}) });
  }
  return vifs;
}

/** How long br-tun keeps what it has after a restart while the server resends the l2population entries. */
const TUNNEL_SETTLE_MS = 5_000;

export class OvsAgent {
  readonly agentId: string;
  private readonly ovs: OpenVswitch;
  /** Each VIF's answer from the server (by port id), while the VIF is present. */
  private readonly known = new Map<string, DeviceDetails>();
  private readonly dirty = new Set<string>();
  private readonly status: DeviceStatus;
  /** How long the last pass took to apply its plan, diffs included (for the reconciler's metrics). */
  private applyMs = 0;
  private localVlans = new Map<string, number>();
  private readonly fdb: FdbTable | undefined;
  /** Tunnel endpoints by type (without l2population). */
  private readonly endpoints = new Map<TunnelType, Set<string>>();
  private endpointsSynced = false;
  /** Until then br-tun only gains (a restarted agent waits for the server's entries). */
  private keepTunnelsUntil: number;
  private readonly reconciler: Reconciler;
  private readonly reporter: StateReporter;
  private readonly server: ContractClient<typeof l2PluginApi.methods>;
  private readonly handles: ServeHandle[] = [];
  private readonly firewall: PortFirewall;
  private readonly monitor: InterfaceMonitor | undefined;
  /** Per bridge, the desired flows a pass last found right or applied, and when. */
  private readonly verifiedFlows = new Map<string, { readonly text: string; readonly at: number }>();
  /** The bridges this pass compared, with the flows they get once the pass applies its plan. */
  private readonly checkedFlows = new Map<string, string>();
  private deviceCount = 0;
  lastPass: OvsPassResult | undefined;

  constructor(
    readonly settings: OvsAgentSettings,
    private readonly bus: Bus,
    private readonly log: Logger,
    options: OvsAgentOptions = {},
  ) {
    this.agentId = `ovs-agent-${settings.host}`;
    this.ovs = new OpenVswitch(settings.ovsdbConnection);
    this.server = clientOf(bus, l2PluginApi);
    this.status = new DeviceStatus(this.server, this.agentId, settings.host);
    this.firewall = new PortFirewall(settings.firewall, options.netns, clientOf(bus, securityGroupServerApi), log);
    this.fdb = settings.tunnels?.l2Population ? new FdbTable(settings.tunnels.localIp) : undefined;
    this.keepTunnelsUntil = this.fdb ? Number.POSITIVE_INFINITY : 0;
    this.reconciler = new Reconciler({
      name: 'openvswitch',
      intervalMs: settings.pollingIntervalMs,
      settleMs: options.settleMs ?? 10,
      pass: async () => {
        this.lastPass = await this.pass(true);
        return { planSteps: planLines(this.lastPass.plan).length + (this.lastPass.firewall === '' ? 0 : 1), applyMs: this.applyMs };
      },
      log,
    });
    // A plugged VIF (or one given its OpenFlow number) is looked at within milliseconds, not at the next poll.
    this.monitor =
      options.watchInterfaces === false
        ? undefined
        : new InterfaceMonitor(
            settings.ovsdbConnection,
            () => this.reconciler.kick(),
            (err) => log.warn({ err }, 'ovsdb-client monitor failed; new ports are seen at the next poll'),
          );
    this.reporter = new StateReporter(
      bus,
      { agentType: AGENT_TYPE, binary: AGENT_BINARY, host: settings.host, topic: 'N/A', availabilityZone: settings.availabilityZone },
      {
        intervalMs: settings.reportIntervalMs,
        configurations: () => this.configurations(),
        logHeartbeats: settings.logHeartbeats,
        onRevived: () => this.resyncAll(),
      },
      log,
    );
  }

  /** What the server's openvswitch mechanism driver binds on (and puts in vif_details), and l2population reads. */
  configurations(): Record<string, unknown> {
    const { tunnels } = this.settings;
    return {
      bridge_mappings: this.settings.bridgeMappings,
      tunnel_types: tunnels?.types ?? [],
      tunneling_ip: tunnels?.localIp ?? '',
      l2_population: tunnels?.l2Population ?? false,
      arp_responder_enabled: tunnels?.arpResponder ?? false,
      enable_distributed_routing: false,
      in_distributed_mode: false,
      datapath_type: this.settings.datapathType,
      integration_bridge: this.settings.integrationBridge,
      ovs_hybrid_plug: this.settings.firewall !== 'noop',
      ovs_capabilities: { datapath_types: [this.settings.datapathType], iface_types: ['geneve', 'gre', 'internal', 'patch', 'system', 'tap', 'vxlan'] },
      extensions: [],
      log_agent_heartbeats: this.settings.logHeartbeats,
      devices: this.deviceCount,
    };
  }

  async start(): Promise<void> {
    const tunnelTypes = this.settings.tunnels?.types ?? [];
    this.handles.push(
      await serveAgentNotifications(this.bus, this.settings.host, {
        portUpdate: (portId) => this.markDirty([portId]),
        portDelete: (portId) => this.markDirty([portId]),
        networkUpdate: (networkId) => this.markDirty(this.portsOfNetwork(networkId)),
        networkDelete: (networkId) => {
          this.markDirty(this.portsOfNetwork(networkId));
          this.fdb?.forgetNetwork(networkId);
        },
        fdbAdd: (networkId, entries) => this.fdbChange(networkId, (fdb) => fdb.add(networkId, entries)),
        fdbRemove: (networkId, entries) => this.fdbChange(networkId, (fdb) => fdb.remove(networkId, entries)),
        securityGroupsChanged: (ids) => {
          if (this.firewall.groupsChanged(ids)) this.reconciler.kick();
        },
        overlayTypes: tunnelTypes,
        log: this.log,
      }),
    );
    if (this.settings.tunnels && !this.settings.tunnels.l2Population) {
      const endpointChange = (add: boolean) => ({ tunnel_ip: ip, tunnel_type: type }: { tunnel_ip: string; tunnel_type: string }) => {
        if (isTunnelType(type) && tunnelTypes.includes(type)) {
          const set = this.endpoints.get(type) ?? new Set<string>();
          if (add) set.add(ip);
          else set.delete(ip);
          this.endpoints.set(type, set);
          this.reconciler.kick();
        }
        return Promise.resolve(null);
      };
      this.handles.push(
        await serveEndpoints(this.bus, [endpoint(tunnelAgentApi, { tunnel_update: endpointChange(true), tunnel_delete: endpointChange(false) })], {
          server: this.settings.host,
          log: this.log,
        }),
      );
    }
    this.reporter.start();
    this.monitor?.start();
    this.reconciler.start();
  }

  sync(): Promise<void> {
    return this.reconciler.sync();
  }

  get passes(): number {
    return this.reconciler.passes;
  }

  /** Stops listening and looping; bridges, ports and flows stay as they are. */
  async stop(): Promise<void> {
    this.monitor?.stop();
    this.reporter.stop();
    for (const handle of this.handles.splice(0)) await handle.stop();
    await this.reconciler.stop();
  }

  /** One pass without applying anything: the ovs-vsctl and ovs-ofctl lines it would run (`--dry-run`). */
  async dryRun(): Promise<string[]> {
    const { plan, firewall } = await this.pass(false);
    return [...(firewall === '' ? [] : ['nft -f - <<EOF', ...firewall.trimEnd().split('\n'), 'EOF']), ...planLines(plan)];
  }

  private markDirty(portIds: readonly string[]): void {
    for (const portId of portIds) this.dirty.add(portId);
    this.reconciler.kick();
  }

  private fdbChange(networkId: string, change: (fdb: FdbTable) => void): void {
    if (!this.fdb || !this.localVlans.has(networkId)) return;
    change(this.fdb);
    this.reconciler.kick();
  }

  private resyncAll(): void {
    this.status.refresh();
    this.endpointsSynced = false;
    this.firewall.markStale();
    this.markDirty([...this.known.keys()]);
  }

  private portsOfNetwork(networkId: string): string[] {
    return [...this.known.values()].flatMap((d) => (d.kind === 'bound' && d.networkId === networkId ? [d.device] : []));
  }

  /** Without l2population: every endpoint of each tunnel type, asked for once (and again after the server revives us). */
  private async syncEndpoints(): Promise<void> {
    const tunnels = this.settings.tunnels;
    if (!tunnels || tunnels.l2Population || this.endpointsSynced) return;
    for (const type of tunnels.types) {
      const answer = await this.server.call('tunnel_sync', { tunnel_ip: tunnels.localIp, tunnel_type: type, host: this.settings.host });
      const set = this.endpoints.get(type) ?? new Set<string>();
      for (const endpoint of answer.tunnels) set.add(endpoint.ip_address);
      this.endpoints.set(type, set);
    }
    this.endpointsSynced = true;
  }

  private async pass(apply: boolean): Promise<OvsPassResult> {
    await this.syncEndpoints();
    let bridges = await this.ovs.bridges();
    const vifs = vifsOf(bridges.find((b) => b.name === this.settings.integrationBridge));
    this.deviceCount = vifs.length;
    this.forgetGone(new Set(vifs.map((v) => v.portId)));

    const fetched = await this.lookUp(
      vifs.filter((v) => !this.known.has(v.portId) || this.dirty.has(v.portId)).map((v) => v.portId),
      apply,
    );
    const current = new Map(this.known);
    if (!apply) for (const details of fetched) current.set(details.device, details);
    const boundOf = (portId: string): BoundDevice | undefined => {
      const details = current.get(portId);
      return details?.kind === 'bound' ? details : undefined;
    };
    const recorded = new Map(vifs.flatMap((v) => (v.recorded ? [[v.recorded.networkId, v.recorded.vlan] as const] : [])));
    const localVlans = assignLocalVlans(
      vifs.flatMap((v) => boundOf(v.portId)?.networkId ?? []),
      this.localVlans,
      recorded,
    );
    const existing = new Set(bridges.map((b) => b.name));
    const fdbTable = this.fdb;
    const fdbOf = fdbTable ? (networkId: string) => fdbTable.forNetwork(networkId) : undefined;
    const vifInputs: VifInput[] = vifs.map((v) => ({ name: v.name, portId: v.portId, details: boundOf(v.portId) }));
    const desired = desiredSwitch({ settings: this.settings, vifs: vifInputs, existingBridges: existing, localVlans, endpoints: this.endpoints, ...(fdbOf ? { fdbOf } : {}) });
    const justFetched = new Set(fetched.map((d) => d.device));
    for (const { device, reason } of desired.unwirable) if (justFetched.has(device)) this.log.warn({ device }, `cannot wire port ${device}: ${reason}`);

    if (fetched.length > 0) this.firewall.markStale();
    const firewall = await this.firewallPass(vifInputs, desired, apply);
    const keepTunnels = Date.now() < this.keepTunnelsUntil;
    const vsctl = planSwitch(desired, bridges, this.settings, keepTunnels);
    // Tags and other_config of VIFs change no flow and no OpenFlow number; anything else (bridges, patch or tunnel ports) may.
    const portsOnly = vsctl.every((command) => command[1] === 'port');
    if (!portsOnly) this.verifiedFlows.clear();
    const applyStarted = performance.now();
    if (apply) {
      this.localVlans = localVlans;
      if (vsctl.length > 0) {
        await this.ovs.vsctl(vsctl, { wait: !portsOnly });
        if (!portsOnly) bridges = await this.ovs.bridges();
      }
    }
    const flows = await this.planFlowTables(desired, bridges, keepTunnels, fdbOf, apply);
    const plan: OvsPlan = { vsctl, flows };
    const up = fetched.filter((d): d is BoundDevice => d.kind === 'bound' && d.adminStateUp && desired.networks.has(d.networkId)).map((d) => d.device);
    const down = fetched.filter((d) => d.kind === 'bound' && !d.adminStateUp).map((d) => d.device);
    if (!apply) return { plan, firewall, devicesUp: up, devicesDown: down };

    for (const flowPlan of flows) {
      // Until it is applied, the table is not known to be right.
      this.verifiedFlows.delete(flowPlan.bridge);
      await this.ovs.applyFlows(flowPlan.bridge, flowPlan.lines);
    }
    for (const [bridge, text] of this.checkedFlows) this.verifiedFlows.set(bridge, { text, at: Date.now() });
    this.applyMs = performance.now() - applyStarted;
    if (!planIsEmpty(plan)) this.log.info({ lines: planLines(plan).length }, 'switch brought to the desired state');
    this.fdb?.keepOnly(new Set(localVlans.keys()), new Set());
    for (const device of up) this.status.up(device);
    for (const device of down) this.status.down(device);
    return this.report(plan, firewall);
  }

  /**
   * The hybrid-plugged ports of wired networks (`qvo<id>` on br-int) are
   * filtered on their tap in `qbr<id>`; the server knows them by the tap name.
   */
  private firewallPass(vifs: readonly VifInput[], desired: DesiredSwitch, apply: boolean): Promise<string> {
    const bridges = new Map<string, string>();
    for (const vif of vifs) {
      const hybrid = hybridNames(vif.portId);
      if (vif.name === hybrid.ovsEnd && vif.details && desired.networks.has(vif.details.networkId)) bridges.set(tapName(vif.portId), hybrid.bridge);
    }
    return this.firewall.pass([...bridges.keys()], (_network, device) => bridges.get(device), apply);
  }

  /**
   * Each managed bridge's flow differences; a bridge that does not exist yet
   * (dry run) would get every flow. A bridge whose desired flows are those a
   * pass applied or found right less than polling_interval ago is not
   * compared again (a port plugged into a wired network changes no flow):
   * drift is still found by the comparison at most one interval later.
   */
  private async planFlowTables(
    desired: DesiredSwitch,
    bridges: readonly OvsBridge[],
    keepTunnels: boolean,
    fdbOf: ((networkId: string) => ReturnType<FdbTable['forNetwork']>) | undefined,
    apply: boolean,
  ): Promise<FlowPlan[]> {
    this.checkedFlows.clear();
    const ofports = new Map<string, number>();
    for (const bridge of bridges) for (const port of bridge.ports) for (const iface of port.interfaces) if (iface.ofport > 0) ofports.set(`${bridge.name}/${port.name}`, iface.ofport);
    const tables = desiredFlows({ settings: this.settings, desired, ofport: (bridge, port) => ofports.get(`${bridge}/${port}`), ...(fdbOf ? { fdbOf } : {}) });
    const existing = new Set(bridges.map((b) => b.name));
    const plans: FlowPlan[] = [];
    for (const table of tables) {
      if (!existing.has(table.bridge)) {
        plans.push({ bridge: table.bridge, lines: table.flows.map((f) => `add ${f}`) });
        continue;
      }
      const text = table.flows.join('\n');
      const verified = this.verifiedFlows.get(table.bridge);
      if (apply && verified?.text === text && Date.now() - verified.at < this.settings.pollingIntervalMs) continue;
      const differences = await this.ovs.diffFlows(table.bridge, table.flows);
      const flowPlan = planFlows(table.bridge, differences, keepTunnels && table.bridge === this.settings.tunnelBridge);
      plans.push(flowPlan);
      // A table kept as it is (extra flows left while tunnels settle) is not right yet.
      if (flowPlan.lines.length === differences.length) this.checkedFlows.set(table.bridge, text);
    }
    return plans;
  }

  /** VIFs gone since the last pass: forgotten, and their ports reported DOWN. */
  private forgetGone(present: ReadonlySet<string>): void {
    for (const portId of [...this.known.keys()]) {
      if (present.has(portId)) continue;
      this.known.delete(portId);
      this.status.gone(portId);
    }
    for (const portId of [...this.dirty]) if (!present.has(portId)) this.dirty.delete(portId);
  }

  private async lookUp(portIds: readonly string[], apply: boolean): Promise<DeviceDetails[]> {
    if (portIds.length === 0) return [];
    for (const portId of portIds) this.dirty.delete(portId);
    const answer = toDetailsAnswer({
      devices: await this.server.call('get_devices_details_list', { devices: [...portIds], agent_id: this.agentId, host: this.settings.host }),
      failed_devices: [],
    });
    if (apply) {
      const answered = new Set(answer.devices.map((d) => d.device));
      for (const details of answer.devices) this.known.set(details.device, details);
      for (const portId of portIds) if (!answered.has(portId)) this.dirty.add(portId);
    }
    return answer.devices;
  }

  private async report(plan: OvsPlan, firewall: string): Promise<OvsPassResult> {
    const { devicesUp, devicesDown, refreshed } = await this.status.report();
    // The server now resends every entry of our networks; br-tun may lose what they do not name once they are in.
    if (refreshed && this.fdb && this.keepTunnelsUntil === Number.POSITIVE_INFINITY) this.keepTunnelsUntil = Date.now() + TUNNEL_SETTLE_MS;
    return { plan, firewall, devicesUp, devicesDown };
  }

}
