import type { Tx } from '../../../db/schema.js';
import { InvalidProviderInput, NoNetworkAvailable, VlanIdInUse } from '../errors.js';
import { allocateFrom, claim, isAllocated, release } from '../segmentAllocations.js';
import { type IdRange, MAX_VLAN_ID } from '../segmentRanges.js';
import { PROVIDER, type Segment } from '../segment.js';
import type { TypeDriver } from './typeDriver.js';

/** 802.1Q-tagged networks on physical networks listed in network_vlan_ranges. */
export class VlanTypeDriver implements TypeDriver {
  readonly type = 'vlan';

  constructor(
    /** physnet -> project ranges; an empty list means provider networks only. */
    private readonly ranges: ReadonlyMap<string, readonly IdRange[]>,
    private readonly physnetMtu: (physnet: string) => number,
  ) {}

  validate(segment: Segment): Segment {
    const { physicalNetwork, segmentationId } = segment;
    if (physicalNetwork === null) {
      if (segmentationId !== null) throw new InvalidProviderInput(`${PROVIDER.segmentationId} requires ${PROVIDER.physicalNetwork} for VLAN provider network`);
      return segment;
    }
    if (!this.ranges.has(physicalNetwork)) {
      throw new InvalidProviderInput(`${PROVIDER.physicalNetwork} '${physicalNetwork}' unknown for VLAN provider network`);
    }
    if (segmentationId !== null && (segmentationId < 1 || segmentationId > MAX_VLAN_ID)) {
      throw new InvalidProviderInput(`${PROVIDER.segmentationId} out of range (1 through ${MAX_VLAN_ID})`);
    }
    return segment;
  }

  async reserve(tx: Tx, segment: Segment, random: () => number): Promise<Segment> {
    const { physicalNetwork, segmentationId } = segment;
    if (physicalNetwork === null) {
      const allocated = await this.allocateProjectSegment(tx, random);
      if (!allocated) throw new NoNetworkAvailable();
      return allocated;
    }
    if (segmentationId === null) {
      const id = await allocateFrom(tx, this.type, physicalNetwork, this.ranges.get(physicalNetwork) ?? [], random);
      if (id === null) throw new NoNetworkAvailable();
      return { ...segment, segmentationId: id };
    }
    // Ids outside the project ranges are fine for provider networks.
    if (await isAllocated(tx, this.type, physicalNetwork, segmentationId)) throw new VlanIdInUse(segmentationId, physicalNetwork);
    await claim(tx, this.type, physicalNetwork, segmentationId);
    return segment;
  }

  async allocateProjectSegment(tx: Tx, random: () => number): Promise<Segment | null> {
    for (const [physnet, ranges] of this.ranges) {
      const id = await allocateFrom(tx, this.type, physnet, ranges, random);
      if (id !== null) return { networkType: this.type, physicalNetwork: physnet, segmentationId: id };
    }
    return null;
  }

  async release(tx: Tx, segment: Segment): Promise<void> {
    if (segment.physicalNetwork !== null && segment.segmentationId !== null) {
      await release(tx, this.type, segment.physicalNetwork, segment.segmentationId);
    }
  }

  mtu(segment: Segment): number {
    return this.physnetMtu(segment.physicalNetwork ?? '');
  }
}
