/**
 * Local VLANs: br-int separates networks by a VLAN id that means something
 * only on this host (1..4094; 4095 is the dead VLAN). A network keeps its
 * id while it has ports here. A restarted agent takes the ids back from the
 * ports' other_config (`net_uuid`, `tag`), as Neutron's agent does, so its
 * first pass changes nothing and traffic keeps flowing.
 */
const FIRST = 1;
const LAST = 4094;

/**
 * The local VLAN of every network in `wanted`: kept from `previous`, else
 * taken from what the ports record (`recorded`) when free, else the lowest
 * free id. Networks for which none is left are absent.
 */
export function assignLocalVlans(
  wanted: Iterable<string>,
  previous: ReadonlyMap<string, number>,
  recorded: ReadonlyMap<string, number>,
): Map<string, number> {
  const networks = [...new Set(wanted)].sort();
  const assigned = new Map<string, number>();
  const used = new Set<number>();
  const take = (networkId: string, vlan: number | undefined) => {
    if (vlan === undefined || vlan < FIRST || vlan > LAST || used.has(vlan)) return false;
    assigned.set(networkId, vlan);
    used.add(vlan);
    return true;
  };
  for (const networkId of networks) take(networkId, previous.get(networkId));
  for (const networkId of networks) if (!assigned.has(networkId)) take(networkId, recorded.get(networkId));
  let next = FIRST;
  for (const networkId of networks) {
    if (assigned.has(networkId)) continue;
    while (next <= LAST && used.has(next)) next++;
    if (next > LAST) break;
    take(networkId, next);
  }
  return assigned;
}
