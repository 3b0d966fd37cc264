import type { ExtensionDecl } from '../types.js';

/**
 * neutron-lib network_availability_zone: the zones a network should be
 * served in (hints, given on create only) and the zones it is served in
 * (read-only). Behaviour in plugins/agents/networkAvailabilityZones.ts.
 */
export const networkAvailabilityZone = {
  alias: 'network_availability_zone',
  name: 'Network Availability Zone',
  description: 'Availability zone support for network.',
  updated: '2015-01-01T10:00:00-00:00',
  extends: {
    networks: {
      // The zones of the DHCP agents hosting the network.
      availability_zones: { type: { kind: 'list', of: { kind: 'string' } } },
      // Zone names DHCP agents report (type:availability_zone_hint_list); none: [DEFAULT] default_availability_zones.
      availability_zone_hints: {
        type: { kind: 'list', of: { kind: 'string' }, unique: true },
        post: true,
        default: () => [],
        sort: true,
        column: 'availability_zone_hints',
      },
    },
  },
} as const satisfies ExtensionDecl;

/**
 * Behaviour only (api/availabilityZones.ts): GET /v2.0/availability_zones
 * filters by name, resource and state; other keys are refused (400).
 */
export const availabilityZoneFilter = {
  alias: 'availability_zone_filter',
  name: 'Availability Zone Filter Extension',
  description: 'Add filter parameters to AvailabilityZone resource',
  updated: '2018-06-22T10:00:00-00:00',
} as const satisfies ExtensionDecl;
