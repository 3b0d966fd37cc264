/** A network segment as ML2 handles it: what the provider attributes describe. */
export interface Segment {
  readonly networkType: string;
  readonly physicalNetwork: string | null;
  readonly segmentationId: number | null;
}

/** The provider attribute names, as the API spells them. */
export const PROVIDER = {
  networkType: 'provider:network_type',
  physicalNetwork: 'provider:physical_network',
  segmentationId: 'provider:segmentation_id',
} as const;

export const toProviderAttributes = (segment: Segment) => ({
  [PROVIDER.networkType]: segment.networkType,
  [PROVIDER.physicalNetwork]: segment.physicalNetwork,
  [PROVIDER.segmentationId]: segment.segmentationId,
});
