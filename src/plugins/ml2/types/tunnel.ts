import type { Tx } from '../../../db/schema.js';
import { InvalidProviderInput, NoNetworkAvailable, TunnelIdInUse } from '../errors.js';
import { allocateFrom, claim, isAllocated, release } from '../segmentAllocations.js';
import type { IdRange } from '../segmentRanges.js';
import { PROVIDER, type Segment } from '../segment.js';
import type { TypeDriver } from './typeDriver.js';

export interface TunnelSpec {
  readonly type: 'vxlan' | 'gre' | 'geneve';
  readonly maxId: number;
  readonly ranges: readonly IdRange[];
  /** The underlay's MTU: path_mtu, or global_physnet_mtu when that is smaller or path_mtu unset. */
  readonly underlayMtu: number;
  /** Outer IP header plus the encapsulation's own header, in bytes. */
  readonly overhead: number;
}

/** Overlay networks (VXLAN, GRE, Geneve): an id from the ranges, no physical network. */
export class TunnelTypeDriver implements TypeDriver {
  readonly type: string;

  constructor(private readonly spec: TunnelSpec) {
    this.type = spec.type;
  }

  validate(segment: Segment): Segment {
    if (segment.physicalNetwork !== null) {
      throw new InvalidProviderInput(`${PROVIDER.physicalNetwork} specified for ${this.type} network`);
    }
    const id = segment.segmentationId;
    if (id !== null && (id < 1 || id > this.spec.maxId)) {
      throw new InvalidProviderInput(`${PROVIDER.segmentationId} out of range (1 through ${this.spec.maxId})`);
    }
    return segment;
  }

  async reserve(tx: Tx, segment: Segment, random: () => number): Promise<Segment> {
    if (segment.segmentationId === null) {
      const allocated = await this.allocateProjectSegment(tx, random);
      if (!allocated) throw new NoNetworkAvailable();
      return allocated;
    }
    // Ids outside the project ranges are fine for provider networks.
    if (await isAllocated(tx, this.type, '', segment.segmentationId)) throw new TunnelIdInUse(segment.segmentationId);
    await claim(tx, this.type, '', segment.segmentationId);
    return segment;
  }

  async allocateProjectSegment(tx: Tx, random: () => number): Promise<Segment | null> {
    const id = await allocateFrom(tx, this.type, '', this.spec.ranges, random);
    return id === null ? null : { networkType: this.type, physicalNetwork: null, segmentationId: id };
  }

  async release(tx: Tx, segment: Segment): Promise<void> {
    if (segment.segmentationId !== null) await release(tx, this.type, '', segment.segmentationId);
  }

  mtu(): number {
    return this.spec.underlayMtu - this.spec.overhead;
  }
}
