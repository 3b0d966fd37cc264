/**
 * Segmentation ids in use, per type and physical network. Allocation picks a
 * random free id of the configured ranges and inserts it; the primary key
 * refuses a second server that picked the same one (its transaction re-runs).
 */
import type { Tx } from '../../db/schema.js';
import { type IdRange, rangeSize } from './segmentRanges.js';

/** Ranges up to this size are read whole; larger ones are probed at random. */
const READ_WHOLE = 4096;
const PROBE_BATCH = 32;

export async function isAllocated(tx: Tx, type: string, physnet: string, id: number): Promise<boolean> {
  const row = await tx
    .selectFrom('ml2_segment_allocations')
    .select('segmentation_id')
    .where('network_type', '=', type)
    .where('physical_network', '=', physnet)
    .where('segmentation_id', '=', id)
    .executeTakeFirst();
  return row !== undefined;
}

export async function claim(tx: Tx, type: string, physnet: string, id: number): Promise<void> {
  await tx.insertInto('ml2_segment_allocations').values({ network_type: type, physical_network: physnet, segmentation_id: id }).execute();
}

export async function release(tx: Tx, type: string, physnet: string, id: number): Promise<void> {
  await tx
    .deleteFrom('ml2_segment_allocations')
    .where('network_type', '=', type)
    .where('physical_network', '=', physnet)
    .where('segmentation_id', '=', id)
    .execute();
}

const idAt = (ranges: readonly IdRange[], offset: number): number => {
  let rest = offset;
  for (const r of ranges) {
    const size = r.max - r.min + 1;
    if (rest < size) return r.min + rest;
    rest -= size;
  }
  throw new Error('offset beyond the ranges');
};

/** Claims a random free id of the ranges; null when every id is in use. */
export async function allocateFrom(
  tx: Tx,
  type: string,
  physnet: string,
  ranges: readonly IdRange[],
  random: () => number,
): Promise<number | null> {
  const size = rangeSize(ranges);
  if (size === 0) return null;
  const taken = async (ids: readonly number[]) =>
    new Set(
      (
        await tx
          .selectFrom('ml2_segment_allocations')
          .select('segmentation_id')
          .where('network_type', '=', type)
          .where('physical_network', '=', physnet)
          .where('segmentation_id', 'in', ids)
          .execute()
      ).map((r) => Number(r.segmentation_id)),
    );
  let candidates: number[];
  if (size > READ_WHOLE) {
    const probe = Array.from({ length: PROBE_BATCH }, () => idAt(ranges, Math.floor(random() * size)));
    const used = await taken(probe);
    candidates = probe.filter((id) => !used.has(id));
  } else {
    candidates = [];
  }
  if (candidates.length === 0) {
    const all = Array.from({ length: size }, (_, i) => idAt(ranges, i));
    const used = new Set<number>();
    for (let i = 0; i < all.length; i += 1000) for (const id of await taken(all.slice(i, i + 1000))) used.add(id);
    candidates = all.filter((id) => !used.has(id));
  }
  if (candidates.length === 0) return null;
  const id = candidates[Math.floor(random() * candidates.length)]!;
  await claim(tx, type, physnet, id);
  return id;
}
