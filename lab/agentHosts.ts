/**
 * Simulated agent hosts: N Linux bridge agents in one process, each on its
 * own RabbitMQ connection (as N compute nodes would be), spread over the
 * broker's nodes by rotating transport_url's host list. Each reports its
 * state on q-reports-plugin every report interval and, as the Linux bridge
 * agent does when it starts, when the server answers `revived`, or after it
 * lost the bus, resyncs: it asks for its devices' details
 * (get_devices_details_list on q-plugin) and reports them up
 * (update_device_list), so the server's port statuses catch up.
 *
 *   const agents = await startAgentHosts({ transportUrl, count: 1000, reportIntervalMs: 3000 });
 *   agents.assignDevices(new Map([['lab-compute-0001', [portId]]]));
 */
import type { Bus, RpcLogger } from '../src/rpc/bus.js';
import { neutronReportTime } from '../src/common/time.js';
import { openBus } from '../src/rpc/connect.js';
import { clientOf } from '../src/rpc/contract/client.js';
import { l2PluginApi } from '../src/rpc/contract/l2Plugin.js';
import { reportsApi } from '../src/rpc/contract/reports.js';

export interface AgentHostsOptions {
  readonly transportUrl: string;
  readonly count: number;
  readonly reportIntervalMs: number;
  /** Host names are `${prefix}-0001`... (default lab-compute). */
  readonly prefix?: string;
}

export interface AgentHostStatus {
  readonly host: string;
  /** Date.now() of the last report the server answered. */
  readonly lastReportOk: number;
  readonly reportFailures: number;
  readonly resyncs: number;
  readonly reconnects: number;
  readonly devicesUp: number;
}

export interface AgentHosts {
  readonly hosts: readonly string[];
  /** The ports bound to each host; the next resync asks for them (ScaleTarget.assignDevices). */
  assignDevices(devicesByHost: ReadonlyMap<string, readonly string[]>): void;
  /** Every agent resyncs at its next report. */
  resyncAll(): void;
  status(): AgentHostStatus[];
  /** The agent's connection closed for good (its host gone) or opened again. */
  disconnect(host: string): Promise<void>;
  reconnect(host: string): Promise<void>;
  stop(): Promise<void>;
}

const quiet: RpcLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const OPEN_AT_ONCE = 25;

/** The same hosts, starting from the index-th: the agents' first tries land on different nodes. */
export function rotatedTransportUrl(transportUrl: string, index: number): string {
  const match = /^(\w+:\/\/)([^/]*)(\/.*)?$/.exec(transportUrl);
  if (!match) return transportUrl;
  const hosts = (match[2] ?? '').split(',');
  const shift = index % hosts.length;
  return `${match[1] ?? ''}${[...hosts.slice(shift), ...hosts.slice(0, shift)].join(',')}${match[3] ?? '/'}`;
}

class AgentHost {
  lastReportOk = 0;
  reportFailures = 0;
  resyncs = 0;
  reconnects = 0;
  devicesUp = 0;
  devices: readonly string[] = [];
  needsResync = true;
  private first = true;
  private bus: Bus | undefined;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(
    readonly host: string,
    private readonly index: number,
    private readonly options: AgentHostsOptions,
  ) {}

  async open(): Promise<void> {
    this.bus = await openBus(
      rotatedTransportUrl(this.options.transportUrl, this.index),
      {
        connectionName: `lab-agent-${this.host}`,
        retryIntervalMs: 500,
        retryBackoffMs: 500,
        intervalMaxMs: 2000,
        heartbeatTimeoutSeconds: 15,
        // oslo.messaging's rpc_response_timeout, which Neutron's agents call with.
        defaultTimeoutMs: 60_000,
        background: true,
        onConnection: (event) => {
          if (event === 'reconnected') {
            this.reconnects += 1;
            this.needsResync = true;
          }
        },
      },
      quiet,
    );
    // Agents started at once do not report in step, as on a real cloud.
    const offset = Math.floor(Math.random() * this.options.reportIntervalMs);
    this.timer = setTimeout(() => {
      void this.tick();
      this.timer = setInterval(() => void this.tick(), this.options.reportIntervalMs);
    }, offset);
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    clearInterval(this.timer);
    await this.bus?.close();
    this.bus = undefined;
  }

