/**
 * What the firewall of a Linux bridge host is computed from: the filtered
 * ports (from security_group_info_for_devices, with the bridge each tap is
 * in) and their groups' rules and member addresses.
 */
import type { FirewallRule } from '../../../rpc/contract/index.js';

export type { FirewallRule };

export interface FilteredPort {
  /** The tap. */
  readonly device: string;
  /** The bridge the tap is in (its network's): conntrack zones are per bridge. */
  readonly bridge: string;
  readonly mac: string;
  readonly fixedIps: readonly string[];
  readonly allowedAddressPairs: readonly { readonly ip: string; readonly mac: string }[];
  readonly securityGroups: readonly string[];
}

/** Member addresses of a remote group or address group, by IP version (addresses or CIDRs). */
export interface MemberAddresses {
  readonly v4: readonly string[];
  readonly v6: readonly string[];
}

export interface FirewallInput {
  /** Ports with port security on; ports without it are not filtered at all. */
  readonly ports: readonly FilteredPort[];
  /** Group id -> its rules ([] for a group without rules: it lets nothing through). */
  readonly groups: ReadonlyMap<string, readonly FirewallRule[]>;
  /** Remote group or address group id -> its member addresses. */
  readonly members: ReadonlyMap<string, MemberAddresses>;
  /** Groups whose rules are stateless (`stateful: false`). */
  readonly statelessGroups: ReadonlySet<string>;
  /** The conntrack zone each bridge had so far: kept, so a rewrite does not orphan established connections. */
  readonly zones: ReadonlyMap<string, number>;
}
