/**
 * The floating IP statuses a pass reports (Neutron's
 * RouterInfo.update_fip_statuses): ACTIVE for each floating IP now in place,
 * ERROR for all of a router whose configuration failed, DOWN for one that
 * was in place on the last pass and is no longer the router's. Only what
 * differs from the status the server sent (or, for DOWN, from what this
 * agent last reported) is sent; an empty result sends nothing.
 */
import type { Router } from './model.js';

export type FipStatus = 'ACTIVE' | 'DOWN' | 'ERROR';

export interface FipStatusUpdate {
  readonly statuses: Readonly<Record<string, FipStatus>>;
  /** The floating IPs in place after this pass, for the next pass's DOWN. */
  readonly inPlace: ReadonlySet<string>;
}

export function fipStatusUpdate(router: Router, applied: boolean, previouslyInPlace: ReadonlySet<string>): FipStatusUpdate {
  const statuses: Record<string, FipStatus> = {};
  // Without a gateway no floating IP is configured (Neutron processes them only with one).
  const configured = router.gateway ? router.floatingIps : [];
  const wanted: FipStatus = applied ? 'ACTIVE' : 'ERROR';
  for (const fip of configured) if (fip.status !== wanted) statuses[fip.id] = wanted;
  const inPlace = new Set(applied ? configured.map((fip) => fip.id) : []);
  for (const id of previouslyInPlace) {
    if (!router.floatingIps.some((fip) => fip.id === id)) statuses[id] = 'DOWN';
  }
  return { statuses, inPlace };
}
