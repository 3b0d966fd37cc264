/**
 * network_availability_zone (neutron/db/availability_zone/network.py, the
 * ML2 plugin's create_network, agentschedulers_db get_network_availability_zones):
 *
 * - availability_zone_hints, given on create only: sorted, or [DEFAULT]
 *   default_availability_zones when none; each must be a zone a DHCP agent
 *   reports (else 404 AvailabilityZoneNotFound), the whole at most 255
 *   characters as Neutron stores it (else 400). Stored in the network's
 *   availability_zone_hints column (declared by the extension).
 * - availability_zones: the zones of the DHCP agents hosting the network
 *   (networkdhcpagentbindings), sorted; none while no agent does.
 *
 * The DHCP scheduler (dhcpScheduler.ts) picks agents in the hinted zones only.
 */
import type { ApiObject } from '../collection.js';
import { loadInChunks } from '../core/children.js';
import type { CoreDeps } from '../core/deps.js';
import { AGENT_TYPE } from './agentTypes.js';
import { azHintsJson, checkHintsLength, checkZones, zonesByResource } from './availabilityZones.js';

export class NetworkAvailabilityZones {
  constructor(
    deps: CoreDeps,
    /** [DEFAULT] default_availability_zones: the hints of a network created without any. */
    private readonly defaultZones: readonly string[],
  ) {
    deps.events.on('network.precommit_create', async ({ tx, current, request }) => {
      const requested = hintsOf(request ?? {});
      checkHintsLength(requested);
      const hints = requested.length > 0 ? [...requested].sort() : [...this.defaultZones];
      await checkZones(tx, AGENT_TYPE.dhcp, hints);
      await tx.updateTable('networks').set({ availability_zone_hints: azHintsJson(hints) }).where('id', '=', current.id).execute();
      // The object the create answers with was built from the row as first inserted.
      current.availability_zone_hints = hints;
    });
    deps.extenders.of('network').push(async (db, networks) => {
      const ids = networks.map((network) => String(network.id));
      const rows = await loadInChunks(ids, (chunk) =>
        db
          .selectFrom('networkdhcpagentbindings')
          .innerJoin('agents', 'agents.id', 'networkdhcpagentbindings.dhcp_agent_id')
          .select(['networkdhcpagentbindings.network_id as id', 'agents.availability_zone as zone'])
          .where('networkdhcpagentbindings.network_id', 'in', chunk)
          .execute(),
      );
      const zones = zonesByResource(rows);
      return new Map(ids.map((id): [string, ApiObject] => [id, { availability_zones: zones.get(id) ?? [] }]));
    });
  }
}

function hintsOf(item: ApiObject): readonly string[] {
  return Array.isArray(item.availability_zone_hints) ? (item.availability_zone_hints as string[]) : [];
}
