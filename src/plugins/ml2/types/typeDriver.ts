import type { Tx } from '../../../db/schema.js';
import type { Segment } from '../segment.js';

/** One network type (neutron_lib/plugins/ml2/api.py TypeDriver), over the shared allocation table. */
export interface TypeDriver {
  readonly type: string;
  /** Checks a provider segment's attributes (400 InvalidInput); returns it normalised. */
  validate(segment: Segment): Segment;
  /** Claims what a provider segment names (409 when taken) and fills a missing id from the pool (503 when none). */
  reserve(tx: Tx, segment: Segment, random: () => number): Promise<Segment>;
  /** A segment for a project network, or null when this type has none free. */
  allocateProjectSegment(tx: Tx, random: () => number): Promise<Segment | null>;
  release(tx: Tx, segment: Segment): Promise<void>;
  /** The largest packet the segment carries; 0 when the type sets no limit of its own. */
  mtu(segment: Segment): number;
}
