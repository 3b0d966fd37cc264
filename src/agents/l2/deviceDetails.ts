/**
 * The server's answer to get_devices_details_list_and_failed_devices, parsed
 * (l2AgentRpc.ts on the server side writes it): a bound port's device with
 * its network segment and MTU, or a device the server does not know or has
 * not bound for this host.
 */

export type NetworkType = 'vxlan' | 'flat' | 'vlan' | 'local';

export interface BoundDevice {
  readonly kind: 'bound';
  readonly device: string;
  readonly portId: string;
  readonly networkId: string;
  readonly macAddress: string;
  readonly adminStateUp: boolean;
  readonly networkType: string;
  readonly segmentationId: number | null;
  readonly physicalNetwork: string | null;
  /** Null when the server did not say (then the kernel's defaults stay). */
  readonly mtu: number | null;
  readonly fixedIps: readonly string[];
}

/** Unknown port, unbound port, or an instance's port bound to another host. */
export interface UnboundDevice {
  readonly kind: 'unbound';
  readonly device: string;
}

export type DeviceDetails = BoundDevice | UnboundDevice;

export interface DetailsAnswer {
  readonly devices: DeviceDetails[];
  /** Devices the server failed to look up: left as they are, asked again next pass. */
  readonly failed: string[];
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

export function parseDeviceDetails(value: unknown): DeviceDetails | undefined {
  if (!isRecord(value)) return undefined;
  const device = str(value.device);
  if (device === undefined) return undefined;
  const portId = str(value.port_id);
  const networkId = str(value.network_id);
  const mac = str(value.mac_address);
  const networkType = str(value.network_type);
  if (value.no_active_binding === true || portId === undefined || networkId === undefined || mac === undefined || networkType === undefined) {
    return { kind: 'unbound', device };
  }
  const fixedIps = Array.isArray(value.fixed_ips)
    ? value.fixed_ips.flatMap((ip) => (isRecord(ip) && typeof ip.ip_address === 'string' ? [ip.ip_address] : []))
    : [];
  return {
    kind: 'bound',
    device,
    portId,
    networkId,
    macAddress: mac.toLowerCase(),
    adminStateUp: value.admin_state_up !== false,
    networkType,
    segmentationId: num(value.segmentation_id),
    physicalNetwork: str(value.physical_network) ?? null,
    mtu: num(value.mtu),
    fixedIps,
  };
}

export function parseDetailsAnswer(value: unknown): DetailsAnswer {
  if (!isRecord(value)) throw new Error('get_devices_details_list_and_failed_devices answered something else than an object');
  const devices = Array.isArray(value.devices) ? value.devices.flatMap((d) => parseDeviceDetails(d) ?? []) : [];
  const failed = Array.isArray(value.failed_devices) ? value.failed_devices.filter((d): d is string => typeof d === 'string') : [];
  return { devices, failed };
}
