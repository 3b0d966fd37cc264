import type { Tx } from '../../../db/schema.js';
import { FlatNetworkInUse, InvalidProviderInput } from '../errors.js';
import { claim, isAllocated, release } from '../segmentAllocations.js';
import { PROVIDER, type Segment } from '../segment.js';
import type { TypeDriver } from './typeDriver.js';

/** One untagged network per physical network; provider networks only. */
export class FlatTypeDriver implements TypeDriver {
  readonly type = 'flat';

  constructor(
    /** flat_networks: `*` allows any physical network, empty disables flat networks. */
    private readonly flatNetworks: readonly string[],
    private readonly physnetMtu: (physnet: string) => number,
  ) {}

  validate(segment: Segment): Segment {
    if (this.flatNetworks.length === 0) throw new InvalidProviderInput('Flat provider networks are disabled');
    if (segment.physicalNetwork === null) throw new InvalidProviderInput(`${PROVIDER.physicalNetwork} required for flat provider network`);
    if (!this.flatNetworks.includes('*') && !this.flatNetworks.includes(segment.physicalNetwork)) {
      throw new InvalidProviderInput(`${PROVIDER.physicalNetwork} '${segment.physicalNetwork}' unknown for flat provider network`);
    }
    if (segment.segmentationId !== null) throw new InvalidProviderInput(`${PROVIDER.segmentationId} prohibited for flat provider network`);
    return segment;
  }

  async reserve(tx: Tx, segment: Segment): Promise<Segment> {
    const physnet = segment.physicalNetwork ?? '';
    if (await isAllocated(tx, this.type, physnet, 0)) throw new FlatNetworkInUse(physnet);
    await claim(tx, this.type, physnet, 0);
    return segment;
  }

  async allocateProjectSegment(): Promise<null> {
    return null;
  }

  async release(tx: Tx, segment: Segment): Promise<void> {
    await release(tx, this.type, segment.physicalNetwork ?? '', 0);
  }

  mtu(segment: Segment): number {
    return this.physnetMtu(segment.physicalNetwork ?? '');
  }
}
