/**
 * iproute2, typed: the devices, addresses, forwarding entries and
 * namespaces of one network namespace (the current one, or a named one).
 * Reads use `-json`; changes go as `ip -batch` / `bridge -batch` scripts, so
 * an agent builds its whole plan as lines it can also print (`--dry-run`)
 * and applies them with one process per tool instead of one per change.
 */
import { runCommand } from './command.js';

export interface Link {
  readonly ifname: string;
  readonly ifindex: number;
  readonly mtu: number;
  readonly address?: string;
  /** `UP` in flags once set up. */
  readonly flags: readonly string[];
  readonly operstate?: string;
  /** The bridge (or other master) the device is enslaved to. */
  readonly master?: string;
  /** The peer's namespace id, for veths whose peer lives elsewhere. */
  readonly link_netnsid?: number;
  readonly linkinfo?: {
    readonly info_kind?: string;
    readonly info_data?: Readonly<Record<string, unknown>>;
  };
}

export interface AddressInfo {
  readonly family: 'inet' | 'inet6';
  readonly local: string;
  readonly prefixlen: number;
  readonly scope?: string;
}

export interface LinkAddresses {
  readonly ifname: string;
  readonly addr_info: readonly AddressInfo[];
}

export interface FdbEntry {
  readonly mac: string;
  readonly ifname?: string;
  readonly dst?: string;
  readonly master?: string;
  readonly state?: string;
  readonly flags?: readonly string[];
}

export interface NeighEntry {
  readonly dst: string;
  readonly dev: string;
  readonly lladdr?: string;
  readonly state?: readonly string[];
}

/**
 * A batch may hold thousands of changes; on a busy host the kernel takes its
 * time (1000 veths took 27 s here under load). Killing it half way helps nobody.
 */
const BATCH_TIMEOUT_MS = 300_000;

const nsArgs = (netns: string | undefined): string[] => (netns === undefined ? [] : ['-n', netns]);

const parseJson = <T>(text: string): T[] => (text.trim() === '' ? [] : (JSON.parse(text) as T[]));

/** One network namespace seen through iproute2; `netns` undefined is the namespace this process runs in. */
export class IpRoute {
  constructor(readonly netns?: string) {}

  async links(): Promise<Link[]> {
    return parseJson<Link>(await runCommand('ip', [...nsArgs(this.netns), '-json', '-details', 'link', 'show']));
  }

  async addresses(device?: string): Promise<LinkAddresses[]> {
    const dev = device === undefined ? [] : ['dev', device];
    return parseJson<LinkAddresses>(await runCommand('ip', [...nsArgs(this.netns), '-json', 'address', 'show', ...dev]));
  }

  async fdb(device: string): Promise<FdbEntry[]> {
    return parseJson<FdbEntry>(await runCommand('bridge', [...nsArgs(this.netns), '-json', 'fdb', 'show', 'dev', device]));
  }

  async neighbours(device: string): Promise<NeighEntry[]> {
    return parseJson<NeighEntry>(await runCommand('ip', [...nsArgs(this.netns), '-json', 'neigh', 'show', 'dev', device]));
  }

  /** Runs `ip -batch -`: each line is an `ip` command without the leading `ip`. Stops at the first failing line. */
  async batch(lines: readonly string[]): Promise<void> {
    if (lines.length > 0) await runCommand('ip', [...nsArgs(this.netns), '-batch', '-'], { input: `${lines.join('\n')}\n`, timeoutMs: BATCH_TIMEOUT_MS });
  }

  /** Runs `bridge -batch -`, the same for forwarding-database lines. */
  async bridgeBatch(lines: readonly string[]): Promise<void> {
    if (lines.length > 0) await runCommand('bridge', [...nsArgs(this.netns), '-batch', '-'], { input: `${lines.join('\n')}\n`, timeoutMs: BATCH_TIMEOUT_MS });
  }
}

/** The namespaces of /run/netns (as this process's mount namespace sees it). */
export async function listNamespaces(): Promise<string[]> {
  const entries = parseJson<{ name: string }>(await runCommand('ip', ['-json', 'netns', 'list']));
  return entries.map((entry) => entry.name);
}

export async function addNamespace(name: string): Promise<void> {
  await runCommand('ip', ['netns', 'add', name]);
  await runCommand('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
}

/** Removes a namespace; the kernel destroys its devices (and their veth peers elsewhere). */
export async function deleteNamespace(name: string): Promise<void> {
  await runCommand('ip', ['netns', 'delete', name]);
}

/** The process ids running inside a namespace. */
export async function namespacePids(name: string): Promise<number[]> {
  const out = await runCommand('ip', ['netns', 'pids', name]);
  return out
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map(Number);
}

/** Runs a command inside a namespace (`ip netns exec`; undefined: this process's own), returning its output. */
export function execInNamespace(name: string | undefined, command: string, args: readonly string[], input?: string): Promise<string> {
  const options = input === undefined ? {} : { input };
  return name === undefined ? runCommand(command, args, options) : runCommand('ip', ['netns', 'exec', name, command, ...args], options);
}
