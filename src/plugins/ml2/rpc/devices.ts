/**
 * Which port an agent means by a device name (ML2's `_device_to_port_id`):
 * agents name a port by its tap device (`tap` + the first 11 characters of
 * the port id; `qvo` and `sg-` likewise), by its full id (Open vSwitch), or
 * by its MAC address (macvtap). A shortened id matches the one port whose id
 * starts with it; none or several match nothing.
 */
import type { Expression, ExpressionBuilder, Selectable, SqlBool } from 'kysely';

import type { Database, Db, PortsTable } from '../../../db/schema.js';
import { loadInChunks } from '../../core/children.js';

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

/** Port ids are lower-case UUIDs: a prefix with other characters names no port. */
const ID_PREFIX = /^[0-9a-f-]+$/;

/**
 * Sorts after every character of a port id, in binary order and in the
 * databases' collations alike: `prefix <= id < prefix + AFTER_ID_CHARS`
 * holds for every id that starts with `prefix`.
 */
const AFTER_ID_CHARS = 'g';

/** Ranges per query: an agent's whole resync in one, within what MySQL's range optimizer plans as ranges (not a scan). */
const RANGES_PER_QUERY = 2000;

/**
 * `a OR b OR ...` nested as a balanced tree: SQLite parses a flat OR list
 * into a tree as deep as the list is long and refuses one deeper than 1 000.
 */
function anyOf(eb: ExpressionBuilder<Database, 'ports'>, terms: readonly Expression<SqlBool>[]): Expression<SqlBool> {
  if (terms.length <= 2) return eb.or([...terms]);
  const half = Math.ceil(terms.length / 2);
  return eb.or([anyOf(eb, terms.slice(0, half)), anyOf(eb, terms.slice(half))]);
}

/**
 * The ports many devices name, in a few queries instead of one per device
 * (an agent that restarts asks about all of its devices at once). Devices
 * that name no port, or more than one, are absent from the result.
 */
export async function findDevicePorts(db: Db, devices: readonly string[]): Promise<Map<string, PortRow>> {
  const refs = new Map(devices.map((device) => [device, parseDevice(device)] as const));
  const byPrefixLength = new Map<number, Set<string>>();
  const macs = new Set<string>();
  for (const ref of refs.values()) {
    if (ref.kind === 'mac') macs.add(ref.mac);
    else if (ID_PREFIX.test(ref.prefix) && ref.prefix !== '') {
      const set = byPrefixLength.get(ref.prefix.length) ?? new Set<string>();
      set.add(ref.prefix);
      byPrefixLength.set(ref.prefix.length, set);
    }
  }
  // prefix -> the ports it matches (two means ambiguous).
  const matches = new Map<string, PortRow[]>();
  const add = (key: string, row: PortRow) => matches.set(key, [...(matches.get(key) ?? []), row]);
  for (const [length, prefixes] of byPrefixLength) {
    // A range per prefix, not substr(id, ...) IN (...): the ranges are read from the primary key, where the
    // function would read every port, once per agent call (a resync of 100 000 ports is 2 000 such calls).
    const rows = await loadInChunks([...prefixes], (chunk) =>
      length === 36
        ? db.selectFrom('ports').selectAll().where('id', 'in', chunk).execute()
        : db
            .selectFrom('ports')
            .selectAll()
            .where((eb) => anyOf(eb, chunk.map((prefix) => eb.and([eb('id', '>=', prefix), eb('id', '<', prefix + AFTER_ID_CHARS)]))))
            .execute(),
      length === 36 ? undefined : RANGES_PER_QUERY,
    );
    for (const row of rows) {
      const prefix = row.id.slice(0, length);
      if (prefixes.has(prefix)) add(prefix, row);
    }
  }
  for (const row of await loadInChunks([...macs], (chunk) => db.selectFrom('ports').selectAll().where('mac_address', 'in', chunk).execute())) {
    add(`mac:${row.mac_address}`, row);
  }
  const found = new Map<string, PortRow>();
  for (const [device, ref] of refs) {
    const rows = matches.get(ref.kind === 'mac' ? `mac:${ref.mac}` : ref.prefix);
    if (rows?.length === 1) found.set(device, rows[0]!);
  }
  return found;
}
