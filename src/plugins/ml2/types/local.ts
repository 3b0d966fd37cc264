import { InvalidProviderInput } from '../errors.js';
import { PROVIDER, type Segment } from '../segment.js';
import type { TypeDriver } from './typeDriver.js';

/** Networks that never leave the host: nothing to allocate, no MTU limit. */
export class LocalTypeDriver implements TypeDriver {
  readonly type = 'local';

  validate(segment: Segment): Segment {
    if (segment.physicalNetwork !== null) throw new InvalidProviderInput(`${PROVIDER.physicalNetwork} prohibited for local provider network`);
    if (segment.segmentationId !== null) throw new InvalidProviderInput(`${PROVIDER.segmentationId} prohibited for local provider network`);
    return segment;
  }

  async reserve(_tx: unknown, segment: Segment): Promise<Segment> {
    return segment;
  }

  async allocateProjectSegment(): Promise<Segment> {
    return { networkType: 'local', physicalNetwork: null, segmentationId: null };
  }

  async release(): Promise<void> {}

  mtu(): number {
    return 0;
  }
}
