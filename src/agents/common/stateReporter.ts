/**
 * An agent's heartbeat: `report_state` on q-reports-plugin every
 * report_interval, with `start_flag` on the first report after a start (the
 * server then reschedules networks to it). The server answers `revived` when
 * it had given the agent up for dead; the agent then resyncs everything,
 * because notifications sent meanwhile went to nobody. While the server
 * does not answer, the failures are logged once and then at intervals
 * (unreachableLog.ts).
 */
import type { Logger } from 'pino';

import type { Bus } from '../../rpc/bus.js';
import { type AgentState, clientOf, type ContractClient, reportsApi } from '../../rpc/contract/index.js';
import { neutronReportTime } from '../../common/time.js';
import { processReconcilerMetrics, type ReconcilerMetrics } from './reconcilerMetrics.js';
import { isServerUnreachable, UnreachableLog } from './unreachableLog.js';

export interface AgentIdentity {
  /** Neutron's agent_type string, e.g. `Linux bridge agent`, `DHCP agent`, `Metadata agent`. */
  readonly agentType: string;
  readonly binary: string;
  readonly host: string;
  /** The topic the agent serves (`dhcp_agent`), or `N/A`. */
  readonly topic: string;
  readonly availabilityZone?: string;
}

export interface StateReporterOptions {
  readonly intervalMs: number;
  /** What the agent reports about itself now (devices, mappings...). */
  readonly configurations: () => Record<string, unknown>;
  /** Called when the server answers `revived`. */
  readonly onRevived?: () => void;
  readonly logHeartbeats?: boolean;
  /** Counts the reports the server did not answer; default: the process's agent metrics. */
  readonly metrics?: ReconcilerMetrics;
}

export class StateReporter {
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private readonly server: ContractClient<typeof reportsApi.methods>;
  private readonly unreachable: UnreachableLog;

  constructor(
    bus: Bus,
    private readonly identity: AgentIdentity,
    private readonly options: StateReporterOptions,
    private readonly log: Logger,
  ) {
    this.server = clientOf(bus, reportsApi);
    const metrics = options.metrics ?? processReconcilerMetrics;
    this.unreachable = new UnreachableLog(log, 'state reports', () => metrics.serverUnreachable.inc({ source: 'state reports' }));
  }

  /** Reports once now, then every interval (never when the interval is 0). */
  start(): void {
    if (this.options.intervalMs <= 0) return;
    void this.report();
    this.timer = setInterval(() => void this.report(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One report; failures are logged (the next interval tries again), never thrown. */
  async report(): Promise<void> {
    const { agentType, binary, host, topic, availabilityZone } = this.identity;
    const agentState: AgentState = {
      agent_type: agentType,
      binary,
      host,
      topic,
      configurations: this.options.configurations(),
      ...(availabilityZone === undefined ? {} : { availability_zone: availabilityZone }),
      ...(this.started ? {} : { start_flag: true }),
    };
    try {
      const answer = await this.server.call(
        'report_state',
        { agent_state: { agent_state: agentState }, time: neutronReportTime() },
        { timeoutMs: Math.max(this.options.intervalMs, 5_000) },
      );
      this.started = true;
      this.unreachable.succeeded();
      if (this.options.logHeartbeats) this.log.info({ answer }, 'state reported');
      if (answer === 'revived') this.options.onRevived?.();
    } catch (err) {
      if (isServerUnreachable(err)) this.unreachable.failed(err);
      else this.log.warn({ err }, 'failed to report state to the server');
    }
  }
}
