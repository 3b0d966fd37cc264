/**
 * The L2 agents' calls on topic `q-plugin` (ML2's RpcCallbacks,
 * neutron/plugins/ml2/rpc.py; the methods and their shapes are the
 * contract's, src/rpc/contract/l2Plugin.ts): what a device is and where it
 * goes, and its status as the agent wires and unwires it.
 *
 *   get_device_details, get_devices_details_list(_and_failed_devices)
 *                        the ports' details; status BUILD
 *   update_device_up     status ACTIVE, l2population
 *   update_device_down   status DOWN -> {device, exists}
 *   update_device_list   both, for many
 *
 * A device is named as agents name it (see devices.ts). A device that is
 * up or down on a host other than its port's binding host is ignored, as
 * Neutron does (a port that moved: the old host's report is stale).
 */
import { adminContext, type RequestContext } from '../../../common/context.js';
import type { Db } from '../../../db/schema.js';
import type { HandlerContext } from '../../../rpc/bus.js';
import { conform, DeviceDetails, type DeviceDown, type DeviceListResult, type HandlersOf, type l2PluginApi } from '../../../rpc/contract/index.js';
import type { ApiObject } from '../../collection.js';
import { loadInChunks } from '../../core/children.js';
import { bindingOf, boundSegment, isBound, type StoredSegment } from '../boundSegment.js';
import type { L2Population } from '../l2population/l2population.js';
import { findDevicePorts, type PortRow } from './devices.js';
import type { PortStatusUpdater, PresentPorts } from './portStatus.js';
import type { TunnelSync } from './tunnelSync.js';

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

export class L2AgentRpc {
  constructor(private readonly deps: L2AgentRpcDeps) {}

  /**
   * Neutron's device dict for a bound port; `{device}` alone for an unknown
   * or unbound one, `{device, no_active_binding: true}` for an instance's
   * port bound to another host. The port goes BUILD (DOWN when
   * administratively down) when asked for by its own host.
   */
  async deviceDetails(ctx: RequestContext, request: DeviceRequest): Promise<DeviceDetails> {
    const [details] = await this.devicesDetails(ctx, [request.device], request.agentId, request.host);
    return details!;
  }

  /**
   * The same for many devices in a few queries: an agent that restarts asks
   * about every device it has at once.
   */
  async devicesDetails(ctx: RequestContext, devices: readonly string[], agentId: string, host: string): Promise<DeviceDetails[]> {
    const rows = await findDevicePorts(this.deps.db, devices);
    const ports = await this.presentById([...rows.values()]);
    const segments = new Map<string, Promise<StoredSegment | undefined>>();
    const mtus = await this.networkMtus([...rows.values()].map((row) => row.network_id));
    const building: string[] = [];
    const down: string[] = [];
    const details: DeviceDetails[] = [];
    for (const device of devices) {
      const row = rows.get(device);
      if (!row) {
        this.deps.log.debug({ device, agentId }, 'device requested by an agent not found');
        details.push({ device });
        continue;
      }
      const port = ports.get(row.id)!;
      const binding = bindingOf(port);
      const key = `${binding.networkId} ${binding.hostId}`;
      if (!segments.has(key)) segments.set(key, boundSegment(this.deps.db, binding));
      const segment = await segments.get(key);
      if (!segment) {
        this.deps.log.warn({ device, networkId: row.network_id, vifType: row.binding_vif_type }, 'device requested by an agent is not bound');
        details.push({ device });
        continue;
      }
      if (row.device_owner.startsWith(COMPUTE_PREFIX) && row.binding_host_id !== host) {
        details.push({ device, no_active_binding: true });
        continue;
      }
      const bound = {
        device,
        network_id: row.network_id,
        port_id: row.id,
        mac_address: row.mac_address,
        admin_state_up: row.admin_state_up === 1,
        network_type: segment.networkType,
        segmentation_id: segment.segmentationId,
        physical_network: segment.physicalNetwork,
        mtu: mtus.get(row.network_id) ?? null,
        fixed_ips: port.fixed_ips,
        device_owner: row.device_owner,
        allowed_address_pairs: port.allowed_address_pairs,
        port_security_enabled: row.port_security_enabled === 1,
        security_groups: port.security_groups ?? [],
        qos_policy_id: null,
        network_qos_policy_id: null,
        profile: port['binding:profile'],
        propagate_uplink_status: false,
      };
      details.push(conform(DeviceDetails, bound, 'device details'));
      if (host === '' || host === row.binding_host_id) (row.admin_state_up === 1 ? building : down).push(row.id);
    }
    await this.deps.statuses.setMany(ctx, building, 'BUILD');
    await this.deps.statuses.setMany(ctx, down, 'DOWN');
    return details;
  }