  private async tick(): Promise<void> {
    const bus = this.bus;
    if (this.busy || bus === undefined) return;
    this.busy = true;
    try {
      const answer = await clientOf(bus, reportsApi).call(
        'report_state',
        { agent_state: { agent_state: this.state() }, time: neutronReportTime() },
        { timeoutMs: this.options.reportIntervalMs * 2 },
      );
      this.first = false;
      this.lastReportOk = Date.now();
      if (answer === 'revived') this.needsResync = true;
      if (this.needsResync) await this.resync(bus);
    } catch {
      // As Neutron's agents: a report that failed is not a reason to resync (`revived` and a reconnect are), and a
      // resync that failed stays to do. Resyncing on every late answer turns a loaded server into a resync storm.
      this.reportFailures += 1;
    } finally {
      this.busy = false;
    }
  }

  private async resync(bus: Bus): Promise<void> {
    const asker = { agent_id: `lb${this.host}`, host: this.host };
    const plugin = clientOf(bus, l2PluginApi);
    if (this.devices.length > 0) {
      const details = await plugin.call('get_devices_details_list', { devices: [...this.devices], ...asker });
      const bound = details.filter((d) => d.port_id !== undefined).map((d) => d.device);
      const result = await plugin.call('update_device_list', { devices_up: bound, devices_down: [], ...asker });
      this.devicesUp = result.devices_up.length;
      // Devices the server could not mark up: Neutron's agents try them again, this one resyncs again at its next report.
      if (result.failed_devices_up.length > 0) return;
    }
    this.resyncs += 1;
    this.needsResync = false;
  }

  private state() {
    return {
      agent_type: 'Linux bridge agent',
      binary: 'neutron-linuxbridge-agent',
      host: this.host,
      topic: 'N/A',
      configurations: {
        interface_mappings: { physnet1: 'eth1' },
        bridge_mappings: {},
        devices: this.devices.length,
        tunneling_ip: `10.${Math.floor(this.index / 250) % 250}.${this.index % 250}.1`,
        tunnel_types: ['vxlan'],
        l2_population: false,
        extensions: [],
      },
      ...(this.first ? { start_flag: true } : {}),
    };
  }
}

export async function startAgentHosts(options: AgentHostsOptions): Promise<AgentHosts> {
  const prefix = options.prefix ?? 'lab-compute';
  const agents = Array.from({ length: options.count }, (_, i) => new AgentHost(`${prefix}-${String(i + 1).padStart(4, '0')}`, i, options));
  for (let i = 0; i < agents.length; i += OPEN_AT_ONCE) await Promise.all(agents.slice(i, i + OPEN_AT_ONCE).map((agent) => agent.open()));
  const byHost = new Map(agents.map((agent) => [agent.host, agent]));
  const find = (host: string): AgentHost => {
    const agent = byHost.get(host);
    if (!agent) throw new Error(`lab: no simulated agent on host ${host}`);
    return agent;
  };
  return {
    hosts: agents.map((agent) => agent.host),
    assignDevices: (devicesByHost) => {
      for (const [host, devices] of devicesByHost) {
        const agent = find(host);
        agent.devices = devices;
        agent.needsResync = true;
      }
    },
    resyncAll: () => agents.forEach((agent) => (agent.needsResync = true)),
    status: () =>
      agents.map((a) => ({ host: a.host, lastReportOk: a.lastReportOk, reportFailures: a.reportFailures, resyncs: a.resyncs, reconnects: a.reconnects, devicesUp: a.devicesUp })),
    disconnect: (host) => find(host).close(),
    reconnect: async (host) => {
      const agent = find(host);
      agent.needsResync = true;
      await agent.open();
    },
    stop: async () => {
      await Promise.all(agents.map((agent) => agent.close()));
    },
  };
}
