/**
 * The id ranges of ml2_conf.ini, parsed and checked once at start-up. Each
 * parser throws a plain Error whose message is the reason; the caller names
 * the file, section and option.
 */
export interface IdRange {
  readonly min: number;
  readonly max: number;
}

export const MAX_VLAN_ID = 4094;
export const MAX_VXLAN_VNI = 2 ** 24 - 1;
export const MAX_GRE_ID = 2 ** 32 - 1;

function integer(text: string, what: string): number {
  if (!/^\d+$/.test(text.trim())) throw new Error(`'${text}' is not a valid ${what}`);
  return Number(text.trim());
}

function range(minText: string, maxText: string, bounds: IdRange, what: string): IdRange {
  const min = integer(minText, what);
  const max = integer(maxText, what);
  for (const id of [min, max]) {
    if (id < bounds.min || id > bounds.max) throw new Error(`${what} ${id} is outside ${bounds.min}..${bounds.max}`);
  }
  if (min > max) throw new Error(`the range ${min}:${max} is the wrong way round`);
  return { min, max };
}

/** `min:max` entries (vni_ranges, tunnel_id_ranges). */
export function parseIdRanges(entries: readonly string[], bounds: IdRange, what: string): IdRange[] {
  return entries.map((entry) => {
    const parts = entry.split(':');
    if (parts.length !== 2) throw new Error(`'${entry}' is not a range of the form min:max`);
    return range(parts[0]!, parts[1]!, bounds, what);
  });
}

/** `physnet:min:max` or a bare `physnet` (provider networks only) per entry (network_vlan_ranges). */
export function parseVlanRanges(entries: readonly string[]): Map<string, IdRange[]> {
  const byPhysnet = new Map<string, IdRange[]>();
  for (const entry of entries) {
    const parts = entry.split(':');
    const physnet = parts[0]?.trim() ?? '';
    if (physnet === '') throw new Error(`'${entry}' names no physical network`);
    const ranges = byPhysnet.get(physnet) ?? [];
    if (parts.length === 3) ranges.push(range(parts[1]!, parts[2]!, { min: 1, max: MAX_VLAN_ID }, 'VLAN id'));
    else if (parts.length !== 1) throw new Error(`'${entry}' is not of the form physnet or physnet:min:max`);
    byPhysnet.set(physnet, ranges);
  }
  return byPhysnet;
}

/** `physnet:mtu` entries (physical_network_mtus). */
export function parsePhysnetMtus(entries: readonly string[]): Map<string, number> {
  const mtus = new Map<string, number>();
  for (const entry of entries) {
    const parts = entry.split(':');
    if (parts.length !== 2 || !parts[0]) throw new Error(`'${entry}' is not of the form physnet:mtu`);
    mtus.set(parts[0].trim(), integer(parts[1]!, 'MTU'));
  }
  return mtus;
}

export const rangeSize = (ranges: readonly IdRange[]): number => ranges.reduce((sum, r) => sum + r.max - r.min + 1, 0);

export const inRanges = (ranges: readonly IdRange[], id: number): boolean => ranges.some((r) => id >= r.min && id <= r.max);
