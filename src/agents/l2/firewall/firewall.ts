/**
 * The Linux bridge agent's firewall as a reconciler step. Each pass: the
 * desired ruleset (ruleset.ts) from the server's view; the actual tables as
 * `nft -s -t list table` prints them (chains and rules; sets and maps
 * without their elements, which only we write); one `nft -f` transaction
 * when they differ.
 *
 *   nothing changed, tables as we left them   -> nothing
 *   the same chains, sets and maps            -> the chains whose rules changed (a group's
 *                                                rules) rewritten, the sets and maps whose
 *                                                elements changed (ports, members) refilled
 *   otherwise (new, flushed or hand-edited tables, a new group or profile)
 *                                             -> both tables replaced whole
 *
 * Every script is one transaction, so a packet meets the old firewall or
 * the new one, never none. A restarted agent leaves the tables it finds
 * when they are right, and otherwise replaces them keeping their conntrack
 * zones, without a window where traffic passes unfiltered. Given no input
 * (firewall_driver noop) a pass removes our tables.
 */
import { canonicalNftListing, listNftTable, runNftScript } from '../../../host/nftables.js';
import { readSysctls, writeSysctls } from '../../../host/sysctl.js';
import type { FirewallInput } from './model.js';
import { buildRuleset, type ElementHolder, type Ruleset, TABLE } from './ruleset.js';

const TABLES = [
  { family: 'bridge', name: TABLE },
  { family: 'inet', name: TABLE },
] as const;

/** br_netfilter hands bridged IPv4 and IPv6 to the inet hooks only with these on (per namespace). */
const BRIDGE_NETFILTER = ['net.bridge.bridge-nf-call-iptables', 'net.bridge.bridge-nf-call-ip6tables'];

/** The zones of a listed inet table: `"brq..." : 3` in the zone-in chain's map. */
export function zonesOf(listing: string | undefined): Map<string, number> {
  const zones = new Map<string, number>();
  const map = listing?.match(/ct zone set iifname map \{([^}]*)\}/);
  for (const [, bridge, zone] of map?.[1]?.matchAll(/"([^"]+)"\s*:\s*(\d+)/g) ?? []) zones.set(bridge!, Number(zone));
  return zones;
}

/** A listing with the elements of each set and map in one order (nft lists hash sets in hash order). */
export function sortElements(listing: string): string {
  return listing.replace(/elements = \{([^}]*)\}/g, (_, items: string) => `elements = { ${items.split(',').map((item) => item.trim()).sort().join(', ')} }`);
}

interface Applied {
  readonly ruleset: Ruleset;
  /** The tables as nft listed them (tersely) right after: what the next pass expects to find. */
  readonly listing: string;
}

const elementLines = ({ family, name, elements }: ElementHolder): string[] =>
  elements.length === 0 ? [] : [`add element ${family} ${TABLE} ${name} { ${elements.join(', ')} }`];

const sameLines = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((e, i) => e === b[i]);

/**
 * The nft script that takes the tables from `applied` (undefined: unknown) to `desired`; '' when nothing is to do.
 * Both tables are replaced whole unless they are as we left them and keep their chains, sets and maps; then
 * only the chains whose rules changed are rewritten, and the sets and maps whose elements changed.
 */
export function firewallScript(desired: Ruleset, applied: Applied | undefined, listing: string): string {
  if (applied === undefined || applied.listing !== listing || applied.ruleset.skeleton !== desired.skeleton) {
    const lines = TABLES.flatMap(({ family, name }) => [`table ${family} ${name}`, `delete table ${family} ${name}`]);
    lines.push(desired.tables.trimEnd());
    for (const holder of desired.holders.values()) lines.push(...elementLines(holder));
    return `${lines.join('\n')}\n`;
  }
  const lines: string[] = [];
  for (const [key, { family, name, rules }] of desired.chains) {
    if (sameLines(applied.ruleset.chains.get(key)?.rules ?? [], rules)) continue;
    lines.push(`flush chain ${family} ${TABLE} ${name}`, ...rules.map((rule) => `add rule ${family} ${TABLE} ${name} ${rule}`));
  }
  for (const [key, holder] of desired.holders) {
    if (sameLines(applied.ruleset.holders.get(key)?.elements ?? [], holder.elements)) continue;
    lines.push(`flush ${holder.kind} ${holder.family} ${TABLE} ${holder.name}`, ...elementLines(holder));
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

export class LinuxBridgeFirewall {
  private applied: Applied | undefined;
  private zones: ReadonlyMap<string, number> | undefined;

  constructor(private readonly netns: string | undefined) {}

  /** The script one pass would run for `input` (undefined: filtering off, our tables go); '' when nothing. With `apply`, runs it. */
  async pass(input: Omit<FirewallInput, 'zones'> | undefined, apply: boolean): Promise<string> {
    const listing = await this.list();
    if (input === undefined) {
      this.applied = undefined;
      const script = listing === '' ? '' : TABLES.map(({ family, name }) => `delete table ${family} ${name}`).join('\n') + '\n';
      if (apply && script !== '') await runNftScript(this.netns, script);
      return script;
    }
    // A restarted agent keeps the zones it finds, so established connections keep their state.
    this.zones ??= zonesOf(listing);
    const desired = buildRuleset({ ...input, zones: this.zones });
    // A process that did not write the tables (a restart, a dry run) leaves them be when they are already right.
    if (this.applied === undefined && listing !== '' && (await this.alreadyRight(desired))) this.applied = { ruleset: desired, listing };
    const script = firewallScript(desired, this.applied, listing);
    if (!apply) return script;
    if (script !== '') {
      // With the tables written whole (a start, drift, a new group): br_netfilter's switches too.
      if (script.startsWith('table ')) await this.ensureBridgeNetfilter();
      await runNftScript(this.netns, script);
      // Elements are not in the terse listing: after changing only those, it is what it was.
      const rulesChanged = /^(table|flush chain) /m.test(script);
      this.applied = { ruleset: desired, listing: rulesChanged ? await this.list() : listing };
    }
    this.zones = desired.zones;
    return script;
  }

  /** Whether the host's tables, elements included, are what `desired` makes (compared as nft lists both). */
  private async alreadyRight(desired: Ruleset): Promise<boolean> {
    const [actual, wanted] = await Promise.all([
      Promise.all(TABLES.map((table) => listNftTable(this.netns, table))).then((listed) => listed.map((text) => text ?? '').join('')),
      canonicalNftListing(firewallScript(desired, undefined, ''), TABLES),
    ]);
    return sortElements(actual) === sortElements(wanted);
  }

  /** Both tables as nft lists them tersely ('' when neither exists). */
  private async list(): Promise<string> {
    const listed = await Promise.all(TABLES.map((table) => listNftTable(this.netns, table, { terse: true })));
    return listed.map((text) => text ?? '').join('');
  }

  private async ensureBridgeNetfilter(): Promise<void> {
    let values: string[];
    try {
      values = await readSysctls(this.netns, BRIDGE_NETFILTER);
    } catch (err) {
      throw new Error(`bridged traffic cannot be filtered: ${BRIDGE_NETFILTER.join(', ')} unreadable (is br_netfilter loaded?)`, { cause: err });
    }
    const off = BRIDGE_NETFILTER.filter((_, i) => values[i] !== '1');
    if (off.length > 0) await writeSysctls(this.netns, off.map((key) => `${key}=1`));
  }
}
