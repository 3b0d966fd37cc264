/**
 * The loaded type drivers: turns a network request (provider attributes,
 * `segments`, or nothing) into segments, releases them, and computes the MTU.
 */
import type { Tx } from '../../db/schema.js';
import type { ApiObject } from '../collection.js';
import { InvalidProviderInput, NoNetworkAvailable } from './errors.js';
import { PROVIDER, type Segment } from './segment.js';
import type { TypeDriver } from './types/typeDriver.js';

export interface TypeManagerOptions {
  readonly drivers: ReadonlyMap<string, TypeDriver>;
  /** tenant_network_types, in the order tried. */
  readonly projectNetworkTypes: readonly string[];
  readonly externalNetworkType: string | undefined;
  readonly globalPhysnetMtu: number;
}

const hasProviderAttributes = (request: ApiObject) => Object.values(PROVIDER).some((name) => request[name] !== undefined);

function segmentFrom(attributes: Readonly<Record<string, unknown>>): Segment {
  return {
    networkType: typeof attributes[PROVIDER.networkType] === 'string' ? (attributes[PROVIDER.networkType] as string) : '',
    physicalNetwork: typeof attributes[PROVIDER.physicalNetwork] === 'string' ? (attributes[PROVIDER.physicalNetwork] as string) : null,
    segmentationId: typeof attributes[PROVIDER.segmentationId] === 'number' ? (attributes[PROVIDER.segmentationId] as number) : null,
  };
}

export class TypeManager {
  constructor(private readonly options: TypeManagerOptions) {}

  /** The segments a new network gets, claimed in `tx`. */
  async segmentsFor(tx: Tx, request: ApiObject, random: () => number): Promise<Segment[]> {
    const multi = request.segments;
    if (multi !== undefined && multi !== null) {
      if (hasProviderAttributes(request)) throw new InvalidProviderInput('Segments and provider values cannot both be set');
      const requested = (multi as readonly Record<string, unknown>[]).map(segmentFrom);
      const keys = requested.map((s) => `${s.networkType}|${s.physicalNetwork}|${s.segmentationId}`);
      if (new Set(keys).size !== keys.length) throw new InvalidProviderInput('Duplicate segment entry in request');
      const out: Segment[] = [];
      for (const segment of requested) out.push(await this.reserve(tx, segment, random));
      return out;
    }
    if (hasProviderAttributes(request)) return [await this.reserve(tx, segmentFrom(request), random)];

    const external = request['router:external'] === true && this.options.externalNetworkType !== undefined;
    const types = external ? [this.options.externalNetworkType!] : this.options.projectNetworkTypes;
    for (const type of types) {
      const segment = await this.driver(type).allocateProjectSegment(tx, random);
      if (segment) return [segment];
    }
    throw new NoNetworkAvailable();
  }

  async release(tx: Tx, segments: readonly Segment[]): Promise<void> {
    for (const segment of segments) await this.options.drivers.get(segment.networkType)?.release(tx, segment);
  }

  /** The smallest MTU of the segments; global_physnet_mtu when none sets one. */
  mtu(segments: readonly Segment[]): number {
    const limits = segments
      .map((s) => this.options.drivers.get(s.networkType)?.mtu(s) ?? 0)
      .filter((mtu) => mtu > 0);
    return limits.length > 0 ? Math.min(...limits) : this.options.globalPhysnetMtu;
  }

  private async reserve(tx: Tx, segment: Segment, random: () => number): Promise<Segment> {
    if (segment.networkType === '') throw new InvalidProviderInput('network_type required');
    const driver = this.driver(segment.networkType);
    return driver.reserve(tx, driver.validate(segment), random);
  }

  private driver(type: string): TypeDriver {
    const driver = this.options.drivers.get(type);
    if (!driver) throw new InvalidProviderInput(`network_type value '${type}' not supported`);
    return driver;
  }
}
