/**
 * The L2 agents' calls on topic `q-plugin` (ML2's RpcCallbacks,
 * neutron/plugins/ml2/rpc.py): what a device is and where it goes, and its
 * status as the agent wires and unwires it.
 *
 *   get_device_details(device, agent_id, host)          the port's details; status BUILD
 *   get_devices_details_list(devices, agent_id, host)   the same for many
 *   get_devices_details_list_and_failed_devices(...)    {devices, failed_devices}
 *   update_device_up(device, agent_id, host)            status ACTIVE, l2population
 *   update_device_down(device, agent_id, host)          status DOWN -> {device, exists}
 *   update_device_list(devices_up, devices_down, ...)   both, for many
 *
 * A device is named as agents name it (see devices.ts). A device that is
 * up or down on a host other than its port's binding host is ignored, as
 * Neutron does (a port that moved: the old host's report is stale).
 */
import { adminContext, type RequestContext } from '../../../common/context.js';
import { BadRequest } from '../../../common/errors.js';
import type { Db } from '../../../db/schema.js';
import type { HandlerContext, RpcArgs, RpcHandlers } from '../../../rpc/bus.js';
import type { ApiObject } from '../../collection.js';
import { bindingOf, boundSegment, isBound } from '../boundSegment.js';
import type { L2Population } from '../l2population/l2population.js';
import { findDevicePort, type PortRow } from './devices.js';
import type { PortStatusUpdater, PresentPorts } from './portStatus.js';

const COMPUTE_PREFIX = 'compute:';

export interface L2AgentRpcLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface L2AgentRpcDeps {
  readonly db: Db;
  readonly present: PresentPorts;
  readonly statuses: PortStatusUpdater;
  /** Set when `l2population` is in [ml2] mechanism_drivers. */
  readonly l2population?: L2Population | undefined;
  readonly log: L2AgentRpcLogger;
}

/** What an agent asks about: the device, and who asks from where. */
interface DeviceRequest {
  readonly device: string;
  readonly agentId: string;
  /** '' when the agent did not say. */
  readonly host: string;
}

export type DeviceDetails = Readonly<Record<string, unknown>>;

export class L2AgentRpc {
  constructor(private readonly deps: L2AgentRpcDeps) {}

  /**
   * Neutron's device dict for a bound port; `{device}` alone for an unknown
   * or unbound one, `{device, no_active_binding: true}` for an instance's
   * port bound to another host. The port goes BUILD (DOWN when
   * administratively down) when asked for by its own host.
   */
  async deviceDetails(ctx: RequestContext, request: DeviceRequest, networkMtus = new Map<string, number>()): Promise<DeviceDetails> {
    const { device, host } = request;
    const row = await findDevicePort(this.deps.db, device);
    if (!row) {
      this.deps.log.debug({ device, agentId: request.agentId }, 'device requested by an agent not found');
      return { device };
    }
    const [port] = await this.deps.present([row], this.deps.db);
    const segment = await boundSegment(this.deps.db, bindingOf(port!));
    if (!segment) {
      this.deps.log.warn({ device, networkId: row.network_id, vifType: row.binding_vif_type }, 'device requested by an agent is not bound');
      return { device };
    }
    if (row.device_owner.startsWith(COMPUTE_PREFIX) && row.binding_host_id !== host) {
      return { device, no_active_binding: true };
    }
    const details = {
      device,
      network_id: row.network_id,
      port_id: row.id,
      mac_address: row.mac_address,
      admin_state_up: row.admin_state_up === 1,
      network_type: segment.networkType,
      segmentation_id: segment.segmentationId,
      physical_network: segment.physicalNetwork,
      mtu: await this.networkMtu(row.network_id, networkMtus),
      fixed_ips: port!.fixed_ips,
      device_owner: row.device_owner,
      allowed_address_pairs: port!.allowed_address_pairs,
      port_security_enabled: row.port_security_enabled === 1,
      security_groups: port!.security_groups ?? [],
      qos_policy_id: null,
      network_qos_policy_id: null,
      profile: port!['binding:profile'],
      propagate_uplink_status: false,
    };
    if (host === '' || host === row.binding_host_id) {
      await this.deps.statuses.set(ctx, row.id, row.admin_state_up === 1 ? 'BUILD' : 'DOWN');
    }
    return details;
  }

  async devicesDetails(ctx: RequestContext, devices: readonly string[], agentId: string, host: string): Promise<DeviceDetails[]> {
    const mtus = new Map<string, number>();
    const out: DeviceDetails[] = [];
    for (const device of devices) out.push(await this.deviceDetails(ctx, { device, agentId, host }, mtus));
    return out;
  }

  /** Like devicesDetails, but a device that fails is listed in failed_devices instead of failing the call. */
  async devicesDetailsAndFailures(ctx: RequestContext, devices: readonly string[], agentId: string, host: string) {
    const mtus = new Map<string, number>();
    const details: DeviceDetails[] = [];
    const failed: string[] = [];
    for (const device of devices) {
      try {
        details.push(await this.deviceDetails(ctx, { device, agentId, host }, mtus));
      } catch (err) {
        this.deps.log.warn({ err, device }, 'failed to get the details of a device');
        failed.push(device);
      }
    }
    return { devices: details, failed_devices: failed };
  }

