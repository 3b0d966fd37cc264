/**
 * Which port an agent means by a device name (ML2's `_device_to_port_id`):
 * agents name a port by its tap device (`tap` + the first 11 characters of
 * the port id; `qvo` and `sg-` likewise), by its full id (Open vSwitch), or
 * by its MAC address (macvtap). A shortened id matches the one port whose id
 * starts with it; none or several match nothing.
 */
import type { Selectable } from 'kysely';

import type { Db, PortsTable } from '../../../db/schema.js';

export type PortRow = Selectable<PortsTable>;

/** neutron-lib's INTERFACE_PREFIXES. */
const INTERFACE_PREFIXES = ['tap', 'qvo', 'sg-'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

export type DeviceRef = { readonly kind: 'id-prefix'; readonly prefix: string } | { readonly kind: 'mac'; readonly mac: string };

export function parseDevice(device: string): DeviceRef {
  for (const prefix of INTERFACE_PREFIXES) {
    if (device.startsWith(prefix)) return { kind: 'id-prefix', prefix: device.slice(prefix.length) };
  }
  if (!UUID.test(device) && MAC.test(device)) return { kind: 'mac', mac: device.toLowerCase() };
  return { kind: 'id-prefix', prefix: device };
}

/** Port ids are lower-case UUIDs: a prefix with other characters names no port (and needs no LIKE escaping). */
const ID_PREFIX = /^[0-9a-f-]+$/;

/** The port a device names, or undefined when no port (or more than one) matches. */
export async function findDevicePort(db: Db, device: string): Promise<PortRow | undefined> {
  const ref = parseDevice(device);
  let query = db.selectFrom('ports').selectAll();
  if (ref.kind === 'mac') {
    query = query.where('mac_address', '=', ref.mac);
  } else {
    if (!ID_PREFIX.test(ref.prefix)) return undefined;
    query = UUID.test(ref.prefix) ? query.where('id', '=', ref.prefix) : query.where('id', 'like', `${ref.prefix}%`);
  }
  const rows = await query.limit(2).execute();
  return rows.length === 1 ? rows[0] : undefined;
}