  /** Like devicesDetails, but a device that fails is listed in failed_devices instead of failing the call. */
  async devicesDetailsAndFailures(ctx: RequestContext, devices: readonly string[], agentId: string, host: string) {
    try {
      return { devices: await this.devicesDetails(ctx, devices, agentId, host), failed_devices: [] as string[] };
    } catch (err) {
      // Find the culprit one device at a time; the others still get their answer.
      this.deps.log.warn({ err, count: devices.length }, 'failed to get the details of a batch of devices; retrying one by one');
      const details: DeviceDetails[] = [];
      const failed: string[] = [];
      for (const device of devices) {
        try {
          details.push(await this.deviceDetails(ctx, { device, agentId, host }));
        } catch (deviceErr) {
          this.deps.log.warn({ err: deviceErr, device }, 'failed to get the details of a device');
          failed.push(device);
        }
      }
      return { devices: details, failed_devices: failed };
    }
  }

  /**
   * The agent has wired the device: a bound port goes ACTIVE, and
   * l2population tells the other agents (every time: an agent that
   * restarted reports its ports up again and needs the entries again).
   */
  async deviceUp(ctx: RequestContext, request: DeviceRequest, refreshTunnels = false): Promise<void> {
    await this.devicesUp(ctx, [request.device], request.host, refreshTunnels);
  }

  /** The device is gone from the agent: the port goes DOWN (l2population follows the status change). */
  async deviceDown(ctx: RequestContext, request: DeviceRequest): Promise<DeviceDown> {
    const [result] = await this.devicesDown(ctx, [request.device], request.host);
    return result!;
  }

  async deviceList(
    ctx: RequestContext,
    up: readonly string[],
    down: readonly string[],
    agentId: string,
    host: string,
    refreshTunnels: boolean,
  ): Promise<DeviceListResult> {
    const result = { devices_up: [] as string[], failed_devices_up: [] as string[], devices_down: [] as DeviceDown[], failed_devices_down: [] as string[] };
    try {
      await this.devicesUp(ctx, up, host, refreshTunnels);
      result.devices_up.push(...up);
    } catch (err) {
      this.deps.log.warn({ err, agentId, count: up.length }, 'failed to update devices up');
      result.failed_devices_up.push(...up);
    }
    try {
      result.devices_down.push(...(await this.devicesDown(ctx, down, host)));
    } catch (err) {
      this.deps.log.warn({ err, agentId, count: down.length }, 'failed to update devices down');
      result.failed_devices_down.push(...down);
    }
    return result;
  }

  private async devicesUp(ctx: RequestContext, devices: readonly string[], host: string, refreshTunnels: boolean): Promise<void> {
    if (devices.length === 0) return;
    const rows = await findDevicePorts(this.deps.db, devices);
    const eligible = [...rows.values()].filter((row) => {
      if (host !== '' && row.binding_host_id !== host) {
        this.deps.log.debug({ port: row.id, host, bindingHost: row.binding_host_id }, 'device up on a host the port is not bound to');
        return false;
      }
      // Neutron marks only bound ports ACTIVE (a DHCP port without a host stays as it is).
      return isBound({ networkId: row.network_id, hostId: row.binding_host_id, vifType: row.binding_vif_type });
    });
    const changes = await this.deps.statuses.setMany(ctx, eligible.map((row) => row.id), 'ACTIVE');
    if (host === '' || !this.deps.l2population || eligible.length === 0) return;
    const changed = new Map(changes.map((change) => [change.port.id, change.current]));
    const unchanged = await this.presentById(eligible.filter((row) => !changed.has(row.id)));
    const active = eligible.map((row) => changed.get(row.id) ?? unchanged.get(row.id)!);
    await this.deps.l2population.portsUp(active, host, refreshTunnels);
  }

