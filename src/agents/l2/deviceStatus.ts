/**
 * What an L2 agent tells the server about its devices (update_device_list):
 * which it wired (ACTIVE) and which went away or are administratively down
 * (DOWN), kept until the server has taken them, so a failed call or a
 * device the server failed on is reported again at the next pass. The first
 * report after a start (or after the server revived the agent) carries
 * refresh_tunnels, so l2population sends every forwarding entry again.
 */
import type { ContractClient, l2PluginApi } from '../../rpc/contract/index.js';

export interface DeviceReport {
  readonly devicesUp: readonly string[];
  readonly devicesDown: readonly string[];
  /** This report asked for the forwarding entries again, and the server took it. */
  readonly refreshed: boolean;
}

export class DeviceStatus {
  private readonly pendingUp = new Set<string>();
  private readonly pendingDown = new Set<string>();
  /** Devices reported up: reported down when they disappear. */
  private readonly reportedUp = new Set<string>();
  private refreshTunnels = true;

  constructor(
    private readonly server: ContractClient<typeof l2PluginApi.methods>,
    private readonly agentId: string,
    private readonly host: string,
  ) {}

  up(device: string): void {
    this.pendingUp.add(device);
  }

  down(device: string): void {
    this.pendingDown.add(device);
  }

  /** The device is gone from the host: DOWN if it had been reported up. */
  gone(device: string): void {
    if (this.reportedUp.delete(device)) this.pendingDown.add(device);
  }

  /** Ask for every forwarding entry again with the next report. */
  refresh(): void {
    this.refreshTunnels = true;
  }

  async report(): Promise<DeviceReport> {
    const devicesUp = [...this.pendingUp];
    const devicesDown = [...this.pendingDown];
    if (devicesUp.length === 0 && devicesDown.length === 0) return { devicesUp, devicesDown, refreshed: false };
    const refresh = this.refreshTunnels;
    const answer = await this.server.call('update_device_list', {
      devices_up: devicesUp,
      devices_down: devicesDown,
      agent_id: this.agentId,
      host: this.host,
      refresh_tunnels: refresh,
    });
    const failedUp = new Set(answer.failed_devices_up);
    const failedDown = new Set(answer.failed_devices_down);
    const refreshed = refresh && devicesUp.some((device) => !failedUp.has(device));
    if (refreshed) this.refreshTunnels = false;
    for (const device of devicesUp) {
      if (failedUp.has(device)) continue;
      this.pendingUp.delete(device);
      this.reportedUp.add(device);
    }
    for (const device of devicesDown) {
      if (failedDown.has(device)) continue;
      this.pendingDown.delete(device);
      this.reportedUp.delete(device);
    }
    return { devicesUp, devicesDown, refreshed };
  }
}
