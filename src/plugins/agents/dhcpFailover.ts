/**
 * Moves networks away from DHCP agents that stopped reporting, as Neutron's
 * periodic remove_networks_from_down_agents does (allow_automatic_dhcp_failover,
 * True by default; neutron/db/agentschedulers_db.py):
 *
 *   every max(agent_down_time / 2, 1) s (first after a random 1-2 intervals,
 *   so that several servers spread out), the bindings of agents silent for
 *   2 x agent_down_time (and not starting up) are removed, their DHCP ports
 *   reserved for the next agent, and the networks scheduled again, whose new
 *   agents hear network_create_end. Nothing moves while no DHCP agent at all
 *   is eligible (a broker or network outage makes every agent look dead at
 *   once), and a check that comes late (the process stalled, the clock
 *   jumped) only takes note of the time, giving agents a round to report.
 *
 * Several servers may run it together: removing a binding twice removes it
 * once, and scheduling takes turns per network (dhcpScheduler.ts).
 */
import type { RpcLogger } from '../../rpc/bus.js';
import type { Collection } from '../collection.js';
import type { DhcpAgentNotifier } from './dhcpNotifier.js';
import { reserveDhcpPorts } from './dhcpPorts.js';
import type { DhcpScheduler } from './dhcpScheduler.js';

export interface DhcpFailoverOptions {
  /** `[DEFAULT] network_auto_schedule`: networks taken off dead agents are scheduled again. */
  readonly autoSchedule: boolean;
}

export class DhcpFailover {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private lastCheck: number | undefined;
  private stopped = false;

  constructor(
    private readonly scheduler: DhcpScheduler,
    private readonly notifier: DhcpAgentNotifier,
    private readonly ports: Collection,
    private readonly log: RpcLogger,
    private readonly options: DhcpFailoverOptions,
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {}

  /** Seconds between checks, Neutron's max(agent_down_time // 2, 1). */
  intervalMs(): number {
    return Math.max(Math.floor(this.scheduler.options.downTime / 2), 1) * 1000;
  }

  /** Starts the periodic check; it never keeps the process alive on its own. */
  start(): void {
    const interval = this.intervalMs();
    const schedule = (delay: number) => {
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        this.running = this.check()
          .catch((err: unknown) => this.log.error({ err }, 'DHCP network rescheduling failed'))
          .finally(() => schedule(interval));
      }, delay);
      this.timer.unref();
    };
    schedule(interval + Math.floor(this.random() * interval));
  }

  /** Stops the periodic check and waits for a check in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** One check; returns the networks taken off dead agents. */
  async check(): Promise<string[]> {
    const now = this.now();
    const late = this.lastCheck !== undefined && now - this.lastCheck > this.scheduler.options.downTime * 1000;
    this.lastCheck = now;
    if (late) {
      this.log.warn({}, 'the DHCP agent check comes late (a stall or a clock jump); giving agents a round to report');
      return [];
    }
    const dead = await this.scheduler.deadBindings();
    if (dead.length === 0) return [];
    if ((await this.scheduler.eligibleAgents()).length === 0) {
      this.log.warn({ bindings: dead.length }, 'no DHCP agent is available; networks stay on the agents that went silent');
      return [];
    }
    const moved: string[] = [];
    for (const { networkId, agent } of dead) {
      this.log.warn(
        { networkId, agentId: agent.id, host: agent.host, deadTimeSeconds: this.scheduler.deadLimitMs() / 1000 },
        'removing the network from a DHCP agent that did not report',
      );
      try {
        // Whoever removes the binding reserves the port; another server may have done both already.
        if (await this.scheduler.unbindNetwork(agent.id, networkId)) {
          moved.push(networkId);
          await reserveDhcpPorts(this.ports, networkId, agent.host);
        }
        if (this.options.autoSchedule) {
          const added = await this.scheduler.scheduleNetwork(networkId);
          await this.notifier.networkAdded(networkId, added);
        }
      } catch (err) {
        this.log.error({ err, networkId, agentId: agent.id }, 'cannot move the network off the dead DHCP agent');
      }
    }
    return moved;
  }
}
