/**
 * nftables tables of a namespace: read back as `nft list table` prints them
 * (nft's own canonical text, which an agent can compare with what it
 * renders), and replaced whole in one `nft -f` transaction. The script
 * first declares the table (a no-op when it exists), deletes it and adds it
 * again with its chains and rules; nft applies the file atomically, so
 * packets never meet a half-written table and a failing rule leaves the old
 * table in place.
 */
import { HostCommandFailed, runCommand } from './command.js';
import { execInNamespace } from './ip.js';

export interface NftTableRef {
  readonly family: 'ip' | 'ip6' | 'inet' | 'bridge';
  readonly name: string;
}

/**
 * The table as `nft list table` prints it, or undefined when the namespace has no such table.
 * `terse`: without the elements of its sets and maps (listing thousands of them costs more than the rest).
 */
export async function listNftTable(netns: string | undefined, table: NftTableRef, options: { terse?: boolean } = {}): Promise<string | undefined> {
  try {
    // -s: without counters, so that the text changes only when the table does.
    return await execInNamespace(netns, 'nft', ['-s', ...(options.terse ? ['-t'] : []), 'list', 'table', table.family, table.name]);
  } catch (err) {
    if (err instanceof HostCommandFailed && /No such file or directory/i.test(err.stderr)) return undefined;
    throw err;
  }
}

/** The `nft -f` script that replaces `table` by `definition` (a full `table ... { ... }` block) atomically. */
export function replaceTableScript(table: NftTableRef, definition: string): string {
  const ref = `${table.family} ${table.name}`;
  return `table ${ref}\ndelete table ${ref}\n${definition}`;
}

/** Replaces the table by `definition` in one transaction. */
export async function replaceNftTable(netns: string | undefined, table: NftTableRef, definition: string): Promise<void> {
  await runNftScript(netns, replaceTableScript(table, definition));
}

/** Runs an `nft -f` script: one transaction, all of it or nothing. */
export async function runNftScript(netns: string | undefined, script: string): Promise<void> {
  await execInNamespace(netns, 'nft', ['-f', '-'], script);
}

/**
 * How nft lists `tables` once `script` has made them: the script runs in a
 * throwaway network namespace (`unshare --net`), so the text can be compared
 * with a host's listing without touching the host.
 */
export async function canonicalNftListing(script: string, tables: readonly NftTableRef[]): Promise<string> {
  const list = tables.map((table) => `nft -s list table ${table.family} ${table.name}`).join(' && ');
  return runCommand('unshare', ['--net', 'sh', '-c', `nft -f - && ${list}`], { input: script });
}
