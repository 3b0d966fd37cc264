/**
 * The server's answer to get_devices_details_list (checked
 * against the contract on receipt, src/rpc/contract/l2Plugin.ts) as the
 * agent uses it: a bound port's device with its network segment and MTU, or
 * a device the server does not know or has not bound for this host.
 */
import type { DeviceDetails as WireDeviceDetails } from '../../rpc/contract/index.js';

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

export function toDeviceDetails(details: WireDeviceDetails): DeviceDetails {
  const { device, port_id: portId, network_id: networkId, mac_address: mac, network_type: networkType } = details;
  if (details.no_active_binding === true || portId === undefined || networkId === undefined || mac === undefined || networkType === undefined) {
    return { kind: 'unbound', device };
  }
  return {
    kind: 'bound',
    device,
    portId,
    networkId,
    macAddress: mac.toLowerCase(),
    adminStateUp: details.admin_state_up !== false,
    networkType,
    segmentationId: details.segmentation_id ?? null,
    physicalNetwork: details.physical_network ?? null,
    mtu: details.mtu ?? null,
    fixedIps: (details.fixed_ips ?? []).map((ip) => ip.ip_address),
  };
}

export function toDetailsAnswer(answer: { readonly devices: readonly WireDeviceDetails[]; readonly failed_devices: readonly string[] }): DetailsAnswer {
  return { devices: answer.devices.map(toDeviceDetails), failed: [...answer.failed_devices] };
}
