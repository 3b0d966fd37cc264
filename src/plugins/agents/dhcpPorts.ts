/**
 * The DHCP agents' ports: who owns one (device_id) and what happens to it
 * when its agent stops serving the network.
 */
import { adminContext } from '../../common/context.js';
import { NeutronError } from '../../common/errors.js';
import { DEVICE_ID_RESERVED_DHCP_PORT, dhcpDeviceId } from '../../common/dhcpDeviceId.js';
import type { Collection } from '../collection.js';

// Shared with the DHCP agent, which may not import plugins/.
export { DEVICE_ID_RESERVED_DHCP_PORT, DEVICE_OWNER_DHCP, dhcpDeviceId, uuid5 } from '../../common/dhcpDeviceId.js';

/**
 * Marks the DHCP port of the agent on `host` as reserved once the agent no
 * longer serves the network, so that the next agent reuses it (and its
 * addresses) instead of creating another. Goes through the port plugin, so
 * the agents still serving the network hear port_update_end.
 */
export async function reserveDhcpPorts(ports: Collection, networkId: string, host: string): Promise<void> {
  const ctx = adminContext();
  const owned = await ports.list(ctx, {
    filters: new Map([
      ['network_id', [networkId]],
      ['device_id', [dhcpDeviceId(networkId, host)]],
    ]),
    sorts: [],
  });
  for (const port of owned) {
    try {
      await ports.update(ctx, String(port.id), { device_id: DEVICE_ID_RESERVED_DHCP_PORT });
    } catch (err) {
      // Deleted meanwhile: nothing left to keep.
      if (!(err instanceof NeutronError && err.type === 'PortNotFound')) throw err;
    }
  }
}