  private async devicesDown(ctx: RequestContext, devices: readonly string[], host: string): Promise<DeviceDown[]> {
    if (devices.length === 0) return [];
    const rows = await findDevicePorts(this.deps.db, devices);
    const ours = [...rows.values()].filter((row) => {
      if (host !== '' && row.binding_host_id !== host) {
        this.deps.log.debug({ port: row.id, host, bindingHost: row.binding_host_id }, 'device down on a host the port is not bound to');
        return false;
      }
      return true;
    });
    // One transaction per port, in order: l2population, which follows each change after commit, must see
    // the host's ports leave one by one to send its flooding entry's removal with the last one only.
    for (const row of ours) await this.deps.statuses.set(ctx, row.id, 'DOWN');
    return devices.map((device) => ({ device, exists: rows.has(device) }));
  }

  private async presentById(rows: readonly PortRow[]): Promise<Map<string, ApiObject>> {
    const unique = [...new Map(rows.map((row) => [row.id, row])).values()];
    const presented = unique.length === 0 ? [] : await this.deps.present(unique, this.deps.db);
    return new Map(presented.map((port) => [String(port.id), port]));
  }

  private async networkMtus(networkIds: readonly string[]): Promise<Map<string, number>> {
    const ids = [...new Set(networkIds)];
    if (ids.length === 0) return new Map();
    const rows = await loadInChunks(ids, (chunk) => this.deps.db.selectFrom('networks').select(['id', 'mtu']).where('id', 'in', chunk).execute());
    return new Map(rows.map((row) => [row.id, row.mtu]));
  }
}

const contextOf = (handler: HandlerContext): RequestContext => adminContext(handler.context.requestId);

/** Neutron's agents send `host=None` and may leave device lists out. */
const orEmpty = (value: string | null | undefined): string => value ?? '';
const listOf = (value: readonly string[] | null | undefined): readonly string[] => value ?? [];

export function l2AgentRpcHandlers(rpc: L2AgentRpc, tunnels: TunnelSync): HandlersOf<typeof l2PluginApi.methods> {
  const request = (args: { device: string; agent_id?: string | null; host?: string | null }): DeviceRequest => ({
    device: args.device,
    agentId: orEmpty(args.agent_id),
    host: orEmpty(args.host),
  });
  return {
    get_device_details: (args, handler) => rpc.deviceDetails(contextOf(handler), request(args)),
    get_devices_details_list: (args, handler) => rpc.devicesDetails(contextOf(handler), listOf(args.devices), orEmpty(args.agent_id), orEmpty(args.host)),
    get_devices_details_list_and_failed_devices: (args, handler) =>
      rpc.devicesDetailsAndFailures(contextOf(handler), listOf(args.devices), orEmpty(args.agent_id), orEmpty(args.host)),
    update_device_up: async (args, handler) => {
      await rpc.deviceUp(contextOf(handler), request(args), args.refresh_tunnels === true);
      return null;
    },
    update_device_down: (args, handler) => rpc.deviceDown(contextOf(handler), request(args)),
    update_device_list: (args, handler) =>
      rpc.deviceList(
        contextOf(handler),
        listOf(args.devices_up),
        listOf(args.devices_down),
        orEmpty(args.agent_id),
        orEmpty(args.host),
        args.refresh_tunnels === true,
      ),
    tunnel_sync: (args) => tunnels.sync(args.tunnel_ip, args.tunnel_type ?? '', orEmpty(args.host)),
  };
}