  /**
   * The agent has wired the device: a bound port goes ACTIVE, and
   * l2population tells the other agents (every time: an agent that
   * restarted reports its ports up again and needs the entries again).
   */
  async deviceUp(ctx: RequestContext, request: DeviceRequest, refreshTunnels = false): Promise<void> {
    const { device, host } = request;
    const row = await findDevicePort(this.deps.db, device);
    if (!row) return;
    if (host !== '' && row.binding_host_id !== host) {
      this.deps.log.debug({ device, host, bindingHost: row.binding_host_id }, 'device up on a host the port is not bound to');
      return;
    }
    // Neutron marks only bound ports ACTIVE (a DHCP port without a host stays as it is).
    if (!isBound({ networkId: row.network_id, hostId: row.binding_host_id, vifType: row.binding_vif_type })) return;
    const change = await this.deps.statuses.set(ctx, row.id, 'ACTIVE');
    if (change.kind === 'gone' || host === '' || !this.deps.l2population) return;
    const port = change.kind === 'changed' ? change.current : await this.presentOne(change.port);
    await this.deps.l2population.portUp(port, host, refreshTunnels);
  }

  /** The device is gone from the agent: the port goes DOWN (l2population follows the status change). */
  async deviceDown(ctx: RequestContext, request: DeviceRequest): Promise<{ device: string; exists: boolean }> {
    const { device, host } = request;
    const row = await findDevicePort(this.deps.db, device);
    if (!row) return { device, exists: false };
    if (host !== '' && row.binding_host_id !== host) {
      this.deps.log.debug({ device, host, bindingHost: row.binding_host_id }, 'device down on a host the port is not bound to');
      return { device, exists: true };
    }
    const change = await this.deps.statuses.set(ctx, row.id, 'DOWN');
    return { device, exists: change.kind !== 'gone' };
  }

  async deviceList(ctx: RequestContext, up: readonly string[], down: readonly string[], agentId: string, host: string, refreshTunnels: boolean) {
    const result = {
      devices_up: [] as string[],
      failed_devices_up: [] as string[],
      devices_down: [] as { device: string; exists: boolean }[],
      failed_devices_down: [] as string[],
    };
    for (const device of up) {
      try {
        await this.deviceUp(ctx, { device, agentId, host }, refreshTunnels);
        result.devices_up.push(device);
      } catch (err) {
        this.deps.log.warn({ err, device }, 'failed to update a device up');
        result.failed_devices_up.push(device);
      }
    }
    for (const device of down) {
      try {
        result.devices_down.push(await this.deviceDown(ctx, { device, agentId, host }));
      } catch (err) {
        this.deps.log.warn({ err, device }, 'failed to update a device down');
        result.failed_devices_down.push(device);
      }
    }
    return result;
  }

  private async presentOne(row: PortRow): Promise<ApiObject> {
    const [port] = await this.deps.present([row], this.deps.db);
    return port!;
  }

  private async networkMtu(networkId: string, cache: Map<string, number>): Promise<number | null> {
    const cached = cache.get(networkId);
    if (cached !== undefined) return cached;
    const row = await this.deps.db.selectFrom('networks').select('mtu').where('id', '=', networkId).executeTakeFirst();
    if (!row) return null;
    cache.set(networkId, row.mtu);
    return row.mtu;
  }
}

// Arguments arrive as JSON from another process: check them before use.
const text = (args: RpcArgs, name: string): string => {
  const value = args[name];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new BadRequest(`${name} must be a string`);
  return value;
};

const device = (args: RpcArgs): string => {
  const value = text(args, 'device');
  if (value === '') throw new BadRequest('device must be a non-empty string');
  return value;
};

const deviceList = (args: RpcArgs, name: string): string[] => {
  const value = args[name];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((d): d is string => typeof d === 'string')) throw new BadRequest(`${name} must be a list of strings`);
  return value;
};

const contextOf = (handler: HandlerContext): RequestContext => adminContext(handler.context.requestId);

export function l2AgentRpcHandlers(rpc: L2AgentRpc): RpcHandlers {
  const request = (args: RpcArgs) => ({ device: device(args), agentId: text(args, 'agent_id'), host: text(args, 'host') });
  return {
    get_device_details: (args, handler) => rpc.deviceDetails(contextOf(handler), request(args)),
    get_devices_details_list: (args, handler) =>
      rpc.devicesDetails(contextOf(handler), deviceList(args, 'devices'), text(args, 'agent_id'), text(args, 'host')),
    get_devices_details_list_and_failed_devices: (args, handler) =>
      rpc.devicesDetailsAndFailures(contextOf(handler), deviceList(args, 'devices'), text(args, 'agent_id'), text(args, 'host')),
    update_device_up: async (args, handler) => {
      await rpc.deviceUp(contextOf(handler), request(args), args.refresh_tunnels === true);
      return null;
    },
    update_device_down: (args, handler) => rpc.deviceDown(contextOf(handler), request(args)),
    update_device_list: (args, handler) =>
      rpc.deviceList(
        contextOf(handler),
        deviceList(args, 'devices_up'),
        deviceList(args, 'devices_down'),
        text(args, 'agent_id'),
        text(args, 'host'),
        args.refresh_tunnels === true,
      ),
  };
}
