import type { ExtensionDecl } from '../types.js';

/** The read-only, admin-only `network-ip-availabilities` collection (served by api/ipAvailability.ts). */
export const networkIpAvailability = {
  alias: 'network-ip-availability',
  name: 'Network IP Availability',
  description: 'How many addresses each network and subnet has, and how many are in use.',
  updated: '2015-09-24T00:00:00-00:00',
} as const satisfies ExtensionDecl;
