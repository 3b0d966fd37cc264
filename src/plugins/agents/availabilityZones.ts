/**
 * What routers' and networks' availability zone hints share
 * (neutron-lib api/validators/availability_zone.py, exceptions/availability_zone.py,
 * neutron/db/agents_db.py validate_availability_zones): the hints are
 * stored as one JSON string of at most 255 characters, and each must be a
 * zone that an agent of the resource's kind reports (L3 agents for
 * routers, DHCP agents for networks).
 */
import { InvalidInput, NeutronError } from '../../common/errors.js';
import type { Db, Tx } from '../../db/schema.js';

/** neutron-lib's AZ_HINTS_DB_LEN. */
const AZ_HINTS_MAX = 255;

/** A hint naming a zone no agent of the resource's kind reports. */
export class AvailabilityZoneNotFound extends NeutronError {
  constructor(zone: string) {
    super(404, 'AvailabilityZoneNotFound', `AvailabilityZone ${zone} could not be found.`);
  }
}

/**
 * The hints as Neutron stores them (Python's json.dumps: ", " between items,
 * non-ASCII escaped), whose length the 255-character limit is about.
 */
export function azHintsJson(hints: readonly string[]): string {
  const escaped = (hint: string) => JSON.stringify(hint).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `[${hints.map(escaped).join(', ')}]`;
}

/** neutron-lib's type:availability_zone_hint_list, after the list and its names (checked by the declaration). */
export function checkHintsLength(hints: readonly string[]): void {
  if (azHintsJson(hints).length > AZ_HINTS_MAX) throw new InvalidInput('Too many availability_zone_hints specified');
}

/** Every hint must be a zone some agent of `agentType` reports (validate_availability_zones), else 404. */
export async function checkZones(tx: Tx | Db, agentType: string, hints: readonly string[]): Promise<void> {
  if (hints.length === 0) return;
  const rows = await tx
    .selectFrom('agents')
    .select('availability_zone')
    .distinct()
    .where('agent_type', '=', agentType)
    .where('availability_zone', 'in', [...hints])
    .execute();
  const known = new Set(rows.map((row) => row.availability_zone));
  const missing = hints.find((hint) => !known.has(hint));
  if (missing !== undefined) throw new AvailabilityZoneNotFound(missing);
}

/** Rows of (resource id, zone of an agent hosting it) as sorted, distinct zones per resource; agents without a zone add none. */
export function zonesByResource(rows: readonly { readonly id: string; readonly zone: string | null }[]): Map<string, string[]> {
  const zones = new Map<string, Set<string>>();
  for (const { id, zone } of rows) {
    if (zone === null) continue;
    zones.set(id, (zones.get(id) ?? new Set<string>()).add(zone));
  }
  return new Map([...zones].map(([id, set]) => [id, [...set].sort()]));
}
